import { Result } from "effect"
import { WeightFileError } from "./networkFileErrors.js"
import type { WeightLayout } from "./networkFromTensors.js"
import type { RawTensor } from "./rawTensor.js"
import type { StoredNetwork } from "../run/index.js"
import { errorMessage } from "../base/schemas.js"
import { firstRepeatedKey, topLevelKeys } from "../base/schemas.js"
import { cutText, quoteValue } from "../base/schemas.js"
import { checkTensorName } from "./weightFileLimits.js"

/**
 * A network as JSON. Three layouts are read:
 *
 * 1. hyperlayers' own (what {@link encodeNetworkJson} writes, and the `network` of a run's
 *    `baseline.json`, which is read too):
 *
 *        { "shape": [16, 48, 1], "layout": "in-out", "W": [W1, W2], "b": [b1, b2] }
 *
 *    `W[l−1]` is `W^(l)`: nested rows (`[[…], …]`) or one flat row-major list. `layout` is
 *    `in-out` (the default: `[n_(l−1), n_l]`, inputs × outputs) or `torch` (`[n_l, n_(l−1)]`).
 *    `shape` is needed for flat lists and checked against the weights otherwise.
 * 2. A state_dict dumped as JSON, PyTorch's names and layout:
 *
 *        { "0.weight": [[…], …], "0.bias": […], "2.weight": …, "2.bias": … }
 *
 *    e.g. `json.dump({k: v.tolist() for k, v in model.state_dict().items()}, f)`.
 * 3. The same with any names of `NAMING_RULES` (`W1`, `b1`, …; `<layer>.kernel`).
 *
 * JSON has no NaN or infinity: a file holding Python's `NaN` or `Infinity` tokens is refused as
 * such (a network with non-finite weights is not analysed).
 */

export interface NetworkJsonContent {
  readonly tensors: ReadonlyArray<RawTensor>
  /** The layout the file declares (layout 1), if it declares one. */
  readonly layout?: WeightLayout
  /** The shape the file declares (layout 1), to check against its weights. */
  readonly shape?: ReadonlyArray<number>
}

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/** A nested numeric array as a tensor; `where` names it in errors. */
const tensorOf = (value: unknown, name: string, where: string): Result.Result<RawTensor, string> => {
  const shape: Array<number> = []
  let probe: unknown = value
  while (Array.isArray(probe)) {
    shape.push(probe.length)
    probe = probe[0]
  }
  if (shape.length === 0) return Result.fail(`${where} is ${quoteValue(value, 40)}, not a list of numbers`)
  const values: Array<number> = []
  const walk = (v: unknown, depth: number, path: string): string | undefined => {
    if (depth === shape.length) {
      if (typeof v === "number") {
        values.push(v)
        return undefined
      }
      return `${path} is ${quoteValue(v, 40)}, not a number${v === null ? " (JSON has no NaN or ∞: are the weights non-finite?)" : ""}`
    }
    if (!Array.isArray(v)) return `${path} is ${quoteValue(v, 40)}, not a list`
    if (v.length !== shape[depth]) return `${path} has ${v.length} entries but its siblings have ${shape[depth]}: the array is not rectangular`
    for (let k = 0; k < v.length; k++) {
      const e = walk(v[k], depth + 1, `${path}[${k}]`)
      if (e !== undefined) return e
    }
    return undefined
  }
  const problem = walk(value, 0, where)
  return problem === undefined ? Result.succeed({ name, dtype: "number", shape, values: Float32Array.from(values), overflow: values.filter((v) => Number.isFinite(v) && !Number.isFinite(Math.fround(v))).length }) : Result.fail(problem)
}

/**
 * Read a network's JSON (see the layouts above) as named tensors, with the layout and shape the
 * file declares. Fails with {@link WeightFileError}: `format`, naming the field at fault.
 */
