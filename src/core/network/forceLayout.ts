/**
 * Force-directed layout of a network's neurons (paper appendix B.1). Positions live in four
 * dimensions and descend the energy
 *
 *     E = Σ_(all pairs) 1/r  +  Σ_(edges) k·r²  +  Σ_(neurons) r²  +  λ(t)·Σ_(neurons) (x₃² + x₄²)
 *
 * where k is an edge's |weight| (relative to the mean |weight|, so networks of any scale compare)
 * and λ grows over the iterations until the extra two dimensions vanish, leaving a plane drawing.
 * Four dimensions let tangled modules slide past each other before the layout flattens.
 *
 * Neurons that start at one point of the plane feel no force apart (the repulsion between them has
 * no direction) and would stay together for ever; the layout moves each such neuron (and one
 * within 1e-6 of another), after the first at that point, by {@link TIE_OFFSET} in a direction of
 * its own (the golden angle times its index), deterministically, before the first step. Other
 * starts are laid out exactly as given.
 */
import { Result } from "effect"
import { InvalidInput } from "../base/schemas.js"
import { firstNonFinite } from "../base/schemas.js"

export interface LayoutEdge {
  readonly from: number
  readonly to: number
  readonly weight: number
}

export interface LayoutOptions {
  /** Gradient steps (a non-negative integer). */
  readonly iterations: number
  /** Neurons held at the origin (the output neuron, drawn at the centre). */
  readonly pinned?: ReadonlyArray<number>
}

const DIMS = 4

/** How far a neuron that starts on another's point of the plane is moved off it (the layout's lengths are of order 1). */
export const TIE_OFFSET = 1e-3
const GOLDEN_ANGLE = Math.PI * (3 - Math.sqrt(5))

/**
 * Move every unpinned neuron whose plane position (the first two of its four coordinates) lies
 * within `TIE_OFFSET / 1000` of a pinned neuron's or an earlier neuron's (relative to the
 * position's magnitude beyond 1) along its own angle, `index × golden angle`, by
 * {@link TIE_OFFSET} (or a multiple, until it is clear), so that no two start on one point: three
 * neurons at one point go three different ways. Neurons further apart already push each other
 * apart within a step; ones this close (or equal: no direction at all) would take tens of steps,
 * or for ever.
 */
const breakTies = (p: Float64Array, count: number, pinned: ReadonlySet<number>): void => {
  const placed: Array<number> = [...pinned]
  const clash = (i: number) => {
    const [x, y] = [p[i * DIMS]!, p[i * DIMS + 1]!]
    const radius = (TIE_OFFSET / 1000) * Math.max(1, Math.abs(x), Math.abs(y))
    return placed.some((j) => Math.abs(p[j * DIMS]! - x) < radius && Math.abs(p[j * DIMS + 1]! - y) < radius)
  }
  for (let i = 0; i < count; i++) {
    if (pinned.has(i)) continue
    const [x, y] = [p[i * DIMS]!, p[i * DIMS + 1]!]
    // relative to the position far from the origin, where 1e-3 would be lost in rounding
    const step = TIE_OFFSET * Math.max(1, Math.abs(x), Math.abs(y))
    for (let m = 1; m <= count && clash(i); m++) {
      p[i * DIMS] = x + m * step * Math.cos(i * GOLDEN_ANGLE)
      p[i * DIMS + 1] = y + m * step * Math.sin(i * GOLDEN_ANGLE)
    }
    placed.push(i)
  }
}

const fail = (argument: string, problem: string): Result.Result<never, InvalidInput> =>
  Result.fail(new InvalidInput({ source: `forceLayout(${argument})`, message: `forceLayout: ${argument} ${problem}` }))

/** The first problem with forceLayout's arguments, if any. */
const checkArguments = (count: number, edges: ReadonlyArray<LayoutEdge>, initial: ArrayLike<number>, options: LayoutOptions): Result.Result<void, InvalidInput> => {
  if (!Number.isInteger(count) || count < 1) return fail("count", `must be a positive integer, got ${count}`)
  if (initial.length !== count * DIMS) return fail("initial", `must hold ${DIMS} numbers per neuron (${count * DIMS}), got ${initial.length}`)
  const k = firstNonFinite(initial)
  if (k >= 0) return fail(`initial[${k}]`, `must be finite, got ${initial[k]}`)
  const neuron = (i: number) => Number.isInteger(i) && i >= 0 && i < count
  for (const [e, edge] of edges.entries()) {
    if (!neuron(edge.from) || !neuron(edge.to)) return fail(`edges[${e}]`, `must join neurons 0…${count - 1}, got ${edge.from} → ${edge.to}`)
    if (!Number.isFinite(edge.weight)) return fail(`edges[${e}].weight`, `must be finite, got ${edge.weight}`)
  }
  if (!Number.isInteger(options.iterations) || options.iterations < 0) return fail("options.iterations", `must be a non-negative integer, got ${options.iterations}`)
  for (const [q, i] of (options.pinned ?? []).entries()) if (!neuron(i)) return fail(`options.pinned[${q}]`, `must be a neuron 0…${count - 1}, got ${i}`)
  return Result.succeed(undefined)
}

