import { fc } from "@fast-check/vitest"
import { describe, expect, it } from "vitest"
import { logBetaGrid } from "../src/core/betaGrid.js"
import type { Algorithm } from "../src/core/classifier.js"
import { type DevelopmentalPath, developmentalPath } from "../src/core/developmentalPath.js"
import type { AblationResult, SweepResult } from "../src/core/results.js"

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

const sweepOf = (cell: (step: number, k: number, b: number) => { algorithm: Algorithm; loss: number; kl: number; signAgreement: number }): SweepResult => ({
  seeds: 4, samples: 64,
  rows: steps.flatMap((step, k) => logBetas.map((logBeta, b): Row => {
    const c = cell(step, k, b)
    return { step, logBeta, lossMin: c.loss * 0.8, lossMax: c.loss * 1.2, alpha1: 2, alpha2: c.algorithm === "convexity" ? 1 : 3, alpha3: 1, ...c }
  }))
})
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
    const kinds: ReadonlyArray<DevelopmentalPath> = ["convexity-throughout", "pudding-everywhere", "pudding-low-beta", "through-double-sided", "stalled", "other"]
    fc.assert(fc.property(fc.constantFrom(...kinds), knobs, (kind, k) => {
      const { sweep, ablation } = synthetic(kind, k)
      expect(developmentalPath(sweep, ablation).path).toBe(kind)
    }), { numRuns: 200 })
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
