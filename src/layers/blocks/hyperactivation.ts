import * as tf from "@tensorflow/tfjs"
import { Data, Result, Schema } from "effect"
import type { EdgeGraph } from "./edgeGraph.js"

/**
 * The shape of a ragged hyperactivation: per weight layer l one tensor
 * `[B, S, n_(l−1), n_l, F]` with B generations, S KL sides (2: encoder and decoder; 1: decoder
 * only) and F hyperfeatures.
 */
export const HyperShape = Schema.Struct({
  batch: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)),
  sides: Schema.Literals([1, 2]),
  features: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)),
  layers: Schema.Array(Schema.Struct({
    rows: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)),
    cols: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))
  })).check(Schema.isMinLength(1))
})
export type HyperShape = typeof HyperShape.Type

export class HyperShapeError extends Data.TaggedError("HyperShapeError")<{ readonly message: string }> {}

/** KL side index of the decoder: the side the generated weights are read from. */
export const DECODER = 1

/**
 * A hyperactivation in packed form: `data` is `[B, S, E, F]` with the edges of every weight layer
 * laid end to end (see {@link EdgeGraph}). {@link toRagged} gives the per-layer view.
 */
export interface Hyperactivation {
  readonly graph: EdgeGraph
  readonly data: tf.Tensor
}

/** Check that packed data has the rank and edge count its graph says and a valid HyperShape. */
export const checkHyperactivation = (h: Hyperactivation): Result.Result<HyperShape, HyperShapeError> => {
  const s = h.data.shape
  if (s.length !== 4) return Result.fail(new HyperShapeError({ message: `a packed hyperactivation has rank 4 [B, S, E, F], got [${s.join(", ")}]` }))
  if (s[2] !== h.graph.edges) {
    return Result.fail(new HyperShapeError({ message: `the edge axis has ${s[2]} entries but the network [${h.graph.shape.join(", ")}] has ${h.graph.edges} edges` }))
  }
  return Result.mapError(Schema.decodeUnknownResult(HyperShape)({ batch: s[0], sides: s[1], features: s[3], layers: h.graph.layers.map(({ rows, cols }) => ({ rows, cols })) }),
    (e) => new HyperShapeError({ message: `invalid hyperactivation shape: ${e.message}` }))
}

/** The ragged view: one `[B, S, n_(l−1), n_l, F]` tensor per weight layer (new tensors). */
export const toRagged = (h: Hyperactivation): ReadonlyArray<tf.Tensor> => {
  const [B, S, , F] = h.data.shape as [number, number, number, number]
  return h.graph.layers.map(({ rows, cols, offset }) =>
    tf.tidy(() => tf.reshape(tf.slice(h.data, [0, 0, offset, 0], [B, S, rows * cols, F]), [B, S, rows, cols, F])))
}

/** Pack per-layer tensors `[B, S, n_(l−1), n_l, F]` back onto the edge axis. */
export const fromRagged = (graph: EdgeGraph, layers: ReadonlyArray<tf.Tensor>): Result.Result<Hyperactivation, HyperShapeError> => {
  if (layers.length !== graph.layers.length) {
    return Result.fail(new HyperShapeError({ message: `expected ${graph.layers.length} layer tensors, got ${layers.length}` }))
  }
  const first = layers[0]!.shape
  for (const [k, t] of layers.entries()) {
    const { rows, cols, l } = graph.layers[k]!
    const want = [first[0], first[1], rows, cols, first[4]]
    if (t.rank !== 5 || t.shape.some((d, a) => d !== want[a])) {
      return Result.fail(new HyperShapeError({ message: `layer ${l}: expected [${want.join(", ")}], got [${t.shape.join(", ")}]` }))
    }
  }
  const data = tf.tidy(() => tf.concat(layers.map((t) => tf.reshape(t, [first[0]!, first[1]!, -1, first[4]!])), 2))
  return Result.succeed({ graph, data })
}
