import { createHash } from "node:crypto"
import { fc } from "@fast-check/vitest"
import { Result } from "effect"
import { describe, expect, it } from "vitest"
import { type Checkpoint, decodeCheckpoint, encodeCheckpoint } from "../src/core/run/checkpoint.js"
import { chainDigest, EMPTY_LOG_DIGEST, emptyWindow, logDigest } from "../src/core/run/metricsLog.js"
import { checkpointAgreesWithRun, checkpointNameStep, valueDifferences } from "../src/core/run/runIntegrity.js"
import type { RunManifest } from "../src/core/run/runManifest.js"
import { paperHypernetworkSpec } from "../src/core/hypernetwork/paperHypernetworkSpec.js"
import { RESUMABLE_FIELDS } from "../src/core/run/trainConfig.js"
import { tinyConfig } from "./programs.js"

const sample = (values: ReadonlyArray<number> = [1, 2, 3, 4]): Checkpoint => ({
  step: 6, config: tinyConfig(), rng: { rootSeed: 7, streams: { "train/x": 40, "train/log-beta": 6 } },
  optimizer: { iterations: 6, accBeta1: 0.25, accBeta2: 0.98 },
  log: { rows: 2, digest: logDigest(["{\"step\":3}", "{\"step\":6}"]), window: { ...emptyWindow, steps: 1, lossSum: 0.5, lossCount: 2 } },
  tensors: [{ name: "param/W1", shape: [values.length], values: Float32Array.from(values) }, { name: "adam/m/W1", shape: [0], values: new Float32Array(0) }]
})

const why = (bytes: Uint8Array) => {
  const r = decodeCheckpoint(bytes, "step-00000006.ckpt")
  return Result.isFailure(r) ? r.failure.message : "accepted"
}

/** The checkpoint's bytes with one header text replaced by another of the same length. */
const editHeader = (bytes: Uint8Array, from: string, to: string) => {
  expect(to.length).toBe(from.length)
  const text = Buffer.from(bytes).toString("latin1")
  expect(text).toContain(from)
  return Uint8Array.from(Buffer.from(text.replace(from, to), "latin1"))
}

/** Re-seal bytes whose header was changed, as a forger who knows the format would. */
const reseal = (bytes: Uint8Array) => {
  const out = bytes.slice()
  const h = createHash("sha256")
  h.update(out.subarray(0, 12))
  h.update(out.subarray(44))
  out.set(h.digest(), 12)
  return out
}

