import { fc } from "@fast-check/vitest"
import { Result, Schema } from "effect"
import { describe, expect, it } from "vitest"
import { classify, type ClassifierInputs, classifyFirstLayer, classReason, defaultThresholds, Thresholds } from "../src/core/network/classifier.js"
import { InvalidInput } from "../src/core/base/errors.js"
import { doubleSidedness, firstLayer, matrix as makeMatrix, type Matrix, outgoingStrengths, pathBalance, seedDependence, signAgreement, strongestConnection } from "../src/core/network/orderParameters.js"

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
    // two nonzero weights per row out of eight: the median is zero, so α1 divides by the median
    // of the nonzero |W| (3, 3, 2, 2 → 2.5); the numerator is min(3, 2) = 2
    const sparse: Matrix = { rows: 2, cols: 8, data: [3, -3, 0, 0, 0, 0, 0, 0, 0, 0, 2, -2, 0, 0, 0, 0] }
    expect(doubleSidedness(sparse)).toBeCloseTo(2 / 2.5, 12)
  })

  it("α1 is the paper's Eq. 5 wherever the median is nonzero, and uses the nonzero median where it is zero", () => {
    const eq5 = (W: Matrix, denominator: (abs: ReadonlyArray<number>) => number): number => {
      const rows = Array.from({ length: W.rows }, (_, i) => Array.from(W.data).slice(i * W.cols, (i + 1) * W.cols))
      const numerator = Math.min(...rows.map((r) => Math.min(-Math.min(...r), Math.max(...r))))
      return numerator / denominator(Array.from(W.data, Math.abs))
    }
    const medianOf = (xs: ReadonlyArray<number>) => {
      const a = [...xs].sort((x, y) => x - y)
      return a.length % 2 === 1 ? a[(a.length - 1) / 2]! : (a[a.length / 2 - 1]! + a[a.length / 2]!) / 2
    }
    // weights drawn from a few values with zero common, so that both cases come up
    const sparseish = fc.tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 10 })).chain(([r, c]) =>
      fc.array(fc.oneof(fc.constant(0), fc.constant(0), weight), { minLength: r * c, maxLength: r * c }).map((data) => ({ rows: r, cols: c, data })))
    fc.assert(fc.property(sparseish, (W) => {
      const abs = Array.from(W.data, Math.abs)
      if (abs.every((a) => a === 0)) expect(doubleSidedness(W)).toBe(0)
      else close(doubleSidedness(W), medianOf(abs) > 0 ? eq5(W, medianOf) : eq5(W, (a) => medianOf(a.filter((x) => x > 0))))
    }))
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
      for (const o of [new Array<number>(W.cols).fill(1), out]) {
        const s = signAgreement(W, o)
        expect(s).toBeGreaterThanOrEqual(0)
        expect(s).toBeLessThanOrEqual(1)
        expect(signAgreement(scale(W, flip ? -c : c), o)).toBe(s)
        expect(signAgreement(permute(W, pr, pc), pc.map((j) => o[j]!))).toBe(s)
      }
      expect(signAgreement(W, out.map((o) => -c * o))).toBe(signAgreement(W, out))
    }))
    expect(() => signAgreement({ rows: 1, cols: 2, data: [1, 2] }, [1])).toThrow(/one outgoing strength per hidden unit: 2, got 1/)
  })

  it("counts the sign of each input's strongest path: 1 for one sign, |#plus − #minus| / n0 for mixed", () => {
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
      expect(signAgreement({ rows: n, cols, data }, new Array<number>(cols).fill(1))).toBeCloseTo(Math.abs(2 * ups - n) / n, 12)
    }))
    expect(signAgreement({ rows: 2, cols: 2, data: [3, -3, 0, 0] }, [1, 1])).toBe(0) // a tie of both signs and a zero row count 0
    expect(signAgreement({ rows: 3, cols: 2, data: [1, -2, -1, 0.5, -0.1, 0] }, [1, 1])).toBe(1)
    // the outgoing strengths pick the path: a strong weight into a unit that leads nowhere loses
    expect(signAgreement({ rows: 2, cols: 2, data: [4, -1, 4, -1] }, [0, 1])).toBe(1)
  })

  it("cannot be called without the outgoing strengths", () => {
    const W = { rows: 1, cols: 2, data: [-4, 4] }
    // @ts-expect-error the outgoing strengths are required
    expect(() => signAgreement(W)).toThrow(InvalidInput)
    // @ts-expect-error the outgoing strengths are required
    expect(() => pathBalance(W)).toThrow(/needs the outgoing strength of each of the 2 hidden units/)
  })
})

