import { fc } from "@fast-check/vitest"
import { describe, expect, it } from "vitest"
import { cochranArmitage, fisherExact, mannWhitneyU } from "../src/core/study/hypothesisTests.js"

// reference values from scipy 1.x: fisher_exact(table), mannwhitneyu(x, y, method="asymptotic")
describe("Fisher's exact test", () => {
  it("gives scipy's p values", () => {
    expect(fisherExact(1, 10, 11, 14)).toBeCloseTo(0.0027594561852200836, 12)
    expect(fisherExact(20, 33, 9, 12)).toBeCloseTo(0.4913358873748655, 12)
    expect(fisherExact(0, 33, 3, 12)).toBeCloseTo(0.015503875968992246, 12)
  })

  it("is a probability, symmetric in the groups and in success/failure, and 1 for equal shares", () => {
    const table = fc.tuple(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40 })).chain(([n1, n2]) =>
      fc.tuple(fc.integer({ min: 0, max: n1 }), fc.constant(n1), fc.integer({ min: 0, max: n2 }), fc.constant(n2)))
    fc.assert(fc.property(table, ([k1, n1, k2, n2]) => {
      const p = fisherExact(k1, n1, k2, n2)
      expect(p).toBeGreaterThan(0)
      expect(p).toBeLessThanOrEqual(1)
      expect(fisherExact(k2, n2, k1, n1)).toBeCloseTo(p, 10)
      expect(fisherExact(n1 - k1, n1, n2 - k2, n2)).toBeCloseTo(p, 10)
      expect(fisherExact(k1, n1, k1, n1)).toBeCloseTo(1, 10)
    }), { seed: 15 })
  })

  it("is NaN for a table that is not one", () => {
    for (const [k1, n1, k2, n2] of [[1, 0, 1, 3], [4, 3, 1, 3], [-1, 3, 1, 3], [1.5, 3, 1, 3]] as const) expect(fisherExact(k1, n1, k2, n2)).toBeNaN()
  })
})

describe("the Mann–Whitney U test", () => {
  it("gives scipy's U and p values (ties included)", () => {
    const a = mannWhitneyU([1, 2, 3, 4, 5], [6, 7, 8, 9, 10])
    expect(a.u).toBe(0)
    expect(a.p).toBeCloseTo(0.012185780355344813, 12)
    const b = mannWhitneyU([0.1, 0.2, 0.2, 0.5, 0.9, 0.3], [0.2, 0.4, 0.4, 0.8, 1.0, 1.1, 0.6])
    expect(b.u).toBe(10)
    expect(b.p).toBeCloseTo(0.13093895003234252, 12)
  })

  it("is a probability, symmetric in the samples, blind to monotone maps, and 1 for one sample against itself", () => {
    // quarter steps: ties are common, and exp keeps distinct values distinct
    const sample = fc.array(fc.integer({ min: -20, max: 20 }).map((k) => k / 4), { minLength: 2, maxLength: 30 })
    fc.assert(fc.property(sample, sample, (xs, ys) => {
      const r = mannWhitneyU(xs, ys)
      expect(r.p).toBeGreaterThanOrEqual(0)
      expect(r.p).toBeLessThanOrEqual(1)
      expect(r.u + mannWhitneyU(ys, xs).u).toBeCloseTo(xs.length * ys.length, 9)
      expect(mannWhitneyU(ys, xs).p).toBeCloseTo(r.p, 12)
      expect(mannWhitneyU(xs.map(Math.exp), ys.map(Math.exp)).p).toBeCloseTo(r.p, 12)
      expect(mannWhitneyU(xs, xs).p).toBe(1)
    }), { seed: 15 })
  })

  it("is NaN for an empty sample or one holding a value that is not finite", () => {
    expect(mannWhitneyU([], [1, 2]).p).toBeNaN()
    expect(mannWhitneyU([1, Number.NaN], [1, 2]).p).toBeNaN()
    expect(mannWhitneyU([1, Number.POSITIVE_INFINITY], [1, 2]).p).toBeNaN()
  })
})

describe("the Cochran–Armitage trend test", () => {
  it("gives Agresti's value for alcohol and malformation (Categorical Data Analysis, table 2.7: z = 2.56)", () => {
    const present = [48, 38, 5, 1, 1]
    const absent = [17066, 14464, 788, 126, 37]
    const r = cochranArmitage([0, 0.5, 1.5, 4, 7].map((score, i) => ({ score, k: present[i]!, n: present[i]! + absent[i]! })))
    expect(r.z).toBeCloseTo(2.56, 2)
    expect(r.p).toBeCloseTo(0.0104, 3)
  })

  it("changes sign with the scores, is invariant under affine maps of them, and is 1 for equal shares", () => {
    const group = fc.record({ k: fc.integer({ min: 0, max: 20 }), extra: fc.integer({ min: 0, max: 20 }), score: fc.integer({ min: -40, max: 40 }).map((s) => s / 4) })
    fc.assert(fc.property(fc.array(group, { minLength: 2, maxLength: 6 }), fc.double({ min: 0.1, max: 10, noNaN: true }), fc.double({ min: -5, max: 5, noNaN: true }), (gs, a, b) => {
      const groups = gs.map((g) => ({ score: g.score, k: g.k, n: g.k + g.extra }))
      const r = cochranArmitage(groups)
      if (Number.isNaN(r.z)) return
      expect(r.p).toBeGreaterThan(0)
      expect(r.p).toBeLessThanOrEqual(1)
      const flipped = cochranArmitage(groups.map((g) => ({ ...g, score: -g.score })))
      expect(flipped.z).toBeCloseTo(-r.z, 6)
      expect(cochranArmitage(groups.map((g) => ({ ...g, score: a * g.score + b }))).z).toBeCloseTo(r.z, 6)
    }), { seed: 20 })
    expect(cochranArmitage([{ score: 0, k: 3, n: 10 }, { score: 1, k: 3, n: 10 }, { score: 2, k: 3, n: 10 }]).p).toBeCloseTo(1, 12)
  })

  it("is NaN when there is nothing to test", () => {
    expect(cochranArmitage([]).p).toBeNaN()
    expect(cochranArmitage([{ score: 0, k: 0, n: 5 }, { score: 1, k: 0, n: 5 }]).p).toBeNaN()
    expect(cochranArmitage([{ score: 1, k: 2, n: 5 }, { score: 1, k: 4, n: 5 }]).p).toBeNaN()
  })
})
