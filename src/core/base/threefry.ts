/**
 * Threefry-2x32 with 20 rounds (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3",
 * SC 2011; the generator behind JAX's PRNG). A counter-based generator: every output block is a
 * pure function of (key, counter), which makes named, independent, replayable streams trivial.
 */

import { simdBlocks } from "./threefrySimd.js"

const PARITY = 0x1bd11bda

/** A 64-bit key as two 32-bit words. */
export type Key = readonly [number, number]

/** Encrypt the counter `(c0, c1)` under `key`; writes two uint32 words into `out` at `at`. */
export const threefry2x32 = (key: Key, c0: number, c1: number, out: Uint32Array, at: number): void =>
  encrypt(key[0] >>> 0, key[1] >>> 0, (PARITY ^ key[0] ^ key[1]) >>> 0, c0 >>> 0, c1 >>> 0, out, at)

// The 20 rounds written out (rotations 13 15 26 6 and 17 29 16 24 in turn), the key injected after
// each group of four: the hot loop of every random draw (≈ 250k normals per training step).
const encrypt = (k0: number, k1: number, k2: number, c0: number, c1: number, out: Uint32Array, at: number): void => {
  let x0 = (c0 + k0) | 0
  let x1 = (c1 + k1) | 0
  x0 = (x0 + x1) | 0; x1 = ((x1 << 13) | (x1 >>> 19)) ^ x0
  x0 = (x0 + x1) | 0; x1 = ((x1 << 15) | (x1 >>> 17)) ^ x0
  x0 = (x0 + x1) | 0; x1 = ((x1 << 26) | (x1 >>> 6)) ^ x0
  x0 = (x0 + x1) | 0; x1 = ((x1 << 6) | (x1 >>> 26)) ^ x0
  x0 = (x0 + k1) | 0; x1 = (x1 + k2 + 1) | 0
  x0 = (x0 + x1) | 0; x1 = ((x1 << 17) | (x1 >>> 15)) ^ x0
  x0 = (x0 + x1) | 0; x1 = ((x1 << 29) | (x1 >>> 3)) ^ x0
  x0 = (x0 + x1) | 0; x1 = ((x1 << 16) | (x1 >>> 16)) ^ x0
  x0 = (x0 + x1) | 0; x1 = ((x1 << 24) | (x1 >>> 8)) ^ x0
  x0 = (x0 + k2) | 0; x1 = (x1 + k0 + 2) | 0
  x0 = (x0 + x1) | 0; x1 = ((x1 << 13) | (x1 >>> 19)) ^ x0
  x0 = (x0 + x1) | 0; x1 = ((x1 << 15) | (x1 >>> 17)) ^ x0
  x0 = (x0 + x1) | 0; x1 = ((x1 << 26) | (x1 >>> 6)) ^ x0
  x0 = (x0 + x1) | 0; x1 = ((x1 << 6) | (x1 >>> 26)) ^ x0
  x0 = (x0 + k0) | 0; x1 = (x1 + k1 + 3) | 0
  x0 = (x0 + x1) | 0; x1 = ((x1 << 17) | (x1 >>> 15)) ^ x0
  x0 = (x0 + x1) | 0; x1 = ((x1 << 29) | (x1 >>> 3)) ^ x0
  x0 = (x0 + x1) | 0; x1 = ((x1 << 16) | (x1 >>> 16)) ^ x0
  x0 = (x0 + x1) | 0; x1 = ((x1 << 24) | (x1 >>> 8)) ^ x0
  x0 = (x0 + k1) | 0; x1 = (x1 + k2 + 4) | 0
  x0 = (x0 + x1) | 0; x1 = ((x1 << 13) | (x1 >>> 19)) ^ x0
  x0 = (x0 + x1) | 0; x1 = ((x1 << 15) | (x1 >>> 17)) ^ x0
  x0 = (x0 + x1) | 0; x1 = ((x1 << 26) | (x1 >>> 6)) ^ x0
  x0 = (x0 + x1) | 0; x1 = ((x1 << 6) | (x1 >>> 26)) ^ x0
  x0 = (x0 + k2) | 0; x1 = (x1 + k0 + 5) | 0
  out[at] = x0
  out[at + 1] = x1
}

