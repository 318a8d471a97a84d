import { Schema } from "effect"
import { HypernetworkSpec } from "../hypernetwork/index.js"
import { NetShape } from "../network/schemas.js"
import { paperHypernetworkSpec } from "../hypernetwork/index.js"

const PositiveInt = (what: string) => Schema.Number.check(
  Schema.isInt({ message: `${what} must be an integer` }),
  Schema.isGreaterThanOrEqualTo(1, { message: `${what} must be at least 1` })
)
/**
 * Everything that determines a training run (with the backend): decoded from flags or a JSON
 * file, stored in every checkpoint, and compared on resume.
 */
export const TrainConfig = Schema.Struct({
  shape: NetShape,
  steps: PositiveInt("steps").check(Schema.isLessThanOrEqualTo(10_000_000, { message: "steps must be at most 10,000,000" })),
  betasPerStep: PositiveInt("betasPerStep").check(Schema.isLessThanOrEqualTo(1024, { message: "betasPerStep must be at most 1024" })),
  samplesPerBeta: PositiveInt("samplesPerBeta").check(Schema.isLessThanOrEqualTo(65536, { message: "samplesPerBeta must be at most 65536" })),
  learningRate: Schema.Number.check(Schema.isFinite({ message: "learningRate must be a finite number" }), Schema.isGreaterThan(0, { message: "learningRate must be positive" }), Schema.isLessThanOrEqualTo(1, { message: "learningRate must be at most 1" })),
  checkpointEvery: PositiveInt("checkpointEvery"),
  logEvery: PositiveInt("logEvery"),
  /**
   * The *training* distribution of β: each draw is log10 β ~ U[logBetaMin, logBetaMax] (the
   * paper's B.2.2: U[−12, 0]). The sweep's β range is its own setting. With the full range a
   * quarter of the draws have β ≥ 1e−3, where β·KL dominates the objective at the start; a range
   * capped lower keeps a KL channel open (issue 20's probe).
   */
  logBetaMin: Schema.Number.check(Schema.isBetween({ minimum: -30, maximum: 10 }, { message: "logBetaMin must be in [-30, 10]" })),
  logBetaMax: Schema.Number.check(Schema.isBetween({ minimum: -30, maximum: 10 }, { message: "logBetaMax must be in [-30, 10]" })),
  activation: Schema.Literals(["swish", "relu"]),
  /** The hypernetwork as data (the paper's: `paperHypernetworkSpec()`). */
  hypernetwork: HypernetworkSpec,
  /** The task's registered name (`l1`, the paper's, by default). */
  task: Schema.String.check(Schema.isMinLength(1, { message: "task must name a task (e.g. l1)" })),
  /**
   * Threads per step: the β batch is split into this many shards whose gradients are summed
   * (the same objective; float rounding differs between thread counts, so a run replays bit for
   * bit only with the same count).
   */
  threads: Schema.Number.check(Schema.isInt({ message: "threads must be an integer" }), Schema.isBetween({ minimum: 1, maximum: 64 }, { message: "threads must be in [1, 64]" })),
  seed: Schema.Number.check(Schema.isInt({ message: "seed must be an integer" }), Schema.isBetween({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }, { message: `seed must be in [0, ${Number.MAX_SAFE_INTEGER}]` })),
  /**
   * A KL warm-up: the KL term of the objective is weighted by `min(1, t / klWarmupSteps)` at the
   * step that follows t completed steps, so `log(L + w·β·KL)` starts at `log L` and reaches the
   * paper's `log(L + β·KL)` after `klWarmupSteps` steps (absent or 0: no warm-up, the paper's).
   * B.2.2 trains with the full penalty from the first step; a warm-up keeps a KL channel that
   * starts open from being closed by the large β before the decoder can use it.
   */
  klWarmupSteps: Schema.optional(Schema.Number.check(
    Schema.isInt({ message: "klWarmupSteps must be an integer" }),
    Schema.isBetween({ minimum: 0, maximum: 10_000_000 }, { message: "klWarmupSteps must be in [0, 10,000,000]" })
  ))
}).check(Schema.makeFilter((c: { logBetaMin: number; logBetaMax: number }) => c.logBetaMin < c.logBetaMax || "logBetaMin must be below logBetaMax"))
export type TrainConfig = typeof TrainConfig.Type

/**
 * The canonical configuration (B.2; ARCHITECTURE.md, "The hypernetwork") but for the seed, which each run chooses. A template of
 * defaults: the CLI merges flags and files over it and decodes the result with TrainConfig, which
 * names a bad seed ("seed must be an integer") as a typed error, so this function does not check
 * `seed` itself (a throw here would turn that error into a defect).
 */
export const canonicalTrainConfig = (seed: number): TrainConfig => ({
  shape: [16, 48, 1],
  steps: 5000,
  betasPerStep: 8,
  samplesPerBeta: 256,
  learningRate: 1e-3,
  checkpointEvery: 500,
  logEvery: 10,
  logBetaMin: -12,
  logBetaMax: 0,
  activation: "swish",
  hypernetwork: paperHypernetworkSpec(),
  task: "l1",
  threads: 1,
  seed
})

/** Every setting's name, the optional ones included (for the keys a config file may hold). */
export const trainConfigKeys: ReadonlyArray<keyof TrainConfig> = [...Object.keys(canonicalTrainConfig(0)) as Array<keyof TrainConfig>, "klWarmupSteps"]

/**
 * The weight of the KL term at the step that follows `completedSteps` steps: `min(1, t / k)` with
 * k = `klWarmupSteps`, 1 without a warm-up.
 */
export const klWeightAt = (config: Pick<TrainConfig, "klWarmupSteps">, completedSteps: number): number => {
  const k = config.klWarmupSteps ?? 0
  return k === 0 ? 1 : Math.min(1, completedSteps / k)
}

/** The fields that may differ between a checkpoint's config and a resumed run's: how far to go. */
export const RESUMABLE_FIELDS: ReadonlyArray<keyof TrainConfig> = ["steps", "checkpointEvery", "logEvery", "threads"]