describe("path balance", () => {
  it("is in [0, 1] and invariant under W → c·W (c ≠ 0), scaling of out, and permutations of inputs and hidden units", () => {
    const arb = fc.tuple(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 12 }))
      .chain(([r, c]) => fc.tuple(matrix(r, c), fc.array(weight, { minLength: c, maxLength: c }), permutation(r), permutation(c)))
    fc.assert(fc.property(arb, fc.double({ min: 1e-3, max: 1e3, noNaN: true }), fc.boolean(), ([W, out, pr, pc], c, flip) => {
      const rho = pathBalance(W, out)
      expect(rho).toBeGreaterThanOrEqual(0)
      expect(rho).toBeLessThanOrEqual(1)
      close(pathBalance(scale(W, flip ? -c : c), out), rho)
      close(pathBalance(W, out.map((o) => -c * o)), rho)
      close(pathBalance(permute(W, pr, pc), pc.map((j) => out[j]!)), rho)
    }))
  })

  it("is 1 for two equal paths of opposite sign per input and |weaker| / |stronger| otherwise", () => {
    // per input: a positive path of strength a and a negative one of strength b on units of its own
    const arb = fc.integer({ min: 1, max: 8 }).chain((n) => fc.array(fc.tuple(fc.double({ min: 0.1, max: 10, noNaN: true }), fc.double({ min: 0.1, max: 10, noNaN: true })), { minLength: n, maxLength: n }))
    fc.assert(fc.property(arb, (paths) => {
      const n = paths.length
      const data = new Array<number>(n * 2 * n).fill(0)
      paths.forEach(([a, b], i) => { data[i * 2 * n + i] = a; data[i * 2 * n + n + i] = -b })
      close(pathBalance({ rows: n, cols: 2 * n, data }, new Array<number>(2 * n).fill(1)), Math.min(...paths.map(([a, b]) => Math.min(a, b) / Math.max(a, b))))
    }))
    expect(pathBalance({ rows: 1, cols: 2, data: [3, -3] }, [1, 1])).toBe(1)
    expect(pathBalance({ rows: 2, cols: 4, data: [3, -3, 0, 0, 0, 0, 1, 2] }, [1, 1, 1, 1])).toBe(0) // an input with one sign only
    // the strongest paths through a unit another input feeds count nothing
    expect(pathBalance({ rows: 2, cols: 4, data: [3, -3, 0, 0, 0, 0.5, 1, -1] }, [1, 1, 1, 1])).toBe(0)
    // … but a weaker path through a shared unit does not spoil an input's own pair
    expect(pathBalance({ rows: 2, cols: 5, data: [3, -3, 0, 0, 1, 0, 0, 2, -2, 1] }, [1, 1, 1, 1, 1])).toBe(1)
  })

  it("is 0 for any network whose hidden units all have two or more nonzero inputs, where the class is the paper's", () => {
    const nonzero = fc.double({ min: -10, max: 10, noNaN: true }).filter((w) => Math.abs(w) > 1e-100)
    const dense = fc.tuple(fc.integer({ min: 2, max: 8 }), fc.integer({ min: 1, max: 12 }))
      .chain(([r, c]) => fc.tuple(fc.array(nonzero, { minLength: r * c, maxLength: r * c }).map((data) => ({ rows: r, cols: c, data })), fc.array(weight, { minLength: c, maxLength: c })))
    fc.assert(fc.property(dense, ([W, out]) => {
      expect(pathBalance(W, out)).toBe(0)
      const { alpha1, alpha2, algorithm } = classifyFirstLayer({ W, out: Float64Array.from(out) })
      expect(algorithm).toBe(alpha2 < 2 ? "convexity" : alpha1 > 10 ? "double-sided" : "pudding")
    }))
  })
})

