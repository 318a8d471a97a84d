import { Result, Schema } from "effect"
import { decodeNetShape } from "../network/schemas.js"
import { NetworkLayoutError, NonFiniteWeights } from "./networkFileErrors.js"
import { type RawTensor, shapeText } from "./rawTensor.js"
import type { StoredNetwork } from "../run/index.js"

/**
 * How a file stores each weight matrix. hyperlayers' own layout is `in-out`: `W^(l)` is
 * `[n_(l−1), n_l]` (inputs × outputs), so a layer computes `a · W + b` (§2; ARCHITECTURE.md, "The target network and the task"). PyTorch's
 * `nn.Linear.weight` is `torch`: `[out, in]`, computing `a · Wᵀ + b`. JAX/Flax `kernel`s and Keras
 * `kernel`s are `in-out`.
 */
export const WeightLayout = Schema.Literals(["torch", "in-out"])
export type WeightLayout = typeof WeightLayout.Type

/** What a reader is told about the layout: `auto` (the default) decides from the tensor names. */
export const LayoutOption = Schema.Literals(["auto", "torch", "in-out"])
export type LayoutOption = typeof LayoutOption.Type

/** The tensor names a weight file may use, each with the layout it implies. */
type Convention = "torch" | "hyperlayers" | "flax"
const CONVENTION_LAYOUT: Readonly<Record<Convention, WeightLayout>> = { torch: "torch", hyperlayers: "in-out", flax: "in-out" }

/** The naming rules, for messages and docs. */
export const NAMING_RULES =
  "PyTorch's <layer>.weight / <layer>.bias (an nn.Sequential's state_dict: 0.weight, 0.bias, 2.weight, …; [out, in]), " +
  "the same with the dots replaced by underscores (0_weight, 0_bias, fc1_weight, layers_0_weight: a state_dict saved with np.savez), " +
  "hyperlayers' W1 / b1, W2 / b2, … ([in, out]), or JAX/Flax's <layer>.kernel / <layer>.bias ([in, out]; also <layer>/kernel, <layer>_kernel)"

interface NamePart {
  readonly convention: Convention | "bias"
  /** The layer's name: what comes before `.weight` (`0`, `net.0`, `fc1`, `layers_0`). */
  readonly stem: string
  /** What joins the stem to `weight`/`bias`/`kernel` (`.`, `/`, `_`), `""` for W1 / b1. */
  readonly separator: string
  readonly part: "weight" | "bias"
}

/**
 * A tensor's name read by {@link NAMING_RULES}. A weight and a bias go together when they have the
 * same stem and separator: `0.weight` with `0.bias`, `0_weight` with `0_bias` (a state_dict whose
 * dots were replaced, as `np.savez(**{k.replace(".", "_"): v …})` needs: NumPy keys are Python
 * identifiers), `net.0.weight` with `net.0.bias`.
 */
const parseName = (name: string): NamePart | undefined => {
  let m = /^W(\d+)$/.exec(name)
  if (m !== null) return { convention: "hyperlayers", stem: m[1]!, separator: "", part: "weight" }
  m = /^b(\d+)$/.exec(name)
  if (m !== null) return { convention: "hyperlayers", stem: m[1]!, separator: "", part: "bias" }
  m = /^(.+)([._])weight$/.exec(name)
  if (m !== null) return { convention: "torch", stem: m[1]!, separator: m[2]!, part: "weight" }
  m = /^(.+)([./_])kernel$/.exec(name)
  if (m !== null) return { convention: "flax", stem: m[1]!, separator: m[2]!, part: "weight" }
  m = /^(.+)([./_])bias$/.exec(name)
  if (m !== null) return { convention: "bias", stem: m[1]!, separator: m[2]!, part: "bias" }
  return undefined
}

/** Natural order: digit runs compare as numbers, so layer 10 comes after layer 9. */
const naturalCompare = (a: string, b: string): number => {
  const chunks = (s: string) => s.match(/\d+|\D+/g) ?? []
  const [x, y] = [chunks(a), chunks(b)]
  for (let k = 0; k < Math.min(x.length, y.length); k++) {
    const [p, q] = [x[k]!, y[k]!]
    const c = /^\d/.test(p) && /^\d/.test(q) ? Number(p) - Number(q) : p < q ? -1 : p > q ? 1 : 0
    if (c !== 0) return c
  }
  return x.length - y.length
}

