import { Result } from "effect"
import { WeightFileError } from "./networkFileErrors.js"
import { decodeFloats, float32Bytes, type FloatEncoding, itemSize, type RawTensor, shapeText, sizeOf } from "./rawTensor.js"
import { quoteValue } from "../base/schemas.js"

/**
 * NumPy's `.npy` format (numpy.lib.format, versions 1.0–3.0), read and written by hand: the
 * format is a magic string, a Python-literal header and raw data, and the npm readers are thin
 * (no check that the data matches the header) or fetch from URLs.
 *
 *     "\x93NUMPY" major minor   (6 + 2 bytes)
 *     header length             u16 LE (version 1) or u32 LE (versions 2, 3)
 *     header                    {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), } padded
 *                               with spaces and ended by '\n'
 *     data                      size(shape) · itemsize bytes, C order unless fortran_order
 */

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59] // \x93NUMPY

/** NumPy's float type codes. */
const ENCODINGS: Readonly<Record<string, FloatEncoding>> = { f2: "f16", f4: "f32", f8: "f64" }
const TYPE_NAMES: Readonly<Record<string, string>> = {
  f2: "float16", f4: "float32", f8: "float64", f16: "float128", i1: "int8", i2: "int16", i4: "int32", i8: "int64",
  u1: "uint8", u2: "uint16", u4: "uint32", u8: "uint64", b1: "bool", c8: "complex64", c16: "complex128", O: "object (pickled)"
}

/** Reorder column-major (Fortran) values of `shape` to row-major. */
const fromFortranOrder = (values: Float32Array, shape: ReadonlyArray<number>): Float32Array => {
  if (shape.length < 2) return values
  const out = new Float32Array(values.length)
  const index = new Array<number>(shape.length).fill(0)
  for (let k = 0; k < values.length; k++) {
    // k walks row-major; its column-major position weighs the first axis fastest
    let f = 0
    for (let a = shape.length - 1; a >= 0; a--) f = f * shape[a]! + index[a]!
    out[k] = values[f]!
    for (let a = shape.length - 1; a >= 0; a--) {
      index[a]!++
      if (index[a]! < shape[a]!) break
      index[a] = 0
    }
  }
  return out
}

/**
 * Read one `.npy` array (a file, or a member of an `.npz`) as a tensor called `name`, converted to
 * float32. Fails with {@link WeightFileError} naming it: `format` (no NumPy magic, a header that
 * is not the format's dict), `dtype` (not float16/32/64), `truncated` (less data than the header
 * says) or `header` (more data than it says).
 */
export const decodeNpy = (bytes: Uint8Array, file: string, name: string): Result.Result<RawTensor, WeightFileError> => {
  const fail = (problem: WeightFileError["problem"], message: string) =>
    Result.fail(new WeightFileError({ file, tensor: name, problem, message: `${file}: ${name}: ${message}` }))
  if (bytes.length < 10 || MAGIC.some((b, k) => bytes[k] !== b)) return fail("format", "not a NumPy .npy array (no \\x93NUMPY magic at its start)")
  const major = bytes[6]!
  if (major < 1 || major > 3) return fail("format", `.npy format version ${major}.${bytes[7]} is not one NumPy writes (1.0–3.0)`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length)
  const lengthBytes = major === 1 ? 2 : 4
  if (bytes.length < 8 + lengthBytes) return fail("truncated", "the file ends inside its header")
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true)
  const start = 8 + lengthBytes
  if (start + headerLength > bytes.length) return fail("truncated", `the header length field says ${headerLength} bytes, but only ${bytes.length - start} follow: the file is truncated`)
  const header = new TextDecoder(major === 3 ? "utf-8" : "latin1").decode(bytes.subarray(start, start + headerLength)).trim()
  const dict = /^\{\s*(.*?),?\s*\}$/s.exec(header)
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)
  const shapeMatch = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)
  if (dict === null || fortran === null || shapeMatch === null) return fail("format", `the header is not NumPy's {'descr': …, 'fortran_order': …, 'shape': (…)} (got ${quoteValue(header, 120)})`)
  if (descr === null) return fail("dtype", `its dtype is a structured or object type (${quoteValue(header, 120)}); hyperlayers reads float16, float32 and float64 arrays`)
  const dims = shapeMatch[1]!.split(",").map((s) => s.trim()).filter((s) => s !== "")
  if (!dims.every((d) => /^\d+$/.test(d))) return fail("format", `the header's shape (${shapeMatch[1]}) is not a tuple of sizes`)
  const shape = dims.map(Number)
  const code = descr[1]!
  const order = code[0]!
  const type = /^[<>|=]/.test(code) ? code.slice(1) : code
  const encoding = ENCODINGS[type]
  if (encoding === undefined) {
    return fail("dtype", `its dtype is ${TYPE_NAMES[type] ?? code} ('${code}'); hyperlayers reads float16, float32 and float64 arrays (convert with .astype(np.float32))`)
  }
  const dataStart = start + headerLength
  const want = sizeOf(shape) * itemSize[encoding]
  const have = bytes.length - dataStart
  if (have < want) return fail("truncated", `the header says ${TYPE_NAMES[type]} ${shapeText(shape)} (${want} bytes of data) but only ${have} follow: the file is truncated`)
  if (have > want) return fail("header", `the header says ${TYPE_NAMES[type]} ${shapeText(shape)} (${want} bytes of data) but ${have} follow: the header lies about the size`)
  const decoded = decodeFloats(bytes, dataStart, sizeOf(shape), encoding, order !== ">")
  const values = fortran[1] === "True" ? fromFortranOrder(decoded.values, shape) : decoded.values
  return Result.succeed({ name, dtype: code, shape, values, overflow: decoded.overflow })
}

/**
 * Write a float32 array as `.npy` (format 1.0, little-endian, C order), with the header padded so
 * that the data starts at a multiple of 64 bytes, as NumPy writes it.
 */
export const encodeNpy = (shape: ReadonlyArray<number>, values: ArrayLike<number>): Uint8Array => {
  if (values.length !== sizeOf(shape)) throw new RangeError(`${values.length} values for shape ${shapeText(shape)}`)
  const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': ${tuple}, }`
  const total = Math.ceil((10 + dict.length + 1) / 64) * 64
  const header = dict + " ".repeat(total - 10 - dict.length - 1) + "\n"
  const out = new Uint8Array(total + 4 * values.length)
  out.set(MAGIC, 0)
  out[6] = 1
  out[7] = 0
  new DataView(out.buffer).setUint16(8, header.length, true)
  out.set(new TextEncoder().encode(header), 10)
  out.set(float32Bytes(values), total)
  return out
}
