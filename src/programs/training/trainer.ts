import * as tf from "@tensorflow/tfjs"
import { Data, Effect, Result } from "effect"
import type { Checkpoint, NamedArray } from "../../core/run/index.js"
import { CheckpointError } from "../../core/run/index.js"
import { type Canonical, canonicalJson } from "../../core/base/schemas.js"
import { klWeightAt, RESUMABLE_FIELDS, type TrainConfig } from "../../core/run/index.js"
import { hyperhypernetworkShapes, initDistributions, initHyperhypernetwork } from "../../layers/hypernetwork/index.js"
import { resolveRun, type RunPlan, type RunPlanError } from "../../layers/hypernetwork/index.js"
import { shardGradient } from "../../layers/hypernetwork/index.js"
import type { ShardResult } from "./shardProtocol.js"
import { shardSizes, WorkerError, type WorkerPool } from "./workerPool.js"
import { drawConditions, streamDraws } from "../../services/rng/index.js"
import { Registry } from "../../services/registry/index.js"
import { Rng } from "../../services/rng/index.js"
import { applyAdam } from "../../services/backend/index.js"
import { quoteValue } from "../../core/base/schemas.js"
import { readback } from "../../core/base/index.js"

/** The objective became NaN or infinite: training cannot go on from here. */
export class Diverged extends Data.TaggedError("Diverged")<{ readonly message: string; readonly step: number }> {}

/**
 * A training run in memory: its plan (hypernetwork, task, layouts, built from the config through
 * the `Registry`), the hyperhypernetwork's variables, Adam, and the step count.
 */
export interface Trainer {
  readonly config: TrainConfig
  readonly run: RunPlan
  readonly paramNames: ReadonlyArray<string>
  readonly params: ReadonlyArray<tf.Variable>
  readonly optimizer: tf.AdamOptimizer
  step: number
}

export interface StepMetrics {
  readonly step: number
  readonly objective: number
  /** Per β of the batch. */
  readonly logBeta: Float32Array
  readonly loss: Float32Array
  readonly kl: Float32Array
}

// variable names must be unique in the TensorFlow.js engine, which may hold several trainers
let trainers = 0

const assemble = (config: TrainConfig, run: RunPlan, params: ReadonlyArray<tf.Tensor>, step: number): Trainer => {
  const id = trainers++
  const paramNames = hyperhypernetworkShapes(run.hyperhypernetwork).map((s) => s.name)
  return {
    config, run, paramNames,
    params: params.map((p, k) => tf.variable(p, true, `hhn${id}/${paramNames[k]}`)),
    optimizer: tf.train.adam(config.learningRate),
    step
  }
}

/** A run's plan from its config, with the hypernetwork and task looked up in the `Registry`. */
export const runPlanOf = (config: TrainConfig): Effect.Effect<RunPlan, RunPlanError> =>
  Effect.gen(function* () {
    return yield* Effect.fromResult(resolveRun(config, yield* Registry))
  })

/** A fresh trainer: parameters drawn from the Rng's `init/<name>` streams. */
export const initTrainer = (config: TrainConfig): Effect.Effect<Trainer, RunPlanError, Rng> =>
  Effect.gen(function* () {
    const rng = yield* Rng
    const run = yield* runPlanOf(config)
    const draws: Array<tf.Tensor> = []
    const distributions = initDistributions(run.hyperhypernetwork)
    for (const [k, s] of hyperhypernetworkShapes(run.hyperhypernetwork).entries()) {
      draws.push(yield* (distributions[k] === "normal" ? rng.normal(`init/${s.name}`, s.shape) : rng.uniform(`init/${s.name}`, s.shape, -1, 1)))
    }
    const init = initHyperhypernetwork(run.hyperhypernetwork, draws)
    const trainer = assemble(config, run, init, 0)
    tf.dispose([...draws, ...init])
    return trainer
  })

export const disposeTrainer = (t: Trainer): void => {
  tf.dispose([...t.params])
  t.optimizer.dispose()
}

/** Adam's private bias-correction accumulators, restored exactly so that a resume is bit-identical. */
interface AdamInternals {
  readonly accBeta1: tf.Variable
  readonly accBeta2: tf.Variable
}
const internals = (o: tf.AdamOptimizer) => o as unknown as AdamInternals

