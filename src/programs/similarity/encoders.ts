import * as tf from "@tensorflow/tfjs"
import { Effect } from "effect"
import type { NetShape } from "../../core/network/schemas.js"
import { forward, type NetWeights, netWeightsOrThrow } from "../../core/network/index.js"
import { softmaxCrossEntropy } from "../../layers/hypernetwork/index.js"
import { Rng } from "../../services/rng/index.js"
import { readback } from "../../core/base/index.js"

/** How an encoder is trained: full-batch Adam on the cross-entropy of a linear head on its features. */
export interface EncoderTraining {
  readonly steps: number
  readonly learningRate: number
}

/**
 * A freshly initialised MLP (weights and biases uniform in ±1/sqrt(fan_in), the usual dense
 * initialisation), drawn from the Rng streams `<stream>/W<l>` and `<stream>/b<l>`.
 */
export const initMlp = (shape: NetShape, stream: string): Effect.Effect<NetWeights, never, Rng> =>
  Effect.map(initMlpTensors(shape, stream), ({ W, b }) => netWeightsOrThrow(shape, W, b))

/**
 * The tensors of {@link initMlp}, for `batch` independent MLPs at once (leading axes `batch` on
 * every tensor: W^(l) `[...batch, n_{l−1}, n_l]`, b^(l) `[...batch, n_l]`).
 */
export const initMlpTensors = (shape: NetShape, stream: string, batch: ReadonlyArray<number> = []) =>
  Effect.gen(function* () {
    const rng = yield* Rng
    const W: Array<tf.Tensor> = []
    const b: Array<tf.Tensor> = []
    for (let l = 1; l < shape.length; l++) {
      const bound = 1 / Math.sqrt(shape[l - 1]!)
      W.push(yield* rng.uniform(`${stream}/W${l}`, [...batch, shape[l - 1]!, shape[l]!], -bound, bound))
      b.push(yield* rng.uniform(`${stream}/b${l}`, [...batch, shape[l]!], -bound, bound))
    }
    return { W, b }
  })

/** A trained encoder and how well its training head classified the training inputs. */
export interface TrainedEncoder {
  readonly net: NetWeights
  /** Final training cross-entropy (nats) of encoder + head. */
  readonly loss: number
}

/**
 * Train an encoder of shape `[m, …, d]` on a classification task: a linear head `[d, k]` on its
 * features, both trained by full-batch Adam on the softmax cross-entropy of `inputs: [N, m]` against
 * one-hot `targets: [N, k]`; the head is then dropped. Initial weights come from the Rng streams
 * `<stream>/encoder/…` and `<stream>/head/…`. Returns new tensors (the caller disposes `net`).
 */
export const trainEncoder = (shape: NetShape, inputs: tf.Tensor2D, targets: tf.Tensor2D, settings: EncoderTraining, stream: string): Effect.Effect<TrainedEncoder, never, Rng> =>
  Effect.gen(function* () {
    const init = yield* initMlp(shape, `${stream}/encoder`)
    const head = yield* initMlp([shape[shape.length - 1]!, targets.shape[1]], `${stream}/head`)
    const params = [...init.W, ...init.b, ...head.W, ...head.b].map((t) => tf.variable(t))
    tf.dispose([...init.W, ...init.b, ...head.W, ...head.b])
    const N = shape.length - 1
    const encoderOf = () => netWeightsOrThrow(shape, params.slice(0, N), params.slice(N, 2 * N))
    const optimizer = tf.train.adam(settings.learningRate)
    try {
      let loss = NaN
      for (let step = 1; step <= settings.steps; step++) {
        const cost = optimizer.minimize(() => {
          const features = forward(encoderOf(), inputs)
          const logits = tf.add(tf.matMul(features, params[2 * N]!), params[2 * N + 1]!)
          return softmaxCrossEntropy(logits, targets) as tf.Scalar
        }, step === settings.steps, params)
        if (cost !== null) loss = (yield* readback([cost]))[0][0]!
      }
      const net = netWeightsOrThrow(shape, params.slice(0, N).map((p) => tf.clone(p)), params.slice(N, 2 * N).map((p) => tf.clone(p)))
      return { net, loss }
    } finally {
      optimizer.dispose()
      tf.dispose(params)
    }
  })
