import * as tf from "@tensorflow/tfjs"
import { fc } from "@fast-check/vitest"
import { Effect, Result } from "effect"
import { beforeAll, describe, expect, it } from "vitest"
import { classifyFirstLayer } from "../src/core/network/classifier.js"
import { convexity, doubleSided, pudding, type PuddingSign } from "../src/core/network/constructions.js"
import { l1Mean, l1Std, l1Loss } from "../src/core/task/l1Task.js"
import { disposeNetWeights, forward, type NetWeights } from "../src/core/network/network.js"
import { doubleSidedness, firstLayer, pathBalance, signAgreement, strongestConnection } from "../src/core/network/orderParameters.js"
import { makeSeededRng } from "../src/services/rng/Rng.js"
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
  const layerOf = (net: NetWeights) => firstLayer(net.shape, net.W.map((w) => w.dataSync()))
  const classOf = (net: NetWeights): string => classifyFirstLayer(layerOf(net)).algorithm
  /** Every construction that `doubleSided` and `pudding` accept for [n, h, 1], with its own name. */
  const built = (n: number, h: number, options: { scale: number; activation: "relu" | "swish" }) => [
    ...(h >= 2 * n ? [["double-sided", doubleSided(n, h, options)] as const] : []),
    ["pudding", pudding(n, h, "negative", options)] as const,
    ["pudding", pudding(n, h, "positive", options)] as const
  ]
  const expectEachAsItself = (n: number, h: number, scale: number, activation: "relu" | "swish") => {
    for (const [name, r] of built(n, h, { scale, activation })) {
      const net = Result.getOrThrow(r)
      expect({ n, h, scale, class: classOf(net) }).toEqual({ n, h, scale, class: name })
      disposeNetWeights(net)
    }
  }

  it("classifies every double-sided and signed pudding construction as itself at every accepted size n ≤ 10, h ≤ min + 12", () => {
    for (let n = 1; n <= 10; n++) {
      for (let h = n + 1; h <= 2 * n + 12; h++) expectEachAsItself(n, h, 4, "swish")
    }
  })

  it("classifies them as themselves over random accepted sizes, scales κ ≥ 2 and both activations", () => {
    const arb = fc.integer({ min: 1, max: 64 }).chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: n + 1, max: 3 * n + 16 })))
    fc.assert(fc.property(arb, fc.double({ min: 2, max: 64, noNaN: true }), fc.constantFrom("relu" as const, "swish" as const), ([n, h], scale, activation) => {
      expectEachAsItself(n, h, scale, activation)
    }), { numRuns: 60 })
  })

  it("the sizes the zero-median floor misclassified: pudding(4, 5) is a pudding, double-sided [n, ≤ 4] is double-sided", () => {
    expectEachAsItself(4, 5, 4, "swish") // more than half of W zero: α1 was 1e6, double-sided
    const neg = Result.getOrThrow(pudding(4, 5, "negative"))
    expect(doubleSidedness(layerOf(neg).W)).toBe(1) // the median of the nonzero |W|: every one is κ
    for (const [n, h] of [[1, 2], [1, 3], [1, 4], [2, 4]] as const) expectEachAsItself(n, h, 4, "swish")
    // why the classifier reads paths: at [1, 2, 1] the two constructions' W^(1) are equal up to the order of the hidden units
    const ds = Result.getOrThrow(doubleSided(1, 2))
    const pd = Result.getOrThrow(pudding(1, 2, "negative"))
    expect(Array.from(ds.W[0]!.dataSync()).sort()).toEqual(Array.from(pd.W[0]!.dataSync()).sort())
    expect(pathBalance(layerOf(ds).W, layerOf(ds).out)).toBe(1)
    expect(pathBalance(layerOf(pd).W, layerOf(pd).out)).toBe(0.5)
    ;[neg, ds, pd].forEach(disposeNetWeights)
  })

  it("classifies the convexity construction (W ~ U(−1, 1)) as convexity at every size", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 48 }), fc.integer({ min: 1, max: 144 }), fc.constantFrom("relu" as const, "swish" as const), (n, h, activation) => {
      const W = tf.randomUniform([n, h], -1, 1, "float32", n * 1000 + h) as tf.Tensor2D
      const x = gaussianSample(n, 64)
      const cv = Result.getOrThrow(convexity(W, x, { activation }))
      expect(classOf(cv)).toBe("convexity")
      tf.dispose([W, x])
      disposeNetWeights(cv)
    }), { numRuns: 30 })
  })

  it("the canonical [16, 48, 1] constructions: α values and losses", () => {
    const x = gaussianSample(16, 4096)
    const lossOf = (net: NetWeights): number => take(tf.tidy(() => l1Loss(forward(net, x, "swish"), x)))[0]!
    const neg = Result.getOrThrow(pudding(16, 48, "negative"))
    const W = { rows: 16, cols: 48, data: neg.W[0]!.dataSync() }
    expect(doubleSidedness(W)).toBeCloseTo(1, 6) // α1 ≈ 1 for a clean pudding
    expect(strongestConnection(W)).toBe(4)
    // by first-layer weights alone every input ties (−4 to its own unit, +4 to each leftover one),
    // so the sign agreement needs the outgoing strengths: through to the output the own unit is
    // the strongest path, and negative for every input
    expect(signAgreement(W, new Float64Array(48).fill(1))).toBe(0)
    expect(signAgreement(W, neg.W[1]!.dataSync())).toBe(1)
    expect(classifyFirstLayer(layerOf(neg))).toEqual({ alpha1: 1, alpha2: 4, pathBalance: 0, algorithm: "pudding" }) // its sum units are shared
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
