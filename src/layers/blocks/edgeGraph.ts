import { depth, type NetShape } from "../../core/network/schemas.js"

/** Where weight layer l's edges sit in the packed edge axis. */
export interface EdgeLayer {
  /** 1-based weight layer index l. */
  readonly l: number
  /** n_(l−1): the neurons behind (inputs of the layer). */
  readonly rows: number
  /** n_l: the neurons in front (outputs of the layer). */
  readonly cols: number
  /** First edge of this layer in the packed axis; edge (i, j) is at `offset + i·cols + j`. */
  readonly offset: number
}

/**
 * The computation graph of a target network seen as edges: every weight layer's
 * `[n_(l−1), n_l]` edges laid end to end on one packed axis of length E. Hyperactivations keep
 * this packed layout so a hyperlayer's linear map is one matrix product over all edges.
 */
export interface EdgeGraph {
  readonly shape: NetShape
  readonly layers: ReadonlyArray<EdgeLayer>
  readonly edges: number
}

export const edgeGraph = (shape: NetShape): EdgeGraph => {
  const layers: Array<EdgeLayer> = []
  let offset = 0
  for (let l = 1; l <= depth(shape); l++) {
    const rows = shape[l - 1]!
    const cols = shape[l]!
    layers.push({ l, rows, cols, offset })
    offset += rows * cols
  }
  return { shape, layers, edges: offset }
}

export const sameShape = (a: NetShape, b: NetShape): boolean => a.length === b.length && a.every((n, k) => n === b[k])

/**
 * Sinusoidal encoding of a position p with d features: `[sin(p·f_k)…, cos(p·f_k)…]`,
 * `f_k = 10000^(−2k/d)` for k < d/2 (so frequencies 1 and 0.01 for d = 4).
 */
export const sinusoid = (p: number, d: number): ReadonlyArray<number> => {
  const half = Math.floor(d / 2)
  const out = new Array<number>(d).fill(0)
  for (let k = 0; k < half; k++) {
    const f = Math.pow(10000, (-2 * k) / d)
    out[k] = Math.sin(p * f)
    out[half + k] = Math.cos(p * f)
  }
  return out
}

/** Which index of an edge a positional encoding reads. */
export type PositionKind = "input" | "output" | "layer"

/**
 * The `[E, d]` positional features of every edge (i, j) of layer l: the input index i where l = 1,
 * the output index j where l = N, the layer l everywhere; zeros where the encoding does not apply.
 * Neurons are indexed from 0 and layers from 1. Hidden neurons get no position, so the hypernetwork
 * stays equivariant under permutations of hidden units.
 */
export const positionalFeatures = (graph: EdgeGraph, kind: PositionKind, d: number): Float32Array => {
  const out = new Float32Array(graph.edges * d)
  const N = graph.layers.length
  for (const { l, rows, cols, offset } of graph.layers) {
    if ((kind === "input" && l !== 1) || (kind === "output" && l !== N)) continue
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        const code = sinusoid(kind === "input" ? i : kind === "output" ? j : l, d)
        out.set(code, (offset + i * cols + j) * d)
      }
    }
  }
  return out
}
