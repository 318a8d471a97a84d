import { Schema } from "effect"
import { ExperimentSettings } from "./experimentSettings.js"
import { TrainConfig } from "./trainConfig.js"

/** One line of `metrics.jsonl`: training figures averaged over the last `logEvery` steps. */
export const MetricsRow = Schema.Struct({
  step: Schema.Number,
  objective: Schema.Number,
  loss: Schema.Number,
  kl: Schema.Number,
  /** Mean loss of the batch's β below 1e−6 (NaN when none was drawn). */
  lossLowBeta: Schema.Number,
  msPerStep: Schema.Number
})
export type MetricsRow = typeof MetricsRow.Type

/** What a run was and how it ran: enough to replay it on the same backend. */
export const RunManifest = Schema.Struct({
  format: Schema.Literal("hyperlayers-run"),
  createdAt: Schema.String,
  command: Schema.String,
  config: TrainConfig,
  rootSeed: Schema.Number,
  backend: Schema.String,
  versions: Schema.Record(Schema.String, Schema.String),
  gitCommit: Schema.NullOr(Schema.String),
  /** The preset a `reproduce` run started from, if any. */
  preset: Schema.optional(Schema.String),
  /** Settings of the experiments run after training (sweep, ablation, grids, baseline, drawings). */
  experiments: Schema.optional(ExperimentSettings)
})
export type RunManifest = typeof RunManifest.Type
