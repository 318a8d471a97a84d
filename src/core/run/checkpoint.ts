import { createHash } from "node:crypto"
import { Data, Result, Schema } from "effect"
import { firstNonFinite } from "../base/schemas.js"
import { MetricsLogState } from "./metricsLog.js"
import { TrainConfig } from "./trainConfig.js"
import { errorMessage } from "../base/schemas.js"
import { cutText } from "../base/schemas.js"

/**
 * The checkpoint file format: everything needed to evaluate a run at a step or to resume it
 * exactly. A small binary container, so 0.5M parameters and their Adam moments stay compact:
 *
 *     "HLCK" | u32 version | u32 header bytes | SHA-256 (32 bytes) | header JSON (UTF-8) | pad to 4 | float32 data (LE)
 *
 * The SHA-256 covers the whole file but itself: the version and header length, every byte of the
 * header (step, config, RNG counters, Adam accumulators, metrics state and any field added later)
 * and the data. So a truncated, damaged or edited file is an error naming the file and what is
 * wrong, never a silent restart from altered state. The header is then decoded with Schema. A
 * tensor holding NaN or ±∞ is such an error too, naming the file and the tensor: nothing
 * downstream could read it.
 *
 * Version 1 (hyperlayers before the whole-file checksum) kept a CRC-32 of the data only; its
 * header cannot be verified, so this version refuses it with a {@link CheckpointError} saying so.
 */

export const CHECKPOINT_VERSION = 2
const MAGIC = [0x48, 0x4c, 0x43, 0x4b] // "HLCK"
/** Bytes before the header: magic, version, header length, SHA-256. */
const PREAMBLE = 12 + 32

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
  /** The state of `metrics.jsonl` at this step (absent in checkpoints written outside `train`). */
  log: Schema.optional(MetricsLogState),
  tensors: Schema.Array(TensorEntry),
  floats: Schema.Number.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(0))
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
  /** Where `metrics.jsonl` stood at this step (see {@link MetricsLogState}). */
  readonly log?: MetricsLogState
  /** Hyperhypernetwork parameters (`param/W1` …) then optimizer moments (`adam/m/W1` …). */
  readonly tensors: ReadonlyArray<NamedArray>
}

/**
 * A checkpoint cannot be used: unreadable, damaged, edited, of another format version, or not
 * belonging to the run it sits in. `path` names the file and `field`, where one is to blame, the
 * header field (`step`, `config.shape`, `rng.rootSeed`, …).
 */
export class CheckpointError extends Data.TaggedError("CheckpointError")<{
  readonly message: string
  readonly path?: string
  readonly field?: string
}> {}

const digestOf = (bytes: Uint8Array): Uint8Array => {
  const h = createHash("sha256")
  h.update(bytes.subarray(0, 12))
  h.update(bytes.subarray(PREAMBLE))
  return h.digest()
}

/**
 * The bytes of a checkpoint file (format version {@link CHECKPOINT_VERSION}).
 *
 * @param c the checkpoint; tensor values are copied, so later changes to them do not reach the bytes
 * @returns the whole file, SHA-256 included
 */
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
    optimizer: c.optimizer, ...(c.log === undefined ? {} : { log: c.log }), tensors, floats
  }
  const json = new TextEncoder().encode(JSON.stringify(Schema.encodeSync(CheckpointHeader)(header)))
  const start = PREAMBLE + json.length + ((4 - ((PREAMBLE + json.length) % 4)) % 4)
  const out = new Uint8Array(start + dataBytes.length)
  out.set(MAGIC, 0)
  const view = new DataView(out.buffer)
  view.setUint32(4, CHECKPOINT_VERSION, true)
  view.setUint32(8, json.length, true)
  out.set(json, PREAMBLE)
  out.set(dataBytes, start)
  out.set(digestOf(out), 12)
  return out
}

/**
 * Read a checkpoint file's bytes: signature, format version, the SHA-256 over everything, then
 * the header by Schema and the tensors' extents.
 *
 * @param bytes the file (any alignment; values are copied out)
 * @param source the file's path, for messages
 * @returns the checkpoint, or a {@link CheckpointError} naming `source` and what is wrong
 */
