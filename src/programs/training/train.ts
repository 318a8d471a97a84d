import { Effect } from "effect"
import { RunError } from "../../core/base/schemas.js"
import type { ExperimentSettings } from "../../core/run/index.js"
import { addToWindow, chainDigest, emptyLogState, emptyWindow, logDigest, type MetricsLogState, metricsLine, windowRow } from "../../core/run/index.js"
import { type TrainConfig } from "../../core/run/index.js"
import { type MetricsRow, RunManifest } from "../../core/run/index.js"
import { formatNumber } from "../../core/base/schemas.js"
import { Backend } from "../../services/backend/index.js"
import { useKernels } from "../../services/backend/index.js"
import { kernelVersion, recordedKernels } from "../../services/backend/index.js"
import { Progress } from "../../services/console/index.js"
import { Rng } from "../../services/rng/index.js"
import { type MetricsMismatch, type RunLocked, RunStore, type StoreError } from "../../services/store/index.js"
import { checkNewRunDirectory } from "./runDirectory.js"
import { runEnvironment } from "./runEnvironment.js"
import { startWorkerPool, type WorkerError } from "./workerPool.js"
import { type Diverged, disposeTrainer, initTrainer, resumeConflicts, runPlanOf, type Trainer, trainerCheckpoint, trainerFromCheckpoint, trainStep } from "./trainer.js"
import type { CheckpointError } from "../../core/run/index.js"
import { usesOnlyBuiltins } from "../../layers/blocks/index.js"
import type { RunPlanError } from "../../layers/hypernetwork/index.js"
import { errorMessage } from "../../core/base/schemas.js"

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
  /**
   * Write checkpoints and metrics rows at exactly these steps instead of every `checkpointEvery`
   * and `logEvery` steps and at the last: `replay` passes the original run's, so that a run that
   * was interrupted, resumed or extended replays to the same files.
   */
  readonly schedule?: { readonly checkpoints: ReadonlyArray<number>; readonly rows: ReadonlyArray<number> }
}

export interface TrainResult {
  readonly runDir: string
  readonly step: number
  readonly checkpoints: ReadonlyArray<string>
  readonly last: MetricsRow | undefined
}

/** Everything training can fail with. */
export type TrainError = RunError | StoreError | CheckpointError | MetricsMismatch | RunLocked | RunPlanError | Diverged | WorkerError

/**
 * Train the paper's hypernetwork under the Pareto hyperhypernetwork. Writes `manifest.json`, a
 * checkpoint at step 0, every `checkpointEvery` steps, at the end and when interrupted, and a
 * line of `metrics.jsonl` every `logEvery` steps (the mean of the steps since the previous line).
 * With `resume`, continues exactly where the latest checkpoint left off (same parameters, Adam
 * state, random streams and half-filled metrics window), after checking that checkpoint whole and
 * against the run, and `metrics.jsonl` against the checkpoint: the resumed run's files equal an
 * uninterrupted run's, timings aside.
 *
 * A new run goes only into a new or empty directory, or one holding a run of this tool (`RunError`
 * naming what is there otherwise: nothing of anyone else's is overwritten). The run directory is
 * locked for the duration (one writer per run: `RunLocked` otherwise). An
 * interruption (Ctrl-C, SIGTERM) lands between two steps, within one step: the state is saved as a
 * checkpoint unless the last one already holds it, and a log line says what was saved, or why
 * nothing could be. A failure (a full disk, say) logs which step the run can resume from.
 */
export const train = (options: TrainOptions): Effect.Effect<TrainResult, TrainError, Rng | RunStore | Progress | Backend> =>
  Effect.gen(function* () {
    // the hypernetwork, the task and the shape must fit, and the directory must be new, empty or a
    // run's, before anything is written, the lock included
    if (!options.resume) {
      yield* runPlanOf(options.config)
      yield* checkNewRunDirectory(options.runDir)
    }
    const store = yield* RunStore
    return yield* store.withRunLock(options.runDir)(Effect.scoped(trainLocked(options)))
  })

