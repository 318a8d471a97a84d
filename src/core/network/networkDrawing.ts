import { Result } from "effect"
import { InvalidInput } from "../base/schemas.js"
import { firstNonFinite } from "../base/schemas.js"
import { forceLayout, type LayoutEdge } from "./forceLayout.js"
import { decodeNetShape } from "./netShape.js"
import type { StoredNetwork } from "../run/index.js"

/** The paper's colours: inputs green, output magenta, positive weights red, negative blue. */
const drawingColours = { input: "#1a9850", output: "#d01c8b", hidden: "#404040", positive: "#d7301f", negative: "#2b6cb0" } as const

export interface DrawingOptions {
  readonly title: string
  /** Layout steps (a non-negative integer). */
  readonly iterations: number
  /** `count × 4` finite starting positions, `count` = {@link neuronCount} (from the Rng, so drawings replay). */
  readonly initial: ArrayLike<number>
  /** Width in pixels, at least 64 (default 420). */
  readonly size?: number
}

/** Neurons of a network in order: inputs, then each hidden layer, then outputs. */
const neuronOffsets = (shape: ReadonlyArray<number>): ReadonlyArray<number> => {
  const offsets: Array<number> = []
  let at = 0
  for (const n of shape) {
    offsets.push(at)
    at += n
  }
  return offsets
}

export const neuronCount = (shape: ReadonlyArray<number>): number => shape.reduce((a, b) => a + b, 0)

/** The edges of a network for the layout, biases excluded. */
const networkEdges = (net: StoredNetwork): ReadonlyArray<LayoutEdge> => {
  const offsets = neuronOffsets(net.shape)
  return net.W.flatMap((W, l) => {
    const rows = net.shape[l]!
    const cols = net.shape[l + 1]!
    return Array.from({ length: rows * cols }, (_, k) => ({ from: offsets[l]! + Math.floor(k / cols), to: offsets[l + 1]! + (k % cols), weight: W[k]! }))
  })
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")

const invalid = (argument: string, problem: string) =>
  Result.fail(new InvalidInput({ source: `drawNetworkSvg(${argument})`, message: `drawNetworkSvg: ${argument} ${problem}` }))

/** The first problem with a network to draw: its shape, the sizes of its layers, a non-finite number. */
const checkNetwork = (net: StoredNetwork): Result.Result<void, InvalidInput> => {
  const shape = decodeNetShape(net.shape, "drawNetworkSvg(net.shape)")
  if (Result.isFailure(shape)) return Result.fail(shape.failure)
  const N = net.shape.length - 1
  if (net.W.length !== N || net.b.length !== N) return invalid("net", `of shape [${net.shape.join(", ")}] needs ${N} weight and ${N} bias layers, got ${net.W.length} and ${net.b.length}`)
  for (let l = 0; l < N; l++) {
    for (const [part, values, size] of [["W", net.W[l]!, net.shape[l]! * net.shape[l + 1]!], ["b", net.b[l]!, net.shape[l + 1]!]] as const) {
      if (values.length !== size) return invalid(`net.${part}[${l}]`, `must hold ${size} numbers, got ${values.length}`)
      const k = firstNonFinite(values)
      if (k >= 0) return invalid(`net.${part}[${l}][${k}]`, `must be finite, got ${values[k]}`)
    }
  }
  return Result.succeed(undefined)
}

/**
 * A force-directed drawing of a network as a standalone SVG (paper appendix B.1): edges coloured by
 * sign with width and opacity by |weight| (edges under 2% of the largest are left out), the output
 * neuron at the centre. Fails with InvalidInput naming the argument when the network's shape or
 * layer sizes do not match, a weight or bias is not finite, or the options are out of range
 * (`initial` must hold 4 finite numbers per neuron): a broken network is never drawn.
 */
export const drawNetworkSvg = (net: StoredNetwork, options: DrawingOptions): Result.Result<string, InvalidInput> =>
  Result.flatMap(checkNetwork(net), () => {
    const size = options.size ?? 420
    if (!Number.isFinite(size) || size < 64) return invalid("options.size", `must be a number of pixels ≥ 64, got ${size}`)
    const count = neuronCount(net.shape)
    if (options.initial.length !== 4 * count) return invalid("options.initial", `must hold 4 numbers per neuron (${4 * count}), got ${options.initial.length}`)
    const offsets = neuronOffsets(net.shape)
    const outputs = Array.from({ length: net.shape[net.shape.length - 1]! }, (_, k) => offsets[offsets.length - 1]! + k)
    const edges = networkEdges(net)
    return Result.map(forceLayout(count, edges, options.initial, { iterations: options.iterations, pinned: outputs.length === 1 ? outputs : [] }),
      (xy) => svgOf(net, options.title, size, offsets, edges, xy))
  })

const svgOf = (net: StoredNetwork, title: string, size: number, offsets: ReadonlyArray<number>, edges: ReadonlyArray<LayoutEdge>, xy: Float64Array): string => {
  const count = neuronCount(net.shape)
  let extent = 1e-9
  for (const v of xy) extent = Math.max(extent, Math.abs(v))
  const margin = 24
  const half = (size - 2 * margin) / 2
  const X = (i: number) => (size / 2 + (xy[2 * i]! / extent) * half).toFixed(1)
  const Y = (i: number) => (size / 2 + 10 + (xy[2 * i + 1]! / extent) * (half - 10)).toFixed(1)
  const top = edges.reduce((a, e) => Math.max(a, Math.abs(e.weight)), 1e-12)
  const lines = edges
    .filter((e) => Math.abs(e.weight) >= 0.02 * top)
    .sort((a, b) => Math.abs(a.weight) - Math.abs(b.weight))
    .map((e) => {
      const s = Math.abs(e.weight) / top
      return `<line x1="${X(e.from)}" y1="${Y(e.from)}" x2="${X(e.to)}" y2="${Y(e.to)}" stroke="${e.weight > 0 ? drawingColours.positive : drawingColours.negative}" stroke-width="${(0.4 + 2.6 * s).toFixed(2)}" stroke-opacity="${(0.15 + 0.85 * s).toFixed(2)}"/>`
    })
  const kind = (i: number) => (i < net.shape[0]! ? "input" : i >= offsets[offsets.length - 1]! ? "output" : "hidden")
  const dots = Array.from({ length: count }, (_, i) => {
    const k = kind(i)
    return `<circle cx="${X(i)}" cy="${Y(i)}" r="${k === "hidden" ? 3 : 5}" fill="${drawingColours[k]}" stroke="white" stroke-width="0.8"/>`
  })
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size + 10}" viewBox="0 0 ${size} ${size + 10}">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${size / 2}" y="16" text-anchor="middle" font-family="sans-serif" font-size="13">${esc(title)}</text>`,
    ...lines, ...dots, "</svg>"
  ].join("\n")
}
