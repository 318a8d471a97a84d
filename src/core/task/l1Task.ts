import * as tf from "@tensorflow/tfjs"
import { Result } from "effect"
import { defineTask, type Task } from "./task.js"
import { taskDescriptions } from "./taskCatalog.js"

/** Mean of ‖x‖₁ for x ~ N(0, I_n): n·sqrt(2/π). */
export const l1Mean = (n: number): number => n * Math.sqrt(2 / Math.PI)
/** Standard deviation of ‖x‖₁ for x ~ N(0, I_n): sqrt(n·(1 − 2/π)). */
export const l1Std = (n: number): number => Math.sqrt(n * (1 - 2 / Math.PI))

/**
 * The normalised L1 target: `(‖x‖₁ − n·sqrt(2/π)) / sqrt(n·(1 − 2/π))` over the last axis, which has
 * zero mean and unit variance for Gaussian x. `[..., n] → [...]`. With `referenceInputs`, n is that
 * width instead of x's own (a network of another width scored on the trained scale).
 */
export const l1Target = (x: tf.Tensor, referenceInputs?: number): tf.Tensor =>
  tf.tidy(() => {
    const n = referenceInputs ?? x.shape[x.rank - 1]!
    return tf.div(tf.sub(tf.sum(tf.abs(x), -1), l1Mean(n)), l1Std(n))
  })

/**
 * Mean squared error of a network's output `[..., S, 1]` against the normalised target of its
 * inputs `x: [..., S, n]`, averaged over the S samples: `[...]`.
 */
export const l1Loss = (prediction: tf.Tensor, x: tf.Tensor): tf.Tensor =>
  tf.tidy(() => tf.mean(tf.square(tf.sub(tf.squeeze(prediction, [-1]), l1Target(x))), -1))

/**
 * The paper's task (§2; ARCHITECTURE.md, "The target network and the task"): inputs `x ~ N(0, I_n0)`, one output, target the L1 norm
 * normalised by {@link l1Target}, loss the mean squared error. A constant predictor scores ≈ 1.
 */
export const l1Task: Task = Result.getOrThrow(defineTask({
  name: "l1",
  description: taskDescriptions["l1"],
  outputs: 1,
  normalisation: "(‖x‖₁ − n·sqrt(2/π)) / sqrt(n·(1 − 2/π)): mean 0, variance 1 for x ~ N(0, I_n)",
  target: (x) => tf.tidy(() => tf.expandDims(l1Target(x), -1)),
  loss: l1Loss,
  targetAt: (x, n) => tf.tidy(() => tf.expandDims(l1Target(x, n), -1))
}))
