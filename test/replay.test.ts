import { readFileSync, writeFileSync } from "node:fs"
import { Effect } from "effect"
import { beforeAll, describe, expect, it } from "vitest"
import { replay } from "../src/programs/replay.js"
import { reproduce } from "../src/programs/reproduce.js"
import { RunStore } from "../src/services/RunStore.js"
import { useBackend } from "./helpers.js"
import { runProgram, tempDir, tinyConfig, tinyExperiments } from "./programs.js"

beforeAll(() => useBackend("cpu"))

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
    // a corrupt checkpoint is an error, not a silent difference
    expect(other._tag).toBe("Failure")
    bytes[bytes.length - 1]! ^= 1
    writeFileSync(paths[1]!.path, bytes)
    const differs = await runProgram(replay(runDir, `${runDir}/replay3`), 9)
    expect(differs.identical).toBe(false)
    expect(differs.differences).toEqual(["sweep.json differs"])
  })
})
