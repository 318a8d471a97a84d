import { existsSync, readFileSync } from "node:fs"
import * as tf from "@tensorflow/tfjs"
import { fc } from "@fast-check/vitest"
import { Effect, Result } from "effect"
import { describe, expect, it } from "vitest"
import { decodeCheckpoint, encodeCheckpoint } from "../src/core/run/checkpoint.js"
import { hyperhypernetwork } from "../src/layers/hypernetwork/hyperhypernetwork.js"
import { paretoObjective } from "../src/layers/hypernetwork/paretoObjective.js"
import { train } from "../src/programs/training/train.js"
import { disposeTrainer, initTrainer, trainStep } from "../src/programs/training/trainer.js"
import { Rng } from "../src/services/rng/Rng.js"
import { RunStore } from "../src/services/store/RunStore.js"
import { runProgram, tempDir, tinyConfig } from "./programs.js"

const finalParams = (runDir: string) => runProgram(Effect.gen(function* () {
  const store = yield* RunStore
  const list = yield* store.listCheckpoints(runDir)
  const ckpt = yield* store.readCheckpoint(list[list.length - 1]!.path)
  return { step: ckpt.step, tensors: ckpt.tensors.map((t) => ({ name: t.name, values: Array.from(t.values) })), rng: ckpt.rng }
}))

