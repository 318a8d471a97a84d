import { checkRunDefinition } from "../../layers/hypernetwork/index.js"
import { Registry } from "../../services/registry/index.js"
import { Experiments } from "../experiments/index.js"
import { Deferred, type Duration, Effect, Exit, FileSystem, Layer, Option, Path, Redacted, Result, Schedule, Schema } from "effect"
import { type CellResult, noCellResults } from "../../core/study/schemas.js"
import { maskDatabaseUrl } from "../../core/study/schemas.js"
import { InvalidInput } from "../../core/base/schemas.js"
import { decodePlan, describeArms, dispatchOrder, resolvePlan, type StudyCell, type StudyPlan } from "../../core/study/schemas.js"
import { CellResultJson, encodeCellResult, encodeStudyResults, StudyResultsJson } from "../../core/study/schemas.js"
import { median } from "../../core/run/index.js"
import { cellPaths, oneGoWallSeconds } from "../../core/study/index.js"
import { formatNumber } from "../../core/base/schemas.js"
import { type DatabaseError, startEmbeddedPostgres } from "../../services/study/index.js"
import { Progress } from "../../services/console/index.js"
import { startRunnerProcesses } from "../../services/study/index.js"
import { RunStore, StoreError } from "../../services/store/index.js"
import { errorCode, storeFailure } from "../../services/store/index.js"
import { checkFreeSpace, StorageFault, storageProblem } from "../../services/store/index.js"
import { withStudyLock } from "../../services/study/index.js"
import { cellWorkflowLayer, CellWorkflow, checkDatabase, databaseLayer, defaultTiming, type EngineTiming, engineLayer, runningCells } from "./studyEngine.js"
import { takeCells } from "./runner.js"
import type { BackendRequest } from "../../services/backend/schemas.js"
import { causeMessage, errorMessage } from "../../core/base/schemas.js"

/** Where a study keeps its files, under its directory (`studies/<name>/` by default). */
export const studyFiles = (studyDir: string) => ({
  results: `${studyDir}/results.json`,
  cells: `${studyDir}/cells`,
  runs: `${studyDir}/runs`,
  postgres: `${studyDir}/.postgres`
})

/**
 * Read and resolve a plan file against the registered blocks, tasks (`Registry`) and experiments
 * (`Experiments`): its cells in order, or a typed error naming each problem.
 */
export const readPlan = (planPath: string): Effect.Effect<{ readonly plan: StudyPlan; readonly cells: ReadonlyArray<StudyCell> }, InvalidInput, RunStore> =>
  Effect.gen(function* () {
    const store = yield* RunStore
    const text = yield* store.readText(planPath).pipe(Effect.mapError((e) => new InvalidInput({ source: planPath, message: e.message })))
    let raw: unknown
    try {
      raw = JSON.parse(text)
    } catch (e) {
      return yield* new InvalidInput({ source: planPath, message: `${planPath} is not JSON: ${errorMessage(e)}` })
    }
    const plan = yield* Effect.fromResult(decodePlan(raw, planPath))
    const components = yield* Registry
    const cells = yield* Effect.fromResult(resolvePlan(plan, yield* Experiments, planPath, (config) => checkRunDefinition(config, components)))
    return { plan, cells }
  })

const readCellFile = (path: string) => Effect.flatMap(RunStore, (s) => s.readJson(path, CellResultJson))

/**
 * The results a study already has: those in `results.json` (committed, perhaps from another
 * machine) and in `cells/<id>.json`, by cell id. A file that does not decode is an error naming it.
 */
export const existingResults = (studyDir: string): Effect.Effect<Map<string, CellResult>, StoreError, RunStore | FileSystem.FileSystem> =>
  Effect.gen(function* () {
    const store = yield* RunStore
    const fs = yield* FileSystem.FileSystem
    const files = studyFiles(studyDir)
    const found = new Map<string, CellResult>()
    if (yield* store.exists(files.results)) {
      for (const r of (yield* store.readJson(files.results, StudyResultsJson)).cells) found.set(r.id, r)
    }
    if (yield* store.exists(files.cells)) {
      const names = yield* fs.readDirectory(files.cells).pipe(Effect.mapError((e) => new StoreError({ path: files.cells, message: `could not list ${files.cells}: ${e.message}` })))
      for (const name of names.filter((n) => /^[0-9a-f]+\.json$/.test(n)).sort()) {
        const r = yield* readCellFile(`${files.cells}/${name}`)
        if (!found.has(r.id)) found.set(r.id, r)
      }
    }
    return found
  })

