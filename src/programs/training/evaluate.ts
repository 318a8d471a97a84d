import * as tf from "@tensorflow/tfjs"
import { Effect } from "effect"
import { mean, median } from "../../core/run/index.js"
import { type Checkpoint, CheckpointError } from "../../core/run/index.js"
import { type Algorithm, classify, type Thresholds } from "../../core/network/schemas.js"
import { ClassThresholds } from "../../services/settings/index.js"
import type { NetShape } from "../../core/network/schemas.js"
import { forward, netWeightsOrThrow } from "../../core/network/index.js"
import type { NonFiniteValues } from "../../core/base/schemas.js"
import { checkFinite } from "../../core/base/schemas.js"
import { doubleSidedness, type Matrix, pathBalance, seedDependence, signAgreement, strongestConnection } from "../../core/network/index.js"
import type { TrainConfig } from "../../core/run/index.js"
import type { GenerationMode } from "../../layers/blocks/index.js"
import { referenceValue } from "../../core/task/index.js"
import { checkTaskShape, type Task, type TaskShapeError } from "../../core/task/index.js"
import { generateUnchecked, type GenerationError, type Hypernetwork, planGeneration, randomSpecs } from "../../layers/hypernetwork/index.js"
import { hyperhypernetworkShapes, hyperweights } from "../../layers/hypernetwork/index.js"
import type { RunPlan, RunPlanError } from "../../layers/hypernetwork/index.js"
import { fixedDraws } from "../../services/rng/index.js"
import { Rng } from "../../services/rng/index.js"
import type { StoredNetwork } from "../../core/run/index.js"
import { readback } from "../../core/base/index.js"
import { runPlanOf } from "./trainer.js"

/** A trained hyperhypernetwork, ready to generate: its config, plan and parameters. */
export interface TrainedModel {
  readonly config: TrainConfig
  readonly run: RunPlan
  readonly params: ReadonlyArray<tf.Tensor>
}

/**
 * The model saved in a checkpoint, its hypernetwork and task rebuilt through the `Registry`
 * (tensors owned by the caller; see {@link disposeModel}).
 */
export const modelFromCheckpoint = (c: Checkpoint): Effect.Effect<TrainedModel, CheckpointError | RunPlanError> =>
  Effect.gen(function* () {
    const run = yield* runPlanOf(c.config)
    const byName = new Map(c.tensors.map((t) => [t.name, t]))
    const shapes = hyperhypernetworkShapes(run.hyperhypernetwork)
    for (const s of shapes) {
      const t = byName.get(`param/${s.name}`)
      if (t === undefined) return yield* new CheckpointError({ message: `the checkpoint has no tensor param/${s.name}` })
      if (t.values.length !== s.shape.reduce((a, b) => a * b, 1)) {
        return yield* new CheckpointError({ message: `tensor param/${s.name} has shape [${t.shape.join(", ")}], the config needs [${s.shape.join(", ")}]` })
      }
    }
    return { config: c.config, run, params: shapes.map((s) => tf.tensor(byName.get(`param/${s.name}`)!.values, [...s.shape])) }
  })

export const disposeModel = (m: TrainedModel): void => tf.dispose([...m.params])

/** One generated network, scored. */
export interface GenerationEval {
  readonly logBeta: number
  readonly seed: number
  readonly loss: number
  readonly kl: number
  /** First-layer weights, for the order parameters. */
  readonly W1: Matrix
  /** The norm of each hidden unit's outgoing weights (absent for a one-layer network). */
  readonly hiddenOut?: Float32Array
}

/**
 * The task's evaluation inputs `[1, samples, n]` for input size n: the same for every generation
 * (common random numbers), at fixed positions of the stream `eval/x/<n>`.
 */
export const evaluationInputs = (task: Task, n: number, samples: number): Effect.Effect<tf.Tensor, never, Rng> =>
  Effect.gen(function* () {
    const rng = yield* Rng
    return yield* task.sampleInputs(fixedDraws(rng, `eval/x/${n}`), [1, samples, n])
  })

/**
 * The random tensors of generation seed `g`: every tensor a function of (root seed, seed, name), so
 * the same seed gives the same noise at every β and checkpoint.
 */
const seedRandoms = (net: Hypernetwork, target: NetShape, seeds: ReadonlyArray<number>) =>
  Effect.gen(function* () {
    const rng = yield* Rng
    const out: Record<string, tf.Tensor> = {}
    for (const s of randomSpecs(net, target)) {
      const parts: Array<tf.Tensor> = []
      for (const g of seeds) parts.push(yield* rng.normalAt(`generation/${g}/${s.name}`, 0, [1, ...s.shape]))
      out[s.name] = tf.concat(parts, 0)
      tf.dispose(parts)
    }
    return out
  })

