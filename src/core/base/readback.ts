import * as tf from "@tensorflow/tfjs"
import { Effect } from "effect"

/**
 * Reading tensors. The webgpu backend cannot read a tensor synchronously in Node (`dataSync()`
 * fails there: it needs a browser's OffscreenCanvas), so code that may run on it reads every
 * tensor through {@link readback}. `dataSync` is left only in functions documented as
 * **cpu-only**: they need a backend that reads synchronously (cpu, wasm, tensorflow), and a
 * program on webgpu runs them inside {@link onCpu}. A test over the source keeps it so.
 */

type Values<T extends ReadonlyArray<tf.Tensor>> = { readonly [K in keyof T]: Float32Array }

/**
 * The values of `tensors`, read asynchronously, as float32 copies (int32 and bool tensors
 * converted; exact below 2^24), one per tensor in order. Disposes the tensors once read, also when
 * the read fails, unless `keep` (a variable, or a tensor still in use).
 */
export const readback = <const T extends ReadonlyArray<tf.Tensor>>(tensors: T, options: { readonly keep?: boolean } = {}): Effect.Effect<Values<T>> =>
  Effect.promise(() => Promise.all(tensors.map((t) => t.data()))).pipe(
    Effect.map((values) => values.map((v) => Float32Array.from(v as ArrayLike<number>)) as unknown as Values<T>),
    Effect.ensuring(options.keep === true ? Effect.void : Effect.sync(() => tf.dispose([...tensors])))
  )

/** Whether the active backend reads tensors synchronously (every one but webgpu). */
export const readsSynchronously = (): boolean => tf.getBackend() !== "webgpu"

/**
 * Run `effect`, which calls cpu-only functions, with the cpu backend active where the active one
 * cannot read synchronously (webgpu), and switch back afterwards; elsewhere run it as it is. The
 * tensors it makes live on cpu (operations on the GPU afterwards move them there), and it must not
 * use a tensor made on the GPU before it (read that with {@link readback} first).
 */
export const onCpu = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.suspend(() => {
    if (readsSynchronously()) return effect
    const active = tf.getBackend()
    return Effect.acquireUseRelease(
      Effect.promise(() => tf.setBackend("cpu")),
      () => effect,
      () => Effect.promise(() => tf.setBackend(active))
    )
  })
