import { Result } from "effect"
import { MAX_EDGES } from "../network/schemas.js"
import { WeightFileError } from "./networkFileErrors.js"
import { cutText } from "../base/schemas.js"

/**
 * How much a weight file from outside may make the readers hold. The largest network hyperlayers
 * analyses has {@link MAX_EDGES} weights (plus at most 16 × 4096 biases): 8.9 MB in float64. A
 * file, or what an archive unpacks to, may be about 30 times that, so any real network fits with
 * room to spare and a file that claims gigabytes is refused before anything is read or inflated.
 */

/** The most bytes a binary weight file may hold, or an `.npz` may unpack to in all: 256 MiB. */
export const MAX_WEIGHT_BYTES = 256 * 2 ** 20

/**
 * The most bytes of a JSON network: 64 MiB, at about 25 characters a number more than twice the
 * largest network (parsing JSON takes several times its size in memory).
 */
export const MAX_JSON_BYTES = 64 * 2 ** 20

/** The most characters of a tensor's name (PyTorch's longest state-dict names are well under 200). */
export const MAX_TENSOR_NAME = 256

/** `n` bytes in a readable unit. */
export const byteText = (n: number): string =>
  n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(1)} GiB` : n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(1)} MiB` : n >= 2 ** 10 ? `${(n / 2 ** 10).toFixed(1)} KiB` : `${n} bytes`

/**
 * Check a weight file's size before it is read or decoded.
 *
 * @param file the file, for the message
 * @param bytes its size in bytes
 * @param limit the most allowed (default {@link MAX_WEIGHT_BYTES})
 * @returns nothing, or a {@link WeightFileError} `too-large` naming the file, its size and the limit
 */
export const checkFileSize = (file: string, bytes: number, limit = MAX_WEIGHT_BYTES): Result.Result<void, WeightFileError> =>
  bytes <= limit ? Result.void : Result.fail(new WeightFileError({
    file, problem: "too-large",
    message: `${file}: the file holds ${byteText(bytes)}, more than the ${byteText(limit)} a weight file may hold (the largest network hyperlayers analyses takes ${byteText((MAX_EDGES + 16 * 4096) * 8)} in float64)`
  }))

/**
 * Check a tensor's name as read from a file: at most {@link MAX_TENSOR_NAME} characters, so that
 * every message naming it stays readable.
 *
 * @returns nothing, or a {@link WeightFileError} `format` quoting the name's start and length
 */
export const checkTensorName = (file: string, name: string): Result.Result<void, WeightFileError> =>
  name.length <= MAX_TENSOR_NAME ? Result.void : Result.fail(new WeightFileError({
    file, problem: "format", tensor: cutText(name),
    message: `${file}: a tensor name of ${name.length} characters (${cutText(name, 40)}); names are at most ${MAX_TENSOR_NAME} characters`
  }))
