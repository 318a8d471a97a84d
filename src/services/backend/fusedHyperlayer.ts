import * as tf from "@tensorflow/tfjs"
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm"
import type { EdgeGraph } from "../../layers/blocks/index.js"
import { FUSED_BLOCKS_GRAD_KERNEL, FUSED_BLOCKS_KERNEL, type FusedBlock, type FusedStagePlan } from "../../layers/hypernetwork/index.js"
import type { HyperlayerKernels, WasmSimd } from "./wasmSimd.js"

/**
 * The fused hyperlayer kernels (`layers/fusedStage`) on the wasm backend: the forward kernel
 * outputs the stage's hyperactivation, its KL (when the stage has one), the biased linear map y
 * and the values its gradient needs (σ of each activation block, P of each attention pool); the
 * gradient kernel turns the output's gradient into y's (which is the product's), the bias's and
 * the learned variables'. Everything runs in WebAssembly SIMD (`wasmHyperlayer`).
 */

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap }

/** Every neuron's pool of incident edges: members' rows in y and h (offsets in values), pool sizes. */
interface PoolIndex {
  /** Per member: its (q, key, v) in y, relative to the first row of a (generation, side). */
  readonly yIdx: Int32Array
  /** Per member: where its k outputs go in h. */
  readonly hIdx: Int32Array
  /** Per pool: first member, size s, offset of its probabilities (s rows of s rounded up to 4) among the pools'. */
  readonly pools: Int32Array
  /** P's values per (generation, side). */
  readonly perSlice: number
  readonly maxSize: number
}

const poolCache = new Map<string, PoolIndex>()

const poolIndex = (graph: EdgeGraph, G: number, F: number, at: number, out: number, k: number): PoolIndex => {
  const key = `${graph.shape.join(",")}/${G}/${F}/${at}/${out}/${k}`
  const cached = poolCache.get(key)
  if (cached !== undefined) return cached
  const layers = graph.layers
  const N = layers.length
  const yIdx: Array<number> = []
  const hIdx: Array<number> = []
  const pools: Array<number> = []
  let perSlice = 0
  let maxSize = 0
  for (let m = 0; m <= N; m++) {
    const width = m === 0 ? layers[0]!.rows : layers[m - 1]!.cols
    for (let n = 0; n < width; n++) {
      const start = yIdx.length
      // incoming edges (i → n) of weight layer m send their front triple; outgoing edges (n → j) of
      // weight layer m + 1 their behind triple
      if (m >= 1) {
        const { rows, cols, offset } = layers[m - 1]!
        for (let i = 0; i < rows; i++) {
          const e = offset + i * cols + n
          yIdx.push(e * G + at)
          hIdx.push(e * F + out)
        }
      }
      if (m < N) {
        const { cols, offset } = layers[m]!
        for (let j = 0; j < cols; j++) {
          const e = offset + n * cols + j
          yIdx.push(e * G + at + 3 * k)
          hIdx.push(e * F + out + k)
        }
      }
      const s = yIdx.length - start
      pools.push(start, s, perSlice)
      perSlice += s * ((s + 3) & ~3)
      maxSize = Math.max(maxSize, s)
    }
  }
  const index = { yIdx: Int32Array.from(yIdx), hIdx: Int32Array.from(hIdx), pools: Int32Array.from(pools), perSlice, maxSize }
  if (poolCache.size > 256) poolCache.clear()
  poolCache.set(key, index)
  return index
}

/** Scratch of the attention kernels for pools of up to s members of key width k, in bytes. */
const attentionScratch = (s: number, k: number): number => {
  const sp = (s + 3) & ~3
  return 4 * (3 * s * k + 4 * k * sp + 2 * sp) + 64
}

/** Heap allocations of one kernel call, freed together. */
const arena = (kernels: HyperlayerKernels) => {
  const taken: Array<number> = []
  return {
    take: (bytes: number): number => {
      const p = kernels.malloc(Math.max(16, bytes))
      taken.push(p)
      return p
    },
    free: () => taken.forEach((p) => kernels.free(p))
  }
}

