import { type ChildProcess, spawn } from "node:child_process"
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { type Duration, Effect, Exit, Result, Scope } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { scriptArgs } from "./cliProcess.js"
import { checkDatabase } from "../src/programs/study/studyEngine.js"
import { type EmbeddedPostgres, startEmbeddedPostgres } from "../src/services/study/EmbeddedPostgres.js"
import { pidFileOwner, postmasterOf, processExists } from "../src/services/study/processIdentity.js"
import { tempDir } from "./programs.js"

/**
 * The study's own PostgreSQL under the faults of its life: killed (twice, in quick succession),
 * unable to come back, its owner killed with kill -9, and a `postmaster.pid` left behind that names
 * another process. Each server here is this test's own, in its own temporary directory; the only
 * processes signalled are those this test started.
 */

/** A directory for a server's files, under a parent others may enter (the server runs as nobody under root). */
const serverDir = () => {
  const root = tempDir("hyperlayers-pg-")
  chmodSync(root, 0o755)
  return join(root, ".postgres")
}

const waitFor = async (condition: () => boolean, what: string, timeoutMs = 30_000) => {
  const start = Date.now()
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

const nobodyOrMe = () => (process.getuid?.() === 0 ? Number(readFileSync("/etc/passwd", "utf8").split("\n").find((l) => l.startsWith("nobody:"))!.split(":")[2]) : process.getuid?.())

const scopes: Array<Scope.Closeable> = []
afterAll(async () => {
  for (const s of scopes.splice(0)) await Effect.runPromise(Scope.close(s, Exit.void))
})
const start = async (dir: string, restartFor?: Duration.Input): Promise<{ pg: EmbeddedPostgres["Service"]; scope: Scope.Closeable }> => {
  const scope = Effect.runSync(Scope.make())
  scopes.push(scope)
  const pg = await Effect.runPromise(startEmbeddedPostgres(dir, restartFor === undefined ? {} : { restartFor }).pipe(Scope.provide(scope)))
  return { pg, scope }
}
const stop = (scope: Scope.Closeable) => Effect.runPromise(Scope.close(scope, Exit.void))
const answers = async (pg: EmbeddedPostgres["Service"]) => Result.isSuccess(await Effect.runPromise(Effect.result(checkDatabase(pg.url))))

/** The processes this test started that are still alive: started here, so theirs to signal. */
const started: Array<ChildProcess> = []
afterAll(() => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL")
})

/**
 * A process that is not a server but looks like one by name (its command line says "postgres -D
 * …"), and writes down every signal it gets.
 */
const bystander = async () => {
  const log = join(tempDir("hyperlayers-bystander-"), "signals.txt")
  writeFileSync(log, "")
  const code = `for (const s of ["SIGINT","SIGQUIT","SIGTERM","SIGHUP","SIGUSR1","SIGUSR2"]) process.on(s, () => require("fs").appendFileSync(${JSON.stringify(log)}, s + "\\n")); require("fs").appendFileSync(${JSON.stringify(log)}, ""); console.log("up"); setInterval(() => {}, 1 << 30)`
  const child = spawn(process.execPath, ["-e", code, "postgres", "-D", "/somewhere/else"], { stdio: ["ignore", "pipe", "ignore"] })
  started.push(child)
  await new Promise<void>((resolve) => child.stdout!.once("data", () => resolve()))
  return { pid: child.pid!, signals: () => readFileSync(log, "utf8").split("\n").filter((l) => l !== "") }
}

/** A copy of a server's `postmaster.pid` whose first line names `pid` instead. */
const stalePidFile = (dataDir: string, text: string, pid: number) =>
  writeFileSync(join(dataDir, "postmaster.pid"), [String(pid), ...text.split("\n").slice(1)].join("\n"))

/** `test/fixtures/holdServer.ts` in a child process: a server started by a process the test can kill. */
const holder = async (dir: string) => {
  const child = spawn(process.execPath, scriptArgs("test/fixtures/holdServer.ts", dir), { stdio: ["ignore", "pipe", "pipe"] })
  started.push(child)
  let out = ""
  child.stderr!.on("data", (d: Buffer) => { out += d.toString() })
  const pid = await new Promise<number>((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString()
      const m = /READY (\d+)/.exec(out)
      if (m !== null) resolve(Number(m[1]))
    })
    child.on("exit", (code) => reject(new Error(`the holder exited (${code}): ${out}`)))
  })
  return { child, postmaster: pid }
}

/** Processes whose parent is `ppid` (from /proc): the children of a process this test started. */
const childrenOf = (ppid: number): Array<{ pid: number; args: string }> => readdirSync("/proc").filter((n) => /^\d+$/.test(n)).flatMap((n) => {
  try {
    const stat = readFileSync(`/proc/${n}/stat`, "utf8")
    const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1])
    return parent === ppid ? [{ pid: Number(n), args: readFileSync(`/proc/${n}/cmdline`, "utf8").split("\0").join(" ") }] : []
  } catch {
    return []
  }
})

/** Live processes whose command line mentions `text` (to check that nothing of a test's server is left). */
const processesMentioning = (text: string) => readdirSync("/proc").filter((n) => /^\d+$/.test(n)).filter((n) => {
  try {
    return readFileSync(`/proc/${n}/cmdline`, "utf8").includes(text)
  } catch {
    return false
  }
})

const linux = existsSync("/proc/self/stat")