/**
 * Take the finished cells of the plan's `reuse` files (other studies' results) whose ids are cells
 * of this plan and not yet in `results`: each is added to `results` under this plan's study and
 * arm. Returns how many were taken. A reuse file that is missing or does not decode is an error
 * naming it (the plan asked for it).
 */
export const reuseResults = (planPath: string, plan: StudyPlan, cells: ReadonlyArray<StudyCell>, results: Map<string, CellResult>): Effect.Effect<number, StoreError, RunStore | Path.Path> =>
  Effect.gen(function* () {
    const store = yield* RunStore
    const path = yield* Path.Path
    const byId = new Map(cells.map((c) => [c.id, c]))
    let taken = 0
    for (const file of plan.reuse ?? []) {
      const at = path.resolve(path.dirname(planPath), file)
      const other = yield* store.readJson(at, StudyResultsJson).pipe(Effect.mapError((e) => new StoreError({ path: at, message: `plan ${planPath}: reuse ${file}: ${e.message}` })))
      for (const r of other.cells) {
        const cell = byId.get(r.id)
        if (cell === undefined || r.status !== "done" || results.has(r.id)) continue
        results.set(r.id, { ...r, study: plan.name, arm: cell.arm })
        taken++
      }
    }
    return taken
  })

/**
 * Write `cells/<id>.json` once: written to a temporary file (created anew, never one planted at its
 * name), then hard-linked into place, which fails when the file exists, so a second write of the
 * same id (a workflow replayed, a cell run twice) leaves the first one as it is. The temporary is
 * removed whatever happens; a link at the cell file's place is refused, not taken for the cell.
 */
export const saveCellOnce = (studyDir: string, result: CellResult): Effect.Effect<void, StoreError, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const dir = studyFiles(studyDir).cells
    const target = path.join(dir, `${result.id}.json`)
    const tmp = path.join(dir, `.${result.id}.${process.pid}.${Date.now()}.tmp`)
    yield* fs.makeDirectory(dir, { recursive: true })
    if (yield* isLink(target)) {
      return yield* new StoreError({ path: target, problem: "SymbolicLink", message: `refusing to save cell ${result.id}: ${target} is a symbolic link, and a study writes only its own files, never through a link: remove the link` })
    }
    // a temporary that could not be created whole is removed, unless something else stood at its name
    yield* fs.writeFileString(tmp, encodeCellResult(result), { flag: "wx" }).pipe(
      Effect.tapError((e) => errorCode(e) === "EEXIST" ? Effect.void : Effect.ignore(fs.remove(tmp))))
    yield* fs.link(tmp, target).pipe(
      Effect.catchReason("PlatformError", "AlreadyExists", () => Effect.void),
      Effect.ensuring(Effect.ignore(fs.remove(tmp))))
  }).pipe(Effect.mapError((e) => e instanceof StoreError ? e : storeFailure(`save cell ${result.id} to`, studyFiles(studyDir).cells)(e)))

const isLink = (p: string) => Effect.flatMap(FileSystem.FileSystem, (fs) => fs.lstat(p).pipe(Effect.map((s) => s.type === "SymbolicLink"), Effect.orElseSucceed(() => false)))

/**
 * Refuse a study folder (`cells/`, `runs/`, `.postgres/`) that is a symbolic link: a study writes
 * only inside its own directory, and a link there would take its files elsewhere.
 */
const ownFolder = (studyDir: string, dir: string) => Effect.gen(function* () {
  const fs = yield* FileSystem.FileSystem
  if (!(yield* isLink(dir))) return
  const to = yield* fs.readLink(dir).pipe(Effect.orElseSucceed(() => "?"))
  return yield* new StoreError({
    path: dir, problem: "SymbolicLink",
    message: `refusing to use ${dir}: it is a symbolic link (to ${to}) inside ${studyDir}, and a study writes only inside its own directory: remove the link, or pass --out to put the whole study elsewhere`
  })
})

