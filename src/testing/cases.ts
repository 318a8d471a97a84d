import * as tf from "@tensorflow/tfjs"
import type { NetShape } from "../core/network/schemas.js"
import { normalsAt, streamKey } from "../core/base/schemas.js"
import type { Block, BlockContext, BlockEnv } from "../layers/blocks/index.js"
import { edgeGraph } from "../layers/blocks/index.js"
import { type GenerationPlan, randomSpecs } from "../layers/hypernetwork/index.js"

/**
 * The values the property checkers of `hyperlayers/testing` are run on. Every case is plain data
 * (shapes, permutations, seeds), so fast-check and Effect's Arbitrary can generate, shrink and
 * print it; tensors are made from it on demand, deterministically (counter-based threefry draws
 * of the library's own RNG, so the same case gives the same tensors on every backend).
 */

/**
 * One batch of generations' inputs, by seed: θ `[batch, P]` ~ N(0, scale²) and every random input
 * `[batch, …]` ~ N(0, 1), each from its own stream of `seed`.
 */
export interface GenerationDraw {
  readonly seed: number
  readonly batch: number
  /** Standard deviation of θ: small (0.15 by default) so hyperactivations stay moderate. */
  readonly scale: number
}

/** A target shape (trained and generated) and a draw of θ and the random inputs. */
export interface GenerationCase {
  readonly shape: NetShape
  readonly draw: GenerationDraw
}

/**
 * A shape with at least one hidden layer, a permutation of each hidden layer's units
 * (`perms[h]` permutes neuron layer h + 1), and a draw.
 */
export interface EquivarianceCase extends GenerationCase {
  readonly perms: ReadonlyArray<ReadonlyArray<number>>
}

/** One block applied alone: the target shape, generations, KL sides, and the seed of its inputs. */
export interface BlockCase {
  readonly shape: NetShape
  readonly batch: number
  readonly sides: 1 | 2
  readonly seed: number
}

/** `count` normal draws of stream `name` under `seed`, times `scale`. */
const normals = (seed: number, name: string, count: number, scale = 1): Float32Array => {
  const { values } = normalsAt(streamKey(seed, name), 0, count)
  if (scale !== 1) for (let k = 0; k < count; k++) values[k]! *= scale
  return values
}

/** The tensors of a draw for a plan: θ `[B, P]` and the random inputs `randomSpecs` names. Caller disposes. */
export const generationTensors = (plan: GenerationPlan, draw: GenerationDraw): { readonly theta: tf.Tensor; readonly randoms: Record<string, tf.Tensor> } => {
  const B = draw.batch
  const P = plan.layout.size
  return {
    theta: tf.tensor(normals(draw.seed, "theta", B * P, draw.scale), [B, P]),
    randoms: Object.fromEntries(randomSpecs(plan.net, plan.graph.shape).map((s) => {
      const size = s.shape.reduce((a, b) => a * b, 1)
      return [s.name, tf.tensor(normals(draw.seed, `random/${s.name}`, B * size), [B, ...s.shape])]
    }))
  }
}

/**
 * What a block sees when applied alone: its context, its hyperweights and random inputs (normal
 * draws of the case's seed, θ-sized at 0.15), and its input `[B, S, E, inputs]` (null for a source
 * block). The caller disposes `tensors`.
 */
export const blockInputs = (block: Block, c: BlockCase): { readonly input: tf.Tensor | null; readonly env: BlockEnv; readonly tensors: ReadonlyArray<tf.Tensor> } => {
  const graph = edgeGraph(c.shape)
  const context: BlockContext = { graph, batch: c.batch, sides: c.sides, mode: c.sides === 2 ? "encoder" : "decoder-only" }
  const tensors: Array<tf.Tensor> = []
  const make = (name: string, shape: ReadonlyArray<number>, scale: number) => {
    const t = tf.tensor(normals(c.seed, name, shape.reduce((a, b) => a * b, 1), scale), [...shape])
    tensors.push(t)
    return t
  }
  const params = new Map(block.params(graph).map((p) => [p.name, make(`param/${p.name}`, [c.batch, ...p.shape], 0.15)]))
  const randoms = new Map(block.randoms(graph).map((r) => [r.name, make(`random/${r.name}`, [c.batch, ...r.shape], 1)]))
  const input = block.inputs === 0 ? null : make("input", [c.batch, c.sides, graph.edges, block.inputs], 1)
  const lookup = (what: string, table: Map<string, tf.Tensor>) => (name: string) => {
    const t = table.get(name)
    if (t === undefined) throw new RangeError(`block "${block.name}" asked for ${what} "${name}", which it does not declare (it declares ${[...table.keys()].join(", ") || "none"})`)
    return t
  }
  return { input, env: { context, param: lookup("hyperweight", params), random: lookup("random input", randoms) }, tensors }
}
