import { hostname } from "node:os"
import { Cause, Effect, Exit, type FileSystem, type Redacted } from "effect"
import type { BackendRequest } from "../../services/backend/index.js"
import { DatabaseError } from "../../services/study/index.js"
import type { RunStore } from "../../services/store/index.js"
import type { RunnerStopMessage } from "../../services/study/index.js"
import { StorageFault } from "../../services/store/index.js"
import { studyCellRunner } from "./cellAdapter.js"
import { type CellRunner, checkDatabase, databaseLayer, defaultTiming, type EngineTiming, engineLayer, runCellWorker } from "./studyEngine.js"
import { causeMessage } from "../../core/base/schemas.js"

export interface RunnerOptions {
  readonly database: Redacted.Redacted<string>
  /** Where the cells' run directories go (`<runsDir>/<cell id>`). */
  readonly runsDir: string
  readonly backend: BackendRequest
  readonly timing?: EngineTiming
  /** Where the runner's lines go (each cell's start and end). */
  readonly log: (line: string) => void
}

/** A cell runner that says when each attempt starts and how it ended. */
const announced = <R>(run: CellRunner<R>, log: (line: string) => void): CellRunner<R> => (cell, context) => {
  const label = `cell ${cell.arm} seed ${cell.seed} (${cell.id}) attempt ${context.attempt}${context.deliveries > 1 ? ` (delivery ${context.deliveries})` : ""}`
  return Effect.sync(() => log(`runner ${process.pid}: ${label}: started`)).pipe(
    Effect.andThen(run(cell, context)),
    Effect.onExit((exit) => Effect.sync(() => log(`runner ${process.pid}: ${label}: ${Exit.isSuccess(exit) ? `done in ${exit.value.execution?.wallSeconds.toFixed(1) ?? "?"} s`
      : Exit.hasInterrupts(exit) ? "interrupted (back to the queue)"
      : Cause.squash(exit.cause) instanceof StorageFault ? "given back to the queue (this runner cannot write its files)"
      : `failed: ${causeMessage(exit.cause)}`}`)))
  )
}

/** Completes when this process's parent closes the IPC channel: the study that started it is gone. */
const parentGone: Effect.Effect<void> = typeof process.send === "function"
  ? Effect.callback<void>((resume) => {
    const done = () => resume(Effect.void)
    process.once("disconnect", done)
    return Effect.sync(() => process.off("disconnect", done))
  })
  : Effect.never

/** Tell the study that started this runner (if one did) why it stops; resolves once the message is handed over. */
const tellStudy = (message: RunnerStopMessage): Effect.Effect<void> =>
  typeof process.send === "function"
    ? Effect.callback<void>((resume) => {
      process.send!(message, undefined, {}, () => resume(Effect.void))
    })
    : Effect.void

/**
 * A runner's work: take a study's cells one at a time, as the database hands them out, until
 * interrupted; what a runner process does, and what a study runs inside its own process when asked
 * to (`StudyOptions.runnerInProcess`). Fails with a {@link StorageFault} when it cannot write its
 * own files (its cell goes back to the queue), or a {@link DatabaseError}.
 */
export const takeCells = (options: RunnerOptions): Effect.Effect<never, DatabaseError | StorageFault, RunStore | FileSystem.FileSystem> =>
  runCellWorker(announced(studyCellRunner({ runsDir: options.runsDir, backend: options.backend }), options.log)).pipe(
    Effect.provide(engineLayer(false, options.timing ?? defaultTiming)),
    Effect.provide(databaseLayer(options.database, 4)),
    Effect.mapError((e) => e instanceof StorageFault ? e : new DatabaseError({ message: `the study database: ${e.message}` }))
  )

/**
 * A runner: joins a study's database and takes its cells one at a time until interrupted
 * (Ctrl-C), or until the study that started it is gone. Needs nothing but the database: any
 * machine that reaches it can run one. A runner that cannot write its own files (a full disk, a
 * read-only file system) gives its cell back to the queue and stops with a {@link StorageFault},
 * which it also sends to the study that started it (if one did).
 */
export const runRunner = (options: RunnerOptions): Effect.Effect<void, DatabaseError | StorageFault, RunStore | FileSystem.FileSystem> =>
  Effect.gen(function* () {
    options.log(`runner ${hostname()}/${process.pid}: taking cells; run directories in ${options.runsDir}`)
    yield* Effect.raceFirst(takeCells(options), parentGone)
  }).pipe(
    Effect.tapError((e) => e instanceof StorageFault ? tellStudy({ type: "storage-fault", detail: e.detail }) : Effect.void),
    (run) => Effect.andThen(checkDatabase(options.database), run)
  )
