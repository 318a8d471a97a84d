import * as tf from "@tensorflow/tfjs"
import { fc } from "@fast-check/vitest"
import { Cause, Effect, Exit, Result } from "effect"
import { beforeAll, describe, expect, it } from "vitest"
import { blocksAt, normalsAt, scalarBlocksAt, threefry2x32 } from "../src/core/base/threefry.js"
import { simdBlocks, THREEFRY_WASM, THREEFRY_WAT } from "../src/core/base/threefrySimd.js"
import { makeSeededRng, type Rng, seededRngLayer, systemRngLayer } from "../src/services/rng/Rng.js"
import { Rng as RngTag } from "../src/services/rng/Rng.js"
import { noLeak, take, useBackend } from "./helpers.js"

beforeAll(() => useBackend("cpu"))

const run = <A, E>(f: (rng: Rng["Service"]) => Effect.Effect<A, E>, seed = 1): A => Effect.runSync(Effect.flatMap(makeSeededRng(seed), f))
const drawValues = (rng: Rng["Service"], stream: string, n: number) => Effect.map(rng.normal(stream, [n]), take)

describe("threefry2x32-20", () => {
  it("matches the Random123 known-answer vectors", () => {
    const out = new Uint32Array(2)
    const kat: ReadonlyArray<readonly [number, number, number, number, number, number]> = [
      [0, 0, 0, 0, 0x6b200159, 0x99ba4efe],
      [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0x1cb996fc, 0xbb002be7],
      [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xc4923a9c, 0x483df7a0]
    ]
    for (const [c0, c1, k0, k1, o0, o1] of kat) {
      threefry2x32([k0, k1], c0, c1, out, 0)
      expect([out[0], out[1]]).toEqual([o0, o1])
    }
  })
})

describe("threefry2x32-20 in WebAssembly SIMD", () => {
  const word = fc.integer({ min: 0, max: 0xffffffff })
  it("gives the JavaScript rounds' blocks bit for bit: any key, any run length, counters carrying into the high word", () => {
    fc.assert(fc.property(word, word, fc.oneof(fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: 2 ** 32 - 40, max: 2 ** 32 + 8 }),
      fc.integer({ min: 2 ** 53 - 2 ** 33, max: 2 ** 53 - 200 })), fc.integer({ min: 0, max: 150 }), (k0, k1, start, blocks) => {
      const fast = simdBlocks([k0, k1], start, blocks)
      expect(fast).toBeDefined()
      expect(Array.from(fast!)).toEqual(Array.from(scalarBlocksAt([k0, k1], start, blocks)))
    }))
  })

  it("matches the Random123 known-answer vectors through the module, and serves runs longer than one call", () => {
    // counter (c0, c1) = (0, 0) under key (0, 0): the first block of the known answers
    expect(Array.from(simdBlocks([0, 0], 0, 1)!)).toEqual([0x6b200159, 0x99ba4efe])
    // 2^18 blocks per call: a run of 300,000 crosses a call's end
    const long = simdBlocks([0x243f6a88, 0x85a308d3], 123, 300_000)!
    const reference = scalarBlocksAt([0x243f6a88, 0x85a308d3], 123, 300_000)
    let differing = 0
    for (let i = 0; i < long.length; i++) if (long[i] !== reference[i]) differing++
    expect(long.length).toBe(600_000)
    expect(differing).toBe(0)
  })

  it("leaves the normals a seed drew before it unchanged (the first draws of a stream, pinned)", () => {
    // 200 normals from counter 3 (100 blocks: through the module), the first two and last two as the
    // JavaScript rounds drew them before the module existed
    const v = normalsAt([1, 2], 3, 200).values
    expect([v[0], v[1], v[198], v[199]]).toEqual([0.3036099076271057, 1.0382952690124512, 0.18709664046764374, 0.061713896691799164])
    expect(Array.from(blocksAt([7, 9], 5, 100))).toEqual(Array.from(scalarBlocksAt([7, 9], 5, 100)))
  })

  it("is the module its WebAssembly text assembles to", async () => {
    const wabt = await (await import("wabt")).default()
    const bytes = wabt.parseWat("threefry.wat", THREEFRY_WAT, { simd: true }).toBinary({}).buffer
    expect(Buffer.from(bytes).toString("base64")).toBe(THREEFRY_WASM)
  })
})

const streamName = fc.string({ minLength: 1, maxLength: 12 })
const seedArb = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })

