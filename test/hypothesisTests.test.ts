import { fc } from "@fast-check/vitest"
import { describe, expect, it } from "vitest"
import { fisherExact, mannWhitneyU } from "../src/core/hypothesisTests.js"

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
