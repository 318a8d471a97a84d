import * as tf from "@tensorflow/tfjs"
import { Data, Result, Schema, SchemaIssue } from "effect"
import { defaultHyperhypernetwork, type HyperhypernetworkSpec, HypernetworkSpec } from "../../core/hypernetwork/index.js"
import { type NetShape } from "../../core/network/schemas.js"
import { type NetWeights, netWeightsOrThrow } from "../../core/network/index.js"
import type { Block, BlockContext, GenerationMode, ParamSpec, TensorSpec } from "../blocks/index.js"
import { edgeGraph, type EdgeGraph, sameShape } from "../blocks/index.js"
import { DECODER } from "../blocks/index.js"
import { linearMap } from "../blocks/index.js"
import { type BlockDefinition, HypernetworkSpecError, UnknownComponent } from "../blocks/index.js"
import { builtinBlocks } from "../blocks/index.js"
import { errorMessage } from "../../core/base/schemas.js"
import { applyFusedStage, fusedKernelsActive, fusedStagePlan, fusedStageTensors } from "./fusedStage.js"
import { cutList, cutText, quoteValue } from "../../core/base/schemas.js"

/** A hyperlayer: blocks applied side by side to slices of one linear map's output. */
export interface Hyperlayer {
  readonly blocks: ReadonlyArray<Block>
}

/**
 * A hypernetwork: stage 0 is a hyperlayer of source blocks only (it builds H0 from nothing); each
 * later stage k is `blocks(H_(k−1)·M_k + m_k)`; a read-out map `H·M + m` gives `readout` features
 * on the decoder side: feature 0 is `W^(l)_ij`, feature 1 averaged over i is `b^(l)_j`. The
 * hyperhypernetwork's settings travel with it, so that a hypernetwork and its
 * {@link HypernetworkSpec} say the same thing.
 */
export interface Hypernetwork {
  readonly stages: ReadonlyArray<Hyperlayer>
  readonly readout: number
  readonly hyperhypernetwork: HyperhypernetworkSpec
}

export class GenerationError extends Data.TaggedError("GenerationError")<{ readonly message: string }> {}

const inputsOf = (layer: Hyperlayer): number => layer.blocks.reduce((a, b) => a + b.inputs, 0)
const outputsOf = (layer: Hyperlayer): number => layer.blocks.reduce((a, b) => a + b.outputs, 0)

/** Options of a stack built in code. */
export interface HypernetworkOptions {
  /** Read-out features (default 2: weight and bias). */
  readonly readout?: number
  /** The hyperhypernetwork above it (default: hidden [100, 10], per-edge hyperweights generated). */
  readonly hyperhypernetwork?: HyperhypernetworkSpec
}

const checkStages = (stages: ReadonlyArray<Hyperlayer>, readout: number, hyperhypernetwork: HyperhypernetworkSpec): Result.Result<Hypernetwork, HypernetworkSpecError> => {
  const fail = (message: string) => Result.fail(new HypernetworkSpecError({ message }))
  if (stages.length < 1) return fail("a hypernetwork needs at least stage 0 (its source blocks)")
  if (!Number.isInteger(readout) || readout < 2) return fail(`the read-out needs at least 2 features (weight, bias), got ${readout}`)
  for (const [k, stage] of stages.entries()) {
    if (stage.blocks.length === 0) return fail(`stage ${k} has no blocks`)
    const names = new Set<string>()
    for (const b of stage.blocks) {
      if (names.has(b.name)) return fail(`stage ${k} has two blocks named "${b.name}": give one a "name"`)
      names.add(b.name)
      if (!Number.isInteger(b.inputs) || !Number.isInteger(b.outputs)) return fail(`block "${b.name}" of stage ${k} must declare integer widths (inputs ${b.inputs}, outputs ${b.outputs})`)
      if (k === 0 && b.inputs > 0) return fail(`stage 0 builds H0 from nothing, but block "${b.name}" reads ${b.inputs} features`)
      if (b.outputs < 1 || b.inputs < 0) return fail(`block "${b.name}" of stage ${k} must write at least one feature`)
    }
    if (k > 0 && inputsOf(stage) === 0) return fail(`stage ${k} reads nothing from its linear map`)
  }
  return Result.succeed({ stages, readout, hyperhypernetwork })
}

