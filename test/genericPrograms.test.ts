import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import * as tf from "@tensorflow/tfjs"
import { fc } from "@fast-check/vitest"
import { Effect, Result, Schema } from "effect"
import { beforeAll, describe, expect, it } from "vitest"
import { builtinTasks } from "../src/core/task/builtinTasks.js"
import { paperHypernetworkSpec } from "../src/core/hypernetwork/paperHypernetworkSpec.js"
import { RunSummary } from "../src/core/run/results.js"
import { defineTask } from "../src/core/task/task.js"
import type { TrainConfig } from "../src/core/run/trainConfig.js"
import { type Block, blockSpec, noSpecs } from "../src/layers/blocks/block.js"
import { defineBlock } from "../src/layers/blocks/blockDefinition.js"
import { report } from "../src/programs/experiments/report.js"
import { reproduce } from "../src/programs/experiments/reproduce.js"
import { sweep } from "../src/programs/experiments/sweep.js"
import { train } from "../src/programs/training/train.js"
import { disposeTrainer, initTrainer, trainStep } from "../src/programs/training/trainer.js"
import { registryLayer } from "../src/services/registry/Registry.js"
import { RunStore } from "../src/services/store/RunStore.js"
import { useBackend } from "./helpers.js"
import { runProgramOn, tempDir, tinyConfig, tinyExperiments } from "./programs.js"
import { blockStack } from "../src/testing/arbitraries.js"

// on the default backend (wasm), as a user runs them: the programs are the subject here, not the
// backend (a stack holding a researcher's own block runs the generic path on wasm too)
beforeAll(() => useBackend("wasm"))
// every program of this file on wasm (runProgram alone would provide cpu)
const runProgram = runProgramOn("wasm")

/** Every tensor of the last checkpoint, and its step and Rng state. */
const lastCheckpoint = (runDir: string) => runProgram(Effect.gen(function* () {
  const store = yield* RunStore
  const list = yield* store.listCheckpoints(runDir)
  const c = yield* store.readCheckpoint(list[list.length - 1]!.path)
  return { step: c.step, rng: c.rng, tensors: c.tensors.map((t) => [t.name, Array.from(t.values)] as const) }
}))

