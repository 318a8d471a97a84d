import { existsSync, readFileSync, writeFileSync } from "node:fs"
import { Effect, Result } from "effect"
import { beforeAll, describe, expect, it } from "vitest"
import { runCli } from "../src/cli/main.js"
import { cliServices } from "../src/cli/shared.js"
import { compareRuns, replay } from "../src/programs/experiments/replay.js"
import { reproduce } from "../src/programs/experiments/reproduce.js"
import { train } from "../src/programs/training/train.js"
import type { Backend } from "../src/services/backend/Backend.js"
import type { Progress } from "../src/services/console/Progress.js"
import type { Rng } from "../src/services/rng/Rng.js"
import { RunStore } from "../src/services/store/RunStore.js"
import { useBackend } from "./helpers.js"
import { runProgramOn, tempDir, tinyConfig, tinyExperiments } from "./programs.js"

// on the default backend (wasm), whose kernel versions decide a run's rounding: what replay must
// re-create bit for bit (some commands below run on cpu by flag)
beforeAll(() => useBackend("wasm"))
// every program of this file on wasm (runProgram alone would provide cpu)
const runProgram = runProgramOn("wasm")

describe("replay", () => {
  it("re-runs a run from its manifest to identical results, and says so when they are not", async () => {
    const runDir = tempDir()
    await runProgram(reproduce({ runDir, config: tinyConfig({ steps: 4, checkpointEvery: 2 }), experiments: tinyExperiments, resume: false }), 9)
    // replay under a differently seeded Rng: the manifest's seed must be used
    const same = await runProgram(replay(runDir, `${runDir}/replay`), 9)
    expect(same.differences).toEqual([])
    expect(same.identical).toBe(true)
    expect(same.compared).toEqual(["checkpoint 0", "checkpoint 2", "checkpoint 4", "metrics.jsonl", "sweep.json", "ablation.json", "generalization.json", "baseline.json", "summary.json"])
    // tamper with the original's results: the replay must notice
    const sweepPath = `${runDir}/sweep.json`
    const sweep = JSON.parse(readFileSync(sweepPath, "utf8"))
    sweep.rows[0].loss += 1e-3
    writeFileSync(sweepPath, JSON.stringify(sweep))
    const paths = await runProgram(Effect.flatMap(RunStore, (s) => s.listCheckpoints(runDir)))
    const bytes = readFileSync(paths[1]!.path)
    bytes[bytes.length - 1]! ^= 1
    writeFileSync(paths[1]!.path, bytes)
    const other = await runProgram(Effect.result(replay(runDir, `${runDir}/replay2`)), 9)
    // a corrupt checkpoint is an error, not a silent difference, and found before the re-run
    expect(other._tag).toBe("Failure")
    expect(existsSync(`${runDir}/replay2`)).toBe(false)
    bytes[bytes.length - 1]! ^= 1
    writeFileSync(paths[1]!.path, bytes)
    // the comparison replay ends with, against the replay above (a re-run would give the same files)
    const differs = await runProgram(compareRuns(runDir, `${runDir}/replay`), 9)
    expect(differs.identical).toBe(false)
    // the summary of the tampered sweep differs from the replay's too (and the stored one is now behind it)
    expect(differs.differences).toEqual(["sweep.json differs", "summary.json differs"])
  })

  it("says identical for a run that was interrupted, resumed and extended", async () => {
    const runDir = tempDir()
    const config = tinyConfig({ steps: 1_000_000, logEvery: 3, checkpointEvery: 7 })
    // stop mid-window (as Ctrl-C does), once the log reaches step 9
    const logged = () => readFileSync(`${runDir}/metrics.jsonl`, "utf8").split("\n").filter((l) => l !== "").length
    const reached = Effect.sleep("10 millis").pipe(Effect.map(() => existsSync(`${runDir}/metrics.jsonl`) && logged() >= 3), Effect.repeat({ until: (done) => done }))
    await runProgram(Effect.raceFirst(train({ runDir, config, resume: false }), reached), 9)
    const stopped = (await runProgram(Effect.flatMap(RunStore, (s) => s.listCheckpoints(runDir)))).map((c) => c.step)
    await runProgram(train({ runDir, config: { ...config, steps: 16 }, resume: true }), 9)
    await runProgram(train({ runDir, config: { ...config, steps: 20, checkpointEvery: 5 }, resume: true }), 9)
    const r = await runProgram(replay(runDir, `${runDir}/replay`), 9)
    expect(r.differences).toEqual([])
    expect(r.compared).toEqual([...new Set([...stopped, 7, 14, 16, 20])].sort((a, b) => a - b).map((s) => `checkpoint ${s}`).concat("metrics.jsonl"))
    // an edited metrics row is detected, by replay and by resume alike
    const lines = readFileSync(`${runDir}/metrics.jsonl`, "utf8").split("\n")
    writeFileSync(`${runDir}/metrics.jsonl`, lines.map((l, k) => (k === 1 ? l.replace(/"loss":[^,]+/, "\"loss\":0.5") : l)).join("\n"))
    const programs: ReadonlyArray<Effect.Effect<unknown, unknown, Backend | Progress | Rng | RunStore>> = [replay(runDir, `${runDir}/replay2`), train({ runDir, config: { ...config, steps: 22 }, resume: true })]
    for (const program of programs) {
      const e = await runProgram(Effect.result(program), 9)
      expect(Result.isFailure(e) && e.failure).toMatchObject({ _tag: "MetricsMismatch" })
      expect(Result.isFailure(e) && (e.failure as Error).message).toMatch(/metrics\.jsonl does not match \S+step-00000020\.ckpt: the checkpoint recorded 8 rows up to step 20, the file has 8 with other contents/)
    }
  })

  it("replays a run that was trained and later swept from the command line, with the sweep's recorded settings", async () => {
    const runDir = tempDir()
    await runProgram(train({ runDir, config: tinyConfig({ steps: 4, checkpointEvery: 2 }), resume: false }), 9)
    // the sweep command, run in this process: it records the settings it ran with in the manifest
    await Effect.runPromise(runCli(["sweep", runDir, "--betas", "3", "--seeds", "2", "--samples", "64", "--backend", "wasm"]).pipe(Effect.provide(cliServices)))
    expect(JSON.parse(readFileSync(`${runDir}/manifest.json`, "utf8")).experiments.sweep).toEqual({ betas: 3, seeds: 2, samples: 64, logBetaMin: -12, logBetaMax: 0, everyCheckpoint: 1 })
    const r = await runProgram(replay(runDir, `${runDir}/replay`), 9)
    expect(r.differences).toEqual([])
    expect(r.compared).toEqual(["checkpoint 0", "checkpoint 2", "checkpoint 4", "metrics.jsonl", "sweep.json"])
  })

  it("replays a run extended by a resume and given an experiment after its report: identical, the summary counting the steps trained", async () => {
    const runDir = tempDir()
    const cli = (...args: ReadonlyArray<string>) => Effect.runPromise(runCli([...args, "--backend", "wasm"]).pipe(Effect.provide(cliServices)))
    await runProgram(train({ runDir, config: tinyConfig({ steps: 4, checkpointEvery: 2 }), resume: false }), 9)
    await runProgram(train({ runDir, config: tinyConfig({ steps: 6, checkpointEvery: 2 }), resume: true }), 9)
    await cli("sweep", runDir, "--betas", "3", "--seeds", "2", "--samples", "64")
    await cli("report", runDir)
    // the summary and the report say how far the run trained, not what its first command asked for
    expect(JSON.parse(readFileSync(`${runDir}/summary.json`, "utf8")).steps).toBe(6)
    expect(readFileSync(`${runDir}/report.html`, "utf8")).toContain("6 training steps (the run's last checkpoint; its first command asked for 4)")
    await cli("ablate", runDir, "--betas", "3", "--seeds", "2", "--samples", "64") // after the report: summary.json is now behind
    const r = await runProgram(replay(runDir, `${runDir}/replay`), 9)
    expect(r.differences).toEqual([])
    expect(r.compared).toEqual(["checkpoint 0", "checkpoint 2", "checkpoint 4", "checkpoint 6", "metrics.jsonl", "sweep.json", "ablation.json", "summary.json"])
    expect(r.notes).toEqual([`the original's summary.json is older than its results (run \`hyperlayers report ${runDir}\` to refresh it); its results' summary was compared instead`])
  })
})
