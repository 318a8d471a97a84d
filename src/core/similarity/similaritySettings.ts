import { Result, Schema, SchemaIssue } from "effect"
import { InvalidInput } from "../base/schemas.js"
import { cutList, cutText } from "../base/schemas.js"

/**
 * Settings and results of the functional-similarity experiment (issue 14, item 3; the blog post
 * `seeds/004`, "Hypernetworks as quantifiers of functional similarity").
 */

/**
 * An integer setting in [minimum, maximum]: the maxima keep a typo (1e9 encoders, 1e12 samples)
 * from exhausting memory or running for years; each is far beyond what the experiment needs.
 */
const int = (name: string, minimum: number, maximum: number) => Schema.Number.check(
  Schema.isInt({ message: `${name} must be an integer` }),
  Schema.isGreaterThanOrEqualTo(minimum, { message: `${name} must be at least ${minimum}` }),
  Schema.isLessThanOrEqualTo(maximum, { message: `${name} must be at most ${maximum}` })
)
const STEPS = 10_000_000
const ENCODERS = 1000
const positive = (name: string) => Schema.Number.check(
  Schema.isFinite({ message: `${name} must be a finite number` }),
  Schema.isGreaterThan(0, { message: `${name} must be greater than 0` })
)
const widths = (name: string, minLength: number) => Schema.Array(int(name, 1, 4096))
  .check(
    Schema.isMinLength(minLength, { message: `${name} needs at least ${minLength} entr${minLength === 1 ? "y" : "ies"}` }),
    Schema.isMaxLength(16, { message: `${name} has at most 16 entries` })
  )

/** The hypernetwork H: condition → linear classifier, its pre-training on the pool, and condition fitting. */
export const ProbeHypernetworkSettings = Schema.Struct({
  /** Width e of an encoder's condition (learned embedding). */
  condition: int("hypernetwork.condition", 1, 4096),
  /** Hidden widths of H's MLP. */
  hidden: widths("hypernetwork.hidden", 0),
  /** Full-batch Adam steps of pre-training on the pool (H and the pool's conditions). */
  steps: int("hypernetwork.steps", 1, STEPS),
  learningRate: positive("hypernetwork.learningRate"),
  /** Adam steps fitting a new encoder's condition with H frozen (0: every new encoder keeps the pool's mean condition). */
  conditionSteps: int("hypernetwork.conditionSteps", 0, STEPS),
  conditionLearningRate: positive("hypernetwork.conditionLearningRate")
})
export type ProbeHypernetworkSettings = typeof ProbeHypernetworkSettings.Type

/** The transfer measurement: `steps` plain gradient steps of H's parameters on A's loss alone. */
export const TransferSettings = Schema.Struct({
  steps: int("transfer.steps", 1, STEPS),
  learningRate: positive("transfer.learningRate")
})
export type TransferSettings = typeof TransferSettings.Type

/** Encoders `[m, …hidden, features]` (swish), trained with a linear head by full-batch Adam. */
export const EncoderSettings = Schema.Struct({
  hidden: widths("encoder.hidden", 1),
  features: int("encoder.features", 1, 4096),
  steps: int("encoder.steps", 1, STEPS),
  learningRate: positive("encoder.learningRate")
})
export type EncoderSettings = typeof EncoderSettings.Type

/** The zoo around each reference encoder, whose similarity to it is known by construction. */
export const ZooSettings = Schema.Struct({
  /** Reference encoders (trained on the task, seeds 0 … references − 1); results average over them. */
  references: int("zoo.references", 1, ENCODERS),
  /** Relative weight-noise levels σ (noise σ · rms(W) per layer), strictly increasing. */
  noise: Schema.Array(positive("zoo.noise")).check(
    Schema.isMinLength(1, { message: "zoo.noise needs at least one level" }),
    Schema.isMaxLength(100, { message: "zoo.noise has at most 100 levels" }),
    Schema.makeFilter((xs: ReadonlyArray<number>) => xs.every((x, k) => k === 0 || x > xs[k - 1]!) || "zoo.noise must be strictly increasing")
  ),
  /** Encoders trained on the task from other seeds (besides the other references). */
  otherSeeds: int("zoo.otherSeeds", 1, ENCODERS),
  /** Encoders trained on the other task. */
  otherTask: int("zoo.otherTask", 0, ENCODERS),
  /** Untrained (freshly initialised) encoders. */
  untrained: int("zoo.untrained", 0, ENCODERS)
})
export type ZooSettings = typeof ZooSettings.Type

