import * as tf from "@tensorflow/tfjs"
import { Result } from "effect"
import type { Condition } from "./condition.js"
import { defineTask, type Task } from "./task.js"
import { taskDescriptions } from "./taskCatalog.js"

/**
 * The signed distance field of an axis-aligned square of half-width h centred at (c, 0), on the
 * plane: negative inside, zero on the boundary, positive outside, |∇sdf| = 1 away from the
 * diagonals inside (its medial axis). With q = (|x − c| − h, |y| − h):
 * `sdf = ‖max(q, 0)‖ + min(max(q_x, q_y), 0)` (the exact box SDF, Quilez, "2D distance functions").
 * In double precision, for tests and ground truth.
 */
export const boxSdf = (halfWidth: number, centre: number, x: number, y: number): number => {
  const qx = Math.abs(x - centre) - halfWidth
  const qy = Math.abs(y) - halfWidth
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0)
}

/**
 * {@link boxSdf} as tensors: `p: [..., S, 2]`, `condition: [..., 2]` (half-width, centre; one per
 * network) → `[..., S, 1]`. Pure; float32.
 */
export const boxSdfTarget = (p: tf.Tensor, condition: tf.Tensor): tf.Tensor =>
  tf.tidy(() => {
    const [h, c] = tf.split(tf.expandDims(condition, -2), 2, -1) as [tf.Tensor, tf.Tensor] // [..., 1, 1] each
    const [x, y] = tf.split(p, 2, -1) as [tf.Tensor, tf.Tensor]
    const qx = tf.sub(tf.abs(tf.sub(x, c)), h)
    const qy = tf.sub(tf.abs(y), h)
    const outside = tf.sqrt(tf.add(tf.square(tf.relu(qx)), tf.square(tf.relu(qy))))
    return tf.add(outside, tf.minimum(tf.maximum(qx, qy), 0))
  })

/** The half-width h of the `sdf` family, trained on 0.2, 0.3, 0.4, 0.5. */
export const boxHalfWidth: Condition = { name: "size", min: 0.2, max: 0.5, training: [0.2, 0.3, 0.4, 0.5], reference: 0.35 }
/** The centre's x of the `sdf` family, trained on −0.4, −0.2, 0, 0.2, 0.4. */
export const boxCentre: Condition = { name: "position", min: -0.4, max: 0.4, training: [-0.4, -0.2, 0, 0.2, 0.4], reference: 0 }

/** Held-out (size, position) pairs inside the training ranges (interpolation). */
export const boxInterpolation: ReadonlyArray<ReadonlyArray<number>> = [[0.25, -0.1], [0.35, 0.3], [0.45, 0.1], [0.33, -0.27]]
/** (size, position) pairs beyond the training ranges (extrapolation). */
export const boxExtrapolation: ReadonlyArray<ReadonlyArray<number>> = [[0.6, 0], [0.35, 0.55], [0.12, -0.5]]

/**
 * The task family `sdf`: f_c(p) = the signed distance from p ~ U[−1, 1]² to a square of
 * half-width `size` centred at (`position`, 0); two inputs, one output; trained on the 4 × 5 grid
 * of {@link boxHalfWidth} × {@link boxCentre}.
 */
export const boxSdfTask: Task = Result.getOrThrow(defineTask({
  name: "sdf",
  description: taskDescriptions["sdf"],
  outputs: 1,
  inputs: { min: 2, max: 2 },
  normalisation: "none: the signed distance in the domain's units, so |∇f| = 1 holds for the target as for the field; its root mean square over p ~ U[−1, 1]² is 0.31–0.69 across the training grid",
  conditions: [boxHalfWidth, boxCentre],
  sampleInputs: (draws, shape) => draws.uniform(shape, -1, 1),
  target: (p, condition) => {
    if (condition === undefined) throw new Error("task sdf is a family: its target needs the condition (size, position)")
    return boxSdfTarget(p, condition)
  }
}))