/** One weight layer of a network read from a file: the tensors it came from. */
export interface SourceLayer {
  readonly weight: string
  readonly bias: string
  /** The weight's stored dtype. */
  readonly dtype: string
}

/** A network read from named tensors, in hyperlayers' own layout. */
export interface NetworkFromTensors {
  /** Shape and weights: `W[l−1]` row-major `[n_(l−1), n_l]`, `b[l−1]` `[n_l]` (§2; ARCHITECTURE.md, "The target network and the task"). */
  readonly network: StoredNetwork
  readonly layers: ReadonlyArray<SourceLayer>
  /** The layout the file's matrices were read in. */
  readonly layout: WeightLayout
  /** Whether that layout came from the tensor names or was given. */
  readonly layoutFrom: "names" | "option"
}

/** `W` of shape `[rows, cols]` transposed, row-major. */
const transpose = (values: Float32Array, rows: number, cols: number): Float32Array => {
  const out = new Float32Array(values.length)
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = values[i * cols + j]!
  return out
}

const nonFiniteCounts = (tensors: ReadonlyArray<RawTensor>) => {
  let [nan, pos, neg, overflow] = [0, 0, 0, 0]
  let first: RawTensor | undefined
  for (const t of tensors) {
    const before = nan + pos + neg
    for (const v of t.values) {
      if (Number.isNaN(v)) nan++
      else if (v === Infinity) pos++
      else if (v === -Infinity) neg++
    }
    overflow += t.overflow
    if (first === undefined && nan + pos + neg > before) first = t
  }
  return { nan, pos, neg, overflow, first }
}

/**
 * Assemble an MLP from a file's tensors. Names are recognised by {@link NAMING_RULES}; layers are
 * ordered by their names in natural order (`0`, `2`, …, `10`); `layout` (default `auto`: from the
 * names) says how the matrices are stored, and `torch` ones are transposed to `[in, out]`.
 * Fails with {@link NetworkLayoutError} naming the tensor (an unknown name, a weight without its
 * bias, a wrong rank, sizes that do not chain, a shape past the library's limits) or
 * {@link NonFiniteWeights} (NaN or ±∞ anywhere: such a network is never classified).
 */
