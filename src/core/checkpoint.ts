import { crc32 } from "node:zlib"
import { Data, Result, Schema } from "effect"
import { firstNonFinite } from "./finite.js"
import { TrainConfig } from "./trainConfig.js"

/**
 * The checkpoint file format: everything needed to evaluate a run at a step or to resume it
 * exactly. A small binary container, so 0.5M parameters and their Adam moments stay compact:
 *
 *     "HLCK" | u32 version | u32 header bytes | header JSON (UTF-8) | pad to 4 | float32 data (LE)
 *
 * The header is decoded with Schema and carries a CRC-32 of the data, so a truncated or corrupt
 * file is an error naming what is wrong, never a silent restart. A tensor holding NaN or ±∞ is
 * such an error too, naming the file and the tensor: nothing downstream could read it.
 */

const CHECKPOINT_VERSION = 1
const MAGIC = [0x48, 0x4c, 0x43, 0x4b] // "HLCK"

const RngStateJson = Schema.Struct({
  rootSeed: Schema.Number,
  streams: Schema.Record(Schema.String, Schema.Number)
})

const TensorEntry = Schema.Struct({
  name: Schema.String,
  shape: Schema.Array(Schema.Number.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(0))),
  offset: Schema.Number.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(0))
})

export const CheckpointHeader = Schema.Struct({
  format: Schema.Literal("hyperlayers-checkpoint"),
  step: Schema.Number.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(0)),
  config: TrainConfig,
  rng: RngStateJson,
  /** Adam's step count and bias-correction accumulators, stored exactly for a bit-identical resume. */
  optimizer: Schema.Struct({ iterations: Schema.Number, accBeta1: Schema.Number, accBeta2: Schema.Number }),
  tensors: Schema.Array(TensorEntry),
  floats: Schema.Number.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(0)),
  crc32: Schema.Number
})
export type CheckpointHeader = typeof CheckpointHeader.Type

/** A named float32 array with its shape. */
export interface NamedArray {
  readonly name: string
  readonly shape: ReadonlyArray<number>
  readonly values: Float32Array
}

export interface Checkpoint {
  readonly step: number
  readonly config: TrainConfig
  readonly rng: { readonly rootSeed: number; readonly streams: Readonly<Record<string, number>> }
  readonly optimizer: { readonly iterations: number; readonly accBeta1: number; readonly accBeta2: number }
  /** Hyperhypernetwork parameters (`param/W1` …) then optimizer moments (`adam/m/W1` …). */
  readonly tensors: ReadonlyArray<NamedArray>
}

export class CheckpointError extends Data.TaggedError("CheckpointError")<{ readonly message: string }> {}

export const encodeCheckpoint = (c: Checkpoint): Uint8Array => {
  let floats = 0
  const tensors = c.tensors.map((t) => {
    const entry = { name: t.name, shape: [...t.shape], offset: floats }
    floats += t.values.length
    return entry
  })
  const data = new Float32Array(floats)
  c.tensors.forEach((t, k) => data.set(t.values, tensors[k]!.offset))
  const dataBytes = new Uint8Array(data.buffer)
  const header: CheckpointHeader = {
    format: "hyperlayers-checkpoint", step: c.step, config: c.config, rng: { rootSeed: c.rng.rootSeed, streams: { ...c.rng.streams } },
    optimizer: c.optimizer, tensors, floats, crc32: crc32(dataBytes)
  }
  const json = new TextEncoder().encode(JSON.stringify(Schema.encodeSync(CheckpointHeader)(header)))
  const start = 12 + json.length + ((4 - ((12 + json.length) % 4)) % 4)
  const out = new Uint8Array(start + dataBytes.length)
  out.set(MAGIC, 0)
  const view = new DataView(out.buffer)
  view.setUint32(4, CHECKPOINT_VERSION, true)
  view.setUint32(8, json.length, true)
  out.set(json, 12)
  out.set(dataBytes, start)
  return out
}

export const decodeCheckpoint = (bytes: Uint8Array, source: string): Result.Result<Checkpoint, CheckpointError> => {
  const fail = (why: string) => Result.fail(new CheckpointError({ message: `${source} is not a usable checkpoint: ${why}` }))
  if (bytes.length < 12 || MAGIC.some((b, k) => bytes[k] !== b)) return fail("it does not start with the HLCK signature")
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const version = view.getUint32(4, true)
  if (version !== CHECKPOINT_VERSION) return fail(`format version ${version}, this library reads version ${CHECKPOINT_VERSION}`)
  const headerLength = view.getUint32(8, true)
  if (12 + headerLength > bytes.length) return fail("the header is truncated")
  let raw: unknown
  try {
    raw = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + headerLength)))
  } catch (e) {
    return fail(`the header is not JSON (${e instanceof Error ? e.message : String(e)})`)
  }
  const decoded = Schema.decodeUnknownResult(CheckpointHeader)(raw)
  if (Result.isFailure(decoded)) return fail(`bad header: ${decoded.failure.message}`)
  const header = decoded.success
  const start = 12 + headerLength + ((4 - ((12 + headerLength) % 4)) % 4)
  const dataBytes = bytes.subarray(start)
  if (dataBytes.length !== header.floats * 4) return fail(`expected ${header.floats * 4} bytes of data, found ${dataBytes.length} (truncated?)`)
  if (crc32(dataBytes) !== header.crc32) return fail("the data does not match its checksum (corrupt)")
  // copy into a fresh, aligned buffer (a Node Buffer's slice() is a view into a shared pool)
  const copy = new Uint8Array(dataBytes.length)
  copy.set(dataBytes)
  const data = new Float32Array(copy.buffer)
  const tensors: Array<NamedArray> = []
  for (const t of header.tensors) {
    const size = t.shape.reduce((a, b) => a * b, 1)
    if (t.offset + size > header.floats) return fail(`tensor ${t.name} runs past the data`)
    const values = data.slice(t.offset, t.offset + size)
    // parameters and Adam moments are finite in every checkpoint training writes
    const k = firstNonFinite(values)
    if (k >= 0) return fail(`tensor ${t.name} [${t.shape.join(", ")}] holds ${values[k]} at flat index ${k}`)
    tensors.push({ name: t.name, shape: t.shape, values })
  }
  return Result.succeed({ step: header.step, config: header.config, rng: header.rng, optimizer: header.optimizer, tensors })
}
