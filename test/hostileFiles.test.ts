import { closeSync, openSync, ftruncateSync, mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { NodeServices } from "@effect/platform-node"
import { fc } from "@fast-check/vitest"
import { Effect, Result } from "effect"
import { describe, expect, it } from "vitest"
import { decodeNetworkFile, encodeNetworkFile } from "../src/core/weights/networkFile.js"
import type { LoadNetworkError } from "../src/core/weights/networkFileErrors.js"
import { encodeNpy } from "../src/core/weights/npy.js"
import { decodeNpz } from "../src/core/weights/npz.js"
import { MAX_WEIGHT_BYTES } from "../src/core/weights/weightFileLimits.js"
import { readZipDirectory } from "../src/core/weights/zipArchive.js"
import { loadNetwork } from "../src/programs/analysis/loadNetwork.js"
import { tempDir } from "./programs.js"

/**
 * Files built to hurt a reader: zip bombs (a little deflate data that inflates to a lot), archives
 * whose directory lies about sizes, and files larger than any network. Each must be refused with
 * a typed error naming the file and member, having held no more than the limit.
 */

/** Raw deflate (fixed Huffman) of `1 + 258·repeats` zero bytes: one literal 0, then (length 258, distance 1) over and over. */
const deflateZeros = (repeats: number): Uint8Array => {
  const out = new Uint8Array(Math.ceil((3 + 8 + 13 * repeats + 7) / 8) + 1)
  let bit = 0
  const put = (value: number, length: number) => { // LSB first
    for (let k = 0; k < length; k++, bit++) if ((value >> k) & 1) out[bit >> 3]! |= 1 << (bit & 7)
  }
  const huffman = (code: number, length: number) => { // Huffman codes MSB first
    for (let k = length - 1; k >= 0; k--, bit++) if ((code >> k) & 1) out[bit >> 3]! |= 1 << (bit & 7)
  }
  put(1, 1) // BFINAL
  put(1, 2) // fixed Huffman
  huffman(0x30, 8) // literal 0
  for (let r = 0; r < repeats; r++) {
    huffman(0xc5, 8) // length code 285: 258
    huffman(0, 5) // distance code 0: 1
  }
  huffman(0, 7) // end of block
  return out.subarray(0, Math.ceil(bit / 8))
}

interface Member {
  readonly name: string
  readonly data: Uint8Array
  readonly method: 0 | 8
  /** What the central directory says the member inflates to (may lie). */
  readonly declared: number
}

/** A zip archive as the format lays it out, with the directory saying `declared` (zip64 beyond 4 GiB). */
const rawZip = (members: ReadonlyArray<Member>): Uint8Array => {
  const parts: Array<Uint8Array> = []
  const central: Array<Uint8Array> = []
  let offset = 0
  for (const m of members) {
    const name = new TextEncoder().encode(m.name)
    const local = new Uint8Array(30 + name.length)
    const lv = new DataView(local.buffer)
    lv.setUint32(0, 0x04034b50, true)
    lv.setUint16(4, 20, true)
    lv.setUint16(8, m.method, true)
    lv.setUint32(18, m.data.length, true)
    lv.setUint32(22, Math.min(m.declared, 0xffffffff), true)
    lv.setUint16(26, name.length, true)
    local.set(name, 30)
    const big = m.declared >= 0xffffffff
    const entry = new Uint8Array(46 + name.length + (big ? 12 : 0))
    const cv = new DataView(entry.buffer)
    cv.setUint32(0, 0x02014b50, true)
    cv.setUint16(4, 45, true)
    cv.setUint16(6, 45, true)
    cv.setUint16(10, m.method, true)
    cv.setUint32(20, m.data.length, true)
    cv.setUint32(24, big ? 0xffffffff : m.declared, true)
    cv.setUint16(28, name.length, true)
    cv.setUint16(30, big ? 12 : 0, true)
    cv.setUint32(42, offset, true)
    entry.set(name, 46)
    if (big) {
      cv.setUint16(46 + name.length, 0x0001, true)
      cv.setUint16(48 + name.length, 8, true)
      cv.setBigUint64(50 + name.length, BigInt(m.declared), true)
    }
    parts.push(local, m.data)
    central.push(entry)
    offset += local.length + m.data.length
  }
  const directorySize = central.reduce((a, c) => a + c.length, 0)
  const end = new Uint8Array(22)
  const ev = new DataView(end.buffer)
  ev.setUint32(0, 0x06054b50, true)
  ev.setUint16(8, members.length, true)
  ev.setUint16(10, members.length, true)
  ev.setUint32(12, directorySize, true)
  ev.setUint32(16, offset, true)
  const all = [...parts, ...central, end]
  const out = new Uint8Array(all.reduce((a, p) => a + p.length, 0))
  let at = 0
  for (const p of all) {
    out.set(p, at)
    at += p.length
  }
  return out
}

const failure = <A>(r: Result.Result<A, LoadNetworkError>): LoadNetworkError => {
  if (Result.isSuccess(r)) throw new Error("expected a failure")
  return r.failure
}
const kind = (e: LoadNetworkError) => ("problem" in e ? `${e._tag}/${e.problem}` : e._tag)

/** `1.5 MiB` → bytes. */
const bytesOf = (text: string): number => {
  const m = /^([\d.]+) (bytes|KiB|MiB|GiB)$/.exec(text)!
  return Number(m[1]) * { bytes: 1, KiB: 2 ** 10, MiB: 2 ** 20, GiB: 2 ** 30 }[m[2] as "bytes"]
}

// a megabyte of deflate data that inflates to 166 MB of zeros
const REPEATS = 645_000
const bomb = deflateZeros(REPEATS)
const inflated = 1 + 258 * REPEATS

describe("zip bombs and lying archives are refused before memory is spent", () => {
  it("the bomb is what it claims: about 1 MB that inflates to 166 MB", () => {
    expect(bomb.length).toBeLessThan(1.05e6)
    expect(inflated).toBe(166_410_001)
  })

  it("a directory that declares more than the limit is refused before inflating (the data is not even deflate)", () => {
    // garbage where the deflate data should be: had the reader inflated it, it would say "damaged"
    const garbage = new Uint8Array(1024).fill(0xff)
    for (const declared of [MAX_WEIGHT_BYTES + 1, 4 * 2 ** 30, 2 ** 52]) {
      const e = failure(decodeNpz(rawZip([{ name: "W1.npy", data: garbage, method: 8, declared }]), "bomb.npz"))
      expect(kind(e)).toBe("WeightFileError/too-large")
      expect(e.tensor).toBe("W1.npy")
      expect(e.message).toMatch(/^bomb\.npz: member W1\.npy declares [\d.]+ (MiB|GiB) unpacked, more than the 256\.0 MiB a weight file may unpack to; refused before inflating it$/)
    }
  })

  it("an honest bomb over a smaller limit is refused by its declared size, before inflating", () => {
    const e = failure(decodeNpz(rawZip([{ name: "W1.npy", data: bomb, method: 8, declared: inflated }]), "honest.npz", 64 * 2 ** 20))
    expect(kind(e)).toBe("WeightFileError/too-large")
    expect(e.message).toBe("honest.npz: member W1.npy declares 158.7 MiB unpacked, more than the 64.0 MiB a weight file may unpack to; refused before inflating it")
  })

  it("members each under the limit but over it together are refused, naming the member that passes it", () => {
    const garbage = new Uint8Array(16).fill(0xff)
    const half = 150 * 2 ** 20
    const e = failure(decodeNpz(rawZip([
      { name: "W1.npy", data: garbage, method: 8, declared: half },
      { name: "b1.npy", data: garbage, method: 8, declared: half }
    ]), "two.npz"))
    expect(kind(e)).toBe("WeightFileError/too-large")
    expect(e.tensor).toBe("b1.npy")
    expect(e.message).toBe("two.npz: the members up to b1.npy declare 300.0 MiB unpacked in all, more than the 256.0 MiB a weight file may unpack to; refused before inflating them")
  })

  it("a directory that lies small stops the inflater at the declared size (plus one slice), not 166 MB later", () => {
    for (const declared of [0, 1000, 5_000_000]) {
      const e = failure(decodeNpz(rawZip([{ name: "W1.npy", data: bomb, method: 8, declared }]), "liar.npz"))
      expect(kind(e)).toBe("WeightFileError/header")
      expect(e.tensor).toBe("W1.npy")
      const m = /^liar\.npz: member W1\.npy inflates to more than the (.+) the zip directory declares \(stopped after (.+)\): the archive lies about its size \(a zip bomb\?\)$/.exec(e.message)
      expect(m).not.toBeNull()
      // one 4 KB slice of deflate inflates to at most 4096 · 258 / 13 · 8 bytes ≈ 650 KB here
      expect(bytesOf(m![2]!)).toBeLessThan(declared + 2 ** 20)
      expect(bytesOf(m![2]!)).toBeGreaterThan(declared)
    }
  })

  it("a directory that lies large gets the data it declared or an error, never a buffer past the data", () => {
    const small = deflateZeros(3)
    const e = failure(decodeNpz(rawZip([{ name: "W1.npy", data: small, method: 8, declared: 10_000 }]), "short.npz"))
    expect(kind(e)).toBe("WeightFileError/header")
    expect(e.message).toBe("short.npz: member W1.npy inflates to 775 bytes, but the zip directory declares 9.8 KiB: the archive lies about its size")
    // a stored member whose directory size differs from its data
    const npy = encodeNpy([1], [1])
    expect(failure(decodeNpz(rawZip([{ name: "b1.npy", data: npy, method: 0, declared: npy.length + 8 }]), "s.npz")).message)
      .toBe(`s.npz: member b1.npy is stored uncompressed in ${npy.length} bytes, but the directory says it holds ${npy.length + 8}: the archive lies about its size`)
  })

  it("an npy member whose header declares a huge shape is refused by shape × dtype before anything is converted", () => {
    const npy = encodeNpy([2], [1, 2])
    const text = String.fromCharCode(...npy).replace("(2,), }            ", "(100000, 100000), }") // the header keeps its length
    const lying = Uint8Array.from(text, (c) => c.charCodeAt(0))
    const e = failure(decodeNpz(rawZip([{ name: "W1.npy", data: lying, method: 0, declared: lying.length }]), "shape.npz"))
    expect(kind(e)).toBe("WeightFileError/truncated")
    expect(e.message).toBe("shape.npz: W1: the header says float32 [100000, 100000] (40000000000 bytes of data) but only 8 follow: the file is truncated")
  })

  it("damaged deflate data and random corruption of a compressed archive are typed errors, never a crash", () => {
    const good = rawZip([{ name: "W1.npy", data: deflateZeros(2), method: 8, declared: 517 }])
    expect(kind(failure(decodeNpz(good.map((b, k) => (k === 31 + 6 ? 0xff : b)), "d.npz")))).toMatch(/^WeightFileError\/(truncated|header)$/)
    const real = encodeNetworkFile({ shape: [2, 3, 1], W: [[1, 2, 3, 4, 5, 6], [7, 8, 9]], b: [[0, 0, 1], [2]] }, "npz")
    fc.assert(fc.property(fc.integer({ min: 0, max: real.length - 1 }), fc.integer({ min: 0, max: 255 }), (at, value) => {
      const broken = real.slice()
      broken[at] = value
      const r = decodeNetworkFile(broken, "x.npz")
      if (Result.isFailure(r)) expect(r.failure.message).toMatch(/^x\.npz: /)
    }), { numRuns: 300 })
  })

  it("the directory of a real archive reads with the sizes it declares", () => {
    const real = encodeNetworkFile({ shape: [1, 1], W: [[1]], b: [[0]] }, "npz")
    const members = Result.getOrThrow(readZipDirectory(real, "r.npz"))
    expect(members.map((m) => [m.name, m.method, m.size])).toEqual([["W1.npy", 0, 132], ["b1.npy", 0, 132]])
  })
})

describe("files larger than any network are refused by their size, before they are read", () => {
  it("loadNetwork refuses a 300 MB file (sparse: nothing is written or read) and a folder of .npy files over the limit", async () => {
    const dir = tempDir()
    const big = join(dir, "huge.safetensors")
    const fd = openSync(big, "w")
    ftruncateSync(fd, 300 * 2 ** 20)
    closeSync(fd)
    const run = <A, E>(e: Effect.Effect<A, E, NodeServices.NodeServices>) => Effect.runPromise(Effect.result(e.pipe(Effect.provide(NodeServices.layer))))
    const r = await run(loadNetwork(big))
    expect(Result.isFailure(r) && r.failure.message).toBe(`${big}: the file holds 300.0 MiB, more than the 256.0 MiB a weight file may hold (the largest network hyperlayers analyses takes 8.5 MiB in float64)`)
    const json = join(dir, "huge.json")
    writeFileSync(json, "")
    const jfd = openSync(json, "r+")
    ftruncateSync(jfd, 65 * 2 ** 20)
    closeSync(jfd)
    const j = await run(loadNetwork(json))
    expect(Result.isFailure(j) && j.failure.message).toMatch(/huge\.json: the file holds 65\.0 MiB, more than the 64\.0 MiB/)
    const folder = join(dir, "npy")
    mkdirSync(folder)
    for (const name of ["W1.npy", "b1.npy"]) {
      const f = openSync(join(folder, name), "w")
      ftruncateSync(f, 130 * 2 ** 20)
      closeSync(f)
    }
    const n = await run(loadNetwork(folder))
    expect(Result.isFailure(n) && n.failure.message).toMatch(/npy: the file holds 260\.0 MiB, more than the 256\.0 MiB/)
  })
})