/**
 * Build a hypernetwork, checked: from a stack of hyperlayers built in code, or from a
 * {@link HypernetworkSpec} (data, e.g. a JSON file) whose block kinds are looked up in `blocks`
 * (default: the built-in blocks; see the `Registry` service for a researcher's own). Fails with
 * {@link HypernetworkSpecError} naming the stage and block, or {@link UnknownComponent} naming an
 * unregistered kind.
 */
export function makeHypernetwork(stages: ReadonlyArray<Hyperlayer>, options?: HypernetworkOptions): Result.Result<Hypernetwork, HypernetworkSpecError>
export function makeHypernetwork(spec: HypernetworkSpec, blocks?: ReadonlyArray<BlockDefinition>): Result.Result<Hypernetwork, HypernetworkSpecError | UnknownComponent>
export function makeHypernetwork(
  source: ReadonlyArray<Hyperlayer> | HypernetworkSpec,
  second?: HypernetworkOptions | ReadonlyArray<BlockDefinition>
): Result.Result<Hypernetwork, HypernetworkSpecError | UnknownComponent> {
  if (Array.isArray(source)) {
    const options = (second ?? {}) as HypernetworkOptions
    return checkStages(source as ReadonlyArray<Hyperlayer>, options.readout ?? 2, options.hyperhypernetwork ?? defaultHyperhypernetwork)
  }
  const decoded = Schema.decodeUnknownResult(HypernetworkSpec)(source, { errors: "all" })
  if (Result.isFailure(decoded)) return Result.fail(new HypernetworkSpecError({ message: `invalid hypernetwork spec: ${formatSpecIssue(decoded.failure.issue)}` }))
  const spec = decoded.success
  const definitions = (second ?? builtinBlocks) as ReadonlyArray<BlockDefinition>
  const byKind = new Map(definitions.map((d) => [d.kind, d]))
  const stages: Array<Hyperlayer> = []
  for (const [k, stage] of spec.stages.entries()) {
    const blocks: Array<Block> = []
    for (const [j, b] of stage.blocks.entries()) {
      const where = `stages[${k}].blocks[${j}]`
      const definition = byKind.get(b.kind)
      if (definition === undefined) {
        const known = [...byKind.keys()]
        return Result.fail(new UnknownComponent({
          component: "block", name: b.kind, known,
          message: `${where}: no block of kind ${quoteValue(b.kind)} is registered (known: ${known.join(", ")}); register its definition to build, resume or sweep this hypernetwork`
        }))
      }
      const built = definition.build(b, where)
      if (Result.isFailure(built)) return Result.fail(built.failure)
      blocks.push(built.success)
    }
    stages.push({ blocks })
  }
  return checkStages(stages, spec.readout, spec.hyperhypernetwork)
}

const formatSpecIssue = (issue: SchemaIssue.Issue): string =>
  cutList(SchemaIssue.makeFormatterStandardSchemaV1()(issue).issues.map((i) => `${i.path === undefined || i.path.length === 0 ? "" : `${i.path.map((p) => cutText(String(p))).join(".")}: `}${i.message}`), "; ")

/** The hypernetwork as data: every block's spec, the read-out and the hyperhypernetwork. */
export const hypernetworkSpec = (net: Hypernetwork): HypernetworkSpec => ({
  stages: net.stages.map((stage) => ({ blocks: stage.blocks.map((b) => b.spec) })),
  readout: net.readout,
  hyperhypernetwork: net.hyperhypernetwork
})

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
 * Plan generations of `target` from a hypernetwork trained on `layout.shape`, checking everything
 * about shapes once, as stax's `init` does before `apply`: the layout belongs to this hypernetwork,
 * another shape is asked for decoder-only (the learned per-edge variables belong to the trained
 * shape), and every block writes the width it declares (one trial generation of a single network
 * with zero hyperweights and zero noise). After a plan succeeds, {@link generate} can fail only on
 * θ or random inputs of the wrong shape. Fails with {@link GenerationError} saying which.
 */