/** Copy an index array onto the heap; returns its address. */
const onHeap = (kernels: HyperlayerKernels, take: (bytes: number) => number, values: Int32Array): number => {
  const p = take(4 * values.length)
  new Int32Array(kernels.heap(), p, values.length).set(values)
  return p
}

/** What the forward and backward kernels both start from: the wasm backend, its kernels, the stage's plan and sizes. */
const kernelContext = (simd: (backend: BackendWasm) => WasmSimd, b: unknown, attrs: KernelArgs["attrs"]) => {
  const backend = b as BackendWasm
  const plan = attrs!["plan"] as unknown as FusedStagePlan
  const { batch: B, sides: S, graph, inputs: G, outputs: F } = plan
  const E = graph.edges
  return { backend, kernels: simd(backend).hyperlayer, plan, B, S, graph, G, F, E, rows: B * S * E }
}

const forward = (simd: (backend: BackendWasm) => WasmSimd) => ({ inputs, backend: b, attrs }: KernelArgs): Array<tf.TensorInfo> => {
  const { backend, kernels, plan, B, S, graph, G, F, E, rows } = kernelContext(simd, b, attrs)
  const h = backend.makeOutput([B, S, E, F], "float32")
  const kl = plan.kl ? backend.makeOutput([B], "float32") : undefined
  const y = G > 0 ? backend.makeOutput([B, S, E, G], "float32") : undefined
  const aux = plan.aux > 0 ? backend.makeOutput([plan.aux], "float32") : undefined
  const addr = kernels.address
  const mem = arena(kernels)
  if (y !== undefined) kernels.addBias(addr(inputs["xm"]!), addr(y), addr(inputs["bias"]!), B, S * E, G)
  const hA = addr(h)
  const yA = y === undefined ? 0 : addr(y)
  const klSums = new Float64Array(B)
  for (const [k, f] of plan.blocks.entries()) {
    switch (f.kind) {
      case "activation":
        kernels.swish(yA + 4 * f.at, 4 * G, hA + 4 * f.out, 4 * F, addr(aux!) + 4 * plan.auxAt[k]!, rows, f.width)
        break
      case "position": {
        const values = mem.take(4 * f.values.length)
        new Float32Array(kernels.heap(), values, f.values.length).set(f.values)
        for (let bs = 0; bs < B * S; bs++) kernels.copyRows(values, 4 * f.width, hA + 4 * (bs * E * F + f.out), 4 * F, E, f.width)
        break
      }
      case "noise": {
        const z = addr(inputs[f.input]!)
        for (let bb = 0; bb < B; bb++) {
          for (let s = 0; s < S; s++) kernels.copyRows(z + 4 * bb * E * f.width, 4 * f.width, hA + 4 * ((bb * S + s) * E * F + f.out), 4 * F, E, f.width)
        }
        break
      }
      case "learned":
      case "embedding":
        sourceVariables(kernels, plan, f, f.input === undefined ? 0 : addr(inputs[f.input]!), hA)
        break
      case "attention": {
        const index = poolIndex(graph, G, F, f.at, f.out, f.key)
        const yIdx = onHeap(kernels, mem.take, index.yIdx)
        const hIdx = onHeap(kernels, mem.take, index.hIdx)
        const scratch = mem.take(attentionScratch(index.maxSize, f.key))
        const scale = Math.fround(1 / Math.sqrt(f.key))
        const pA = addr(aux!) + 4 * plan.auxAt[k]!
        for (let bs = 0; bs < B * S; bs++) {
          const yBase = yA + 4 * bs * E * G
          const hBase = hA + 4 * bs * E * F
          const pBase = pA + 4 * bs * index.perSlice
          for (let p = 0; p < index.pools.length; p += 3) {
            const start = index.pools[p]!
            kernels.attnFwd(yBase, yIdx + 4 * start, hBase, hIdx + 4 * start, index.pools[p + 1]!, f.key, scale, pBase + 4 * index.pools[p + 2]!, scratch)
          }
        }
        break
      }
      case "kl": {
        const L = f.latent
        const epsA = addr(inputs[f.input]!)
        for (let b = 0; b < B; b++) {
          const [q, p] = [b * S * E, (b * S + S - 1) * E]
          klSums[b] = klSums[b]! + kernels.klFwd(yA + 4 * (q * G + f.at), yA + 4 * (p * G + f.at), epsA + 4 * b * E * L, hA + 4 * (q * F + f.out), hA + 4 * (p * F + f.out), E, L, 4 * G, 4 * F, S)
        }
        break
      }
    }
  }
  mem.free()
  if (kl !== undefined) new Float32Array(kernels.heap(), addr(kl), B).set(klSums)
  return [h, ...(kl === undefined ? [] : [kl]), ...(y === undefined ? [] : [y]), ...(aux === undefined ? [] : [aux])]
}

