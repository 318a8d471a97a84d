import { createHash } from "node:crypto"
import { Schema } from "effect"
import { MetricsRow } from "./runManifest.js"
import { LOW_LOG_BETA } from "./betaGrid.js"

/**
 * The state of `metrics.jsonl` at a step, as a checkpoint keeps it so that a resumed run logs
 * exactly what an uninterrupted one would (timings aside):
 *
 * - `window`: running sums over the steps since the last row. A row is the mean of its window, and
 *   these sums add the values in the order the mean would, so a row whose window spans a crash or a
 *   Ctrl-C equals the uninterrupted run's row bit for bit.
 * - `rows` and `digest`: how many rows the log held, and a hash chain over their exact lines
 *   (`d_k = SHA-256(d_(k−1) ‖ "\n" ‖ line_k)`, `d_0` = 64 zeros), so an edited, truncated or
 *   foreign `metrics.jsonl` is detected on resume without keeping the log in memory.
 */
export const MetricsWindow = Schema.Struct({
  /** Training steps in the window. */
  steps: Schema.Number.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(0)),
  objectiveSum: Schema.Number,
  lossSum: Schema.Number,
  lossCount: Schema.Number.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(0)),
  klSum: Schema.Number,
  klCount: Schema.Number.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(0)),
  lowBetaLossSum: Schema.Number,
  lowBetaLossCount: Schema.Number.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(0))
})
export type MetricsWindow = typeof MetricsWindow.Type

export const MetricsLogState = Schema.Struct({
  rows: Schema.Number.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(0)),
  digest: Schema.String.check(Schema.isPattern(/^[0-9a-f]{64}$/)),
  window: MetricsWindow
})
export type MetricsLogState = typeof MetricsLogState.Type

export const emptyWindow: MetricsWindow = { steps: 0, objectiveSum: 0, lossSum: 0, lossCount: 0, klSum: 0, klCount: 0, lowBetaLossSum: 0, lowBetaLossCount: 0 }

/** The digest of an empty log. */
export const EMPTY_LOG_DIGEST = "0".repeat(64)

export const emptyLogState: MetricsLogState = { rows: 0, digest: EMPTY_LOG_DIGEST, window: emptyWindow }

/** The figures of one training step, per β of its batch. */
export interface StepFigures {
  readonly objective: number
  readonly logBeta: ArrayLike<number>
  readonly loss: ArrayLike<number>
  readonly kl: ArrayLike<number>
}

/** The window with one more step, its values added in order. */
export const addToWindow = (w: MetricsWindow, m: StepFigures): MetricsWindow => {
  let { lossSum, klSum, lowBetaLossSum, lowBetaLossCount } = w
  for (let k = 0; k < m.loss.length; k++) {
    lossSum += m.loss[k]!
    if (m.logBeta[k]! <= LOW_LOG_BETA) {
      lowBetaLossSum += m.loss[k]!
      lowBetaLossCount += 1
    }
  }
  for (let k = 0; k < m.kl.length; k++) klSum += m.kl[k]!
  return {
    steps: w.steps + 1, objectiveSum: w.objectiveSum + m.objective,
    lossSum, lossCount: w.lossCount + m.loss.length, klSum, klCount: w.klCount + m.kl.length, lowBetaLossSum, lowBetaLossCount
  }
}

const mean = (sum: number, count: number) => (count === 0 ? Number.NaN : sum / count)

/** The row closing a window at `step`: means of the window's figures (NaN for an empty mean). */
export const windowRow = (w: MetricsWindow, step: number, msPerStep: number): MetricsRow => ({
  step,
  objective: mean(w.objectiveSum, w.steps),
  loss: mean(w.lossSum, w.lossCount),
  kl: mean(w.klSum, w.klCount),
  lossLowBeta: mean(w.lowBetaLossSum, w.lowBetaLossCount),
  msPerStep
})

/** A row as its line of `metrics.jsonl` (without the newline). */
export const metricsLine = (row: MetricsRow): string => JSON.stringify(Schema.encodeSync(MetricsRow)(row))

/** The log's digest after one more line. */
export const chainDigest = (digest: string, line: string): string => createHash("sha256").update(`${digest}\n${line}`).digest("hex")

/** Digest of a whole log's lines. */
export const logDigest = (lines: ReadonlyArray<string>): string => lines.reduce(chainDigest, EMPTY_LOG_DIGEST)

/** The step of a `metrics.jsonl` line, or undefined for a line that is not a row (cut short by a crash). */
export const lineStep = (line: string): number | undefined => {
  try {
    const v: unknown = JSON.parse(line)
    return typeof v === "object" && v !== null && "step" in v && typeof v.step === "number" ? v.step : undefined
  } catch {
    return undefined
  }
}

/** A line with its timing removed, for comparing logs of two runs. */
export const withoutTiming = (line: string): string => {
  try {
    const v = JSON.parse(line) as Record<string, unknown>
    delete v["msPerStep"]
    return JSON.stringify(v)
  } catch {
    return line
  }
}
