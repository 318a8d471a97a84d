import * as tf from "@tensorflow/tfjs"
import { fc } from "@fast-check/vitest"
import { Result, Schema } from "effect"
import { beforeAll, describe, expect, it } from "vitest"
import { convexity, doubleSided, pudding, type PuddingOptions, type PuddingSign } from "../src/core/network/constructions.js"
import { InvalidInput } from "../src/core/base/errors.js"
import { DrawingSettings, paperExperiments, SweepSettings } from "../src/core/run/experimentSettings.js"
import { forward, makeNetWeights, type Activation } from "../src/core/network/network.js"
import { noLeak, useBackend } from "./helpers.js"

beforeAll(() => useBackend("cpu"))

// Public constructors and functions check what the CLI and checkpoint decoders check, with typed
// errors naming the argument: never a raw TensorFlow.js exception, a silent default or NaN.

const nonFinite = fc.constantFrom(NaN, Infinity, -Infinity)

describe("constructions", () => {
  it("refuse sizes that are not a valid NetShape, and options out of their domain, with a ConstructionError", () => {
    const badOption: fc.Arbitrary<readonly [string, PuddingOptions]> = fc.oneof(
      fc.oneof(nonFinite, fc.double({ max: 0 }), fc.double({ min: 1e6, noDefaultInfinity: true }).filter((x) => x > 1e6), fc.double({ min: 0, max: 1e-3, noNaN: true }).filter((x) => x < 1e-3))
        .map((scale) => ["scale must be", { scale }] as const),
      fc.oneof(nonFinite, fc.double({ max: -1e-9, noNaN: true }), fc.double({ min: 1e6 + 1, noNaN: true })).map((offset) => ["offset must be", { offset }] as const),
      fc.constantFrom("tanh", "", "ReLU").map((a) => ["activation must be", { activation: a as Activation }] as const)
    )
    fc.assert(fc.property(badOption, ([why, options]) => {
      noLeak(() => {
        for (const r of [pudding(3, 5, "negative", options), ...("offset" in options ? [] : [doubleSided(3, 6, options)])]) {
          expect(Result.isFailure(r) && r.failure._tag).toBe("ConstructionError")
          expect(Result.isFailure(r) && r.failure.message).toContain(why)
        }
      })
    }))
    const badSize = fc.oneof(fc.constantFrom(0, -1, 1.5, NaN, Infinity, 5000), fc.integer({ min: 4097, max: 1e6 }))
    fc.assert(fc.property(badSize, fc.boolean(), (n, inHidden) => {
      noLeak(() => {
        const [a, b] = inHidden ? [2, n] : [n, 2 * (Number.isFinite(n) ? Math.abs(n) : 2) + 2]
        for (const r of [doubleSided(a, b), pudding(a, b), pudding(a, b, "positive")]) expect(Result.isFailure(r) && r.failure._tag).toBe("ConstructionError")
      })
    }))
    const sign = pudding(3, 5, "neg" as PuddingSign)
    expect(Result.isFailure(sign) && sign.failure.message).toBe(`pudding: sign must be "negative" or "positive", got "neg"`)
  })

  it("convexity refuses a non-finite or misshapen W or calibration", () => {
    noLeak(() => {
      const W = tf.tensor2d([[0.5, -0.2], [0.1, NaN]])
      const good = tf.randomNormal([8, 2], 0, 1, "float32", 1) as tf.Tensor2D
      const r1 = convexity(W, good)
      expect(Result.isFailure(r1) && r1.failure.message).toBe("convexity: W must be finite, got NaN at flat index 3")
      const W2 = tf.tensor2d([[0.5, -0.2], [0.1, 0.3]])
      const calibration = tf.tensor2d([[1, 2], [Infinity, 0], [0, 0]])
      const r2 = convexity(W2, calibration)
      expect(Result.isFailure(r2) && r2.failure.message).toBe("convexity: calibration must be finite, got Infinity at flat index 2")
      const flat = tf.tensor1d([1, 2])
      const r3 = convexity(flat as unknown as tf.Tensor2D, good)
      expect(Result.isFailure(r3) && r3.failure.message).toBe("convexity: W must have shape [n, h], got [2]")
      tf.dispose([W, good, W2, calibration, flat])
    })
  })
})

