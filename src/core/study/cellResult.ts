import { Result, Schema } from "effect"
import { InvalidInput } from "../base/schemas.js"
import { Algorithm } from "../network/schemas.js"
import { AblationResult, GeneralizationResult, SweepResult } from "../run/index.js"
import { CELL_FIELDS, type CellField, CellExperiments, isCellField } from "./studyPlan.js"
import { TrainConfig } from "../run/index.js"

/** The last line of a cell's training metrics, without its timing (so a cell's result is deterministic). */
export const CellTraining = Schema.Struct({
  step: Schema.Number,
  objective: Schema.Number,
  loss: Schema.Number,
  kl: Schema.Number,
  lossLowBeta: Schema.Number
})
export type CellTraining = typeof CellTraining.Type

/** The Adam baseline's figures (Figure 6), without its curve and weights. */
export const CellBaseline = Schema.Struct({
  loss: Schema.Number,
  alpha1: Schema.Number,
  alpha2: Schema.Number,
  alpha3: Schema.Number,
  algorithm: Algorithm
})

/**
 * How a cell's result came about: the only part of a result that depends on where and when it ran
 * (so two runs of a cell agree on everything else, bit for bit on the same backend).
 */
export const CellExecution = Schema.Struct({
  /** The study-level attempt that produced this result (1 + retries of failed attempts). */
  attempt: Schema.Number,
  /** How many times a runner took that attempt: above 1 when a runner died mid-cell (killed, out of memory). */
  deliveries: Schema.Number,
  /** Wall time of the attempt on its runner (train and experiments), in seconds. */
  wallSeconds: Schema.Number,
  trainSeconds: Schema.Number,
  /** `host/pid` of the runner. */
  runner: Schema.String,
  backend: Schema.String,
  /** The run directory on the runner's machine (checkpoints, metrics, the experiments' files). */
  runDir: Schema.String,
  finishedAt: Schema.String
})
export type CellExecution = typeof CellExecution.Type

/**
 * One cell's result: its settings, whether it finished, and what it keeps of each experiment it
 * ran (see `Experiment.cell` in programs/experiments): every sweep row (per checkpoint and β: loss,
 * KL, α1–α3, sign agreement, class) and, when run, the ablation rows, the generalisation grid and
 * the baseline in fields of their own (null when not run: the format cells had before experiments
 * were values, so committed results keep decoding), and a researcher's own experiments under
 * `extra.<name>`, each in its cell Schema's JSON encoding (absent when none ran). Written once per
 * cell id.
 */
export const CellResult = Schema.Struct({
  id: Schema.String,
  study: Schema.String,
  arm: Schema.String,
  seed: Schema.Number,
  config: TrainConfig,
  experiments: CellExperiments,
  status: Schema.Literals(["done", "failed"]),
  /** Why the cell failed (its last attempt's error), or null. */
  error: Schema.NullOr(Schema.String),
  training: Schema.NullOr(CellTraining),
  sweep: Schema.NullOr(SweepResult.fields.rows),
  ablation: Schema.NullOr(AblationResult.fields.rows),
  generalization: Schema.NullOr(GeneralizationResult.fields.cells),
  baseline: Schema.NullOr(CellBaseline),
  extra: Schema.optional(Schema.Record(Schema.String, Schema.Unknown)),
  execution: Schema.NullOr(CellExecution)
})
export type CellResult = typeof CellResult.Type

/** A cell's fields of the experiments it keeps in fields of their own, none run (a failed cell's). */
export const noCellResults: Pick<CellResult, CellField> = Object.fromEntries(CELL_FIELDS.map((f) => [f, null])) as Record<CellField, null>

/**
 * A cell's fields of its experiments from what it keeps of each, by experiment name: those with a
 * field of their own decoded into it (null when absent), any other under `extra` as given. Fails
 * with InvalidInput naming an experiment whose kept value does not fit its field.
 */
export const cellResultFields = (kept: ReadonlyMap<string, unknown>): Result.Result<Pick<CellResult, CellField | "extra">, InvalidInput> => {
  const fields: Record<string, unknown> = {}
  for (const f of CELL_FIELDS) {
    const decoded = Schema.decodeUnknownResult(CellResult.fields[f])(kept.get(f) ?? null)
    if (Result.isFailure(decoded)) return Result.fail(new InvalidInput({ source: f, message: `what the cell keeps of experiment ${f} does not fit its field: ${decoded.failure.message}` }))
    fields[f] = decoded.success
  }
  const extra = [...kept].filter(([name]) => !isCellField(name))
  return Result.succeed({ ...(fields as Pick<CellResult, CellField>), ...(extra.length === 0 ? {} : { extra: Object.fromEntries(extra) }) })
}

/** A cell's result without {@link CellExecution}: what two runs of the same cell must agree on. */
export const withoutExecution = (r: CellResult): Omit<CellResult, "execution"> => {
  const { execution: _, ...rest } = r
  return rest
}
