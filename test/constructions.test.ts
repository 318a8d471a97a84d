import * as tf from "@tensorflow/tfjs"
import { fc } from "@fast-check/vitest"
import { Effect, Result } from "effect"
import { beforeAll, describe, expect, it } from "vitest"
import { classify } from "../src/core/classifier.js"
import { convexity, doubleSided, pudding, type PuddingSign } from "../src/core/constructions.js"
import { l1Mean, l1Std, l1Loss } from "../src/core/l1Task.js"
import { disposeNetWeights, forward, type NetWeights } from "../src/core/network.js"
import { doubleSidedness, signAgreement, strongestConnection } from "../src/core/orderParameters.js"
import { makeSeededRng } from "../src/services/Rng.js"
import { noLeak, take, useBackend } from "./helpers.js"

beforeAll(() => useBackend("cpu"))

/** ‖x‖₁ as the network computes it: undo the target's normalisation. */
const l1Of = (net: NetWeights, xs: ReadonlyArray<ReadonlyArray<number>>, activation: "relu" | "swish"): Float32Array => {
  const n = net.shape[0]!
  const out = take(tf.tidy(() => forward(net, tf.tensor2d(xs.map((r) => [...r]), [xs.length, n]), activation)))
  return out.map((y) => y * l1Std(n) + l1Mean(n))
}

const inputs = (n: number) => fc.array(fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: n, maxLength: n }), { minLength: 1, maxLength: 8 })
const sizes = fc.integer({ min: 1, max: 64 }).chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 0, max: 16 }), inputs(n)))
const signs: ReadonlyArray<PuddingSign> = ["negative", "positive"]

const expectL1 = (got: Float32Array, xs: ReadonlyArray<ReadonlyArray<number>>, magnitude: number): void => {
  xs.forEach((x, s) => {
    const want = x.reduce((a, v) => a + Math.abs(v), 0)
    expect(Math.abs(got[s]! - want)).toBeLessThanOrEqual(2e-6 * (magnitude + want + 1))
  })
}

const gaussianSample = (n: number, count: number): tf.Tensor2D =>
  Effect.runSync(Effect.flatMap(makeSeededRng(7), (rng) => rng.normal(`x${n}`, [count, n]))) as tf.Tensor2D

describe("constructions with ReLU are exact", () => {
  it("double-sided reproduces ‖x‖₁ for any input size", () => {
    fc.assert(fc.property(sizes, fc.double({ min: 0.1, max: 100, noNaN: true }), ([n, extra, xs], scale) => {
      const net = Result.getOrThrow(doubleSided(n, 2 * n + extra, { activation: "relu", scale }))
      expectL1(l1Of(net, xs, "relu"), xs, l1Mean(n))
      disposeNetWeights(net)
    }))
  })

  it("both signed puddings reproduce ‖x‖₁, the sum spread over the leftover units", () => {
    fc.assert(fc.property(sizes, fc.constantFrom(...signs), ([n, extra, xs], sign) => {
      const offset = 10 * n + 1 // ≥ |Σx| for |x_i| ≤ 10
      const net = Result.getOrThrow(pudding(n, n + 1 + extra, sign, { activation: "relu", offset }))
      expectL1(l1Of(net, xs, "relu"), xs, offset + l1Mean(n))
      disposeNetWeights(net)
    }))
  })
})

describe("constructions with swish approach ReLU as the scale grows", () => {
  const meanError = (net: NetWeights, x: tf.Tensor2D): number =>
    tf.tidy(() => {
      const n = x.shape[1]
      const want = tf.sum(tf.abs(x), -1)
      const got = tf.add(tf.mul(tf.squeeze(forward(net, x, "swish"), [-1]), l1Std(n)), l1Mean(n))
      return tf.mean(tf.abs(tf.sub(got, want))).dataSync()[0]!
    })

  it("the error of double-sided and puddings falls with κ and stays under the swish bound", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 32 }), fc.constantFrom("double-sided", ...signs), (n, kind) => {
      const x = gaussianSample(n, 256)
      const errors = [1, 4, 16, 64].map((scale) => {
        const net = Result.getOrThrow(kind === "double-sided"
          ? doubleSided(n, 2 * n, { activation: "swish", scale })
          : pudding(n, 2 * n + 1, kind, { activation: "swish", scale }))
        const e = meanError(net, x)
        disposeNetWeights(net)
        // |swish(κz)/κ − ReLU(z)| ≤ 0.2785/κ per unit; a pudding's unit counts twice
        expect(e).toBeLessThanOrEqual(2 * n * 0.2785 / scale + 1e-3 * n)
        return e
      })
      for (let k = 1; k < errors.length; k++) expect(errors[k]!).toBeLessThan(errors[k - 1]!)
      x.dispose()
    }), { numRuns: 12 })
  })
})

