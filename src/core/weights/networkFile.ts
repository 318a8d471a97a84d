import { Result, Schema } from "effect"
import { type LoadNetworkError, NetworkLayoutError, WeightFileError } from "./networkFileErrors.js"
import { type LayoutOption, networkFromTensors, type NetworkFromTensors, type WeightLayout } from "./networkFromTensors.js"
import { decodeNetworkJson, encodeNetworkJson } from "./networkJson.js"
import { decodeNpy } from "./npy.js"
import { decodeNpz, encodeNpz } from "./npz.js"
import type { RawTensor } from "./rawTensor.js"
import type { StoredNetwork } from "../run/index.js"
import { decodeSafetensors, encodeSafetensors, type TensorToWrite } from "./safetensors.js"
import { checkFileSize, MAX_JSON_BYTES, MAX_WEIGHT_BYTES } from "./weightFileLimits.js"

/**
 * The weight-file formats hyperlayers reads: `safetensors` (PyTorch's and JAX's standard), `npz`
 * (NumPy's `np.savez`/`np.savez_compressed`), `npy-folder` (a folder of `.npy` files, one per
 * tensor, named like the tensors: `0.weight.npy` or `W1.npy`) and `json` (see `networkJson.ts`).
 */
export const NetworkFormat = Schema.Literals(["safetensors", "npz", "npy-folder", "json"])
export type NetworkFormat = typeof NetworkFormat.Type

/** The formats a network can be written in (a folder of `.npy` files is read only). */
export const WritableFormat = Schema.Literals(["safetensors", "npz", "json"])
export type WritableFormat = typeof WritableFormat.Type

/** A network read from a file: weights in hyperlayers' layout, and where they came from. */
export interface LoadedNetwork extends NetworkFromTensors {
  readonly file: string
  readonly format: NetworkFormat
}

const startsWith = (bytes: Uint8Array, prefix: ReadonlyArray<number>) => prefix.every((b, k) => bytes[k] === b)

/** The format of a file, from its extension, else from its first bytes. */
export const detectFormat = (file: string, bytes: Uint8Array): Exclude<NetworkFormat, "npy-folder"> | "npy" | undefined => {
  const lower = file.toLowerCase()
  if (lower.endsWith(".safetensors")) return "safetensors"
  if (lower.endsWith(".npz")) return "npz"
  if (lower.endsWith(".npy")) return "npy"
  if (lower.endsWith(".json")) return "json"
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04])) return "npz"
  if (startsWith(bytes, [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59])) return "npy"
  const first = bytes.find((b) => b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09)
  if (first === 0x7b) return "json"
  if (bytes.length >= 9 && bytes[8] === 0x7b) return "safetensors"
  return undefined
}

const assemble = (tensors: ReadonlyArray<RawTensor>, file: string, format: NetworkFormat, layout: LayoutOption) =>
  Result.map(networkFromTensors(tensors, file, layout), (n): LoadedNetwork => ({ ...n, file, format }))

/**
 * Read a network from a weight file's bytes (any format but a folder). `layout` (default `auto`)
 * says how its matrices are stored; `auto` decides from the names (PyTorch's `<k>.weight` are
 * `[out, in]`; `W1`, `<k>.kernel` are `[in, out]`). A file of more than `MAX_WEIGHT_BYTES`
 * (`MAX_JSON_BYTES` for JSON), or an `.npz` whose members declare more, is refused before it is
 * decoded (`WeightFileError` `too-large`). Fails with a {@link LoadNetworkError} naming the tensor
 * and the problem.
 */
