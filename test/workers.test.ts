import * as tf from "@tensorflow/tfjs"
import { fc } from "@fast-check/vitest"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { shardGradient } from "../src/layers/hypernetwork/shardGradient.js"
import { train } from "../src/programs/training/train.js"
import { disposeTrainer, initTrainer, trainStep } from "../src/programs/training/trainer.js"
import { shardSizes, startWorkerPool } from "../src/programs/training/workerPool.js"
import { Rng } from "../src/services/rng/Rng.js"
import { runProgram, tempDir, tinyConfig } from "./programs.js"

describe("sharded training steps", () => {
  it("splits a batch into consecutive shards that cover it", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 16 }), (B, parts) => {
      const s = shardSizes(B, parts)
      expect(s.reduce((a, b) => a + b, 0)).toBe(B)
      expect(s.length).toBe(Math.min(B, parts))
      expect(Math.max(...s) - Math.min(...s)).toBeLessThanOrEqual(1)
    }))
  })

  it("shards' gradients add up to the whole batch's gradient", async () => {
    await runProgram(Effect.gen(function* () {
      const rng = yield* Rng
      const t = yield* initTrainer(tinyConfig({ betasPerStep: 3 }))
      const logBeta = tf.tensor1d([-11, -4, -0.5])
      const x = yield* rng.normal("x", [3, 32, 3])
      const randoms: Record<string, tf.Tensor> = {}
      for (const s of t.run.randoms) randoms[s.name] = yield* rng.normal(s.name, [3, ...s.shape])
      const part = (from: number, n: number) => {
        const cut = (v: tf.Tensor) => tf.slice(v, from, n)
        return shardGradient(t.run, t.params, cut(logBeta), cut(x), Object.fromEntries(Object.entries(randoms).map(([k, v]) => [k, cut(v)])), "swish", 3)
      }
      const whole = part(0, 3)
      const [a, b] = [part(0, 1), part(1, 2)]
      expect(a.objective.dataSync()[0]! + b.objective.dataSync()[0]!).toBeCloseTo(whole.objective.dataSync()[0]!, 5)
      whole.grads.forEach((g, k) => {
        const sum = tf.add(a.grads[k]!, b.grads[k]!)
        const err = tf.max(tf.abs(tf.sub(sum, g))).dataSync()[0]!
        const scale = tf.max(tf.abs(g)).dataSync()[0]!
        expect(err).toBeLessThanOrEqual(1e-4 * (1 + scale))
      })
      disposeTrainer(t)
    }))
  })

  it("a step on two threads matches a step on one, and training with threads leaks nothing", async () => {
    const losses = (threads: number) => runProgram(Effect.gen(function* () {
      const t = yield* initTrainer(tinyConfig({ betasPerStep: 4 }))
      const pool = threads > 1 ? yield* startWorkerPool(threads - 1, "cpu") : undefined
      const out: Array<number> = []
      for (let s = 0; s < 3; s++) out.push((yield* trainStep(t, pool)).objective)
      const W1 = Array.from(t.params[0]!.dataSync())
      disposeTrainer(t)
      return { out, W1 }
    }), 4)
    const [one, two] = [await losses(1), await losses(2)]
    one.out.forEach((v, k) => expect(two.out[k]).toBeCloseTo(v, 4))
    one.W1.forEach((v, k) => expect(Math.abs(two.W1[k]! - v)).toBeLessThan(1e-4))
    const before = tf.memory().numTensors
    const r = await runProgram(train({ runDir: tempDir(), config: tinyConfig({ threads: 3 }), resume: false }))
    expect(r.step).toBe(6)
    expect(tf.memory().numTensors).toBe(before)
  })
})
