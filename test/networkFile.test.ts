import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { fc } from "@fast-check/vitest"
import { NodeServices } from "@effect/platform-node"
import * as tf from "@tensorflow/tfjs"
import { Effect, Result } from "effect"
import { beforeAll, describe, expect, it } from "vitest"
import { classifyFirstLayer } from "../src/core/network/classifier.js"

import { doubleSided, pudding } from "../src/core/network/constructions.js"
import { disposeNetWeights } from "../src/core/network/network.js"
import { decodeNetworkFile, decodeNpyFolder, encodeNetworkFile, type LoadedNetwork, networkTensors } from "../src/core/weights/networkFile.js"
import type { LoadNetworkError } from "../src/core/weights/networkFileErrors.js"
import type { LayoutOption } from "../src/core/weights/networkFromTensors.js"
import { encodeNpy } from "../src/core/weights/npy.js"
import { encodeNpz } from "../src/core/weights/npz.js"
import { doubleSidedness, firstLayer, strongestConnection } from "../src/core/network/orderParameters.js"
import { halfToNumber } from "../src/core/weights/rawTensor.js"
import type { StoredNetwork } from "../src/core/run/results.js"
import { encodeSafetensors } from "../src/core/weights/safetensors.js"
import { loadNetwork, saveNetwork, toStoredNetwork } from "../src/programs/analysis/loadNetwork.js"
import { noLeak, useBackend } from "./helpers.js"
import { tempDir } from "./programs.js"

// the tensors alive before this file's tests (none in a fresh worker; a worker shared with other files may hold its own)
let tensorsBefore = 0
beforeAll(async () => {
  await useBackend("cpu")
  tensorsBefore = tf.memory().numTensors
})

const fixtures = join(import.meta.dirname, "fixtures", "networks")
const expected = JSON.parse(readFileSync(join(fixtures, "expected.json"), "utf8")) as Record<string, StoredNetwork>

const read = (bytes: Uint8Array, file: string, layout?: LayoutOption) => decodeNetworkFile(bytes, file, layout)
const failure = (r: Result.Result<LoadedNetwork, LoadNetworkError>): LoadNetworkError => {
  if (Result.isSuccess(r)) throw new Error(`expected a failure, read [${r.success.network.shape.join(", ")}]`)
  return r.failure
}
const ok = (r: Result.Result<LoadedNetwork, LoadNetworkError>): LoadedNetwork => {
  if (Result.isFailure(r)) throw new Error(r.failure.message)
  return r.success
}
/** Bit-for-bit equal weights (JSON has a single zero, so `signedZero: false` takes −0 as 0). */
const expectSameNetwork = (a: StoredNetwork, b: StoredNetwork, signedZero = true) => {
  const values = (w: ReadonlyArray<number>) => Array.from(w, (v) => (signedZero || v !== 0 ? v : 0))
  expect(a.shape).toEqual(b.shape)
  a.W.forEach((w, l) => expect(values(w)).toEqual(values(b.W[l]!)))
  a.b.forEach((v, l) => expect(values(v)).toEqual(values(b.b[l]!)))
}

/** A safetensors file from a header object and data bytes, as the format lays it out. */
const rawSafetensors = (header: object, data: Uint8Array): Uint8Array => {
  const json = new TextEncoder().encode(JSON.stringify(header))
  const out = new Uint8Array(8 + json.length + data.length)
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true)
  out.set(json, 8)
  out.set(data, 8 + json.length)
  return out
}

/** A safetensors file from the header's JSON text as written (so a key may come twice). */
const rawSafetensorsText = (json: string, data: Uint8Array): Uint8Array => {
  const text = new TextEncoder().encode(json)
  const out = new Uint8Array(8 + text.length + data.length)
  new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true)
  out.set(text, 8)
  out.set(data, 8 + text.length)
  return out
}

/** A small torch-layout network: [2, 3, 1], weights 1…, as an nn.Sequential's state_dict. */
const torchTensors = () => [
  { name: "0.weight", shape: [3, 2], values: [1, 2, 3, 4, 5, 6] },
  { name: "0.bias", shape: [3], values: [0.1, 0.2, 0.3] },
  { name: "2.weight", shape: [1, 3], values: [7, 8, 9] },
  { name: "2.bias", shape: [1], values: [0.5] }
]

