import * as tf from "@tensorflow/tfjs"
import { Result } from "effect"
import type { Condition } from "./condition.js"
import { defineTask, type Task } from "./task.js"
import { taskDescriptions } from "./taskCatalog.js"

/**
 * The 1-D heat equation `u_t = D·u_xx` on x ∈ [0, 1] with Dirichlet boundaries `u(0, t) = u(1, t) = 0`
 * and initial condition `u(x, 0) = Σ_k a_k sin(kπx)`: its solution is the series
 * `u(x, t) = Σ_k a_k sin(kπx) e^(−k²π²Dt)` (separation of variables; each mode decays at its own rate
 * k²π²D). The standard test problem of PDE forecasting with hypernetworks: a hypernetwork given t
 * generates the network of x ↦ u(x, t).
 */
export interface HeatSeries {
  /** a_1 … a_K: the coefficient of mode k = 1 … K of the initial condition. */
  readonly coefficients: ReadonlyArray<number>
  /** D > 0, the diffusivity (units of x² per unit of t). */
  readonly diffusivity: number
}

/**
 * The series of the `heat` family: four modes a = (1, −0.6, 0.4, −0.25), D = 0.05. Mode k decays at
 * k²π²D = 0.49, 1.97, 4.44, 7.90 per unit of t: over t ∈ [0, 1] the profile goes from four
 * visible bumps to nearly sin(πx), and beyond t = 1 mostly fades.
 */
export const heatSeries: HeatSeries = { coefficients: [1, -0.6, 0.4, -0.25], diffusivity: 0.05 }

/** u(x, t) of a series, in double precision (for tests and ground truth). */
export const heatSolution = (series: HeatSeries, x: number, t: number): number =>
  series.coefficients.reduce((u, a, i) => {
    const k = i + 1
    return u + a * Math.sin(k * Math.PI * x) * Math.exp(-k * k * Math.PI * Math.PI * series.diffusivity * t)
  }, 0)

/**
 * The root mean square of u(·, 0) over x ∈ [0, 1]: `sqrt(Σ a_k² / 2)` (the modes are orthogonal,
 * ∫₀¹ sin²(kπx) dx = 1/2). The family's targets are divided by it.
 */
export const heatScale = (series: HeatSeries): number => Math.sqrt(series.coefficients.reduce((s, a) => s + a * a, 0) / 2)

/**
 * u(x, t) / {@link heatScale} as tensors: `x: [..., S, 1]` and `t: [..., 1]` (one time per network)
 * → `[..., S, 1]`. Pure; float32.
 */
export const heatTarget = (series: HeatSeries, x: tf.Tensor, t: tf.Tensor): tf.Tensor =>
  tf.tidy(() => {
    const K = series.coefficients.length
    const k = tf.range(1, K + 1, 1, "float32")
    const modes = tf.sin(tf.mul(x, tf.mul(k, Math.PI))) // [..., S, K]
    const decay = tf.exp(tf.mul(tf.expandDims(t, -2), tf.mul(tf.square(k), -Math.PI * Math.PI * series.diffusivity))) // [..., 1, K]
    const a = tf.tensor1d([...series.coefficients].map((c) => c / heatScale(series)))
    return tf.sum(tf.mul(tf.mul(modes, decay), a), -1, true)
  })

/** The times the `heat` family trains on: t = 0, 0.1, …, 1. */
export const heatTrainingTimes: ReadonlyArray<number> = Array.from({ length: 11 }, (_, k) => k / 10)
/** Held-out times inside the training range (interpolation). */
export const heatInterpolationTimes: ReadonlyArray<number> = [0.05, 0.35, 0.65, 0.95]
/** Times beyond the training range (forecasting). */
export const heatForecastTimes: ReadonlyArray<number> = [1.1, 1.25, 1.5]

/** The condition t of the `heat` family: scaled to [−1, 1] over the training range [0, 1]. */
export const heatTime: Condition = { name: "t", min: 0, max: 1, training: heatTrainingTimes, reference: 0.5 }

/**
 * The task family `heat`: f_t(x) = u(x, t) of {@link heatSeries} for one input x ~ U[0, 1] and one
 * output; condition t, trained on {@link heatTrainingTimes}.
 */
export const heatTask: Task = Result.getOrThrow(defineTask({
  name: "heat",
  description: taskDescriptions["heat"],
  outputs: 1,
  inputs: { min: 1, max: 1 },
  normalisation: "u(x, t) / sqrt(Σ a_k²/2): mean square 1 over x ~ U[0, 1] at t = 0 (0.78 at t = 0.1, 0.42 at t = 0.5, 0.24 at t = 1, 0.14 at t = 1.5: the modes decay)",
  conditions: [heatTime],
  sampleInputs: (draws, shape) => draws.uniform(shape, 0, 1),
  target: (x, condition) => {
    if (condition === undefined) throw new Error("task heat is a family: its target needs the condition t")
    return heatTarget(heatSeries, x, condition)
  }
}))