/** The pool H is pre-trained on: encoders of its own seeds, none of them in a zoo. */
export const PoolSettings = Schema.Struct({
  trained: int("pool.trained", 0, ENCODERS),
  otherTask: int("pool.otherTask", 0, ENCODERS),
  untrained: int("pool.untrained", 0, ENCODERS)
}).check(Schema.makeFilter((p) => p.trained + p.otherTask + p.untrained >= 1 || "the pool needs at least one encoder"))
export type PoolSettings = typeof PoolSettings.Type

/** The synthetic data set: Gaussian inputs labelled by the argmax of a random teacher MLP. */
export const SyntheticSettings = Schema.Struct({
  inputs: int("synthetic.inputs", 1, 4096),
  classes: int("synthetic.classes", 2, 1000),
  samples: int("synthetic.samples", 8, 1_000_000),
  teacherHidden: int("synthetic.teacherHidden", 1, 4096)
})
export type SyntheticSettings = typeof SyntheticSettings.Type

export const DatasetName = Schema.Literals(["penguins", "synthetic"])
export type DatasetName = typeof DatasetName.Type

export const SimilaritySettings = Schema.Struct({
  datasets: Schema.Array(DatasetName).check(
    Schema.isMinLength(1, { message: "datasets needs at least one data set" }),
    Schema.makeFilter((xs: ReadonlyArray<string>) => new Set(xs).size === xs.length || "datasets must not repeat a data set")
  ),
  /** Share of each data set held out as the probe set (H, Δ and CKA use it; encoders train on the rest). */
  probeFraction: Schema.Number.check(Schema.isBetween({ minimum: 0.1, maximum: 0.9 }, { message: "probeFraction must be in [0.1, 0.9]" })),
  encoder: EncoderSettings,
  zoo: ZooSettings,
  pool: PoolSettings,
  hypernetwork: ProbeHypernetworkSettings,
  transfer: TransferSettings,
  synthetic: SyntheticSettings
})
export type SimilaritySettings = typeof SimilaritySettings.Type

const quick: SimilaritySettings = {
  datasets: ["penguins", "synthetic"],
  probeFraction: 0.5,
  encoder: { hidden: [16], features: 8, steps: 300, learningRate: 0.01 },
  zoo: { references: 3, noise: [0.1, 0.25, 0.5, 1], otherSeeds: 3, otherTask: 2, untrained: 2 },
  pool: { trained: 4, otherTask: 2, untrained: 2 },
  hypernetwork: { condition: 8, hidden: [32], steps: 400, learningRate: 0.01, conditionSteps: 300, conditionLearningRate: 0.05 },
  transfer: { steps: 1, learningRate: 0.01 },
  synthetic: { inputs: 8, classes: 4, samples: 512, teacherHidden: 32 }
}

/** Named settings: `quick` finishes in minutes on a 2-core CPU; `full` averages over more references and zoo members. */
export const similarityPresets = {
  quick,
  full: {
    ...quick,
    synthetic: { ...quick.synthetic, samples: 2048 },
    encoder: { ...quick.encoder, hidden: [32], steps: 600 },
    zoo: { references: 5, noise: [0.05, 0.1, 0.25, 0.5, 1, 2], otherSeeds: 5, otherTask: 3, untrained: 3 },
    pool: { trained: 8, otherTask: 4, untrained: 4 },
    hypernetwork: { ...quick.hypernetwork, steps: 1000, conditionSteps: 500 }
  }
} as const satisfies Record<string, SimilaritySettings>
export type SimilarityPresetName = keyof typeof similarityPresets

/** Which kind of zoo member a row is, in order of known similarity to the reference. */
export const ZooGroup = Schema.Literals(["self", "permuted", "noise", "other seed", "other task", "untrained"])
export type ZooGroup = typeof ZooGroup.Type

