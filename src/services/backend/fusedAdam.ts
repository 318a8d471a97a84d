import * as tf from "@tensorflow/tfjs"
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm"
import type { WasmSimd } from "./wasmSimd.js"

/**
 * Adam in one kernel per parameter on the wasm backend, bit for bit TensorFlow.js's
 * `AdamOptimizer.applyGradients`: that runs twelve elementwise kernels per parameter (and makes a
 * scalar tensor for each constant), this one pass (`wasmSimd`'s `adam`) with the same operations
 * in the same order, each rounded to float32 as those kernels round it. The optimizer's own
 * moments, bias-correction accumulators and iteration count are updated as it updates them, so
 * its checkpoints and a later `applyGradients` carry on unchanged.
 */

/** The kernel's name (registered on wasm from kernel version 2). */
export const FUSED_ADAM_KERNEL = "FusedAdam"

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap }

/** What `applyAdam` reads and updates of a TensorFlow.js AdamOptimizer (its fields, 4.22). */
interface AdamInternals {
  readonly beta1: number
  readonly beta2: number
  readonly epsilon: number
  readonly learningRate: number
  readonly accBeta1: tf.Variable
  readonly accBeta2: tf.Variable
  readonly accumulatedFirstMoment: ReadonlyArray<{ readonly variable: tf.Variable } | null | undefined>
  readonly accumulatedSecondMoment: ReadonlyArray<{ readonly variable: tf.Variable } | null | undefined>
  readonly incrementIterations: () => void
}

const kernel = (simd: (backend: BackendWasm) => WasmSimd) => ({ inputs, backend: b, attrs }: KernelArgs): Array<tf.TensorInfo> => {
  const backend = b as BackendWasm
  const s = simd(backend)
  const [x, m, v, g] = [inputs["x"]!, inputs["m"]!, inputs["v"]!, inputs["g"]!]
  const a = s.hyperlayer.address
  // 1 − β^t, as TensorFlow.js computes it in float32 (exactly rounded: 1 − x is exact in double for a float32 x)
  const [a1, a2] = [inputs["accBeta1"]!, inputs["accBeta2"]!].map((t) => Math.fround(1 - new Float32Array(s.hyperlayer.heap(), a(t), 1)[0]!))
  const outs = [x, m, v].map((t) => backend.makeOutput([...t.shape], "float32"))
  const k = attrs as unknown as Record<"b1" | "c1" | "b2" | "c2" | "eps" | "nlr", number>
  s.adam(a(x), a(m), a(v), a(g), a(outs[0]!), a(outs[1]!), a(outs[2]!), tf.util.sizeFromShape(x.shape), k.b1, k.c1, k.b2, k.c2, a1!, a2!, k.eps, k.nlr)
  return outs
}

export const registerFusedAdam = (simd: (backend: BackendWasm) => WasmSimd): void => {
  if (tf.getKernel(FUSED_ADAM_KERNEL, "wasm") === undefined) tf.registerKernel({ kernelName: FUSED_ADAM_KERNEL, backendName: "wasm", kernelFunc: kernel(simd) as unknown as tf.KernelFunc })
}

export const unregisterFusedAdam = (): void => {
  if (tf.getKernel(FUSED_ADAM_KERNEL, "wasm") !== undefined) tf.unregisterKernel(FUSED_ADAM_KERNEL, "wasm")
}

/**
 * `optimizer.applyGradients` for `params` and their `grads` (same order): through the fused kernel
 * where it runs (and the optimizer's moments exist, i.e. after its first step), else the
 * optimizer's own. The same numbers either way.
 */
export const applyAdam = (optimizer: tf.AdamOptimizer, params: ReadonlyArray<tf.Variable>, grads: ReadonlyArray<tf.Tensor>): void => {
  const o = optimizer as unknown as AdamInternals
  const ready = params.every((_, k) => o.accumulatedFirstMoment[k] != null && o.accumulatedSecondMoment[k] != null)
  if (!ready || tf.getKernel(FUSED_ADAM_KERNEL, tf.getBackend()) === undefined) {
    optimizer.applyGradients(params.map((p, k) => ({ name: p.name, tensor: grads[k]! })))
    return
  }
  // TensorFlow.js's scalars: constants as float32 tensors (1 − β^t is read by the kernel)
  const f = Math.fround
  const attrs = { b1: f(o.beta1), c1: f(1 - o.beta1), b2: f(o.beta2), c2: f(1 - o.beta2), eps: f(o.epsilon), nlr: f(-o.learningRate) }
  const engine = tf.engine() as unknown as { runKernel: (name: string, inputs: tf.NamedTensorMap, attrs: Record<string, number>) => Array<tf.Tensor> }
  tf.tidy(() => {
    params.forEach((x, k) => {
      const m = o.accumulatedFirstMoment[k]!.variable
      const v = o.accumulatedSecondMoment[k]!.variable
      const [x2, m2, v2] = engine.runKernel(FUSED_ADAM_KERNEL, { x, m, v, g: grads[k]!, accBeta1: o.accBeta1, accBeta2: o.accBeta2 }, attrs)
      m.assign(m2!)
      v.assign(v2!)
      x.assign(x2!)
    })
    o.accBeta1.assign(tf.mul(o.accBeta1, o.beta1))
    o.accBeta2.assign(tf.mul(o.accBeta2, o.beta2))
  })
  o.incrementIterations()
}
