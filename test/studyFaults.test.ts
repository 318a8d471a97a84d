import { spawnSync } from "node:child_process"
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs"
import { join } from "node:path"
import { NodePath } from "@effect/platform-node"
import { Cause, Effect, Exit, Fiber, type FileSystem, Layer, Option, type Path, Result, Scope } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import type { CellResult } from "../src/core/study/cellResult.js"
import type { StudyCell } from "../src/core/study/studyPlan.js"
import { runStudy } from "../src/programs/study/study.js"
import { type CellRunner, databaseLayer, engineLayer, runCellWorker } from "../src/programs/study/studyEngine.js"
import { startEmbeddedPostgres } from "../src/services/study/EmbeddedPostgres.js"
import { silentProgressLayer } from "../src/services/console/Progress.js"
import { pidFileOwner, processExists } from "../src/services/study/processIdentity.js"
import { type RunStore, runStoreLayer } from "../src/services/store/RunStore.js"
import { StorageFault } from "../src/services/store/storageFault.js"
import { faultyFileSystem, osError } from "./faults.js"
import { tempDir } from "./programs.js"
import { cli, plan, readResults, services, studyDir } from "./studyCli.js"

/**
 * A study under the faults of its surroundings: a second study on the same directory, the study
 * killed with kill -9, its server unable to come back, and a disk that fills. Each starts its own
 * server in its own temporary directory; nothing is signalled but the processes started here.
 */