export const decodeNetworkFile = (bytes: Uint8Array, file: string, layout: LayoutOption = "auto"): Result.Result<LoadedNetwork, LoadNetworkError> => {
  const format = detectFormat(file, bytes)
  const size = checkFileSize(file, bytes.length, format === "json" ? MAX_JSON_BYTES : MAX_WEIGHT_BYTES)
  if (Result.isFailure(size)) return Result.fail(size.failure)
  switch (format) {
    case "safetensors":
      return Result.flatMap(decodeSafetensors(bytes, file), (f) => assemble(f.tensors, file, "safetensors", layout))
    case "npz":
      return Result.flatMap(decodeNpz(bytes, file), (tensors) => assemble(tensors, file, "npz", layout))
    case "json":
      return Result.flatMap(decodeNetworkJson(new TextDecoder().decode(bytes), file), (content) => {
        const chosen: LayoutOption = layout === "auto" ? content.layout ?? "auto" : layout
        return Result.flatMap(assemble(content.tensors, file, "json", chosen), (net) =>
          content.shape !== undefined && (content.shape.length !== net.network.shape.length || content.shape.some((n, k) => n !== net.network.shape[k]))
            ? Result.fail(new NetworkLayoutError({ file, problem: "unchained", message: `${file}: "shape" says [${content.shape.join(", ")}] but the weights make [${net.network.shape.join(", ")}]` }))
            : Result.succeed({ ...net, layoutFrom: layout === "auto" && content.layout !== undefined ? "names" as const : net.layoutFrom }))
      })
    case "npy":
      return Result.fail(new WeightFileError({
        file, problem: "format",
        message: `${file}: a .npy file holds one array, not a network; save the network with np.savez (a .npz), or as a folder of .npy files named W1.npy, b1.npy, … (or 0.weight.npy, 0.bias.npy, …)`
      }))
    case undefined:
      return Result.fail(new WeightFileError({ file, problem: "format", message: `${file}: not a weight file hyperlayers reads (.safetensors, .npz, a folder of .npy files, or .json)` }))
  }
}

/**
 * Read a network from a folder of `.npy` files, one per tensor, each named for its tensor
 * (`W1.npy`, `0.weight.npy`); other files are ignored. The `.npy` files may hold
 * `MAX_WEIGHT_BYTES` in all. Errors as {@link decodeNetworkFile}.
 */
export const decodeNpyFolder = (
  files: ReadonlyArray<{ readonly name: string; readonly bytes: Uint8Array }>,
  folder: string,
  layout: LayoutOption = "auto"
): Result.Result<LoadedNetwork, LoadNetworkError> => {
  const npy = files.filter((f) => f.name.endsWith(".npy"))
  const size = checkFileSize(folder, npy.reduce((total, f) => total + f.bytes.length, 0))
  if (Result.isFailure(size)) return Result.fail(size.failure)
  const tensors: Array<RawTensor> = []
  for (const f of npy) {
    const t = decodeNpy(f.bytes, `${folder}/${f.name}`, f.name.slice(0, -4))
    if (Result.isFailure(t)) return Result.fail(t.failure)
    tensors.push(t.success)
  }
  if (tensors.length === 0) return Result.fail(new WeightFileError({ file: folder, problem: "format", message: `${folder}: the folder holds no .npy files` }))
  return assemble(tensors, folder, "npy-folder", layout)
}

/**
 * A network's tensors under the names of a layout: `torch` gives an `nn.Sequential`'s state_dict
 * names (`0.weight`, `0.bias`, `2.weight`, …, activations at the odd indices) with `[out, in]`
 * weights; `in-out` gives hyperlayers' `W1`, `b1`, … with `[in, out]` weights.
 */
export const networkTensors = (net: StoredNetwork, layout: WeightLayout): ReadonlyArray<TensorToWrite> =>
  net.W.flatMap((w, k) => {
    const [nIn, nOut] = [net.shape[k]!, net.shape[k + 1]!]
    const weight: TensorToWrite = layout === "torch"
      ? { name: `${2 * k}.weight`, shape: [nOut, nIn], values: Array.from({ length: nIn * nOut }, (_, e) => w[(e % nIn) * nOut + Math.floor(e / nIn)]!) }
      : { name: `W${k + 1}`, shape: [nIn, nOut], values: w }
    return [weight, { name: layout === "torch" ? `${2 * k}.bias` : `b${k + 1}`, shape: [nOut], values: net.b[k]! }]
  })

/**
 * Write a network in a format and layout (default `in-out`, hyperlayers' own), as float32.
 * `loadNetwork` reads every such file back to the same weights.
 */
export const encodeNetworkFile = (net: StoredNetwork, format: WritableFormat, layout: WeightLayout = "in-out"): Uint8Array => {
  switch (format) {
    case "safetensors":
      return encodeSafetensors(networkTensors(net, layout), { format: layout === "torch" ? "pt" : "hyperlayers" })
    case "npz":
      return encodeNpz(networkTensors(net, layout))
    case "json":
      return new TextEncoder().encode(encodeNetworkJson(net, layout))
  }
}
