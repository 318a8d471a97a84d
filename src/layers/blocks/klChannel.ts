import * as tf from "@tensorflow/tfjs"
import { type Block, blockSpec, noSpecs } from "../block.js"

/** σ = softplus(ρ) + SIGMA_FLOOR keeps every distribution proper. */
export const SIGMA_FLOOR = 1e-3

interface Gaussian {
  readonly mu: tf.Tensor
  readonly sigma: tf.Tensor
}

/**
 * `KL(q ‖ p)` of diagonal Gaussians, summed over every axis but the first: `[B, ...] → [B]`.
 */
export const gaussianKl = (q: Gaussian, p: Gaussian): tf.Tensor =>
  tf.tidy(() => {
    const ratio = tf.div(tf.add(tf.square(q.sigma), tf.square(tf.sub(q.mu, p.mu))), tf.mul(2, tf.square(p.sigma)))
    const perFeature = tf.sub(tf.add(tf.sub(tf.log(p.sigma), tf.log(q.sigma)), ratio), 0.5)
    return tf.sum(perFeature, Array.from({ length: perFeature.rank - 1 }, (_, k) => k + 1))
  })

/**
 * The information bottleneck between the KL sides. Each side's `2·latent` inputs are μ and ρ of a
 * diagonal Gaussian: q on the encoder side, p on the decoder side. The block adds `KL(q ‖ p)` to
 * the accumulator and hands a reparameterised sample `z ~ q` to both sides. Decoder-only, it
 * samples `z ~ p` and adds nothing.
 */
export const klChannelBlock = (latent = 4, name = "kl"): Block => ({
  name,
  spec: blockSpec("kl", { latent }, name, "kl"),
  inputs: 2 * latent,
  outputs: latent,
  params: noSpecs,
  randoms: (graph) => [{ name: "eps", shape: [graph.edges, latent] }],
  apply: (x, { context: { graph, batch, sides }, random }) =>
    tf.tidy(() => {
      const E = graph.edges
      const side = (s: number): Gaussian => {
        const h = tf.squeeze(tf.slice(x!, [0, s, 0, 0], [batch, 1, E, 2 * latent]), [1])
        const [mu, rho] = tf.split(h, 2, -1) as [tf.Tensor, tf.Tensor]
        return { mu, sigma: tf.add(tf.softplus(rho), SIGMA_FLOOR) }
      }
      const eps = random("eps")
      const p = side(sides - 1)
      if (sides === 1) return { output: tf.expandDims(tf.add(p.mu, tf.mul(p.sigma, eps)), 1) }
      const q = side(0)
      const z = tf.add(q.mu, tf.mul(q.sigma, eps))
      return { output: tf.broadcastTo(tf.expandDims(z, 1), [batch, 2, E, latent]), kl: gaussianKl(q, p) }
    })
})
