import * as nodeFs from "node:fs"
import { hostname } from "node:os"
import { Cause, Clock, Effect, FileSystem, Layer, Schedule, Schema } from "effect"
import type { CellResult, CellTraining } from "../../core/study/schemas.js"
import { Backend, backendLayer, type BackendRequest } from "../../services/backend/index.js"
import { silentProgressLayer } from "../../services/console/index.js"
import { seededRngLayer } from "../../services/rng/index.js"
import { RunStore } from "../../services/store/index.js"
import { StorageFault, storageProblemOfCause } from "../../services/store/index.js"
import { decodeExperimentSettings, Experiments, findExperiment, runExperiment } from "../experiments/index.js"
import { CellFailure, type CellRunner } from "./studyEngine.js"
import { cellResultFields, isCellField, type StudyCell } from "../../core/study/schemas.js"
import { ClassThresholds } from "../../services/settings/index.js"
import { train } from "../training/index.js"
import { errorMessage } from "../../core/base/schemas.js"
import { errorCode } from "../../services/store/index.js"

/**
 * The one place where the study engine meets the library's programs: what a cell computes. It
 * trains the cell's configuration into `<runsDir>/<cell id>` (continuing from the run's latest
 * checkpoint when an earlier attempt left one, which resumes exactly), keeps only the checkpoints
 * on the `checkpointEvery` grid (an interrupted attempt saves one off it), then runs the cell's
 * experiments (the registered ones it names: see `runCellExperiments`), each with a fresh Rng
 * seeded by the cell's seed, as the stand-alone commands do, classifying under the cell's thresholds.
 * A cell's result therefore does not depend on how often it was interrupted or retried.
 *
 * Two deliveries of one cell on one machine (a claim that lapsed while its runner was busy) take
 * turns on the run directory: the second waits for the first and then finds its checkpoints.
 *
 * Fails with a {@link CellFailure} carrying the error's message (a diverged run, an out-of-memory
 * error, a bad file); an interruption is passed on so that the attempt goes back to the queue. A
 * file of the run that cannot be written because of the disk (full, over quota, read-only) is no
 * fault of the cell's: that is a {@link StorageFault}, and the attempt goes back to the queue too.
 */
export const studyCellRunner = (options: { readonly runsDir: string; readonly backend: BackendRequest }): CellRunner<RunStore | FileSystem.FileSystem> =>
  (cell, context) => {
    const started = Clock.currentTimeMillis
    const runDir = `${options.runsDir}/${cell.id}`
    const program = Effect.gen(function* () {
      const t0 = yield* started
      const store = yield* RunStore
      const fs = yield* FileSystem.FileSystem
      const backend = yield* Backend
      const { config, experiments: e } = cell
      const seeded = <A, E, R>(p: Effect.Effect<A, E, R>) => Effect.provide(p, seededRngLayer(cell.seed))

      yield* runDirLock(runDir)
      return yield* store.withRunLock(runDir)(Effect.gen(function* () {
        const resume = (yield* store.listCheckpoints(runDir)).length > 0
        yield* seeded(train({ runDir, config, resume, command: `study ${cell.study}: arm ${cell.arm}, seed ${cell.seed}` }))
        for (const c of yield* store.listCheckpoints(runDir)) {
          if (c.step % config.checkpointEvery !== 0 && c.step !== config.steps) yield* fs.remove(c.path)
        }
        const training = yield* lastMetrics(runDir)
        if (training === undefined) return yield* new CellFailure({ kind: "error", execution: null, message: `${runDir}/metrics.jsonl holds no metrics after training` })
        if (!Number.isFinite(training.loss) || !Number.isFinite(training.objective)) {
          return yield* new CellFailure({ kind: "error", execution: null, message: `diverged: training loss ${training.loss}, objective ${training.objective} at step ${training.step}` })
        }
        const t1 = yield* Clock.currentTimeMillis
        const kept = yield* runCellExperiments(cell, runDir).pipe(Effect.provideService(ClassThresholds, e.thresholds))
        const fields = yield* Effect.fromResult(cellResultFields(kept))
        const t2 = yield* Clock.currentTimeMillis
        const result: CellResult = {
          id: cell.id, study: cell.study, arm: cell.arm, seed: cell.seed, config, experiments: e,
          status: "done", error: null, training, ...fields,
          execution: {
            attempt: context.attempt, deliveries: context.deliveries, wallSeconds: (t2 - t0) / 1000, trainSeconds: (t1 - t0) / 1000,
            runner: `${hostname()}/${process.pid}`, backend: backend.name, runDir, finishedAt: new Date(t2).toISOString()
          }
        }
        return result
      }))
    })
    return program.pipe(
      Effect.scoped,
      Effect.provide(Layer.mergeAll(backendLayer(options.backend), silentProgressLayer)),
      Effect.catchCause((cause) => Effect.gen(function* () {
        if (Cause.hasInterruptsOnly(cause)) return yield* Effect.failCause(cause as Cause.Cause<never>)
        const storage = storageProblemOfCause(cause)
        if (storage !== undefined) return yield* new StorageFault({ stopped: "runner", detail: storage })
        const failure = Cause.squash(cause)
        if (failure instanceof CellFailure) return yield* Effect.fail(failure)
        const seconds = ((yield* Clock.currentTimeMillis) - (yield* started)) / 1000
        return yield* new CellFailure({
          kind: "error", message: errorMessage(failure),
          execution: { attempt: context.attempt, deliveries: context.deliveries, wallSeconds: seconds, trainSeconds: seconds, runner: `${hostname()}/${process.pid}`, backend: options.backend, runDir, finishedAt: new Date().toISOString() }
        })
      }))
    )
  }

