import * as tf from "@tensorflow/tfjs"
import type { Block, BlockContext } from "../blocks/index.js"
import type { EdgeGraph, PositionKind } from "../blocks/index.js"
import { positionalFeatures } from "../blocks/index.js"

/**
 * A hyperlayer's built-in blocks as one fused operation with its own gradient: the bias of the
 * stage's linear map, then every block reading its slice of the map's output and writing its slice
 * of the next hyperactivation, in one kernel call forward and one backward, where the generic path
 * runs a few hundred TensorFlow.js operations (slices, transposes, concatenations, the attention
 * pools' products and softmax, the KL channel's arithmetic) and their gradients.
 *
 * The kernels are registered by the backend (the wasm backend's, from kernel version 2; see
 * `services/fusedHyperlayer`): where they are not, or a stage holds a block that is not built in (a
 * researcher's own, which has no {@link BlockFusion}), the stage runs the generic path. Both compute
 * the same function; the fused one sums in another order and evaluates exp and log its own way, so
 * the two agree to float32 tolerance (tests compare values and gradients).
 */

/** The kernels' names (registered by the backend that has them). */
export const FUSED_BLOCKS_KERNEL = "HyperlayerBlocks"
export const FUSED_BLOCKS_GRAD_KERNEL = "HyperlayerBlocksGrad"
/** The name of the operation around them, as a profile lists it (beside the kernels it runs). */
export const FUSED_STAGE_SCOPE = "FusedHyperlayer"

/** What a built-in block is, for the fused kernel: its kind and arguments (widths come from the block). */
export type BlockFusion =
  | { readonly kind: "activation" }
  | { readonly kind: "position"; readonly axis: PositionKind }
  | { readonly kind: "noise" }
  | { readonly kind: "learned" }
  | { readonly kind: "embedding"; readonly scale: number }
  | { readonly kind: "attention"; readonly key: number }
  | { readonly kind: "kl"; readonly latent: number }

/**
 * One block of a fused stage: `at` is its first column in the linear map's output (readers),
 * `out` its first column in the stage's output, `width` the columns it writes; `input` names the
 * tensor input it reads (noise, learned and embedding variables, KL samples), if any.
 */
export type FusedBlock =
  | { readonly kind: "activation"; readonly at: number; readonly out: number; readonly width: number }
  | { readonly kind: "position"; readonly out: number; readonly width: number; readonly values: Float32Array }
  | { readonly kind: "noise"; readonly out: number; readonly width: number; readonly input: string }
  | { readonly kind: "learned"; readonly out: number; readonly width: number; readonly input: string | undefined }
  | { readonly kind: "embedding"; readonly out: number; readonly width: number; readonly input: string | undefined; readonly scale: number }
  | { readonly kind: "attention"; readonly at: number; readonly out: number; readonly width: number; readonly key: number }
  | { readonly kind: "kl"; readonly at: number; readonly out: number; readonly width: number; readonly latent: number; readonly input: string }

/** A stage as the fused kernels run it. */
export interface FusedStagePlan {
  readonly graph: EdgeGraph
  readonly batch: number
  readonly sides: 1 | 2
  /** G: columns of the linear map's output (0 for stage 0, which has no map). */
  readonly inputs: number
  /** F: columns of the stage's output. */
  readonly outputs: number
  readonly blocks: ReadonlyArray<FusedBlock>
  /** Whether the stage adds KL (a KL channel with both sides present). */
  readonly kl: boolean
  /** Values of the kernel's second, saved output (σ of each activation, P of each attention pool). */
  readonly aux: number
  /** Where each block's part of `aux` starts (by block index; −1 for blocks that keep none). */
  readonly auxAt: ReadonlyArray<number>
}

/** Whether the fused kernels run on the current backend (registered there, in the kernel version in force). */
export const fusedKernelsActive = (): boolean => tf.getKernel(FUSED_BLOCKS_KERNEL, tf.getBackend()) !== undefined

const positionCache = new Map<string, Float32Array>()
const positions = (graph: EdgeGraph, axis: PositionKind, d: number): Float32Array => {
  const key = `${graph.shape.join(",")}/${axis}/${d}`
  let v = positionCache.get(key)
  if (v === undefined) {
    v = positionalFeatures(graph, axis, d)
    if (positionCache.size > 256) positionCache.clear()
    positionCache.set(key, v)
  }
  return v
}