/**
 * Keep a directory's contents out of git (the study's database, run directories, cell files): its
 * `.gitignore` is written when it has none, and one that is there (yours) is left as it is.
 */
const ignoredDir = (dir: string) => Effect.gen(function* () {
  const fs = yield* FileSystem.FileSystem
  yield* fs.makeDirectory(dir, { recursive: true })
  yield* fs.writeFileString(`${dir}/.gitignore`, "*\n", { flag: "wx" }).pipe(Effect.catchReason("PlatformError", "AlreadyExists", () => Effect.void))
}).pipe(Effect.mapError(storeFailure("create", `${dir}/.gitignore`)))

export interface StudyOptions {
  readonly planPath: string
  /** Where results, cell files, run directories and the embedded database go. */
  readonly studyDir: string
  /** Any PostgreSQL; when absent the study starts its own under `<studyDir>/.postgres`. */
  readonly database: Option.Option<Redacted.Redacted<string>>
  /** Runner processes to start on this machine (0: rely on runners started elsewhere). */
  readonly runners: number
  /** Further attempts at a cell that failed. */
  readonly retries: number
  readonly timing?: EngineTiming
  /** Extra flags for the runners this study starts (e.g. `--backend wasm`). */
  readonly runnerArgs?: ReadonlyArray<string>
  /** Where the study's own lines go (each cell's end, runners' output). */
  readonly log: (line: string) => void
  /** How long the study's own database server is tried again after it stops (default 2 minutes). */
  readonly serverRestartFor?: Duration.Input
  /**
   * Run a runner inside this process too, on this backend. It sees this process's registries (a
   * researcher's own experiments, blocks and tasks, provided with their layers), which runner
   * processes started from the command line do not. At most one: TensorFlow.js keeps one engine
   * per process.
   */
  readonly runnerInProcess?: { readonly backend: BackendRequest }
}

export interface StudySummary {
  readonly study: string
  readonly cells: number
  readonly done: number
  readonly failed: number
  /** Cells whose results were there before this run. */
  readonly skipped: number
  readonly resultsPath: string
}

const cellLabel = (c: { readonly arm: string; readonly seed: number; readonly id: string }) => `${c.arm} seed ${c.seed} (${c.id})`

/** A finished cell in one line: its developmental path and low-β loss as the report reads them (from the sweep). */
const describeResult = (r: CellResult) => {
  if (r.status === "failed") return `failed: ${r.error}`
  const reading = cellPaths([r])[0]?.reading
  return `done${r.execution === null ? "" : ` in ${r.execution.wallSeconds.toFixed(1)} s`}` +
    (reading === undefined ? "" : `: ${reading.path}, low-β loss ${formatNumber(reading.lowBetaLoss)} (sweep, last checkpoint)`) +
    (r.training === null ? "" : `; last training row: loss ${formatNumber(r.training.loss)}`)
}

const resultFromExit = (cell: StudyCell, exit: Exit.Exit<CellResult, unknown>): CellResult =>
  Exit.isSuccess(exit) ? exit.value : {
    id: cell.id, study: cell.study, arm: cell.arm, seed: cell.seed, config: cell.config, experiments: cell.experiments,
    status: "failed", error: `the cell's workflow failed: ${causeMessage(exit.cause)}`,
    training: null, ...noCellResults, execution: null
  }

/** A failure of the study's own writes: a storage problem (full disk, quota, read-only) stops the study as a {@link StorageFault}. */
const asStorageFault = <E>(e: E): E | StorageFault => {
  const problem = storageProblem(e)
  return problem === undefined ? e : new StorageFault({ stopped: "study", detail: problem })
}