describe("any hypernetwork, any task, any target network", () => {
  it("resumes bit for bit for random stacks and every built-in task: N steps = N/2 + resume + N/2, leaking nothing", async () => {
    await fc.assert(fc.asyncProperty(blockStack({ varied: true }), fc.constantFrom(...builtinTasks), async (hypernetwork, task) => {
      const config = tinyConfig({ hypernetwork, task: task.name, shape: [3, 4, task.outputs], steps: 4, checkpointEvery: 100 })
      const [straight, split] = [tempDir(), tempDir()]
      const before = tf.memory().numTensors
      await runProgram(train({ runDir: straight, config, resume: false }), 3)
      await runProgram(train({ runDir: split, config: { ...config, steps: 2 }, resume: false }), 3)
      await runProgram(train({ runDir: split, config, resume: true }), 8)
      expect(tf.memory().numTensors).toBe(before)
      const [a, b] = [await lastCheckpoint(straight), await lastCheckpoint(split)]
      expect(b.step).toBe(4)
      expect(b).toEqual(a)
    }), { numRuns: 8 })
  })

  it("lowers each built-in task's loss over a short run, with a flat tensor count per step", async () => {
    for (const task of builtinTasks) {
      const result = await runProgram(Effect.gen(function* () {
        const t = yield* initTrainer(tinyConfig({ task: task.name, shape: [3, 6, task.outputs], learningRate: 3e-3 }))
        const counts: Array<number> = []
        const losses: Array<number> = []
        for (let s = 0; s < 40; s++) {
          const m = yield* trainStep(t)
          losses.push(Array.from(m.loss).reduce((x, y) => x + y, 0) / m.loss.length)
          counts.push(tf.memory().numTensors)
        }
        disposeTrainer(t)
        return { counts, losses }
      }), 3)
      const mean = (xs: ReadonlyArray<number>) => xs.reduce((x, y) => x + y, 0) / xs.length
      expect(new Set(result.counts.slice(1)).size, task.name).toBe(1)
      expect(mean(result.losses.slice(-10)), task.name).toBeLessThan(mean(result.losses.slice(0, 10)))
    }
  })

  it("runs deeper targets and a two-output task end to end: [8, 16, 16, 1] on l2 and [4, 8, 2] on l1-linf", async () => {
    for (const [shape, task] of [[[4, 6, 5, 1], "l2"], [[4, 8, 2], "l1-linf"]] as const) {
      const runDir = tempDir()
      const before = tf.memory().numTensors
      const result = await runProgram(reproduce({ runDir, config: tinyConfig({ shape, task, steps: 4, checkpointEvery: 2 }), experiments: tinyExperiments, resume: false }), 5)
      expect(tf.memory().numTensors).toBe(before)
      expect(result.summary.task).toBe(task)
      expect(result.summary.shape).toEqual(shape)
      expect(result.summary.missing).toEqual([])
      // the grid varies n0 and n1 and keeps the deeper layers; every loss is the task's, finite
      expect(result.summary.generalization.map((c) => [c.inputs, c.hidden])).toEqual([[2, 3], [2, 5], [3, 3], [3, 5]])
      for (const p of [...result.summary.phases.map((x) => x.loss), ...result.summary.generalization.map((c) => c.loss), result.summary.baselineLoss!]) {
        expect(Number.isFinite(p)).toBe(true)
      }
      const html = readFileSync(result.path, "utf8")
      expect(html).toContain(`Task ${task}, target network [${shape.join(", ")}]`)
      expect(html).toContain(`read the first weight layer W⁽¹⁾ [${shape[0]} × ${shape[1]}]`)
      expect(html).not.toContain("construction") // the L1 constructions belong to task l1 only
    }
  })

  it("refuses a task that does not fit the shape before anything is written", async () => {
    const runDir = join(tempDir(), "run")
    const r = await runProgram(Effect.result(train({ runDir, config: tinyConfig({ task: "l1-linf", shape: [3, 4, 1] }), resume: false })))
    expect(Result.isFailure(r) && r.failure._tag).toBe("TaskShapeError")
    expect(Result.isFailure(r) && r.failure.message).toBe("task l1-linf needs a network with 2 outputs, but [3, 4, 1] has 1 (make the last layer size 2)")
    expect(existsSync(runDir)).toBe(false)
    const unknown = await runProgram(Effect.result(train({ runDir, config: tinyConfig({ task: "l3" }), resume: false })))
    expect(Result.isFailure(unknown) && unknown.failure.message).toMatch(/no task named "l3" is registered \(known: l1, l2, max-abs, l1-linf, heat, sdf\)/)
    expect(existsSync(runDir)).toBe(false)
  })

  it("builds the report from whatever results a run has, listing each missing experiment with its command", async () => {
    const runDir = tempDir()
    // the run records its experiments' settings (the drawings' among them), which report reads
    await runProgram(train({ runDir, config: tinyConfig({ steps: 2 }), resume: false, experiments: tinyExperiments }))
    const first = await runProgram(report(runDir))
    expect(first.summary.missing).toEqual(["sweep", "ablation", "generalization", "baseline"])
    expect(first.summary.findings).toBeNull()
    const html = readFileSync(first.path, "utf8")
    for (const command of ["sweep", "ablate", "generalize", "baseline"]) expect(html).toContain(`hyperlayers ${command} ${runDir}`)
    await runProgram(sweep(runDir, tinyExperiments.sweep))
    const second = await runProgram(report(runDir))
    expect(second.summary.missing).toEqual(["ablation", "generalization", "baseline"])
    expect(second.summary.phases.length).toBe(2 * 3)
    expect(Schema.decodeUnknownSync(RunSummary)(JSON.parse(readFileSync(join(runDir, "summary.json"), "utf8")))).toEqual(second.summary)
  })
})

