import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import { createHash } from "node:crypto"
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs"
import { hostname } from "node:os"
import { join, relative } from "node:path"
import { Effect, Fiber, Layer, Logger, Result } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { scriptArgs } from "./cliProcess.js"
import { withoutTiming } from "../src/core/run/metricsLog.js"
import { paperHypernetworkSpec } from "../src/core/hypernetwork/paperHypernetworkSpec.js"
import type { TrainConfig } from "../src/core/run/trainConfig.js"
import { sweep } from "../src/programs/experiments/sweep.js"
import { train } from "../src/programs/training/train.js"
import { Backend } from "../src/services/backend/Backend.js"
import { describeFileFailure } from "../src/services/store/fileErrors.js"
import { RunStore } from "../src/services/store/RunStore.js"
import { faultyFileSystem, layerWithFiles } from "./faults.js"
import { runProgram, tempDir, testLayer, tinyConfig, tinyExperiments } from "./programs.js"

/** Every file under `dir` with a hash of its bytes (what "nothing overwritten" compares). */
const snapshot = (dir: string): Record<string, string> => {
  const out: Record<string, string> = {}
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name)
      if (statSync(p).isDirectory()) walk(p)
      else out[relative(dir, p)] = createHash("sha256").update(readFileSync(p)).digest("hex")
    }
  }
  walk(dir)
  return out
}

const failureOf = async <A, E>(p: Promise<Result.Result<A, E>>) => {
  const r = await p
  expect(r._tag).toBe("Failure")
  return (r as Result.Failure<A, E>).failure as unknown as { readonly _tag: string; readonly message: string } & Record<string, unknown>
}

const ckpt = (runDir: string, step: number) => join(runDir, "checkpoints", `step-${String(step).padStart(8, "0")}.ckpt`)
const rows = (runDir: string) => readFileSync(join(runDir, "metrics.jsonl"), "utf8").split("\n").filter((l) => l !== "")

/** Final state of a run: its last checkpoint's tensors and state, and its metrics rows without timings. */
const finalState = (runDir: string) => runProgram(Effect.gen(function* () {
  const store = yield* RunStore
  const list = yield* store.listCheckpoints(runDir)
  const c = yield* store.readCheckpoint(list[list.length - 1]!.path)
  return {
    step: c.step, rng: c.rng, optimizer: c.optimizer, logRows: c.log?.rows, window: c.log?.window,
    tensors: c.tensors.map((t) => [t.name, Buffer.from(t.values.buffer).toString("base64")]),
    rows: rows(runDir).map(withoutTiming)
  }
}))

