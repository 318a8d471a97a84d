import * as tf from "@tensorflow/tfjs"
import { Effect, Result } from "effect"
import { checkConditions, type Condition, conditionScale } from "../../core/task/index.js"
import { InvalidInput } from "../../core/base/schemas.js"
import { decodeNetShape, type NetShape } from "../../core/network/schemas.js"
import { quoteValue } from "../../core/base/schemas.js"
import { type Activation, forward, type NetWeights, netWeightsOrThrow } from "../../core/network/index.js"
import { formatNumber } from "../../core/base/schemas.js"
import type { Task } from "../../core/task/index.js"
import { drawConditions, streamDraws } from "../../services/rng/index.js"
import { Progress } from "../../services/console/index.js"
import { Rng } from "../../services/rng/index.js"
import { initMlpTensors } from "../similarity/index.js"
import { readback } from "../../core/base/index.js"

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
  /** With a {@link SnapshotSelection}: the step of each network's kept snapshot. */
  readonly selectedSteps?: ReadonlyArray<number>
}

/** An {@link InvalidInput} naming the argument of a baseline's trainer. */
const invalid = (fn: string, argument: string, problem: string, value: unknown) =>
  Effect.fail(new InvalidInput({ source: `${fn}(${argument})`, message: `${fn}: ${argument} ${problem}, got ${quoteValue(value)}` }))

const positiveInteger = (v: unknown): boolean => typeof v === "number" && Number.isSafeInteger(v) && v >= 1

/**
 * The first bad argument a baseline's trainer is given, as a failed Effect (succeeds when all are
 * good): Adam's steps and samples positive integers and a finite positive learning rate, a
 * selection's `every` a positive integer, the task's conditions keeping their rules.
 */
const checkTraining = (fn: string, task: Task, settings: AdamSettings, select: SnapshotSelection | undefined) =>
  Effect.gen(function* () {
    if (!positiveInteger(settings.steps)) return yield* invalid(fn, "settings.steps", "must be a positive integer", settings.steps)
    if (!positiveInteger(settings.samples)) return yield* invalid(fn, "settings.samples", "must be a positive integer", settings.samples)
    if (!(typeof settings.learningRate === "number" && Number.isFinite(settings.learningRate) && settings.learningRate > 0)) {
      return yield* invalid(fn, "settings.learningRate", "must be a finite number above 0", settings.learningRate)
    }
    if (select !== undefined && !positiveInteger(select.every)) return yield* invalid(fn, "select.every", "must be a positive integer", select.every)
    const conditions = checkConditions(task.conditions, task.name)
    if (Result.isFailure(conditions)) return yield* Effect.fail(new InvalidInput({ source: `${fn}(task)`, message: `${fn}: ${conditions.failure.message}` }))
  })

/** Variables of MLPs of `shape` (batch axes `batch`), drawn as {@link initMlpTensors} from `<stream>/init/…`. */
const initMlp = (stream: string, shape: NetShape, batch: ReadonlyArray<number>) =>
  Effect.map(initMlpTensors(shape, `${stream}/init`, batch), ({ W, b }) => {
    const variables = { W: W.map((w) => tf.variable(w)), b: b.map((c) => tf.variable(c)) }
    tf.dispose([...W, ...b])
    return variables
  })

/** The weights to return: each network's best snapshot if there was a selection, else the last. */
const snapshot = (shape: NetShape, batch: ReadonlyArray<number>, W: ReadonlyArray<tf.Tensor>, b: ReadonlyArray<tf.Tensor>, finalLoss: number, best?: Best): Effect.Effect<TrainedWeights> =>
  Effect.gen(function* () {
    const last = best === undefined ? yield* readback([...W, ...b], { keep: true }) : []
    return {
      shape, batch, finalLoss,
      W: best?.W ?? last.slice(0, W.length),
      b: best?.b ?? last.slice(W.length),
      ...(best === undefined ? {} : { selectedSteps: best.steps })
    }
  })

/** The weights as tensors (the caller disposes them). */
export const weightsToNet = (t: TrainedWeights) =>
  netWeightsOrThrow(t.shape,
    t.W.map((w, l) => tf.tensor(w, [...t.batch, t.shape[l]!, t.shape[l + 1]!])),
    t.b.map((v, l) => tf.tensor(v, [...t.batch, t.shape[l + 1]!])))

