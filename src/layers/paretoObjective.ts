import * as tf from "@tensorflow/tfjs"
import { l1Loss } from "../core/l1Task.js"
import { type Activation, forward } from "../core/network.js"
import { generate, type GenerationPlan } from "./hypernetwork.js"
import { hyperhypernetwork, type HyperhypernetworkParams } from "./hyperhypernetwork.js"

export interface ParetoTerms {
  /** Scalar: mean over the batch of `log(L + β·KL)`. */
  readonly objective: tf.Tensor
  /** `[B]`: each generation's loss on its own inputs. */
  readonly loss: tf.Tensor
  /** `[B]`: each generation's accumulated KL. */
  readonly kl: tf.Tensor
}

/**
 * The training objective of B.2.2 for one batch: each β makes its θ, each θ generates a network
 * with its own random inputs, each network is scored on its own Gaussian inputs `x: [B, S, n0]`,
 * and the objective is the mean of `log(L + β·KL)`.
 */
export const paretoObjective = (
  plan: GenerationPlan,
  params: HyperhypernetworkParams,
  logBeta: tf.Tensor,
  x: tf.Tensor,
  randoms: Readonly<Record<string, tf.Tensor>>,
  activation: Activation = "swish"
): ParetoTerms =>
  tf.tidy(() => {
    const theta = hyperhypernetwork(params, logBeta)
    const { weights, kl } = generate(plan, theta, randoms)
    const loss = l1Loss(forward(weights, x, activation), x)
    const beta = tf.pow(10, logBeta)
    const objective = tf.mean(tf.log(tf.add(loss, tf.mul(beta, kl))))
    return { objective, loss, kl }
  })