describe("arguments of the order parameters", () => {
  const W = { rows: 2, cols: 3, data: [1, -2, 3, -4, 5, -6] }
  it("a matrix must hold rows × cols numbers with positive integer sizes (InvalidInput naming the argument)", () => {
    const bad: ReadonlyArray<Matrix> = [{ rows: 2, cols: 3, data: [1, 2, 3] }, { rows: 0, cols: 3, data: [] }, { rows: 1.5, cols: 2, data: [1, 2, 3] }, { rows: 2, cols: NaN, data: [] }]
    for (const B of bad) {
      expect(() => doubleSidedness(B)).toThrow(InvalidInput)
      expect(() => strongestConnection(B)).toThrow(/strongestConnection\(W\)/)
      expect(() => seedDependence(W, B)).toThrow(/seedDependence\(V\)/)
      expect(() => signAgreement(B, [1, 1, 1])).toThrow(InvalidInput)
      expect(() => pathBalance(B, [1, 1, 1])).toThrow(InvalidInput)
      expect(() => outgoingStrengths(B)).toThrow(InvalidInput)
      expect(Result.isFailure(makeMatrix(B.rows, B.cols, B.data))).toBe(true)
    }
    expect(() => seedDependence(W, { rows: 3, cols: 2, data: [1, 2, 3, 4, 5, 6] })).toThrow(/one shape, got 2×3 and 3×2/)
    expect(() => pathBalance(W, [1, 1])).toThrow(/one outgoing strength per hidden unit: 3, got 2/)
    expect(Result.getOrThrow(makeMatrix(2, 3, W.data))).toEqual(W)
    expect(() => firstLayer([2, 3, 1], [W.data, [1, 2]])).toThrow(/firstLayer\(W\[1\]\)/)
  })

  it("a non-finite weight or strength makes every order parameter NaN, never a plausible number", () => {
    const arb = fc.tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 8 }))
      .chain(([r, c]) => fc.tuple(matrix(r, c), matrix(r, c), fc.array(weight, { minLength: c, maxLength: c }), fc.nat(), fc.constantFrom(NaN, Infinity, -Infinity), fc.boolean()))
    fc.assert(fc.property(arb, ([W, V, out, at, bad, inOut]) => {
      if (inOut) {
        const o = out.map((v, k) => (k === at % out.length ? bad : v))
        expect(signAgreement(W, o)).toBeNaN()
        expect(pathBalance(W, o)).toBeNaN()
        return
      }
      const B = { ...W, data: Array.from(W.data, (v, k) => (k === at % W.data.length ? bad : v)) }
      for (const value of [doubleSidedness(B), strongestConnection(B), seedDependence(B, V), seedDependence(V, B), signAgreement(B, out), pathBalance(B, out)]) expect(value).toBeNaN()
      expect(classifyFirstLayer({ W: B, out: Float64Array.from(out) }).algorithm).toBe("unclassifiable")
    }))
  })
})

