import { Schema } from "effect"
import { HypernetworkSpec } from "../hypernetwork/index.js"
import { NetShape } from "../network/schemas.js"

const PositiveInt = (what: string, max: number) => Schema.Number.check(
  Schema.isInt({ message: `${what} must be an integer` }),
  Schema.isGreaterThanOrEqualTo(1, { message: `${what} must be at least 1` }),
  Schema.isLessThanOrEqualTo(max, { message: `${what} must be at most ${max}` })
)

/**
 * The settings of an INR experiment (`hyperlayers inr`). Every method gets the same budget: `steps`
 * Adam steps, each with `samples` inputs per condition (at `learningRate` for the hypernetwork,
 * `baselineLearningRate` for the baselines). The hypernetwork and the conditioned MLP see
 * `conditionsPerStep` training conditions per step; each from-scratch INR sees its own condition only.
 */
export const InrSettings = Schema.Struct({
  /** The target network g_θ (default: the family's). */
  shape: NetShape,
  activation: Schema.Literals(["swish", "relu"]),
  /** The hypernetwork trained on the family (the library's `train` program). */
  hypernetwork: HypernetworkSpec,
  steps: PositiveInt("steps", 10_000_000),
  conditionsPerStep: PositiveInt("conditionsPerStep", 1024),
  samples: PositiveInt("samples", 65536),
  /** Adam's learning rate for the hypernetwork. */
  learningRate: Schema.Number.check(Schema.isGreaterThan(0, { message: "learningRate must be positive" }), Schema.isLessThanOrEqualTo(1, { message: "learningRate must be at most 1" })),
  /** Adam's learning rate for baselines (a) and (b). */
  baselineLearningRate: Schema.Number.check(Schema.isGreaterThan(0, { message: "baselineLearningRate must be positive" }), Schema.isLessThanOrEqualTo(1, { message: "baselineLearningRate must be at most 1" })),
  checkpointEvery: PositiveInt("checkpointEvery", 10_000_000),
  logEvery: PositiveInt("logEvery", 10_000_000),
  /** The range of log10 β training draws from (β weighs the KL, if the spec has a KL channel). */
  logBetaMin: Schema.Number.check(Schema.isBetween({ minimum: -30, maximum: 10 }, { message: "logBetaMin must be in [-30, 10]" })),
  logBetaMax: Schema.Number.check(Schema.isBetween({ minimum: -30, maximum: 10 }, { message: "logBetaMax must be in [-30, 10]" })),
  /** Generation seeds averaged over when the hypernetwork has random inputs (noise, KL samples). */
  seeds: PositiveInt("seeds", 64),
  /** Hidden widths of baseline (a), the MLP taking (x, c). */
  mlpHidden: Schema.Array(PositiveInt("mlpHidden[k]", 4096)).check(Schema.isMinLength(1, { message: "mlpHidden needs at least one hidden layer" })),
  /** Grid points per input axis for the relative L2 errors. */
  gridPoints: PositiveInt("gridPoints", 4096),
  /** Grid points per input axis for the figures. */
  figurePoints: PositiveInt("figurePoints", 4096)
}).check(Schema.makeFilter((s: { logBetaMin: number; logBetaMax: number }) => s.logBetaMin < s.logBetaMax || "logBetaMin must be below logBetaMax"))
export type InrSettings = typeof InrSettings.Type

/** The methods compared: the hypernetwork and baselines (a), (b) and (c). */
export const InrMethod = Schema.Literals(["hypernetwork", "mlp", "scratch", "nearest"])
export type InrMethod = typeof InrMethod.Type

export const ConditionKind = Schema.Literals(["training", "interpolation", "extrapolation"])
export type ConditionKind = typeof ConditionKind.Type

const Floats = Schema.Array(Schema.Number)

/** One evaluated condition: its relative L2 error under every method. */
export const InrConditionRow = Schema.Struct({
  condition: Floats,
  kind: ConditionKind,
  /** ‖g_θc − f_c‖₂ / ‖f_c‖₂ on the grid, the mean over generation seeds. */
  hypernetwork: Schema.Number,
  /** The same, for the hypernetwork's generation seeds one by one. */
  hypernetworkSeeds: Floats,
  /** (a) the MLP taking (x, c). */
  mlp: Schema.Number,
  /** (b) an INR trained from scratch on this condition alone. */
  scratch: Schema.Number,
  /** (c) the hypernetwork's network for the nearest training condition. */
  nearest: Schema.Number,
  nearestCondition: Floats
})
export type InrConditionRow = typeof InrConditionRow.Type

/** Truth and generated values on the figure grid for one condition (seed 0). */
export const InrSample = Schema.Struct({
  condition: Floats,
  kind: ConditionKind,
  truth: Floats,
  hypernetwork: Floats,
  mlp: Floats,
  scratch: Floats,
  nearest: Floats
})
export type InrSample = typeof InrSample.Type

/** Mean relative L2 error per method over the conditions of one kind. */
export const InrSummaryRow = Schema.Struct({
  kind: ConditionKind,
  conditions: Schema.Number,
  hypernetwork: Schema.Number,
  mlp: Schema.Number,
  scratch: Schema.Number,
  nearest: Schema.Number
})
export type InrSummaryRow = typeof InrSummaryRow.Type

/** `inr.json`: the INR experiment's results. */
export const InrResult = Schema.Struct({
  family: Schema.String,
  description: Schema.String,
  normalisation: Schema.String,
  conditionNames: Schema.Array(Schema.String),
  extrapolationLabel: Schema.String,
  domain: Schema.Array(Schema.Struct({ min: Schema.Number, max: Schema.Number })),
  settings: InrSettings,
  /** The step of the checkpoint evaluated: the one with the lowest mean error on the training conditions. */
  step: Schema.Number,
  /**
   * Snapshot selection, the same rule for every method: every `checkpointEvery` steps and at the end,
   * keep the snapshot with the lowest relative L2 error on its training data (the hypernetwork's
   * checkpoints and the MLP on the training conditions; each from-scratch INR on its own condition).
   */
  selection: Schema.Struct({
    checkpoints: Schema.Array(Schema.Struct({ step: Schema.Number, error: Schema.Number })),
    mlpStep: Schema.Number,
    scratchSteps: Schema.Array(Schema.Number)
  }),
  /** log10 β the hypernetwork was evaluated at. */
  logBeta: Schema.Number,
  /** Training loss (the task's) at the end: the hypernetwork's last logged mean, the baselines' last tenth of steps. */
  finalLoss: Schema.Struct({ hypernetwork: Schema.Number, mlp: Schema.Number, scratch: Schema.Number }),
  /** Trainable parameters: the hyperhypernetwork's, the MLP's, one from-scratch INR's. */
  parameters: Schema.Struct({ hypernetwork: Schema.Number, mlp: Schema.Number, scratch: Schema.Number }),
  /** Wall seconds of each part on this machine (training of this invocation only, if resumed). */
  seconds: Schema.Struct({ hypernetwork: Schema.Number, mlp: Schema.Number, scratch: Schema.Number, evaluation: Schema.Number }),
  summary: Schema.Array(InrSummaryRow),
  rows: Schema.Array(InrConditionRow),
  /** Values on the figure grid (`figurePoints` per axis, last coordinate fastest) for a few conditions. */
  samples: Schema.Array(InrSample)
})
export type InrResult = typeof InrResult.Type