/** Learned variables (encoder side; zeros on the decoder side) and embeddings (scaled, every side; zeros decoder-only). */
const sourceVariables = (kernels: HyperlayerKernels, plan: FusedStagePlan, f: Extract<FusedBlock, { kind: "learned" | "embedding" }>, v: number, hA: number): void => {
  const { batch: B, sides: S, graph: { edges: E }, outputs: F } = plan
  const w = f.width
  const hv = new Float32Array(kernels.heap(), hA, B * S * E * F)
  const vv = v === 0 ? undefined : new Float32Array(kernels.heap(), v, B * E * w)
  const scale = f.kind === "embedding" ? f.scale : 1
  for (let b = 0; b < B; b++) {
    for (let s = 0; s < S; s++) {
      const source = vv !== undefined && (f.kind === "embedding" || s === 0)
      if (source && scale === 1) {
        kernels.copyRows(v + 4 * b * E * w, 4 * w, hA + 4 * ((b * S + s) * E * F + f.out), 4 * F, E, w)
        continue
      }
      for (let e = 0; e < E; e++) {
        const o = ((b * S + s) * E + e) * F + f.out
        for (let c = 0; c < w; c++) hv[o + c] = source ? Math.fround(vv![(b * E + e) * w + c]! * scale) : 0
      }
    }
  }
}

const backwardKernel = (simd: (backend: BackendWasm) => WasmSimd) => ({ inputs, backend: b, attrs }: KernelArgs): Array<tf.TensorInfo> => {
  const { backend, kernels, plan, B, S, graph, G, F, E, rows } = kernelContext(simd, b, attrs)
  const dy = G > 0 ? backend.makeOutput([B, S * E, G], "float32") : undefined
  const dbias = G > 0 ? backend.makeOutput([B, G], "float32") : undefined
  const dvs = plan.blocks.flatMap((f) => ((f.kind === "learned" || f.kind === "embedding") && f.input !== undefined ? [backend.makeOutput([B, E, f.width], "float32")] : []))
  const addr = kernels.address
  const mem = arena(kernels)
  const dhA = addr(inputs["dh"]!)
  const yA = G > 0 ? addr(inputs["y"]!) : 0
  const dyA = dy === undefined ? 0 : addr(dy)
  // the KL's gradient per generation (read before any allocation can move the heap)
  const dkl = inputs["dkl"] === undefined ? undefined : Float32Array.from(new Float32Array(kernels.heap(), addr(inputs["dkl"]), B))
  let d = 0
  for (const [k, f] of plan.blocks.entries()) {
    switch (f.kind) {
      case "activation":
        kernels.swishGrad(yA + 4 * f.at, 4 * G, addr(inputs["aux"]!) + 4 * plan.auxAt[k]!, dhA + 4 * f.out, 4 * F, dyA + 4 * f.at, 4 * G, rows, f.width)
        break
      case "learned":
      case "embedding":
        if (f.input !== undefined) variablesGradient(kernels, plan, f, dhA, addr(dvs[d++]!))
        break
      case "attention": {
        const index = poolIndex(graph, G, F, f.at, f.out, f.key)
        const yIdx = onHeap(kernels, mem.take, index.yIdx)
        const hIdx = onHeap(kernels, mem.take, index.hIdx)
        const scratch = mem.take(attentionScratch(index.maxSize, f.key))
        const scale = Math.fround(1 / Math.sqrt(f.key))
        const pA = addr(inputs["aux"]!) + 4 * plan.auxAt[k]!
        for (let bs = 0; bs < B * S; bs++) {
          const yBase = yA + 4 * bs * E * G
          const dhBase = dhA + 4 * bs * E * F
          const dyBase = dyA + 4 * bs * E * G
          const pBase = pA + 4 * bs * index.perSlice
          for (let p = 0; p < index.pools.length; p += 3) {
            const start = index.pools[p]!
            kernels.attnBwd(yBase, yIdx + 4 * start, dhBase, hIdx + 4 * start, dyBase, index.pools[p + 1]!, f.key, scale, pBase + 4 * index.pools[p + 2]!, scratch)
          }
        }
        break
      }
      case "kl":
        klBackward(kernels, plan, f, yA, addr(inputs[f.input]!), dhA, dkl, dyA)
        break
      case "position":
      case "noise":
        break
    }
  }
  if (dy !== undefined) kernels.colSums(dyA, addr(dbias!), B, S * E, G)
  mem.free()
  return [...(dy === undefined ? [] : [dy, dbias!]), ...dvs]
}

