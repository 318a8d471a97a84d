import * as tf from "@tensorflow/tfjs"
import { type Activation, forward, netWeightsOrThrow } from "../../core/network/index.js"
import type { Task } from "../../core/task/index.js"
import { type GenerationPlan, generateUnchecked } from "./hypernetwork.js"
import { type HyperhypernetworkParams, type HyperhypernetworkPlan, hyperweights } from "./hyperhypernetwork.js"

export interface ParetoTerms {
  /** Scalar: mean over the batch of `log(L + β·KL)`. */
  readonly objective: tf.Tensor
  /** `[B]`: each generation's loss on its own inputs. */
  readonly loss: tf.Tensor
  /** `[B]`: each generation's accumulated KL. */
  readonly kl: tf.Tensor
}

/** What the objective needs of a run: its generation plan (trained shape), task and hyperhypernetwork. */
export interface ObjectiveContext {
  readonly plan: GenerationPlan
  readonly task: Task
  readonly hyperhypernetwork: HyperhypernetworkPlan
}

/** Per-step settings of the objective. */
export interface ObjectiveOptions {
  /**
   * The weight w ∈ [0, 1] of the KL term, `log(L + w·β·KL)`: below 1 during a KL warm-up
   * (`TrainConfig.klWarmupSteps`; see `klWeightAt`), 1 (the paper's objective) otherwise.
   */
  readonly klWeight?: number
}

/**
 * The training objective of B.2.2 for one batch: each β (and, for a task family, each condition
 * `condition: [B, C]`) makes its θ, each θ generates a network with its own random inputs, each
 * network is scored by the task on its own inputs `x: [B, S, n0]`, and the objective is the mean of
 * `log(L + β·KL)` (`log(L + w·β·KL)` with a KL weight w during a warm-up).
 */
export const paretoObjective = (
  run: ObjectiveContext,
  params: HyperhypernetworkParams,
  logBeta: tf.Tensor,
  x: tf.Tensor,
  randoms: Readonly<Record<string, tf.Tensor>>,
  activation: Activation = "swish",
  condition?: tf.Tensor,
  options: ObjectiveOptions = {}
): ParetoTerms =>
  tf.tidy(() => {
    const theta = hyperweights(run.plan.layout, run.hyperhypernetwork, params, logBeta, condition)
    const g = generateUnchecked(run.plan, theta, randoms)
    const loss = run.task.loss(forward(netWeightsOrThrow(run.plan.graph.shape, g.W, g.bias), x, activation), x, condition)
    const w = options.klWeight ?? 1
    // w = 1 adds no operation, so the paper's objective keeps its exact bits
    const beta = w === 1 ? tf.pow(10, logBeta) : tf.mul(tf.pow(10, logBeta), w)
    const objective = tf.mean(tf.log(tf.add(loss, tf.mul(beta, g.kl))))
    return { objective, loss, kl: g.kl }
  })