const trainLocked = (options: TrainOptions) =>
  Effect.gen(function* () {
    const store = yield* RunStore
    const progress = yield* Progress
    const backend = yield* Backend
    const rng = yield* Rng
    const { runDir, config } = options
    const metricsPath = store.join(runDir, "metrics.jsonl")
    // a resumed run goes on with the kernels it was made with, so that its numbers round as an
    // uninterrupted run's would (and `replay` reproduces them)
    const manifestPath = store.join(runDir, "manifest.json")
    if (options.resume && (yield* store.exists(manifestPath))) {
      const kernels = recordedKernels((yield* store.readJson(manifestPath, RunManifest)).versions)
      if (kernels === undefined) return yield* new RunError({ message: `${runDir} was made with kernels this code does not have (${manifestPath}); resume it with the version of hyperlayers that made it` })
      if (kernels !== kernelVersion()) {
        yield* Effect.acquireRelease(Effect.sync(() => useKernels(kernels)), (before) => Effect.sync(() => useKernels(before)))
        yield* Effect.logInfo(`resuming with kernel version ${kernels}, the one ${runDir} was made with`)
      }
    }
    const existing = yield* store.listCheckpoints(runDir)
    const saved: Array<string> = []
    // where metrics.jsonl stands: rows written, their digest, and the steps since the last row
    let log: MetricsLogState = emptyLogState

    const trainer: Trainer = yield* Effect.acquireRelease(
      Effect.gen(function* () {
        if (options.resume) {
          const latest = existing[existing.length - 1]
          if (latest === undefined) return yield* new RunError({ message: `${runDir} holds no checkpoint to resume from` })
          const ckpt = yield* store.readCheckpoint(latest.path)
          if (config.steps < ckpt.step) {
            return yield* new RunError({ message: `cannot resume ${runDir} to step ${config.steps}: it is already at step ${ckpt.step} (${latest.path}); ask for at least ${ckpt.step} steps` })
          }
          const conflicts = resumeConflicts(ckpt.config, config)
          if (conflicts.length > 0) {
            return yield* new RunError({ message: `cannot resume ${latest.path} with a different configuration (${conflicts.join("; ")})` })
          }
          // the log as the checkpoint recorded it: rows after its step (about to be redone) and a
          // line cut short by a crash are dropped
          const lines = yield* store.metricsAt(runDir, ckpt, latest.path)
          yield* store.writeText(metricsPath, lines.map((l) => l + "\n").join(""))
          log = ckpt.log ?? { rows: lines.length, digest: logDigest(lines), window: emptyWindow }
          yield* Effect.logInfo(`resuming ${runDir} at step ${ckpt.step} of ${config.steps}`)
          return yield* trainerFromCheckpoint({ ...ckpt, config: { ...ckpt.config, steps: config.steps, checkpointEvery: config.checkpointEvery, logEvery: config.logEvery } })
        }
        // the hypernetwork, the task and the shape must fit before anything is written
        yield* runPlanOf(config)
        yield* checkNewRunDirectory(runDir)
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

    // the newest checkpoint on disk, so that no step is written twice
    let savedStep = existing.length > 0 ? existing[existing.length - 1]!.step : -1
    let savedPath = existing.length > 0 ? existing[existing.length - 1]!.path : ""
    const checkpoint = Effect.gen(function* () {
      const path = yield* store.writeCheckpoint(runDir, { ...(yield* trainerCheckpoint(trainer)), log })
      saved.push(path)
      savedStep = trainer.step
      savedPath = path
      return path
    }).pipe(Effect.uninterruptible)
    const lastSaved = () => savedStep === trainer.step
    if (!lastSaved()) yield* checkpoint

    if (config.threads > 1 && !usesOnlyBuiltins(config.hypernetwork.stages.flatMap((s) => s.blocks.map((b) => b.kind)), config.task)) {
      return yield* new RunError({ message: `threads: ${config.threads} needs built-in blocks and tasks (gradient worker threads cannot load a registered block or task): train with --threads 1` })
    }

    const schedule = options.schedule === undefined ? undefined : { checkpoints: new Set(options.schedule.checkpoints), rows: new Set(options.schedule.rows) }
    const isRowStep = (s: number) => (schedule === undefined ? s % config.logEvery === 0 || s === config.steps : schedule.rows.has(s))
    const isCheckpointStep = (s: number) => (schedule === undefined ? s % config.checkpointEvery === 0 || s === config.steps : schedule.checkpoints.has(s))

    // worker threads are CPU engines of their own; on webgpu the whole β batch goes to the one device
    if (config.threads > 1 && backend.name === "webgpu") yield* Effect.logWarning(`threads: ${config.threads} shards a step over CPU threads; on webgpu every step runs whole on the GPU (one thread)`)
    const pool = config.threads > 1 && backend.name !== "webgpu" ? yield* startWorkerPool(config.threads - 1, backend.name) : undefined
    let last: MetricsRow | undefined
    let windowStart = performance.now()
    let timedSteps = 0
    // a step, its metrics row and its checkpoint, as one: an interruption lands before or after
    const iteration = Effect.gen(function* () {
      const m = yield* trainStep(trainer, pool)
      log = { ...log, window: addToWindow(log.window, m) }
      timedSteps += 1
      if (isRowStep(m.step)) {
        const row = windowRow(log.window, m.step, (performance.now() - windowStart) / timedSteps)
        const line = metricsLine(row)
        yield* store.appendText(metricsPath, line + "\n")
        log = { rows: log.rows + 1, digest: chainDigest(log.digest, line), window: emptyWindow }
        last = row
        windowStart = performance.now()
        timedSteps = 0
        yield* progress.update("train", {
          done: m.step, total: config.steps,
          detail: `objective ${formatNumber(row.objective)} loss ${formatNumber(row.loss)} KL ${formatNumber(row.kl)}`
        })
      }
      if (isCheckpointStep(m.step)) yield* checkpoint
    }).pipe(Effect.uninterruptible)
    const loop = Effect.gen(function* () {
      while (trainer.step < config.steps) {
        yield* iteration
        // Between steps, hand the thread to the event loop: a step resumes only on microtasks, so
        // without this a SIGINT or SIGTERM handler would wait for the next file write to run.
        yield* Effect.yieldNow
      }
    })
    const onInterrupt = Effect.gen(function* () {
      const where = `interrupted at step ${trainer.step} of ${config.steps}`
      if (lastSaved()) return yield* Effect.logWarning(`${where}: ${savedPath} holds this step; continue with --resume`)
      const r = yield* Effect.result(checkpoint)
      if (r._tag === "Success") return yield* Effect.logWarning(`${where}: saved ${r.success} (metrics rows up to that step included); continue with --resume`)
      yield* Effect.logError(`${where}: could not save a checkpoint (${errorMessage(r.failure)}); ` +
        (savedStep < 0 ? "no checkpoint of this run was saved" : `continue from ${savedPath} (step ${savedStep}) with --resume`))
    })
    const onFailure = (e: unknown) => Effect.logError(`training stopped at step ${trainer.step}: ${errorMessage(e)}; ` +
      (savedStep < 0 ? "no checkpoint of this run was saved" : `${savedPath} (step ${savedStep}) is the last checkpoint: continue from it with --resume once the cause is fixed`))
    yield* loop.pipe(Effect.onInterrupt(() => onInterrupt), Effect.tapError(onFailure))
    yield* progress.finish("train", last === undefined ? "" : `step ${trainer.step}, loss ${formatNumber(last.loss)}`)
    return { runDir, step: trainer.step, checkpoints: saved, last }
  })

