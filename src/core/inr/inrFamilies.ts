import { Result } from "effect"
import { boxExtrapolation, boxInterpolation, boxSdfTask } from "../task/index.js"
import { heatForecastTimes, heatInterpolationTimes, heatTask } from "../task/index.js"
import { defineInrFamily, type InrFamily } from "./inrFamily.js"

/**
 * `heat`: the 1-D heat equation's solution x ↦ u(x, t), condition t; trained on t = 0, 0.1, …, 1,
 * interpolation at t = 0.05, 0.35, 0.65, 0.95, forecasting at t = 1.1, 1.25, 1.5. Target network
 * `[1, 32, 32, 1]`.
 */
export const heatFamily: InrFamily = Result.getOrThrow(defineInrFamily({
  task: heatTask,
  domain: [{ min: 0, max: 1 }],
  shape: [1, 32, 32, 1],
  interpolation: heatInterpolationTimes.map((t) => [t]),
  extrapolation: heatForecastTimes.map((t) => [t]),
  extrapolationLabel: "forecast"
}))

/**
 * `sdf`: the signed distance field of a square on [−1, 1]², conditions size (half-width) and
 * position (centre x); trained on a 4 × 5 grid, four interpolation and three extrapolation
 * conditions. Target network `[2, 32, 32, 1]`.
 */
export const sdfFamily: InrFamily = Result.getOrThrow(defineInrFamily({
  task: boxSdfTask,
  domain: [{ min: -1, max: 1 }, { min: -1, max: 1 }],
  shape: [2, 32, 32, 1],
  interpolation: boxInterpolation,
  extrapolation: boxExtrapolation
}))

/** The built-in INR families, by name. */
export const inrFamilies: ReadonlyArray<InrFamily> = [heatFamily, sdfFamily]
