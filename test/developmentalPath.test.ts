import { fc } from "@fast-check/vitest"
import { describe, expect, it } from "vitest"
import { logBetaGrid } from "../src/core/run/betaGrid.js"
import type { Algorithm } from "../src/core/network/classifier.js"
import { betaStar, betaStarTrend, type BetaStarTrend, type DevelopmentalPath, developmentalPath, MEMORISED } from "../src/core/study/developmentalPath.js"
import type { AblationResult, SweepResult } from "../src/core/run/results.js"

/**
 * Synthetic sweeps of each developmental path: checkpoints every 500 steps to 5000, 30 β. Each
 * kind draws where its switch happens, its boundary, and noise in loss, KL and sign agreement.
 */
interface Knobs {
  readonly switchAt: number // index of the checkpoint where the change happens (1…8)
  readonly halfway: number // share of β a checkpoint that catches the switch half done has switched (0: none)
  readonly boundary: number // index of the β boundary (8…22)
  readonly noise: number // 0…1
}
type Row = SweepResult["rows"][number]
const logBetas = logBetaGrid(30)
const steps = Array.from({ length: 11 }, (_, k) => 500 * k)

const sweepOf = (cell: (step: number, k: number, b: number) => { algorithm: Algorithm; loss: number; kl: number; signAgreement: number; alpha3?: number }): SweepResult => ({
  seeds: 4, samples: 64,
  rows: steps.flatMap((step, k) => logBetas.map((logBeta, b): Row => {
    const c = cell(step, k, b)
    return { step, logBeta, lossMin: c.loss * 0.8, lossMax: c.loss * 1.2, alpha1: 2, alpha2: c.algorithm === "convexity" ? 1 : 3, alpha3: 1, ...c }
  }))
})
/** A memorised pudding: large KL, seed-independent. */
const memorisedPudding = (noise: number) => ({ algorithm: "pudding" as const, loss: 0.01, kl: 50 + 1000 * noise, signAgreement: 0.75, alpha3: 0.2 * noise })
/** β boundary index at checkpoint k: from `from` at the switch, rising a β step per checkpoint to `to`. */
const risingBoundary = (k: number, switchAt: number, from: number, to: number) => Math.min(to, from + (k - switchAt))
const ablationOf = (ratio: number): AblationResult => ({
  step: 5000, seeds: 4,
  rows: logBetas.map((logBeta) => ({ logBeta, lossEncoder: 0.06, lossDecoderOnly: 0.06 * ratio, kl: 0, algorithmEncoder: "pudding", algorithmDecoderOnly: "pudding" }))
})
const convex = (n: number) => ({ algorithm: "convexity" as const, loss: 0.33 + 0.02 * n, kl: 0.5 + n, signAgreement: 0.25 })

const synthetic = (kind: DevelopmentalPath, { switchAt, boundary, noise, halfway }: Knobs): { sweep: SweepResult; ablation?: AblationResult } => {
  switch (kind) {
    case "convexity-throughout":
      return { sweep: sweepOf(() => convex(noise)) }
    case "pudding-everywhere":
      // the switch may be caught half done at the checkpoint before (low β first)
      return {
        sweep: sweepOf((_, k, b) => (k < switchAt - 1 || (k === switchAt - 1 && b >= halfway * 30) ? convex(noise) : { algorithm: "pudding", loss: 0.05 + 0.05 * noise, kl: 0.001 * noise, signAgreement: 1 })),
        ablation: ablationOf(1 + 0.2 * noise)
      }
    case "pudding-low-beta":
      return {
        sweep: sweepOf((_, k, b) => (k >= switchAt && b < boundary ? { algorithm: "pudding", loss: 0.06, kl: 2 + noise, signAgreement: 1 } : convex(noise))),
        ablation: ablationOf(3 + noise)
      }
    case "through-double-sided":
      return {
        sweep: sweepOf((_, k, b) => (k >= switchAt && b < boundary ? { algorithm: k >= switchAt + 1 && b < 4 ? "double-sided" : "pudding", loss: 0.03, kl: 3, signAgreement: 0.5 } : convex(noise)))
      }
    case "stalled":
      return { sweep: sweepOf((_, k) => (k < switchAt ? convex(noise) : { algorithm: "pudding", loss: 0.2 + 0.1 * noise, kl: 0.001, signAgreement: 0.5 * noise })) }
    case "memorised-low-beta":
      // the paper's commonest picture: a memorised pudding below a β boundary that rises, then stays
      return {
        sweep: sweepOf((_, k, b) => (k >= switchAt && b < risingBoundary(k, switchAt, Math.min(boundary, 8), boundary) ? memorisedPudding(noise) : convex(noise))),
        ablation: ablationOf(10 + noise)
      }
    case "memorised-everywhere":
      return {
        sweep: sweepOf((_, k, b) => (k < switchAt ? convex(noise) : b < boundary ? memorisedPudding(noise) : { algorithm: "pudding", loss: 0.05, kl: 0.01, signAgreement: 1 })),
        ablation: ablationOf(10 + noise)
      }
    case "memorised-other":
      // the networks are memorised but compute the convexity algorithm
      return {
        sweep: sweepOf((_, k) => (k < switchAt ? convex(noise) : { ...convex(noise), kl: 5000, alpha3: 0.01 })),
        ablation: ablationOf(30)
      }
    case "other":
      // a pudding at every β that carries KL and needs the encoder: memorised, but with no β boundary
      return {
        sweep: sweepOf((_, k) => (k < switchAt ? convex(noise) : { algorithm: "pudding", loss: 0.05, kl: 1 + noise, signAgreement: 1 })),
        ablation: ablationOf(4)
      }
  }
}

