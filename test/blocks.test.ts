import * as tf from "@tensorflow/tfjs"
import { fc } from "@fast-check/vitest"
import { beforeAll, describe, expect, it } from "vitest"
import type { NetShape } from "../src/core/netShape.js"
import type { BlockContext, BlockEnv } from "../src/layers/block.js"
import { attentionBlock } from "../src/layers/blocks/attention.js"
import { gaussianKl, klChannelBlock, SIGMA_FLOOR } from "../src/layers/blocks/klChannel.js"
import { learnedBlock } from "../src/layers/blocks/learned.js"
import { noiseBlock } from "../src/layers/blocks/noise.js"
import { edgeGraph } from "../src/layers/edgeGraph.js"
import { noLeak, take, useBackend } from "./helpers.js"

beforeAll(() => useBackend("cpu"))

const envFor = (shape: NetShape, batch: number, sides: 1 | 2, extra: Partial<Pick<BlockEnv, "param" | "random">> = {}): BlockEnv => {
  const context: BlockContext = { graph: edgeGraph(shape), batch, sides, mode: sides === 2 ? "encoder" : "decoder-only" }
  return { context, param: extra.param ?? (() => { throw new Error("no params") }), random: extra.random ?? (() => { throw new Error("no randoms") }) }
}
const shapeArb: fc.Arbitrary<NetShape> = fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 2, maxLength: 4 })

/** The attention of one edge side, by brute force: loop over neurons, build each pool, attend. */
const bruteForceAttention = (shape: NetShape, x: Float32Array, B: number, S: number, k: number): Float32Array => {
  const graph = edgeGraph(shape)
  const E = graph.edges
  const F = 6 * k
  const out = new Float32Array(B * S * E * 2 * k)
  const at = (b: number, s: number, e: number, f: number) => ((b * S + s) * E + e) * F + f
  const N = graph.layers.length
  for (let b = 0; b < B; b++) for (let s = 0; s < S; s++) {
    for (let m = 0; m <= N; m++) {
      const width = shape[m]!
      for (let n = 0; n < width; n++) {
        // pool members: [edge, offset of its triple, offset of its output slot]
        const pool: Array<[number, number, number]> = []
        if (m >= 1) { const L = graph.layers[m - 1]!; for (let i = 0; i < L.rows; i++) pool.push([L.offset + i * L.cols + n, 0, 0]) }
        if (m < N) { const L = graph.layers[m]!; for (let j = 0; j < L.cols; j++) pool.push([L.offset + n * L.cols + j, 3 * k, k]) }
        for (const [e, off, slot] of pool) {
          const scores = pool.map(([e2, off2]) => {
            let d = 0
            for (let f = 0; f < k; f++) d += x[at(b, s, e, off + f)]! * x[at(b, s, e2, off2 + k + f)]!
            return d / Math.sqrt(k)
          })
          const mx = Math.max(...scores)
          const w = scores.map((v) => Math.exp(v - mx))
          const z = w.reduce((a, v) => a + v, 0)
          for (let f = 0; f < k; f++) {
            let v = 0
            pool.forEach(([e2, off2], p) => { v += (w[p]! / z) * x[at(b, s, e2, off2 + 2 * k + f)]! })
            out[((b * S + s) * E + e) * 2 * k + slot + f] = v
          }
        }
      }
    }
  }
  return out
}

describe("attention block", () => {
  it("matches a brute-force per-neuron loop on small random shapes", () => {
    fc.assert(fc.property(shapeArb, fc.integer({ min: 1, max: 2 }), fc.constantFrom(1 as const, 2 as const), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 999 }),
      (shape, B, S, k, seed) => {
        noLeak(() => {
          const E = edgeGraph(shape).edges
          const x = tf.randomNormal([B, S, E, 6 * k], 0, 1, "float32", seed)
          const got = take(attentionBlock(k).apply(x, envFor(shape, B, S)).output)
          const want = bruteForceAttention(shape, x.dataSync() as Float32Array, B, S, k)
          x.dispose()
          expect(got.length).toBe(want.length)
          got.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThan(1e-4))
        })
      }), { numRuns: 40 })
  })
})

