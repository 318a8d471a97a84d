import * as tf from "@tensorflow/tfjs"
import { fc } from "@fast-check/vitest"
import { beforeAll, describe, expect, it } from "vitest"
import type { NetShape } from "../src/core/network/netShape.js"
import { activationBlock } from "../src/layers/blocks/activation.js"
import { attentionBlock } from "../src/layers/blocks/attention.js"
import { gaussianKl, klChannelBlock, SIGMA_FLOOR } from "../src/layers/blocks/klChannel.js"
import { learnedBlock } from "../src/layers/blocks/learned.js"
import { noiseBlock } from "../src/layers/blocks/noise.js"
import { positionBlock } from "../src/layers/blocks/position.js"
import { edgeGraph } from "../src/layers/blocks/edgeGraph.js"
import { arbitraries, blockInputs, checkBlockWidth } from "../src/testing/index.js"
import { noLeak, take, useBackend } from "./helpers.js"

beforeAll(() => useBackend("cpu"))

// A block's input, hyperweights and random inputs come from hyperlayers/testing's blockInputs (seeded draws).
const shapeArb = arbitraries.netShape()

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
          const block = attentionBlock(k)
          const { input, env, tensors } = blockInputs(block, { shape, batch: B, sides: S, seed })
          const got = take(block.apply(input, env).output)
          const want = bruteForceAttention(shape, input!.dataSync() as Float32Array, B, S, k)
          tf.dispose([...tensors])
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
        const block = klChannelBlock(4)
        const { input, env, tensors } = blockInputs(block, { shape, batch: B, sides: 2, seed })
        const x = input!
        const eps = env.random("eps")
        const r = block.apply(x, env)
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
        tf.dispose([...tensors])
      })
    }), { numRuns: 20 })
  })

  it("gives KL = 0 when both sides carry the same distribution", () => {
    fc.assert(fc.property(shapeArb, fc.integer({ min: 1, max: 999 }), (shape, seed) => {
      noLeak(() => {
        const block = klChannelBlock(4)
        const { input, env, tensors } = blockInputs(block, { shape, batch: 2, sides: 2, seed })
        const side = tf.slice(input!, [0, 0, 0, 0], [2, 1, -1, -1])
        const x = tf.concat([side, side], 1)
        const r = block.apply(x, env)
        for (const v of take(r.kl!)) expect(Math.abs(v)).toBeLessThan(1e-4)
        tf.dispose([side, x, r.output, ...tensors])
      })
    }), { numRuns: 20 })
  })

  it("decoder-only samples z from p and adds no KL", () => {
    noLeak(() => {
      const x = tf.tensor4d([[[[1, 2, 3, 4, 0, 0, 0, 0]]]])
      const eps = tf.ones([1, 1, 4])
      const { env, tensors } = blockInputs(klChannelBlock(4), { shape: [1, 1], batch: 1, sides: 1, seed: 0 })
      const r = klChannelBlock(4).apply(x, { ...env, random: () => eps })
      tf.dispose([...tensors])
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
      const noiseIn = blockInputs(noiseBlock(5), { shape: [2, 3], batch: 2, sides: 2, seed: 4 })
      const noise = take(noiseBlock(5).apply(null, noiseIn.env).output)
      const learnedIn = blockInputs(learnedBlock(5), { shape: [2, 3], batch: 2, sides: 2, seed: 5 })
      const learned = take(learnedBlock(5).apply(null, learnedIn.env).output)
      const zv = noiseIn.env.random("z").dataSync()
      const vv = learnedIn.env.param("v").dataSync()
      for (let b = 0; b < 2; b++) for (let k = 0; k < 30; k++) {
        expect(noise[(b * 2) * 30 + k]).toBe(zv[b * 30 + k])
        expect(noise[(b * 2 + 1) * 30 + k]).toBe(zv[b * 30 + k])
        expect(learned[(b * 2) * 30 + k]).toBe(vv[b * 30 + k])
        expect(learned[(b * 2 + 1) * 30 + k]).toBe(0)
      }
      const decoderIn = blockInputs(learnedBlock(5), { shape: [2, 3], batch: 2, sides: 1, seed: 6 })
      expect(Array.from(take(learnedBlock(5).apply(null, decoderIn.env).output)).every((x) => x === 0)).toBe(true)
      tf.dispose([...noiseIn.tensors, ...learnedIn.tensors, ...decoderIn.tensors])
    })
  })
})

describe("every block writes the width it declares", () => {
  it("activation, positions, noise, attention, learned and KL channel, alone on any shape, batch and side count", () => {
    for (const block of [activationBlock(3), positionBlock("input", 2), positionBlock("output", 4), positionBlock("layer", 2), attentionBlock(2), klChannelBlock(3), learnedBlock(2), noiseBlock(3)]) checkBlockWidth(block, { numRuns: 15 })
  })
})