describe("files made by the real tools (torch 2.13, safetensors 0.8, numpy 2.4)", () => {
  it("read back to the weights those tools wrote, transposed to [in, out] where the names say PyTorch", () => {
    const layouts: Record<string, string> = {}
    for (const [name, want] of Object.entries(expected)) {
      const net = name === "npy-folder"
        ? ok(decodeNpyFolder(readdirSync(join(fixtures, name)).map((n) => ({ name: n, bytes: readFileSync(join(fixtures, name, n)) })), name))
        : ok(read(readFileSync(join(fixtures, name)), name))
      expectSameNetwork(net.network, want)
      layouts[name] = `${net.format}/${net.layout}`
    }
    expect(layouts).toEqual({
      "torch-sequential.safetensors": "safetensors/torch", "torch-f64.safetensors": "safetensors/torch", "torch-f16.safetensors": "safetensors/torch",
      "torch-bf16.safetensors": "safetensors/torch", "torch-prefixed.safetensors": "safetensors/torch", "numpy-in-out.npz": "npz/in-out",
      "numpy-torch-compressed.npz": "npz/torch", "npy-folder": "npy-folder/in-out"
    })
  })

  it("name the source tensors of each layer in order (net.0, net.2 under a prefix)", () => {
    const net = ok(read(readFileSync(join(fixtures, "torch-prefixed.safetensors")), "p"))
    expect(net.layers).toEqual([{ weight: "net.0.weight", bias: "net.0.bias", dtype: "F32" }, { weight: "net.2.weight", bias: "net.2.bias", dtype: "F32" }])
  })

  it("converts IEEE half floats exactly", () => {
    expect([0x3c00, 0xc000, 0x7bff, 0x0001, 0x0400, 0x8000, 0x7c00, 0xfc00].map(halfToNumber)).toEqual([1, -2, 65504, 2 ** -24, 2 ** -14, -0, Infinity, -Infinity])
    expect(halfToNumber(0x7e00)).toBeNaN()
  })
})

