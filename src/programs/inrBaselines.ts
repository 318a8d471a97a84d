import * as tf from "@tensorflow/tfjs"
import { Effect } from "effect"
import { type Condition, conditionScale } from "../core/condition.js"
import type { NetShape } from "../core/netShape.js"
import { type Activation, forward, type NetWeights, netWeightsOrThrow } from "../core/network.js"
import { formatNumber } from "../core/table.js"
import type { Task } from "../core/task.js"
import { drawConditions, streamDraws } from "../services/inputDraws.js"
import { Progress } from "../services/Progress.js"
import { Rng } from "../services/Rng.js"

/** How a baseline is trained: Adam steps, samples per condition and step, learning rate. */
export interface AdamSettings {
  readonly steps: number
  /** Samples of x per condition and step (the hypernetwork's samples per generation). */
  readonly samples: number
  readonly learningRate: number
}

/** Trained MLP weights, `W[l]` of shape `[...batch, n_(l−1), n_l]` flattened, `b[l]` likewise. */
export interface TrainedWeights {
  readonly shape: NetShape
  /** Leading batch axes (one network per evaluated condition for the from-scratch INRs). */
  readonly batch: ReadonlyArray<number>
  readonly W: ReadonlyArray<Float32Array>
  readonly b: ReadonlyArray<Float32Array>
  /** Mean training loss over the last tenth of the steps. */
  readonly finalLoss: number
}

/** Variables of `count` MLPs of `shape` (batch axes `batch`), uniform in ±1/sqrt(fan_in) from `<stream>/init/…`. */
const initMlp = (stream: string, shape: NetShape, batch: ReadonlyArray<number>) =>
  Effect.gen(function* () {
    const rng = yield* Rng
    const W: Array<tf.Variable> = []
    const b: Array<tf.Variable> = []
    for (let l = 1; l < shape.length; l++) {
      const bound = 1 / Math.sqrt(shape[l - 1]!)
      const w = yield* rng.uniform(`${stream}/init/W${l}`, [...batch, shape[l - 1]!, shape[l]!], -bound, bound)
      const c = yield* rng.uniform(`${stream}/init/b${l}`, [...batch, shape[l]!], -bound, bound)
      W.push(tf.variable(w))
      b.push(tf.variable(c))
      tf.dispose([w, c])
    }
    return { W, b }
  })

const snapshot = (shape: NetShape, batch: ReadonlyArray<number>, W: ReadonlyArray<tf.Tensor>, b: ReadonlyArray<tf.Tensor>, finalLoss: number): TrainedWeights => ({
  shape, batch, finalLoss,
  W: W.map((w) => Float32Array.from(w.dataSync())),
  b: b.map((v) => Float32Array.from(v.dataSync()))
})

/** The weights as tensors (the caller disposes them). */
export const weightsToNet = (t: TrainedWeights) =>
  netWeightsOrThrow(t.shape,
    t.W.map((w, l) => tf.tensor(w, [...t.batch, t.shape[l]!, t.shape[l + 1]!])),
    t.b.map((v, l) => tf.tensor(v, [...t.batch, t.shape[l + 1]!])))

/**
 * Adam on `loss()` for `steps` steps, reporting progress as `task`; returns the mean loss of the
 * last tenth of the steps. `loss` draws its own batch from the Rng.
 */
const adamLoop = (task: string, variables: ReadonlyArray<tf.Variable>, settings: AdamSettings, loss: () => Effect.Effect<{ readonly objective: () => tf.Scalar; readonly dispose: () => void }, never, Rng>) =>
  Effect.gen(function* () {
    const progress = yield* Progress
    const optimizer = tf.train.adam(settings.learningRate)
    const tail = Math.max(1, Math.floor(settings.steps / 10))
    let sum = 0
    let last = Number.NaN
    try {
      for (let step = 1; step <= settings.steps; step++) {
        const batch = yield* loss()
        const cost = optimizer.minimize(batch.objective, true, [...variables])!
        last = cost.dataSync()[0]!
        if (step > settings.steps - tail) sum += last
        tf.dispose(cost)
        batch.dispose()
        if (step % 50 === 0 || step === settings.steps) yield* progress.update(task, { done: step, total: settings.steps, detail: `loss ${formatNumber(last)}` })
      }
    } finally {
      optimizer.dispose()
    }
    yield* progress.finish(task, `loss ${formatNumber(sum / tail)}`)
    return sum / tail
  })

/**
 * Baseline (b): one target network per condition, each trained from scratch with Adam on f_c
 * alone (`settings.steps` steps of `settings.samples` inputs). The K networks train side by side as
 * one batched network: their losses are summed, so each one's gradient and Adam update are its own.
 * Streams `<stream>/init/…` and `<stream>/x`.
 *
 * @param conditions `[K][C]`: the conditions, one network each.
 * @returns the K networks (batch `[K]`).
 */