/**
 * Lay out `count` neurons from `initial` positions (`count × 4` finite numbers, e.g. normal draws)
 * joined by `edges` (endpoints in `0 … count − 1`, finite weights of any scale). Returns
 * `count × 2` plane positions, finite. Pure: the same inputs give the same layout. Neurons that
 * start at one point are moved apart first (see above), so they do not end at one point. Fails
 * with InvalidInput naming the argument when a size, an index or a number is out of its domain.
 */
export const forceLayout = (count: number, edges: ReadonlyArray<LayoutEdge>, initial: ArrayLike<number>, options: LayoutOptions): Result.Result<Float64Array, InvalidInput> =>
  Result.flatMap(checkArguments(count, edges, initial, options), () => {
    const xy = layout(count, edges, initial, options)
    // finite inputs so far from the origin that the decay overflows (|initial| near 1e305)
    return firstNonFinite(xy) < 0 ? Result.succeed(xy) : fail("initial", "is too far from the origin: the layout overflowed")
  })

const layout = (count: number, edges: ReadonlyArray<LayoutEdge>, initial: ArrayLike<number>, options: LayoutOptions): Float64Array => {
  const p = Float64Array.from(initial)
  const pinned = new Set(options.pinned ?? [])
  for (const k of pinned) p.fill(0, k * DIMS, (k + 1) * DIMS)
  breakTies(p, count, pinned)
  // strengths relative to the mean |weight|; where the sum overflows, through the largest weight
  const sum = edges.reduce((a, e) => a + Math.abs(e.weight), 0)
  const top = edges.reduce((a, e) => Math.max(a, Math.abs(e.weight)), 0)
  const strength = Number.isFinite(sum)
    ? edges.map((e) => Math.abs(e.weight) / (sum / Math.max(1, edges.length) || 1))
    : edges.map((e) => Math.abs(e.weight) / top / (edges.reduce((a, f) => a + Math.abs(f.weight) / top, 0) / edges.length))
  const g = new Float64Array(p.length)
  const T = options.iterations
  for (let t = 0; t < T; t++) {
    g.fill(0)
    for (let i = 0; i < count; i++) {
      for (let j = i + 1; j < count; j++) {
        let r2 = 1e-6
        for (let d = 0; d < DIMS; d++) r2 += (p[i * DIMS + d]! - p[j * DIMS + d]!) ** 2
        const f = 1 / (r2 * Math.sqrt(r2)) // ∂(1/r)/∂x_i = −(x_i − x_j)/r³
        for (let d = 0; d < DIMS; d++) {
          const diff = p[i * DIMS + d]! - p[j * DIMS + d]!
          g[i * DIMS + d]! -= f * diff
          g[j * DIMS + d]! += f * diff
        }
      }
    }
    edges.forEach((e, k) => {
      for (let d = 0; d < DIMS; d++) {
        const diff = p[e.from * DIMS + d]! - p[e.to * DIMS + d]!
        g[e.from * DIMS + d]! += 2 * strength[k]! * diff
        g[e.to * DIMS + d]! -= 2 * strength[k]! * diff
      }
    })
    // the decay on the extra dimensions grows geometrically from 0.01 to 1e4 over the run
    const lambda = 0.01 * Math.pow(1e6, t / Math.max(1, T - 1))
    for (let i = 0; i < count; i++) {
      for (let d = 0; d < DIMS; d++) g[i * DIMS + d]! += 2 * p[i * DIMS + d]! * (d >= 2 ? 1 + lambda : 1)
    }
    // a step that never moves a neuron by more than `cap`, shrinking as the layout settles
    const cap = 0.05 * (1 - t / T) + 0.002
    for (let i = 0; i < count; i++) {
      if (pinned.has(i)) continue
      let norm = 0
      for (let d = 0; d < DIMS; d++) norm += g[i * DIMS + d]! ** 2
      const scale = Math.min(0.01, cap / (Math.sqrt(norm) + 1e-12))
      for (let d = 0; d < DIMS; d++) p[i * DIMS + d]! -= scale * g[i * DIMS + d]!
    }
  }
  const out = new Float64Array(count * 2)
  for (let i = 0; i < count; i++) {
    out[2 * i] = p[i * DIMS]!
    out[2 * i + 1] = p[i * DIMS + 1]!
  }
  return out
}