describe("training", () => {
  it("resumes exactly: N steps straight equal N/2, stop, resume, N/2 (cpu, bit for bit)", async () => {
    const straight = tempDir()
    const split = tempDir()
    const config = tinyConfig({ steps: 6, checkpointEvery: 100 })
    await runProgram(train({ runDir: straight, config, resume: false }), 7)
    await runProgram(train({ runDir: split, config: { ...config, steps: 3 }, resume: false }), 7)
    // the resumed session starts from a differently seeded Rng: the checkpoint's state must win
    await runProgram(train({ runDir: split, config, resume: true }), 99)
    const a = await finalParams(straight)
    const b = await finalParams(split)
    expect(a.step).toBe(6)
    expect(b.step).toBe(6)
    expect(b.rng).toEqual(a.rng)
    expect(b.tensors.map((t) => t.name)).toEqual(a.tensors.map((t) => t.name))
    b.tensors.forEach((t, k) => expect(t.values).toEqual(a.tensors[k]!.values))
  })

  it("lowers the loss over a short run, leaks no tensor per step, and writes checkpoints and metrics", async () => {
    const runDir = tempDir()
    const before = tf.memory().numTensors
    const result = await runProgram(Effect.gen(function* () {
      const t = yield* initTrainer(tinyConfig())
      const counts: Array<number> = []
      const losses: Array<number> = []
      for (let s = 0; s < 40; s++) {
        const m = yield* trainStep(t)
        losses.push(Array.from(m.loss).reduce((a, b) => a + b, 0) / m.loss.length)
        counts.push(tf.memory().numTensors)
      }
      disposeTrainer(t)
      return { counts, losses }
    }), 3)
    expect(new Set(result.counts.slice(1)).size).toBe(1) // flat after Adam's moments appear
    const mean = (xs: ReadonlyArray<number>) => xs.reduce((a, b) => a + b, 0) / xs.length
    expect(mean(result.losses.slice(-10))).toBeLessThan(mean(result.losses.slice(0, 10)))
    expect(tf.memory().numTensors).toBe(before)
    const r = await runProgram(train({ runDir, config: tinyConfig(), resume: false }))
    expect(r.step).toBe(6)
    expect(r.checkpoints.map((p) => p.replace(/.*\//, ""))).toEqual(["step-00000000.ckpt", "step-00000003.ckpt", "step-00000006.ckpt"])
    const lines = await runProgram(Effect.flatMap(RunStore, (s) => s.readText(`${runDir}/metrics.jsonl`)))
    expect(lines.trim().split("\n").map((l) => JSON.parse(l).step)).toEqual([1, 2, 3, 4, 5, 6])
    expect(tf.memory().numTensors).toBe(before)
  })

  it("sends a gradient to every hyperhypernetwork parameter", async () => {
    const norms = await runProgram(Effect.gen(function* () {
      const rng = yield* Rng
      const t = yield* initTrainer(tinyConfig())
      const logBeta = tf.tensor1d([-9, -1])
      const x = yield* rng.normal("x", [2, 16, 3])
      const randoms: Record<string, tf.Tensor> = {}
      for (const s of t.run.randoms) randoms[s.name] = yield* rng.normal(s.name, [2, ...s.shape])
      const { value, grads } = tf.variableGrads(() => paretoObjective(t.run, t.params, logBeta, x, randoms).objective as tf.Scalar, [...t.params])
      const norms = t.params.map((p) => tf.tidy(() => tf.norm(grads[p.name]!).dataSync()[0]!))
      tf.dispose([value, ...Object.values(grads), logBeta, x, ...Object.values(randoms)])
      disposeTrainer(t)
      return norms
    }))
    expect(norms.length).toBe(6)
    for (const n of norms) expect(n).toBeGreaterThan(0)
  })

  it("generates θ = a ⊙ sigmoid(b) for a whole batch of β at once", async () => {
    await runProgram(Effect.gen(function* () {
      const t = yield* initTrainer(tinyConfig())
      const batch = tf.tidy(() => hyperhypernetwork(t.params, tf.tensor1d([-12, -3, 0])).arraySync() as Array<Array<number>>)
      const one = tf.tidy(() => hyperhypernetwork(t.params, tf.tensor1d([-3])).arraySync() as Array<Array<number>>)
      expect(batch.length).toBe(3)
      expect(batch[0]!.length).toBe(t.run.layout.size)
      one[0]!.forEach((v, k) => expect(batch[1]![k]).toBeCloseTo(v, 5))
      disposeTrainer(t)
    }))
  })
})

describe("checkpoints", () => {
  const sample = (values: ReadonlyArray<number>) => ({
    step: 12, config: tinyConfig(), rng: { rootSeed: 5, streams: { "train/x": 40 } },
    optimizer: { iterations: 12, accBeta1: 0.25, accBeta2: 0.98 },
    tensors: [{ name: "param/W1", shape: [values.length], values: Float32Array.from(values) }, { name: "adam/m/W1", shape: [0], values: new Float32Array(0) }]
  })

  it("round-trips through bytes, wherever they sit in memory", () => {
    fc.assert(fc.property(fc.array(fc.float({ noNaN: true, noDefaultInfinity: true }), { maxLength: 50 }), fc.integer({ min: 0, max: 7 }), (values, shift) => {
      // a Node Buffer from readFile is often a view at an odd offset of a shared pool
      const bytes = encodeCheckpoint(sample(values))
      const pool = new Uint8Array(bytes.length + 16).fill(0xab)
      pool.set(bytes, shift)
      const back = Result.getOrThrow(decodeCheckpoint(Buffer.from(pool.buffer, shift, bytes.length), "x"))
      expect(back.step).toBe(12)
      expect(Array.from(back.tensors[0]!.values)).toEqual(Array.from(Float32Array.from(values)))
      expect(back.config).toEqual(tinyConfig())
    }))
  })

  it("rejects truncated, corrupt, foreign and malformed files with a message saying which", () => {
    const bytes = encodeCheckpoint(sample([1, 2, 3, 4]))
    const why = (b: Uint8Array) => {
      const r = decodeCheckpoint(b, "f.ckpt")
      return Result.isFailure(r) ? r.failure.message : "accepted"
    }
    expect(why(bytes.slice(0, bytes.length - 4))).toMatch(/f\.ckpt is not a usable checkpoint: expected 16 bytes of data, found 12/)
    const corrupt = bytes.slice()
    corrupt[corrupt.length - 1]! ^= 0xff
    expect(why(corrupt)).toMatch(/checksum/)
    expect(why(new TextEncoder().encode("{\"step\": 3}"))).toMatch(/HLCK signature/)
    // edit the header in place (decoding the binary data as text would change its length): the
    // whole-file checksum catches it (format 1 accepted it)
    const badStep = bytes.slice()
    const at = Buffer.from(badStep).indexOf("\"step\":12")
    badStep.set(new TextEncoder().encode("\"step\":-1"), at)
    expect(why(badStep)).toMatch(/checksum/)
    expect(why(bytes.slice(0, 20))).toMatch(/header is truncated/)
  })

  it("refuses to resume a run with a different configuration, or to overwrite a run", async () => {
    const runDir = tempDir()
    await runProgram(train({ runDir, config: tinyConfig({ steps: 2 }), resume: false }))
    const conflict = await runProgram(Effect.result(train({ runDir, config: tinyConfig({ steps: 4, learningRate: 0.01 }), resume: true })))
    expect(Result.isFailure(conflict) && String((conflict.failure as Error).message)).toMatch(/learningRate: checkpoint 0\.001, requested 0\.01/)
    const overwrite = await runProgram(Effect.result(train({ runDir, config: tinyConfig(), resume: false })))
    expect(Result.isFailure(overwrite) && String((overwrite.failure as Error).message)).toMatch(/already holds a run .*--resume/)
    const empty = await runProgram(Effect.result(train({ runDir: tempDir(), config: tinyConfig(), resume: true })))
    expect(Result.isFailure(empty) && String((empty.failure as Error).message)).toMatch(/holds no checkpoint/)
  })
})

describe("interrupting training", () => {
  it("saves a checkpoint where it stopped, and resuming from it ends exactly where a straight run does", async () => {
    const config = tinyConfig({ steps: 1_000_000, checkpointEvery: 1_000_000, logEvery: 5 })
    const stopped = tempDir()
    // stop mid-run (as Ctrl-C does through the runtime) once the log reaches step 10: a condition
    // on progress, not on time, so a slow or fast machine stops at the same kind of point
    const logged = () => readFileSync(`${stopped}/metrics.jsonl`, "utf8").trim().split("\n").filter((l) => l !== "").map((l) => JSON.parse(l).step as number)
    const reachedTen = Effect.sleep("20 millis").pipe(Effect.map(() => existsSync(`${stopped}/metrics.jsonl`) && logged().some((s) => s >= 10)), Effect.repeat({ until: (done) => done }))
    await runProgram(Effect.raceFirst(train({ runDir: stopped, config, resume: false }), reachedTen), 7)
    const partial = await finalParams(stopped)
    expect(partial.step).toBeGreaterThanOrEqual(10)
    expect(partial.step).toBeLessThan(config.steps)
    const short = { ...config, steps: partial.step + 6 }
    await runProgram(train({ runDir: stopped, config: short, resume: true }), 7)
    const straight = tempDir()
    await runProgram(train({ runDir: straight, config: short, resume: false }), 7)
    const [a, b] = [await finalParams(straight), await finalParams(stopped)]
    expect(b.step).toBe(a.step)
    b.tensors.forEach((t, k) => expect(t.values).toEqual(a.tensors[k]!.values))
  })
})
