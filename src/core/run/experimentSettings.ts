import { Schema } from "effect"
import { Thresholds, defaultThresholds } from "../network/schemas.js"
import { sizeGrid } from "./sizeGrid.js"

const Count = (what: string, max: number) => Schema.Number.check(
  Schema.isInt({ message: `${what} must be an integer` }),
  Schema.isGreaterThanOrEqualTo(1, { message: `${what} must be at least 1` }),
  Schema.isLessThanOrEqualTo(max, { message: `${what} must be at most ${max}` })
)
const LogBeta = (what: string) => Schema.Number.check(Schema.isBetween({ minimum: -30, maximum: 10 }, { message: `${what} must be in [-30, 10]` }))
const Sizes = (what: string, max: number) => Schema.Array(Count(what, max)).check(Schema.isMinLength(1, { message: `${what} needs at least one size` }))

/**
 * Every checkpoint (or every k-th) × `betas` values of β on [`logBetaMin`, `logBetaMax`], each over
 * `seeds` generation seeds: at least two, since α3 (seed dependence) compares two generations.
 */
export const SweepSettings = Schema.Struct({
  betas: Count("sweep.betas", 200),
  seeds: Count("sweep.seeds", 64).check(Schema.isGreaterThanOrEqualTo(2, { message: "sweep.seeds must be at least 2: α3 (seed dependence) compares the networks of two generation seeds" })),
  samples: Count("sweep.samples", 1 << 16),
  logBetaMin: LogBeta("sweep.logBetaMin"),
  logBetaMax: LogBeta("sweep.logBetaMax"),
  everyCheckpoint: Count("sweep.everyCheckpoint", 1_000_000)
}).check(Schema.makeFilter((s: { logBetaMin: number; logBetaMax: number }) => s.logBetaMin < s.logBetaMax || `sweep.logBetaMin (${s.logBetaMin}) must be below sweep.logBetaMax (${s.logBetaMax})`))
export type SweepSettings = typeof SweepSettings.Type

/** Loss with the encoder and decoder-only at the last checkpoint (Figure 4). */
export const AblationSettings = Schema.Struct({
  betas: Count("ablation.betas", 200),
  seeds: Count("ablation.seeds", 64),
  samples: Count("ablation.samples", 1 << 16)
})
export type AblationSettings = typeof AblationSettings.Type

/** Decoder-only generation of `[n0, n1, 1]` for n0 in `inputs`, n1 in `hidden` (Figure 5). */
export const GeneralizationSettings = Schema.Struct({
  inputs: Sizes("generalization.inputs", 256),
  hidden: Sizes("generalization.hidden", 512),
  logBeta: LogBeta("generalization.logBeta"),
  seeds: Count("generalization.seeds", 64),
  samples: Count("generalization.samples", 1 << 16),
  /**
   * How a network of another width is scored: on its `own` width's normalised target (absent means
   * this; a constant predictor scores 1 at every width), or on the `trained` width's (the target
   * shifted and scaled as in training, so an algorithm that adds up per input generalises without
   * rescaling its output). The paper normalises the training targets (§2) and does not say which
   * Figure 5 uses.
   */
  normalisation: Schema.optional(Schema.Literals(["own", "trained"]))
})
export type GeneralizationSettings = typeof GeneralizationSettings.Type

/** The target network trained directly with Adam (Figure 6), twice, for α3. */
export const BaselineSettings = Schema.Struct({
  steps: Count("baseline.steps", 10_000_000),
  batch: Count("baseline.batch", 1 << 16),
  learningRate: Schema.Number.check(Schema.isGreaterThan(0, { message: "baseline.learningRate must be positive" }), Schema.isLessThanOrEqualTo(1, { message: "baseline.learningRate must be at most 1" })),
  logEvery: Count("baseline.logEvery", 1_000_000),
  samples: Count("baseline.samples", 1 << 16)
})
export type BaselineSettings = typeof BaselineSettings.Type

/** Force-directed drawings (B.1) of generated networks at a low and a high β, and of the baseline. */
export const DrawingSettings = Schema.Struct({
  lowLogBeta: LogBeta("drawing.lowLogBeta"),
  highLogBeta: LogBeta("drawing.highLogBeta"),
  seed: Schema.Number.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(0)),
  iterations: Count("drawing.iterations", 100_000)
}).check(Schema.makeFilter((d: { lowLogBeta: number; highLogBeta: number }) => d.lowLogBeta <= d.highLogBeta || `drawing.lowLogBeta (${d.lowLogBeta}) must not be above drawing.highLogBeta (${d.highLogBeta})`))
export type DrawingSettings = typeof DrawingSettings.Type

/**
 * The settings of a run's experiments, as its manifest records them (and a preset or a `reproduce`
 * config gives them): the paper's experiments each in a field of its own, the class thresholds
 * every one of them classifies with, and the settings of a researcher's own experiments under
 * `extra`, by name (each decoded by its experiment's settings Schema when it runs).
 */
export const ExperimentSettings = Schema.Struct({
  sweep: SweepSettings,
  ablation: AblationSettings,
  generalization: GeneralizationSettings,
  baseline: BaselineSettings,
  drawing: DrawingSettings,
  thresholds: Thresholds,
  extra: Schema.optional(Schema.Record(Schema.String, Schema.Unknown))
})
export type ExperimentSettings = typeof ExperimentSettings.Type

/** The names no experiment may take: the fields of {@link ExperimentSettings} that hold no experiment's settings. */
export const RESERVED_EXPERIMENT_NAMES: ReadonlyArray<string> = ["thresholds", "extra"]

/** Whether experiment `name` has a field of its own in {@link ExperimentSettings} (the paper's experiments), rather than a place in `extra`. */
const hasOwnField = (name: string): name is Exclude<keyof ExperimentSettings, "thresholds" | "extra"> =>
  name in ExperimentSettings.fields && !RESERVED_EXPERIMENT_NAMES.includes(name)

/** The settings `settings` records for experiment `name` (in its own field, or in `extra`), or undefined where it records none. */
export const recordedSettings = (settings: ExperimentSettings, name: string): unknown =>
  hasOwnField(name) ? settings[name] : settings.extra?.[name]

/** `settings` with experiment `name`'s settings set to `value` (in its own field, or in `extra`). */
export const withRecordedSettings = (settings: ExperimentSettings, name: string, value: unknown): ExperimentSettings =>
  hasOwnField(name) ? { ...settings, [name]: value } : { ...settings, extra: { ...settings.extra, [name]: value } }

/**
 * The paper's experiments (30 β on [1e−12, 1], 8 seeds; a shape grid n0 ∈ 4…64, n1 ∈ 8…128, six sizes
 * to a doubling through the trained 16 and 48: 23 × 24 shapes).
 */
export const paperExperiments: ExperimentSettings = {
  sweep: { betas: 30, seeds: 8, samples: 4096, logBetaMin: -12, logBetaMax: 0, everyCheckpoint: 1 },
  ablation: { betas: 30, seeds: 8, samples: 4096 },
  generalization: { inputs: sizeGrid(16, 4, 64, 6), hidden: sizeGrid(48, 8, 128, 6), logBeta: -6, seeds: 8, samples: 4096 },
  baseline: { steps: 30000, batch: 256, learningRate: 1e-3, logEvery: 100, samples: 16384 },
  drawing: { lowLogBeta: -12, highLogBeta: 0, seed: 0, iterations: 3000 },
  thresholds: defaultThresholds
}