export const decodeCheckpoint = (bytes: Uint8Array, source: string): Result.Result<Checkpoint, CheckpointError> => {
  const fail = (why: string, field?: string) =>
    Result.fail(new CheckpointError({ path: source, ...(field === undefined ? {} : { field }), message: `${source} is not a usable checkpoint: ${why}` }))
  if (bytes.length < 12 || MAGIC.some((b, k) => bytes[k] !== b)) return fail("it does not start with the HLCK signature")
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const version = view.getUint32(4, true)
  if (version === 1) {
    return fail("it is format version 1, written by an older hyperlayers whose checksum did not cover the header, so its step, " +
      `seed, RNG and optimizer state cannot be verified; this version reads format ${CHECKPOINT_VERSION} only: train the run again`, "version")
  }
  if (version !== CHECKPOINT_VERSION) return fail(`format version ${version}, this library reads version ${CHECKPOINT_VERSION}`, "version")
  const headerLength = view.getUint32(8, true)
  if (bytes.length < PREAMBLE || PREAMBLE + headerLength > bytes.length) return fail("the header is truncated")
  const start = PREAMBLE + headerLength + ((4 - ((PREAMBLE + headerLength) % 4)) % 4)
  const headerBytes = bytes.subarray(PREAMBLE, PREAMBLE + headerLength)
  const parsed = ((): Result.Result<CheckpointHeader, string> => {
    let raw: unknown
    try {
      raw = JSON.parse(new TextDecoder().decode(headerBytes))
    } catch (e) {
      return Result.fail(`the header is not JSON (${errorMessage(e)})`)
    }
    const decoded = Schema.decodeUnknownResult(CheckpointHeader)(raw)
    return Result.isFailure(decoded) ? Result.fail(`bad header: ${decoded.failure.message.replace(/\s*\n\s*/g, " ")}`) : Result.succeed(decoded.success)
  })()
  const digestMatches = Buffer.from(digestOf(bytes)).equals(Buffer.from(bytes.subarray(12, PREAMBLE)))
  if (!digestMatches) {
    // say "truncated" where the header shows it: that is what a crash mid-copy leaves
    if (Result.isSuccess(parsed) && bytes.length - start !== parsed.success.floats * 4) {
      return fail(`expected ${parsed.success.floats * 4} bytes of data, found ${Math.max(0, bytes.length - start)} (truncated?)`)
    }
    return fail("the file does not match its checksum (SHA-256): it was edited or damaged after it was written (header or data)")
  }
  if (Result.isFailure(parsed)) return fail(parsed.failure)
  const header = parsed.success
  const dataBytes = bytes.subarray(start)
  if (dataBytes.length !== header.floats * 4) return fail(`expected ${header.floats * 4} bytes of data, found ${dataBytes.length}`, "floats")
  // copy into a fresh, aligned buffer (a Node Buffer's slice() is a view into a shared pool)
  const copy = new Uint8Array(dataBytes.length)
  copy.set(dataBytes)
  const data = new Float32Array(copy.buffer)
  // each tensor has floats of its own: a forged header listing one range many times would make
  // as many copies of it (the checksum proves only that the file is as its writer made it)
  const extents = header.tensors.map((t) => ({ name: t.name, begin: t.offset, end: t.offset + t.shape.reduce((a, b) => a * b, 1) }))
    .filter((e) => e.end > e.begin).sort((a, b) => a.begin - b.begin || a.end - b.end)
  for (let k = 1; k < extents.length; k++) {
    const [a, b] = [extents[k - 1]!, extents[k]!]
    if (b.begin < a.end) return fail(`tensors ${cutText(a.name)} (floats ${a.begin}–${a.end}) and ${cutText(b.name)} (floats ${b.begin}–${b.end}) overlap; each tensor has floats of its own`, "tensors")
  }
  const tensors: Array<NamedArray> = []
  for (const t of header.tensors) {
    const size = t.shape.reduce((a, b) => a * b, 1)
    if (t.offset + size > header.floats) return fail(`tensor ${t.name} runs past the data`, "tensors")
    const values = data.slice(t.offset, t.offset + size)
    // parameters and Adam moments are finite in every checkpoint training writes
    const k = firstNonFinite(values)
    if (k >= 0) return fail(`tensor ${t.name} [${t.shape.join(", ")}] holds ${values[k]} at flat index ${k}`, "tensors")
    tensors.push({ name: t.name, shape: t.shape, values })
  }
  return Result.succeed({
    step: header.step, config: header.config, rng: header.rng, optimizer: header.optimizer,
    ...(header.log === undefined ? {} : { log: header.log }), tensors
  })
}