/** One zoo member measured against one reference. */
export const SimilarityRow = Schema.Struct({
  reference: Schema.String,
  encoder: Schema.String,
  group: ZooGroup,
  /** Known dissimilarity rank: 0 the reference and its permuted copy, 1… the noise levels, then other seeds, the other task, untrained. */
  level: Schema.Number,
  sigma: Schema.NullOr(Schema.Number),
  /** Linear CKA of the reference's and this encoder's probe-set features. */
  cka: Schema.Number,
  /** This encoder's loss under its generated probe before (ℓ_B⁰) and after (ℓ_B¹) training H on the reference. */
  lossBefore: Schema.Number,
  lossAfter: Schema.Number,
  /** Δ = ℓ_B⁰ − ℓ_B¹. */
  delta: Schema.Number,
  /** Δ over the reference's own drop ℓ_A⁰ − ℓ_A¹ (1 for the reference; null where that drop is 0). */
  transferRatio: Schema.NullOr(Schema.Number),
  /**
   * Δ_AB / sqrt(Δ_AA · Δ_BB), each encoder's own drop under the same steps normalising it (to first
   * order the cosine of ∇_φ ℓ_A and ∇_φ ℓ_B); null where an own drop is not positive.
   */
  deltaNormalised: Schema.NullOr(Schema.Number)
})
export type SimilarityRow = typeof SimilarityRow.Type

/** Spearman ρ of a measure with the known similarity (null where undefined: a constant measure). */
export const RankCorrelations = Schema.Struct({ delta: Schema.NullOr(Schema.Number), deltaNormalised: Schema.NullOr(Schema.Number), cka: Schema.NullOr(Schema.Number) })
export type RankCorrelations = typeof RankCorrelations.Type

export const DatasetSimilarity = Schema.Struct({
  dataset: DatasetName,
  description: Schema.String,
  inputs: Schema.Number,
  classes: Schema.Array(Schema.String),
  trainSize: Schema.Number,
  probeSize: Schema.Number,
  encoders: Schema.Array(Schema.Struct({ name: Schema.String, role: Schema.String, trainLoss: Schema.NullOr(Schema.Number) })),
  pretraining: Schema.Struct({
    curve: Schema.Array(Schema.Struct({ step: Schema.Number, loss: Schema.Number })),
    poolLoss: Schema.Number,
    poolAccuracy: Schema.Number
  }),
  /** Mean loss and accuracy of the zoo's generated probes after condition fitting (before any transfer). */
  zooProbe: Schema.Struct({ loss: Schema.Number, accuracy: Schema.Number }),
  rows: Schema.Array(SimilarityRow),
  perReference: Schema.Array(Schema.Struct({ reference: Schema.String, selfDelta: Schema.Number, zoo: RankCorrelations, graded: RankCorrelations })),
  /** Mean over references: `zoo` over every member, `graded` over the permuted copy and the noise levels only. */
  spearman: Schema.Struct({ zoo: RankCorrelations, graded: RankCorrelations }),
  seconds: Schema.Number
})
export type DatasetSimilarity = typeof DatasetSimilarity.Type

export const SimilarityResult = Schema.Struct({ datasets: Schema.Array(DatasetSimilarity), seconds: Schema.Number })
export type SimilarityResult = typeof SimilarityResult.Type

/** A similarity run's manifest: enough to replay it on the same backend. */
export const SimilarityManifest = Schema.Struct({
  format: Schema.Literal("hyperlayers-similarity"),
  createdAt: Schema.String,
  command: Schema.String,
  preset: Schema.NullOr(Schema.String),
  settings: SimilaritySettings,
  rootSeed: Schema.Number,
  backend: Schema.String,
  versions: Schema.Record(Schema.String, Schema.String),
  gitCommit: Schema.NullOr(Schema.String)
})
export type SimilarityManifest = typeof SimilarityManifest.Type

const formatIssues = SchemaIssue.makeFormatterStandardSchemaV1()

/**
 * Decode similarity settings, every problem named by its path (`zoo.noise[1]: …`). Fails with
 * {@link InvalidInput} (source `settings`).
 */
export const decodeSimilaritySettings = (value: unknown): Result.Result<SimilaritySettings, InvalidInput> => {
  const r = Schema.decodeUnknownResult(SimilaritySettings)(value, { errors: "all", onExcessProperty: "error" })
  if (Result.isSuccess(r)) return Result.succeed(r.success)
  const problems = formatIssues(r.failure.issue).issues.map((i) => {
    const path = (i.path ?? []).map((p, k) => (typeof p === "number" ? `[${p}]` : `${k === 0 ? "" : "."}${cutText(String(p))}`)).join("")
    return path === "" ? i.message : `${path}: ${i.message}`
  })
  return Result.fail(new InvalidInput({ source: "settings", message: `invalid similarity settings: ${cutList(problems, "; ")}` }))
}