export const trainInrsFromScratch = (task: Task, shape: NetShape, activation: Activation, conditions: ReadonlyArray<ReadonlyArray<number>>, settings: AdamSettings, stream = "inr/scratch") =>
  Effect.gen(function* () {
    const rng = yield* Rng
    const K = conditions.length
    const { W, b } = yield* initMlp(stream, shape, [K])
    const condition = tf.tensor2d(conditions.map((c) => [...c]), [K, task.conditions.length])
    try {
      const finalLoss = yield* adamLoop("inr from scratch", [...W, ...b], settings, () =>
        Effect.map(task.sampleInputs(streamDraws(rng, `${stream}/x`), [K, settings.samples, shape[0]!]), (x) => ({
          objective: () => tf.sum(task.loss(forward(netWeightsOrThrow(shape, W, b), x, activation), x, condition)) as tf.Scalar,
          dispose: () => x.dispose()
        })))
      return snapshot(shape, [K], W, b, finalLoss / K)
    } finally {
      tf.dispose([...W, ...b, condition])
    }
  })

/**
 * The conditions `[B, C]` scaled to [−1, 1] over their ranges, as the hyperhypernetwork reads them
 * (`(v − centre) / half-width`).
 */
export const scaleConditions = (conditions: ReadonlyArray<Condition>, values: tf.Tensor): tf.Tensor =>
  tf.tidy(() => {
    const scales = conditions.map(conditionScale)
    return tf.div(tf.sub(values, tf.tensor1d(scales.map((s) => s.center))), tf.tensor1d(scales.map((s) => s.halfWidth)))
  })

/**
 * The input of the conditioned MLP: `x: [B, S, n0]` beside the scaled conditions `[B, C]`, as rows
 * `[B·S, n0 + C]` (one matrix product per layer: TensorFlow.js cannot take the gradient of a batched
 * product against an unbatched weight).
 */
export const conditionedInput = (conditions: ReadonlyArray<Condition>, x: tf.Tensor, condition: tf.Tensor): tf.Tensor =>
  tf.tidy(() => {
    const [B, S, n0] = [x.shape[0]!, x.shape[1]!, x.shape[2]!]
    const c = tf.broadcastTo(tf.expandDims(scaleConditions(conditions, condition), 1), [B, S, conditions.length])
    return tf.reshape(tf.concat([x, c], -1), [B * S, n0 + conditions.length])
  })

/** The conditioned MLP's prediction `[B, S, outputs]` for `x: [B, S, n0]` and `condition: [B, C]`. */
export const conditionedPrediction = (net: NetWeights, conditions: ReadonlyArray<Condition>, x: tf.Tensor, condition: tf.Tensor, activation: Activation): tf.Tensor =>
  tf.tidy(() => tf.reshape(forward(net, conditionedInput(conditions, x, condition), activation), [x.shape[0]!, x.shape[1]!, net.shape[net.shape.length - 1]!]))

/**
 * Baseline (a): one plain MLP `[n0 + C, …hidden, outputs]` taking (x, c), c scaled to [−1, 1] as
 * the hyperhypernetwork reads it, trained with Adam on the family: each step draws `conditions`
 * training conditions (as the hypernetwork's training does) and `settings.samples` inputs for each.
 * Streams `<stream>/init/…`, `<stream>/condition/<name>` and `<stream>/x`.
 */
export const trainConditionedMlp = (task: Task, n0: number, hidden: ReadonlyArray<number>, activation: Activation, conditionsPerStep: number, settings: AdamSettings, stream = "inr/mlp") =>
  Effect.gen(function* () {
    const rng = yield* Rng
    const shape: NetShape = [n0 + task.conditions.length, ...hidden, task.outputs]
    const { W, b } = yield* initMlp(stream, shape, [])
    try {
      const finalLoss = yield* adamLoop("conditioned mlp", [...W, ...b], settings, () =>
        Effect.gen(function* () {
          const condition = (yield* drawConditions(rng, `${stream}/condition`, task.conditions, conditionsPerStep))!
          const x = yield* task.sampleInputs(streamDraws(rng, `${stream}/x`), [conditionsPerStep, settings.samples, n0])
          return {
            objective: () => tf.mean(task.loss(conditionedPrediction(netWeightsOrThrow(shape, W, b), task.conditions, x, condition, activation), x, condition)) as tf.Scalar,
            dispose: () => tf.dispose([x, condition])
          }
        }))
      return snapshot(shape, [], W, b, finalLoss)
    } finally {
      tf.dispose([...W, ...b])
    }
  })