/** Snapshot everything a resume needs. Reads tensors; allocates none that outlive it. */
export const trainerCheckpoint = (t: Trainer): Effect.Effect<Checkpoint, never, Rng> =>
  Effect.gen(function* () {
    const rng = yield* Rng
    const state = yield* rng.snapshot
    const weights = yield* Effect.promise(() => t.optimizer.getWeights())
    const [iterations] = yield* readback([weights[0]!.tensor])
    // Adam's moments (none before its first step) and parameters are its variables: read, not disposed
    const moments = yield* readback(weights.slice(1).map((w) => w.tensor), { keep: true })
    const params = yield* readback(t.params, { keep: true })
    const tensors: Array<NamedArray> = t.params.map((p, k) => ({ name: `param/${t.paramNames[k]}`, shape: p.shape, values: params[k]! }))
    for (const [kind, offset] of [["m", 0], ["v", t.params.length]] as const) {
      t.params.forEach((p, k) => {
        tensors.push({ name: `adam/${kind}/${t.paramNames[k]}`, shape: p.shape, values: moments[offset + k] ?? new Float32Array(p.size) })
      })
    }
    const { accBeta1, accBeta2 } = internals(t.optimizer)
    const [b1, b2] = yield* readback([accBeta1, accBeta2], { keep: true })
    return {
      step: t.step, config: t.config, rng: state, tensors,
      optimizer: { iterations: iterations[0]!, accBeta1: b1[0]!, accBeta2: b2[0]! }
    }
  })

/**
 * Rebuild a trainer from a checkpoint: parameters, Adam moments and accumulators, the Rng state
 * and the step. Every tensor is checked against the config's shapes.
 */
export const trainerFromCheckpoint = (c: Checkpoint): Effect.Effect<Trainer, CheckpointError | RunPlanError, Rng> =>
  Effect.gen(function* () {
    const rng = yield* Rng
    const run = yield* runPlanOf(c.config)
    const shapes = hyperhypernetworkShapes(run.hyperhypernetwork)
    const byName = new Map(c.tensors.map((t) => [t.name, t]))
    const get = (name: string, shape: ReadonlyArray<number>) => {
      const t = byName.get(name)
      if (t === undefined) return Result.fail(new CheckpointError({ message: `the checkpoint has no tensor ${name}` }))
      if (t.shape.length !== shape.length || t.shape.some((d, k) => d !== shape[k])) {
        return Result.fail(new CheckpointError({ message: `tensor ${name} has shape [${t.shape.join(", ")}], the config needs [${shape.join(", ")}]` }))
      }
      return Result.succeed(t.values)
    }
    const params: Array<Float32Array> = []
    const m: Array<Float32Array> = []
    const v: Array<Float32Array> = []
    for (const s of shapes) {
      params.push(yield* Effect.fromResult(get(`param/${s.name}`, s.shape)))
      m.push(yield* Effect.fromResult(get(`adam/m/${s.name}`, s.shape)))
      v.push(yield* Effect.fromResult(get(`adam/v/${s.name}`, s.shape)))
    }
    yield* rng.restore(c.rng).pipe(Effect.mapError((e) => new CheckpointError({ message: e.message })))
    const initial = params.map((p, k) => tf.tensor(p, [...shapes[k]!.shape]))
    const trainer = assemble(c.config, run, initial, c.step)
    tf.dispose(initial)
    const weights = [
      { name: "iter", tensor: tf.scalar(c.optimizer.iterations) },
      ...m.map((x, k) => ({ name: `${trainer.params[k]!.name}/m`, tensor: tf.tensor(x, [...shapes[k]!.shape]) })),
      ...v.map((x, k) => ({ name: `${trainer.params[k]!.name}/v`, tensor: tf.tensor(x, [...shapes[k]!.shape]) }))
    ]
    yield* Effect.promise(() => trainer.optimizer.setWeights(weights))
    tf.dispose(weights.map((w) => w.tensor))
    const { accBeta1, accBeta2 } = internals(trainer.optimizer)
    accBeta1.assign(tf.scalar(c.optimizer.accBeta1))
    accBeta2.assign(tf.scalar(c.optimizer.accBeta2))
    return trainer
  })

/**
 * Whether a run may continue under `next`: only how far it goes and how often it reports may
 * change; anything else would make the resumed run a different experiment.
 */
export const resumeConflicts = (saved: TrainConfig, next: TrainConfig): ReadonlyArray<string> =>
  ([...new Set([...Object.keys(saved), ...Object.keys(next)])] as Array<keyof TrainConfig>).filter((k) => !RESUMABLE_FIELDS.includes(k) && settingText(saved[k]) !== settingText(next[k]))
    .map((k) => `${k}: checkpoint ${saved[k] === undefined ? "not set" : quoteValue(saved[k], 200)}, requested ${next[k] === undefined ? "not set" : quoteValue(next[k], 200)}`)

/** A setting's canonical text; an optional setting that is absent has none. */
const settingText = (value: unknown): string | undefined => (value === undefined ? undefined : canonicalJson(value as Canonical))

