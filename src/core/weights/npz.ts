import { Result } from "effect"
import { zipSync } from "fflate"
import { WeightFileError } from "./networkFileErrors.js"
import { decodeNpy, encodeNpy } from "./npy.js"
import { cutText } from "../base/schemas.js"
import type { RawTensor } from "./rawTensor.js"
import type { TensorToWrite } from "./safetensors.js"
import { checkTensorName, MAX_WEIGHT_BYTES } from "./weightFileLimits.js"
import { readZipDirectory, unpackZipMember } from "./zipArchive.js"

/**
 * NumPy's `.npz`: a zip archive of `.npy` members, one per array, named `<key>.npy`, stored
 * (`np.savez`) or deflated (`np.savez_compressed`), with zip64 records (NumPy forces them). The
 * archive is read by `zipArchive.ts`, which caps what is unpacked by the sizes its directory
 * declares before inflating anything; each member is read by {@link decodeNpy}, which checks its
 * data against its header's shape × dtype before converting it.
 */

/**
 * Read every array of an `.npz` archive as a tensor named by its key (the member name without
 * `.npy`). At most `limit` bytes (default {@link MAX_WEIGHT_BYTES}) are unpacked in all.
 *
 * @param bytes the archive
 * @param file its path, for messages
 * @param limit the most bytes its members may declare in all
 * @returns the tensors, or a {@link WeightFileError} naming the file and member: `format` (not a
 *   zip archive, a member that is not an `.npy`, an encrypted or otherwise compressed member),
 *   `truncated` (a damaged archive), `too-large` (members declaring more than `limit`, refused
 *   before inflating), `header` (a member that inflates to other than its declared size) or what
 *   {@link decodeNpy} says of a member
 */
export const decodeNpz = (bytes: Uint8Array, file: string, limit = MAX_WEIGHT_BYTES): Result.Result<ReadonlyArray<RawTensor>, WeightFileError> => {
  if (bytes.length < 4 || bytes[0] !== 0x50 || bytes[1] !== 0x4b) {
    return Result.fail(new WeightFileError({ file, problem: "format", message: `${file}: not an .npz archive (a zip file starts with "PK")` }))
  }
  const directory = readZipDirectory(bytes, file, limit)
  if (Result.isFailure(directory)) return Result.fail(directory.failure)
  // every member's name is checked before any is inflated
  for (const { name } of directory.success) {
    const named = checkTensorName(file, name)
    if (Result.isFailure(named)) return Result.fail(named.failure)
    if (!name.endsWith(".npy")) {
      return Result.fail(new WeightFileError({ file, tensor: name, problem: "format", message: `${file}: member ${cutText(name)} is not an .npy array (np.savez writes <key>.npy members)` }))
    }
  }
  const tensors: Array<RawTensor> = []
  for (const member of directory.success) {
    const data = unpackZipMember(bytes, member, file)
    if (Result.isFailure(data)) return Result.fail(data.failure)
    const t = decodeNpy(data.success, file, member.name.slice(0, -4))
    if (Result.isFailure(t)) return Result.fail(t.failure)
    tensors.push(t.success)
  }
  return Result.succeed(tensors)
}

/** Write tensors as an `.npz` archive of float32 `.npy` members (stored, like `np.savez`). */
export const encodeNpz = (tensors: ReadonlyArray<TensorToWrite>): Uint8Array =>
  zipSync(Object.fromEntries(tensors.map((t) => [`${t.name}.npy`, [encodeNpy(t.shape, t.values), { level: 0 }] as const])), { mtime: new Date(1980, 0, 1) })
