/**
 * A tensor as read from a weight file, before it is known to be part of a network: its name, the
 * dtype it was stored in, its shape and its values converted to float32 (row-major).
 */
export interface RawTensor {
  readonly name: string
  /** The stored dtype, in the file format's own spelling (`F32`, `<f8`, `number` for JSON). */
  readonly dtype: string
  readonly shape: ReadonlyArray<number>
  readonly values: Float32Array
  /** Finite stored values that became ±∞ in float32 (float64 beyond ±3.4e38). */
  readonly overflow: number
}

/** The float encodings the readers convert: IEEE binary16, bfloat16, binary32 and binary64. */
export type FloatEncoding = "f16" | "bf16" | "f32" | "f64"

/** Bytes per value of each encoding. */
export const itemSize: Readonly<Record<FloatEncoding, number>> = { f16: 2, bf16: 2, f32: 4, f64: 8 }

/** IEEE 754 binary16 bits to a number (subnormals, ±∞ and NaN included). */
export const halfToNumber = (h: number): number => {
  const sign = h & 0x8000 ? -1 : 1
  const exponent = (h >> 10) & 0x1f
  const fraction = h & 0x3ff
  if (exponent === 0) return sign * fraction * 2 ** -24
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15)
}

/**
 * Decode `count` values of `encoding` starting at `offset` of `bytes`, converting to float32.
 * Returns the values and how many finite values overflowed float32.
 */
export const decodeFloats = (
  bytes: Uint8Array,
  offset: number,
  count: number,
  encoding: FloatEncoding,
  littleEndian: boolean
): { readonly values: Float32Array; readonly overflow: number } => {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, count * itemSize[encoding])
  const values = new Float32Array(count)
  const scratch = new DataView(new ArrayBuffer(4))
  let overflow = 0
  for (let k = 0; k < count; k++) {
    switch (encoding) {
      case "f32":
        values[k] = view.getFloat32(4 * k, littleEndian)
        break
      case "f64": {
        const v = view.getFloat64(8 * k, littleEndian)
        values[k] = v
        if (Number.isFinite(v) && !Number.isFinite(values[k]!)) overflow++
        break
      }
      case "f16":
        values[k] = halfToNumber(view.getUint16(2 * k, littleEndian))
        break
      case "bf16": {
        scratch.setUint32(0, (view.getUint16(2 * k, littleEndian) << 16) >>> 0)
        values[k] = scratch.getFloat32(0)
        break
      }
    }
  }
  return { values, overflow }
}

/** Little-endian float32 bytes of `values` (what every writer of this library stores). */
export const float32Bytes = (values: ArrayLike<number>): Uint8Array => {
  const out = new Uint8Array(values.length * 4)
  const view = new DataView(out.buffer)
  for (let k = 0; k < values.length; k++) view.setFloat32(4 * k, values[k]!, true)
  return out
}

/** Number of values of a shape (1 for a scalar). */
export const sizeOf = (shape: ReadonlyArray<number>): number => shape.reduce((a, b) => a * b, 1)

/** `[a, b, c]` */
export const shapeText = (shape: ReadonlyArray<number>): string => `[${shape.join(", ")}]`