export const planGeneration = (net: Hypernetwork, layout: ParamLayout, target: NetShape, mode: GenerationMode): Result.Result<GenerationPlan, GenerationError> => {
  const fail = (message: string) => Result.fail(new GenerationError({ message }))
  const own = paramLayout(net, layout.shape)
  if (own.size !== layout.size || own.entries.some((e, k) => e.name !== layout.entries[k]?.name || e.size !== layout.entries[k]?.size)) {
    return fail(`the layout (P = ${layout.size}) is not this hypernetwork's layout for [${layout.shape.join(", ")}] (P = ${own.size})`)
  }
  if (mode === "encoder" && !sameShape(target, layout.shape) && layout.entries.some((e) => e.perEdge)) {
    return fail(`the learned per-edge variables belong to [${layout.shape.join(", ")}]; generate [${target.join(", ")}] in decoder-only mode`)
  }
  const plan: GenerationPlan = { net, layout, graph: edgeGraph(target), mode }
  try {
    tf.tidy(() => {
      const randoms = Object.fromEntries(randomSpecs(net, target).map((r) => [r.name, tf.zeros([1, ...r.shape])]))
      generateUnchecked(plan, tf.zeros([1, layout.size]), randoms)
    })
  } catch (e) {
    return fail(errorMessage(e))
  }
  return Result.succeed(plan)
}

export interface Generated {
  /** The generated networks, batched over generations: `W^(l)` is `[B, n_(l−1), n_l]`. */
  readonly weights: NetWeights
  /** `[B]`: KL accumulated over every KL channel (zero decoder-only). */
  readonly kl: tf.Tensor
}

const shapeText = (s: ReadonlyArray<number>) => `[${s.join(", ")}]`

/**
 * Generate B networks. `theta` is `[B, P]`: each generation's flat hyperweights (from the
 * hyperhypernetwork at its β, say). `randoms` holds exactly the tensors named by
 * {@link randomSpecs}, each `[B, ...shape]`: together they are the generations' seeds. Pure, and
 * differentiable in θ. Fails with {@link GenerationError} naming θ or the random input whose shape,
 * batch or name is wrong; the caller owns (and disposes) the tensors of the result.
 */
export const generate = (plan: GenerationPlan, theta: tf.Tensor, randoms: Readonly<Record<string, tf.Tensor>>): Result.Result<Generated, GenerationError> => {
  const fail = (message: string) => Result.fail(new GenerationError({ message }))
  const P = plan.layout.size
  if (theta.rank !== 2 || theta.shape[1] !== P || theta.shape[0]! < 1) return fail(`θ must be [B, ${P}] (B ≥ 1 generations of P = ${P} hyperweights), got ${shapeText(theta.shape)}`)
  if (theta.dtype !== "float32") return fail(`θ must be float32, got ${theta.dtype}`)
  const B = theta.shape[0]!
  const specs = randomSpecs(plan.net, plan.graph.shape)
  const known = new Set(specs.map((s) => s.name))
  for (const name of Object.keys(randoms)) if (!known.has(name)) return fail(`unknown random input ${name} (this plan takes ${specs.length === 0 ? "none" : [...known].join(", ")})`)
  for (const s of specs) {
    const r = randoms[s.name]
    if (r === undefined) return fail(`missing random input ${s.name} (${shapeText([B, ...s.shape])})`)
    const want = [B, ...s.shape]
    if (r.rank !== want.length || r.shape.some((d, k) => d !== want[k])) return fail(`random input ${s.name} must be ${shapeText(want)} (batch ${B} like θ), got ${shapeText(r.shape)}`)
    if (r.dtype !== "float32") return fail(`random input ${s.name} must be float32, got ${r.dtype}`)
  }
  try {
    const out = generateUnchecked(plan, theta, randoms)
    return Result.succeed({ weights: netWeightsOrThrow(plan.graph.shape, out.W, out.bias), kl: out.kl })
  } catch (e) {
    return fail(errorMessage(e))
  }
}

/**
 * {@link generate} without the checks of θ and the random inputs, for callers that build them
 * from the plan itself (the training objective, inside a gradient). Throws GenerationError on a
 * block that writes another width than it declares.
 */