/** The plan for generating `target` from a model, checked against its task's widths. */
const planFor = (model: TrainedModel, target: NetShape, mode: GenerationMode) =>
  Effect.gen(function* () {
    yield* Effect.fromResult(checkTaskShape(model.run.task, target))
    return yield* Effect.fromResult(planGeneration(model.run.net, model.run.layout, target, mode))
  })

/** The values a task family's conditions take in programs that evaluate one network per β. */
export const referenceCondition = (task: Task): ReadonlyArray<number> => task.conditions.map(referenceValue)

/** `[B, C]` of conditions, or undefined for a task without any. */
const conditionTensor = (task: Task, conditions: ReadonlyArray<ReadonlyArray<number>>): tf.Tensor | undefined =>
  task.conditions.length === 0 ? undefined : tf.tensor2d(conditions.map((c) => [...c]), [conditions.length, task.conditions.length])

/** θ `[B, P]` of a model at each log10 β (and, for a task family, each condition `[B, C]`). */
export const thetaAt = (model: TrainedModel, logBetas: ReadonlyArray<number>, condition?: tf.Tensor): tf.Tensor =>
  tf.tidy(() => hyperweights(model.run.layout, model.run.hyperhypernetwork, model.params, tf.tensor1d([...logBetas]), condition))

/**
 * Generate and score one network per (log β, seed) pair, in chunks sized to the target's edges.
 * Losses are the task's, measured on `samples` shared evaluation inputs.
 */
const evaluateGenerations = (
  model: TrainedModel,
  target: NetShape,
  mode: GenerationMode,
  pairs: ReadonlyArray<{ readonly logBeta: number; readonly seed: number; readonly condition?: ReadonlyArray<number> }>,
  samples: number
): Effect.Effect<ReadonlyArray<GenerationEval>, GenerationError | TaskShapeError | NonFiniteValues, Rng> =>
  Effect.gen(function* () {
    const plan = yield* planFor(model, target, mode)
    const x = yield* evaluationInputs(model.run.task, target[0]!, samples)
    const chunk = Math.max(1, Math.min(32, Math.floor(400_000 / plan.graph.edges)))
    const out: Array<GenerationEval> = []
    try {
      for (let at = 0; at < pairs.length; at += chunk) {
        const part = pairs.slice(at, at + chunk)
        const randoms = yield* seedRandoms(model.run.net, target, part.map((p) => p.seed))
        const reference = referenceCondition(model.run.task)
        const [loss, kl, W1, W2norm] = tf.tidy(() => {
          const condition = conditionTensor(model.run.task, part.map((p) => p.condition ?? reference))
          const g = generateUnchecked(plan, thetaAt(model, part.map((p) => p.logBeta), condition), randoms)
          const net = netWeightsOrThrow(target, g.W, g.bias)
          const W2 = g.W[1]
          return [model.run.task.loss(forward(net, x, model.config.activation), x, condition), g.kl, g.W[0]!, W2 === undefined ? undefined : tf.norm(W2, "euclidean", -1)]
        })
        tf.dispose(Object.values(randoms))
        const [lv, kv, wv, ov] = yield* readback([loss, kl, W1, ...(W2norm === undefined ? [] : [W2norm])])
        const [rows, cols] = [target[0]!, target[1]!]
        for (const [k, p] of part.entries()) {
          const e: GenerationEval = {
            ...p, loss: lv[k]!, kl: kv[k]!, W1: { rows, cols, data: Float32Array.from(wv.subarray(k * rows * cols, (k + 1) * rows * cols)) },
            ...(ov === undefined ? {} : { hiddenOut: Float32Array.from(ov.subarray(k * cols, (k + 1) * cols)) })
          }
          // a NaN or infinite network has no loss or algorithm to report: fail, naming it
          yield* Effect.fromResult(checkFinite(`the network generated at log β = ${p.logBeta}, seed ${p.seed} (${mode}, [${target.join(", ")}])`,
            [["loss", [e.loss]], ["KL", [e.kl]], ["W^(1)", e.W1.data], ["‖W^(2)_j‖", e.hiddenOut ?? []]]))
          out.push(e)
        }
      }
    } finally {
      x.dispose()
    }
    return out
  })

