import { existsSync } from "node:fs"
import { fc } from "@fast-check/vitest"
import { Effect, Result } from "effect"
import { beforeAll, describe, expect, it } from "vitest"
import { type Checkpoint, decodeCheckpoint, encodeCheckpoint } from "../src/core/checkpoint.js"
import { sweep } from "../src/programs/sweep.js"
import { train } from "../src/programs/train.js"
import { RunStore } from "../src/services/RunStore.js"
import { useBackend } from "./helpers.js"
import { runProgram, tempDir, tinyConfig, tinyExperiments } from "./programs.js"

beforeAll(() => useBackend("cpu"))

const nonFinite = fc.constantFrom(NaN, Infinity, -Infinity)

describe("non-finite tensors in checkpoints", () => {
  const sample = (values: ReadonlyArray<number>): Checkpoint => ({
    step: 3, config: tinyConfig(), rng: { rootSeed: 5, streams: {} },
    optimizer: { iterations: 3, accBeta1: 0.5, accBeta2: 0.99 },
    tensors: [{ name: "param/W1", shape: [2], values: Float32Array.from([0.5, -1]) }, { name: "adam/m/b2", shape: [values.length], values: Float32Array.from(values) }]
  })

  it("reading one is a CheckpointError naming the file, the tensor and the entry", () => {
    const arb = fc.integer({ min: 1, max: 20 }).chain((n) => fc.tuple(fc.array(fc.float({ noNaN: true, noDefaultInfinity: true }), { minLength: n, maxLength: n }), fc.nat({ max: n - 1 })))
    fc.assert(fc.property(arb, nonFinite, ([values, at], bad) => {
      const r = decodeCheckpoint(encodeCheckpoint(sample(values.map((v, k) => (k === at ? bad : v)))), "runs/x/step-3.ckpt")
      expect(Result.isFailure(r) && r.failure._tag).toBe("CheckpointError")
      expect(Result.isFailure(r) && r.failure.message).toBe(`runs/x/step-3.ckpt is not a usable checkpoint: tensor adam/m/b2 [${values.length}] holds ${bad} at flat index ${at}`)
    }))
  })
})

describe("a sweep of a checkpoint that generates non-finite networks", () => {
  /** Train two steps, then rewrite the last checkpoint's parameters with `edit`. */
  const brokenRun = async (edit: (v: number) => number) => {
    const runDir = tempDir()
    await runProgram(train({ runDir, config: tinyConfig({ steps: 2, checkpointEvery: 2 }), resume: false }))
    const path = await runProgram(Effect.gen(function* () {
      const store = yield* RunStore
      const list = yield* store.listCheckpoints(runDir)
      const last = list[list.length - 1]!
      const c = yield* store.readCheckpoint(last.path)
      const tensors = c.tensors.map((t) => (t.name.startsWith("param/") ? { ...t, values: t.values.map(edit) } : t))
      return yield* store.writeCheckpoint(runDir, { ...c, tensors })
    }))
    return { runDir, path }
  }

  it("fails with NonFiniteValues naming the checkpoint, step and β (parameters scaled by 1e30), writing no sweep.json", async () => {
    const { runDir, path } = await brokenRun((v) => v * 1e30)
    const r = await runProgram(Effect.result(sweep(runDir, tinyExperiments.sweep)))
    expect(Result.isFailure(r) && r.failure._tag).toBe("NonFiniteValues")
    const message = Result.isFailure(r) ? (r.failure as { message: string }).message : ""
    expect(message).toContain(`sweep of ${path} (step 2): the network generated at log β = -12, seed 0 (encoder, [3, 4, 1])`)
    expect(message).toMatch(/(loss|KL|W\^\(1\)\[\d+\]|‖W\^\(2\)_j‖\[\d+\]) is (NaN|-?Infinity)$/)
    expect(existsSync(`${runDir}/sweep.json`)).toBe(false)
  })

  it("fails with a CheckpointError naming the file and tensor (parameters set to NaN)", async () => {
    const { runDir, path } = await brokenRun(() => NaN)
    const r = await runProgram(Effect.result(sweep(runDir, tinyExperiments.sweep)))
    expect(Result.isFailure(r) && r.failure._tag).toBe("CheckpointError")
    expect(Result.isFailure(r) ? (r.failure as { message: string }).message : "").toMatch(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} is not a usable checkpoint: tensor param/\\S+ \\[[\\d, ]+\\] holds NaN at flat index 0$`))
    expect(existsSync(`${runDir}/sweep.json`)).toBe(false)
  })
})
