import * as tf from "@tensorflow/tfjs"
import { matMul2d } from "./linearMap.js"

/**
 * The Pareto hyperhypernetwork (B.2.2): β → θ. An MLP `1 → 100 → 10 → 2P` with swish on the
 * hidden layers reads `u = (log10 β + 6) / 6` and outputs a, b ∈ R^P; the hyperweights are
 * `θ = a ⊙ sigmoid(b)`.
 */
export interface HyperhypernetworkSpec {
  /** P: hyperweights generated per β. */
  readonly outputs: number
  readonly hidden: ReadonlyArray<number>
}

export const defaultHidden: ReadonlyArray<number> = [100, 10]

/** Parameter names and shapes, in order: `W1, b1, W2, b2, …`. */
export const hyperhypernetworkShapes = (spec: HyperhypernetworkSpec): ReadonlyArray<{ readonly name: string; readonly shape: ReadonlyArray<number> }> => {
  const widths = [1, ...spec.hidden, 2 * spec.outputs]
  return widths.slice(1).flatMap((w, k) => [
    { name: `W${k + 1}`, shape: [widths[k]!, w] },
    { name: `b${k + 1}`, shape: [w] }
  ])
}

/** Parameters in the order of {@link hyperhypernetworkShapes}. */
export type HyperhypernetworkParams = ReadonlyArray<tf.Tensor>

/** The network's input for a β given as log10 β. */
const betaFeature = (logBeta: tf.Tensor): tf.Tensor => tf.tidy(() => tf.reshape(tf.div(tf.add(logBeta, 6), 6), [-1, 1]))

/**
 * Initialise like a dense layer: weights and biases uniform in ±1/sqrt(fan_in). `uniform` are
 * draws on (−1, 1), one per parameter, in the order of the shapes.
 */
export const initHyperhypernetwork = (spec: HyperhypernetworkSpec, uniform: ReadonlyArray<tf.Tensor>): HyperhypernetworkParams =>
  hyperhypernetworkShapes(spec).map(({ shape }, k) => {
    const fanIn = shape.length === 2 ? shape[0]! : hyperhypernetworkShapes(spec)[k - 1]!.shape[0]!
    return tf.tidy(() => tf.mul(tf.reshape(uniform[k]!, [...shape]), 1 / Math.sqrt(fanIn)))
  })

/** `log10 β: [B]` → `θ: [B, P]`. */
export const hyperhypernetwork = (params: HyperhypernetworkParams, logBeta: tf.Tensor): tf.Tensor =>
  tf.tidy(() => {
    let h = betaFeature(logBeta)
    const layers = params.length / 2
    for (let k = 0; k < layers; k++) {
      const z = tf.add(matMul2d(h as tf.Tensor2D, params[2 * k] as tf.Tensor2D), params[2 * k + 1]!)
      h = k < layers - 1 ? tf.mul(z, tf.sigmoid(z)) : z
    }
    const [a, b] = tf.split(h, 2, -1) as [tf.Tensor, tf.Tensor]
    return tf.mul(a, tf.sigmoid(b))
  })
