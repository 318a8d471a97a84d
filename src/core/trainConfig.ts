import { Schema } from "effect"
import { NetShape } from "./netShape.js"

const PositiveInt = (what: string) => Schema.Number.check(
  Schema.isInt({ message: `${what} must be an integer` }),
  Schema.isGreaterThanOrEqualTo(1, { message: `${what} must be at least 1` })
)
const Width = (what: string) => PositiveInt(what).check(Schema.isLessThanOrEqualTo(256, { message: `${what} must be at most 256` }))

/** Block widths of the paper's hypernetwork (appendix B.2; DESIGN §5). */
export const HypernetworkSizes = Schema.Struct({
  activation: Width("hypernetwork.activation"),
  position: Width("hypernetwork.position").check(Schema.makeFilter((n: number) => n % 2 === 0 || "hypernetwork.position must be even (sin and cos pairs)")),
  noise: Width("hypernetwork.noise"),
  attentionKey: Width("hypernetwork.attentionKey"),
  learned: Width("hypernetwork.learned"),
  latent: Width("hypernetwork.latent"),
  depth: PositiveInt("hypernetwork.depth").check(Schema.isGreaterThanOrEqualTo(2, { message: "hypernetwork.depth must be at least 2" }), Schema.isLessThanOrEqualTo(16, { message: "hypernetwork.depth must be at most 16" }))
})
export type HypernetworkSizes = typeof HypernetworkSizes.Type

export const defaultHypernetworkSizes: HypernetworkSizes = { activation: 20, position: 4, noise: 5, attentionKey: 5, learned: 5, latent: 4, depth: 4 }

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
  logBetaMin: Schema.Number.check(Schema.isBetween({ minimum: -30, maximum: 10 }, { message: "logBetaMin must be in [-30, 10]" })),
  logBetaMax: Schema.Number.check(Schema.isBetween({ minimum: -30, maximum: 10 }, { message: "logBetaMax must be in [-30, 10]" })),
  activation: Schema.Literals(["swish", "relu"]),
  hypernetwork: HypernetworkSizes,
  /**
   * Threads per step: the β batch is split into this many shards whose gradients are summed
   * (the same objective; float rounding differs between thread counts, so a run replays bit for
   * bit only with the same count).
   */
  threads: Schema.Number.check(Schema.isInt({ message: "threads must be an integer" }), Schema.isBetween({ minimum: 1, maximum: 64 }, { message: "threads must be in [1, 64]" })),
  seed: Schema.Number.check(Schema.isInt({ message: "seed must be an integer" }), Schema.isBetween({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }, { message: `seed must be in [0, ${Number.MAX_SAFE_INTEGER}]` }))
}).check(Schema.makeFilter((c: { logBetaMin: number; logBetaMax: number }) => c.logBetaMin < c.logBetaMax || "logBetaMin must be below logBetaMax"))
export type TrainConfig = typeof TrainConfig.Type

/** The canonical configuration (DESIGN §5) but for the seed, which each run chooses. */
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
  hypernetwork: defaultHypernetworkSizes,
  threads: 1,
  seed
})

/** The fields that may differ between a checkpoint's config and a resumed run's: how far to go. */
export const RESUMABLE_FIELDS: ReadonlyArray<keyof TrainConfig> = ["steps", "checkpointEvery", "logEvery", "threads"]
