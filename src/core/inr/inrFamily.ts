import * as tf from "@tensorflow/tfjs"
import { Data, Result } from "effect"
import { checkConditions, type Condition, conditionScale, referenceValue } from "../task/index.js"
import { InvalidInput } from "../base/schemas.js"
import { decodeNetShape, type NetShape } from "../network/schemas.js"
import { checkTaskShape, type Task } from "../task/index.js"
import { quoteValue } from "../base/schemas.js"
import type { ConditionKind } from "./inrResults.js"

/** An interval of one input coordinate. */
export interface Interval {
  readonly min: number
  readonly max: number
}

/**
 * A family of functions f_c to learn as implicit neural representations (INRs): a {@link Task} with
 * conditions, the box its inputs live in (the dense evaluation grid covers it) and the conditions
 * held out of training: *interpolation* (inside the training range) and *extrapolation* (beyond
 * it; forecasting, for a condition that is a time). The conditions trained on are the task's own
 * (each condition's `training` values; see {@link trainingConditions}).
 */
export interface InrFamily {
  readonly task: Task
  /** One interval per input coordinate (n0 of them): the domain of x. */
  readonly domain: ReadonlyArray<Interval>
  /** The target network g_θ, `[n0, …, outputs]` (e.g. `[1, 32, 32, 1]`). */
  readonly shape: NetShape
  /** Held-out conditions inside the training range, each `[C]` in the order of `task.conditions`. */
  readonly interpolation: ReadonlyArray<ReadonlyArray<number>>
  /** Held-out conditions beyond the training range, each `[C]`. */
  readonly extrapolation: ReadonlyArray<ReadonlyArray<number>>
  /** What extrapolation is called for this family (`forecast` for a time; default `extrapolation`). */
  readonly extrapolationLabel: string
}

/** An INR family is malformed; `message` names the field. */
export class InrFamilyError extends Data.TaggedError("InrFamilyError")<{ readonly message: string }> {}

/** What {@link defineInrFamily} needs; `extrapolationLabel` defaults to `extrapolation`. */
export type InrFamilyDefinition = Omit<InrFamily, "extrapolationLabel"> & { readonly extrapolationLabel?: string }

/** Whether `v` lies in the condition's range (ends included). */
const inRange = (c: Condition, v: number) => v >= c.min && v <= c.max

/**
 * Check an INR family: its task has conditions that keep their rules (`checkConditions`: training
 * values and reference inside each range, …), the shape is a network shape that fits the task, the
 * domain has one finite interval (min < max) per input, every held-out condition has one finite
 * value per condition, each *interpolation* condition lies inside every condition's range and is
 * not one of the training conditions, each *extrapolation* condition lies beyond at least one
 * range, and no held-out condition is listed twice. Fails with {@link InrFamilyError} naming the
 * field and its value.
 */