describe("classification of the constructions", () => {
  const classOf = (net: NetWeights): string => {
    const W = { rows: net.shape[0]!, cols: net.shape[1]!, data: net.W[0]!.dataSync() }
    return classify({ alpha1: doubleSidedness(W), alpha2: strongestConnection(W) })
  }

  it("classifies each construction as what it is, across input sizes (h = 3n)", () => {
    fc.assert(fc.property(fc.integer({ min: 2, max: 48 }), fc.constantFrom("relu" as const, "swish" as const), (n, activation) => {
      const h = 3 * n
      const ds = Result.getOrThrow(doubleSided(n, h, { activation }))
      const neg = Result.getOrThrow(pudding(n, h, "negative", { activation }))
      const pos = Result.getOrThrow(pudding(n, h, "positive", { activation }))
      const W = tf.randomUniform([n, h], -1, 1, "float32", n) as tf.Tensor2D
      const x = gaussianSample(n, 512)
      const cv = Result.getOrThrow(convexity(W, x, { activation }))
      expect([classOf(ds), classOf(neg), classOf(pos), classOf(cv)]).toEqual(["double-sided", "pudding", "pudding", "convexity"])
      tf.dispose([W, x]);
      [ds, neg, pos, cv].forEach(disposeNetWeights)
    }), { numRuns: 20 })
  })

  it("the canonical [16, 48, 1] constructions: α values and losses", () => {
    const x = gaussianSample(16, 4096)
    const lossOf = (net: NetWeights): number => take(tf.tidy(() => l1Loss(forward(net, x, "swish"), x)))[0]!
    const neg = Result.getOrThrow(pudding(16, 48, "negative"))
    const W = { rows: 16, cols: 48, data: neg.W[0]!.dataSync() }
    expect(doubleSidedness(W)).toBeCloseTo(1, 6) // α1 ≈ 1 for a clean pudding
    expect(strongestConnection(W)).toBe(4)
    // by first-layer weights alone every input ties: −4 to its own unit, +4 to each leftover one;
    // through to the output its own unit is the strongest path, and negative for every input
    expect(signAgreement(W)).toBe(0)
    expect(signAgreement(W, neg.W[1]!.dataSync())).toBe(1)
    expect(lossOf(neg)).toBeLessThan(0.02)
    const ds = Result.getOrThrow(doubleSided(16, 48))
    expect(signAgreement({ rows: 16, cols: 48, data: ds.W[0]!.dataSync() }, ds.W[1]!.dataSync())).toBe(0) // ±1 per input: a tie of both signs
    expect(lossOf(ds)).toBeLessThan(0.02)
    const Wc = tf.randomUniform([16, 48], -1, 1, "float32", 3) as tf.Tensor2D
    const cv = Result.getOrThrow(convexity(Wc, x))
    const lc = lossOf(cv)
    // Eq. 4 with 48 random units is imperfect: better than a constant (loss 1), far worse than
    // exact (numpy on 1e5 samples: 0.5–0.6 for uniform or Gaussian W of scale 0.5–2)
    expect(lc).toBeGreaterThan(0.3)
    expect(lc).toBeLessThan(0.75)
    tf.dispose([x, Wc]);
    [neg, ds, cv].forEach(disposeNetWeights)
  })
})

describe("construction errors and memory", () => {
  it("rejects hidden layers too small for the construction, naming the need", () => {
    const e1 = doubleSided(16, 31)
    expect(Result.isFailure(e1) && e1.failure.message).toMatch(/at least 32 hidden units/)
    const e2 = pudding(16, 16)
    expect(Result.isFailure(e2) && e2.failure.message).toMatch(/at least 17 hidden units/)
    const e3 = pudding(4, 8, "negative", { scale: -1 })
    expect(Result.isFailure(e3) && e3.failure.message).toMatch(/scale must be a positive number/)
    const W = tf.zeros([4, 8]) as tf.Tensor2D
    const x = tf.zeros([10, 5]) as tf.Tensor2D
    const e4 = convexity(W, x)
    expect(Result.isFailure(e4) && e4.failure.message).toMatch(/calibration inputs must have shape \[S ≥ 2, 4\]/)
    tf.dispose([W, x])
  })

  it("builds and disposes every construction without leaking tensors", () => {
    const x = gaussianSample(8, 64)
    const W = tf.randomUniform([8, 24], -1, 1, "float32", 1) as tf.Tensor2D
    noLeak(() => {
      for (const net of [doubleSided(8, 24), pudding(8, 24, "negative"), pudding(8, 24, "positive"), convexity(W, x)]) {
        const built = Result.getOrThrow(net)
        tf.dispose(forward(built, x))
        disposeNetWeights(built)
      }
    })
    tf.dispose([x, W])
  })
})
