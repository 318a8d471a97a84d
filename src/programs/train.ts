import { Effect, Schema } from "effect"
import { RunError } from "../core/errors.js"
import type { ExperimentSettings } from "../core/experimentSettings.js"
import { type TrainConfig } from "../core/trainConfig.js"
import { MetricsRow, RunManifest } from "../core/runManifest.js"
import { formatNumber } from "../core/table.js"
import { Backend } from "../services/Backend.js"
import { Progress } from "../services/Progress.js"
import { Rng } from "../services/Rng.js"
import { RunStore, type StoreError } from "../services/RunStore.js"
import { runEnvironment } from "./runEnvironment.js"
import { startWorkerPool, type WorkerError } from "./workerPool.js"
import { type Diverged, disposeTrainer, initTrainer, resumeConflicts, runPlanOf, type StepMetrics, type Trainer, trainerCheckpoint, trainerFromCheckpoint, trainStep } from "./trainer.js"
import type { CheckpointError } from "../core/checkpoint.js"
import { usesOnlyBuiltins } from "../layers/components.js"
import type { RunPlanError } from "../layers/runPlan.js"

export interface TrainOptions {
  readonly runDir: string
  readonly config: TrainConfig
  /** Continue the run in `runDir` from its latest checkpoint. */
  readonly resume: boolean
  /** The command recorded in a new run's manifest. */
  readonly command?: string
  readonly preset?: string
  /** Experiment settings to record in a new run's manifest (for `reproduce` and `replay`). */
  readonly experiments?: ExperimentSettings
}

export interface TrainResult {
  readonly runDir: string
  readonly step: number
  readonly checkpoints: ReadonlyArray<string>
  readonly last: MetricsRow | undefined
}

/** Everything training can fail with. */
export type TrainError = RunError | StoreError | CheckpointError | RunPlanError | Diverged | WorkerError

const LOW_BETA = -6

const summarise = (window: ReadonlyArray<StepMetrics>, msPerStep: number): MetricsRow => {
  const mean = (xs: ArrayLike<number>) => (xs.length === 0 ? Number.NaN : Array.from(xs).reduce((a, b) => a + b, 0) / xs.length)
  const low = window.flatMap((m) => Array.from(m.loss).filter((_, k) => m.logBeta[k]! <= LOW_BETA))
  return {
    step: window[window.length - 1]!.step,
    objective: mean(window.map((m) => m.objective)),
    loss: mean(window.flatMap((m) => Array.from(m.loss))),
    kl: mean(window.flatMap((m) => Array.from(m.kl))),
    lossLowBeta: mean(low),
    msPerStep
  }
}

const metricsLine = (row: MetricsRow) => JSON.stringify(Schema.encodeSync(MetricsRow)(row))

/**
 * Train the paper's hypernetwork under the Pareto hyperhypernetwork. Writes `manifest.json`, a
 * checkpoint at step 0, every `checkpointEvery` steps, at the end and when interrupted, and a
 * line of `metrics.jsonl` every `logEvery` steps. With `resume`, continues exactly where the
 * latest checkpoint left off (same parameters, Adam state and random streams).
 */
