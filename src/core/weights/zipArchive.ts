import { Result } from "effect"
import { Inflate } from "fflate"
import { errorMessage } from "../base/schemas.js"
import { WeightFileError } from "./networkFileErrors.js"
import { cutText } from "../base/schemas.js"
import { byteText, MAX_WEIGHT_BYTES } from "./weightFileLimits.js"

/**
 * The members of a zip archive (what `np.savez` writes), read so that what is unpacked is capped
 * *before* anything is inflated: the central directory is read first, every member's declared
 * (uncompressed) size and their total are checked against a limit, and each member is then
 * inflated into a buffer of exactly its declared size, stopping as soon as the data would run past
 * it. A zip bomb (a megabyte of zeros that inflates to gigabytes) is refused before it is inflated
 * when its directory is honest, and after at most its declared size (plus one chunk of output)
 * when the directory lies; memory stays within the limit either way.
 *
 *     local header + data, …   central directory: one entry per member   [zip64 end record + locator]   end record
 *
 * Read here: stored (method 0) and deflated (method 8) members, zip64 sizes and offsets, UTF-8 and
 * CP437 names. fflate inflates, one 4 KB slice of compressed data at a time.
 */

/** One member as the central directory describes it. */
export interface ZipMember {
  readonly name: string
  /** 0: stored; 8: deflated. */
  readonly method: number
  readonly compressedSize: number
  /** What the directory says the member inflates to. */
  readonly size: number
  /** Where its compressed data starts in the archive. */
  readonly dataOffset: number
}

const EOCD = 0x06054b50
const ZIP64_LOCATOR = 0x07064b50
const ZIP64_EOCD = 0x06064b50
const CENTRAL = 0x02014b50
const LOCAL = 0x04034b50

/** Compressed bytes handed to the inflater at a time: its output per slice is at most ~1032 times this. */
const SLICE = 4096

/**
 * Read an archive's central directory and check the declared sizes: each member's and their total
 * at most `limit` (default {@link MAX_WEIGHT_BYTES}). Nothing is inflated.
 *
 * @param bytes the archive
 * @param file its path, for messages
 * @returns its members, or a {@link WeightFileError}: `format` (no end record, an encrypted member,
 *   a compression method other than stored or deflate), `truncated` (a record or member that runs
 *   past the end), `too-large` (a member or the total declared beyond `limit`, naming the member)
 */
