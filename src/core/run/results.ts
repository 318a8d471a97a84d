import { Schema } from "effect"
import { Algorithm } from "../network/schemas.js"
import { NetShape } from "../network/schemas.js"

/** Per β of one checkpoint: figures over the generation seeds (see `summariseBeta`). */
export const BetaSummary = Schema.Struct({
  logBeta: Schema.Number,
  loss: Schema.Number,
  lossMin: Schema.Number,
  lossMax: Schema.Number,
  kl: Schema.Number,
  alpha1: Schema.Number,
  alpha2: Schema.Number,
  alpha3: Schema.Number,
  /** Absent in runs swept before it was added. */
  signAgreement: Schema.optional(Schema.Number),
  /** Absent in runs swept before it was added (see `classify`). */
  pathBalance: Schema.optional(Schema.Number),
  algorithm: Algorithm
})

/** `sweep.json`: every checkpoint × β. */
export const SweepResult = Schema.Struct({
  seeds: Schema.Number,
  samples: Schema.Number,
  rows: Schema.Array(Schema.Struct({ step: Schema.Number, ...BetaSummary.fields }))
})
export type SweepResult = typeof SweepResult.Type

/** `ablation.json`: loss with the encoder and decoder-only, per β, at one checkpoint (Figure 4). */
export const AblationResult = Schema.Struct({
  step: Schema.Number,
  seeds: Schema.Number,
  rows: Schema.Array(Schema.Struct({
    logBeta: Schema.Number,
    lossEncoder: Schema.Number,
    lossDecoderOnly: Schema.Number,
    kl: Schema.Number,
    algorithmEncoder: Algorithm,
    algorithmDecoderOnly: Algorithm
  }))
})
export type AblationResult = typeof AblationResult.Type

/** `generalization.json`: decoder-only loss for other shapes `[n0, n1, 1]` (Figure 5). */
export const GeneralizationResult = Schema.Struct({
  step: Schema.Number,
  logBeta: Schema.Number,
  seeds: Schema.Number,
  trained: NetShape,
  /** How other widths were scored (absent: on their own width's normalisation; see GeneralizationSettings). */
  normalisation: Schema.optional(Schema.Literals(["own", "trained"])),
  cells: Schema.Array(Schema.Struct({
    inputs: Schema.Number,
    hidden: Schema.Number,
    loss: Schema.Number,
    lossMin: Schema.Number,
    lossMax: Schema.Number,
    algorithm: Algorithm
  }))
})
export type GeneralizationResult = typeof GeneralizationResult.Type

const Floats = Schema.Array(Schema.Number)

/** A small network's weights in JSON (the Adam baseline, a generated network for drawing). */
export const StoredNetwork = Schema.Struct({
  shape: NetShape,
  W: Schema.Array(Floats),
  b: Schema.Array(Floats)
})
export type StoredNetwork = typeof StoredNetwork.Type

/** `baseline.json`: the target network trained directly with Adam (Figure 6). */
export const BaselineResult = Schema.Struct({
  steps: Schema.Number,
  learningRate: Schema.Number,
  batch: Schema.Number,
  curve: Schema.Array(Schema.Struct({ step: Schema.Number, loss: Schema.Number })),
  loss: Schema.Number,
  alpha1: Schema.Number,
  alpha2: Schema.Number,
  /** Between the two independently trained seeds. */
  alpha3: Schema.Number,
  algorithm: Algorithm,
  network: StoredNetwork
})
export type BaselineResult = typeof BaselineResult.Type

/**
 * `summary.json`: the run's findings in numbers (deterministic, so a replay can compare it). Built
 * from whatever result files the run has; `missing` lists the experiments not yet run, and the
 * fields that need them are empty or null.
 */
export const RunSummary = Schema.Struct({
  steps: Schema.Number,
  seed: Schema.Number,
  backend: Schema.String,
  /** The task's name and the trained shape. */
  task: Schema.String,
  shape: NetShape,
  /** The registered experiments with a result file that the run has not run yet, in the order `reproduce` runs them. */
  missing: Schema.Array(Schema.String),
  /** Class and mean loss per checkpoint step × β (empty without a sweep). */
  phases: Schema.Array(Schema.Struct({ step: Schema.Number, logBeta: Schema.Number, algorithm: Algorithm, loss: Schema.Number })),
  /** Mean loss over the sweep's β ≤ 1e−6 at the last checkpoint (null without a sweep). */
  finalLowBetaLoss: Schema.NullOr(Schema.Number),
  baselineLoss: Schema.NullOr(Schema.Number),
  ablation: Schema.Array(Schema.Struct({ logBeta: Schema.Number, lossEncoder: Schema.Number, lossDecoderOnly: Schema.Number })),
  generalization: Schema.Array(Schema.Struct({ inputs: Schema.Number, hidden: Schema.Number, loss: Schema.Number })),
  /** What the sweep shows (null without a sweep). */
  findings: Schema.NullOr(Schema.Struct({
    /** Majority class over β at each checkpoint. */
    majorityByStep: Schema.Array(Schema.Struct({ step: Schema.Number, algorithm: Algorithm, share: Schema.Number })),
    /** First checkpoint after step 0 where most β ≤ 1e−6 generate the pudding algorithm, if any. */
    firstPuddingStep: Schema.NullOr(Schema.Number),
    /** Whether every checkpoint before that (after step 0) is mostly convexity. */
    convexityBeforePudding: Schema.Boolean
  }))
})
export type RunSummary = typeof RunSummary.Type