describe("KL channel", () => {
  it("accumulates KL ≥ 0 that matches the closed form, and samples z from q", () => {
    fc.assert(fc.property(shapeArb, fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 999 }), (shape, B, seed) => {
      noLeak(() => {
        const E = edgeGraph(shape).edges
        const x = tf.randomNormal([B, 2, E, 8], 0, 1.5, "float32", seed)
        const eps = tf.randomNormal([B, E, 4], 0, 1, "float32", seed + 1)
        const r = klChannelBlock(4).apply(x, envFor(shape, B, 2, { random: () => eps }))
        const kl = take(r.kl!)
        const z = take(r.output)
        const xv = x.dataSync()
        const ev = eps.dataSync()
        const softplus = (v: number) => Math.log1p(Math.exp(v))
        for (let b = 0; b < B; b++) {
          let want = 0
          for (let e = 0; e < E; e++) for (let f = 0; f < 4; f++) {
            const q = ((b * 2 + 0) * E + e) * 8
            const p = ((b * 2 + 1) * E + e) * 8
            const sq = softplus(xv[q + 4 + f]!) + SIGMA_FLOOR
            const sp = softplus(xv[p + 4 + f]!) + SIGMA_FLOOR
            const dm = xv[q + f]! - xv[p + f]!
            want += Math.log(sp / sq) + (sq * sq + dm * dm) / (2 * sp * sp) - 0.5
            const zq = xv[q + f]! + sq * ev[(b * E + e) * 4 + f]!
            expect(z[((b * 2 + 0) * E + e) * 4 + f]).toBeCloseTo(zq, 4)
            expect(z[((b * 2 + 1) * E + e) * 4 + f]).toBeCloseTo(zq, 4)
          }
          expect(kl[b]).toBeGreaterThanOrEqual(0)
          expect(Math.abs(kl[b]! - want)).toBeLessThan(1e-3 * (1 + want))
        }
        tf.dispose([x, eps])
      })
    }), { numRuns: 20 })
  })

  it("gives KL = 0 when both sides carry the same distribution", () => {
    fc.assert(fc.property(shapeArb, fc.integer({ min: 1, max: 999 }), (shape, seed) => {
      noLeak(() => {
        const E = edgeGraph(shape).edges
        const side = tf.randomNormal([2, 1, E, 8], 0, 2, "float32", seed)
        const x = tf.concat([side, side], 1)
        const eps = tf.zeros([2, E, 4])
        const r = klChannelBlock(4).apply(x, envFor(shape, 2, 2, { random: () => eps }))
        for (const v of take(r.kl!)) expect(Math.abs(v)).toBeLessThan(1e-4)
        tf.dispose([side, x, eps, r.output])
      })
    }), { numRuns: 20 })
  })

  it("decoder-only samples z from p and adds no KL", () => {
    noLeak(() => {
      const x = tf.tensor4d([[[[1, 2, 3, 4, 0, 0, 0, 0]]]])
      const eps = tf.ones([1, 1, 4])
      const r = klChannelBlock(4).apply(x, envFor([1, 1], 1, 1, { random: () => eps }))
      expect(r.kl).toBeUndefined()
      const s = Math.log(2) + SIGMA_FLOOR
      Array.from(take(r.output)).forEach((v, f) => expect(v).toBeCloseTo(f + 1 + s, 5))
      eps.dispose()
      x.dispose()
    })
  })

  it("gaussianKl is zero for equal Gaussians and positive otherwise", () => {
    noLeak(() => {
      const mu = tf.tensor2d([[0.3, -1]])
      const sigma = tf.tensor2d([[0.5, 2]])
      expect(take(gaussianKl({ mu, sigma }, { mu, sigma }))[0]).toBeCloseTo(0, 6)
      const other = tf.tensor2d([[1, 1]])
      // KL(N(0.3, 0.5²) ‖ N(1, 1)) + KL(N(−1, 2²) ‖ N(1, 1))
      const want = (Math.log(1 / 0.5) + (0.25 + 0.49) / 2 - 0.5) + (Math.log(1 / 2) + (4 + 4) / 2 - 0.5)
      expect(take(gaussianKl({ mu, sigma }, { mu: other, sigma: other }))[0]).toBeCloseTo(want, 5)
      tf.dispose([mu, sigma, other])
    })
  })
})

describe("source blocks", () => {
  it("noise is the same on both KL sides; learned variables sit on the encoder side only", () => {
    noLeak(() => {
      const z = tf.randomNormal([2, 6, 5], 0, 1, "float32", 4)
      const noise = take(noiseBlock(5).apply(null, envFor([2, 3], 2, 2, { random: () => z })).output)
      const v = tf.randomNormal([2, 6, 5], 0, 1, "float32", 5)
      const learned = take(learnedBlock(5).apply(null, envFor([2, 3], 2, 2, { param: () => v })).output)
      const zv = z.dataSync()
      const vv = v.dataSync()
      for (let b = 0; b < 2; b++) for (let k = 0; k < 30; k++) {
        expect(noise[(b * 2) * 30 + k]).toBe(zv[b * 30 + k])
        expect(noise[(b * 2 + 1) * 30 + k]).toBe(zv[b * 30 + k])
        expect(learned[(b * 2) * 30 + k]).toBe(vv[b * 30 + k])
        expect(learned[(b * 2 + 1) * 30 + k]).toBe(0)
      }
      expect(Array.from(take(learnedBlock(5).apply(null, envFor([2, 3], 2, 1)).output)).every((x) => x === 0)).toBe(true)
      tf.dispose([z, v])
    })
  })
})
