import * as tf from "@tensorflow/tfjs"
import { type Block, blockSpec, noSpecs } from "./block.js"

/** σ = softplus(ρ) + SIGMA_FLOOR keeps every distribution proper. */
export const SIGMA_FLOOR = 1e-3

interface Gaussian {
  readonly mu: tf.Tensor
  readonly sigma: tf.Tensor
}

/**
 * `KL(q ‖ p)` of diagonal Gaussians, summed over every axis but the first: `[B, ...] → [B]` (nats).
 *
 * Per feature, with `r = σq/σp` and `t = 2·log r`, the closed form
 * `log(σp/σq) + (σq² + (μq − μp)²)/(2σp²) − 1/2` is evaluated as
 *
 *     0.5·(expm1(t) − t) + 0.5·((μq − μp)/σp)²
 *
 * Both terms are ≥ 0 in float arithmetic (`expm1(t) ≥ t` survives rounding, which is monotone, and
 * a square is ≥ 0), so the sum cannot go negative: the textbook form cancels to about −6e−8 when
 * q ≈ p, and `log(L + β·KL)` is then NaN for large β. `t` comes from one ratio (absolute error a
 * few float32 ulps of 1, not of log σ), and what rounding leaves below 0 is clamped to 0. Only
 * ops with gradients and kernels on every backend (div, log, expm1, relu, square, sum).
 */
export const gaussianKl = (q: Gaussian, p: Gaussian): tf.Tensor =>
  tf.tidy(() => {
    const t = tf.mul(2, tf.log(tf.div(q.sigma, p.sigma)))
    const spread = tf.relu(tf.sub(tf.expm1(t), t))
    const shift = tf.square(tf.div(tf.sub(q.mu, p.mu), p.sigma))
    const perFeature = tf.mul(0.5, tf.add(spread, shift))
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
    }),
  fused: { kind: "kl", latent }
})