export const networkFromTensors = (
  tensors: ReadonlyArray<RawTensor>,
  file: string,
  layout: LayoutOption = "auto"
): Result.Result<NetworkFromTensors, NetworkLayoutError | NonFiniteWeights> => {
  const fail = (problem: NetworkLayoutError["problem"], message: string, tensor?: string) =>
    Result.fail(new NetworkLayoutError({ file, problem, message: `${file}: ${message}`, ...(tensor === undefined ? {} : { tensor }) }))
  if (tensors.length === 0) return fail("empty", "the file holds no tensors")
  const parsed = tensors.map((t) => ({ t, name: parseName(t.name) }))
  const unknown = parsed.filter((p) => p.name === undefined).map((p) => p.t.name)
  if (unknown.length > 0) {
    return fail("unrecognised-name", `tensor${unknown.length > 1 ? "s" : ""} ${unknown.slice(0, 5).join(", ")}${unknown.length > 5 ? ", …" : ""} ${unknown.length > 1 ? "are" : "is"} not part of an MLP hyperlayers can read; it reads ${NAMING_RULES}`, unknown[0])
  }
  const conventions = new Set(parsed.map((p) => p.name!.convention).filter((c) => c !== "bias"))
  if (conventions.size > 1) return fail("unrecognised-name", `the tensor names mix conventions (${[...conventions].join(" and ")}); it reads ${NAMING_RULES}`)
  const convention: Convention = conventions.size === 1 ? ([...conventions][0] as Convention) : "torch"
  // hyperlayers' own names use b<l>, never <stem>.bias
  if (convention === "hyperlayers" && parsed.some((p) => p.name!.convention === "bias")) {
    const odd = parsed.find((p) => p.name!.convention === "bias")!.t.name
    return fail("unrecognised-name", `tensor ${odd} does not belong with W1, b1, …; it reads ${NAMING_RULES}`, odd)
  }
  const chosen: WeightLayout = layout === "auto" ? CONVENTION_LAYOUT[convention] : layout
  // a layer is a stem and its separator: 0_weight goes with 0_bias, not with 0.bias
  const stems = new Map<string, { stem: string; separator: string; weight?: RawTensor; bias?: RawTensor }>()
  for (const p of parsed) {
    const key = `${p.name!.stem}\u0000${p.name!.separator}`
    const entry = stems.get(key) ?? { stem: p.name!.stem, separator: p.name!.separator }
    entry[p.name!.part] = p.t
    stems.set(key, entry)
  }
  const biasName = (stem: string, separator: string) => (convention === "hyperlayers" ? `b${stem}` : `${stem}${separator}bias`)
  const ordered = [...stems.values()].sort((a, b) => naturalCompare(a.stem, b.stem) || naturalCompare(a.separator, b.separator))
  const W: Array<Float32Array> = []
  const b: Array<Float32Array> = []
  const layers: Array<SourceLayer> = []
  const shape: Array<number> = []
  for (const { stem, separator, weight, bias } of ordered) {
    if (weight === undefined) return fail("missing-weight", `bias ${bias!.name} has no weight tensor to go with it`, bias!.name)
    if (bias === undefined) {
      return fail("missing-bias", `weight ${weight.name} has no bias (expected a tensor ${biasName(stem, separator)}); every layer of a hyperlayers network has a bias: for nn.Linear(bias=False), save zeros`, weight.name)
    }
    if (weight.shape.length !== 2) return fail("rank", `weight ${weight.name} has shape ${shapeText(weight.shape)}; a weight matrix has two axes`, weight.name)
    if (bias.shape.length !== 1) return fail("rank", `bias ${bias.name} has shape ${shapeText(bias.shape)}; a bias has one axis`, bias.name)
    const [r, c] = weight.shape as [number, number]
    const [inputs, outputs] = chosen === "torch" ? [c, r] : [r, c]
    const reading = chosen === "torch" ? `[out, in] (PyTorch's layout${layout === "auto" ? ", from the names" : ""})` : `[in, out] (hyperlayers' layout${layout === "auto" ? ", from the names" : ""})`
    if (shape.length === 0) shape.push(inputs)
    else if (inputs !== shape[shape.length - 1]) {
      const other = chosen === "torch" ? "in-out" : "torch"
      const hint = (chosen === "torch" ? r : c) === shape[shape.length - 1] ? `; read as ${other} they would chain: try --layout ${other}` : ""
      return fail("unchained", `the layers do not chain: ${weight.name} ${shapeText(weight.shape)}, read as ${reading}, takes ${inputs} inputs but the layer before it gives ${shape[shape.length - 1]} outputs${hint}`, weight.name)
    }
    if (bias.shape[0] !== outputs) {
      const other = chosen === "torch" ? "in-out" : "torch"
      const hint = bias.shape[0] === inputs && shape.length === 1 ? `; read as ${other} it would fit: try --layout ${other}` : ""
      return fail("unchained", `bias ${bias.name} has ${bias.shape[0]} entries but weight ${weight.name} ${shapeText(weight.shape)}, read as ${reading}, has ${outputs} outputs${hint}`, bias.name)
    }
    shape.push(outputs)
    W.push(chosen === "torch" ? transpose(weight.values, r, c) : weight.values)
    b.push(bias.values)
    layers.push({ weight: weight.name, bias: bias.name, dtype: weight.dtype })
  }
  const checked = decodeNetShape(shape, `the network's shape`)
  if (Result.isFailure(checked)) return fail("shape", checked.failure.message)
  const bad = nonFiniteCounts(tensors)
  if (bad.first !== undefined) {
    const parts = [bad.nan > 0 ? `${bad.nan} NaN` : "", bad.pos > 0 ? `${bad.pos} +∞` : "", bad.neg > 0 ? `${bad.neg} −∞` : ""].filter((s) => s !== "")
    const overflow = bad.overflow > 0 ? ` (${bad.overflow} of them finite float64 values beyond float32's range)` : ""
    return Result.fail(new NonFiniteWeights({
      file, tensor: bad.first.name, nan: bad.nan, positiveInfinity: bad.pos, negativeInfinity: bad.neg, overflow: bad.overflow,
      message: `${file}: the weights hold ${parts.join(", ")}${overflow}, first in tensor ${bad.first.name}; a network with non-finite weights is not analysed or classified`
    }))
  }
  return Result.succeed({
    network: { shape: checked.success, W: W.map((w) => Array.from(w)), b: b.map((v) => Array.from(v)) },
    layers,
    layout: chosen,
    layoutFrom: layout === "auto" ? "names" : "option"
  })
}