describe("the study's own PostgreSQL", () => {
  it("starts again, waiting longer each time, after being killed twice two seconds apart", async () => {
    const dir = serverDir()
    const { pg } = await start(dir)
    const first = pidFileOwner(pg.dataDir)!
    process.kill(first, "SIGKILL")
    await new Promise((r) => setTimeout(r, 2000))
    // the second kill: whatever runs there now (killed while it still recovers, or just after)
    const second = pidFileOwner(pg.dataDir)!
    expect(second).not.toBe(first)
    expect(postmasterOf(second, pg.dataDir, nobodyOrMe())).toBe("ours")
    process.kill(second, "SIGKILL")
    const killedAt = Date.now()
    // a server killed while it recovered counts as a failed start, one killed after as a second stop
    let third: number | undefined
    for (let k = 0; k < 300 && third === undefined; k++) {
      const now = pidFileOwner(pg.dataDir)
      if (now !== undefined && now !== first && now !== second && await answers(pg)) third = now
      else await new Promise((r) => setTimeout(r, 100))
    }
    expect(third).toBeDefined()
    expect(pg.restarts()).toBeGreaterThanOrEqual(1)
    console.info(`killed twice 2 s apart: answering again ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the second kill`)
  }, 60_000)

  it("counts as lost, with the server's own reason, when it cannot be started again: no hang", async () => {
    const dir = serverDir()
    const { pg } = await start(dir, "3 seconds")
    // a data directory others may write: PostgreSQL refuses to start on it
    chmodSync(pg.dataDir, 0o777)
    process.kill(pidFileOwner(pg.dataDir)!, "SIGKILL")
    const began = Date.now()
    const lost = await Effect.runPromise(Effect.flip(pg.lost))
    chmodSync(pg.dataDir, 0o700)
    expect(lost._tag).toBe("DatabaseError")
    expect(lost.message).toMatch(/^the study's PostgreSQL stopped \(signal SIGKILL\), and could not be started again \(\d+ tries in \d+ s\): postgres stopped while starting \(exit 1\): FATAL: data directory ".*" has invalid permissions\. See .*postgres\.log; once the cause is fixed, the same command continues the study$/)
    expect(Date.now() - began).toBeLessThan(10_000)
  }, 60_000)

  it.runIf(linux)("dies with the process that started it, even one killed with kill -9", async () => {
    const dir = serverDir()
    const { child, postmaster } = await holder(dir)
    const watchdogs = childrenOf(child.pid!).filter((c) => c.args.includes("serverWatchdog"))
    expect(watchdogs).toHaveLength(1)
    child.kill("SIGKILL")
    const killedAt = Date.now()
    await waitFor(() => !processExists(postmaster), "the server to stop after its owner was killed")
    await waitFor(() => processesMentioning(dir).length === 0, "every process of that server (and its watchdog) to end")
    expect(existsSync(join(dir, "data", "postmaster.pid"))).toBe(false)
    console.info(`owner killed with kill -9: its server stopped ${((Date.now() - killedAt) / 1000).toFixed(1)} s later`)
  }, 60_000)

  it.runIf(linux)("stops a server a killed process left on its data directory, known by data directory and user, then starts its own", async () => {
    const dir = serverDir()
    const { child, postmaster } = await holder(dir)
    // the owner and its watchdog both killed outright (as by the OOM killer): the server stays
    const watchdog = childrenOf(child.pid!).find((c) => c.args.includes("serverWatchdog"))!
    process.kill(watchdog.pid, "SIGKILL")
    child.kill("SIGKILL")
    await new Promise((r) => setTimeout(r, 300))
    expect(processExists(postmaster)).toBe(true)
    // the killed owner's private socket directory, which neither it nor its watchdog could remove
    const sockets = readFileSync(join(dir, "data", "postmaster.pid"), "utf8").split("\n")[4]!
    expect(existsSync(sockets)).toBe(true)
    const { pg } = await start(dir)
    expect(processExists(postmaster)).toBe(false)
    expect(pidFileOwner(pg.dataDir)).not.toBe(postmaster)
    expect(await answers(pg)).toBe(true)
    // removed with the server it served; the new server listens in a directory of its own
    expect(existsSync(sockets)).toBe(false)
    expect(readFileSync(join(pg.dataDir, "postmaster.pid"), "utf8").split("\n")[4]).not.toBe(sockets)
  }, 60_000)

  it.runIf(linux)("signals nothing but its own server: a stale postmaster.pid naming another process, or another study's server, is only removed", async () => {
    const other = await start(serverDir())
    const otherPid = pidFileOwner(other.pg.dataDir)!
    const dir = serverDir()
    const mine = await start(dir)
    const pidText = readFileSync(join(mine.pg.dataDir, "postmaster.pid"), "utf8")
    await stop(mine.scope)
    const innocent = await bystander()
    // what each pid is, as the check that guards every signal sees it
    expect(postmasterOf(innocent.pid, mine.pg.dataDir, nobodyOrMe())).toBe("other")
    expect(postmasterOf(otherPid, mine.pg.dataDir, nobodyOrMe())).toBe("other")
    expect(postmasterOf(otherPid, other.pg.dataDir, nobodyOrMe())).toBe("ours")
    for (const stale of [innocent.pid, otherPid]) {
      stalePidFile(mine.pg.dataDir, pidText, stale)
      const again = await start(dir)
      expect(await answers(again.pg)).toBe(true)
      expect(pidFileOwner(again.pg.dataDir)).not.toBe(stale)
      await stop(again.scope)
    }
    expect(innocent.signals()).toEqual([])
    expect(processExists(innocent.pid)).toBe(true)
    expect(pidFileOwner(other.pg.dataDir)).toBe(otherPid)
    expect(other.pg.restarts()).toBe(0)
    expect(await answers(other.pg)).toBe(true)
  }, 90_000)
})
