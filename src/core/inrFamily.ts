import * as tf from "@tensorflow/tfjs"
import { Data, Result } from "effect"
import { type Condition, conditionScale, referenceValue } from "./condition.js"
import type { NetShape } from "./netShape.js"
import { checkTaskShape, type Task } from "./task.js"

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

/**
 * Check an INR family: its task has conditions, the domain has one finite interval (min < max) per
 * input of `shape`, the shape fits the task, and every held-out condition has one finite value per
 * condition. Fails with {@link InrFamilyError} naming the field.
 */
export const defineInrFamily = (d: InrFamilyDefinition): Result.Result<InrFamily, InrFamilyError> => {
  const fail = (message: string) => Result.fail(new InrFamilyError({ message: `INR family ${JSON.stringify(d.task.name)}: ${message}` }))
  const C = d.task.conditions.length
  if (C === 0) return fail("its task has no conditions (an INR family is a task with conditions, e.g. a time t)")
  const shapeCheck = checkTaskShape(d.task, d.shape)
  if (Result.isFailure(shapeCheck)) return fail(shapeCheck.failure.message)
  if (d.domain.length !== d.shape[0]) return fail(`domain has ${d.domain.length} intervals but the network [${d.shape.join(", ")}] has ${d.shape[0]} inputs`)
  for (const [k, i] of d.domain.entries()) {
    if (!Number.isFinite(i.min) || !Number.isFinite(i.max) || !(i.min < i.max)) return fail(`domain[${k}] must be finite with min < max, got [${i.min}, ${i.max}]`)
  }
  for (const [field, list] of [["interpolation", d.interpolation], ["extrapolation", d.extrapolation]] as const) {
    for (const [k, c] of list.entries()) {
      if (c.length !== C) return fail(`${field}[${k}] has ${c.length} values but the task has ${C} conditions (${d.task.conditions.map((x) => x.name).join(", ")})`)
      if (c.some((v) => !Number.isFinite(v))) return fail(`${field}[${k}] must be finite, got [${c.join(", ")}]`)
    }
  }
  return Result.succeed({ ...d, extrapolationLabel: d.extrapolationLabel ?? "extrapolation" })
}

/** A condition's training values: its `training` list, or min, reference and max when it trains on the whole range. */
const trainingValues = (c: Condition): ReadonlyArray<number> => c.training ?? [...new Set([c.min, referenceValue(c), c.max])]

/**
 * The training conditions to evaluate, `[K][C]`: every combination of the conditions' training
 * values (the product grid that training draws from), first condition slowest.
 */
export const trainingConditions = (conditions: ReadonlyArray<Condition>): ReadonlyArray<ReadonlyArray<number>> =>
  conditions.reduce<ReadonlyArray<ReadonlyArray<number>>>((acc, c) => acc.flatMap((prefix) => trainingValues(c).map((v) => [...prefix, v])), [[]])

/** Which part of the evaluation a condition belongs to. */
export type ConditionKind = "training" | "interpolation" | "extrapolation"

/** Every evaluated condition with its kind: the training grid, then the held-out ones. */
export const evaluatedConditions = (family: InrFamily): ReadonlyArray<{ readonly kind: ConditionKind; readonly condition: ReadonlyArray<number> }> => [
  ...trainingConditions(family.task.conditions).map((condition) => ({ kind: "training" as const, condition })),
  ...family.interpolation.map((condition) => ({ kind: "interpolation" as const, condition })),
  ...family.extrapolation.map((condition) => ({ kind: "extrapolation" as const, condition }))
]

/**
 * The index of the condition in `candidates` nearest to `c`, by Euclidean distance with each
 * condition scaled to [−1, 1] over its range (as the hyperhypernetwork reads them); the first on a tie.
 */
export const nearestCondition = (conditions: ReadonlyArray<Condition>, candidates: ReadonlyArray<ReadonlyArray<number>>, c: ReadonlyArray<number>): number => {
  const scales = conditions.map(conditionScale)
  const distance = (a: ReadonlyArray<number>) => a.reduce((s, v, k) => s + ((v - c[k]!) / scales[k]!.halfWidth) ** 2, 0)
  let best = 0
  for (let k = 1; k < candidates.length; k++) if (distance(candidates[k]!) < distance(candidates[best]!)) best = k
  return best
}

/**
 * A dense grid over a box: `points` evenly spaced values per axis (ends included), as rows
 * `[points^n, n]`, the last coordinate fastest (so for n = 2 a row of the grid is one y).
 */
export const gridPoints = (domain: ReadonlyArray<Interval>, points: number): Float32Array => {
  const n = domain.length
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
 * over the domain. A zero target gives Infinity (or 0 for a zero error): never NaN. cpu-only (it
 * reads synchronously): on any backend, read {@link relativeL2Parts} and pass the values to
 * {@link relativeL2FromParts}.
 */
export const relativeL2 = (prediction: tf.Tensor, truth: tf.Tensor): ReadonlyArray<number> => {
  const [num, den] = relativeL2Parts(prediction, truth)
  const [n, d] = [num.dataSync(), den.dataSync()]
  tf.dispose([num, den])
  return relativeL2FromParts(n, d)
}

/** The squared norms of {@link relativeL2}, per network: ‖g − f‖₂² and ‖f‖₂² `[K]` (new tensors). */
export const relativeL2Parts = (prediction: tf.Tensor, truth: tf.Tensor): [tf.Tensor, tf.Tensor] =>
  tf.tidy((): [tf.Tensor, tf.Tensor] => [tf.sum(tf.square(tf.sub(prediction, truth)), [1, 2]), tf.sum(tf.square(truth), [1, 2])])

/** {@link relativeL2} from the values of its parts. */
export const relativeL2FromParts = (num: ArrayLike<number>, den: ArrayLike<number>): ReadonlyArray<number> =>
  Array.from(num, (e, k) => (e === 0 ? 0 : Math.sqrt(e / den[k]!)))
