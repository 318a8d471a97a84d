import { hostname } from "node:os"
import { Context, Data, Effect, Fiber, FileSystem, Option, Path, Result, Schedule, Schema } from "effect"
import { errorCode, StoreError, storeFailure } from "./fileErrors.js"

/**
 * One writer per run directory. A writer holds `<run>/writer.lock`, a small JSON file naming its
 * process; a second writer is refused with {@link RunLocked}. The lock is created whole and
 * atomically (written to a temporary file, then hard-linked into place, which fails if the lock
 * exists), and removed when the writer's scope closes, whether it succeeded, failed or was
 * interrupted. A writer killed outright (kill -9, power cut) leaves its lock behind: the next
 * writer sees that the process named in it is gone (no such pid, or a pid reused by a process
 * that started later) and takes the lock over, under a short-lived `writer.lock.break` so that
 * two newcomers cannot both take it. The holder touches the lock every 5 s; a lock from another
 * host (a run directory on a shared file system), whose process cannot be checked from here, is
 * taken over once it has not been touched for a minute (as the study runners' locks are).
 *
 * Taking a lock also removes the temporary files (`.<name>.<pid>.<ms>.tmp`) that dead writers left
 * in the run and its `checkpoints/` and `figures/` folders.
 */

/** Another process is writing the run; `holder` says which. */
export class RunLocked extends Data.TaggedError("RunLocked")<{
  readonly message: string
  readonly path: string
  readonly holder: LockInfo
}> {}

export const LockInfo = Schema.Struct({
  pid: Schema.Number,
  host: Schema.String,
  /** When the lock was taken (ISO 8601). */
  since: Schema.String,
  /** The process's start time as the kernel records it (`/proc/<pid>/stat` field 22), to tell a reused pid. */
  processStart: Schema.NullOr(Schema.String),
  command: Schema.String
})
export type LockInfo = typeof LockInfo.Type

export const LOCK_FILE = "writer.lock"
/** How often a holder touches its lock, and how long another host's untouched lock is honoured. */
const HEARTBEAT = "5 seconds"
const REMOTE_STALE_MS = 60_000
const TEMPORARY = /^\..+\.(\d+)\.\d+\.tmp$/

/** The lock files this fiber holds, so that nested programs (reproduce → train) re-enter. */
const HeldRunLocks = Context.Reference<ReadonlySet<string>>("hyperlayers/HeldRunLocks", { defaultValue: () => new Set() })

/** The directories (runs, studies) whose locks this fiber holds: what it writes there must stay there. */
export const heldDirectories: Effect.Effect<ReadonlyArray<string>> = Effect.map(HeldRunLocks, (held) => [...held].map((lock) => lock.slice(0, lock.lastIndexOf("/"))))

const processExists = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return errorCode(e) === "EPERM"
  }
}

/**
 * Lock and unlock run directories on a file system. `ensureDirectory` creates a directory and its
 * parents (the store's, which never hangs on special file systems). `lockFile` is the lock's name
 * in the directory, and `sweep` the folders (relative to it; "" for itself) where dead writers'
 * temporaries are removed when the lock is taken.
 */
