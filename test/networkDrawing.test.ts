import { fc } from "@fast-check/vitest"
import { Result } from "effect"
import { describe, expect, it } from "vitest"
import { forceLayout, type LayoutEdge } from "../src/core/network/forceLayout.js"
import { drawNetworkSvg, neuronCount } from "../src/core/network/networkDrawing.js"
import type { StoredNetwork } from "../src/core/run/results.js"

const nonFinite = fc.constantFrom(NaN, Infinity, -Infinity)
const position = fc.double({ min: -2, max: 2, noNaN: true })
/** Finite weights of any scale, the largest float64s included. */
const anyWeight = fc.oneof(fc.double({ min: -10, max: 10, noNaN: true }), fc.double({ noNaN: true, noDefaultInfinity: true }))

/** A valid layout problem: neurons, edges between them, starting positions, steps, pinned neurons. */
const layoutCase = fc.integer({ min: 1, max: 10 }).chain((count) => fc.record({
  count: fc.constant(count),
  edges: fc.array(fc.record({ from: fc.nat({ max: count - 1 }), to: fc.nat({ max: count - 1 }), weight: anyWeight }), { maxLength: 20 }),
  initial: fc.array(position, { minLength: 4 * count, maxLength: 4 * count }),
  iterations: fc.integer({ min: 0, max: 40 }),
  pinned: fc.uniqueArray(fc.nat({ max: count - 1 }), { maxLength: count })
}))

const failure = <A>(r: Result.Result<A, { readonly _tag: string; readonly source: string; readonly message: string }>) =>
  Result.isFailure(r) ? { tag: r.failure._tag, source: r.failure.source, message: r.failure.message } : "succeeded"

describe("forceLayout", () => {
  it("lays out valid inputs as finite plane positions, the pinned neurons at the origin, the same each time", () => {
    fc.assert(fc.property(layoutCase, (c) => {
      const run = () => Result.getOrThrow(forceLayout(c.count, c.edges, c.initial, { iterations: c.iterations, pinned: c.pinned }))
      const xy = run()
      expect(xy).toHaveLength(2 * c.count)
      xy.forEach((v) => expect(Number.isFinite(v)).toBe(true))
      for (const k of c.pinned) expect([xy[2 * k], xy[2 * k + 1]]).toEqual([0, 0])
      expect(run()).toEqual(xy)
    }), { numRuns: 60 })
  })

  it("fails with InvalidInput naming the argument for a wrong size, index or non-finite number, never NaN positions", () => {
    type Fault = (c: { count: number; edges: Array<LayoutEdge>; initial: Array<number>; iterations: number; pinned: Array<number> }, bad: number, k: number) => string
    const faults: ReadonlyArray<Fault> = [
      (c) => { c.initial.pop(); return "forceLayout(initial)" },
      (c) => { c.initial.push(0); return "forceLayout(initial)" },
      (c, bad, k) => { c.initial[k % c.initial.length] = bad; return `forceLayout(initial[${k % c.initial.length}])` },
      (c, bad) => { c.edges.push({ from: 0, to: c.count - 1, weight: bad }); return `forceLayout(edges[${c.edges.length - 1}].weight)` },
      (c, _, k) => { c.edges.push({ from: c.count + (k % 3), to: 0, weight: 1 }); return `forceLayout(edges[${c.edges.length - 1}])` },
      (c) => { c.edges.push({ from: 0.5, to: 0, weight: 1 }); return `forceLayout(edges[${c.edges.length - 1}])` },
      (c, bad) => { c.count = bad; return "forceLayout(count)" },
      (c) => { c.count = 0; return "forceLayout(count)" },
      (c) => { c.iterations = -1; return "forceLayout(options.iterations)" },
      (c) => { c.iterations = 2.5; return "forceLayout(options.iterations)" },
      (c, _, k) => { c.pinned = [c.count + k]; return "forceLayout(options.pinned[0])" }
    ]
    fc.assert(fc.property(layoutCase, fc.nat({ max: faults.length - 1 }), nonFinite, fc.nat(), (valid, f, bad, k) => {
      const c = { ...valid, edges: [...valid.edges], initial: [...valid.initial], pinned: [...valid.pinned] }
      const source = faults[f]!(c, bad, k)
      const r = forceLayout(c.count, c.edges, c.initial, { iterations: c.iterations, pinned: c.pinned })
      expect(failure(r)).toMatchObject({ tag: "InvalidInput", source })
    }))
    // the examples: one edge of weight ∞ or NaN, an initial array of the wrong length
    expect(failure(forceLayout(2, [{ from: 0, to: 1, weight: Infinity }], [0, 0, 0, 0, 1, 1, 1, 1], { iterations: 5 }))).toMatchObject({ message: "forceLayout: edges[0].weight must be finite, got Infinity" })
    expect(failure(forceLayout(2, [{ from: 0, to: 1, weight: 1 }], [0, 0, 0, 0], { iterations: 5 }))).toMatchObject({ message: "forceLayout: initial must hold 4 numbers per neuron (8), got 4" })
  })

  /** The smallest plane distance between two neurons of a layout, pairs of pinned neurons (both at the origin) left out. */
  const closest = (xy: Float64Array, pinned: ReadonlyArray<number>) => {
    let min = Infinity
    for (let i = 0; i < xy.length / 2; i++) {
      for (let j = i + 1; j < xy.length / 2; j++) {
        if (pinned.includes(i) && pinned.includes(j)) continue
        min = Math.min(min, Math.hypot(xy[2 * i]! - xy[2 * j]!, xy[2 * i + 1]! - xy[2 * j + 1]!))
      }
    }
    return min
  }

  it("separates neurons that start at one point: three at the origin end apart, not at distance 0", () => {
    const xy = Result.getOrThrow(forceLayout(3, [], new Array<number>(12).fill(0), { iterations: 200 }))
    expect(closest(xy, [])).toBeGreaterThan(0.1)
    // with edges, a pinned neuron on the shared point, and every neuron at a point of the plane whose extra dimensions differ
    const edges = [{ from: 0, to: 1, weight: 1 }, { from: 1, to: 2, weight: 1 }, { from: 0, to: 2, weight: 1 }, { from: 3, to: 0, weight: 2 }]
    const lifted = [0, 0, 1, 0, 0, 0, 0, 1, 0, 0, -1, 0, 0, 0, 0, 0]
    const pinned = Result.getOrThrow(forceLayout(4, edges, lifted, { iterations: 200, pinned: [3] }))
    expect(closest(pinned, [3])).toBeGreaterThan(0.1)
  })

  it("no two neurons end at one point, whatever points they start on (property)", () => {
    const sites = fc.array(fc.tuple(position, position), { minLength: 1, maxLength: 3 })
    const tied = fc.integer({ min: 2, max: 8 }).chain((count) => fc.record({
      count: fc.constant(count),
      sites,
      at: fc.array(fc.nat(), { minLength: count, maxLength: count }),
      lift: fc.array(position, { minLength: 2 * count, maxLength: 2 * count }),
      edges: fc.array(fc.record({ from: fc.nat({ max: count - 1 }), to: fc.nat({ max: count - 1 }), weight: anyWeight }), { maxLength: 12 }),
      pinned: fc.option(fc.nat({ max: count - 1 }), { nil: undefined }),
      iterations: fc.integer({ min: 200, max: 400 })
    }))
    fc.assert(fc.property(tied, (c) => {
      const initial = Array.from({ length: c.count }, (_, i) => {
        const [x, y] = c.sites[c.at[i]! % c.sites.length]!
        return [x, y, c.lift[2 * i]!, c.lift[2 * i + 1]!]
      }).flat()
      const pinned = c.pinned === undefined ? [] : [c.pinned]
      const xy = Result.getOrThrow(forceLayout(c.count, c.edges, initial, { iterations: c.iterations, pinned }))
      expect(closest(xy, pinned)).toBeGreaterThan(1e-2)
    }), { numRuns: 100 })
  })

  it("fails rather than overflow when the start is too far out", () => {
    expect(failure(forceLayout(2, [], [1e305, 1e305, 1e305, 1e305, -1e305, 0, 1e305, 1e305], { iterations: 10 }))).toMatchObject({ source: "forceLayout(initial)" })
  })
})