describe("the library's writers", () => {
  const weight = fc.float({ min: -8, max: 8, noNaN: true, noDefaultInfinity: true }).map(Math.fround)
  const networkArb: fc.Arbitrary<StoredNetwork> = fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 2, maxLength: 4 }).chain((shape) =>
    fc.record({
      shape: fc.constant(shape),
      W: fc.tuple(...shape.slice(1).map((n, l) => fc.array(weight, { minLength: shape[l]! * n, maxLength: shape[l]! * n }))),
      b: fc.tuple(...shape.slice(1).map((n) => fc.array(weight, { minLength: n, maxLength: n })))
    }))

  it("round-trip random networks through every format and layout, bit for bit, the layout read from the names", () => {
    fc.assert(fc.property(networkArb, fc.constantFrom("safetensors" as const, "npz" as const, "json" as const), fc.constantFrom("torch" as const, "in-out" as const), (net, format, layout) => {
      const back = ok(read(encodeNetworkFile(net, format, layout), `net.${format}`))
      expectSameNetwork(back.network, net, format !== "json")
      expect(back.layout).toBe(layout)
      expect(back.layers.map((l) => l.weight)).toEqual(net.W.map((_, k) => layout === "torch" ? (format === "json" ? `W${k + 1}` : `${2 * k}.weight`) : `W${k + 1}`))
    }), { numRuns: 60 })
  })

  it("saveNetwork writes a file loadNetwork reads back, and refuses weights that do not fit the shape", async () => {
    const dir = tempDir()
    const net: StoredNetwork = { shape: [2, 3, 1], W: [[1, 2, 3, 4, 5, 6], [7, 8, 9]], b: [[0, 0, 1], [2]] }
    const run = <A, E>(e: Effect.Effect<A, E, NodeServices.NodeServices>) => Effect.runPromise(Effect.result(e.pipe(Effect.provide(NodeServices.layer))))
    for (const f of ["safetensors", "npz", "json"] as const) {
      expect(Result.isSuccess(await run(saveNetwork(join(dir, `n.${f}`), net, f, { layout: "torch" })))).toBe(true)
      const back = await run(loadNetwork(join(dir, `n.${f}`)))
      expectSameNetwork(Result.getOrThrow(back).network, net)
    }
    const bad = await run(saveNetwork(join(dir, "bad.safetensors"), { ...net, W: [[1, 2, 3], [7, 8, 9]] }, "safetensors"))
    expect(Result.isFailure(bad) && bad.failure.message).toBe("W^(1) must hold 2·3 = 6 values ([2, 3] row-major), got 3")
    expect(readdirSync(dir).sort()).toEqual(["n.json", "n.npz", "n.safetensors"])
  })

  it("a pudding saved in PyTorch's layout loads as a pudding, with α1 and α2 equal to the in-memory values", () => {
    noLeak(() => {
      for (const [built, want] of [[pudding(16, 48, "negative"), "pudding"], [doubleSided(16, 48), "double-sided"]] as const) {
        const net = Result.getOrThrow(built)
        const stored = Result.getOrThrow(toStoredNetwork(net))
        disposeNetWeights(net)
        const W = { rows: 16, cols: 48, data: stored.W[0]! }
        for (const format of ["safetensors", "npz", "json"] as const) {
          const back = ok(read(encodeNetworkFile(stored, format, "torch"), `p.${format}`))
          const V = { rows: 16, cols: 48, data: back.network.W[0]! }
          expect([doubleSidedness(V), strongestConnection(V)]).toEqual([doubleSidedness(W), strongestConnection(W)])
          expect(classifyFirstLayer(firstLayer(back.network.shape, back.network.W)).algorithm).toBe(want)
        }
      }
    })
  })

  it("--layout overrides the names, and says which reading would chain", () => {
    const bytes = encodeSafetensors(torchTensors())
    const e = failure(read(bytes, "m.safetensors", "in-out"))
    expect(e._tag).toBe("NetworkLayoutError")
    expect(e.message).toBe("m.safetensors: bias 0.bias has 3 entries but weight 0.weight [3, 2], read as [in, out] (hyperlayers' layout), has 2 outputs; read as torch it would fit: try --layout torch")
    // W1, b1 … are [in, out] by name; a file that stores them [out, in] gets the hint
    const transposed = encodeSafetensors([
      { name: "W1", shape: [2, 2], values: [1, 2, 3, 4] }, { name: "b1", shape: [2], values: [0, 0] },
      { name: "W2", shape: [1, 2], values: [5, 6] }, { name: "b2", shape: [1], values: [0] }
    ])
    expect(failure(read(transposed, "t.safetensors")).message).toBe("t.safetensors: the layers do not chain: W2 [1, 2], read as [in, out] (hyperlayers' layout, from the names), takes 1 inputs but the layer before it gives 2 outputs; read as torch they would chain: try --layout torch")
    expect(ok(read(transposed, "t.safetensors", "torch")).network).toEqual({ shape: [2, 2, 1], W: [[1, 3, 2, 4], [5, 6]], b: [[0, 0], [0]] })
    // a file of W1, b1 names stored [out, in] reads right with --layout torch
    const named = encodeSafetensors([{ name: "W1", shape: [3, 2], values: [1, 2, 3, 4, 5, 6] }, { name: "b1", shape: [3], values: [0, 0, 0] }])
    expect(ok(read(named, "w.safetensors", "torch")).network.W[0]).toEqual([1, 3, 5, 2, 4, 6])
  })
})

