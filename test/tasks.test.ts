import * as tf from "@tensorflow/tfjs"
import { fc } from "@fast-check/vitest"
import { Effect, Result } from "effect"
import { beforeAll, describe, expect, it } from "vitest"
import { builtinTasks } from "../src/core/task/builtinTasks.js"
import { l1Task } from "../src/core/task/l1Task.js"
import { l1LinfTask } from "../src/core/task/normTasks.js"
import { chiMoments, logGamma, maxAbsMoments } from "../src/core/task/specialFunctions.js"
import { checkTaskShape, defineTask } from "../src/core/task/task.js"
import { fixedDraws, streamDraws } from "../src/services/rng/inputDraws.js"
import { makeSeededRng } from "../src/services/rng/Rng.js"
import { noLeak, take, useBackend } from "./helpers.js"

beforeAll(() => useBackend("cpu"))

const mean = (xs: ArrayLike<number>) => Array.from(xs).reduce((a, b) => a + b, 0) / xs.length

describe("built-in tasks", () => {
  it("normalise their targets to mean ≈ 0 and variance ≈ 1 under their input distribution, every output", async () => {
    const rng = await Effect.runPromise(makeSeededRng(11))
    for (const task of builtinTasks) {
      for (const n of [1, 3, 16, 64]) {
        const x = await Effect.runPromise(task.sampleInputs(streamDraws(rng, `x/${task.name}/${n}`), [40000, n]))
        const y = noLeak(() => take(task.target(x)))
        x.dispose()
        expect(y.length).toBe(40000 * task.outputs)
        for (let o = 0; o < task.outputs; o++) {
          const column = y.filter((_, k) => k % task.outputs === o)
          const m = mean(column)
          const v = mean(column.map((c) => (c - m) ** 2))
          // standard errors over 40,000 samples: 0.005 for the mean, ~0.01–0.03 for the variance
          expect(Math.abs(m), `${task.name} n=${n} output ${o} mean`).toBeLessThan(0.03)
          expect(Math.abs(v - 1), `${task.name} n=${n} output ${o} variance`).toBeLessThan(0.08)
        }
      }
    }
  })

  it("score a constant zero predictor at ≈ 1 and the target itself at 0, leaking nothing", async () => {
    const rng = await Effect.runPromise(makeSeededRng(2))
    for (const task of builtinTasks) {
      const x = await Effect.runPromise(task.sampleInputs(fixedDraws(rng, "eval"), [2, 5000, 6]))
      const zero = noLeak(() => take(tf.tidy(() => task.loss(tf.zeros([2, 5000, task.outputs]), x))))
      const perfect = noLeak(() => take(tf.tidy(() => task.loss(task.target(x), x))))
      expect(zero.length).toBe(2)
      for (const z of zero) expect(Math.abs(z - 1)).toBeLessThan(0.1)
      for (const p of perfect) expect(p).toBe(0)
      x.dispose()
    }
  })

  it("l1-linf has two outputs: the L1 task's target and the max-abs target", () => {
    const x = tf.tensor2d([[1, -2, 3, -4], [0.5, 0.5, -0.5, 0]])
    const both = take(l1LinfTask.target(x))
    const l1 = take(l1Task.target(x))
    expect(both[0]).toBeCloseTo(l1[0]!, 6)
    expect(both[2]).toBeCloseTo(l1[1]!, 6)
    const { mean: m, std } = maxAbsMoments(4)
    expect(both[1]).toBeCloseTo((4 - m) / std, 5)
    x.dispose()
  })

  it("fixed draws give the same inputs every time, stream draws move on", async () => {
    const rng = await Effect.runPromise(makeSeededRng(4))
    const a = take(await Effect.runPromise(l1Task.sampleInputs(fixedDraws(rng, "s"), [3, 2])))
    const b = take(await Effect.runPromise(l1Task.sampleInputs(fixedDraws(rng, "s"), [3, 2])))
    expect(b).toEqual(a)
    const c = take(await Effect.runPromise(l1Task.sampleInputs(streamDraws(rng, "s"), [3, 2])))
    const d = take(await Effect.runPromise(l1Task.sampleInputs(streamDraws(rng, "s"), [3, 2])))
    expect(c).toEqual(a) // the stream starts where the fixed draws do
    expect(d).not.toEqual(c)
  })
})

