import * as tf from "@tensorflow/tfjs"
import { Result } from "effect"
import { l1Target } from "./l1Task.js"
import { chiMoments, maxAbsMoments } from "./specialFunctions.js"
import { defineTask, type Task } from "./task.js"
import { taskDescriptions } from "./taskCatalog.js"

/**
 * Norm tasks beyond the paper's L1, each on Gaussian inputs `x ~ N(0, I_n)` with a target
 * normalised to mean 0 and variance 1 (so that, as for L1, a constant predictor scores ≈ 1).
 */

/** `(‖x‖₂ − μ_n) / σ_n` over the last axis, with the chi distribution's moments: `[..., n] → [...]`. */
export const l2Target = (x: tf.Tensor, referenceInputs?: number): tf.Tensor =>
  tf.tidy(() => {
    const { mean, std } = chiMoments(referenceInputs ?? x.shape[x.rank - 1]!)
    return tf.div(tf.sub(tf.sqrt(tf.sum(tf.square(x), -1)), mean), std)
  })

/** `(max_i |x_i| − μ_n) / σ_n` over the last axis (moments by quadrature): `[..., n] → [...]`. */
export const maxAbsTarget = (x: tf.Tensor, referenceInputs?: number): tf.Tensor =>
  tf.tidy(() => {
    const { mean, std } = maxAbsMoments(referenceInputs ?? x.shape[x.rank - 1]!)
    return tf.div(tf.sub(tf.max(tf.abs(x), -1), mean), std)
  })

/** The Euclidean norm. */
export const l2Task: Task = Result.getOrThrow(defineTask({
  name: "l2",
  description: taskDescriptions["l2"],
  outputs: 1,
  normalisation: "(‖x‖₂ − μ_n) / σ_n with the chi distribution's μ_n = √2·Γ((n+1)/2)/Γ(n/2), σ_n² = n − μ_n²: mean 0, variance 1 for x ~ N(0, I_n)",
  target: (x) => tf.tidy(() => tf.expandDims(l2Target(x), -1)),
  targetAt: (x, n) => tf.tidy(() => tf.expandDims(l2Target(x, n), -1))
}))

/** The largest absolute input. */
export const maxAbsTask: Task = Result.getOrThrow(defineTask({
  name: "max-abs",
  description: taskDescriptions["max-abs"],
  outputs: 1,
  normalisation: "(max_i |x_i| − μ_n) / σ_n with μ_n, σ_n the moments of the maximum of n half-normals (by quadrature): mean 0, variance 1 for x ~ N(0, I_n)",
  target: (x) => tf.tidy(() => tf.expandDims(maxAbsTarget(x), -1)),
  targetAt: (x, n) => tf.tidy(() => tf.expandDims(maxAbsTarget(x, n), -1))
}))

/** Two outputs at once: the L1 and the L∞ norm, each normalised; the loss averages both. */
export const l1LinfTask: Task = Result.getOrThrow(defineTask({
  name: "l1-linf",
  description: taskDescriptions["l1-linf"],
  outputs: 2,
  normalisation: "output 0 as task l1, output 1 as task max-abs: each mean 0, variance 1 for x ~ N(0, I_n)",
  target: (x) => tf.tidy(() => tf.stack([l1Target(x), maxAbsTarget(x)], -1)),
  targetAt: (x, n) => tf.tidy(() => tf.stack([l1Target(x, n), maxAbsTarget(x, n)], -1))
}))