describe("a researcher's own block and task", () => {
  // a block with a learned scale per hyperfeature: hyperweights of its own, equivariant by construction
  const scaled = (features: number, name = "scaled"): Block => ({
    name, spec: blockSpec("scaled", { features }, name, "scaled"), inputs: features, outputs: features,
    params: () => [{ name: "s", shape: [features], perEdge: false }], randoms: noSpecs,
    apply: (x, env) => ({ output: tf.tidy(() => tf.mul(x!, tf.reshape(env.param("s"), [env.context.batch, 1, 1, features]))) })
  })
  const scaledDefinition = defineBlock({
    kind: "scaled", description: "multiplies each hyperfeature by a learned scale",
    args: Schema.Struct({ features: Schema.Int }), make: ({ features }, name) => scaled(features, name)
  })
  const sumOfSquares = Result.getOrThrow(defineTask({
    name: "sum-of-squares", description: "‖x‖₂² − n over √(2n)", outputs: 1, normalisation: "(‖x‖₂² − n)/√(2n): mean 0, variance 1 (chi-squared)",
    target: (x) => tf.tidy(() => { const n = x.shape[x.rank - 1]!; return tf.div(tf.sub(tf.sum(tf.square(x), -1, true), n), Math.sqrt(2 * n)) })
  }))
  const paper = paperHypernetworkSpec({ activation: 4, position: 2, noise: 2, attentionKey: 1, learned: 2, latent: 2, depth: 3 })
  const spec = { ...paper, stages: paper.stages.map((s, k) => (k === 0 ? s : { blocks: [...s.blocks, { kind: "scaled", features: 3 }] })) }
  const config: TrainConfig = tinyConfig({ hypernetwork: spec, task: "sum-of-squares", steps: 4, checkpointEvery: 2 })
  const registered = registryLayer({ blocks: [scaledDefinition], tasks: [sumOfSquares] })

  it("train, resume and sweep through the library's programs once registered; a program without them names what is missing", async () => {
    const runDir = tempDir()
    await runProgram(train({ runDir, config: { ...config, steps: 2 }, resume: false }).pipe(Effect.provide(registered)))
    const unregistered = await runProgram(Effect.result(train({ runDir, config, resume: true })))
    expect(Result.isFailure(unregistered) && unregistered.failure._tag).toBe("UnknownComponent")
    expect(Result.isFailure(unregistered) && unregistered.failure.message).toMatch(/no task named "sum-of-squares" is registered/)
    await runProgram(train({ runDir, config, resume: true }).pipe(Effect.provide(registered)))
    const straight = tempDir()
    await runProgram(train({ runDir: straight, config, resume: false }).pipe(Effect.provide(registered)))
    expect(await lastCheckpoint(runDir)).toEqual(await lastCheckpoint(straight))
    const swept = await runProgram(sweep(runDir, tinyExperiments.sweep).pipe(Effect.provide(registered)))
    expect(swept.rows.length).toBe(3 * 3)
    const withoutBlock = await runProgram(Effect.result(sweep(runDir, tinyExperiments.sweep)).pipe(Effect.provide(registryLayer({ tasks: [sumOfSquares] }))))
    expect(Result.isFailure(withoutBlock) && withoutBlock.failure.message).toMatch(/no block of kind "scaled" is registered/)
  })

  it("refuses gradient worker threads for components the workers cannot load", async () => {
    const r = await runProgram(Effect.result(train({ runDir: tempDir(), config: { ...config, threads: 2 }, resume: false }).pipe(Effect.provide(registered))))
    expect(Result.isFailure(r) && r.failure.message).toMatch(/threads: 2 needs built-in blocks and tasks/)
  })
})
