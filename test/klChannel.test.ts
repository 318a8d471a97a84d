import { readFileSync } from "node:fs"
import * as tf from "@tensorflow/tfjs"
import { fc } from "@fast-check/vitest"
import { beforeAll, describe, expect, it } from "vitest"
import type { BlockContext } from "../src/layers/blocks/block.js"
import { gaussianKl, klChannelBlock, SIGMA_FLOOR } from "../src/layers/blocks/klChannel.js"
import { edgeGraph } from "../src/layers/blocks/edgeGraph.js"
import { train } from "../src/programs/training/train.js"
import { noLeak, take, useBackend } from "./helpers.js"
import { runProgram, tempDir, tinyConfig } from "./programs.js"

/** One feature of a diagonal Gaussian pair, as float32 values. */
interface Pair { readonly muQ: number; readonly sigmaQ: number; readonly muP: number; readonly sigmaP: number }

const f32 = Math.fround
const mu = fc.double({ min: -5, max: 5, noNaN: true }).map(f32)
const sigma = fc.double({ min: SIGMA_FLOOR, max: 50, noNaN: true }).map(f32)
/** q = p exactly. */
const equalPair: fc.Arbitrary<Pair> = fc.tuple(mu, sigma).map(([m, s]) => ({ muQ: m, sigmaQ: s, muP: m, sigmaP: s }))
/** σp a few float32 ulps from σq, μp equal or a few ulps off: where the textbook form cancels. */
const nearPair: fc.Arbitrary<Pair> = fc.tuple(mu, sigma, fc.integer({ min: -64, max: 64 }), fc.integer({ min: -4, max: 4 }))
  .map(([m, s, ds, dm]) => ({ muQ: m, sigmaQ: s, muP: f32(m + dm * 2 ** -23 * Math.max(1, Math.abs(m))), sigmaP: f32(s * (1 + ds * 2 ** -23)) }))
/** σ ratios up to 1e4 either way and mean gaps up to 200. */
const farPair: fc.Arbitrary<Pair> = fc.tuple(fc.double({ min: -100, max: 100, noNaN: true }), fc.double({ min: -100, max: 100, noNaN: true }),
  fc.double({ min: SIGMA_FLOOR, max: 10, noNaN: true }), fc.double({ min: SIGMA_FLOOR, max: 10, noNaN: true }))
  .map(([a, b, s, t]) => ({ muQ: f32(a), muP: f32(b), sigmaQ: f32(s), sigmaP: f32(t) }))
const anyPair = fc.oneof(equalPair, nearPair, farPair)
/** A batch `[B, F]` of pairs. */
const batchOf = (pair: fc.Arbitrary<Pair>) => fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 6 }))
  .chain(([B, F]) => fc.array(pair, { minLength: B * F, maxLength: B * F }).map((pairs) => ({ B, F, pairs })))

/** KL(q ‖ p) of one feature in float64, in a form without cancellation (log1p of an exact difference). */
const klReference = ({ muQ, sigmaQ, muP, sigmaP }: Pair): number => {
  const t = 2 * Math.log1p((sigmaQ - sigmaP) / sigmaP)
  return 0.5 * (Math.expm1(t) - t) + 0.5 * ((muQ - muP) / sigmaP) ** 2
}
/** What float32 evaluation may add: a few ulps on t (through ∂KL/∂t = expm1(t)/2) and on the sum. */
const klTolerance = (p: Pair): number => 1e-5 * klReference(p) + 5e-7 * Math.abs(Math.expm1(2 * Math.log(p.sigmaQ / p.sigmaP)))

const tensors = (B: number, F: number, pairs: ReadonlyArray<Pair>) => ({
  q: { mu: tf.tensor2d(pairs.map((p) => p.muQ), [B, F]), sigma: tf.tensor2d(pairs.map((p) => p.sigmaQ), [B, F]) },
  p: { mu: tf.tensor2d(pairs.map((p) => p.muP), [B, F]), sigma: tf.tensor2d(pairs.map((p) => p.sigmaP), [B, F]) }
})

