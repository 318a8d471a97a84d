import * as tf from "@tensorflow/tfjs"
import { Data, Result } from "effect"
import { type NetShape } from "../core/netShape.js"
import { type NetWeights, netWeightsOrThrow } from "../core/network.js"
import type { Block, BlockContext, GenerationMode, ParamSpec, TensorSpec } from "./block.js"
import { edgeGraph, type EdgeGraph, sameShape } from "./edgeGraph.js"
import { DECODER } from "./hyperactivation.js"
import { linearMap } from "./linearMap.js"

/** A hyperlayer: blocks applied side by side to slices of one linear map's output. */
export interface Hyperlayer {
  readonly blocks: ReadonlyArray<Block>
}

/**
 * A hypernetwork: stage 0 is a hyperlayer of source blocks only (it builds H0 from nothing); each
 * later stage k is `blocks(H_(k−1)·M_k + m_k)`; a read-out map `H·M + m` gives `readout` features
 * on the decoder side: feature 0 is `W^(l)_ij`, feature 1 averaged over i is `b^(l)_j`.
 */
export interface Hypernetwork {
  readonly stages: ReadonlyArray<Hyperlayer>
  readonly readout: number
}

export class HypernetworkSpecError extends Data.TaggedError("HypernetworkSpecError")<{ readonly message: string }> {}
export class GenerationError extends Data.TaggedError("GenerationError")<{ readonly message: string }> {}

const inputsOf = (layer: Hyperlayer): number => layer.blocks.reduce((a, b) => a + b.inputs, 0)
const outputsOf = (layer: Hyperlayer): number => layer.blocks.reduce((a, b) => a + b.outputs, 0)

/** Check a stack of hyperlayers and build a hypernetwork from it. */
export const makeHypernetwork = (stages: ReadonlyArray<Hyperlayer>, readout = 2): Result.Result<Hypernetwork, HypernetworkSpecError> => {
  const fail = (message: string) => Result.fail(new HypernetworkSpecError({ message }))
  if (stages.length < 1) return fail("a hypernetwork needs at least stage 0 (its source blocks)")
  if (readout < 2) return fail(`the read-out needs at least 2 features (weight, bias), got ${readout}`)
  for (const [k, stage] of stages.entries()) {
    if (stage.blocks.length === 0) return fail(`stage ${k} has no blocks`)
    const names = new Set<string>()
    for (const b of stage.blocks) {
      if (names.has(b.name)) return fail(`stage ${k} has two blocks named "${b.name}"`)
      names.add(b.name)
      if (k === 0 && b.inputs > 0) return fail(`stage 0 builds H0 from nothing, but block "${b.name}" reads ${b.inputs} features`)
      if (b.outputs < 1 || b.inputs < 0) return fail(`block "${b.name}" of stage ${k} must write at least one feature`)
    }
    if (k > 0 && inputsOf(stage) === 0) return fail(`stage ${k} reads nothing from its linear map`)
  }
  return Result.succeed({ stages, readout })
}

/** A hyperweight's place in the flat vector θ. */
export interface ParamEntry extends ParamSpec {
  readonly offset: number
  readonly size: number
}

/** Where every hyperweight sits in θ, for one trained network shape. */
export interface ParamLayout {
  readonly shape: NetShape
  readonly entries: ReadonlyArray<ParamEntry>
  readonly size: number
}

const blockKey = (stage: number, block: Block, name: string) => `s${stage}.${block.name}.${name}`

const paramSpecs = (net: Hypernetwork, graph: EdgeGraph): ReadonlyArray<ParamSpec> => {
  const specs: Array<ParamSpec> = []
  for (const [k, stage] of net.stages.entries()) {
    if (k > 0) {
      const fin = outputsOf(net.stages[k - 1]!)
      specs.push({ name: `M${k}`, shape: [fin, inputsOf(stage)], perEdge: false }, { name: `m${k}`, shape: [inputsOf(stage)], perEdge: false })
    }
    for (const b of stage.blocks) for (const p of b.params(graph)) specs.push({ ...p, name: blockKey(k, b, p.name) })
  }
  const D = net.stages.length
  const fin = outputsOf(net.stages[D - 1]!)
  specs.push({ name: `M${D}`, shape: [fin, net.readout], perEdge: false }, { name: `m${D}`, shape: [net.readout], perEdge: false })
  return specs
}

/** The layout of θ for a hypernetwork trained on `shape`; its `size` is P. */
export const paramLayout = (net: Hypernetwork, shape: NetShape): ParamLayout => {
  let offset = 0
  const entries = paramSpecs(net, edgeGraph(shape)).map((s) => {
    const size = s.shape.reduce((a, b) => a * b, 1)
    const e = { ...s, offset, size }
    offset += size
    return e
  })
  return { shape, entries, size: offset }
}