/** A valid network `[n0, …]` with finite weights and a start for its drawing. */
const networkCase = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 2, maxLength: 4 }).chain((shape) => {
  const layer = (size: number) => fc.array(anyWeight, { minLength: size, maxLength: size })
  return fc.record({
    net: fc.record({
      shape: fc.constant(shape),
      W: fc.tuple(...shape.slice(1).map((n, l) => layer(shape[l]! * n))),
      b: fc.tuple(...shape.slice(1).map((n) => layer(n)))
    }),
    initial: fc.array(position, { minLength: 4 * neuronCount(shape), maxLength: 4 * neuronCount(shape) })
  })
})

describe("drawNetworkSvg", () => {
  it("draws every valid network as an SVG with one finite circle per neuron", () => {
    fc.assert(fc.property(networkCase, ({ net, initial }) => {
      const svg = Result.getOrThrow(drawNetworkSvg(net, { title: "t", iterations: 20, initial }))
      expect(svg).not.toMatch(/NaN|Infinity/)
      expect(svg.match(/<circle /g)).toHaveLength(neuronCount(net.shape))
    }), { numRuns: 40 })
  })

  it("refuses a network with a non-finite weight or bias, layers of the wrong size, or a wrong start, naming it", () => {
    fc.assert(fc.property(networkCase, nonFinite, fc.nat(), fc.boolean(), ({ net, initial }, bad, k, inBias) => {
      const part = inBias ? "b" : "W"
      const l = k % net.W.length
      const values = [...net[part][l]!]
      const at = k % values.length
      values[at] = bad
      const broken: StoredNetwork = { ...net, [part]: net[part].map((v, m) => (m === l ? values : v)) }
      expect(failure(drawNetworkSvg(broken, { title: "t", iterations: 5, initial }))).toMatchObject({ tag: "InvalidInput", source: `drawNetworkSvg(net.${part}[${l}][${at}])` })
    }), { numRuns: 40 })
    const net: StoredNetwork = { shape: [2, 1], W: [[1, -1]], b: [[0]] }
    const initial = new Array(12).fill(0.1)
    expect(failure(drawNetworkSvg(net, { title: "t", iterations: 5, initial: initial.slice(1) }))).toMatchObject({ source: "drawNetworkSvg(options.initial)" })
    expect(failure(drawNetworkSvg({ ...net, W: [[1]] }, { title: "t", iterations: 5, initial }))).toMatchObject({ source: "drawNetworkSvg(net.W[0])" })
    expect(failure(drawNetworkSvg({ ...net, shape: [2, 0] }, { title: "t", iterations: 5, initial }))).toMatchObject({ source: "drawNetworkSvg(net.shape)" })
    expect(failure(drawNetworkSvg({ ...net, b: [] }, { title: "t", iterations: 5, initial }))).toMatchObject({ source: "drawNetworkSvg(net)" })
    expect(failure(drawNetworkSvg(net, { title: "t", iterations: 5, initial, size: NaN }))).toMatchObject({ source: "drawNetworkSvg(options.size)" })
  })
})