/** What one β of a checkpoint looks like, over its generation seeds. */
export interface GenerationSummary {
  readonly logBeta: number
  /** Mean over seeds (a single network's loss varies 2–4× between seeds). */
  readonly loss: number
  readonly lossMin: number
  readonly lossMax: number
  readonly kl: number
  /** Medians over seeds: α1 has heavy tails (≈ 1e6 for sparse networks). */
  readonly alpha1: number
  readonly alpha2: number
  /** Mean over disjoint pairs of seeds (0, 1), (2, 3) … */
  readonly alpha3: number
  /** Median over seeds of the sign agreement of each input's strongest path (not the paper's). */
  readonly signAgreement: number
  /** Median over seeds of the path balance (not the paper's; see `classify`). */
  readonly pathBalance: number
  readonly algorithm: Algorithm
}

/** Summarise the generations of one β (at least one seed; α3 needs two), classified under `thresholds`. */
export const summariseBeta = (evals: ReadonlyArray<GenerationEval>, thresholds: Thresholds): GenerationSummary => {
  const losses = evals.map((e) => e.loss)
  const alpha1 = median(evals.map((e) => doubleSidedness(e.W1)))
  const alpha2 = median(evals.map((e) => strongestConnection(e.W1)))
  // a one-layer network's first-layer units are its outputs: outgoing strength 1
  const out = (e: GenerationEval) => e.hiddenOut ?? new Float32Array(e.W1.cols).fill(1)
  const balance = median(evals.map((e) => pathBalance(e.W1, out(e))))
  const pairs = Array.from({ length: Math.floor(evals.length / 2) }, (_, k) => seedDependence(evals[2 * k]!.W1, evals[2 * k + 1]!.W1))
  return {
    logBeta: evals[0]!.logBeta,
    loss: mean(losses),
    lossMin: Math.min(...losses),
    lossMax: Math.max(...losses),
    kl: mean(evals.map((e) => e.kl)),
    alpha1, alpha2,
    alpha3: mean(pairs),
    signAgreement: median(evals.map((e) => signAgreement(e.W1, out(e)))),
    pathBalance: balance,
    algorithm: classify({ alpha1, alpha2, pathBalance: balance }, thresholds)
  }
}

/**
 * Evaluate every (β, seed) of a grid and summarise per β, classifying under the
 * {@link ClassThresholds} (a run's recorded ones, as the experiment runner provides them).
 */
export const evaluateBetas = (model: TrainedModel, target: NetShape, mode: GenerationMode, logBetas: ReadonlyArray<number>, seeds: ReadonlyArray<number>, samples: number) =>
  Effect.gen(function* () {
    const thresholds = yield* ClassThresholds
    const evals = yield* evaluateGenerations(model, target, mode, logBetas.flatMap((logBeta) => seeds.map((seed) => ({ logBeta, seed }))), samples)
    return logBetas.map((_, b) => summariseBeta(evals.slice(b * seeds.length, (b + 1) * seeds.length), thresholds))
  })

/** Generation seeds 0 … count − 1. */
export const seedList = (count: number): ReadonlyArray<number> => Array.from({ length: count }, (_, k) => k)

/**
 * One generated network of the trained shape with all its weights, for drawing (at the task
 * family's reference condition unless `condition` is given).
 */
export const generateStored = (model: TrainedModel, mode: GenerationMode, logBeta: number, seed: number, condition?: ReadonlyArray<number>): Effect.Effect<StoredNetwork, GenerationError | TaskShapeError | NonFiniteValues, Rng> =>
  Effect.gen(function* () {
    const shape = model.config.shape
    const plan = yield* planFor(model, shape, mode)
    const randoms = yield* seedRandoms(model.run.net, shape, [seed])
    const g = tf.tidy(() => {
      const out = generateUnchecked(plan, thetaAt(model, [logBeta], conditionTensor(model.run.task, [condition ?? referenceCondition(model.run.task)])), randoms)
      return { W: [...out.W], b: [...out.bias] }
    })
    tf.dispose(Object.values(randoms))
    const values = yield* readback([...g.W, ...g.b])
    const stored: StoredNetwork = { shape, W: values.slice(0, g.W.length).map((w) => Array.from(w)), b: values.slice(g.W.length).map((b) => Array.from(b)) }
    yield* Effect.fromResult(checkFinite(`the network generated at log β = ${logBeta}, seed ${seed} (${mode})`,
      [...stored.W.map((w, l) => [`W^(${l + 1})`, w] as const), ...stored.b.map((b, l) => [`b^(${l + 1})`, b] as const)]))
    return stored
  })