/** Every random tensor one generation of `shape` needs, by full name; each gets a leading B axis. */
export const randomSpecs = (net: Hypernetwork, shape: NetShape): ReadonlyArray<TensorSpec> => {
  const graph = edgeGraph(shape)
  return net.stages.flatMap((stage, k) => stage.blocks.flatMap((b) => b.randoms(graph).map((r) => ({ ...r, name: blockKey(k, b, r.name) }))))
}

/** Everything fixed about a batch of generations before any tensor is touched. */
export interface GenerationPlan {
  readonly net: Hypernetwork
  readonly layout: ParamLayout
  readonly graph: EdgeGraph
  readonly mode: GenerationMode
}

/**
 * Plan generations of `target` from a hypernetwork trained on `layout.shape`. The learned
 * per-edge variables belong to the trained shape, so another shape needs decoder-only mode.
 */
export const planGeneration = (net: Hypernetwork, layout: ParamLayout, target: NetShape, mode: GenerationMode): Result.Result<GenerationPlan, GenerationError> =>
  mode === "encoder" && !sameShape(target, layout.shape) && layout.entries.some((e) => e.perEdge)
    ? Result.fail(new GenerationError({
      message: `the learned per-edge variables belong to [${layout.shape.join(", ")}]; generate [${target.join(", ")}] in decoder-only mode`
    }))
    : Result.succeed({ net, layout, graph: edgeGraph(target), mode })

export interface Generated {
  /** The generated networks, batched over generations: `W^(l)` is `[B, n_(l−1), n_l]`. */
  readonly weights: NetWeights
  /** `[B]`: KL accumulated over every KL channel (zero decoder-only). */
  readonly kl: tf.Tensor
}

/**
 * Generate B networks. `theta` is `[B, P]`: each generation's flat hyperweights (from the
 * hyperhypernetwork at its β, say). `randoms` holds every tensor named by {@link randomSpecs},
 * each `[B, ...shape]`: together they are the generations' seeds. Pure, and differentiable in θ.
 */
export const generate = (plan: GenerationPlan, theta: tf.Tensor, randoms: Readonly<Record<string, tf.Tensor>>): Generated => {
  const out = tf.tidy(() => {
    const { net, layout, graph, mode } = plan
    const B = theta.shape[0]!
    const sides = mode === "encoder" ? 2 : 1
    const context: BlockContext = { graph, batch: B, sides, mode }
    const byName = new Map(layout.entries.map((e) => [e.name, e]))
    const param = (name: string): tf.Tensor => {
      const e = byName.get(name)
      if (e === undefined) throw new GenerationError({ message: `no hyperweight named ${name}` })
      if (e.perEdge && !sameShape(graph.shape, layout.shape)) {
        throw new GenerationError({ message: `${name} is learned per edge of [${layout.shape.join(", ")}] and cannot serve [${graph.shape.join(", ")}]` })
      }
      return tf.reshape(tf.slice(theta, [0, e.offset], [B, e.size]), [B, ...e.shape])
    }
    const random = (name: string): tf.Tensor => {
      const r = randoms[name]
      if (r === undefined) throw new GenerationError({ message: `missing random input ${name}` })
      return r
    }
    let h: tf.Tensor | null = null
    let kl: tf.Tensor = tf.zeros([B])
    for (const [k, stage] of net.stages.entries()) {
      const readers = stage.blocks.filter((b) => b.inputs > 0)
      const mapped = k === 0 ? [] : tf.split(linearMap(h!, param(`M${k}`), param(`m${k}`)), readers.map((b) => b.inputs), -1)
      const outputs = stage.blocks.map((b) => {
        const input = b.inputs === 0 ? null : mapped[readers.indexOf(b)]!
        const env = {
          context,
          param: (name: string) => param(blockKey(k, b, name)),
          random: (name: string) => random(blockKey(k, b, name))
        }
        const r = b.apply(input, env)
        if (r.kl !== undefined) kl = tf.add(kl, r.kl)
        return r.output
      })
      h = outputs.length === 1 ? outputs[0]! : tf.concat(outputs, -1)
    }
    const D = net.stages.length
    const out = linearMap(h!, param(`M${D}`), param(`m${D}`))
    const decoder = tf.squeeze(tf.slice(out, [0, sides === 2 ? DECODER : 0, 0, 0], [B, 1, graph.edges, 2]), [1])
    const W: Array<tf.Tensor> = []
    const bias: Array<tf.Tensor> = []
    for (const { rows, cols, offset } of graph.layers) {
      const edges = tf.reshape(tf.slice(decoder, [0, offset, 0], [B, rows * cols, 2]), [B, rows, cols, 2])
      W.push(tf.squeeze(tf.slice(edges, [0, 0, 0, 0], [-1, -1, -1, 1]), [3]))
      bias.push(tf.mean(tf.squeeze(tf.slice(edges, [0, 0, 0, 1], [-1, -1, -1, 1]), [3]), 1))
    }
    return { W, bias, kl }
  })
  return { weights: netWeightsOrThrow(plan.graph.shape, out.W, out.bias), kl: out.kl }
}
