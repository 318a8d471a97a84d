import { Result, Schema, SchemaIssue } from "effect"
import { InvalidInput } from "../base/schemas.js"
import type { FeatureMatrix } from "./cka.js"

/**
 * Labelled data sets for the functional-similarity experiment: inputs in R^m with two labellings
 * of the same inputs, the task the encoders are trained on and an *other task*, so that encoders
 * trained on the other task make a zoo member of known (lower) similarity.
 */

/** Class labels of N inputs: `labels[i] ∈ {0, …, classes.length − 1}`. */
export interface Labelling {
  readonly name: string
  readonly classes: ReadonlyArray<string>
  readonly labels: Int32Array
}

/** N inputs (rows of `inputs`, m columns) with the task and the other task. */
export interface LabelledData {
  readonly name: string
  readonly description: string
  readonly inputNames: ReadonlyArray<string>
  readonly inputs: FeatureMatrix
  readonly task: Labelling
  readonly otherTask: Labelling
}

/** Columns scaled to zero mean and unit variance (a constant column is only centred). */
export const standardise = (m: FeatureMatrix): FeatureMatrix => {
  const data = Float32Array.from(m.data)
  for (let j = 0; j < m.cols; j++) {
    let [mean, sq] = [0, 0]
    for (let i = 0; i < m.rows; i++) mean += data[i * m.cols + j]!
    mean /= m.rows
    for (let i = 0; i < m.rows; i++) sq += (data[i * m.cols + j]! - mean) ** 2
    const sd = Math.sqrt(sq / m.rows)
    for (let i = 0; i < m.rows; i++) data[i * m.cols + j] = (data[i * m.cols + j]! - mean) / (sd > 0 ? sd : 1)
  }
  return { rows: m.rows, cols: m.cols, data }
}

/** Indices that sort `xs` ascending (ties in index order): with uniform draws, a random permutation. */
export const argsort = (xs: ArrayLike<number>): Array<number> =>
  Array.from({ length: xs.length }, (_, k) => k).sort((a, b) => xs[a]! - xs[b]! || a - b)

/** The rows `rows` of a data set, in that order. */
export const selectRows = (d: LabelledData, rows: ReadonlyArray<number>, name = d.name): LabelledData => {
  const m = d.inputs.cols
  const data = new Float32Array(rows.length * m)
  rows.forEach((r, i) => {
    for (let j = 0; j < m; j++) data[i * m + j] = d.inputs.data[r * m + j]!
  })
  const pick = (l: Labelling): Labelling => ({ ...l, labels: Int32Array.from(rows, (r) => l.labels[r]!) })
  return { ...d, name, inputs: { rows: rows.length, cols: m, data }, task: pick(d.task), otherTask: pick(d.otherTask) }
}

/** One-hot rows `[N · k]` (row-major) of a labelling. */
export const oneHot = (l: Labelling): Float32Array => {
  const k = l.classes.length
  const out = new Float32Array(l.labels.length * k)
  l.labels.forEach((c, i) => {
    out[i * k + c] = 1
  })
  return out
}

/** The class of each row of row-major scores `[N, k]`: the index of its largest entry. */
export const argmaxRows = (scores: ArrayLike<number>, rows: number, k: number): Int32Array => {
  const out = new Int32Array(rows)
  for (let i = 0; i < rows; i++) {
    let best = 0
    for (let j = 1; j < k; j++) if (scores[i * k + j]! > scores[i * k + best]!) best = j
    out[i] = best
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// Palmer penguins (Gorman, Williams & Fraser 2014; Horst, Hill & Gorman's palmerpenguins, CC0),
// as shipped by the npm package `vega-datasets` (data/penguins.json, BSD-3-Clause package).

const PenguinRecord = Schema.Struct({
  Species: Schema.String,
  Island: Schema.String,
  "Beak Length (mm)": Schema.NullOr(Schema.Number),
  "Beak Depth (mm)": Schema.NullOr(Schema.Number),
  "Flipper Length (mm)": Schema.NullOr(Schema.Number),
  "Body Mass (g)": Schema.NullOr(Schema.Number)
})
const PenguinRecords = Schema.Array(PenguinRecord)

export const PENGUIN_INPUTS = ["Beak Length (mm)", "Beak Depth (mm)", "Flipper Length (mm)", "Body Mass (g)"] as const

const labelling = (name: string, values: ReadonlyArray<string>): Labelling => {
  const classes = [...new Set(values)].sort()
  return { name, classes, labels: Int32Array.from(values, (v) => classes.indexOf(v)) }
}

/**
 * The penguins table as a {@link LabelledData}: the four body measurements, standardised, as
 * inputs; species (Adelie, Chinstrap, Gentoo) as the task and island (Biscoe, Dream, Torgersen)
 * as the other task. Records missing a measurement are dropped (2 of 344). `source` names the file
 * in errors; fails with {@link InvalidInput} when the JSON is not the table.
 */
export const penguinsFromJson = (json: unknown, source: string): Result.Result<LabelledData, InvalidInput> => {
  const r = Schema.decodeUnknownResult(PenguinRecords)(json)
  if (Result.isFailure(r)) return Result.fail(new InvalidInput({ source, message: `${source} is not the penguins table: ${SchemaIssue.makeFormatterDefault()(r.failure.issue)}` }))
  const complete = r.success.filter((p) => PENGUIN_INPUTS.every((k) => p[k] !== null && Number.isFinite(p[k])))
  if (complete.length < 10) return Result.fail(new InvalidInput({ source, message: `${source} has only ${complete.length} complete penguin records` }))
  const raw = Float32Array.from(complete.flatMap((p) => PENGUIN_INPUTS.map((k) => p[k]!)))
  return Result.succeed({
    name: "penguins",
    description: `Palmer penguins (vega-datasets): ${complete.length} birds with four body measurements; task species, other task island`,
    inputNames: [...PENGUIN_INPUTS],
    inputs: standardise({ rows: complete.length, cols: PENGUIN_INPUTS.length, data: raw }),
    task: labelling("species", complete.map((p) => p.Species)),
    otherTask: labelling("island", complete.map((p) => p.Island))
  })
}
