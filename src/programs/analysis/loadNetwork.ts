import * as tf from "@tensorflow/tfjs"
import { Effect, FileSystem, Path, Result } from "effect"
import { InvalidInput } from "../../core/base/schemas.js"
import { decodeNetworkFile, decodeNpyFolder, encodeNetworkFile, type LoadedNetwork, type WritableFormat } from "../../core/weights/index.js"
import { type LoadNetworkError, WeightFileError } from "../../core/weights/index.js"
import type { LayoutOption, WeightLayout } from "../../core/weights/schemas.js"
import { netWeightsOrThrow, type NetWeights } from "../../core/network/index.js"
import type { StoredNetwork } from "../../core/run/index.js"
import { errorMessage } from "../../core/base/schemas.js"
import { checkFileSize, MAX_JSON_BYTES, MAX_WEIGHT_BYTES } from "../../core/weights/schemas.js"

export interface LoadNetworkOptions {
  /**
   * How the file stores its weight matrices: `auto` (default) decides from the tensor names
   * (PyTorch's `<k>.weight` are `[out, in]`; `W1`, `<k>.kernel` are `[in, out]`), `torch` or
   * `in-out` say so.
   */
  readonly layout?: LayoutOption
}

/**
 * Read an MLP trained elsewhere: a `.safetensors` file (e.g. `safetensors.torch.save_file(
 * model.state_dict(), path)` of an `nn.Sequential` of `Linear` layers), an `.npz`, a folder of
 * `.npy` files, or a `.json` (layouts in `networkJson.ts`). Weights come back in hyperlayers'
 * layout (`W^(l)`: `[n_(l−1), n_l]`, ARCHITECTURE.md, "The target network and the task") as float32 values, with the tensors they came from.
 *
 * A file (or folder of `.npy` files) holding more than `MAX_WEIGHT_BYTES` (`MAX_JSON_BYTES` for
 * JSON) is refused by its size before it is read.
 *
 * Fails with a {@link LoadNetworkError} naming the tensor and the problem: `WeightFileError`
 * (unreadable, not the format, truncated, a header that lies about sizes, an unsupported dtype,
 * a file or archive too large),
 * `NetworkLayoutError` (an unknown name, a missing bias, sizes that do not chain) or
 * `NonFiniteWeights` (NaN or ±∞: never classified).
 */
export const loadNetwork = (path: string, options: LoadNetworkOptions = {}): Effect.Effect<LoadedNetwork, LoadNetworkError, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const paths = yield* Path.Path
    const unreadable = (e: unknown) => new WeightFileError({ file: path, problem: "unreadable", message: `${path}: cannot be read (${errorMessage(e)})` })
    const info = yield* fs.stat(path).pipe(Effect.mapError(unreadable))
    const layout = options.layout ?? "auto"
    if (info.type === "Directory") {
      const names = (yield* fs.readDirectory(path).pipe(Effect.mapError(unreadable))).filter((n) => n.endsWith(".npy")).sort()
      let total = 0
      for (const name of names) total += Number((yield* fs.stat(paths.join(path, name)).pipe(Effect.mapError(unreadable))).size)
      yield* Effect.fromResult(checkFileSize(path, total))
      const files: Array<{ name: string; bytes: Uint8Array }> = []
      for (const name of names) files.push({ name, bytes: yield* fs.readFile(paths.join(path, name)).pipe(Effect.mapError(unreadable)) })
      return yield* Effect.fromResult(decodeNpyFolder(files, path, layout))
    }
    yield* Effect.fromResult(checkFileSize(path, Number(info.size), path.toLowerCase().endsWith(".json") ? MAX_JSON_BYTES : MAX_WEIGHT_BYTES))
    const bytes = yield* fs.readFile(path).pipe(Effect.mapError(unreadable))
    return yield* Effect.fromResult(decodeNetworkFile(bytes, path, layout))
  })