/**
 * Snapshot selection: every `every` steps (and at the end) `score` rates the networks as they are,
 * one number per network of the batch (lower is better), and each network keeps its best snapshot.
 * The same rule the experiment applies to the hypernetwork's checkpoints, so that no method is
 * judged on a noisy last Adam step.
 */
export interface SnapshotSelection {
  readonly every: number
  readonly score: (net: NetWeights) => Effect.Effect<ReadonlyArray<number>>
}

/** The best snapshot of each network of a batch: its step and its weights. */
interface Best {
  readonly steps: Array<number>
  readonly scores: Array<number>
  readonly W: Array<Float32Array>
  readonly b: Array<Float32Array>
}

/** Keep, per network of the batch (`K` of them), the snapshot with the lowest score. */
const keepBest = (best: Best | undefined, K: number, step: number, scores: ReadonlyArray<number>, W: ReadonlyArray<tf.Tensor>, b: ReadonlyArray<tf.Tensor>): Effect.Effect<Best> => Effect.gen(function* () {
  const read = (ts: ReadonlyArray<tf.Tensor>) => Effect.map(readback(ts, { keep: true }), (values) => [...values])
  if (best === undefined) return { steps: scores.map(() => step), scores: [...scores], W: yield* read(W), b: yield* read(b) }
  const improved = scores.flatMap((s, k) => (s < best.scores[k]! ? [k] : []))
  if (improved.length === 0) return best
  const [nowW, nowB] = [yield* read(W), yield* read(b)]
  const copy = (into: Array<Float32Array>, from: ReadonlyArray<Float32Array>) => into.forEach((dst, l) => {
    const per = dst.length / K
    for (const k of improved) dst.set(from[l]!.subarray(k * per, (k + 1) * per), k * per)
  })
  copy(best.W, nowW)
  copy(best.b, nowB)
  for (const k of improved) {
    best.steps[k] = step
    best.scores[k] = scores[k]!
  }
  return best
})

/**
 * Adam on `loss()` for `steps` steps, reporting progress as `task`; `loss` draws its own batch from
 * the Rng. Returns the mean loss of the last tenth of the steps and, with `select`, each network's
 * best snapshot.
 */
const adamLoop = (
  task: string, W: ReadonlyArray<tf.Variable>, b: ReadonlyArray<tf.Variable>, K: number, net: () => NetWeights, settings: AdamSettings,
  loss: () => Effect.Effect<{ readonly objective: () => tf.Scalar; readonly dispose: () => void }, never, Rng>, select?: SnapshotSelection
) =>
  Effect.gen(function* () {
    const progress = yield* Progress
    const optimizer = tf.train.adam(settings.learningRate)
    const tail = Math.max(1, Math.floor(settings.steps / 10))
    let sum = 0
    let last = Number.NaN
    let best: Best | undefined
    try {
      for (let step = 1; step <= settings.steps; step++) {
        const batch = yield* loss()
        const cost = optimizer.minimize(batch.objective, true, [...W, ...b])!
        batch.dispose()
        last = (yield* readback([cost]))[0][0]!
        if (step > settings.steps - tail) sum += last
        if (select !== undefined && (step % select.every === 0 || step === settings.steps)) best = yield* keepBest(best, K, step, yield* select.score(net()), W, b)
        if (step % 50 === 0 || step === settings.steps) yield* progress.update(task, { done: step, total: settings.steps, detail: `loss ${formatNumber(last)}` })
      }
    } finally {
      optimizer.dispose()
    }
    yield* progress.finish(task, `loss ${formatNumber(sum / tail)}`)
    return { finalLoss: sum / tail, best }
  })

/**
 * Baseline (b): one target network per condition, each trained from scratch with Adam on f_c
 * alone (`settings.steps` steps of `settings.samples` inputs). The K networks train side by side as
 * one batched network: their losses are summed, so each one's gradient and Adam update are its own.
 * Streams `<stream>/init/…` and `<stream>/x`.
 *
 * @param conditions `[K][C]`: the conditions, one network each (at least one).
 * @param select keep each network's best snapshot by `select.score` (one score per network).
 * @returns the K networks (batch `[K]`): the last step's, or each one's best snapshot. Fails with
 *   {@link InvalidInput} naming the argument: no condition, a condition that is not C finite
 *   numbers, a shape that is not a network's, steps, samples or learning rate out of their domain.
 */