describe("checkpoint format 2", () => {
  it("round-trips everything, the metrics state included", () => {
    const back = Result.getOrThrow(decodeCheckpoint(encodeCheckpoint(sample()), "x"))
    expect(back.step).toBe(6)
    expect(back.rng).toEqual(sample().rng)
    expect(back.optimizer).toEqual(sample().optimizer)
    expect(back.log).toEqual(sample().log)
    expect(back.config).toEqual(tinyConfig())
    expect(Array.from(back.tensors[0]!.values)).toEqual([1, 2, 3, 4])
  })

  it("refuses a header, sealed by a forger, that gives two tensors the same floats (each would be copied again)", () => {
    const bytes = encodeCheckpoint(sample())
    const forged = reseal(editHeader(bytes, '"shape":[0],"offset":4', '"shape":[4],"offset":0'))
    expect(why(forged)).toBe("step-00000006.ckpt is not a usable checkpoint: tensors param/W1 (floats 0–4) and adam/m/W1 (floats 0–4) overlap; each tensor has floats of its own")
    const part = reseal(editHeader(bytes, '"shape":[0],"offset":4', '"shape":[2],"offset":3'))
    expect(why(part)).toMatch(/tensors param\/W1 \(floats 0–4\) and adam\/m\/W1 \(floats 3–5\) overlap/)
  })

  it("detects a change to any single byte, header or data", () => {
    const bytes = encodeCheckpoint(sample())
    fc.assert(fc.property(fc.integer({ min: 0, max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, flip) => {
      const bad = bytes.slice()
      bad[at]! ^= flip
      expect(why(bad)).toMatch(/^step-00000006\.ckpt is not a usable checkpoint: /)
    }), { numRuns: 300 })
  })

  it("refuses the header edits that format 1 accepted: step, RNG counters, root seed, Adam accumulators, learning rate", () => {
    const bytes = encodeCheckpoint(sample())
    for (const [from, to] of [
      ["\"step\":6", "\"step\":5"], ["\"train/x\":40", "\"train/x\":41"], ["\"rootSeed\":7", "\"rootSeed\":8"],
      ["\"accBeta1\":0.25", "\"accBeta1\":0.26"], ["\"learningRate\":0.001", "\"learningRate\":0.002"], ["\"rows\":2", "\"rows\":1"]
    ] as const) {
      expect(why(editHeader(bytes, from, to)), from).toMatch(/does not match its checksum \(SHA-256\): it was edited or damaged/)
    }
  })

  it("names truncation, a foreign signature, format version 1 and a bad header", () => {
    const bytes = encodeCheckpoint(sample())
    expect(why(bytes.slice(0, bytes.length - 4))).toMatch(/expected 16 bytes of data, found 12 \(truncated\?\)/)
    expect(why(new TextEncoder().encode("{\"step\": 3}"))).toMatch(/HLCK signature/)
    expect(why(bytes.slice(0, 30))).toMatch(/header is truncated/)
    const v1 = bytes.slice()
    new DataView(v1.buffer).setUint32(4, 1, true)
    const old = decodeCheckpoint(v1, "old.ckpt")
    expect(Result.isFailure(old) && old.failure).toMatchObject({ _tag: "CheckpointError", path: "old.ckpt", field: "version" })
    expect(why(v1)).toMatch(/format version 1, written by an older hyperlayers whose checksum did not cover the header.*train the run again/)
    const v3 = bytes.slice()
    new DataView(v3.buffer).setUint32(4, 3, true)
    expect(why(v3)).toMatch(/format version 3, this library reads version 2/)
    // a header that passes the checksum must still decode: the field is named
    expect(why(reseal(editHeader(bytes, "\"step\":6", "\"step\":-")))).toMatch(/not JSON/)
    expect(why(reseal(editHeader(bytes, "\"step\":6", "\"step\":\"")))).toMatch(/not JSON|bad header/)
    expect(why(reseal(editHeader(bytes, "\"activation\":\"swish\"", "\"activation\":\"gelu!\"")))).toMatch(/bad header: Expected "swish" \| "relu" at \["config"\]\["activation"\]/)
  })
})

describe("a checkpoint belongs to its run", () => {
  const manifest = (over: Partial<RunManifest> = {}): RunManifest => ({
    format: "hyperlayers-run", createdAt: "2026-01-01T00:00:00.000Z", command: "train", config: tinyConfig(), rootSeed: 7,
    backend: "cpu", versions: {}, gitCommit: null, ...over
  })
  const check = (c: Checkpoint, nameStep: number | undefined, m?: RunManifest) => checkpointAgreesWithRun(c, { path: "run/checkpoints/f.ckpt", nameStep, manifest: m })

  it("agrees with its own run, whatever the resumable fields say", () => {
    expect(Result.isSuccess(check(sample(), 6, manifest()))).toBe(true)
    const extended = { ...sample(), config: { ...tinyConfig(), steps: 99, checkpointEvery: 5, logEvery: 2, threads: 2 } }
    expect(Result.isSuccess(check(extended, 6, manifest()))).toBe(true)
    expect(RESUMABLE_FIELDS).toEqual(["steps", "checkpointEvery", "logEvery", "threads"])
  })

  it("refuses a step other than its file name's, another root seed, and any other config, naming the field", () => {
    const failure = (r: ReturnType<typeof check>) => (Result.isFailure(r) ? r.failure : undefined)
    expect(failure(check(sample(), 7))).toMatchObject({ field: "step", path: "run/checkpoints/f.ckpt" })
    expect(failure(check(sample(), 7))?.message).toMatch(/holds step 6 but its name says step 7/)
    expect(failure(check(sample(), 6, manifest({ rootSeed: 8 })))?.message).toMatch(/root seed is 7, the run's manifest says 8/)
    const deeper = paperHypernetworkSpec({ activation: 6, position: 2, noise: 2, attentionKey: 2, learned: 2, latent: 2, depth: 4 })
    const other = manifest({ config: { ...tinyConfig(), shape: [3, 5, 1], hypernetwork: deeper } })
    expect(failure(check(sample(), 6, other))).toMatchObject({ field: "config.hypernetwork.stages" })
    expect(failure(check(sample(), 6, other))?.message).toMatch(/config\.hypernetwork\.stages: manifest 4 items, checkpoint 3 items; config\.shape\[1\]: manifest 5, checkpoint 4/)
    const task = manifest({ config: { ...tinyConfig(), task: "l2" } })
    expect(failure(check(sample(), 6, task))?.message).toMatch(/config\.task: manifest "l2", checkpoint "l1"/)
  })

  it("compares every non-resumable config field, at any depth, without naming them", () => {
    // every leaf of the config, changed: refused unless its top-level field is resumable
    const leaves = (v: unknown, path: Array<string | number> = []): Array<Array<string | number>> =>
      typeof v === "object" && v !== null ? Object.entries(v).flatMap(([k, x]) => leaves(x, [...path, Array.isArray(v) ? Number(k) : k])) : [path]
    const config = tinyConfig()
    for (const path of leaves(config)) {
      const changed = structuredClone(config) as unknown as Record<string | number, unknown>
      let at = changed
      for (const k of path.slice(0, -1)) at = at[k] as Record<string | number, unknown>
      const last = path[path.length - 1]!
      at[last] = typeof at[last] === "number" ? (at[last] as number) + 1 : `${String(at[last])}-other`
      const r = check({ ...sample(), config: changed as unknown as Checkpoint["config"] }, 6, manifest())
      expect(Result.isSuccess(r), path.join(".")).toBe(RESUMABLE_FIELDS.includes(path[0] as never))
    }
  })

  it("reads steps from checkpoint names", () => {
    expect(checkpointNameStep("step-00000012.ckpt")).toBe(12)
    expect(checkpointNameStep(".step-00000012.ckpt.55.1.tmp")).toBeUndefined()
  })
})

describe("valueDifferences", () => {
  const json = fc.jsonValue({ maxDepth: 3 })
  it("finds none between a value and its copy, and as many each way", () => {
    fc.assert(fc.property(json, json, (a, b) => {
      expect(valueDifferences(a, structuredClone(a))).toEqual([])
      expect(valueDifferences(a, b).map((d) => d.path)).toEqual(valueDifferences(b, a).map((d) => d.path))
    }))
  })
  it("names the path of a difference", () => {
    expect(valueDifferences({ a: { b: [1, 2] }, c: 1 }, { a: { b: [1, 3] }, c: 1 })).toEqual([{ path: "a.b[1]", left: 2, right: 3 }])
    expect(valueDifferences({ a: 1 }, { a: 1, z: 2 })).toEqual([{ path: "z", left: undefined, right: 2 }])
  })
})

describe("the metrics digest chain", () => {
  it("changes with any line and with their order", () => {
    fc.assert(fc.property(fc.array(fc.string(), { minLength: 1, maxLength: 6 }), fc.nat(), fc.string(), (lines, k, other) => {
      const at = k % lines.length
      const edited = lines.map((l, j) => (j === at ? other : l))
      expect(logDigest(edited) === logDigest(lines)).toBe(other === lines[at])
      expect(logDigest(lines)).toBe(lines.reduce(chainDigest, EMPTY_LOG_DIGEST))
    }))
  })
})

describe("result files hold every number their readers accept", () => {
  it("write NaN and ±∞ in a result file so that it reads back as written (JSON.stringify made them null, which the reader refused)", async () => {
    const { Effect } = await import("effect")
    const { GeneralizationResult } = await import("../src/core/run/results.js")
    const { RunStore } = await import("../src/services/store/RunStore.js")
    const { runProgram, tempDir } = await import("./programs.js")
    const { readFileSync } = await import("node:fs")
    const dir = tempDir()
    await fc.assert(fc.asyncProperty(fc.array(fc.oneof(fc.double(), fc.constantFrom(Number.NaN, Infinity, -Infinity)), { minLength: 1, maxLength: 6 }), async (losses) => {
      const value = { step: 10, logBeta: -6, seeds: 2, trained: [3, 4, 1], cells: losses.map((loss, k) => ({ inputs: k + 1, hidden: 4, loss, lossMin: loss, lossMax: Infinity, algorithm: "unclassifiable" as const })) }
      const back = await runProgram(Effect.gen(function* () {
        const store = yield* RunStore
        yield* store.writeJson(`${dir}/generalization.json`, GeneralizationResult, value)
        return yield* store.readJson(`${dir}/generalization.json`, GeneralizationResult)
      }))
      back.cells.forEach((c, k) => expect(Object.is(c.loss, losses[k]) || (c.loss === 0 && losses[k] === 0)).toBe(true))
      if (losses.some((l) => !Number.isFinite(l))) expect(readFileSync(`${dir}/generalization.json`, "utf8")).toMatch(/"(NaN|Infinity|-Infinity)"/)
    }), { seed: 31, numRuns: 40 })
  })
})
