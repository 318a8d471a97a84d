import * as tf from "@tensorflow/tfjs"
import { type Block, blockSpec, noSpecs } from "./block.js"

/**
 * Scaled dot-product softmax attention within each pool: `[P, s, 3k]` (q, k, v concatenated) →
 * `[P, s, k]`.
 */
const attendWithinPools = (pools: tf.Tensor, k: number): tf.Tensor => {
  const [q, key, v] = tf.split(pools, 3, -1) as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D]
  const scores = tf.mul(tf.matMul(q, key, false, true), 1 / Math.sqrt(k))
  return tf.matMul(tf.softmax(scores), v)
}

/**
 * Per-neuron self-attention. Each edge (i → j) of weight layer l reads 6k hyperfeatures: a
 * (q, k, v) triple toward its front neuron j and another toward its behind neuron i. The pool of
 * a neuron is every edge incident to it (incoming edges send their front triples, outgoing edges
 * their behind triples); attention runs within each pool, and every edge receives k features from
 * its front neuron and k from its behind neuron (2k out). Per neuron layer m this is one batched
 * attention over `[B·S·n_m, n_(m−1) + n_(m+1), ·]`, built from transposes and concatenations.
 */
export const attentionBlock = (k = 5, name = "attention"): Block => ({
  name,
  spec: blockSpec("attention", { key: k }, name, "attention"),
  inputs: 6 * k,
  outputs: 2 * k,
  params: noSpecs,
  randoms: noSpecs,
  apply: (x, { context: { graph, batch, sides } }) =>
    tf.tidy(() => {
      const BS = batch * sides
      const layers = graph.layers
      const N = layers.length
      const perLayer = layers.map(({ rows, cols, offset }) =>
        tf.reshape(tf.slice(x!, [0, 0, offset, 0], [batch, sides, rows * cols, 6 * k]), [BS, rows, cols, 6 * k]))
      // toward the front neuron j / the behind neuron i
      const front = perLayer.map((t) => tf.slice(t, [0, 0, 0, 0], [-1, -1, -1, 3 * k]))
      const behind = perLayer.map((t) => tf.slice(t, [0, 0, 0, 3 * k], [-1, -1, -1, 3 * k]))
      const fromFront: Array<tf.Tensor> = new Array(N)
      const fromBehind: Array<tf.Tensor> = new Array(N)
      // neuron layer m: incoming edges are weight layer m (index m−1), outgoing weight layer m+1 (index m)
      for (let m = 0; m <= N; m++) {
        const width = m === 0 ? layers[0]!.rows : layers[m - 1]!.cols
        const parts: Array<tf.Tensor> = []
        if (m >= 1) parts.push(tf.transpose(front[m - 1]!, [0, 2, 1, 3]))
        if (m < N) parts.push(behind[m]!)
        const pool = parts.length === 1 ? parts[0]! : tf.concat(parts, 2)
        const s = pool.shape[2]!
        const out = tf.reshape(attendWithinPools(tf.reshape(pool, [BS * width, s, 3 * k]), k), [BS, width, s, k])
        const incoming = m >= 1 ? layers[m - 1]!.rows : 0
        if (m >= 1) fromFront[m - 1] = tf.transpose(tf.slice(out, [0, 0, 0, 0], [-1, -1, incoming, -1]), [0, 2, 1, 3])
        if (m < N) fromBehind[m] = tf.slice(out, [0, 0, incoming, 0], [-1, -1, -1, -1])
      }
      const packed = layers.map((_, l) => tf.reshape(tf.concat([fromFront[l]!, fromBehind[l]!], -1), [batch, sides, -1, 2 * k]))
      return { output: packed.length === 1 ? packed[0]! : tf.concat(packed, 2) }
    }),
  fused: { kind: "attention", key: k }
})