export const defineInrFamily = (d: InrFamilyDefinition): Result.Result<InrFamily, InrFamilyError> => {
  const fail = (message: string) => Result.fail(new InrFamilyError({ message: `INR family ${quoteValue(d.task?.name)}: ${message}` }))
  if (typeof d.task !== "object" || d.task === null) return fail(`task must be a task (see defineTask), got ${quoteValue(d.task)}`)
  const conditionsOk = checkConditions(d.task.conditions, d.task.name)
  if (Result.isFailure(conditionsOk)) return fail(conditionsOk.failure.message)
  const conditions = conditionsOk.success
  const C = conditions.length
  if (C === 0) return fail("its task has no conditions (an INR family is a task with conditions, e.g. a time t)")
  const shape = decodeNetShape(d.shape, "shape")
  if (Result.isFailure(shape)) return fail(shape.failure.message)
  const shapeCheck = checkTaskShape(d.task, shape.success)
  if (Result.isFailure(shapeCheck)) return fail(shapeCheck.failure.message)
  if (!Array.isArray(d.domain)) return fail(`domain must be a list of intervals { min, max }, got ${quoteValue(d.domain)}`)
  if (d.domain.length !== d.shape[0]) return fail(`domain has ${d.domain.length} intervals but the network [${d.shape.join(", ")}] has ${d.shape[0]} inputs`)
  for (const [k, i] of d.domain.entries()) {
    if (typeof i !== "object" || i === null || !Number.isFinite(i.min) || !Number.isFinite(i.max) || !(i.min < i.max)) return fail(`domain[${k}] must be finite with min < max, got ${typeof i === "object" && i !== null ? `[${i.min}, ${i.max}]` : quoteValue(i)}`)
  }
  if (d.extrapolationLabel !== undefined && (typeof d.extrapolationLabel !== "string" || d.extrapolationLabel === "")) return fail(`extrapolationLabel must be a non-empty string, got ${quoteValue(d.extrapolationLabel)}`)
  const names = conditions.map((x) => x.name).join(", ")
  const ranges = conditions.map((x) => `${x.name} in [${x.min}, ${x.max}]`).join(", ")
  const training = new Set(trainingConditions(conditions).map((t) => t.join(",")))
  const wholeRange = conditions.some((x) => x.training === undefined)
  for (const [field, list] of [["interpolation", d.interpolation], ["extrapolation", d.extrapolation]] as const) {
    if (!Array.isArray(list)) return fail(`${field} must be a list of conditions, got ${quoteValue(list)}`)
    const seen = new Map<string, number>()
    for (const [k, c] of list.entries()) {
      if (!Array.isArray(c)) return fail(`${field}[${k}] must be a list of ${C} numbers (${names}), got ${quoteValue(c)}`)
      if (c.length !== C) return fail(`${field}[${k}] has ${c.length} values but the task has ${C} conditions (${names})`)
      if (c.some((v) => typeof v !== "number" || !Number.isFinite(v))) return fail(`${field}[${k}] must be finite, got ${quoteValue(c)}`)
      const key = c.join(",")
      if (seen.has(key)) return fail(`${field}[${k}] ${quoteValue(c)} repeats ${field}[${seen.get(key)}]`)
      seen.set(key, k)
      const outside = conditions.flatMap((x, j) => (inRange(x, c[j]!) ? [] : [`${x.name} ${c[j]} is outside [${x.min}, ${x.max}]`]))
      if (field === "interpolation" && outside.length > 0) {
        return fail(`interpolation[${k}] ${quoteValue(c)} lies beyond the training range (${outside.join("; ")}): an interpolation condition lies inside every range; list it under extrapolation`)
      }
      if (field === "interpolation" && !wholeRange && training.has(key)) {
        return fail(`interpolation[${k}] ${quoteValue(c)} is one of the training conditions, so it is not held out`)
      }
      if (field === "extrapolation" && outside.length === 0) {
        return fail(`extrapolation[${k}] ${quoteValue(c)} lies inside the training range (${ranges}): an extrapolation condition lies beyond at least one range; list it under interpolation`)
      }
    }
  }
  return Result.succeed({ ...d, shape: shape.success, extrapolationLabel: d.extrapolationLabel ?? "extrapolation" })
}

/** A condition's training values: its `training` list, or min, reference and max when it trains on the whole range. */
const trainingValues = (c: Condition): ReadonlyArray<number> => c.training ?? [...new Set([c.min, referenceValue(c), c.max])]

/**
 * The training conditions to evaluate, `[K][C]`: every combination of the conditions' training
 * values (the product grid that training draws from), first condition slowest. Throws the
 * {@link ConditionError} of a condition that breaks the rules (`training: []` would give no
 * training condition at all).
 */
export const trainingConditions = (conditions: ReadonlyArray<Condition>): ReadonlyArray<ReadonlyArray<number>> => {
  const checked = checkConditions(conditions)
  if (Result.isFailure(checked)) throw checked.failure
  return conditions.reduce<ReadonlyArray<ReadonlyArray<number>>>((acc, c) => acc.flatMap((prefix) => trainingValues(c).map((v) => [...prefix, v])), [[]])
}

/** Which part of the evaluation a condition belongs to. */

/** Every evaluated condition with its kind: the training grid, then the held-out ones. */
export const evaluatedConditions = (family: InrFamily): ReadonlyArray<{ readonly kind: ConditionKind; readonly condition: ReadonlyArray<number> }> => [
  ...trainingConditions(family.task.conditions).map((condition) => ({ kind: "training" as const, condition })),
  ...family.interpolation.map((condition) => ({ kind: "interpolation" as const, condition })),
  ...family.extrapolation.map((condition) => ({ kind: "extrapolation" as const, condition }))
]

/** Throw an {@link InvalidInput} naming the argument of `fn`. */
const invalid = (fn: string, argument: string, problem: string): never => {
  throw new InvalidInput({ source: `${fn}(${argument})`, message: `${fn}: ${argument} ${problem}` })
}

/** Check that `c` is a condition vector: one finite number per condition. */
const checkVector = (fn: string, argument: string, c: unknown, C: number): void => {
  if (!Array.isArray(c) || c.length !== C || c.some((v) => typeof v !== "number" || !Number.isFinite(v))) {
    invalid(fn, argument, `must be ${C} finite number${C === 1 ? "" : "s"} (one per condition), got ${quoteValue(c)}`)
  }
}

/**
 * The index of the condition in `candidates` nearest to `c`, by Euclidean distance with each
 * condition scaled to [−1, 1] over its range (as the hyperhypernetwork reads them); the first on a
 * tie; −1 when there is no candidate. Throws {@link InvalidInput} naming the argument when `c` or a
 * candidate is not one finite number per condition, or a ConditionError for a bad condition.
 */
