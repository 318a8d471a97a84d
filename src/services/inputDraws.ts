import { Effect } from "effect"
import type { InputDraws } from "../core/task.js"
import type { Rng } from "./Rng.js"

/** Draws that advance `stream` (training batches: each call takes the next numbers). */
export const streamDraws = (rng: Rng["Service"], stream: string): InputDraws => ({
  normal: (shape) => rng.normal(stream, shape),
  uniform: (shape, low, high) => rng.uniform(stream, shape, low, high)
})

/**
 * Draws at fixed positions of `stream`, from its start, leaving the Rng's state alone: the same
 * numbers every time the same sequence of draws is asked for (common random numbers for
 * evaluation). Two normals or uniforms take one counter block.
 */
export const fixedDraws = (rng: Rng["Service"], stream: string): InputDraws => {
  let counter = 0
  const advance = (shape: ReadonlyArray<number>) => {
    const at = counter
    counter += Math.ceil(shape.reduce((a, b) => a * b, 1) / 2)
    return at
  }
  return {
    normal: (shape) => Effect.suspend(() => rng.normalAt(stream, advance(shape), shape)),
    uniform: (shape, low, high) => Effect.suspend(() => rng.uniformAt(stream, advance(shape), shape, low, high))
  }
}