const knobs: fc.Arbitrary<Knobs> = fc.record({
  switchAt: fc.integer({ min: 2, max: 8 }), boundary: fc.integer({ min: 8, max: 22 }), noise: fc.double({ min: 0, max: 1, noNaN: true }),
  halfway: fc.oneof(fc.constant(0), fc.double({ min: 0.1, max: 0.85, noNaN: true }))
})

describe("developmental paths", () => {
  it("classify synthetic sweeps of each kind as that kind", () => {
    const kinds: ReadonlyArray<DevelopmentalPath> = ["convexity-throughout", "pudding-everywhere", "pudding-low-beta", "through-double-sided", "stalled", "memorised-low-beta", "memorised-everywhere", "memorised-other", "other"]
    fc.assert(fc.property(fc.constantFrom(...kinds), knobs, (kind, k) => {
      const { sweep, ablation } = synthetic(kind, k)
      const reading = developmentalPath(sweep, ablation)
      expect(reading.path).toBe(kind)
      expect(reading.memorised).toBe(kind.startsWith("memorised-"))
    }), { numRuns: 300 })
  })

  it("read the boundary, the first pudding step and the ablation ratio", () => {
    const { sweep, ablation } = synthetic("pudding-low-beta", { switchAt: 3, boundary: 12, noise: 0, halfway: 0 })
    const r = developmentalPath(sweep, ablation)
    expect(r.firstPuddingStep).toBe(1500)
    expect(r.boundaryLogBeta).toBeCloseTo((logBetas[11]! + logBetas[12]!) / 2, 12)
    expect(r.decoderRatio).toBeCloseTo(3, 12)
    expect(r.puddingShare).toBeCloseTo(12 / 30, 12)
  })

  it("a case-3d run whose decoder-only loss is far worse is not case 3d", () => {
    const { sweep } = synthetic("pudding-everywhere", { switchAt: 2, boundary: 10, noise: 0, halfway: 0.5 })
    expect(developmentalPath(sweep, ablationOf(1.1)).path).toBe("pudding-everywhere")
    expect(developmentalPath(sweep, ablationOf(2)).path).toBe("other")
    expect(developmentalPath(sweep).path).toBe("pudding-everywhere") // without an ablation, KL decides
  })

  it("a pudding that takes two checkpoints or more to reach every β is not case 3d", () => {
    // low β from checkpoint 3, every β only from checkpoint 5
    const slow = sweepOf((_, k, b) => (k >= 5 || (k >= 3 && b < 10) ? { algorithm: "pudding", loss: 0.05, kl: 0, signAgreement: 1 } : convex(0)))
    expect(developmentalPath(slow, ablationOf(1)).path).toBe("other")
  })
})

