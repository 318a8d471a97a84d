import { fc } from "@fast-check/vitest"
import { describe, expect, it } from "vitest"
import { classify, defaultThresholds } from "../src/core/classifier.js"
import { ALPHA1_MEDIAN_FLOOR, doubleSidedness, type Matrix, seedDependence, signAgreement, strongestConnection } from "../src/core/orderParameters.js"

// Subnormal weights are flushed to zero: scaling them underflows, which is float arithmetic, not
// a property of the order parameters.
const weight = fc.double({ min: -10, max: 10, noNaN: true }).map((w) => (Math.abs(w) < 1e-100 ? 0 : w))
const matrix = (rows: number, cols: number): fc.Arbitrary<Matrix> =>
  fc.array(weight, { minLength: rows * cols, maxLength: rows * cols })
    .map((data) => ({ rows, cols, data }))
const anyMatrix = fc.tuple(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 12 })).chain(([r, c]) => matrix(r, c))
const pairOfMatrices = fc.tuple(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 12 }))
  .chain(([r, c]) => fc.tuple(matrix(r, c), matrix(r, c)))
const permutation = (n: number): fc.Arbitrary<ReadonlyArray<number>> =>
  fc.array(fc.double({ noNaN: true }), { minLength: n, maxLength: n })
    .map((keys) => keys.map((k, i) => [k, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map(([, i]) => i))

const scale = (W: Matrix, c: number): Matrix => ({ ...W, data: Array.from(W.data, (w) => c * w) })
const permute = (W: Matrix, rows: ReadonlyArray<number>, cols: ReadonlyArray<number>): Matrix => ({
  ...W, data: Array.from({ length: W.rows * W.cols }, (_, k) => W.data[rows[Math.floor(k / W.cols)]! * W.cols + cols[k % W.cols]!]!)
})
const close = (a: number, b: number, rel = 1e-9): void => {
  expect(Math.abs(a - b)).toBeLessThanOrEqual(rel * Math.max(1, Math.abs(a), Math.abs(b)))
}

describe("order parameters", () => {
  it("α2 is non-negative, is the largest |W_ij| and scales with c", () => {
    fc.assert(fc.property(anyMatrix, fc.double({ min: 1e-3, max: 1e3, noNaN: true }), (W, c) => {
      const a2 = strongestConnection(W)
      expect(a2).toBeGreaterThanOrEqual(0)
      expect(Array.from(W.data).some((w) => Math.abs(w) === a2)).toBe(true)
      close(strongestConnection(scale(W, c)), c * a2)
    }))
  })

  it("α1 and α3 are invariant under W → cW, c > 0", () => {
    fc.assert(fc.property(pairOfMatrices, fc.double({ min: 1e-3, max: 1e3, noNaN: true }), ([W, V], c) => {
      close(doubleSidedness(scale(W, c)), doubleSidedness(W))
      close(seedDependence(scale(W, c), scale(V, c)), seedDependence(W, V))
    }))
  })

  it("α1 and α3 are invariant under permutations of inputs and of hidden units", () => {
    const arb = fc.tuple(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 12 })).chain(([r, c]) =>
      fc.tuple(matrix(r, c), matrix(r, c), permutation(r), permutation(c)))
    fc.assert(fc.property(arb, ([W, V, pr, pc]) => {
      close(doubleSidedness(permute(W, pr, pc)), doubleSidedness(W))
      close(seedDependence(permute(W, pr, pc), permute(V, pr, pc)), seedDependence(W, V))
    }))
  })

  it("α3 is symmetric, lies in [0, 2], vanishes on (W, W) and is 2 on (W, −W)", () => {
    fc.assert(fc.property(pairOfMatrices, ([W, V]) => {
      const a3 = seedDependence(W, V)
      expect(a3).toBeGreaterThanOrEqual(0)
      expect(a3).toBeLessThanOrEqual(2 + 1e-12)
      close(seedDependence(V, W), a3)
      expect(seedDependence(W, W)).toBe(0)
      const norm = Array.from(W.data).reduce((s, w) => s + w * w, 0)
      if (norm > 0) close(seedDependence(W, scale(W, -1)), 2)
    }))
  })

  it("gives defined values where the median or the whole matrix is zero", () => {
    const zero: Matrix = { rows: 3, cols: 4, data: new Array(12).fill(0) }
    expect(doubleSidedness(zero)).toBe(0)
    expect(seedDependence(zero, zero)).toBe(0)
    // two nonzero weights per row out of eight: the median is zero, α1 is large but finite
    const sparse: Matrix = { rows: 2, cols: 8, data: [3, -3, 0, 0, 0, 0, 0, 0, 0, 0, 2, -2, 0, 0, 0, 0] }
    const a1 = doubleSidedness(sparse)
    expect(Number.isFinite(a1)).toBe(true)
    expect(a1).toBeCloseTo(2 / (ALPHA1_MEDIAN_FLOOR * 3), 0)
  })

  it("computes the documented values on small examples", () => {
    // every input has +2 and −1: numerator min(1, 2) = 1, median |W| = 1.5
    expect(doubleSidedness({ rows: 2, cols: 2, data: [2, -1, -1, 2] })).toBeCloseTo(1 / 1.5, 12)
    // an input with only positive weights makes α1 negative
    expect(doubleSidedness({ rows: 2, cols: 2, data: [1, 2, -1, 1] })).toBeLessThan(0)
    expect(seedDependence({ rows: 1, cols: 2, data: [1, 0] }, { rows: 1, cols: 2, data: [0, 1] })).toBe(1)
  })
})