export const train = (options: TrainOptions): Effect.Effect<TrainResult, TrainError, Rng | RunStore | Progress | Backend> =>
  Effect.gen(function* () {
    const store = yield* RunStore
    const progress = yield* Progress
    const backend = yield* Backend
    const rng = yield* Rng
    const { runDir, config } = options
    const metricsPath = store.join(runDir, "metrics.jsonl")
    const existing = yield* store.listCheckpoints(runDir)
    const saved: Array<string> = []

    const trainer: Trainer = yield* Effect.acquireRelease(
      Effect.gen(function* () {
        if (options.resume) {
          const latest = existing[existing.length - 1]
          if (latest === undefined) return yield* new RunError({ message: `${runDir} holds no checkpoint to resume from` })
          const ckpt = yield* store.readCheckpoint(latest.path)
          const conflicts = resumeConflicts(ckpt.config, config)
          if (conflicts.length > 0) {
            return yield* new RunError({ message: `cannot resume ${latest.path} with a different configuration (${conflicts.join("; ")})` })
          }
          // drop metrics logged after the checkpoint: those steps are about to be redone
          if (yield* store.exists(metricsPath)) {
            const kept = (yield* store.readText(metricsPath)).split("\n").filter((line) => {
              try {
                return line.trim() !== "" && (JSON.parse(line) as { step: number }).step <= ckpt.step
              } catch {
                return false
              }
            })
            yield* store.writeText(metricsPath, kept.map((l) => l + "\n").join(""))
          }
          yield* Effect.logInfo(`resuming ${runDir} at step ${ckpt.step} of ${config.steps}`)
          return yield* trainerFromCheckpoint({ ...ckpt, config: { ...ckpt.config, steps: config.steps, checkpointEvery: config.checkpointEvery, logEvery: config.logEvery } })
        }
        // the hypernetwork, the task and the shape must fit before anything is written
        yield* runPlanOf(config)
        if (existing.length > 0) {
          return yield* new RunError({
            message: `${runDir} already holds a run (checkpoints up to step ${existing[existing.length - 1]!.step}): continue it with --resume or choose another --out`
          })
        }
        const env = yield* runEnvironment
        const manifest: RunManifest = {
          format: "hyperlayers-run", createdAt: new Date().toISOString(), command: options.command ?? "train", config,
          rootSeed: yield* rng.rootSeed, backend: backend.name, versions: env.versions, gitCommit: env.gitCommit,
          ...(options.preset === undefined ? {} : { preset: options.preset }),
          ...(options.experiments === undefined ? {} : { experiments: options.experiments })
        }
        yield* store.writeJson(store.join(runDir, "manifest.json"), RunManifest, manifest)
        yield* store.writeText(metricsPath, "")
        return yield* initTrainer(config)
      }),
      (t) => Effect.sync(() => disposeTrainer(t))
    )

    // the step of the newest checkpoint on disk, so that no step is written twice
    let savedStep = existing.length > 0 ? existing[existing.length - 1]!.step : -1
    const checkpoint = Effect.gen(function* () {
      const path = yield* store.writeCheckpoint(runDir, yield* trainerCheckpoint(trainer))
      saved.push(path)
      savedStep = trainer.step
      return path
    }).pipe(Effect.uninterruptible)
    const lastSaved = () => savedStep === trainer.step
    if (!lastSaved()) yield* checkpoint

    if (config.threads > 1 && !usesOnlyBuiltins(config.hypernetwork.stages.flatMap((s) => s.blocks.map((b) => b.kind)), config.task)) {
      return yield* new RunError({ message: `threads: ${config.threads} needs built-in blocks and tasks (gradient worker threads cannot load a registered block or task): train with --threads 1` })
    }
    const pool = config.threads > 1 ? yield* startWorkerPool(config.threads - 1, backend.name) : undefined
    let window: Array<StepMetrics> = []
    let last: MetricsRow | undefined
    let windowStart = performance.now()
    const loop = Effect.gen(function* () {
      while (trainer.step < config.steps) {
        const m = yield* trainStep(trainer, pool)
        window.push(m)
        if (m.step % config.logEvery === 0 || m.step === config.steps) {
          last = summarise(window, (performance.now() - windowStart) / window.length)
          window = []
          windowStart = performance.now()
          const text = metricsLine(last)
          yield* store.readText(metricsPath).pipe(Effect.orElseSucceed(() => ""), Effect.flatMap((old) => store.writeText(metricsPath, old + text + "\n")))
          yield* progress.update("train", {
            done: m.step, total: config.steps,
            detail: `objective ${formatNumber(last.objective)} loss ${formatNumber(last.loss)} KL ${formatNumber(last.kl)}`
          })
        }
        if (m.step % config.checkpointEvery === 0 || m.step === config.steps) yield* checkpoint
      }
    })
    yield* loop.pipe(Effect.onInterrupt(() => Effect.gen(function* () {
      if (!lastSaved()) {
        const path = yield* checkpoint.pipe(Effect.orDie)
        yield* Effect.logInfo(`interrupted at step ${trainer.step}: saved ${path}; continue with --resume`)
      }
    })))
    yield* progress.finish("train", last === undefined ? "" : `step ${trainer.step}, loss ${formatNumber(last.loss)}`)
    return { runDir, step: trainer.step, checkpoints: saved, last }
  }).pipe(Effect.scoped)
