import { Result } from "effect"
import { unzipSync, zipSync } from "fflate"
import { WeightFileError } from "./networkFileErrors.js"
import { decodeNpy, encodeNpy } from "./npy.js"
import type { RawTensor } from "./rawTensor.js"
import type { TensorToWrite } from "./safetensors.js"
import { errorMessage } from "./errorMessage.js"

/**
 * NumPy's `.npz`: a zip archive of `.npy` members, one per array, named `<key>.npy`, stored
 * (`np.savez`) or deflated (`np.savez_compressed`), with zip64 records (NumPy forces them). The
 * zip layer is `fflate` (dependency-free, well kept, reads zip64); each member is read by
 * {@link decodeNpy}.
 */

/**
 * Read every array of an `.npz` archive as a tensor named by its key (the member name without
 * `.npy`). Fails with {@link WeightFileError}: `format` (not a zip archive, or a member that is not
 * an `.npy`), `truncated` (a damaged archive) or whatever {@link decodeNpy} says of a member.
 */
export const decodeNpz = (bytes: Uint8Array, file: string): Result.Result<ReadonlyArray<RawTensor>, WeightFileError> => {
  if (bytes.length < 4 || bytes[0] !== 0x50 || bytes[1] !== 0x4b) {
    return Result.fail(new WeightFileError({ file, problem: "format", message: `${file}: not an .npz archive (a zip file starts with "PK")` }))
  }
  let members: Record<string, Uint8Array>
  try {
    members = unzipSync(bytes)
  } catch (e) {
    return Result.fail(new WeightFileError({ file, problem: "truncated", message: `${file}: the zip archive is damaged or truncated (${errorMessage(e)})` }))
  }
  const tensors: Array<RawTensor> = []
  for (const [member, data] of Object.entries(members)) {
    if (member.endsWith("/")) continue
    if (!member.endsWith(".npy")) {
      return Result.fail(new WeightFileError({ file, tensor: member, problem: "format", message: `${file}: member ${member} is not an .npy array (np.savez writes <key>.npy members)` }))
    }
    const t = decodeNpy(data, file, member.slice(0, -4))
    if (Result.isFailure(t)) return Result.fail(t.failure)
    tensors.push(t.success)
  }
  return Result.succeed(tensors)
}

/** Write tensors as an `.npz` archive of float32 `.npy` members (stored, like `np.savez`). */
export const encodeNpz = (tensors: ReadonlyArray<TensorToWrite>): Uint8Array =>
  zipSync(Object.fromEntries(tensors.map((t) => [`${t.name}.npy`, [encodeNpy(t.shape, t.values), { level: 0 }] as const])), { mtime: new Date(1980, 0, 1) })