const waitFor = async (condition: () => boolean, what: string, timeoutMs = 30_000) => {
  const start = Date.now()
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** Live processes whose command line mentions `text`: what is left of a study in that directory. */
const processesMentioning = (text: string) => readdirSync("/proc").filter((n) => /^\d+$/.test(n)).filter((n) => {
  try {
    return readFileSync(`/proc/${n}/cmdline`, "utf8").includes(text)
  } catch {
    return false
  }
})
const linux = existsSync("/proc/self/stat")

/** `study` with no runners: it starts its server, and waits for runners from elsewhere. */
const waitingStudy = (dir: string) => cli(["study", join(dir, "plan.json"), "--runners", "0", "--lease", "3", "--backend", "cpu"])
const WAITING = /^no runners started here/
const stackTrace = /^(\[runner \d+\] )?\s+at /m

describe("one study per directory", () => {
  it("refuses a second study on the same plan, naming the first's pid, and touches neither its server nor a file of yours", async () => {
    const dir = studyDir("locked")
    // a .gitignore of the user's own where the study keeps its run directories
    mkdirSync(join(dir, "runs"))
    writeFileSync(join(dir, "runs", ".gitignore"), "# mine\n*.ckpt\n")
    const first = waitingStudy(dir)
    await first.waitFor(WAITING)
    const server = pidFileOwner(join(dir, ".postgres", "data"))!
    const second = waitingStudy(dir)
    expect(await second.exit, second.lines.join("\n")).toBe(1)
    const said = second.lines.join("\n")
    expect(said).toContain(`hyperlayers: another study is running on ${dir}: process ${first.child.pid} (study ${join(dir, "plan.json")}`)
    expect(said).toContain("One study per directory: wait for it to finish, or stop it with Ctrl-C")
    expect(said).not.toMatch(stackTrace)
    // the first runs on, its server untouched
    expect(first.child.exitCode).toBeNull()
    expect(pidFileOwner(join(dir, ".postgres", "data"))).toBe(server)
    expect(processExists(server)).toBe(true)
    first.child.kill("SIGINT")
    expect(await first.exit, first.lines.join("\n")).toBe(130)
    expect(processExists(server)).toBe(false)
    expect(existsSync(join(dir, "study.lock"))).toBe(false)
    expect(readFileSync(join(dir, "runs", ".gitignore"), "utf8")).toBe("# mine\n*.ckpt\n")
    expect(readFileSync(join(dir, "cells", ".gitignore"), "utf8")).toBe("*\n")
  }, 60_000)

  it.runIf(linux)("killed with kill -9, leaves no server running; the same command takes its lock over and starts again", async () => {
    const dir = studyDir("killed")
    const first = waitingStudy(dir)
    await first.waitFor(WAITING)
    const server = pidFileOwner(join(dir, ".postgres", "data"))!
    first.child.kill("SIGKILL")
    const killedAt = Date.now()
    await waitFor(() => !processExists(server), "the killed study's server to stop")
    await waitFor(() => processesMentioning(dir).length === 0, "every process of the killed study to end")
    const stopped = (Date.now() - killedAt) / 1000
    // the dead study's lock is still there, and taken over
    expect(JSON.parse(readFileSync(join(dir, "study.lock"), "utf8"))).toMatchObject({ pid: first.child.pid })
    const second = waitingStudy(dir)
    await second.waitFor(WAITING)
    second.child.kill("SIGINT")
    expect(await second.exit, second.lines.join("\n")).toBe(130)
    console.info(`study killed with kill -9: its server stopped ${stopped.toFixed(1)} s later; the next study took its lock over`)
  }, 60_000)
})

describe("the study's server lost", () => {
  it("stops the study with a message saying why, instead of waiting for ever", async () => {
    const dir = studyDir("lost")
    const lines: Array<string> = []
    const running = Effect.runPromise(Effect.result(runStudy({
      planPath: join(dir, "plan.json"), studyDir: dir, database: Option.none(), runners: 0, retries: 0,
      log: (l) => lines.push(l), serverRestartFor: "3 seconds"
    }).pipe(Effect.provide(Layer.mergeAll(services, silentProgressLayer)))))
    await waitFor(() => lines.some((l) => WAITING.test(l)), "the study to start")
    const dataDir = join(dir, ".postgres", "data")
    // a data directory others may write: PostgreSQL refuses to start on it
    chmodSync(dataDir, 0o777)
    process.kill(pidFileOwner(dataDir)!, "SIGKILL")
    const killedAt = Date.now()
    const r = await running
    chmodSync(dataDir, 0o700)
    expect(Result.isFailure(r)).toBe(true)
    const failure = Result.isFailure(r) ? r.failure : undefined
    expect(failure?._tag).toBe("DatabaseError")
    expect(failure?.message).toMatch(/^the study's PostgreSQL stopped \(signal SIGKILL\), and could not be started again \(\d+ tries in \d+ s\): .*has invalid permissions\. See .*; once the cause is fixed, the same command continues the study$/)
    const stoppedAfter = (Date.now() - killedAt) / 1000
    // giving up takes the 3 s asked for; the cluster's shutdown against a dead database takes the rest (its shard-lock timeouts, 10 s each)
    expect(stoppedAfter).toBeLessThan(60)
    console.info(`server lost: the study stopped ${stoppedAfter.toFixed(1)} s after the kill, with "${failure?.message}"`)
    expect(existsSync(join(dir, "study.lock"))).toBe(false)
  }, 60_000)
})

/** Whether this process may mount a small tmpfs (root, and a kernel that lets it); the reason if not. */
const tmpfsProbe = (): string | undefined => {
  if (process.platform !== "linux") return "not Linux"
  if (process.getuid?.() !== 0) return "not root (mounting a small file system needs root)"
  const at = tempDir("hyperlayers-probe-")
  const r = spawnSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", at], { encoding: "utf8" })
  if (r.status !== 0) return `mount -t tmpfs failed: ${(r.stderr || r.error?.message || "").trim()}`
  spawnSync("umount", [at])
  return undefined
}
const noTmpfs = tmpfsProbe()
if (noTmpfs !== undefined) console.info(`the full-disk test is skipped: ${noTmpfs}`)

const mounted: Array<string> = []
afterAll(() => {
  for (const at of mounted.splice(0)) spawnSync("umount", ["-l", at])
})

describe("a disk that fills", () => {
  it.skipIf(noTmpfs !== undefined)("stops the study cleanly with one readable error, records no cell as failed, leaves no temporary file, and continues when space returns", async () => {
    const disk = tempDir("hyperlayers-disk-")
    const mount = spawnSync("mount", ["-t", "tmpfs", "-o", "size=160m,mode=755", "tmpfs", disk], { encoding: "utf8" })
    expect(mount.status, mount.stderr).toBe(0)
    mounted.push(disk)
    // two cells: the second run takes both at once
    const seeds = plan.seeds.slice(0, 2)
    const dir = studyDir("full", disk, seeds)
    const args = ["study", join(dir, "plan.json"), "--runners", "1", "--lease", "3", "--backend", "cpu"]
    const first = cli(args)
    await first.waitFor(/\[runner 1\] runner \d+: cell \S+ seed \d+ \(\w+\) attempt 1: started/)
    // fill the disk to its last byte
    const filler = join(disk, "filler")
    const fd = openSync(filler, "w")
    const chunk = Buffer.alloc(1 << 20, 1)
    try {
      for (;;) writeSync(fd, chunk)
    } catch (e) {
      expect((e as { code?: string }).code).toBe("ENOSPC")
    } finally {
      closeSync(fd)
    }
    const filledAt = Date.now()
    const code = await first.exit
    const output = first.lines.join("\n")
    const stoppedAfter = (Date.now() - filledAt) / 1000
    if (process.env.HYPERLAYERS_SHOW_STUDY_OUTPUT) console.info(output)
    expect(code, output).toBe(1)
    // one readable error, naming what could not be written (or the disk) and what to do
    const errors = first.lines.filter((l) => l.startsWith("hyperlayers: "))
    expect(errors, output).toHaveLength(1)
    expect(errors[0]).toMatch(/^hyperlayers: the study stopped: .*(no space left on the device|are free on the disk holding).*No cell was recorded as failed for it; once there is space \(or the disk is writable again\), run the same command: it continues where it stopped$/)
    expect(output).not.toMatch(stackTrace)
    // no cell failed for it, no temporary file left, the server and the runner gone
    const partial = existsSync(join(dir, "results.json")) ? readResults(dir).cells : []
    expect(partial.filter((r) => r.status !== "done")).toEqual([])
    expect(readdirSync(join(dir, "cells")).filter((n) => n.endsWith(".tmp"))).toEqual([])
    await waitFor(() => processesMentioning(dir).length === 0, "the study's server and runner to end", 15_000)
    // space returns: the same command continues, without deleting anything by hand
    rmSync(filler)
    const second = cli([...args.slice(0, 3), "2", ...args.slice(4)])
    const code2 = await second.exit
    expect(code2, second.lines.join("\n")).toBe(0)
    const results = readResults(dir).cells
    expect(new Set(results.map((r) => r.id)).size).toBe(results.length)
    expect(results).toHaveLength(seeds.length)
    expect(results.every((r) => r.status === "done")).toBe(true)
    expect(readdirSync(join(dir, "cells")).filter((n) => n.endsWith(".json"))).toHaveLength(seeds.length)
    console.info(`full disk: the study stopped ${stoppedAfter.toFixed(1)} s after the disk filled, with "${errors[0]}"; ${partial.length} cell(s) done before, all ${results.length} after space returned`)
  }, 180_000)
})

/** A runner that computes nothing: each cell's result at once, saying which delivery it was (in `seed`-keyed `deliveries`). */
const instantRunner = (deliveries: Map<number, Array<number>>): CellRunner<never> => (cell, context) => Effect.sync(() => {
  deliveries.set(cell.seed, [...(deliveries.get(cell.seed) ?? []), context.deliveries])
  return instantResult(cell)
})
const instantResult = (cell: StudyCell): CellResult => ({
  id: cell.id, study: cell.study, arm: cell.arm, seed: cell.seed, config: cell.config, experiments: cell.experiments,
  status: "done", error: null, training: null, sweep: null, ablation: null, generalization: null, baseline: null, execution: null
})

/** A runner process in this process: the queue's worker, on the database at `url`, until interrupted or failed. */
const worker = (run: CellRunner<never>, url: Parameters<typeof databaseLayer>[0]) =>
  Effect.runFork(runCellWorker(run).pipe(Effect.provide(engineLayer(false, { leaseSeconds: 3 })), Effect.provide(databaseLayer(url, 4))))

/** A study (in this process, no runners of its own) on the database at `url`, its files through `layer`. */
const studyOn = (dir: string, url: Parameters<typeof databaseLayer>[0], layer: Layer.Layer<RunStore | FileSystem.FileSystem | Path.Path>) =>
  Effect.runPromise(Effect.result(runStudy({
    planPath: join(dir, "plan.json"), studyDir: dir, database: Option.some(url), runners: 0, retries: 0, log: () => {}, timing: { leaseSeconds: 3 }
  }).pipe(Effect.provide(Layer.mergeAll(layer, silentProgressLayer)))))

describe("a disk that fills, where the study or a runner writes", () => {
  it("a runner that cannot write its files gives its cell back uncounted and stops; another runner takes the cell, as its first delivery", async () => {
    const scope = Effect.runSync(Scope.make())
    const pgRoot = tempDir("hyperlayers-pg-")
    chmodSync(pgRoot, 0o755)
    const pg = await Effect.runPromise(startEmbeddedPostgres(join(pgRoot, ".postgres")).pipe(Scope.provide(scope)))
    try {
      const dir = studyDir("runner-full")
      const study = studyOn(dir, pg.url, services)
      const seen = new Map<number, Array<number>>()
      const full: CellRunner<never> = () => Effect.fail(new StorageFault({ stopped: "runner", detail: "could not write runs/x/manifest.json: no space left on the device (ENOSPC)" }))
      const first = await Effect.runPromise(Fiber.await(worker(full, pg.url)))
      expect(Exit.isFailure(first) ? Cause.squash(first.cause) : undefined).toBeInstanceOf(StorageFault)
      const second = worker(instantRunner(seen), pg.url)
      const r = await study
      await Effect.runPromise(Fiber.interrupt(second))
      expect(Result.isSuccess(r) ? r.success : r.failure).toMatchObject({ cells: plan.seeds.length, done: plan.seeds.length, failed: 0 })
      // every cell taken once by the second runner, as its first delivery: the given-back attempt did not count
      expect([...seen.values()].sort()).toEqual(plan.seeds.map(() => [1]))
    } finally {
      await Effect.runPromise(Scope.close(scope, Exit.void))
    }
  }, 60_000)

  it("a cell file the study cannot save stops the study (no cell failed, no temporary left), and is saved when the study runs again", async () => {
    const scope = Effect.runSync(Scope.make())
    const pgRoot = tempDir("hyperlayers-pg-")
    chmodSync(pgRoot, 0o755)
    const pg = await Effect.runPromise(startEmbeddedPostgres(join(pgRoot, ".postgres")).pipe(Scope.provide(scope)))
    try {
      const dir = studyDir("study-full")
      // the disk fills as a cell file is written: half of it reaches the disk, then ENOSPC
      const files = faultyFileSystem((operation, path, data) => operation === "writeFile" && path.startsWith(join(dir, "cells")) && /\.tmp$/.test(path) && data !== undefined
        ? Effect.andThen(Effect.sync(() => writeFileSync(path, data.subarray(0, data.length >> 1), { flag: "wx" })), Effect.fail(osError("ENOSPC", "writeFile", path)))
        : undefined)
      const full = Layer.mergeAll(runStoreLayer.pipe(Layer.provide(files), Layer.provide(NodePath.layer)), files, NodePath.layer)
      const seen = new Map<number, Array<number>>()
      const runner = worker(instantRunner(seen), pg.url)
      const r = await studyOn(dir, pg.url, full)
      expect(Result.isFailure(r)).toBe(true)
      const failure = Result.isFailure(r) ? r.failure : undefined
      expect(failure?._tag).toBe("StorageFault")
      expect(failure?.message).toMatch(new RegExp(`^the study stopped: could not save cell [0-9a-f]+ to ${join(dir, "cells")}: no space left on the device: free some space, or choose a directory on another disk \\(ENOSPC\\)\\. No cell was recorded as failed for it`))
      expect(readResults(dir).cells.filter((c) => c.status !== "done")).toEqual([])
      expect(readdirSync(join(dir, "cells")).filter((n) => n !== ".gitignore")).toEqual([])
      // space returns: the same study saves every cell, each once
      const again = await studyOn(dir, pg.url, services)
      await Effect.runPromise(Fiber.interrupt(runner))
      expect(Result.isSuccess(again) ? again.success : again.failure).toMatchObject({ done: plan.seeds.length, failed: 0 })
      expect(readdirSync(join(dir, "cells")).filter((n) => n.endsWith(".json")).sort()).toEqual(readResults(dir).cells.map((c) => `${c.id}.json`).sort())
      expect([...seen.values()].every((d) => d.length === 1)).toBe(true)
    } finally {
      await Effect.runPromise(Scope.close(scope, Exit.void))
    }
  }, 60_000)
})