/** The pools of an attention block: every neuron's incident edges (sizes only, in kernel order). */
export const poolSizes = (graph: EdgeGraph): ReadonlyArray<number> => {
  const layers = graph.layers
  const N = layers.length
  const sizes: Array<number> = []
  for (let m = 0; m <= N; m++) {
    const width = m === 0 ? layers[0]!.rows : layers[m - 1]!.cols
    const s = (m >= 1 ? layers[m - 1]!.rows : 0) + (m < N ? layers[m]!.cols : 0)
    for (let n = 0; n < width; n++) sizes.push(s)
  }
  return sizes
}

/**
 * The fused plan of a stage, or undefined where a block has no fused form (the generic path runs
 * it). `inputs` is the stage's linear map width G (0 for stage 0).
 */
export const fusedStagePlan = (blocks: ReadonlyArray<Block>, context: BlockContext, inputs: number): FusedStagePlan | undefined => {
  const { graph, batch, sides, mode } = context
  const planned: Array<FusedBlock> = []
  const auxAt: Array<number> = []
  let at = 0
  let out = 0
  let aux = 0
  let kl = false
  // each pool keeps its s × s probabilities in rows padded to a multiple of 4
  const perPool = poolSizes(graph).reduce((a, s) => a + s * ((s + 3) & ~3), 0)
  for (const [k, b] of blocks.entries()) {
    const f = b.fused
    if (f === undefined) return undefined
    const width = b.outputs
    let keeps = 0
    switch (f.kind) {
      case "activation":
        planned.push({ kind: "activation", at, out, width })
        keeps = batch * sides * graph.edges * width
        break
      case "position":
        planned.push({ kind: "position", out, width, values: positions(graph, f.axis, width) })
        break
      case "noise":
        planned.push({ kind: "noise", out, width, input: `r${k}` })
        break
      case "learned":
        planned.push({ kind: "learned", out, width, input: sides === 2 ? `p${k}` : undefined })
        break
      case "embedding":
        planned.push({ kind: "embedding", out, width, input: mode === "decoder-only" ? undefined : `p${k}`, scale: f.scale })
        break
      case "attention":
        planned.push({ kind: "attention", at, out, width, key: f.key })
        keeps = batch * sides * perPool
        break
      case "kl":
        planned.push({ kind: "kl", at, out, width, latent: f.latent, input: `r${k}` })
        kl = kl || sides === 2
        break
    }
    auxAt.push(keeps > 0 ? aux : -1)
    aux += keeps
    at += b.inputs
    out += width
  }
  if (at !== inputs) return undefined
  return { graph, batch, sides, inputs, outputs: out, blocks: planned, kl, aux, auxAt }
}

/** The tensor inputs a fused stage reads from its blocks' hyperweights and random inputs, by input name. */
export const fusedStageTensors = (
  plan: FusedStagePlan, blocks: ReadonlyArray<Block>,
  param: (block: Block, name: string) => tf.Tensor, random: (block: Block, name: string) => tf.Tensor
): Record<string, tf.Tensor> => {
  const tensors: Record<string, tf.Tensor> = {}
  plan.blocks.forEach((f, k) => {
    const b = blocks[k]!
    if (f.kind === "noise") tensors[f.input] = random(b, "z")
    else if (f.kind === "kl") tensors[f.input] = random(b, "eps")
    else if ((f.kind === "learned" || f.kind === "embedding") && f.input !== undefined) tensors[f.input] = param(b, "v")
  })
  return tensors
}

/** The engine's entry for an operation with its own gradient, which `tf.customGrad` uses (one output only there). */
interface EngineInternals {
  runKernelFunc: (params: {
    forwardFunc: (backend: tf.KernelBackend, save: (tensors: Array<tf.Tensor>) => void) => Array<tf.Tensor>
    backwardsFunc: (dy: tf.Tensor | Array<tf.Tensor>, saved: Array<tf.Tensor>) => Record<string, () => tf.Tensor>
    inputs: tf.NamedTensorMap
  }) => Array<tf.Tensor>
  runKernel: (name: string, inputs: tf.NamedTensorMap, attrs: Record<string, unknown>) => tf.Tensor | Array<tf.Tensor>
}

