import { Result } from "effect"
import { WeightFileError } from "./networkFileErrors.js"
import { decodeFloats, float32Bytes, type FloatEncoding, itemSize, type RawTensor, shapeText, sizeOf } from "./rawTensor.js"
import { errorMessage } from "../base/schemas.js"
import { topLevelKeys } from "../base/schemas.js"
import { quoteValue } from "../base/schemas.js"
import { checkTensorName } from "./weightFileLimits.js"

/**
 * The safetensors format (Hugging Face; what `safetensors.torch.save_file(model.state_dict(), …)`
 * and JAX's exporters write), read and written by hand: it is 8 bytes, a JSON header and raw
 * little-endian data, and the npm packages for it are either hub clients or unmaintained.
 *
 *     u64 LE   N, the header's length in bytes
 *     N bytes  JSON: { "<name>": { "dtype": "F32", "shape": [5, 3], "data_offsets": [begin, end] }, …,
 *                      "__metadata__": { "<key>": "<string>" } }   (may end in spaces)
 *     rest     the data buffer; offsets are relative to its start
 *
 * The format's rules, each checked: the header is at most 100 MB and starts with `{`; it names
 * each tensor once (JSON.parse would silently keep the last of two entries with one name, so the
 * keys are scanned here); every tensor's bytes are `size(shape) · itemsize(dtype)`; the tensors
 * tile the data buffer exactly, with no hole, overlap or trailing byte.
 */

const MAX_HEADER = 100_000_000

/** The dtypes read here, and their encoding; any other dtype is refused by name. */
const ENCODINGS: Readonly<Record<string, FloatEncoding>> = { F16: "f16", BF16: "bf16", F32: "f32", F64: "f64" }
/** Bytes per value of the dtypes refused, so that a file holding one still checks its sizes. */
const OTHER_SIZES: Readonly<Record<string, number>> = {
  BOOL: 1, U8: 1, I8: 1, F8_E4M3: 1, F8_E5M2: 1, I16: 2, U16: 2, I32: 4, U32: 4, I64: 8, U64: 8, C64: 8
}

export interface SafetensorsFile {
  readonly tensors: ReadonlyArray<RawTensor>
  readonly metadata: Readonly<Record<string, string>>
}

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)
const isCount = (u: unknown): u is number => typeof u === "number" && Number.isSafeInteger(u) && u >= 0

/**
 * Read a safetensors file's bytes: every tensor converted to float32. Fails with
 * {@link WeightFileError} naming the tensor and the problem: `truncated` (the file ends before its
 * header or a tensor does), `header` (malformed JSON, sizes that disagree with dtype and shape, a
 * hole or overlap), `dtype` (integers, booleans, 8-bit floats).
 */