describe("sign agreement", () => {
  it("is in [0, 1] and invariant under W → c·W (c ≠ 0), scaling of out, and permutations of inputs and hidden units", () => {
    const arb = fc.tuple(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 12 }))
      .chain(([r, c]) => fc.tuple(matrix(r, c), fc.array(weight, { minLength: c, maxLength: c }), permutation(r), permutation(c)))
    // powers of two scale exactly, so products of weights keep their ties
    fc.assert(fc.property(arb, fc.integer({ min: -8, max: 8 }), fc.boolean(), ([W, out, pr, pc], e, flip) => {
      const c = 2 ** e
      for (const o of [undefined, out]) {
        const s = signAgreement(W, o)
        expect(s).toBeGreaterThanOrEqual(0)
        expect(s).toBeLessThanOrEqual(1)
        expect(signAgreement(scale(W, flip ? -c : c), o)).toBe(s)
        expect(signAgreement(permute(W, pr, pc), o === undefined ? o : pc.map((j) => o[j]!))).toBe(s)
      }
      expect(signAgreement(W, out.map((o) => -c * o))).toBe(signAgreement(W, out))
    }))
    expect(() => signAgreement({ rows: 1, cols: 2, data: [1, 2] }, [1])).toThrow(/one outgoing strength per hidden unit: 2, got 1/)
  })

  it("counts the sign of each input's strongest weight: 1 for one sign, |#plus − #minus| / n0 for mixed", () => {
    // each input gets a strong weight of the drawn sign on a unit of its own, weak noise elsewhere
    const arb = fc.integer({ min: 1, max: 16 }).chain((n) => fc.tuple(
      fc.array(fc.boolean(), { minLength: n, maxLength: n }),
      fc.array(fc.double({ min: -0.5, max: 0.5, noNaN: true }), { minLength: n * 3 * n, maxLength: n * 3 * n })
    ))
    fc.assert(fc.property(arb, ([plus, noise]) => {
      const n = plus.length
      const cols = 3 * n
      const data = noise.map((w, k) => (k % cols === Math.floor(k / cols) ? (plus[Math.floor(k / cols)] ? 4 : -4) : w))
      const ups = plus.filter(Boolean).length
      expect(signAgreement({ rows: n, cols, data })).toBeCloseTo(Math.abs(2 * ups - n) / n, 12)
    }))
    expect(signAgreement({ rows: 2, cols: 2, data: [3, -3, 0, 0] })).toBe(0) // a tie of both signs and a zero row count 0
    expect(signAgreement({ rows: 3, cols: 2, data: [1, -2, -1, 0.5, -0.1, 0] })).toBe(1)
  })
})

describe("classifier", () => {
  it("follows the boundaries in order: weak α2 → convexity, then high α1 → double-sided, else pudding", () => {
    fc.assert(fc.property(fc.double({ min: -100, max: 1e7, noNaN: true }), fc.double({ min: 0, max: 20, noNaN: true }), (alpha1, alpha2) => {
      const c = classify({ alpha1, alpha2 })
      expect(c).toBe(alpha2 < 2 ? "convexity" : alpha1 > 10 ? "double-sided" : "pudding")
    }))
  })

  it("takes configurable thresholds", () => {
    const p = { alpha1: 5, alpha2: 3 }
    expect(classify(p)).toBe("pudding")
    expect(classify(p, { ...defaultThresholds, doubleSidedMinAlpha1: 4 })).toBe("double-sided")
    expect(classify(p, { ...defaultThresholds, convexityMaxAlpha2: 3.5 })).toBe("convexity")
  })
})
