import * as tf from "@tensorflow/tfjs"
import { fc } from "@fast-check/vitest"
import { Effect, Result } from "effect"
import { beforeAll, describe, expect, it } from "vitest"
import { l1Loss, l1Target } from "../src/core/task/l1Task.js"
import { forward, makeNetWeights } from "../src/core/network/network.js"
import { makeSeededRng } from "../src/services/rng/Rng.js"
import { noLeak, take, useBackend } from "./helpers.js"

beforeAll(() => useBackend("cpu"))

const gaussian = (seed: number, shape: ReadonlyArray<number>): tf.Tensor =>
  Effect.runSync(Effect.flatMap(makeSeededRng(seed), (rng) => rng.normal("x", shape)))

describe("L1 task", () => {
  it("normalises the target to mean ≈ 0 and variance ≈ 1 for Gaussian inputs of any size", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 64 }), fc.nat(), (n, seed) => {
      const x = gaussian(seed, [40000, n])
      const y = take(l1Target(x))
      x.dispose()
      const mean = y.reduce((s, v) => s + v, 0) / y.length
      const variance = y.reduce((s, v) => s + (v - mean) ** 2, 0) / y.length
      expect(Math.abs(mean)).toBeLessThan(0.03)
      expect(Math.abs(variance - 1)).toBeLessThan(0.05)
    }), { numRuns: 12 })
  })

  it("computes ‖x‖₁ exactly before normalising", () => {
    const y = take(l1Target(tf.tensor2d([[1, -2, 3, -4]])))
    expect(y[0]).toBeCloseTo((10 - 4 * Math.sqrt(2 / Math.PI)) / Math.sqrt(4 * (1 - 2 / Math.PI)), 5)
  })

  it("scores the zero predictor at loss ≈ 1 and the perfect one at 0, per generation", () => {
    const x = gaussian(3, [2, 20000, 16])
    const zero = noLeak(() => take(tf.tidy(() => l1Loss(tf.zeros([2, 20000, 1]), x))))
    expect(zero.length).toBe(2)
    for (const l of zero) expect(Math.abs(l - 1)).toBeLessThan(0.05)
    const perfect = take(tf.tidy(() => l1Loss(tf.expandDims(l1Target(x), -1), x)))
    for (const l of perfect) expect(l).toBeCloseTo(0, 6)
    x.dispose()
  })
})

describe("target network", () => {
  it("forward over a generation axis equals each generation's own forward pass", () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 2, maxLength: 4 }), fc.integer({ min: 1, max: 3 }), fc.constantFrom("relu" as const, "swish" as const), (shape, G, act) => {
      noLeak(() => {
        const W = shape.slice(1).map((n, l) => tf.randomNormal([G, shape[l]!, n], 0, 1, "float32", l))
        const b = shape.slice(1).map((n, l) => tf.randomNormal([G, n], 0, 1, "float32", 10 + l))
        const x = tf.randomNormal([G, 5, shape[0]!], 0, 1, "float32", 99)
        const net = Result.getOrThrow(makeNetWeights(shape, W, b))
        const all = take(forward(net, x, act))
        for (let g = 0; g < G; g++) {
          const pick = (t: tf.Tensor) => tf.tidy(() => tf.squeeze(tf.slice(t, g, 1), [0]))
          const one = Result.getOrThrow(makeNetWeights(shape, W.map(pick), b.map(pick)))
          const xg = pick(x)
          const single = take(forward(one, xg, act))
          const part = all.slice(g * single.length, (g + 1) * single.length)
          single.forEach((v, k) => expect(part[k]).toBeCloseTo(v, 4))
          tf.dispose([...one.W, ...one.b, xg])
        }
        tf.dispose([...W, ...b, x])
      })
    }), { numRuns: 20 })
  })

  it("rejects tensors of the wrong shape, naming the layer and both shapes", () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 2, maxLength: 5 }), fc.nat(), fc.boolean(), (shape, k, inW) => {
      noLeak(() => {
        const N = shape.length - 1
        const bad = k % N
        const W = shape.slice(1).map((n, l) => tf.zeros(l === bad && inW ? [shape[l]! + 1, n] : [shape[l]!, n]))
        const b = shape.slice(1).map((n, l) => tf.zeros(l === bad && !inW ? [n + 2] : [n]))
        const r = makeNetWeights(shape, W, b)
        expect(Result.isFailure(r) && r.failure._tag).toBe("WeightShapeError")
        if (Result.isFailure(r) && r.failure._tag === "WeightShapeError") {
          expect(r.failure.layer).toBe(bad + 1)
          expect(r.failure.part).toBe(inW ? "W" : "b")
          const expected = inW ? [shape[bad]!, shape[bad + 1]!] : [shape[bad + 1]!]
          expect(r.failure.message).toBe(`${inW ? "W" : "b"}^(${bad + 1}) must have shape [${expected.join(", ")}] but has [${(inW ? W : b)[bad]!.shape.join(", ")}]`)
        }
        tf.dispose([...W, ...b])
      })
    }))
    const r = makeNetWeights([2, 3, 1], [tf.zeros([2, 3])], [tf.zeros([3])])
    expect(Result.isFailure(r) && r.failure.message).toMatch(/has 2 weight layers but 1 W tensors/)
  })
})
