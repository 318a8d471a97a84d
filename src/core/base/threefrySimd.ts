/**
 * Threefry-2x32 in WebAssembly SIMD: the same blocks as {@link blocksAt} in `threefry.ts`, bit for
 * bit (32-bit additions, shifts and xors are exact in both), four counters at a time in the lanes of
 * an i32x4 vector. On 125,000 blocks (the ≈ 250k normals a canonical training step draws): 0.78 ms
 * against the JavaScript rounds' 5.8 ms once V8 has optimised the module (after some 60 calls, a
 * few training steps), 3.4 ms before.
 *
 * The module is tiny and assembled ahead of time: {@link THREEFRY_WAT} is its source, and
 * {@link THREEFRY_WASM} the bytes `wabt` assembles from it (a test holds the two together). It owns
 * its memory; a call writes there and the caller copies out. Where WebAssembly SIMD is missing the
 * JavaScript rounds serve ({@link simdBlocks} is `undefined`).
 *
 * Source: Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011 (Threefry-2x32, 20 rounds).
 */
import type { Key } from "./threefry.js"

// The 20 rounds written out, as in threefry.ts: four rounds (rotations 13 15 26 6, then 17 29 16 24,
// in turn), then the key injected with the group's number, five times.
const ROTATIONS = [[13, 15, 26, 6], [17, 29, 16, 24]] as const
const INJECTIONS = [["K1", "K2"], ["K2", "K0"], ["K0", "K1"], ["K1", "K2"], ["K2", "K0"]] as const
const round = (r: number): string =>
  `(local.set $x0 (i32x4.add (local.get $x0) (local.get $x1))) (local.set $x1 (v128.xor (v128.or (i32x4.shl (local.get $x1) (i32.const ${r})) (i32x4.shr_u (local.get $x1) (i32.const ${32 - r}))) (local.get $x0)))`
const inject = ([a, b]: readonly [string, string], group: number): string =>
  `(local.set $x0 (i32x4.add (local.get $x0) (local.get $${a}))) (local.set $x1 (i32x4.add (i32x4.add (local.get $x1) (local.get $${b})) (v128.const i32x4 ${group} ${group} ${group} ${group})))`
const ROUNDS = INJECTIONS.map((keys, g) => [...ROTATIONS[g % 2]!.map(round), inject(keys, g + 1)].join("\n      ")).join("\n      ")

export const THREEFRY_WAT = `
(module
  (memory (export "memory") 1)
  ;; $blocks: threefry-2x32 (20 rounds) of the counters (lo + b, hi), b = 0 … n - 1, four blocks at a
  ;; time in the lanes of i32x4; writes x0, x1 of block b at out + 8b, out + 8b + 4 (n rounded up to 4).
  (func (export "blocks") (param $k0 i32) (param $k1 i32) (param $lo i32) (param $hi i32) (param $n i32) (param $out i32)
    (local $K0 v128) (local $K1 v128) (local $K2 v128) (local $c v128) (local $x0 v128) (local $x1 v128) (local $end i32)
    (local.set $K0 (i32x4.splat (local.get $k0)))
    (local.set $K1 (i32x4.splat (local.get $k1)))
    (local.set $K2 (i32x4.splat (i32.xor (i32.const 0x1bd11bda) (i32.xor (local.get $k0) (local.get $k1)))))
    (local.set $c (i32x4.add (i32x4.splat (local.get $lo)) (v128.const i32x4 0 1 2 3)))
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 3))))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $out) (local.get $end)))
      (local.set $x0 (i32x4.add (local.get $c) (local.get $K0)))
      (local.set $x1 (i32x4.add (i32x4.splat (local.get $hi)) (local.get $K1)))
      ${ROUNDS}
      (v128.store (local.get $out) (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $x0) (local.get $x1)))
      (v128.store offset=16 (local.get $out) (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $x0) (local.get $x1)))
      (local.set $c (i32x4.add (local.get $c) (v128.const i32x4 4 4 4 4)))
      (local.set $out (i32.add (local.get $out) (i32.const 32)))
      (br $next)))))
`