export const trainInrsFromScratch = (task: Task, shape: NetShape, activation: Activation, conditions: ReadonlyArray<ReadonlyArray<number>>, settings: AdamSettings, select?: SnapshotSelection, stream = "inr/scratch") =>
  Effect.gen(function* () {
    const fn = "trainInrsFromScratch"
    yield* checkTraining(fn, task, settings, select)
    const shapeOk = decodeNetShape(shape, "shape")
    if (Result.isFailure(shapeOk)) return yield* invalid(fn, "shape", `is not a network's shape (${shapeOk.failure.message})`, shape)
    if (conditions.length === 0) return yield* invalid(fn, "conditions", "needs at least one condition (one network is trained per condition)", conditions)
    const C = task.conditions.length
    const bad = conditions.findIndex((c) => !Array.isArray(c) || c.length !== C || c.some((v) => typeof v !== "number" || !Number.isFinite(v)))
    if (bad >= 0) return yield* invalid(fn, `conditions[${bad}]`, `must be ${C} finite number${C === 1 ? "" : "s"} (${task.conditions.map((c) => c.name).join(", ")})`, conditions[bad])
    const rng = yield* Rng
    const K = conditions.length
    const { W, b } = yield* initMlp(stream, shape, [K])
    const condition = tf.tensor2d(conditions.map((c) => [...c]), [K, task.conditions.length])
    try {
      const net = () => netWeightsOrThrow(shape, W, b)
      const { finalLoss, best } = yield* adamLoop("inr from scratch", W, b, K, net, settings, () =>
        Effect.map(task.sampleInputs(streamDraws(rng, `${stream}/x`), [K, settings.samples, shape[0]!]), (x) => ({
          objective: () => tf.sum(task.loss(forward(net(), x, activation), x, condition)) as tf.Scalar,
          dispose: () => x.dispose()
        })), select)
      return yield* snapshot(shape, [K], W, b, finalLoss / K, best)
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
 * Streams `<stream>/init/…`, `<stream>/condition/<name>` and `<stream>/x`. With `select`, returns
 * the best snapshot by `select.score` (one score). Fails with {@link InvalidInput} naming the
 * argument: `n0`, a hidden width or `conditionsPerStep` not a positive integer (or a network too
 * large), steps, samples or learning rate out of their domain, conditions that break their rules.
 */
export const trainConditionedMlp = (task: Task, n0: number, hidden: ReadonlyArray<number>, activation: Activation, conditionsPerStep: number, settings: AdamSettings, select?: SnapshotSelection, stream = "inr/mlp") =>
  Effect.gen(function* () {
    const fn = "trainConditionedMlp"
    yield* checkTraining(fn, task, settings, select)
    if (!positiveInteger(n0)) return yield* invalid(fn, "n0", "must be a positive integer", n0)
    if (!positiveInteger(conditionsPerStep)) return yield* invalid(fn, "conditionsPerStep", "must be a positive integer", conditionsPerStep)
    const shapeOk = decodeNetShape([n0 + task.conditions.length, ...hidden, task.outputs], "shape")
    if (Result.isFailure(shapeOk)) return yield* invalid(fn, "hidden", `does not make a network's shape (${shapeOk.failure.message})`, hidden)
    const rng = yield* Rng
    const shape: NetShape = shapeOk.success
    const { W, b } = yield* initMlp(stream, shape, [])
    try {
      const net = () => netWeightsOrThrow(shape, W, b)
      const { finalLoss, best } = yield* adamLoop("conditioned mlp", W, b, 1, net, settings, () =>
        Effect.gen(function* () {
          const condition = (yield* drawConditions(rng, `${stream}/condition`, task.conditions, conditionsPerStep))!
          const x = yield* task.sampleInputs(streamDraws(rng, `${stream}/x`), [conditionsPerStep, settings.samples, n0])
          return {
            objective: () => tf.mean(task.loss(conditionedPrediction(net(), task.conditions, x, condition, activation), x, condition)) as tf.Scalar,
            dispose: () => tf.dispose([x, condition])
          }
        }), select)
      return yield* snapshot(shape, [], W, b, finalLoss, best)
    } finally {
      tf.dispose([...W, ...b])
    }
  })
