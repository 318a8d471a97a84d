import type * as tf from "@tensorflow/tfjs"
import type { BlockSpec } from "../../core/hypernetwork/index.js"
import type { EdgeGraph } from "./edgeGraph.js"
import type { BlockFusion } from "../hypernetwork/index.js"

/**
 * How a generation uses the KL axis. `encoder`: both sides run, latents are sampled from the
 * encoder's q and the KL to the decoder's p is accumulated. `decoder-only`: only the decoder side
 * runs and latents come from p, so nothing learned per edge can reach the weights (Figure 4).
 */
export type GenerationMode = "encoder" | "decoder-only"

/** What every block sees besides its input: the target graph and the batch layout. */
export interface BlockContext {
  readonly graph: EdgeGraph
  /** B: generations in the batch. */
  readonly batch: number
  /** S: KL sides present, 2 (encoder, decoder) or 1 (decoder only). */
  readonly sides: 1 | 2
  readonly mode: GenerationMode
}

/** A named tensor a block needs per generation; `shape` excludes the leading generation axis. */
export interface TensorSpec {
  readonly name: string
  readonly shape: ReadonlyArray<number>
}

/**
 * A hyperweight a block owns. `perEdge` marks hyperweights with one entry per edge of the trained
 * network (the learned per-edge variables): they exist only for that shape.
 */
export interface ParamSpec extends TensorSpec {
  readonly perEdge: boolean
}

/** A block's view of its hyperweights and random inputs, by local name, each `[B, ...shape]`. */
export interface BlockEnv {
  readonly context: BlockContext
  readonly param: (name: string) => tf.Tensor
  readonly random: (name: string) => tf.Tensor
}

export interface BlockResult {
  /** `[B, S, E, outputs]` */
  readonly output: tf.Tensor
  /** `[B]`: KL this block adds to the accumulator, if it is a KL channel. */
  readonly kl?: tf.Tensor
}

/**
 * One operation of a hyperlayer: it reads `inputs` hyperfeatures sliced from the hyperlayer's
 * linear map (none for a *source* block such as a positional encoding) and writes `outputs`
 * hyperfeatures, acting along its own axis with every other axis a batch axis. Blocks are pure:
 * hyperweights and random tensors come in through the env.
 */
export interface Block {
  /** Unique within its hyperlayer; prefixes its hyperweights' and random inputs' names. */
  readonly name: string
  /**
   * The block as data: its kind, name and arguments. A stack converts to a {@link HypernetworkSpec}
   * through these, and a registered kind rebuilds the block from it (resume, sweep, replay).
   */
  readonly spec: BlockSpec
  readonly inputs: number
  readonly outputs: number
  readonly params: (graph: EdgeGraph) => ReadonlyArray<ParamSpec>
  readonly randoms: (graph: EdgeGraph) => ReadonlyArray<TensorSpec>
  /** `input` is `[B, S, E, inputs]`, or null for a source block. */
  readonly apply: (input: tf.Tensor | null, env: BlockEnv) => BlockResult
  /**
   * Set by the library's built-in blocks: what the fused hyperlayer kernel needs to run this block
   * itself (`fusedStage`). A block without it (a researcher's own) runs through `apply`, and so
   * does its whole stage.
   */
  readonly fused?: BlockFusion
}

/** Blocks with no hyperweights or random inputs share these. */
export const noSpecs = (): ReadonlyArray<never> => []

/** A built-in block's spec: its kind and arguments, and its name where it is not the default. */
export const blockSpec = (kind: string, args: Readonly<Record<string, unknown>>, name: string, defaultName: string): BlockSpec =>
  name === defaultName ? { kind, ...args } : { kind, ...args, name }
