import * as tf from "@tensorflow/tfjs"
import { Effect } from "effect"
import { classifyFirstLayer } from "../../core/network/schemas.js"
import type { BaselineSettings } from "../../core/run/index.js"
import type { NetShape } from "../../core/network/schemas.js"
import { type Activation, forward, netWeightsOrThrow } from "../../core/network/index.js"
import { firstLayer, seedDependence } from "../../core/network/index.js"
import { BaselineResult, type StoredNetwork } from "../../core/run/index.js"
import { formatNumber } from "../../core/base/schemas.js"
import { Progress } from "../../services/console/index.js"
import { checkTaskShape, type Task } from "../../core/task/index.js"
import { findTask } from "../../layers/blocks/index.js"
import { streamDraws } from "../../services/rng/index.js"
import { Registry } from "../../services/registry/index.js"
import { Rng } from "../../services/rng/index.js"
import { evaluationInputs, referenceCondition } from "./evaluate.js"
import { ClassThresholds } from "../../services/settings/index.js"
import { readback } from "../../core/base/index.js"

interface Trained {
  readonly network: StoredNetwork
  readonly loss: number
  readonly curve: ReadonlyArray<{ step: number; loss: number }>
}

/** Train one network directly with Adam on fresh batches of the task's inputs; streams `baseline/<seed>/…`. */
const trainOne = (task: Task, shape: NetShape, activation: Activation, settings: BaselineSettings, seed: number, x: tf.Tensor) =>
  Effect.gen(function* () {
    const rng = yield* Rng
    const progress = yield* Progress
    const params: Array<tf.Variable> = []
    for (let l = 1; l < shape.length; l++) {
      const bound = 1 / Math.sqrt(shape[l - 1]!)
      for (const [name, dims] of [["W", [shape[l - 1]!, shape[l]!]], ["b", [shape[l]!]]] as const) {
        const u = yield* rng.uniform(`baseline/${seed}/init/${name}${l}`, dims, -bound, bound)
        params.push(tf.variable(u))
        u.dispose()
      }
    }
    const net = () => netWeightsOrThrow(shape, params.filter((_, k) => k % 2 === 0), params.filter((_, k) => k % 2 === 1))
    const optimizer = tf.train.adam(settings.learningRate)
    // a task family is trained at its reference condition
    const condition = task.conditions.length === 0 ? undefined : tf.tensor1d([...referenceCondition(task)])
    const curve: Array<{ step: number; loss: number }> = []
    let window = 0
    try {
      for (let step = 1; step <= settings.steps; step++) {
        const batch = yield* task.sampleInputs(streamDraws(rng, `baseline/${seed}/x`), [settings.batch, shape[0]!])
        const cost = optimizer.minimize(() => tf.mean(task.loss(forward(net(), batch, activation), batch, condition)) as tf.Scalar, true, params)!
        batch.dispose()
        window += (yield* readback([cost]))[0][0]!
        if (step % settings.logEvery === 0) {
          curve.push({ step, loss: window / settings.logEvery })
          window = 0
          yield* progress.update(`baseline ${seed}`, { done: step, total: settings.steps, detail: `loss ${formatNumber(curve[curve.length - 1]!.loss)}` })
        }
      }
      const [loss] = yield* readback([tf.tidy(() => tf.mean(task.loss(forward(net(), x, activation), x, condition === undefined ? undefined : tf.expandDims(condition, 0))))])
      const values = yield* readback(params, { keep: true })
      const network: StoredNetwork = {
        shape,
        W: values.filter((_, k) => k % 2 === 0).map((p) => Array.from(p)),
        b: values.filter((_, k) => k % 2 === 1).map((p) => Array.from(p))
      }
      return { network, loss: loss[0]!, curve } satisfies Trained
    } finally {
      optimizer.dispose()
      tf.dispose([...params, ...(condition === undefined ? [] : [condition])])
    }
  })

/** What the baseline trains: the run's target shape, hidden activation and task (by name). */
export interface BaselineTarget {
  readonly shape: NetShape
  readonly activation: Activation
  readonly task: string
}

/**
 * The baseline (Figure 6): the target network trained directly with Adam on the run's task, with
 * two seeds so that α3 compares two independently trained networks. Loss on the shared evaluation
 * inputs, and the order parameters (of the first layer) and class of the first (under the
 * {@link ClassThresholds}). Fails with UnknownComponent for a task that is not registered, or
 * TaskShapeError for one that does not fit the shape.
 */
export const adamBaseline = (target: BaselineTarget, settings: BaselineSettings) =>
  Effect.gen(function* () {
    const progress = yield* Progress
    const { shape, activation } = target
    const task = yield* Effect.fromResult(findTask(yield* Registry, target.task))
    yield* Effect.fromResult(checkTaskShape(task, shape))
    const x = yield* evaluationInputs(task, shape[0]!, settings.samples)
    const [a, b] = yield* Effect.all([trainOne(task, shape, activation, settings, 0, x), trainOne(task, shape, activation, settings, 1, x)]).pipe(
      Effect.ensuring(Effect.sync(() => x.dispose())))
    const first = (n: StoredNetwork) => firstLayer(shape, n.W)
    const { alpha1, alpha2, algorithm } = classifyFirstLayer(first(a.network), yield* ClassThresholds)
    yield* progress.finish("baseline", `loss ${formatNumber(a.loss)} (second seed ${formatNumber(b.loss)})`)
    return {
      steps: settings.steps, learningRate: settings.learningRate, batch: settings.batch, curve: a.curve, loss: a.loss,
      alpha1, alpha2, alpha3: seedDependence(first(a.network).W, first(b.network).W), algorithm, network: a.network
    } satisfies BaselineResult
  })