export const nearestCondition = (conditions: ReadonlyArray<Condition>, candidates: ReadonlyArray<ReadonlyArray<number>>, c: ReadonlyArray<number>): number => {
  const scales = conditions.map(conditionScale)
  checkVector("nearestCondition", "c", c, conditions.length)
  candidates.forEach((x, k) => checkVector("nearestCondition", `candidates[${k}]`, x, conditions.length))
  if (candidates.length === 0) return -1
  const distance = (a: ReadonlyArray<number>) => a.reduce((s, v, k) => s + ((v - c[k]!) / scales[k]!.halfWidth) ** 2, 0)
  let best = 0
  for (let k = 1; k < candidates.length; k++) if (distance(candidates[k]!) < distance(candidates[best]!)) best = k
  return best
}

/** The most rows a grid may have: `points^n` beyond this would exhaust memory once tiled per condition. */
export const MAX_GRID_POINTS = 2 ** 20

/**
 * A dense grid over a box: `points` evenly spaced values per axis (ends included), as rows
 * `[points^n, n]`, the last coordinate fastest (so for n = 2 a row of the grid is one y). Throws
 * {@link InvalidInput} naming the argument: `points` not a positive integer, an interval that is
 * not finite with min ≤ max, an empty domain, or more than {@link MAX_GRID_POINTS} rows.
 */
export const gridPoints = (domain: ReadonlyArray<Interval>, points: number): Float32Array => {
  const n = domain.length
  if (!Number.isInteger(points) || points < 1) invalid("gridPoints", "points", `must be a positive integer, got ${quoteValue(points)}`)
  if (n === 0) invalid("gridPoints", "domain", "needs at least one interval")
  domain.forEach((i, k) => {
    if (!Number.isFinite(i.min) || !Number.isFinite(i.max) || i.min > i.max) invalid("gridPoints", `domain[${k}]`, `must be finite with min ≤ max, got [${i.min}, ${i.max}]`)
  })
  if (points ** n > MAX_GRID_POINTS) invalid("gridPoints", "points", `${points} on ${n} axes makes ${points ** n} rows, more than ${MAX_GRID_POINTS}`)
  const total = points ** n
  const out = new Float32Array(total * n)
  for (let r = 0; r < total; r++) {
    let rest = r
    for (let a = n - 1; a >= 0; a--) {
      const k = rest % points
      rest = Math.floor(rest / points)
      const { min, max } = domain[a]!
      out[r * n + a] = points === 1 ? (min + max) / 2 : min + ((max - min) * k) / (points - 1)
    }
  }
  return out
}

/** {@link gridPoints} as a tensor `[points^n, n]`. */
export const gridTensor = (domain: ReadonlyArray<Interval>, points: number): tf.Tensor2D =>
  tf.tensor2d(gridPoints(domain, points), [points ** domain.length, domain.length])

/**
 * The relative L2 error ‖g − f‖₂ / ‖f‖₂ of each network over grid points: `prediction` and
 * `truth` `[K, G, outputs]` → K numbers. On a uniform grid this approximates the ratio of L2 norms
 * over the domain. A zero target gives Infinity (or 0 for a zero error): NaN only where the
 * prediction or the truth holds NaN. cpu-only (it reads synchronously): on any backend, read
 * {@link relativeL2Parts} and pass the values to {@link relativeL2FromParts}. Throws
 * {@link InvalidInput} when the two are not of one shape `[K, G, outputs]` (broadcasting would give
 * a plausible wrong number).
 */
export const relativeL2 = (prediction: tf.Tensor, truth: tf.Tensor): ReadonlyArray<number> => {
  const [num, den] = relativeL2Parts(prediction, truth)
  const [n, d] = [num.dataSync(), den.dataSync()]
  tf.dispose([num, den])
  return relativeL2FromParts(n, d)
}

/** The squared norms of {@link relativeL2}, per network: ‖g − f‖₂² and ‖f‖₂² `[K]` (new tensors). */
export const relativeL2Parts = (prediction: tf.Tensor, truth: tf.Tensor): [tf.Tensor, tf.Tensor] => {
  if (prediction.rank !== 3 || truth.rank !== 3 || prediction.shape.some((d, k) => d !== truth.shape[k])) {
    invalid("relativeL2", "prediction", `and truth must both be [K, G, outputs] of one shape, got [${prediction.shape.join(", ")}] and [${truth.shape.join(", ")}]`)
  }
  return tf.tidy((): [tf.Tensor, tf.Tensor] => [tf.sum(tf.square(tf.sub(prediction, truth)), [1, 2]), tf.sum(tf.square(truth), [1, 2])])
}

/** {@link relativeL2} from the values of its parts. */
export const relativeL2FromParts = (num: ArrayLike<number>, den: ArrayLike<number>): ReadonlyArray<number> =>
  Array.from(num, (e, k) => (e === 0 ? 0 : Math.sqrt(e / den[k]!)))