/** {@link THREEFRY_WAT} assembled by wabt (base64). */
export const THREEFRY_WASM = [
  "AGFzbQEAAAABCgFgBn9/f39/fwADAgEABQMBAAEHEwIGbWVtb3J5AgAGYmxvY2tzAAAK9AcB8QcCBnsBfyAA/REhBiAB/REhB0Ha",
  "t8TeASAAIAFzc/0RIQggAv0R/QwAAAAAAQAAAAIAAAADAAAA/a4BIQkgBSAEQQN0aiEMAkADQCAFIAxPDQEgCSAG/a4BIQogA/0R",
  "IAf9rgEhCyAKIAv9rgEhCiALQQ39qwEgC0ET/a0B/VAgCv1RIQsgCiAL/a4BIQogC0EP/asBIAtBEf2tAf1QIAr9USELIAogC/2u",
  "ASEKIAtBGv2rASALQQb9rQH9UCAK/VEhCyAKIAv9rgEhCiALQQb9qwEgC0Ea/a0B/VAgCv1RIQsgCiAH/a4BIQogCyAI/a4B/QwB",
  "AAAAAQAAAAEAAAABAAAA/a4BIQsgCiAL/a4BIQogC0ER/asBIAtBD/2tAf1QIAr9USELIAogC/2uASEKIAtBHf2rASALQQP9rQH9",
  "UCAK/VEhCyAKIAv9rgEhCiALQRD9qwEgC0EQ/a0B/VAgCv1RIQsgCiAL/a4BIQogC0EY/asBIAtBCP2tAf1QIAr9USELIAogCP2u",
  "ASEKIAsgBv2uAf0MAgAAAAIAAAACAAAAAgAAAP2uASELIAogC/2uASEKIAtBDf2rASALQRP9rQH9UCAK/VEhCyAKIAv9rgEhCiAL",
  "QQ/9qwEgC0ER/a0B/VAgCv1RIQsgCiAL/a4BIQogC0Ea/asBIAtBBv2tAf1QIAr9USELIAogC/2uASEKIAtBBv2rASALQRr9rQH9",
  "UCAK/VEhCyAKIAb9rgEhCiALIAf9rgH9DAMAAAADAAAAAwAAAAMAAAD9rgEhCyAKIAv9rgEhCiALQRH9qwEgC0EP/a0B/VAgCv1R",
  "IQsgCiAL/a4BIQogC0Ed/asBIAtBA/2tAf1QIAr9USELIAogC/2uASEKIAtBEP2rASALQRD9rQH9UCAK/VEhCyAKIAv9rgEhCiAL",
  "QRj9qwEgC0EI/a0B/VAgCv1RIQsgCiAH/a4BIQogCyAI/a4B/QwEAAAABAAAAAQAAAAEAAAA/a4BIQsgCiAL/a4BIQogC0EN/asB",
  "IAtBE/2tAf1QIAr9USELIAogC/2uASEKIAtBD/2rASALQRH9rQH9UCAK/VEhCyAKIAv9rgEhCiALQRr9qwEgC0EG/a0B/VAgCv1R",
  "IQsgCiAL/a4BIQogC0EG/asBIAtBGv2tAf1QIAr9USELIAogCP2uASEKIAsgBv2uAf0MBQAAAAUAAAAFAAAABQAAAP2uASELIAUg",
  "CiAL/Q0AAQIDEBESEwQFBgcUFRYX/QsEACAFIAogC/0NCAkKCxgZGhsMDQ4PHB0eH/0LBBAgCf0MBAAAAAQAAAAEAAAABAAAAP2u",
  "ASEJIAVBIGohBQwACwsL"
].join("")

/** The memory of a module: its bytes, and growth by 64 KiB pages. */
interface Memory {
  readonly buffer: ArrayBuffer
  grow(pages: number): number
}

/** The part of the WebAssembly API used here (TypeScript declares the API only with the DOM library). */
const wasm = (globalThis as unknown as {
  WebAssembly?: {
    validate(bytes: Uint8Array): boolean
    Module: new (bytes: Uint8Array) => object
    Instance: new (module: object, imports: object) => { exports: unknown }
  }
}).WebAssembly

interface ThreefryExports {
  readonly memory: Memory
  readonly blocks: (k0: number, k1: number, lo: number, hi: number, n: number, out: number) => void
}

const TWO_32 = 2 ** 32

const instantiate = (): ThreefryExports | undefined => {
  if (wasm === undefined) return undefined
  const bytes = Uint8Array.from(atob(THREEFRY_WASM), (c) => c.charCodeAt(0))
  if (!wasm.validate(bytes)) return undefined
  return new wasm.Instance(new wasm.Module(bytes), {}).exports as ThreefryExports
}

let instance: ThreefryExports | undefined | null = null

/**
 * `blocks` consecutive Threefry-2x32 output blocks under `key` from the counter `start` (an integer
 * in [0, 2^53)), as {@link blocksAt} gives them: `[x0, x1]` of each block in turn, `2 · blocks`
 * words. `undefined` where this runtime has no WebAssembly SIMD.
 */
export const simdBlocks = (key: Key, start: number, blocks: number): Uint32Array | undefined => {
  if (instance === null) instance = instantiate()
  if (instance === undefined) return undefined
  const { memory, blocks: run } = instance
  const out = new Uint32Array(2 * blocks)
  // the high word of the counter is a lane-wide constant: a run that carries into it is split there
  let done = 0
  let at = start
  while (done < blocks) {
    const lo = at % TWO_32
    const hi = Math.floor(at / TWO_32)
    const n = Math.min(blocks - done, TWO_32 - lo, CHUNK)
    const need = Math.ceil(n / 4) * 32
    if (memory.buffer.byteLength < need) memory.grow(Math.ceil((need - memory.buffer.byteLength) / 65536))
    run(key[0] | 0, key[1] | 0, lo | 0, hi | 0, n, 0)
    out.set(new Uint32Array(memory.buffer, 0, 2 * n), 2 * done)
    done += n
    at += n
  }
  return out
}

/** Blocks per call (2 MiB of the module's memory at most). */
const CHUNK = 1 << 18