describe("the memorised reading and β*", () => {
  const memorisedRun = (k: Knobs) => synthetic("memorised-low-beta", k)

  it("β* follows a rising boundary to the grid β just below it, and reads 'rises then stabilises'", () => {
    fc.assert(fc.property(knobs.filter((k) => k.switchAt <= 5 && k.boundary >= 12), (k) => {
      const reading = developmentalPath(memorisedRun(k).sweep, memorisedRun(k).ablation)
      reading.betaStar.forEach(({ step, logBeta }) => {
        const index = step / 500
        const expected = index < k.switchAt ? null : logBetas[risingBoundary(index, k.switchAt, Math.min(k.boundary, 8), k.boundary) - 1]!
        expect(logBeta).toBe(expected)
      })
      expect(reading.betaStarTrend).toBe("rises-then-stabilises")
    }), { numRuns: 100 })
  })

  it("case 3d, convexity throughout and a stalled run never carry the signature", () => {
    fc.assert(fc.property(fc.constantFrom<DevelopmentalPath>("pudding-everywhere", "convexity-throughout", "stalled", "pudding-low-beta"), knobs, (kind, k) => {
      const { sweep, ablation } = synthetic(kind, k)
      const reading = developmentalPath(sweep, ablation)
      expect(reading.memorised).toBe(false)
      expect(reading.betaStar.every((p) => p.logBeta === null)).toBe(true)
      expect(reading.betaStarTrend).toBe("never")
    }), { numRuns: 100 })
  })

  it("memorised everywhere below a fixed boundary reads 'stable'; one lost by the end reads 'lost'", () => {
    const k = { switchAt: 3, boundary: 12, noise: 0.3, halfway: 0 }
    const stable = developmentalPath(synthetic("memorised-everywhere", k).sweep, synthetic("memorised-everywhere", k).ablation)
    expect(stable.betaStarTrend).toBe("stable")
    expect(stable.betaStar[stable.betaStar.length - 1]!.logBeta).toBe(logBetas[11])
    const lost = sweepOf((_, i, b) => (i >= 3 && i < 9 && b < 12 ? memorisedPudding(0) : { algorithm: "pudding", loss: 0.05, kl: 0.001, signAgreement: 1 }))
    const reading = developmentalPath(lost, ablationOf(1))
    expect(reading.betaStarTrend).toBe("lost")
    expect(reading.memorised).toBe(false)
  })

  it("each threshold decides: KL, decoder-only ratio, α3, and an ablation is needed", () => {
    const k = { switchAt: 3, boundary: 12, noise: 0, halfway: 0 }
    const at = (kl: number, alpha3: number) => sweepOf((_, i, b) => (i >= 3 && b < 16 ? { ...memorisedPudding(0), kl, alpha3 } : convex(0)))
    const ok = developmentalPath(at(MEMORISED.klMin, MEMORISED.alpha3Max), ablationOf(MEMORISED.decoderRatio))
    expect(ok.memorised).toBe(true)
    expect(ok.path).toBe("memorised-low-beta")
    expect(developmentalPath(at(MEMORISED.klMin * 0.99, 0), ablationOf(10)).memorised).toBe(false)
    expect(developmentalPath(at(100, MEMORISED.alpha3Max + 0.01), ablationOf(10)).memorised).toBe(false)
    expect(developmentalPath(at(100, 0), ablationOf(MEMORISED.decoderRatio * 0.99)).memorised).toBe(false)
    expect(developmentalPath(at(100, 0)).memorised).toBe(false) // no ablation: not established
    expect(developmentalPath(synthetic("memorised-low-beta", k).sweep).path).toBe("pudding-low-beta")
  })

  it("β* tolerates a few grid points without the signature below it, not a majority", () => {
    const rows = logBetas.map((logBeta, b) => ({ logBeta, kl: b < 20 && b % 6 !== 5 ? 100 : 0, alpha3: 0 }))
    expect(betaStar(rows)).toBe(logBetas[19]) // 3 gaps in 20
    const sparse = logBetas.map((logBeta, b) => ({ logBeta, kl: b < 20 && b % 2 === 0 ? 100 : 0, alpha3: 0 }))
    expect(betaStar(sparse)).toBe(logBetas[0]) // half the grid: only the lowest point
    expect(betaStar(logBetas.map((logBeta) => ({ logBeta, kl: 100, alpha3: 0.9 })))).toBe(null)
  })

  it("the trend of β* over checkpoints", () => {
    const trend = (values: ReadonlyArray<number | null>): BetaStarTrend => betaStarTrend(values.map((logBeta, k) => ({ step: 500 * (k + 1), logBeta })))
    expect(trend([null, null, null])).toBe("never")
    expect(trend([null, -10, -8, -6, -6, -6])).toBe("rises-then-stabilises")
    expect(trend([-10, -9, -8, -7, -6, -5])).toBe("rises")
    expect(trend([-6, -6.5, -6, -6.2])).toBe("stable")
    expect(trend([-4, -6, -8, -8])).toBe("falls")
    expect(trend([-6, -6, null])).toBe("lost")
  })
})