/**
 * Run every experiment `cell` names on its run, in the registry's order, each with a fresh Rng
 * seeded by the cell's seed (as the stand-alone commands give each its own), and return what the
 * cell keeps of each, by name: for an experiment with a field of its own in the cell, its cell
 * value; for a researcher's own, that value in its cell Schema's JSON encoding. Fails with
 * UnknownExperiment for an experiment the cell names that this process has not registered (a
 * runner started from the command line knows the built-in ones only), InvalidInput for settings
 * that do not decode, or what an experiment fails with.
 */
const runCellExperiments = (cell: StudyCell, runDir: string) => Effect.gen(function* () {
  const registered = yield* Experiments
  const e = cell.experiments
  for (const name of Object.keys(e.extra ?? {})) yield* Effect.fromResult(findExperiment(registered, name))
  const kept = new Map<string, unknown>()
  for (const experiment of registered) {
    const keep = experiment.cell
    const raw = isCellField(experiment.name) ? e[experiment.name] : e.extra?.[experiment.name]
    if (keep === undefined || raw === null || raw === undefined) continue
    const settings = yield* Effect.fromResult(decodeExperimentSettings(experiment, raw, `cell ${cell.id}: experiments.${experiment.name}`))
    const result = yield* runExperiment(experiment, runDir, settings).pipe(Effect.provide(seededRngLayer(cell.seed)))
    const value = keep.keep(result)
    kept.set(experiment.name, isCellField(experiment.name) ? value : yield* Schema.encodeUnknownEffect(Schema.toCodecJson(keep.schema))(value))
  }
  return kept
})

/**
 * The last line of a run's `metrics.jsonl`, without its timing. A number JSON cannot hold (a NaN
 * loss, written as `null`) reads back as NaN.
 */
const lastMetrics = (runDir: string) => Effect.gen(function* () {
  const store = yield* RunStore
  const lines = (yield* store.readText(`${runDir}/metrics.jsonl`)).split("\n").filter((l) => l.trim() !== "")
  const last = lines[lines.length - 1]
  if (last === undefined) return undefined
  const row = yield* Effect.try({
    try: () => JSON.parse(last) as Record<string, unknown>,
    catch: () => new CellFailure({ kind: "error", execution: null, message: `${runDir}/metrics.jsonl ends in a line that is not JSON` })
  })
  const num = (k: string) => (typeof row[k] === "number" ? row[k] : Number.NaN)
  const training: CellTraining = { step: num("step"), objective: num("objective"), loss: num("loss"), kl: num("kl"), lossLowBeta: num("lossLowBeta") }
  return training
})

const LOCK_STALE_MS = 60_000

const pidAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/**
 * Hold `<runDir>.lock` for the scope (it names `host/pid` and is touched every 5 s). A lock held by
 * a live process is waited for; one whose process is gone (this host) or that has not been touched
 * for a minute (any host) is taken over.
 */
const runDirLock = (runDir: string) => {
  const file = `${runDir}.lock`
  const me = `${hostname()}/${process.pid}`
  const tryAcquire = Effect.sync((): boolean => {
    nodeFs.mkdirSync(runDir.slice(0, runDir.lastIndexOf("/")), { recursive: true })
    try {
      nodeFs.writeFileSync(file, me, { flag: "wx" })
      return true
    } catch (e) {
      // only a lock that is there already is waited for; any other failure (a full disk) is the attempt's
      if (errorCode(e) !== "EEXIST") throw e
      try {
        const holder = nodeFs.readFileSync(file, "utf8")
        const [host, pid] = holder.split("/")
        const stale = (host === hostname() && !pidAlive(Number(pid))) || Date.now() - nodeFs.statSync(file).mtimeMs > LOCK_STALE_MS
        if (stale) nodeFs.rmSync(file, { force: true })
      } catch { /* released meanwhile: try again */ }
      return false
    }
  })
  return Effect.acquireRelease(
    tryAcquire.pipe(Effect.repeat({ schedule: Schedule.spaced("1 second"), until: (ok) => ok })),
    () => Effect.sync(() => {
      try {
        if (nodeFs.readFileSync(file, "utf8") === me) nodeFs.rmSync(file, { force: true })
      } catch { /* gone already */ }
    })
  ).pipe(Effect.andThen(Effect.forkScoped(Effect.sync(() => {
    try {
      const now = new Date()
      nodeFs.utimesSync(file, now, now)
    } catch { /* taken over */ }
  }).pipe(Effect.repeat(Schedule.spaced("5 seconds"))))))
}