describe("a state dict saved with np.savez, its dots replaced by underscores", () => {
  const weight = fc.float({ min: -8, max: 8, noNaN: true, noDefaultInfinity: true }).map(Math.fround)
  const networkArb: fc.Arbitrary<StoredNetwork> = fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 2, maxLength: 5 }).chain((shape) =>
    fc.record({
      shape: fc.constant(shape),
      W: fc.tuple(...shape.slice(1).map((n, l) => fc.array(weight, { minLength: shape[l]! * n, maxLength: shape[l]! * n }))),
      b: fc.tuple(...shape.slice(1).map((n) => fc.array(weight, { minLength: n, maxLength: n })))
    }))
  /** PyTorch's names with a prefix, the dots replaced: `0.weight` → `0_weight`, `net.0.weight` → `net_0_weight`. */
  const underscored = (net: StoredNetwork, prefix: string) =>
    networkTensors(net, "torch").map((t) => ({ ...t, name: `${prefix}${t.name}`.replaceAll(".", "_") }))

  it("reads as the same network as PyTorch's own names, [out, in] from the names, at any depth and prefix", () => {
    fc.assert(fc.property(networkArb, fc.constantFrom("", "net.", "model.layers."), fc.constantFrom("npz" as const, "safetensors" as const), (net, prefix, format) => {
      const tensors = underscored(net, prefix)
      const bytes = format === "npz" ? encodeNpz(tensors) : encodeSafetensors(tensors)
      const back = ok(read(bytes, `m.${format}`))
      expectSameNetwork(back.network, net)
      expect([back.layout, back.layoutFrom]).toEqual(["torch", "names"])
      expect(back.layers.map((l) => [l.weight, l.bias])).toEqual(net.W.map((_, k) => [`${prefix}${2 * k}.weight`, `${prefix}${2 * k}.bias`].map((n) => n.replaceAll(".", "_"))))
    }), { numRuns: 40 })
  })

  it("orders named layers naturally (fc1 … fc10, layers_2 before layers_10) and reads Flax's <layer>_kernel as [in, out]", () => {
    const shape = [2, 3, 3, 1]
    const named = (names: ReadonlyArray<string>, part: (k: number) => [string, string], layout: "torch" | "in-out") =>
      names.flatMap((n, k) => {
        const [nIn, nOut] = [shape[k]!, shape[k + 1]!]
        return [{ name: `${n}${part(k)[0]}`, shape: layout === "torch" ? [nOut, nIn] : [nIn, nOut], values: Array.from({ length: nIn * nOut }, (_, e) => 10 * k + e) }, { name: `${n}${part(k)[1]}`, shape: [nOut], values: new Array<number>(nOut).fill(k) }]
      })
    const fc3 = ok(read(encodeNpz(named(["fc1", "fc2", "fc10"], () => ["_weight", "_bias"], "torch").reverse()), "fc.npz"))
    expect([fc3.network.shape, fc3.layers.map((l) => l.weight)]).toEqual([shape, ["fc1_weight", "fc2_weight", "fc10_weight"]])
    const layers = ok(read(encodeNpz(named(["layers_2_", "layers_10_", "layers_11_"], () => ["weight", "bias"], "torch")), "l.npz"))
    expect(layers.layers.map((l) => l.bias)).toEqual(["layers_2_bias", "layers_10_bias", "layers_11_bias"])
    const flax = ok(read(encodeNpz(named(["Dense_0", "Dense_1", "Dense_2"], () => ["_kernel", "_bias"], "in-out")), "f.npz"))
    expect([flax.layout, flax.network.W[0]]).toEqual(["in-out", [0, 1, 2, 3, 4, 5]])
  })

  it("pairs a weight with the bias of its own separator, and says which bias it expected", () => {
    const mixed = encodeNpz([{ name: "0_weight", shape: [1, 1], values: [1] }, { name: "0.bias", shape: [1], values: [0] }])
    const e = failure(read(mixed, "mixed.npz"))
    expect([e._tag, e.tensor]).toEqual(["NetworkLayoutError", "0.bias"])
    expect(failure(read(encodeNpz([{ name: "0_weight", shape: [1, 1], values: [1] }]), "w.npz")).message)
      .toBe("w.npz: weight 0_weight has no bias (expected a tensor 0_bias); every layer of a hyperlayers network has a bias: for nn.Linear(bias=False), save zeros")
    // names that merely end in "weight" without a separator are still no layer's
    expect(failure(read(encodeNpz([{ name: "0weight", shape: [1, 1], values: [1] }, { name: "0bias", shape: [1], values: [0] }]), "n.npz")).message)
      .toMatch(/tensors 0weight, 0bias are not part of an MLP hyperlayers can read; it reads .*0_weight, 0_bias, fc1_weight/)
  })
})