export const generateUnchecked = (plan: GenerationPlan, theta: tf.Tensor, randoms: Readonly<Record<string, tf.Tensor>>): { readonly W: ReadonlyArray<tf.Tensor>; readonly bias: ReadonlyArray<tf.Tensor>; readonly kl: tf.Tensor } =>
  tf.tidy(() => {
    const { net, layout, graph, mode } = plan
    const B = theta.shape[0]!
    const sides = mode === "encoder" ? 2 : 1
    const context: BlockContext = { graph, batch: B, sides, mode }
    const byName = new Map(layout.entries.map((e, k) => [e.name, { ...e, k }]))
    const fused = fusedKernelsActive()
    // fused: θ split into every hyperweight by one operation, whose gradient is one concatenation
    // (the generic path slices each, and each slice's gradient pads to the whole of θ)
    const pieces = fused && layout.entries.length > 1 ? tf.split(theta, layout.entries.map((e) => e.size), 1) : undefined
    const param = (name: string): tf.Tensor => {
      const e = byName.get(name)
      if (e === undefined) throw new GenerationError({ message: `no hyperweight named ${name}` })
      if (e.perEdge && !sameShape(graph.shape, layout.shape)) {
        throw new GenerationError({ message: `${name} is learned per edge of [${layout.shape.join(", ")}] and cannot serve [${graph.shape.join(", ")}]` })
      }
      return tf.reshape(pieces === undefined ? tf.slice(theta, [0, e.offset], [B, e.size]) : pieces[e.k]!, [B, ...e.shape])
    }
    const random = (name: string): tf.Tensor => {
      const r = randoms[name]
      if (r === undefined) throw new GenerationError({ message: `missing random input ${name}` })
      return r
    }
    let h: tf.Tensor | null = null
    let kl: tf.Tensor = tf.zeros([B])
    for (const [k, stage] of net.stages.entries()) {
      const plan = fused ? fusedStagePlan(stage.blocks, context, k === 0 ? 0 : inputsOf(stage)) : undefined
      if (plan !== undefined) {
        const xm = k === 0 ? null : tf.matMul(tf.reshape(h!, [B, -1, h!.shape[3]!]), param(`M${k}`))
        const tensors = fusedStageTensors(plan, stage.blocks, (b, name) => param(blockKey(k, b, name)), (b, name) => random(blockKey(k, b, name)))
        const r = applyFusedStage(plan, xm, k === 0 ? null : param(`m${k}`), tensors)
        if (r.kl !== undefined) kl = tf.add(kl, r.kl)
        h = r.output
        continue
      }
      const readers = stage.blocks.filter((b) => b.inputs > 0)
      const linear = k === 0 ? null : linearMap(h!, param(`M${k}`), param(`m${k}`))
      // one reader takes the whole map (TensorFlow.js cannot take the gradient of a split into one piece)
      const mapped = linear === null ? [] : readers.length === 1 ? [linear] : tf.split(linear, readers.map((b) => b.inputs), -1)
      const outputs = stage.blocks.map((b) => {
        const input = b.inputs === 0 ? null : mapped[readers.indexOf(b)]!
        const env = {
          context,
          param: (name: string) => param(blockKey(k, b, name)),
          random: (name: string) => random(blockKey(k, b, name))
        }
        let r: ReturnType<Block["apply"]>
        try {
          r = b.apply(input, env)
        } catch (e) {
          throw e instanceof GenerationError ? e : new GenerationError({ message: `block "${b.name}" of stage ${k} failed: ${errorMessage(e)}` })
        }
        const want = [B, sides, graph.edges, b.outputs]
        if (r.output.rank !== 4 || r.output.shape.some((d, a) => d !== want[a])) {
          throw new GenerationError({ message: `block "${b.name}" of stage ${k} declares ${b.outputs} output features but wrote ${shapeText(r.output.shape)} (expected ${shapeText(want)})` })
        }
        if (r.kl !== undefined) {
          if (r.kl.rank !== 1 || r.kl.shape[0] !== B) throw new GenerationError({ message: `block "${b.name}" of stage ${k} returned a KL of shape ${shapeText(r.kl.shape)}, expected [${B}]` })
          kl = tf.add(kl, r.kl)
        }
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