describe("tasks and shapes", () => {
  it("a task fits a shape exactly when the output width and the input width agree", () => {
    fc.assert(fc.property(fc.constantFrom(...builtinTasks), fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 2, maxLength: 5 }), (task, shape) => {
      const r = checkTaskShape(task, shape)
      expect(Result.isSuccess(r)).toBe(shape[shape.length - 1] === task.outputs)
      if (Result.isFailure(r)) expect(r.failure.message).toMatch(new RegExp(`task ${task.name} needs a network with ${task.outputs} output`))
    }))
    const narrow = Result.getOrThrow(defineTask({ name: "pair", description: "", outputs: 1, inputs: { min: 2, max: 2 }, normalisation: "none", target: (x) => tf.sum(x, -1, true) }))
    const r = checkTaskShape(narrow, [3, 4, 1])
    expect(Result.isFailure(r) && r.failure.message).toBe("task pair takes exactly 2 inputs, but [3, 4, 1] has 3")
  })

  it("defineTask refuses malformed tasks, naming the field", () => {
    const base = { name: "t", description: "", outputs: 1, normalisation: "none", target: (x: tf.Tensor) => x }
    const why = (d: Parameters<typeof defineTask>[0]) => {
      const r = defineTask(d)
      return Result.isFailure(r) ? r.failure.message : "accepted"
    }
    expect(why({ ...base, name: "" })).toMatch(/name must be/)
    expect(why({ ...base, outputs: 0 })).toMatch(/outputs must be an integer ≥ 1, got 0/)
    expect(why({ ...base, outputs: 1.5 })).toMatch(/outputs must be an integer/)
    expect(why({ ...base, inputs: { min: 3, max: 2 } })).toMatch(/inputs must be integers 1 ≤ min ≤ max, got \[3, 2\]/)
    expect(why(base)).toBe("accepted")
  })
})

describe("normalising constants", () => {
  it("log Γ matches factorials and Γ(1/2) = √π", () => {
    for (let n = 1; n < 30; n++) {
      let f = 0
      for (let k = 2; k < n; k++) f += Math.log(k)
      expect(logGamma(n)).toBeCloseTo(f, 10)
    }
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 12)
  })

  it("chi and max-|x| moments agree with the half-normal at n = 1 and with their closed forms", () => {
    const halfMean = Math.sqrt(2 / Math.PI)
    const halfStd = Math.sqrt(1 - 2 / Math.PI)
    expect(chiMoments(1).mean).toBeCloseTo(halfMean, 12)
    expect(chiMoments(1).std).toBeCloseTo(halfStd, 12)
    expect(maxAbsMoments(1).mean).toBeCloseTo(halfMean, 9)
    expect(maxAbsMoments(1).std).toBeCloseTo(halfStd, 9)
    // chi with 2 degrees of freedom is Rayleigh: mean √(π/2)
    expect(chiMoments(2).mean).toBeCloseTo(Math.sqrt(Math.PI / 2), 12)
    fc.assert(fc.property(fc.integer({ min: 1, max: 4000 }), (n) => {
      const { mean: m, std } = chiMoments(n)
      // E‖x‖₂ ≤ √n (Jensen); the variance of ‖x‖₂ rises from 1 − 2/π (n = 1) towards 1/2
      expect(m).toBeLessThanOrEqual(Math.sqrt(n))
      expect(std).toBeGreaterThanOrEqual(halfStd - 1e-12)
      expect(std).toBeLessThan(Math.SQRT1_2 + 1e-6)
      if (n < 200) expect(chiMoments(n + 1).std).toBeGreaterThan(std) // beyond, k − μ² loses digits to cancellation (≈ 1e−9)
    }), { numRuns: 40 })
  })
})