export const decodeSafetensors = (bytes: Uint8Array, file: string): Result.Result<SafetensorsFile, WeightFileError> => {
  const fail = (problem: WeightFileError["problem"], message: string, tensor?: string) =>
    Result.fail(new WeightFileError({ file, problem, message: `${file}: ${message}`, ...(tensor === undefined ? {} : { tensor }) }))
  if (bytes.length < 8) return fail("truncated", `a safetensors file starts with an 8-byte header length, but the file has ${bytes.length} bytes`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length)
  const n = Number(view.getBigUint64(0, true))
  if (n > MAX_HEADER) return fail("header", `the header length field says ${n} bytes (the format allows at most ${MAX_HEADER}): not a safetensors file, or a corrupt one`)
  if (8 + n > bytes.length) return fail("truncated", `the header length field says ${n} bytes, but only ${bytes.length - 8} follow it: the file is truncated`)
  const text = new TextDecoder("utf-8", { fatal: false }).decode(bytes.subarray(8, 8 + n))
  if (!text.startsWith("{")) return fail("header", "the header is not a JSON object (it must start with '{'): not a safetensors file")
  let header: unknown
  try {
    header = JSON.parse(text)
  } catch (e) {
    return fail("header", `the header is not valid JSON: ${errorMessage(e)}`)
  }
  if (!isRecord(header)) return fail("header", "the header is not a JSON object")
  const seen = new Set<string>()
  for (const name of topLevelKeys(text)) {
    if (seen.has(name)) {
      return fail("header", `the header names ${name === "__metadata__" ? "__metadata__" : `tensor ${quoteValue(name)}`} twice; a safetensors header lists each tensor once (a JSON reader would silently keep the last)`, name === "__metadata__" ? undefined : name)
    }
    seen.add(name)
    if (name !== "__metadata__") {
      const named = checkTensorName(file, name)
      if (Result.isFailure(named)) return Result.fail(named.failure)
    }
  }
  const dataLength = bytes.length - 8 - n
  const entries: Array<{ name: string; dtype: string; shape: ReadonlyArray<number>; begin: number; end: number }> = []
  let metadata: Record<string, string> = {}
  for (const [name, entry] of Object.entries(header)) {
    if (name === "__metadata__") {
      if (!isRecord(entry) || Object.values(entry).some((v) => typeof v !== "string")) return fail("header", "__metadata__ must map names to strings")
      metadata = entry as Record<string, string>
      continue
    }
    if (!isRecord(entry)) return fail("header", `the header entry of tensor ${name} is not an object`, name)
    const { dtype, shape, data_offsets: offsets } = entry
    if (typeof dtype !== "string") return fail("header", `tensor ${name} has no dtype`, name)
    if (!Object.hasOwn(ENCODINGS, dtype) && !Object.hasOwn(OTHER_SIZES, dtype)) return fail("dtype", `tensor ${name} has dtype ${quoteValue(dtype)}, which is not a safetensors dtype`, name)
    if (!Array.isArray(shape) || !shape.every(isCount)) return fail("header", `tensor ${name} has no valid shape (got ${quoteValue(shape)})`, name)
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[0] > offsets[1]) {
      return fail("header", `tensor ${name} has no valid data_offsets [begin, end] (got ${quoteValue(offsets)})`, name)
    }
    const size = ENCODINGS[dtype] === undefined ? OTHER_SIZES[dtype] : itemSize[ENCODINGS[dtype]!]
    if (size === undefined) return fail("dtype", `tensor ${name} has dtype ${dtype}, which is not a safetensors dtype`, name)
    const [begin, end] = offsets as [number, number]
    const want = sizeOf(shape) * size
    if (end - begin !== want) {
      return fail("header", `the header lies about tensor ${name}: ${dtype} ${shapeText(shape)} takes ${want} bytes, but its data_offsets [${begin}, ${end}] span ${end - begin}`, name)
    }
    if (end > dataLength) {
      return fail("truncated", `tensor ${name} ends at byte ${end} of the data, but the file holds ${dataLength} data bytes: the file is truncated`, name)
    }
    entries.push({ name, dtype, shape, begin, end })
  }
  // the tensors must tile the data buffer: no hole, no overlap, nothing after the last one
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end)
  let at = 0
  let previous: (typeof entries)[number] | undefined
  for (const e of sorted) {
    if (e.begin > at) return fail("header", `bytes ${at}–${e.begin} of the data belong to no tensor (a hole before ${e.name}); the format forbids holes`, e.name)
    if (e.begin < at && previous !== undefined) {
      const both = `tensors ${previous.name} (bytes ${previous.begin}–${previous.end}) and ${e.name} (bytes ${e.begin}–${e.end})`
      return fail("header", previous.begin === e.begin && previous.end === e.end
        ? `${both} are the same bytes; each tensor must have bytes of its own`
        : `${both} overlap at bytes ${e.begin}–${Math.min(at, e.end)}; each tensor must have bytes of its own`, e.name)
    }
    at = e.end
    previous = e
  }
  if (at !== dataLength) return fail("header", `${dataLength - at} bytes after the last tensor belong to no tensor; the format forbids them`)
  const tensors: Array<RawTensor> = []
  for (const e of entries) {
    const encoding = ENCODINGS[e.dtype]
    if (encoding === undefined) {
      return fail("dtype", `tensor ${e.name} has dtype ${e.dtype}; hyperlayers reads weights stored as F32, F64, F16 or BF16 (convert with model.float())`, e.name)
    }
    const { values, overflow } = decodeFloats(bytes, 8 + n + e.begin, sizeOf(e.shape), encoding, true)
    tensors.push({ name: e.name, dtype: e.dtype, shape: e.shape, values, overflow })
  }
  return Result.succeed({ tensors, metadata })
}

/** A tensor to write: its name, shape and float32 values (row-major). */
export interface TensorToWrite {
  readonly name: string
  readonly shape: ReadonlyArray<number>
  readonly values: ArrayLike<number>
}

/**
 * Write tensors as a safetensors file, in float32 (`F32`), in the given order, with optional
 * string metadata. The header is padded with spaces to a multiple of 8 bytes, as the reference
 * implementation does, so that the data is aligned.
 */
export const encodeSafetensors = (tensors: ReadonlyArray<TensorToWrite>, metadata?: Readonly<Record<string, string>>): Uint8Array => {
  const header: Record<string, unknown> = {}
  if (metadata !== undefined && Object.keys(metadata).length > 0) header["__metadata__"] = metadata
  let offset = 0
  for (const t of tensors) {
    if (t.values.length !== sizeOf(t.shape)) throw new RangeError(`tensor ${t.name}: ${t.values.length} values for shape ${shapeText(t.shape)}`)
    header[t.name] = { dtype: "F32", shape: [...t.shape], data_offsets: [offset, offset + 4 * t.values.length] }
    offset += 4 * t.values.length
  }
  let json = new TextEncoder().encode(JSON.stringify(header))
  const padded = Math.ceil(json.length / 8) * 8
  if (padded !== json.length) json = new TextEncoder().encode(JSON.stringify(header) + " ".repeat(padded - json.length))
  const out = new Uint8Array(8 + json.length + offset)
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true)
  out.set(json, 8)
  let at = 8 + json.length
  for (const t of tensors) {
    out.set(float32Bytes(t.values), at)
    at += 4 * t.values.length
  }
  return out
}