export const makeRunLocks = (
  fs: FileSystem.FileSystem,
  path: Path.Path,
  ensureDirectory: (dir: string) => Effect.Effect<void, StoreError>,
  lockFile: string = LOCK_FILE,
  sweep: ReadonlyArray<string> = ["", "checkpoints", "figures"]
) => {
  const processStart = (pid: number): Effect.Effect<string | null> =>
    fs.readFileString(`/proc/${pid}/stat`).pipe(
      Effect.map((text) => text.slice(text.lastIndexOf(")") + 2).split(" ")[19] ?? null),
      Effect.orElseSucceed(() => null))

  const me = Effect.map(processStart(process.pid), (start): LockInfo => ({
    pid: process.pid, host: hostname(), since: new Date().toISOString(), processStart: start, command: process.argv.slice(2).join(" ")
  }))

  /** Whether the process a lock names may still be running (on another host: while it touches the lock). */
  const holderAlive = (info: LockInfo, file: string): Effect.Effect<boolean> => Effect.gen(function* () {
    if (info.host !== hostname()) {
      const touched = yield* fs.stat(file).pipe(Effect.map((s) => Option.getOrUndefined(s.mtime)?.getTime()), Effect.orElseSucceed(() => undefined))
      return touched === undefined || Date.now() - touched < REMOTE_STALE_MS
    }
    if (info.pid === process.pid) return true
    if (!processExists(info.pid)) return false
    if (info.processStart === null) return true
    const now = yield* processStart(info.pid)
    return now === null || now === info.processStart
  })

  const readLock = (file: string): Effect.Effect<{ readonly text: string; readonly info: LockInfo | undefined } | undefined> =>
    fs.readFileString(file).pipe(
      Effect.map((text) => {
        let raw: unknown
        try {
          raw = JSON.parse(text)
        } catch {
          raw = undefined
        }
        const decoded = Schema.decodeUnknownResult(LockInfo)(raw)
        return { text, info: Result.isSuccess(decoded) ? decoded.success : undefined }
      }),
      Effect.orElseSucceed(() => undefined))

  const describeHolder = (info: LockInfo) =>
    `process ${info.pid} on ${info.host}${info.command === "" ? "" : ` (${info.command})`}, since ${info.since}`

  const lockedError = (runDir: string, lock: string, info: LockInfo) => new RunLocked({
    path: lock, holder: info,
    message: info.host === hostname()
      ? `${runDir} is being written by ${describeHolder(info)}: one writer per run. Wait for it to finish or stop it, or choose another --out`
      : `${runDir} is being written by ${describeHolder(info)} (another host; its lock was touched within the last minute): one writer per run. Wait for it, or if no process writes the run, remove ${lock}`
  })

  /** Remove temporaries of dead writers from the run's folders. */
  const sweepTemporaries = (runDir: string) => Effect.gen(function* () {
    for (const dir of sweep.map((sub) => path.join(runDir, sub))) {
      const names = yield* fs.readDirectory(dir).pipe(Effect.orElseSucceed((): ReadonlyArray<string> => []))
      for (const name of names) {
        const m = TEMPORARY.exec(name)
        if (m === null) continue
        const pid = Number(m[1])
        if (pid !== process.pid && !processExists(pid)) {
          yield* fs.remove(path.join(dir, name)).pipe(Effect.ignore)
          yield* Effect.logInfo(`removed ${path.join(dir, name)}, left by writer ${pid}, which is gone`)
        }
      }
    }
  })

  /** Place `tmp` at `target` if nothing is there; false if something is. */
  const placeExclusive = (tmp: string, target: string, text: string): Effect.Effect<boolean, StoreError> =>
    fs.link(tmp, target).pipe(
      Effect.as(true),
      Effect.catch((e) => {
        if (errorCode(e) === "EEXIST" || e.reason._tag === "AlreadyExists") return Effect.succeed(false)
        // a file system without hard links: create exclusively instead (not atomic, but exclusive)
        return fs.writeFileString(target, text, { flag: "wx" }).pipe(
          Effect.as(true),
          Effect.catch((e2) => errorCode(e2) === "EEXIST" ? Effect.succeed(false) : Effect.fail(storeFailure("create", target)(e2))))
      }))

  const acquire = (runDir: string): Effect.Effect<{ readonly info: LockInfo; readonly created: boolean }, RunLocked | StoreError> => Effect.gen(function* () {
    const created = !(yield* fs.exists(runDir).pipe(Effect.orElseSucceed(() => false)))
    yield* ensureDirectory(runDir)
    const lock = path.join(runDir, lockFile)
    const info = yield* me
    const text = JSON.stringify(info) + "\n"
    const tmp = path.join(runDir, `.${lockFile}.${process.pid}.${Date.now()}.tmp`)
    yield* fs.writeFileString(tmp, text, { flag: "wx" }).pipe(Effect.mapError(storeFailure("write", tmp)))
    const attempt: Effect.Effect<void, RunLocked | StoreError> = Effect.gen(function* () {
      for (let round = 0; round < 5; round++) {
        if (yield* placeExclusive(tmp, lock, text)) return
        const held = yield* readLock(lock)
        if (held === undefined) continue // removed meanwhile: try again
        if (held.info !== undefined && (yield* holderAlive(held.info, lock))) return yield* lockedError(runDir, lock, held.info)
        // a dead writer's lock (or an unreadable one): take it over, one newcomer at a time
        const brk = `${lock}.break`
        if (!(yield* placeExclusive(tmp, brk, text))) {
          const breaker = yield* readLock(brk)
          if (breaker?.info !== undefined && (yield* holderAlive(breaker.info, brk))) return yield* lockedError(runDir, lock, breaker.info)
          yield* fs.remove(brk).pipe(Effect.ignore)
          continue
        }
        const again = yield* readLock(lock)
        if (again !== undefined && again.text === held.text) {
          yield* fs.remove(lock).pipe(Effect.mapError(storeFailure("remove the stale lock", lock)))
          yield* Effect.logInfo(`took over ${lock} from ${held.info === undefined ? "an unreadable lock" : describeHolder(held.info)}, which is gone`)
        }
        yield* fs.remove(brk).pipe(Effect.ignore)
      }
      return yield* new StoreError({ path: lock, problem: "Other", message: `could not take ${lock}: it kept changing (other processes starting on ${runDir}?)` })
    }).pipe(Effect.ensuring(fs.remove(tmp).pipe(Effect.ignore)))
    yield* attempt.pipe(Effect.tapError(() => created ? fs.remove(runDir).pipe(Effect.ignore) : Effect.void))
    yield* sweepTemporaries(runDir)
    return { info, created }
  })

  /** Remove the lock if it is still this writer's, and the directory if the lock made it and nothing else was written. */
  const release = (runDir: string, info: LockInfo, created: boolean): Effect.Effect<void> => Effect.gen(function* () {
    const lock = path.join(runDir, lockFile)
    const held = yield* readLock(lock)
    if (held?.info !== undefined && held.info.pid === info.pid && held.info.since === info.since) yield* fs.remove(lock).pipe(Effect.ignore)
    if (created && (yield* fs.readDirectory(runDir).pipe(Effect.orElseSucceed(() => ["?"]))).length === 0) yield* fs.remove(runDir).pipe(Effect.ignore)
  })

  /**
   * Run `effect` as the only writer of `runDir`: take the lock (failing with {@link RunLocked}
   * when a live process holds it), run, release. Re-entrant within one fiber.
   */
  const withRunLock = (runDir: string) => <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | RunLocked | StoreError, R> =>
    Effect.gen(function* () {
      const dir = path.resolve(runDir)
      const lock = path.join(dir, lockFile)
      const held = yield* HeldRunLocks
      if (held.has(lock)) return yield* effect
      const touch = Effect.suspend(() => fs.utimes(lock, new Date(), new Date())).pipe(Effect.ignore)
      return yield* Effect.acquireUseRelease(
        Effect.flatMap(acquire(dir), (got) => Effect.map(Effect.forkDetach(touch.pipe(Effect.repeat(Schedule.spaced(HEARTBEAT)))), (beat) => ({ ...got, beat }))),
        () => effect.pipe(Effect.provideService(HeldRunLocks, new Set([...held, lock]))),
        ({ info, created, beat }) => Effect.andThen(Fiber.interrupt(beat), release(dir, info, created)))
    })

  return { withRunLock, readLock }
}