/**
 * One optimisation step: draw β, inputs and generation randomness from the Rng (`train/…`
 * streams), take the gradient of the Pareto objective and apply Adam. With a worker pool the β
 * batch is split into shards, one computed here and one per worker, whose gradients are summed in
 * shard order. Uninterruptible, so a stop lands between steps and a checkpoint is always
 * consistent.
 */
export const trainStep = (t: Trainer, pool?: WorkerPool): Effect.Effect<StepMetrics, Diverged | WorkerError, Rng> =>
  Effect.gen(function* () {
    const rng = yield* Rng
    const { betasPerStep: B, samplesPerBeta: S, shape, logBetaMin, logBetaMax, activation } = t.config
    const logBeta = yield* rng.uniform("train/log-beta", [B], logBetaMin, logBetaMax)
    const x = yield* t.run.task.sampleInputs(streamDraws(rng, "train/x"), [B, S, shape[0]!])
    const randoms: Record<string, tf.Tensor> = {}
    for (const s of t.run.randoms) randoms[s.name] = yield* rng.normal(`train/${s.name}`, [B, ...s.shape])
    const condition = yield* drawConditions(rng, "train/condition", t.run.task.conditions, B)
    const sizes = shardSizes(B, 1 + (pool?.size ?? 0))
    const klWeight = klWeightAt(t.config, t.step)
    const objectiveOptions = klWeight === 1 ? {} : { klWeight }
    // shards 1… go to the workers first, so they run while this thread computes shard 0
    const remote: Array<Promise<ShardResult>> = []
    if (sizes.length > 1) {
      const params = yield* readback(t.params, { keep: true })
      const [lv, xv] = yield* readback([logBeta, x], { keep: true })
      const randomValues = yield* readback(Object.values(randoms), { keep: true })
      const rv = Object.fromEntries(Object.keys(randoms).map((k, j) => [k, randomValues[j]!]))
      const cv = condition === undefined ? undefined : (yield* readback([condition], { keep: true }))[0]
      let at = sizes[0]!
      for (let k = 1; k < sizes.length; k++) {
        const n = sizes[k]!
        const rows = (v: Float32Array) => v.slice((at * v.length) / B, ((at + n) * v.length) / B)
        remote.push(pool!.run(k - 1, {
          config: t.config, params, logBeta: rows(lv), x: rows(xv), randoms: Object.fromEntries(Object.entries(rv).map(([k2, v]) => [k2, rows(v)])), size: n, total: B, ...objectiveOptions,
          ...(cv === undefined ? {} : { condition: rows(cv) })
        }))
        at += n
      }
    }
    // this thread's shard: the whole batch when no workers share it (no copy of the draws)
    const head = (v: tf.Tensor) => (sizes.length === 1 ? v : tf.slice(v, 0, sizes[0]!))
    const local = tf.tidy(() => {
      const g = shardGradient(t.run, t.params, head(logBeta), head(x), Object.fromEntries(Object.entries(randoms).map(([k, v]) => [k, head(v)])), activation, B,
        condition === undefined ? undefined : head(condition), objectiveOptions)
      return { objective: g.objective, grads: [...g.grads], loss: g.loss, kl: g.kl }
    })
    const results = yield* Effect.tryPromise({ try: () => Promise.all(remote), catch: (e) => (e instanceof WorkerError ? e : new WorkerError({ message: String(e) })) })
    const [localObjective, localLoss, localKl, logBetaValues] = yield* readback([local.objective, local.loss, local.kl, logBeta], { keep: true })
    const objective = localObjective[0]! + results.reduce((a, r) => a + r.objective, 0)
    const concat = (mine: Float32Array, theirs: ReadonlyArray<Float32Array>) => Float32Array.from([...mine, ...theirs.flatMap((v) => Array.from(v))])
    const metrics = { step: t.step + 1, objective, logBeta: logBetaValues, loss: concat(localLoss, results.map((r) => r.loss)), kl: concat(localKl, results.map((r) => r.kl)) }
    if (Number.isFinite(objective)) {
      const grads = tf.tidy(() => local.grads.map((g, k) => results.reduce((acc, r) => tf.add(acc, tf.tensor(r.grads[k]!, g.shape)), g)))
      // Adam keeps its moments by position: always hand it the gradients in parameter order
      applyAdam(t.optimizer, t.params, grads)
      tf.dispose(grads)
    }
    tf.dispose([local.objective, ...local.grads, local.loss, local.kl, logBeta, x, ...Object.values(randoms), ...(condition === undefined ? [] : [condition])])
    if (!Number.isFinite(objective)) {
      return yield* new Diverged({ step: t.step + 1, message: `training diverged at step ${t.step + 1}: the objective is ${objective}` })
    }
    t.step += 1
    return metrics
  }).pipe(Effect.uninterruptible)
