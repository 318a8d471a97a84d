import * as tf from "@tensorflow/tfjs"
import { Effect } from "effect"
import type { Condition } from "../../core/task/index.js"
import type { InputDraws } from "../../core/task/index.js"
import type { Rng } from "./Rng.js"
import { readback } from "../../core/base/index.js"

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

/**
 * A task family's conditions for B generations, `[B, C]` (undefined when the task has none), from
 * the streams `<stream>/<name>`: uniform on each condition's range, or uniformly among its
 * `training` values.
 */
export const drawConditions = (rng: Rng["Service"], stream: string, conditions: ReadonlyArray<Condition>, B: number): Effect.Effect<tf.Tensor | undefined> =>
  Effect.gen(function* () {
    if (conditions.length === 0) return undefined
    const columns: Array<tf.Tensor> = []
    for (const c of conditions) {
      const u = yield* rng.uniform(`${stream}/${c.name}`, [B], 0, 1)
      if (c.training === undefined) {
        columns.push(tf.tidy(() => tf.add(c.min, tf.mul(u, c.max - c.min))))
        u.dispose()
      } else {
        const values = c.training
        const [drawn] = yield* readback([u])
        columns.push(tf.tensor1d(Array.from(drawn, (v) => values[Math.min(values.length - 1, Math.floor(v * values.length))]!)))
      }
    }
    const out = tf.stack(columns, 1)
    tf.dispose(columns)
    return out
  })