describe("bad files are typed errors naming the tensor and the problem", () => {
  const good = encodeSafetensors(torchTensors())
  const cases: ReadonlyArray<readonly [string, () => Result.Result<LoadedNetwork, LoadNetworkError>, string, string | undefined, RegExp]> = [
    ["truncated safetensors", () => read(good.subarray(0, good.length - 3), "t.safetensors"), "WeightFileError/truncated", "2.bias", /tensor 2\.bias ends at byte 52 of the data, but the file holds 49 data bytes: the file is truncated/],
    ["a header longer than the file", () => read(good.subarray(0, 40), "t.safetensors"), "WeightFileError/truncated", undefined, /the header length field says \d+ bytes, but only 32 follow it/],
    ["a header that lies about a size", () => read(rawSafetensors({ "0.weight": { dtype: "F32", shape: [3, 2], data_offsets: [0, 20] }, "0.bias": { dtype: "F32", shape: [3], data_offsets: [20, 32] } }, new Uint8Array(32)), "l.safetensors"), "WeightFileError/header", "0.weight", /the header lies about tensor 0\.weight: F32 \[3, 2\] takes 24 bytes, but its data_offsets \[0, 20\] span 20/],
    ["a hole in the data", () => read(rawSafetensors({ "0.weight": { dtype: "F32", shape: [1, 1], data_offsets: [4, 8] }, "0.bias": { dtype: "F32", shape: [1], data_offsets: [8, 12] } }, new Uint8Array(12)), "h.safetensors"), "WeightFileError/header", "0.weight", /bytes 0–4 of the data belong to no tensor/],
    ["a tensor named twice in the header", () => read(rawSafetensorsText('{"W1": {"dtype": "F32", "shape": [1, 1], "data_offsets": [0, 4]}, "b1": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}, "W1": {"dtype": "F32", "shape": [1, 1], "data_offsets": [8, 12]}}', new Uint8Array(12)), "twice.safetensors"), "WeightFileError/header", "W1", /^twice\.safetensors: the header names tensor "W1" twice; a safetensors header lists each tensor once \(a JSON reader would silently keep the last\)$/],
    ["the same entry written twice", () => read(rawSafetensorsText('{"W1": {"dtype": "F32", "shape": [1, 1], "data_offsets": [0, 4]}, "b1": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}, "b1": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}', new Uint8Array(8)), "same.safetensors"), "WeightFileError/header", "b1", /the header names tensor "b1" twice/],
    ["__metadata__ twice", () => read(rawSafetensorsText('{"__metadata__": {"a": "1"}, "__metadata__": {"a": "2"}}', new Uint8Array(0)), "m.safetensors"), "WeightFileError/header", undefined, /the header names __metadata__ twice/],
    ["two tensors on the same bytes", () => read(rawSafetensors({ W1: { dtype: "F32", shape: [1, 1], data_offsets: [0, 4] }, W2: { dtype: "F32", shape: [1, 1], data_offsets: [0, 4] }, b1: { dtype: "F32", shape: [1], data_offsets: [4, 8] } }, new Uint8Array(8)), "o.safetensors"), "WeightFileError/header", "W2", /^o\.safetensors: tensors W1 \(bytes 0–4\) and W2 \(bytes 0–4\) are the same bytes; each tensor must have bytes of its own$/],
    ["two tensors that overlap in part", () => read(rawSafetensors({ W1: { dtype: "F32", shape: [1, 2], data_offsets: [0, 8] }, b1: { dtype: "F32", shape: [2], data_offsets: [4, 12] } }, new Uint8Array(12)), "p.safetensors"), "WeightFileError/header", "b1", /^p\.safetensors: tensors W1 \(bytes 0–8\) and b1 \(bytes 4–12\) overlap at bytes 4–8; each tensor must have bytes of its own$/],
    ["a dtype that is a property of every object", () => read(rawSafetensors({ W1: { dtype: "constructor", shape: [1, 1], data_offsets: [0, 4] } }, new Uint8Array(4)), "c.safetensors"), "WeightFileError/dtype", "W1", /tensor W1 has dtype "constructor", which is not a safetensors dtype/],
    ["a tensor name of a megabyte", () => read(rawSafetensors({ ["w".repeat(1_000_000)]: { dtype: "F32", shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)), "n.safetensors"), "WeightFileError/format", `${"w".repeat(80)}… (1000000 characters)`, /^n\.safetensors: a tensor name of 1000000 characters \(w{40}… \(1000000 characters\)\); names are at most 256 characters$/],
    ["a JSON state dict naming a tensor twice", () => read(new TextEncoder().encode('{"0.weight": [[1]], "0.bias": [0], "0.weight": [[2]]}'), "t.json"), "WeightFileError/format", "0.weight", /^t\.json: the object names "0\.weight" twice \(a JSON reader would silently keep the last\); name each tensor once$/],
    ["an integer dtype", () => read(rawSafetensors({ "0.weight": { dtype: "I64", shape: [1, 1], data_offsets: [0, 8] }, "0.bias": { dtype: "F32", shape: [1], data_offsets: [8, 12] } }, new Uint8Array(12)), "i.safetensors"), "WeightFileError/dtype", "0.weight", /tensor 0\.weight has dtype I64; hyperlayers reads weights stored as F32, F64, F16 or BF16/],
    ["not JSON in the header", () => read(rawSafetensors({}, new Uint8Array(0)).map((b, k) => (k === 9 ? 0x21 : b)), "j.safetensors"), "WeightFileError/header", undefined, /the header is not valid JSON/],
    ["a missing bias", () => read(encodeSafetensors(torchTensors().filter((t) => t.name !== "2.bias")), "b.safetensors"), "NetworkLayoutError/missing-bias", "2.weight", /weight 2\.weight has no bias \(expected a tensor 2\.bias\)/],
    ["a bias without its weight", () => read(encodeSafetensors(torchTensors().filter((t) => t.name !== "0.weight")), "w.safetensors"), "NetworkLayoutError/missing-weight", "0.bias", /bias 0\.bias has no weight tensor/],
    ["layers that do not chain", () => read(encodeSafetensors(torchTensors().map((t) => t.name === "2.weight" ? { ...t, shape: [1, 4], values: [1, 2, 3, 4] } : t)), "c.safetensors"), "NetworkLayoutError/unchained", "2.weight", /2\.weight \[1, 4\], read as \[out, in\] \(PyTorch's layout, from the names\), takes 4 inputs but the layer before it gives 3 outputs/],
    ["a bias of the wrong length", () => read(encodeSafetensors(torchTensors().map((t) => t.name === "0.bias" ? { ...t, shape: [2], values: [0, 0] } : t)), "c.safetensors"), "NetworkLayoutError/unchained", "0.bias", /bias 0\.bias has 2 entries but weight 0\.weight \[3, 2\]/],
    ["a tensor that is not a Linear layer's", () => read(encodeSafetensors([...torchTensors(), { name: "1.running_mean", shape: [3], values: [0, 0, 0] }]), "n.safetensors"), "NetworkLayoutError/unrecognised-name", "1.running_mean", /tensor 1\.running_mean is not part of an MLP hyperlayers can read/],
    ["a weight of rank 3", () => read(encodeSafetensors(torchTensors().map((t) => t.name === "0.weight" ? { ...t, shape: [3, 2, 1] } : t)), "r.safetensors"), "NetworkLayoutError/rank", "0.weight", /weight 0\.weight has shape \[3, 2, 1\]; a weight matrix has two axes/],
    ["NaN and ∞ weights", () => read(encodeSafetensors(torchTensors().map((t) => t.name === "2.weight" ? { ...t, values: [NaN, Infinity, NaN] } : t)), "nan.safetensors"), "NonFiniteWeights", "2.weight", /the weights hold 2 NaN, 1 \+∞, first in tensor 2\.weight; a network with non-finite weights is not analysed or classified/],
    ["float64 weights beyond float32", () => read(rawSafetensors({ W1: { dtype: "F64", shape: [1, 1], data_offsets: [0, 8] }, b1: { dtype: "F64", shape: [1], data_offsets: [8, 16] } }, new Uint8Array(Float64Array.from([1e300, 0]).buffer)), "o.safetensors"), "NonFiniteWeights", "W1", /1 \+∞ \(1 of them finite float64 values beyond float32's range\)/],
    ["a truncated .npz", () => { const z = encodeNetworkFile({ shape: [1, 1], W: [[1]], b: [[0]] }, "npz"); return read(z.subarray(0, z.length - 30), "z.npz") }, "WeightFileError/truncated", undefined, /the zip archive is damaged or truncated/],
    ["a truncated .npy member", () => decodeNpyFolder([{ name: "W1.npy", bytes: encodeNpy([2, 2], [1, 2, 3, 4]).subarray(0, 140) }, { name: "b1.npy", bytes: encodeNpy([2], [0, 0]) }], "dir"), "WeightFileError/truncated", "W1", /W1: the header says float32 \[2, 2\] \(16 bytes of data\) but only 12 follow: the file is truncated/],
    ["a .npy header that lies", () => { const b = encodeNpy([2], [0, 0]); const more = new Uint8Array(b.length + 4); more.set(b); return decodeNpyFolder([{ name: "W1.npy", bytes: encodeNpy([1, 2], [1, 2]) }, { name: "b1.npy", bytes: more }], "dir") }, "WeightFileError/header", "b1", /but 12 follow: the header lies about the size/],
    ["an integer .npy", () => { const b = encodeNpy([1], [0]); b[b.indexOf(0x3c) + 1] = 0x69; return decodeNpyFolder([{ name: "W1.npy", bytes: b }], "dir") }, "WeightFileError/dtype", "W1", /its dtype is int32 \('<i4'\); hyperlayers reads float16, float32 and float64 arrays/],
    ["a lone .npy file", () => read(encodeNpy([2], [1, 2]), "w.npy"), "WeightFileError/format", undefined, /a \.npy file holds one array, not a network; save the network with np\.savez/],
    ["JSON with Python's NaN", () => read(new TextEncoder().encode('{"0.weight": [[NaN]], "0.bias": [0]}'), "n.json"), "WeightFileError/format", undefined, /it holds NaN or Infinity, which JSON does not allow: the network has non-finite weights/],
    ["ragged JSON rows", () => read(new TextEncoder().encode('{"0.weight": [[1, 2], [3]], "0.bias": [0, 0]}'), "r.json"), "WeightFileError/format", "0.weight", /0\.weight\[1\] has 1 entries but its siblings have 2: the array is not rectangular/],
    ["a flat JSON matrix without its shape", () => read(new TextEncoder().encode('{"W": [[1, 2]], "b": [[0]]}'), "f.json"), "WeightFileError/format", "W1", /W\[0\] is a flat list: give "shape"/],
    ["a shape that disagrees with the weights", () => read(new TextEncoder().encode('{"shape": [2, 2], "W": [[[1], [2]]], "b": [[0]]}'), "s.json"), "NetworkLayoutError/unchained", undefined, /"shape" says \[2, 2\] but the weights make \[2, 1\]/],
    ["no tensors at all", () => read(encodeSafetensors([]), "e.safetensors"), "NetworkLayoutError/empty", undefined, /the file holds no tensors/],
    ["not a weight file", () => read(new TextEncoder().encode("hello"), "x.bin"), "WeightFileError/format", undefined, /not a weight file hyperlayers reads/]
  ]
  for (const [what, run, kind, tensor, message] of cases) {
    it(what, () => {
      const e = failure(run())
      expect("problem" in e ? `${e._tag}/${e.problem}` : e._tag).toBe(kind)
      expect(e.tensor).toBe(tensor)
      expect(e.message).toMatch(message)
    })
  }

  it("a file that is not there is a typed error, not a crash", async () => {
    const r = await Effect.runPromise(Effect.result(loadNetwork("/nonexistent/model.safetensors").pipe(Effect.provide(NodeServices.layer))))
    expect(Result.isFailure(r) && `${r.failure._tag}/${"problem" in r.failure ? r.failure.problem : ""}`).toBe("WeightFileError/unreadable")
  })

  it("no random corruption of a file crashes the reader or yields non-finite weights", () => {
    const bytes = encodeNetworkFile({ shape: [2, 3, 1], W: [[1, 2, 3, 4, 5, 6], [7, 8, 9]], b: [[0, 0, 1], [2]] }, "safetensors", "torch")
    fc.assert(fc.property(fc.integer({ min: 0, max: bytes.length - 1 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: bytes.length }), (at, value, cut) => {
      const broken = bytes.slice(0, cut)
      if (at < broken.length) broken[at] = value
      const r = read(broken, "x.safetensors")
      if (Result.isSuccess(r)) for (const w of [...r.success.network.W, ...r.success.network.b]) expect(w.every(Number.isFinite)).toBe(true)
      else expect(r.failure.message.length).toBeGreaterThan(0)
    }), { numRuns: 300 })
  })

  it("tf is untouched by reading", () => {
    expect(tf.memory().numTensors).toBe(tensorsBefore)
  })
})