describe("classifier", () => {
  const finite = fc.record({ alpha1: fc.double({ min: -100, max: 1e7, noNaN: true }), alpha2: fc.double({ min: 0, max: 20, noNaN: true }), pathBalance: fc.double({ min: 0, max: 1, noNaN: true }) })

  it("follows the boundaries in order: weak α2 → convexity, then high α1 or balanced paths → double-sided, else pudding", () => {
    fc.assert(fc.property(finite, (p) => {
      expect(classify(p)).toBe(p.alpha2 < 2 ? "convexity" : p.alpha1 > 10 || p.pathBalance > 0.75 ? "double-sided" : "pudding")
    }))
  })

  it("calls non-finite order parameters unclassifiable, never an algorithm", () => {
    expect(classify({ alpha1: NaN, alpha2: NaN, pathBalance: NaN })).toBe("unclassifiable")
    const nonFinite = fc.constantFrom(NaN, Infinity, -Infinity)
    fc.assert(fc.property(finite, nonFinite, fc.constantFrom("alpha1" as const, "alpha2" as const, "pathBalance" as const), (p, bad, field) => {
      expect(classify({ ...p, [field]: bad })).toBe("unclassifiable")
    }))
  })

  it("takes configurable thresholds, rejects invalid ones, and decodes files written before path balance", () => {
    const p = { alpha1: 5, alpha2: 3, pathBalance: 0.6 }
    expect(classify(p)).toBe("pudding")
    expect(classify(p, { ...defaultThresholds, doubleSidedMinAlpha1: 4 })).toBe("double-sided")
    expect(classify(p, { ...defaultThresholds, convexityMaxAlpha2: 3.5 })).toBe("convexity")
    expect(classify(p, { ...defaultThresholds, doubleSidedMinPathBalance: 0.5 })).toBe("double-sided")
    for (const bad of [{ convexityMaxAlpha2: NaN }, { doubleSidedMinAlpha1: -1 }, { doubleSidedMinPathBalance: 0.2 }]) {
      expect(() => classify(p, { ...defaultThresholds, ...bad })).toThrow(InvalidInput)
    }
    expect(Schema.decodeUnknownSync(Thresholds)({ convexityMaxAlpha2: 2, doubleSidedMinAlpha1: 10 })).toEqual(defaultThresholds)
  })

  it("from plain JavaScript, refuses a missing or mistyped input with InvalidInput naming it, never \"unclassifiable\"", () => {
    const thrown = (p: unknown) => {
      try {
        return `returned ${classify(p as ClassifierInputs)}`
      } catch (e) {
        return e instanceof InvalidInput ? `${e.source}: ${e.message}` : `threw ${String(e)}`
      }
    }
    expect(thrown({ alpha1: 12, alpha2: 3 })).toBe("classify(p.pathBalance): classify: p.pathBalance is missing; classify reads alpha1, alpha2 and pathBalance (classifyFirstLayer computes all three from a first layer)")
    expect(thrown({ alpha2: 3, pathBalance: 0 })).toMatch(/^classify\(p\.alpha1\): classify: p\.alpha1 is missing/)
    expect(thrown({ alpha1: 12, alpha2: "3", pathBalance: 0 })).toBe('classify(p.alpha2): classify: p.alpha2 must be a number, got "3"')
    expect(thrown(null)).toBe("classify(p): classify: p must be an object { alpha1, alpha2, pathBalance }, got null")
    fc.assert(fc.property(finite, fc.constantFrom("alpha1" as const, "alpha2" as const, "pathBalance" as const), fc.constantFrom(undefined, null, "1", true, {}), (p, field, bad) => {
      expect(thrown({ ...p, [field]: bad })).toMatch(new RegExp(`^classify\\(p\\.${field}\\): `))
    }))
  })

  it("explains its class by the comparisons that decided it", () => {
    expect(classReason({ alpha1: 5.62, alpha2: 1.2, pathBalance: 0 })).toBe("α2 1.20 < 2.00")
    expect(classReason({ alpha1: 5.62, alpha2: 3.74, pathBalance: 0 })).toBe("α2 3.74 ≥ 2.00, α1 5.62 ≤ 10.0, path balance 0.00 ≤ 0.750")
    expect(classReason({ alpha1: 1, alpha2: 4, pathBalance: 1 })).toBe("α2 4.00 ≥ 2.00, path balance 1.00 > 0.750")
    expect(classReason({ alpha1: 25, alpha2: 4, pathBalance: 1 })).toBe("α2 4.00 ≥ 2.00, α1 25.0 > 10.0 and path balance 1.00 > 0.750")
    expect(classReason({ alpha1: NaN, alpha2: 4, pathBalance: 1 })).toBe("an order parameter is not a finite number (α1 NaN, α2 4.00, path balance 1.00)")
  })
})