const TWO_32 = 2 ** 32

/** Split a non-negative integer below 2^53 into (low, high) 32-bit words. */
const splitWords = (n: number): Key => [n % TWO_32 >>> 0, Math.floor(n / TWO_32) >>> 0]

/** FNV-1a over UTF-16 code units, with a chosen offset basis: two bases give a 64-bit name hash. */
const fnv1a = (text: string, basis: number): number => {
  let h = basis >>> 0
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h
}

/** The key of the stream `name` under a root seed: threefry of the name's hash under the root key. */
export const streamKey = (rootSeed: number, name: string): Key => {
  const out = new Uint32Array(2)
  threefry2x32(splitWords(rootSeed), fnv1a(name, 0x811c9dc5), fnv1a(name, 0x9e3779b9), out, 0)
  return [out[0]!, out[1]!]
}

/**
 * `blocks` consecutive output blocks (2 words each) starting at counter `start`: from the SIMD
 * module where the runtime has one and the run is long enough to pay for the call (the same words
 * bit for bit), else from the rounds above.
 */
export const blocksAt = (key: Key, start: number, blocks: number): Uint32Array =>
  (blocks >= SIMD_FROM ? simdBlocks(key, start, blocks) : undefined) ?? scalarBlocksAt(key, start, blocks)

/**
 * Runs of at least this many blocks go to the SIMD module. Measured once V8 had optimised both (best
 * of two, µs per call): 16 blocks 1.8 in JavaScript against 3.1 through the module (its call, its
 * memory and the copy out), 32 blocks 2.9–3.1 against 3.2, 64 blocks 2.9–3.1 against 2.8, 256
 * blocks 5.2 against 4.6–5.0, 125,000 blocks 5.8 ms against 0.78.
 */
const SIMD_FROM = 64

/** {@link blocksAt} through the JavaScript rounds only: the reference the SIMD module is held to. */
export const scalarBlocksAt = (key: Key, start: number, blocks: number): Uint32Array => {
  const out = new Uint32Array(2 * blocks)
  const k0 = key[0] >>> 0
  const k1 = key[1] >>> 0
  const k2 = (PARITY ^ k0 ^ k1) >>> 0
  let [lo, hi] = splitWords(start)
  for (let b = 0; b < blocks; b++) {
    encrypt(k0, k1, k2, lo, hi, out, 2 * b)
    lo = (lo + 1) >>> 0
    if (lo === 0) hi = (hi + 1) >>> 0
  }
  return out
}

/** A uint32 word as a float in the open interval (0, 1). */
const unitInterval = (word: number): number => (word + 0.5) / TWO_32

/**
 * `count` standard normal draws from counter `start` (Box–Muller: one block, two normals). Returns
 * the values and the number of blocks used.
 */
export const normalsAt = (key: Key, start: number, count: number): { readonly values: Float32Array; readonly blocks: number } => {
  const blocks = Math.ceil(count / 2)
  const values = new Float32Array(count)
  const words = blocksAt(key, start, blocks)
  for (let b = 0; b < blocks; b++) {
    const r = Math.sqrt(-2 * Math.log(unitInterval(words[2 * b]!)))
    const t = 2 * Math.PI * unitInterval(words[2 * b + 1]!)
    values[2 * b] = r * Math.cos(t)
    if (2 * b + 1 < count) values[2 * b + 1] = r * Math.sin(t)
  }
  return { values, blocks }
}

/** `count` uniform draws on (lo, hi) from counter `start`; returns the values and blocks used. */
export const uniformsAt = (key: Key, start: number, count: number, lo: number, hi: number): { readonly values: Float32Array; readonly blocks: number } => {
  const blocks = Math.ceil(count / 2)
  const words = blocksAt(key, start, blocks)
  const values = new Float32Array(count)
  for (let k = 0; k < count; k++) values[k] = lo + (hi - lo) * unitInterval(words[k]!)
  return { values, blocks }
}