/** Check that a network's weights fit its shape (`W[l−1]`: `n_(l−1)·n_l` values, `b[l−1]`: `n_l`). */
export const checkStoredNetwork = (net: StoredNetwork): Result.Result<StoredNetwork, InvalidInput> => {
  const fail = (message: string) => Result.fail(new InvalidInput({ source: "network", message }))
  const N = net.shape.length - 1
  if (N < 1 || net.W.length !== N || net.b.length !== N) return fail(`a network of shape [${net.shape.join(", ")}] needs ${N} weight matrices and ${N} biases, got ${net.W.length} and ${net.b.length}`)
  for (let l = 1; l <= N; l++) {
    const [nIn, nOut] = [net.shape[l - 1]!, net.shape[l]!]
    if (net.W[l - 1]!.length !== nIn * nOut) return fail(`W^(${l}) must hold ${nIn}·${nOut} = ${nIn * nOut} values ([${nIn}, ${nOut}] row-major), got ${net.W[l - 1]!.length}`)
    if (net.b[l - 1]!.length !== nOut) return fail(`b^(${l}) must hold ${nOut} values, got ${net.b[l - 1]!.length}`)
  }
  return Result.succeed(net)
}

export interface SaveNetworkOptions {
  /** `in-out` (default, hyperlayers' names W1, b1, …) or `torch` (an nn.Sequential's names and [out, in] weights). */
  readonly layout?: WeightLayout
}

/**
 * Write a network as `.safetensors`, `.npz` or `.json` (float32), to a temporary file renamed over
 * `path`, so nothing is half-written; {@link loadNetwork} reads it back to the same weights. Fails
 * with `InvalidInput` when the weights do not fit the shape, `WeightFileError` when the file cannot
 * be written.
 */
export const saveNetwork = (path: string, net: StoredNetwork, format: WritableFormat, options: SaveNetworkOptions = {}): Effect.Effect<void, InvalidInput | WeightFileError, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function* () {
    const checked = yield* Effect.fromResult(checkStoredNetwork(net))
    const fs = yield* FileSystem.FileSystem
    const paths = yield* Path.Path
    const bytes = encodeNetworkFile(checked, format, options.layout ?? "in-out")
    const tmp = paths.join(paths.dirname(path), `.${paths.basename(path)}.${process.pid}.${Date.now()}.tmp`)
    yield* fs.makeDirectory(paths.dirname(path), { recursive: true }).pipe(
      Effect.andThen(fs.writeFile(tmp, bytes)),
      Effect.andThen(fs.rename(tmp, path)),
      Effect.onError(() => Effect.ignore(fs.remove(tmp))),
      Effect.mapError((e) => new WeightFileError({ file: path, problem: "unreadable", message: `${path}: cannot be written (${errorMessage(e)})` }))
    )
  })

/**
 * A network's weights as tensors, for the forward pass (the caller disposes them, e.g. with
 * `disposeNetWeights`). The shapes are checked by {@link checkStoredNetwork} first.
 */
export const storedNetworkWeights = (net: StoredNetwork): Result.Result<NetWeights, InvalidInput> =>
  Result.map(checkStoredNetwork(net), (n) => netWeightsOrThrow(
    n.shape,
    n.W.map((w, l) => tf.tensor2d(Float32Array.from(w), [n.shape[l]!, n.shape[l + 1]!])),
    n.b.map((b) => tf.tensor1d(Float32Array.from(b)))
  ))

/**
 * A single (unbatched) network's tensors as plain numbers, e.g. to save a construction with
 * {@link saveNetwork}. Fails with `InvalidInput` for a batch of networks. cpu-only: it reads the
 * tensors synchronously (on webgpu, make them inside `onCpu`, or read them with `readback`).
 */
export const toStoredNetwork = (net: NetWeights): Result.Result<StoredNetwork, InvalidInput> =>
  net.batch.length > 0
    ? Result.fail(new InvalidInput({ source: "network", message: `expected one network, got a batch [${net.batch.join(", ")}]: slice one out first` }))
    : Result.succeed({ shape: net.shape, W: net.W.map((w) => Array.from(w.dataSync())), b: net.b.map((b) => Array.from(b.dataSync())) })