export const readZipDirectory = (bytes: Uint8Array, file: string, limit = MAX_WEIGHT_BYTES): Result.Result<ReadonlyArray<ZipMember>, WeightFileError> => {
  const fail = (problem: WeightFileError["problem"], message: string, member?: string) =>
    Result.fail(new WeightFileError({ file, problem, message: `${file}: ${message}`, ...(member === undefined ? {} : { tensor: cutText(member) }) }))
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const u16 = (at: number) => view.getUint16(at, true)
  const u32 = (at: number) => view.getUint32(at, true)
  const u64 = (at: number) => Number(view.getBigUint64(at, true)) // beyond 2^53 only in a lying archive, refused by size
  const fits = (at: number, n: number) => at >= 0 && at + n <= bytes.length

  // the end record: the last 22 bytes, or earlier by a comment of up to 65535 bytes
  let end = -1
  for (let at = bytes.length - 22; at >= Math.max(0, bytes.length - 22 - 65535); at--) {
    if (u32(at) === EOCD) {
      end = at
      break
    }
  }
  if (end < 0) return fail("truncated", "the zip archive is damaged or truncated (no end-of-central-directory record)")
  let count = u16(end + 10)
  let offset = u32(end + 16)
  if (end >= 20 && u32(end - 20) === ZIP64_LOCATOR) {
    const at = u64(end - 12)
    if (!fits(at, 56) || u32(at) !== ZIP64_EOCD) return fail("truncated", "the zip archive is damaged or truncated (its zip64 end record is missing)")
    count = u64(at + 32)
    offset = u64(at + 48)
  }
  // each entry takes at least 46 bytes: a count beyond that is a lie, not a reason to loop
  if (count > (bytes.length - offset) / 46) return fail("truncated", `the zip archive is damaged or truncated (its directory lists ${count} members, more than fit in the file)`)

  const members: Array<ZipMember> = []
  let total = 0
  let at = offset
  for (let k = 0; k < count; k++) {
    if (!fits(at, 46) || u32(at) !== CENTRAL) return fail("truncated", `the zip archive is damaged or truncated (directory entry ${k} is missing)`)
    const flags = u16(at + 8)
    const method = u16(at + 10)
    let compressedSize = u32(at + 20)
    let size = u32(at + 24)
    const [nameLength, extraLength, commentLength] = [u16(at + 28), u16(at + 30), u16(at + 32)]
    let local = u32(at + 42)
    if (!fits(at + 46, nameLength + extraLength)) return fail("truncated", `the zip archive is damaged or truncated (directory entry ${k} runs past the end)`)
    const name = new TextDecoder(flags & 0x800 ? "utf-8" : "latin1").decode(bytes.subarray(at + 46, at + 46 + nameLength))
    // zip64: the sizes and offset that do not fit 32 bits follow in the extra field 0x0001, in this order
    for (let e = at + 46 + nameLength; e + 4 <= at + 46 + nameLength + extraLength;) {
      const [id, length] = [u16(e), u16(e + 2)]
      if (id === 0x0001) {
        let p = e + 4
        const next = () => {
          const v = p + 8 <= e + 4 + length ? u64(p) : Number.NaN
          p += 8
          return v
        }
        if (size === 0xffffffff) size = next()
        if (compressedSize === 0xffffffff) compressedSize = next()
        if (local === 0xffffffff) local = next()
      }
      e += 4 + length
    }
    at += 46 + nameLength + extraLength + commentLength
    if (name.endsWith("/")) continue // a folder
    if (!Number.isFinite(size) || !Number.isFinite(compressedSize) || !Number.isFinite(local)) {
      return fail("truncated", `the zip archive is damaged or truncated (member ${cutText(name)}'s zip64 sizes are missing)`, name)
    }
    if (flags & 0x1) return fail("format", `member ${cutText(name)} is encrypted; save the arrays without a password`, name)
    if (method !== 0 && method !== 8) return fail("format", `member ${cutText(name)} is compressed with method ${method}; hyperlayers reads stored and deflated members (np.savez, np.savez_compressed)`, name)
    if (size > limit) {
      return fail("too-large", `member ${cutText(name)} declares ${byteText(size)} unpacked, more than the ${byteText(limit)} a weight file may unpack to; refused before inflating it`, name)
    }
    total += size
    if (total > limit) {
      return fail("too-large", `the members up to ${cutText(name)} declare ${byteText(total)} unpacked in all, more than the ${byteText(limit)} a weight file may unpack to; refused before inflating them`, name)
    }
    if (!fits(local, 30) || u32(local) !== LOCAL) return fail("truncated", `the zip archive is damaged or truncated (member ${cutText(name)}'s local header is missing)`, name)
    const dataOffset = local + 30 + u16(local + 26) + u16(local + 28)
    if (!fits(dataOffset, compressedSize)) return fail("truncated", `the zip archive is damaged or truncated (member ${cutText(name)}'s data runs past the end)`, name)
    if (method === 0 && compressedSize !== size) {
      return fail("header", `member ${cutText(name)} is stored uncompressed in ${compressedSize} bytes, but the directory says it holds ${size}: the archive lies about its size`, name)
    }
    members.push({ name, method, compressedSize, size, dataOffset })
  }
  return Result.succeed(members)
}

/** Thrown by the inflater's callback to stop it once the output passes the declared size. */
class PastDeclaredSize {}

/**
 * A member's bytes: stored ones as a view into the archive, deflated ones inflated into a buffer
 * of exactly the declared size, one {@link SLICE} of compressed data at a time, stopping as soon as
 * the output would pass that size.
 *
 * @param bytes the archive
 * @param member a member {@link readZipDirectory} returned (its size already checked)
 * @param file the archive's path, for messages
 * @returns the member's bytes, or a {@link WeightFileError} naming the member: `header` (it inflates
 *   to more or less than the directory says: the archive lies), `truncated` (its deflate data is
 *   damaged or cut short)
 */
export const unpackZipMember = (bytes: Uint8Array, member: ZipMember, file: string): Result.Result<Uint8Array, WeightFileError> => {
  const data = bytes.subarray(member.dataOffset, member.dataOffset + member.compressedSize)
  if (member.method === 0) return Result.succeed(data)
  const fail = (problem: WeightFileError["problem"], message: string) =>
    Result.fail(new WeightFileError({ file, problem, tensor: cutText(member.name), message: `${file}: member ${cutText(member.name)} ${message}` }))
  const out = new Uint8Array(member.size)
  let written = 0
  const inflater = new Inflate((chunk) => {
    if (written + chunk.length > member.size) {
      written += chunk.length
      throw new PastDeclaredSize()
    }
    out.set(chunk, written)
    written += chunk.length
  })
  try {
    for (let at = 0; at < data.length || at === 0; at += SLICE) inflater.push(data.subarray(at, at + SLICE), at + SLICE >= data.length)
  } catch (e) {
    if (e instanceof PastDeclaredSize) {
      return fail("header", `inflates to more than the ${byteText(member.size)} the zip directory declares (stopped after ${byteText(written)}): the archive lies about its size (a zip bomb?)`)
    }
    return fail("truncated", `cannot be inflated: its compressed data is damaged or truncated (${errorMessage(e)})`)
  }
  if (written !== member.size) return fail("header", `inflates to ${byteText(written)}, but the zip directory declares ${byteText(member.size)}: the archive lies about its size`)
  return Result.succeed(out)
}