/** The learned variables' gradient (the encoder side's columns) and the embeddings' (scale × the sides' sum). */
const variablesGradient = (kernels: HyperlayerKernels, plan: FusedStagePlan, f: Extract<FusedBlock, { kind: "learned" | "embedding" }>, dhA: number, dvA: number): void => {
  const { batch: B, sides: S, graph: { edges: E }, outputs: F } = plan
  const w = f.width
  if (f.kind === "learned" || (S === 1 && f.scale === 1)) {
    for (let b = 0; b < B; b++) kernels.copyRows(dhA + 4 * ((b * S) * E * F + f.out), 4 * F, dvA + 4 * b * E * w, 4 * w, E, w)
    return
  }
  const heap = kernels.heap()
  const dh = new Float32Array(heap, dhA, B * S * E * F)
  const dv = new Float32Array(heap, dvA, B * E * w)
  for (let b = 0; b < B; b++) {
    for (let e = 0; e < E; e++) {
      for (let c = 0; c < w; c++) {
        let sum = 0
        for (let s = 0; s < S; s++) sum += dh[((b * S + s) * E + e) * F + f.out + c]!
        dv[(b * E + e) * w + c] = sum * f.scale
      }
    }
  }
}

/** The KL channel's gradient, per generation (`klBwd`). */
const klBackward = (kernels: HyperlayerKernels, plan: FusedStagePlan, f: Extract<FusedBlock, { kind: "kl" }>, yA: number, epsA: number, dhA: number, dkl: Float32Array | undefined, dyA: number): void => {
  const { batch: B, sides: S, graph: { edges: E }, inputs: G, outputs: F } = plan
  const L = f.latent
  for (let b = 0; b < B; b++) {
    const [q, p] = [b * S * E, (b * S + S - 1) * E]
    kernels.klBwd(yA + 4 * (q * G + f.at), yA + 4 * (p * G + f.at), epsA + 4 * b * E * L, dhA + 4 * (q * F + f.out), dhA + 4 * (p * F + f.out),
      dyA + 4 * (q * G + f.at), dyA + 4 * (p * G + f.at), E, L, 4 * G, 4 * F, S, dkl === undefined ? 0 : dkl[b]!)
  }
}

/** Register the fused kernels on the wasm backend (once per process). */
export const registerFusedHyperlayer = (simd: (backend: BackendWasm) => WasmSimd): void => {
  if (tf.getKernel(FUSED_BLOCKS_KERNEL, "wasm") !== undefined) return
  tf.registerKernel({ kernelName: FUSED_BLOCKS_KERNEL, backendName: "wasm", kernelFunc: forward(simd) as unknown as tf.KernelFunc })
  tf.registerKernel({ kernelName: FUSED_BLOCKS_GRAD_KERNEL, backendName: "wasm", kernelFunc: backwardKernel(simd) as unknown as tf.KernelFunc })
}

/** Unregister them (kernel version 1: every stage through the generic path). */
export const unregisterFusedHyperlayer = (): void => {
  if (tf.getKernel(FUSED_BLOCKS_KERNEL, "wasm") === undefined) return
  tf.unregisterKernel(FUSED_BLOCKS_KERNEL, "wasm")
  tf.unregisterKernel(FUSED_BLOCKS_GRAD_KERNEL, "wasm")
}