const waitFor = async (condition: () => boolean, what: string, timeoutMs = 90_000) => {
  const start = Date.now()
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

/** Collects log lines, for the messages a program leaves. */
const logCollector = () => {
  const lines: Array<string> = []
  const layer = Logger.layer([Logger.make(({ message }) => {
    lines.push((Array.isArray(message) ? message : [message]).map(String).join(" "))
  })])
  return { lines, layer }
}

/** A pid that no process has: a child that has exited. */
const deadPid = () => spawnSync(process.execPath, ["-e", "0"]).pid!

interface Child { readonly process: ChildProcess; out: string; readonly exited: Promise<number | null> }
const start = (args: ReadonlyArray<string>): Child => {
  const p = spawn(process.execPath, scriptArgs(args[0]!, ...args.slice(1)), { stdio: ["ignore", "pipe", "pipe"] })
  const child: Child = { process: p, out: "", exited: new Promise((resolve) => p.on("exit", (code, signal) => resolve(code ?? (signal === null ? null : -1)))) }
  p.stdout!.on("data", (d) => (child.out += String(d)))
  p.stderr!.on("data", (d) => (child.out += String(d)))
  return child
}
const slowFiles = (runDir: string, config: TrainConfig, hold: "checkpoint" | "metrics", nth: number, how: "forever" | "pause") =>
  start(["test/fixtures/trainWithSlowFiles.ts", runDir, JSON.stringify(config), hold, String(nth), how])

describe("checkpoints cannot be silently altered or mixed", () => {
  it("refuses an edited header, a renamed file and another run's checkpoint, naming file and field, in train --resume and sweep alike; nothing is overwritten", async () => {
    const run = tempDir()
    await runProgram(train({ runDir: run, config: tinyConfig(), resume: false }), 7)
    const before = snapshot(run)
    const resume = () => failureOf(runProgram(Effect.result(train({ runDir: run, config: tinyConfig({ steps: 10 }), resume: true })), 7))
    const swept = () => failureOf(runProgram(Effect.result(sweep(run, tinyExperiments.sweep)), 7))
    const latest = ckpt(run, 6)
    const good = readFileSync(latest)

    // the example: the header's step set to 5 in step-00000006.ckpt
    writeFileSync(latest, Buffer.from(good.toString("latin1").replace("\"step\":6", "\"step\":5"), "latin1"))
    for (const e of [await resume(), await swept()]) {
      expect(e).toMatchObject({ _tag: "CheckpointError", path: latest })
      expect(e.message).toMatch(/step-00000006\.ckpt is not a usable checkpoint: the file does not match its checksum/)
    }
    writeFileSync(latest, good)
    expect(snapshot(run)).toEqual(before)

    // a checkpoint under another step's name
    copyFileSync(ckpt(run, 3), ckpt(run, 9))
    const renamed = await resume()
    expect(renamed).toMatchObject({ _tag: "CheckpointError", field: "step" })
    expect(renamed.message).toMatch(/step-00000009\.ckpt does not belong here: it holds step 3 but its name says step 9/)

    // checkpoints of other runs, copied in as the next one: another seed, hypernetwork depth, shape
    const others = [[8, tinyConfig({ seed: 8, steps: 9 }), "rng.rootSeed"], [7, tinyConfig({ steps: 9, hypernetwork: paperHypernetworkSpec({ activation: 6, position: 2, noise: 2, attentionKey: 2, learned: 2, latent: 2, depth: 4 }) }), "config.hypernetwork.stages"],
      [7, tinyConfig({ steps: 9, shape: [3, 5, 1] }), "config.shape[1]"]] as const
    for (const [seed, config, field] of others) {
      const other = tempDir()
      await runProgram(train({ runDir: other, config, resume: false }), seed)
      copyFileSync(ckpt(other, 9), ckpt(run, 9))
      for (const e of [await resume(), await swept()]) {
        expect(e).toMatchObject({ _tag: "CheckpointError", path: ckpt(run, 9), field })
        expect(e.message).toMatch(/does not belong here: .*(another run)/)
      }
    }
    writeFileSync(ckpt(run, 9), "")
    const { [relative(run, ckpt(run, 9))]: _, ...rest } = snapshot(run)
    expect(rest).toEqual(before)
  })

  it("refuses to resume behind the run's latest step", async () => {
    const run = tempDir()
    await runProgram(train({ runDir: run, config: tinyConfig({ steps: 4 }), resume: false }), 7)
    const e = await failureOf(runProgram(Effect.result(train({ runDir: run, config: tinyConfig({ steps: 2 }), resume: true })), 7))
    expect(e.message).toMatch(/cannot resume .* to step 2: it is already at step 4 .*ask for at least 4 steps/)
  })
})

describe("one writer per run", () => {
  const fakeBackend = Layer.succeed(Backend, Backend.of({ name: "cpu", reason: "test" }))
  it("refuses a second writer while the first runs, and lets the next one in when it stops", async () => {
    const run = tempDir()
    const first = Effect.runFork(Effect.scoped(train({ runDir: run, config: tinyConfig({ steps: 1_000_000, checkpointEvery: 1_000_000, logEvery: 1 }), resume: false }))
      .pipe(Effect.provide(testLayer(7))))
    await waitFor(() => existsSync(ckpt(run, 0)), "the first writer's checkpoint")
    const lock = JSON.parse(readFileSync(join(run, "writer.lock"), "utf8"))
    expect(lock).toMatchObject({ pid: process.pid, host: hostname() })
    // the second writer fails before it touches a tensor: no backend needed
    const second = (resume: boolean) => failureOf(Effect.runPromise(Effect.result(Effect.scoped(train({ runDir: run, config: tinyConfig(), resume })))
      .pipe(Effect.provide(Layer.merge(testLayer(7), fakeBackend)))))
    for (const resume of [false, true]) {
      const e = await second(resume)
      expect(e._tag).toBe("RunLocked")
      expect(e.message).toContain(`${run} is being written by process ${process.pid} on ${hostname()}`)
      expect(e.message).toMatch(/one writer per run/)
    }
    // interrupted after a step at least (a loaded machine could otherwise stop it at step 0)
    await waitFor(() => existsSync(join(run, "metrics.jsonl")) && rows(run).length > 0, "the first writer's first step")
    await Effect.runPromise(Fiber.interrupt(first))
    expect(existsSync(join(run, "writer.lock"))).toBe(false)
    const stopped = (await finalState(run)).step
    expect(stopped).toBeGreaterThan(0)
    const after = await runProgram(train({ runDir: run, config: tinyConfig({ steps: stopped + 2 }), resume: true }), 7)
    expect(after.step).toBe(stopped + 2)
  })

  it("takes over the lock of a dead writer and removes the temporaries it left; another host's lock once it goes untouched", async () => {
    const run = tempDir()
    const dead = deadPid()
    mkdirSync(join(run, "checkpoints"), { recursive: true })
    writeFileSync(join(run, "writer.lock"), JSON.stringify({ pid: dead, host: hostname(), since: "2026-01-01T00:00:00.000Z", processStart: null, command: "train" }))
    const stale = [join(run, "checkpoints", `.step-00000003.ckpt.${dead}.1700000000000.tmp`), join(run, `.metrics.jsonl.${dead}.1700000000000.tmp`)]
    const live = join(run, "checkpoints", ".step-00000003.ckpt.1.1700000000000.tmp") // pid 1 is alive
    for (const f of [...stale, live]) writeFileSync(f, "half a file")
    await runProgram(train({ runDir: run, config: tinyConfig({ steps: 2 }), resume: false }), 7)
    for (const f of stale) expect(existsSync(f), f).toBe(false)
    expect(existsSync(live)).toBe(true)
    expect(existsSync(join(run, "writer.lock"))).toBe(false)

    // another host's lock: honoured while its holder touches it, taken over a minute after
    const remote = tempDir()
    const remoteLock = join(remote, "writer.lock")
    writeFileSync(remoteLock, JSON.stringify({ pid: dead, host: "elsewhere.example", since: "2026-01-01T00:00:00.000Z", processStart: null, command: "train" }))
    const e = await failureOf(runProgram(Effect.result(train({ runDir: remote, config: tinyConfig({ steps: 2 }), resume: false })), 7))
    expect(e.message).toMatch(/is being written by process \d+ on elsewhere\.example \(train\), since .* \(another host; its lock was touched within the last minute\): one writer per run\. Wait for it, or if no process writes the run, remove .*writer\.lock/)
    const longAgo = new Date(Date.now() - 120_000)
    utimesSync(remoteLock, longAgo, longAgo)
    await runProgram(train({ runDir: remote, config: tinyConfig({ steps: 2 }), resume: false }), 7)
    expect(existsSync(remoteLock)).toBe(false)
  })
})

describe("after kill -9 inside a write, a resumed run's files equal an uninterrupted run's", () => {
  const config = tinyConfig({ steps: 20, logEvery: 3, checkpointEvery: 7 })
  let straight: Promise<Awaited<ReturnType<typeof finalState>>> | undefined
  const reference = () => (straight ??= (async () => {
    const dir = tempDir()
    await runProgram(train({ runDir: dir, config, resume: false }), 7)
    return finalState(dir)
  })())

  for (const [hold, nth, where] of [["checkpoint", 3, "the step-14 checkpoint"], ["metrics", 4, "the step-12 metrics row"]] as const) {
    it(`killed while writing ${where}`, async () => {
      const run = tempDir()
      const child = slowFiles(run, config, hold, nth, "forever")
      await waitFor(() => child.out.includes("HELD"), `the child to hold ${where}`)
      child.process.kill("SIGKILL")
      await child.exited
      const held = /HELD (\S+)/.exec(child.out)![1]!
      if (hold === "checkpoint") {
        expect(held).toMatch(/checkpoints\/\.step-00000014\.ckpt\.\d+\.\d+\.tmp$/)
        expect(statSync(held).size).toBeGreaterThan(0) // half a checkpoint: the file a crash leaves
      } else {
        expect(readFileSync(held, "utf8")).not.toMatch(/\n$/) // a row cut short
      }
      expect(existsSync(join(run, "writer.lock"))).toBe(true) // a dead writer's lock
      await runProgram(train({ runDir: run, config, resume: true }), 99)
      expect(await finalState(run)).toEqual(await reference())
      expect(readdirSync(join(run, "checkpoints")).filter((n) => n.endsWith(".tmp"))).toEqual([])
      expect(existsSync(join(run, "writer.lock"))).toBe(false)
    })
  }
})

describe("Ctrl-C", () => {
  it("interrupted inside a checkpoint write, exits 130 saying that checkpoint holds the step", async () => {
    const run = tempDir()
    const child = slowFiles(run, tinyConfig({ steps: 1_000_000, checkpointEvery: 5, logEvery: 1_000_000 }), "checkpoint", 2, "pause")
    await waitFor(() => child.out.includes("HELD"), "the child to hold a checkpoint write")
    child.process.kill("SIGINT")
    expect(await child.exited).toBe(130)
    expect(child.out).toMatch(/interrupted at step 5 of 1000000: \S+step-00000005\.ckpt holds this step; continue with --resume/)
  })
})

describe("file errors say the cause, the file and what to do", () => {
  const tiny = tinyConfig({ steps: 6, checkpointEvery: 3 })
  const withFiles = (files: ReturnType<typeof faultyFileSystem>, logs: Layer.Layer<never>) => Layer.merge(layerWithFiles(files, 7), logs)

  it("a full disk at a checkpoint: the file, no space, and the checkpoint to resume from", async () => {
    const run = tempDir()
    const { lines, layer } = logCollector()
    const files = faultyFileSystem((op, path) => (op === "writeFile" && path.includes(".step-00000003.ckpt.") ? "ENOSPC" : undefined))
    const e = await failureOf(Effect.runPromise(Effect.result(Effect.scoped(train({ runDir: run, config: tiny, resume: false }))).pipe(Effect.provide(withFiles(files, layer)))))
    expect(e).toMatchObject({ _tag: "StoreError", problem: "NoSpace", path: ckpt(run, 3) })
    expect(e.message).toBe(`could not write ${ckpt(run, 3)}: no space left on the device: free some space, or choose a directory on another disk (ENOSPC)`)
    expect(lines.join("\n")).toContain(`training stopped at step 3: could not write ${ckpt(run, 3)}: no space left`)
    expect(lines.join("\n")).toContain(`${ckpt(run, 0)} (step 0) is the last checkpoint: continue from it with --resume`)
    expect(readdirSync(join(run, "checkpoints"))).toEqual(["step-00000000.ckpt"])
  })

  it("a full disk when Ctrl-C saves: says so, and which checkpoint the run continues from", async () => {
    const run = tempDir()
    const { lines, layer } = logCollector()
    const files = faultyFileSystem((op, path) => (op === "writeFile" && /\.step-0*[1-9]\d*\.ckpt\./.test(path) ? "ENOSPC" : undefined))
    const fiber = Effect.runFork(Effect.scoped(train({ runDir: run, config: tinyConfig({ steps: 1_000_000, checkpointEvery: 1_000_000, logEvery: 1 }), resume: false }))
      .pipe(Effect.provide(withFiles(files, layer))))
    await waitFor(() => existsSync(join(run, "metrics.jsonl")) && rows(run).length >= 2, "two rows")
    await Effect.runPromise(Fiber.interrupt(fiber))
    expect((await Effect.runPromise(Fiber.await(fiber)))._tag).toBe("Failure")
    expect(lines.join("\n")).toMatch(new RegExp(`interrupted at step \\d+ of 1000000: could not save a checkpoint \\(could not write .*no space left on the device.*\\); continue from ${ckpt(run, 0).replace(/[.]/g, "\\.")} \\(step 0\\) with --resume`))
  })

  it("read-only, permission denied, a name too long, a file in the way, /proc: each in words, never a hang", async () => {
    const trainIn = (runDir: string, files?: ReturnType<typeof faultyFileSystem>) =>
      failureOf(Effect.runPromise(Effect.result(Effect.scoped(train({ runDir, config: tiny, resume: false }))).pipe(Effect.provide(files === undefined ? testLayer(7) : layerWithFiles(files, 7)))))
    const base = tempDir()
    const readOnly = await trainIn(join(base, "ro", "run"), faultyFileSystem((op, path) => (op === "makeDirectory" && path.endsWith("ro") ? "EROFS" : undefined)))
    expect(readOnly).toMatchObject({ _tag: "StoreError", problem: "ReadOnly" })
    expect(readOnly.message).toBe(`could not create the directory ${join(base, "ro")}: the file system is read-only: choose a writable directory (EROFS)`)
    const denied = await trainIn(join(base, "run"), faultyFileSystem((op, path) => (op === "writeFile" && path.includes("manifest.json") ? "EACCES" : undefined)))
    expect(denied).toMatchObject({ problem: "PermissionDenied", path: join(base, "run", "manifest.json") })
    expect(denied.message).toMatch(/permission denied: check the directory's owner and mode, or choose another directory \(EACCES\)/)
    const long = await trainIn(join(base, "x".repeat(300)))
    expect(long).toMatchObject({ problem: "NameTooLong" })
    expect(long.message).toMatch(/a name in the path is too long .*choose a shorter path \(ENAMETOOLONG\)/)
    writeFileSync(join(base, "file"), "")
    const notDir = await trainIn(join(base, "file", "run"))
    expect(notDir).toMatchObject({ problem: "NotADirectory" })
    expect(notDir.message).toMatch(/a part of the path is a file, not a directory/)
    if (existsSync("/proc/self")) {
      const proc = await trainIn("/proc/hyperlayers-test/run")
      expect(proc.message).toMatch(/could not create the directory \/proc\/hyperlayers-test: the file system does not allow it/)
    }
  })

  it("maps each operating-system code to a problem", () => {
    for (const [code, problem] of [["ENOSPC", "NoSpace"], ["EDQUOT", "QuotaExceeded"], ["EROFS", "ReadOnly"], ["EACCES", "PermissionDenied"], ["EPERM", "PermissionDenied"],
      ["ENAMETOOLONG", "NameTooLong"], ["ENOTDIR", "NotADirectory"], ["EISDIR", "IsADirectory"], ["ENOENT", "NotFound"], ["EMFILE", "TooManyOpenFiles"], ["EIO", "IoError"]] as const) {
      expect(describeFileFailure({ reason: { _tag: "Unknown", cause: { code } } }).problem, code).toBe(problem)
    }
    expect(describeFileFailure({ reason: { _tag: "PermissionDenied" } }).problem).toBe("PermissionDenied")
    expect(describeFileFailure(new Error("odd")).words).toBe("odd")
  })
})

/** A tmpfs mounted for a test (size in KiB, or read-only), where this machine allows it; undefined otherwise. */
const mountTmpfs = (options: string): string | undefined => {
  const dir = tempDir("hyperlayers-mount-")
  const r = spawnSync("mount", ["-t", "tmpfs", "-o", options, "tmpfs", dir], { encoding: "utf8" })
  return r.status === 0 ? dir : undefined
}

/** Whether this machine lets a test mount a tmpfs: tried once, and unmounted at once. */
const canMount = (() => {
  const probe = mountTmpfs("size=64k")
  if (probe !== undefined) spawnSync("umount", [probe])
  return probe !== undefined
})()

describe.skipIf(!canMount)("on a real full or read-only file system (where the machine lets a test mount one)", () => {
  // mounted in beforeAll, not while the file is collected: a run that filters these tests out
  // (vitest -t) then mounts nothing, and so leaves nothing mounted
  let full: string | undefined
  let readOnly: string | undefined
  beforeAll(() => {
    full = mountTmpfs("size=128k")
    readOnly = mountTmpfs("ro,size=64k")
    if (full === undefined || readOnly === undefined) throw new Error("mount -t tmpfs worked for the probe, not for the test's file systems")
  })
  afterAll(() => {
    for (const dir of [full, readOnly]) if (dir !== undefined) spawnSync("umount", [dir])
  })

  it("a disk too small for the first checkpoint: no space left, named, nothing half-written", async () => {
    const run = join(full!, "run")
    const e = await failureOf(runProgram(Effect.result(train({ runDir: run, config: tinyConfig(), resume: false })), 7))
    expect(e).toMatchObject({ _tag: "StoreError", problem: "NoSpace", path: ckpt(run, 0) })
    expect(e.message).toMatch(/^could not write \S+step-00000000\.ckpt: no space left on the device: free some space, or choose a directory on another disk \(ENOSPC\)$/)
    expect(readdirSync(join(run, "checkpoints"))).toEqual([])
  })

  it("a read-only file system: read-only, named", async () => {
    const e = await failureOf(runProgram(Effect.result(train({ runDir: join(readOnly!, "run"), config: tinyConfig(), resume: false })), 7))
    expect(e).toMatchObject({ _tag: "StoreError", problem: "ReadOnly" })
    expect(e.message).toBe(`could not create the directory ${join(readOnly!, "run")}: the file system is read-only: choose a writable directory (EROFS)`)
  })
})
