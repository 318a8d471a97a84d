import * as tf from "@tensorflow/tfjs"
import "@tensorflow/tfjs-backend-wasm"
import { expect } from "vitest"

/** Select a backend for a test file. */
export const useBackend = async (name: "cpu" | "wasm"): Promise<void> => {
  await tf.setBackend(name)
  await tf.ready()
}

/** Run `f` and check it left no tensor behind; returns f's result. */
export const noLeak = <A>(f: () => A): A => {
  const before = tf.memory().numTensors
  const out = f()
  expect(tf.memory().numTensors).toBe(before)
  return out
}

/** As {@link noLeak}, for async work. */
export const noLeakAsync = async <A>(f: () => Promise<A>): Promise<A> => {
  const before = tf.memory().numTensors
  const out = await f()
  expect(tf.memory().numTensors).toBe(before)
  return out
}

/** Read a tensor's values and dispose it. */
export const take = (t: tf.Tensor): Float32Array => {
  const v = t.dataSync() as Float32Array
  t.dispose()
  return Float32Array.from(v)
}