export const decodeNetworkJson = (text: string, file: string): Result.Result<NetworkJsonContent, WeightFileError> => {
  const fail = (message: string, tensor?: string) =>
    Result.fail(new WeightFileError({ file, problem: "format", message: `${file}: ${message}`, ...(tensor === undefined ? {} : { tensor }) }))
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (e) {
    const hint = /\b(NaN|-?Infinity)\b/.test(text) ? " (it holds NaN or Infinity, which JSON does not allow: the network has non-finite weights)" : ""
    return fail(`not valid JSON: ${errorMessage(e)}${hint}`)
  }
  if (!isRecord(raw)) return fail("a network's JSON is an object (see the documented layouts)")
  const repeated = firstRepeatedKey(topLevelKeys(text))
  if (repeated !== undefined) return fail(`the object names ${quoteValue(repeated)} twice (a JSON reader would silently keep the last); name each tensor once`, cutText(repeated))
  const own = isRecord(raw["network"]) && "W" in raw["network"] ? raw["network"] : "W" in raw ? raw : undefined
  if (own === undefined) {
    const tensors: Array<RawTensor> = []
    for (const [name, value] of Object.entries(raw)) {
      const named = checkTensorName(file, name)
      if (Result.isFailure(named)) return Result.fail(named.failure)
      const t = tensorOf(value, name, name)
      if (Result.isFailure(t)) return fail(t.failure, name)
      tensors.push(t.success)
    }
    return Result.succeed({ tensors })
  }
  const layout = own["layout"]
  if (layout !== undefined && layout !== "in-out" && layout !== "torch") return fail(`layout must be "in-out" or "torch", got ${quoteValue(layout)}`)
  const shape = own["shape"]
  if (shape !== undefined && !(Array.isArray(shape) && shape.every((n) => Number.isInteger(n) && n >= 1))) return fail(`shape must be a list of layer sizes, got ${quoteValue(shape)}`)
  const W = own["W"]
  const b = own["b"]
  if (!Array.isArray(W)) return fail(`W must be a list of weight matrices, got ${quoteValue(W, 40)}`)
  if (!Array.isArray(b)) return fail(`b must be a list of bias vectors (one per weight matrix), got ${quoteValue(b, 40)}`)
  const tensors: Array<RawTensor> = []
  for (const [l, w] of W.entries()) {
    const t = tensorOf(w, `W${l + 1}`, `W[${l}]`)
    if (Result.isFailure(t)) return fail(t.failure, `W${l + 1}`)
    let tensor = t.success
    if (tensor.shape.length === 1) {
      if (shape === undefined || shape.length !== W.length + 1) return fail(`W[${l}] is a flat list: give "shape" (${W.length + 1} layer sizes) to say its rows and columns`, `W${l + 1}`)
      const [nIn, nOut] = [shape[l] as number, shape[l + 1] as number]
      if (tensor.values.length !== nIn * nOut) return fail(`W[${l}] has ${tensor.values.length} entries but shape ${quoteValue(shape)} needs ${nIn}·${nOut} = ${nIn * nOut}`, `W${l + 1}`)
      tensor = { ...tensor, shape: layout === "torch" ? [nOut, nIn] : [nIn, nOut] }
    }
    tensors.push(tensor)
  }
  for (const [l, v] of b.entries()) {
    const t = tensorOf(v, `b${l + 1}`, `b[${l}]`)
    if (Result.isFailure(t)) return fail(t.failure, `b${l + 1}`)
    tensors.push(t.success)
  }
  return Result.succeed({
    tensors,
    ...(layout === undefined ? {} : { layout: layout as WeightLayout }),
    ...(shape === undefined ? {} : { shape: shape as ReadonlyArray<number> })
  })
}

/**
 * A network as hyperlayers' own JSON (layout 1 above): nested rows in the chosen layout, with its
 * shape and layout declared.
 */
export const encodeNetworkJson = (net: StoredNetwork, layout: WeightLayout = "in-out"): string => {
  const rows = (values: ReadonlyArray<number>, r: number, c: number, transposed: boolean) =>
    transposed
      ? Array.from({ length: c }, (_, j) => Array.from({ length: r }, (_, i) => values[i * c + j]!))
      : Array.from({ length: r }, (_, i) => values.slice(i * c, (i + 1) * c))
  return JSON.stringify({
    shape: net.shape,
    layout,
    W: net.W.map((w, l) => rows(w, net.shape[l]!, net.shape[l + 1]!, layout === "torch")),
    b: net.b
  }) + "\n"
}