/**
 * Run a study to the end: every cell of the plan that has no result yet becomes a durable workflow
 * (see `studyEngine.ts`), started in {@link dispatchOrder} (the arms in turn); runners take the cells; each result is written once to
 * `cells/<id>.json`, and `results.json` is rewritten (whole, atomically) as results arrive. Running
 * it again continues where it stopped: finished cells are skipped, unfinished workflows resume from
 * the database. Progress (cells done, running, failed, ETA) goes to the Progress service.
 *
 * One study per directory: the study holds `<studyDir>/study.lock` while it runs (`StudyLocked`
 * for a second one, which touches nothing), and refuses a `cells/`, `runs/` or `.postgres/` that is
 * a symbolic link. It stops cleanly (runners and database stopped, nothing
 * recorded as a cell's failure) with a {@link StorageFault} when its disk fills (less than 64 MB
 * free, or a write of its own or of a runner's failing for space, quota or a read-only disk), with
 * the StoreError of a cell file it could not save, or with a DatabaseError when its own database
 * server stopped and could not be started again.
 */
export const runStudy = (options: StudyOptions) => Effect.gen(function* () {
  const { plan, cells } = yield* readPlan(options.planPath)
  return yield* withStudyLock(options.studyDir)(Effect.scoped(studyLocked(options, plan, cells)))
})

