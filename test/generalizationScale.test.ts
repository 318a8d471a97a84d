import * as tf from "@tensorflow/tfjs"
import { fc } from "@fast-check/vitest"
import { Result } from "effect"
import { describe, expect, it } from "vitest"
import { builtinTasks } from "../src/core/task/builtinTasks.js"
import { l1Mean, l1Std, l1Task } from "../src/core/task/l1Task.js"
import { defineTask } from "../src/core/task/task.js"
import { generalize } from "../src/programs/experiments/generalize.js"
import { train } from "../src/programs/training/train.js"
import { noLeak, useBackend } from "./helpers.js"
import { runProgram, tempDir, tinyConfig } from "./programs.js"

/**
 * Generalisation scored on the trained width's scale (issue 20, item 6): a task's target
 * normalised as at a reference width, and the generalisation experiment that uses it.
 */
describe("targets normalised at a reference width", () => {
  it("L1 at reference n is (‖x‖₁ − n·sqrt(2/π)) / sqrt(n·(1 − 2/π)) whatever the network's width, and the own target at n = width", async () => {
    await useBackend("cpu")
    fc.assert(fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 1000 }), (width, n, seed) => {
      noLeak(() => tf.tidy(() => {
        const x = tf.randomNormal([3, 5, width], 0, 1, "float32", seed)
        const rescaled = l1Task.atReferenceInputs!(n)
        const got = rescaled.target(x).arraySync() as Array<Array<Array<number>>>
        const l1 = tf.sum(tf.abs(x), -1).arraySync() as Array<Array<number>>
        got.forEach((row, a) => row.forEach((v, s) => expect(v[0]).toBeCloseTo((l1[a]![s]! - l1Mean(n)) / l1Std(n), 4)))
        if (n === width) expect(tf.max(tf.abs(tf.sub(rescaled.target(x), l1Task.target(x)))).dataSync()[0]).toBeLessThan(1e-5)
        // the loss is the mean squared error against it
        const prediction = tf.zeros([3, 5, 1])
        const loss = rescaled.loss(prediction, x).arraySync() as Array<number>
        loss.forEach((v, a) => expect(v).toBeCloseTo(got[a]!.reduce((acc, t) => acc + t[0]! ** 2, 0) / 5, 4))
      }))
    }), { numRuns: 30, seed: 4 })
  })

  it("every built-in task offers it, and a task without targetAt does not", () => {
    for (const task of builtinTasks) expect(typeof task.atReferenceInputs).toBe("function")
    const own = Result.getOrThrow(defineTask({ name: "mine", description: "x", outputs: 1, normalisation: "none", target: (x) => tf.sum(x, -1, true) }))
    expect(own.atReferenceInputs).toBeUndefined()
  })

  it("the generalisation experiment scores other widths on the trained scale, and the trained width alike either way", async () => {
    await useBackend("cpu")
    const runDir = tempDir()
    const config = tinyConfig({ steps: 4, checkpointEvery: 4 })
    await runProgram(train({ runDir, config, resume: false }), 7)
    const settings = { inputs: [2, 3, 6], hidden: [4], logBeta: -6, seeds: 2, samples: 256 }
    const own = await runProgram(generalize(runDir, settings), 7)
    const trained = await runProgram(generalize(runDir, { ...settings, normalisation: "trained" }), 7)
    expect(trained.normalisation).toBe("trained")
    expect(own.normalisation).toBeUndefined()
    const at = (r: typeof own, n0: number) => r.cells.find((c) => c.inputs === n0)!.loss
    // [3, 4, 1] is the trained shape: both scales are the same target there
    expect(at(trained, 3)).toBeCloseTo(at(own, 3), 10)
    // elsewhere they differ
    expect(Math.abs(at(trained, 6) - at(own, 6))).toBeGreaterThan(1e-3)
  })
})