for (const backend of ["cpu", "wasm"] as const) {
  describe(`gaussianKl on ${backend}`, () => {
    beforeAll(() => useBackend(backend))

    it("is ≥ 0 for equal, near-equal and far-apart pairs, and 0 for equal ones", () => {
      fc.assert(fc.property(batchOf(anyPair), ({ B, F, pairs }) => {
        noLeak(() => {
          const { q, p } = tensors(B, F, pairs)
          const kl = take(gaussianKl(q, p))
          kl.forEach((v) => expect(v).toBeGreaterThanOrEqual(0))
          tf.dispose([q.mu, q.sigma, p.mu, p.sigma])
        })
      }), { numRuns: 60 })
      fc.assert(fc.property(batchOf(equalPair), ({ B, F, pairs }) => {
        noLeak(() => {
          const { q, p } = tensors(B, F, pairs)
          take(gaussianKl(q, p)).forEach((v) => expect(v).toBe(0))
          tf.dispose([q.mu, q.sigma, p.mu, p.sigma])
        })
      }), { numRuns: 20 })
    })

    it("matches a float64 reference within a few float32 ulps", () => {
      fc.assert(fc.property(batchOf(anyPair), ({ B, F, pairs }) => {
        noLeak(() => {
          const { q, p } = tensors(B, F, pairs)
          const kl = take(gaussianKl(q, p))
          for (let b = 0; b < B; b++) {
            const row = pairs.slice(b * F, (b + 1) * F)
            const want = row.reduce((a, x) => a + klReference(x), 0)
            const tol = row.reduce((a, x) => a + klTolerance(x), 0) + 1e-30
            expect(Math.abs(kl[b]! - want)).toBeLessThanOrEqual(tol)
          }
          tf.dispose([q.mu, q.sigma, p.mu, p.sigma])
        })
      }), { numRuns: 60 })
    })

    it("has the closed form's gradient with respect to μ and σ of both sides", () => {
      fc.assert(fc.property(batchOf(fc.oneof(nearPair, farPair)), ({ B, F, pairs }) => {
        noLeak(() => {
          const { q, p } = tensors(B, F, pairs)
          const grads = tf.grads((mq: tf.Tensor, sq: tf.Tensor, mp: tf.Tensor, sp: tf.Tensor) =>
            tf.sum(gaussianKl({ mu: mq, sigma: sq }, { mu: mp, sigma: sp })))([q.mu, q.sigma, p.mu, p.sigma])
          const [gmq, gsq, gmp, gsp] = grads.map(take)
          pairs.forEach(({ muQ, sigmaQ, muP, sigmaP }, k) => {
            const dm = muQ - muP
            const want = [dm / sigmaP ** 2, -1 / sigmaQ + sigmaQ / sigmaP ** 2, -dm / sigmaP ** 2, 1 / sigmaP - (sigmaQ ** 2 + dm ** 2) / sigmaP ** 3]
            // |∂KL/∂σ| ≈ |t|/σ near q = p: allow float32 ulps of each term it is made of
            const scale = [Math.abs(dm) / sigmaP ** 2, 1 / sigmaQ + sigmaQ / sigmaP ** 2, Math.abs(dm) / sigmaP ** 2, 1 / sigmaP + (sigmaQ ** 2 + dm ** 2) / sigmaP ** 3]
            ;[gmq, gsq, gmp, gsp].forEach((g, i) => expect(Math.abs(g![k]! - want[i]!)).toBeLessThanOrEqual(1e-5 * scale[i]! + 1e-30))
          })
          tf.dispose([q.mu, q.sigma, p.mu, p.sigma])
        })
      }), { numRuns: 40 })
    })

    it("the block's KL of the issue's near-equal pair is +7.3e-11, not −6e-8", () => {
      noLeak(() => {
        // q = (μ 0, ρ −1), p = (μ 0, ρ −0.99999) on one edge of [1, 1]
        const x = tf.tensor4d([[[[0, -1]], [[0, -0.99999]]]])
        const eps = tf.zeros([1, 1, 1])
        const context: BlockContext = { graph: edgeGraph([1, 1]), batch: 1, sides: 2, mode: "encoder" }
        const r = klChannelBlock(1).apply(x, { context, param: () => { throw new Error("no params") }, random: () => eps })
        const kl = take(r.kl!)[0]!
        const softplus = (v: number) => Math.log1p(Math.exp(v))
        const want = klReference({ muQ: 0, muP: 0, sigmaQ: f32(softplus(-1) + SIGMA_FLOOR), sigmaP: f32(softplus(f32(-0.99999)) + SIGMA_FLOOR) })
        expect(kl).toBeGreaterThan(0)
        expect(Math.abs(kl - want)).toBeLessThan(0.05 * want)
        tf.dispose([x, eps, r.output])
      })
    })

    it("training at log β ∈ [9, 10], the top of the allowed range, does not diverge and logs KL ≥ 0", async () => {
      // with the textbook form this run (learning rate 1e-2, seed 2) stopped at step 24 with a NaN objective
      const runDir = tempDir()
      const config = tinyConfig({ steps: 40, checkpointEvery: 100, learningRate: 1e-2, logBetaMin: 9, logBetaMax: 10, seed: 2 })
      const result = await runProgram(train({ runDir, config, resume: false }), 2, backend)
      expect(result.step).toBe(40)
      const rows = readFileSync(`${runDir}/metrics.jsonl`, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { objective: number; kl: number; loss: number })
      expect(rows).toHaveLength(40)
      for (const r of rows) {
        expect(Number.isFinite(r.objective)).toBe(true)
        expect(r.kl).toBeGreaterThanOrEqual(0)
        expect(r.loss).toBeGreaterThan(0)
      }
    })
  })
}

describe("training over the whole allowed β range", () => {
  it("log β ∈ [−30, 10] trains without diverging", async () => {
    const runDir = tempDir()
    const config = tinyConfig({ steps: 30, checkpointEvery: 100, learningRate: 1e-2, logBetaMin: -30, logBetaMax: 10, seed: 2 })
    const result = await runProgram(train({ runDir, config, resume: false }), 2)
    expect(result.step).toBe(30)
  })
})