describe("target networks", () => {
  it("makeNetWeights refuses a shape that is not a NetShape, or weights that are not float32", () => {
    noLeak(() => {
      const W = [tf.zeros([0, 3])]
      const b = [tf.zeros([3])]
      const r = makeNetWeights([0, 3], W, b)
      expect(Result.isFailure(r) && r.failure._tag).toBe("InvalidInput")
      expect(Result.isFailure(r) && r.failure.message).toMatch(/a layer size must be at least 1/)
      const Wi = [tf.zeros([2, 3], "int32")]
      const ri = makeNetWeights([2, 3], Wi, b)
      expect(Result.isFailure(ri) && ri.failure.message).toBe("makeNetWeights: weights and biases must be float32 tensors, got int32")
      tf.dispose([...W, ...b, ...Wi])
    })
  })

  it("forward refuses inputs of the wrong width or batch, and unknown activations, before any op runs", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }), (n, h, B, wrong) => {
      noLeak(() => {
        const net = Result.getOrThrow(makeNetWeights([n, h, 1], [tf.zeros([B, n, h]), tf.zeros([B, h, 1])], [tf.zeros([B, h]), tf.zeros([B, 1])]))
        const x = tf.zeros([B, 4, n + wrong])
        expect(() => forward(net, x)).toThrow(InvalidInput)
        expect(() => forward(net, x)).toThrow(`forward: x must have shape [${B}, S, ${n}] (batch axes may be 1 or left out), got [${B}, 4, ${n + wrong}]`)
        const ok = tf.zeros([1, 4, n])
        expect(() => forward(net, ok, "tanh" as Activation)).toThrow(`forward: activation must be "swish" or "relu", got "tanh"`)
        if (B > 1) {
          const other = tf.zeros([B + 1, 4, n])
          expect(() => forward(net, other)).toThrow(/do not broadcast against the network's batch/)
          other.dispose()
        }
        const flat = tf.zeros([4, n])
        tf.dispose([forward(net, ok), forward(net, flat), flat]) // batch axes of 1, or none, broadcast
        tf.dispose([...net.W, ...net.b, x, ok])
      })
    }), { numRuns: 20 })
  })
})

describe("experiment settings", () => {
  const decode = <A>(schema: Schema.Codec<A, unknown>, value: unknown) => Schema.decodeUnknownResult(schema)(value)
  const message = (r: Result.Result<unknown, { message: string }>) => (Result.isFailure(r) ? r.failure.message : "accepted")

  it("refuse a β range whose ends are in the wrong order, in the sweep and the drawings, and accept every ordered one", () => {
    fc.assert(fc.property(fc.integer({ min: -30, max: 10 }), fc.integer({ min: -30, max: 10 }), (a, b) => {
      const sweep = decode(SweepSettings, { ...paperExperiments.sweep, logBetaMin: a, logBetaMax: b })
      if (a < b) expect(Result.isSuccess(sweep)).toBe(true)
      else expect(message(sweep)).toContain(`sweep.logBetaMin (${a}) must be below sweep.logBetaMax (${b})`)
      const drawing = decode(DrawingSettings, { ...paperExperiments.drawing, lowLogBeta: a, highLogBeta: b })
      if (a <= b) expect(Result.isSuccess(drawing)).toBe(true)
      else expect(message(drawing)).toContain(`drawing.lowLogBeta (${a}) must not be above drawing.highLogBeta (${b})`)
    }), { seed: 77, numRuns: 200 })
  })

  it("refuse a sweep over one generation seed, where α3 would have nothing to compare (sweep.json held null)", () => {
    expect(message(decode(SweepSettings, { ...paperExperiments.sweep, seeds: 1 }))).toContain("sweep.seeds must be at least 2: α3 (seed dependence) compares the networks of two generation seeds")
    expect(Result.isSuccess(decode(SweepSettings, { ...paperExperiments.sweep, seeds: 2 }))).toBe(true)
  })
})
