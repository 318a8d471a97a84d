import * as tf from "@tensorflow/tfjs"
import type { Activation } from "../../core/network/index.js"
import type { HyperhypernetworkParams } from "./hyperhypernetwork.js"
import { type ObjectiveContext, type ObjectiveOptions, paretoObjective } from "./paretoObjective.js"

export interface ShardGradient {
  /** This shard's share of the objective: its mean × size / total. */
  readonly objective: tf.Tensor
  readonly grads: ReadonlyArray<tf.Tensor>
  readonly loss: tf.Tensor
  readonly kl: tf.Tensor
}

/**
 * The gradient, with respect to the hyperhypernetwork's parameters, of one shard's share of the
 * Pareto objective, `Σ_(b ∈ shard) log(L_b + β_b·KL_b) / total`. Shards' gradients add up to the
 * gradient of the whole batch's mean, so a step can be split across threads.
 */
export const shardGradient = (
  run: ObjectiveContext, params: HyperhypernetworkParams, logBeta: tf.Tensor, x: tf.Tensor,
  randoms: Readonly<Record<string, tf.Tensor>>, activation: Activation, total: number, condition?: tf.Tensor,
  options: ObjectiveOptions = {}
): ShardGradient => {
  let loss: tf.Tensor | undefined
  let kl: tf.Tensor | undefined
  const { value, grads } = tf.valueAndGrads((...ps: Array<tf.Tensor>) => {
    const terms = paretoObjective(run, ps, logBeta, x, randoms, activation, condition, options)
    loss = tf.keep(terms.loss)
    kl = tf.keep(terms.kl)
    return tf.mul(terms.objective, logBeta.shape[0]! / total) as tf.Scalar
  })([...params])
  return { objective: value, grads, loss: loss!, kl: kl! }
}