/**
 * Run a stage through the fused kernels: `xm` is the linear map's product `[B, S·E, G]` without
 * its bias `bias: [B, G]` (both null for stage 0), `tensors` as {@link fusedStageTensors} gives them.
 * Returns the stage's output `[B, S, E, F]` and, for a stage with a KL channel on both sides, its KL
 * `[B]`. Differentiable in `xm`, `bias` and the hyperweights among `tensors` (and in the random inputs,
 * through generic operations, should anyone ask).
 */
export const applyFusedStage = (
  plan: FusedStagePlan, xm: tf.Tensor | null, bias: tf.Tensor | null, tensors: Readonly<Record<string, tf.Tensor>>
): { readonly output: tf.Tensor; readonly kl?: tf.Tensor } => {
  const engine = tf.engine() as unknown as EngineInternals
  const inputs: tf.NamedTensorMap = { ...tensors }
  if (xm !== null && bias !== null) {
    inputs["xm"] = xm
    inputs["bias"] = bias
  }
  const attrs = { plan }
  const epsNames = plan.blocks.flatMap((b) => (b.kind === "kl" ? [b.input] : []))
  const outs = tf.tidy(FUSED_STAGE_SCOPE, () => engine.runKernelFunc({
    inputs,
    forwardFunc: (_, save) => {
      const all = engine.runKernel(FUSED_BLOCKS_KERNEL, inputs, attrs) as Array<tf.Tensor>
      const kept = all.slice(plan.kl ? 2 : 1)
      // y and aux, then the KL channels' samples: what the gradient kernel reads
      save([...kept, ...epsNames.map((n) => tensors[n]!)])
      return all.slice(0, plan.kl ? 2 : 1)
    },
    backwardsFunc: (dy, saved) => {
      const [dh, dkl] = Array.isArray(dy) ? dy : [dy]
      const keptCount = saved.length - epsNames.length
      const gradInputs: tf.NamedTensorMap = { dh: dh! }
      if (dkl !== undefined) gradInputs["dkl"] = dkl
      if (plan.inputs > 0) gradInputs["y"] = saved[0]!
      if (plan.aux > 0) gradInputs["aux"] = saved[plan.inputs > 0 ? 1 : 0]!
      epsNames.forEach((n, k) => { gradInputs[n] = saved[keptCount + k]! })
      const grads = engine.runKernel(FUSED_BLOCKS_GRAD_KERNEL, gradInputs, attrs) as Array<tf.Tensor>
      const named: Record<string, () => tf.Tensor> = {}
      let g = 0
      if (plan.inputs > 0) {
        const dxm = grads[g++]!
        const dbias = grads[g++]!
        named["xm"] = () => dxm
        named["bias"] = () => dbias
      }
      plan.blocks.forEach((b) => {
        if ((b.kind === "learned" || b.kind === "embedding") && b.input !== undefined) {
          const dv = grads[g++]!
          named[b.input] = () => dv
        } else if (b.kind === "noise") {
          named[b.input] = () => randomGradient(dh!, b.out, b.width)
        } else if (b.kind === "kl") {
          named[b.input] = () => klSampleGradient(plan, dh!, saved[0]!, b)
        }
      })
      return named
    }
  }))
  return plan.kl ? { output: outs[0]!, kl: outs[1]! } : { output: outs[0]! }
}

/** The gradient of a noise block's draws: its output columns summed over the KL sides. */
const randomGradient = (dh: tf.Tensor, out: number, width: number): tf.Tensor =>
  tf.sum(tf.slice(dh, [0, 0, 0, out], [-1, -1, -1, width]), 1)

/** The gradient of a KL channel's samples: the sample's gradient times σ of the side it samples. */
const klSampleGradient = (plan: FusedStagePlan, dh: tf.Tensor, y: tf.Tensor, b: Extract<FusedBlock, { kind: "kl" }>): tf.Tensor =>
  tf.tidy(() => {
    const { batch: B, sides: S, graph: { edges: E } } = plan
    const dz = tf.sum(tf.slice(dh, [0, 0, 0, b.out], [-1, -1, -1, b.latent]), 1)
    const rho = tf.reshape(tf.slice(tf.reshape(y, [B, S, E, plan.inputs]), [0, 0, 0, b.at + b.latent], [B, 1, E, b.latent]), [B, E, b.latent])
    return tf.mul(dz, tf.add(tf.softplus(rho), 1e-3))
  })