const studyLocked = (options: StudyOptions, plan: StudyPlan, cells: ReadonlyArray<StudyCell>) => Effect.gen(function* () {
  const store = yield* RunStore
  const progress = yield* Progress
  const timing = options.timing ?? defaultTiming
  const files = studyFiles(options.studyDir)
  const inPlan = new Set(cells.map((c) => c.id))
  const results = yield* existingResults(options.studyDir)
  const reused = yield* reuseResults(options.planPath, plan, cells, results)
  const skipped = cells.filter((c) => results.has(c.id)).length
  const todo = dispatchOrder(cells).filter((c) => !results.has(c.id))
  const writeResults = Effect.suspend(() => store.writeText(files.results, encodeStudyResults(plan.name, cells, [...results.values()]))).pipe(Effect.mapError(asStorageFault))
  const counts = () => {
    const mine = [...results.values()].filter((r) => inPlan.has(r.id))
    return { done: mine.filter((r) => r.status === "done").length, failed: mine.filter((r) => r.status === "failed").length }
  }
  for (const dir of [files.cells, files.runs, files.postgres]) yield* ownFolder(options.studyDir, dir)
  yield* ignoredDir(files.cells).pipe(Effect.mapError(asStorageFault))
  yield* ignoredDir(files.runs).pipe(Effect.mapError(asStorageFault))
  yield* writeResults
  options.log(`study ${plan.name}: ${cells.length} cells (${describeArms(cells)}); ${skipped} already have results${reused > 0 ? ` (${reused} taken from ${plan.reuse!.join(", ")})` : ""}, ${todo.length} to run, the arms in turn`)
  if (todo.length > 0) {
    // what stops the study before its cells are done: the disk, a cell file it cannot save, its own server lost
    const halt = yield* Deferred.make<never, StorageFault | StoreError | DatabaseError>()
    const stop = (e: StorageFault | StoreError | DatabaseError) => Deferred.fail(halt, e)
    yield* checkFreeSpace(options.studyDir)
    const url = yield* Option.match(options.database, {
      onSome: (url) => Effect.succeed(url),
      onNone: () => Effect.gen(function* () {
        const pg = yield* startEmbeddedPostgres(files.postgres, options.serverRestartFor === undefined ? {} : { restartFor: options.serverRestartFor })
        yield* pg.lost.pipe(Effect.catch(stop), Effect.forkScoped)
        options.log(`database: PostgreSQL ${pg.version} in ${files.postgres} (started by this study)`)
        return pg.url
      })
    })
    if (Option.isSome(options.database)) {
      yield* checkDatabase(url)
      options.log(`database: ${maskDatabaseUrl(Redacted.value(url))}`)
    }
    const diskWatch = Effect.forever(Effect.andThen(checkFreeSpace(options.studyDir), Effect.sleep("1 second")))
    const stopped = Effect.raceFirst(Deferred.await(halt), diskWatch)
    // a cell file that cannot be saved is the study's problem, not the cell's: the study stops and the
    // workflow, unfinished, saves it when the study runs again
    const save = (r: CellResult) => saveCellOnce(options.studyDir, r).pipe(
      Effect.retry({ times: 3, schedule: Schedule.exponential("250 millis") }),
      Effect.catch((e) => Effect.andThen(stop(asStorageFault(e)), Effect.never)))
    const work = Effect.gen(function* () {
      const pending = new Map<string, { cell: StudyCell; executionId: string }>()
      for (const cell of todo) pending.set(cell.id, { cell, executionId: yield* CellWorkflow.execute({ cell, retries: options.retries }, { discard: true }) })
      if (options.runners > 0) {
        yield* startRunnerProcesses({
          count: options.runners, databaseUrl: url, log: options.log,
          args: [...(options.runnerArgs ?? []), "--lease", String(timing.leaseSeconds), "--out", files.runs],
          onStorageFault: (detail) => Deferred.doneUnsafe(halt, Effect.fail(new StorageFault({ stopped: "study", detail })))
        })
      }
      if (options.runnerInProcess !== undefined) {
        options.log(`a runner in this process (pid ${process.pid}, backend ${options.runnerInProcess.backend})`)
        yield* takeCells({ database: url, runsDir: files.runs, backend: options.runnerInProcess.backend, timing, log: options.log }).pipe(
          Effect.catch(stop),
          Effect.forkScoped
        )
      }
      if (options.runners === 0 && options.runnerInProcess === undefined) {
        options.log("no runners started here: start them with `hyperlayers runner --database <url>`")
      }
      let unreachable = false
      while (pending.size > 0) {
        const finished: Array<CellResult> = []
        for (const { cell, executionId } of [...pending.values()]) {
          // a database that is down (restarting, unreachable) is waited for, not a failure
          const polled = yield* CellWorkflow.poll(executionId).pipe(Effect.catchCause((cause) => Effect.gen(function* () {
            if (!unreachable) yield* Effect.logWarning(`the study database is unreachable; waiting for it (${causeMessage(cause)})`)
            unreachable = true
            return Option.none()
          })))
          if (Option.isSome(polled)) unreachable = false
          if (Option.isNone(polled) || polled.value._tag !== "Complete") continue
          const result = resultFromExit(cell, polled.value.exit)
          results.set(cell.id, result)
          pending.delete(cell.id)
          finished.push(result)
        }
        if (finished.length > 0) {
          yield* writeResults
          for (const r of finished) options.log(`cell ${cellLabel(r)}: ${describeResult(r)}`)
        }
        const running = yield* runningCells(timing)
        const { done, failed } = counts()
        // until a cell finishes here, the ETA comes from the cells that finished before (in parallel)
        const walls = oneGoWallSeconds([...results.values()].filter((r) => inPlan.has(r.id)))
        const parallel = Math.max(1, running ?? 0, options.runners)
        yield* progress.update("study", {
          done: done + failed, total: cells.length, detail: `done ${done}, running ${running ?? "?"}, failed ${failed}`,
          ...(walls.length > 0 ? { priorSecondsPerItem: median(walls) / parallel } : {})
        })
        if (pending.size > 0) yield* Effect.sleep("1 second")
      }
    })
    // cells saved after the last poll (a cell finishing as the study stops) go into results.json too
    const collectSaved = Effect.gen(function* () {
      let added = 0
      for (const [id, r] of yield* existingResults(options.studyDir)) {
        if (!inPlan.has(id) || results.has(id)) continue
        results.set(id, r)
        added++
      }
      if (added > 0) yield* writeResults
    }).pipe(Effect.ignore)
    yield* Effect.raceFirst(work, stopped).pipe(
      Effect.scoped,
      Effect.provide(cellWorkflowLayer(save).pipe(
        Layer.provideMerge(engineLayer(true, timing)),
        Layer.provideMerge(databaseLayer(url))
      )),
      Effect.ensuring(collectSaved)
    )
  }
  const { done, failed } = counts()
  yield* progress.finish("study", `${done} done, ${failed} failed of ${cells.length} cells → ${files.results}`)
  return { study: plan.name, cells: cells.length, done, failed, skipped, resultsPath: files.results } satisfies StudySummary
})

/** Decode a results file's text (for tests and reports). */
export const decodeStudyResults = (text: string) =>
  Result.mapError(Schema.decodeUnknownResult(Schema.fromJsonString(StudyResultsJson))(text), (e) => new InvalidInput({ source: "results.json", message: e.message }))