describe("seeded Rng", () => {
  it("gives identical draws for the same seed and stream", () => {
    fc.assert(fc.property(seedArb, streamName, fc.integer({ min: 1, max: 300 }), (seed, stream, n) => {
      const a = run((rng) => drawValues(rng, stream, n), seed)
      const b = run((rng) => drawValues(rng, stream, n), seed)
      expect(Array.from(a)).toEqual(Array.from(b))
    }))
  })

  it("keeps streams independent: draws on one do not depend on how much another was used", () => {
    const op = fc.record({ stream: fc.constantFrom("a", "b", "c"), n: fc.integer({ min: 1, max: 20 }), kind: fc.constantFrom("normal", "uniform", "int") })
    fc.assert(fc.property(seedArb, fc.array(op, { maxLength: 12 }), fc.integer({ min: 1, max: 50 }), (seed, ops, n) => {
      const withOthers = run((rng) => Effect.gen(function* () {
        for (const o of ops.filter((o) => o.stream !== "a")) {
          if (o.kind === "normal") take(yield* rng.normal(o.stream, [o.n]))
          else if (o.kind === "uniform") take(yield* rng.uniform(o.stream, [o.n]))
          else yield* rng.int(o.stream)
        }
        return yield* drawValues(rng, "a", n)
      }), seed)
      const alone = run((rng) => drawValues(rng, "a", n), seed)
      expect(Array.from(withOthers)).toEqual(Array.from(alone))
    }))
  })

  it("makes a stream's draws a function of its counter: two short draws equal one long one", () => {
    fc.assert(fc.property(seedArb, fc.integer({ min: 1, max: 40 }).map((k) => 2 * k), fc.integer({ min: 1, max: 40 }), (seed, n1, n2) => {
      const split = run((rng) => Effect.gen(function* () {
        const a = yield* drawValues(rng, "s", n1)
        const b = yield* drawValues(rng, "s", n2)
        return [...a, ...b]
      }), seed)
      const whole = run((rng) => drawValues(rng, "s", n1 + n2), seed)
      expect(split).toEqual(Array.from(whole))
    }))
  })

  it("differs between seeds and between streams, and is uncorrelated", () => {
    const [a, b, c] = run((rng) => Effect.all([drawValues(rng, "a", 20000), drawValues(rng, "b", 20000), Effect.succeed(run((r) => drawValues(r, "a", 20000), 2))]))
    const corr = (x: Float32Array, y: Float32Array) => x.reduce((s, v, i) => s + v * y[i]!, 0) / x.length
    expect(Math.abs(corr(a, b))).toBeLessThan(0.03)
    expect(Math.abs(corr(a, c))).toBeLessThan(0.03)
    const mean = a.reduce((s, v) => s + v, 0) / a.length
    const variance = a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length
    expect(Math.abs(mean)).toBeLessThan(0.03)
    expect(Math.abs(variance - 1)).toBeLessThan(0.04)
  })

  it("draws uniforms inside (lo, hi) and integer seeds in uint32 range", () => {
    fc.assert(fc.property(seedArb, fc.double({ min: -100, max: 100, noNaN: true }), fc.double({ min: 0.001, max: 50, noNaN: true }), (seed, lo, width) => {
      const [u, k] = run((rng) => Effect.all([Effect.map(rng.uniform("u", [257], lo, lo + width), take), rng.int("k")]), seed)
      for (const v of u) {
        expect(v).toBeGreaterThanOrEqual(Math.fround(lo))
        expect(v).toBeLessThanOrEqual(Math.fround(lo + width))
      }
      expect(Number.isInteger(k) && k >= 0 && k < 2 ** 32).toBe(true)
    }))
  })

  it("resumes a stream exactly after snapshot and restore", () => {
    fc.assert(fc.property(seedArb, fc.integer({ min: 0, max: 30 }), fc.integer({ min: 1, max: 30 }), (seed, before, after) => {
      const [state, continued] = run((rng) => Effect.gen(function* () {
        yield* drawValues(rng, "s", before + 1)
        yield* rng.int("t")
        const state = yield* rng.snapshot
        return [state, [...(yield* drawValues(rng, "s", after)), yield* rng.int("t")]] as const
      }), seed)
      const resumed = run((rng) => Effect.gen(function* () {
        yield* rng.restore(JSON.parse(JSON.stringify(state)))
        return [...(yield* drawValues(rng, "s", after)), yield* rng.int("t")]
      }), seed + 1)
      expect(resumed).toEqual(continued)
    }))
  })

  it("rejects an invalid saved state with a readable error", () => {
    const r = Effect.runSync(Effect.result(Effect.flatMap(makeSeededRng(1), (rng) => rng.restore({ rootSeed: -3, streams: {} }))))
    expect(Result.isFailure(r) && r.failure.message).toMatch(/invalid RNG state: .*seed/)
  })

  it("makeSeededRng and seededRngLayer refuse what restore refuses: a seed that is not an integer in [0, 2^53)", () => {
    const badSeed = fc.oneof(
      fc.double({ noNaN: false }).filter((x) => !Number.isSafeInteger(x) || x < 0),
      fc.constantFrom(1.5, NaN, Infinity, -Infinity, -1, 2 ** 53, Number.MAX_SAFE_INTEGER + 2)
    )
    fc.assert(fc.property(badSeed, (seed) => {
      const made = Effect.runSync(Effect.result(makeSeededRng(seed)))
      const restored = Effect.runSync(Effect.result(Effect.flatMap(makeSeededRng(1), (rng) => rng.restore({ rootSeed: seed, streams: {} }))))
      expect(Result.isFailure(made) && made.failure._tag).toBe("RngStateError")
      expect(Result.isFailure(restored) && restored.failure._tag).toBe("RngStateError")
      expect(Result.isFailure(made) && made.failure.message).toMatch(/^invalid root seed .*: a seed must be (an integer|in \[0, 9007199254740991\])/)
      const layered = Effect.runSync(Effect.result(Effect.provide(Effect.flatMap(RngTag, (rng) => rng.rootSeed), seededRngLayer(seed))))
      expect(Result.isFailure(layered) && layered.failure._tag).toBe("RngStateError")
    }))
    fc.assert(fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (seed) => {
      expect(Effect.runSync(Effect.flatMap(makeSeededRng(seed), (rng) => rng.rootSeed))).toBe(seed)
    }))
  })

  it("a draw with a shape, counter or range outside its domain dies naming the method, never a tensor", () => {
    const bad: ReadonlyArray<readonly [string, (rng: Rng["Service"]) => Effect.Effect<unknown>]> = [
      ["normal", (rng) => rng.normal("a", [2, 1.5])],
      ["normal", (rng) => rng.normal("a", [-1])],
      ["uniform", (rng) => rng.uniform("a", [2], 1, 1)],
      ["uniform", (rng) => rng.uniform("a", [2], 0, Infinity)],
      ["normalAt", (rng) => rng.normalAt("a", -1, [2])],
      ["normalAt", (rng) => rng.normalAt("a", 0.5, [2])],
      ["uniformAt", (rng) => rng.uniformAt("a", 0, [2], 2, 1)]
    ]
    for (const [method, draw] of bad) {
      const exit = Effect.runSyncExit(Effect.flatMap(makeSeededRng(1), draw))
      expect(Exit.isFailure(exit) && Cause.hasDies(exit.cause)).toBe(true)
      expect(String(Cause.squash((exit as Exit.Failure<unknown, unknown>).cause))).toContain(`Rng.${method}("a")`)
    }
  })

  it("normalAt reads a fixed position without advancing the stream", () => {
    const [at, after, direct] = run((rng) => Effect.gen(function* () {
      const at = take(yield* rng.normalAt("g", 0, [6]))
      const after = take(yield* rng.normal("g", [6]))
      return [at, after, take(yield* rng.normalAt("g", 3, [2]))] as const
    }))
    expect(Array.from(at)).toEqual(Array.from(after))
    const next = run((rng) => Effect.gen(function* () { take(yield* rng.normal("g", [6])); return take(yield* rng.normal("g", [2])) }))
    expect(Array.from(direct)).toEqual(Array.from(next))
  })

  it("the system layer records its seed, and replaying that seed gives the same draws", async () => {
    const program = Effect.gen(function* () {
      const rng = yield* RngTag
      return { seed: yield* rng.rootSeed, values: Array.from(take(yield* rng.normal("x", [5]))) }
    })
    const first = await Effect.runPromise(Effect.provide(program, systemRngLayer))
    const replay = await Effect.runPromise(Effect.provide(program, seededRngLayer(first.seed)))
    expect(replay).toEqual(first)
  })

  it("leaks no tensors", () => {
    noLeak(() => run((rng) => Effect.gen(function* () {
      tf.dispose([yield* rng.normal("a", [3, 4]), yield* rng.uniform("b", [2]), yield* rng.normalAt("c", 5, [7])])
    })))
  })
})
