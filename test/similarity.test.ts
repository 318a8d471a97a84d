import { spawnSync } from "node:child_process"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import * as tf from "@tensorflow/tfjs"
import { fc } from "@fast-check/vitest"
import { Effect, Result, Schema } from "effect"
import { beforeAll, describe, expect, it } from "vitest"
import { type FeatureMatrix, linearCka, linearCkaOfMatrices } from "../src/core/similarity/cka.js"
import { permuteHiddenUnits, perturbWeights } from "../src/core/similarity/encoderVariants.js"
import { forward, netWeightsOrThrow } from "../src/core/network/network.js"
import { fractionalRanks, spearman } from "../src/core/similarity/rankCorrelation.js"
import { decodeSimilaritySettings, SimilarityManifest, SimilarityResult, type SimilaritySettings, similarityPresets } from "../src/core/similarity/similaritySettings.js"
import { mlpEncoder } from "../src/layers/hypernetwork/encoder.js"
import { initMlp } from "../src/programs/similarity/encoders.js"
import { similarity, similarityDataset } from "../src/programs/similarity/similarity.js"
import { loadPenguins, splitData, syntheticData } from "../src/programs/similarity/similarityData.js"
import { fitConditions, functionalSimilarity, pretrainProbeHypernetwork, transferLosses } from "../src/programs/similarity/transferSimilarity.js"
import type { DatasetName } from "../src/core/similarity/similaritySettings.js"
import { noLeak, take, useBackend } from "./helpers.js"
import { runProgram, tempDir } from "./programs.js"
import { hyperlayersArgs } from "./cliProcess.js"

beforeAll(() => useBackend("cpu"))

const value = fc.double({ min: -10, max: 10, noNaN: true })
/** An N × d matrix whose columns are not all constant (CKA is defined). */
const features = (rows: number, cols: number): fc.Arbitrary<FeatureMatrix> =>
  fc.array(value, { minLength: rows * cols, maxLength: rows * cols })
    .filter((data) => data.some((x) => Math.abs(x - data[0]!) > 1e-3))
    .map((data) => ({ rows, cols, data: Float64Array.from(data) }))
const shapes = fc.tuple(fc.integer({ min: 3, max: 16 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }))
const pair = shapes.chain(([n, dx, dy]) => fc.tuple(features(n, dx), features(n, dy)))
  .filter(([x, y]) => Result.isSuccess(linearCkaOfMatrices(x, y)))
const permutationOf = (n: number) => fc.array(fc.double({ noNaN: true }), { minLength: n, maxLength: n })
  .map((keys) => Array.from({ length: n }, (_, k) => k).sort((a, b) => keys[a]! - keys[b]! || a - b))

const cka = (x: FeatureMatrix, y: FeatureMatrix) => Result.getOrThrow(linearCkaOfMatrices(x, y))
const mapColumns = (m: FeatureMatrix, cols: number, f: (row: ReadonlyArray<number>) => ReadonlyArray<number>): FeatureMatrix => {
  const data = new Float64Array(m.rows * cols)
  for (let i = 0; i < m.rows; i++) data.set(f(Array.from({ length: m.cols }, (_, j) => m.data[i * m.cols + j]!)), i * cols)
  return { rows: m.rows, cols, data }
}
/** A random orthogonal d × d matrix: Gram–Schmidt on random columns (rows of Q below). */
const orthogonal = (d: number) => fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: d * d, maxLength: d * d }).map((a) => {
  const q: Array<Array<number>> = []
  for (let i = 0; i < d; i++) {
    let v = a.slice(i * d, (i + 1) * d).map((x, j) => x + (j === i ? 2 : 0)) // diagonal shift keeps them independent
    for (const u of q) {
      const dot = v.reduce((s, x, j) => s + x * u[j]!, 0)
      v = v.map((x, j) => x - dot * u[j]!)
    }
    const norm = Math.hypot(...v)
    q.push(v.map((x) => x / norm))
  }
  return q
})

describe("linear CKA", () => {
  it("is the squared Pearson correlation for one feature each, and names bad arguments", () => {
    // x = 1, 2, 3 and y = 1, 4, 9: r² = 8² / (2 · 98/3) = 0.979592
    expect(cka({ rows: 3, cols: 1, data: [1, 2, 3] }, { rows: 3, cols: 1, data: [1, 4, 9] })).toBeCloseTo(96 / 98, 12)
    const e = (r: Result.Result<number, { source: string; message: string }>) => (Result.isFailure(r) ? r.failure : undefined)
    expect(e(linearCkaOfMatrices({ rows: 3, cols: 1, data: [1, 2, 3] }, { rows: 2, cols: 1, data: [1, 2] }))).toMatchObject({ source: "y", message: expect.stringContaining("x has 3 rows, y has 2") })
    expect(e(linearCkaOfMatrices({ rows: 3, cols: 1, data: [5, 5, 5] }, { rows: 3, cols: 1, data: [1, 2, 3] }))).toMatchObject({ source: "x", message: expect.stringContaining("constant") })
    expect(e(linearCkaOfMatrices({ rows: 2, cols: 1, data: [1, NaN] }, { rows: 2, cols: 1, data: [1, 2] }))?.source).toBe("x")
    expect(e(linearCkaOfMatrices({ rows: 2, cols: 2, data: [1, 2, 3] }, { rows: 2, cols: 1, data: [1, 2] }))?.message).toContain("holds 3 values but is declared 2 × 2")
    const t = tf.tensor1d([1, 2])
    expect(noLeak(() => e(linearCka(t, t))?.message)).toContain("2-D tensor")
    t.dispose()
  })

  it("lies in [0, 1] and is symmetric", () => {
    fc.assert(fc.property(pair, ([x, y]) => {
      const c = cka(x, y)
      expect(c).toBeGreaterThanOrEqual(0)
      expect(c).toBeLessThanOrEqual(1)
      expect(cka(y, x)).toBeCloseTo(c, 10)
    }))
  })

  it("is 1 for a representation and itself with its units permuted", () => {
    fc.assert(fc.property(shapes.chain(([n, d]) => fc.tuple(features(n, d), permutationOf(d))), ([x, p]) => {
      expect(cka(x, mapColumns(x, x.cols, (row) => p.map((j) => row[j]!)))).toBeCloseTo(1, 10)
    }))
  })

  it("is invariant to isotropic scaling and orthogonal transforms of either side", () => {
    fc.assert(fc.property(shapes.chain(([n, dx, dy]) => fc.tuple(features(n, dx), features(n, dy), orthogonal(dy), fc.double({ min: 1e-3, max: 1e3, noNaN: true }))),
      ([x, y, q, c]) => {
        fc.pre(Result.isSuccess(linearCkaOfMatrices(x, y)))
        const base = cka(x, y)
        const rotated = mapColumns(y, y.cols, (row) => q.map((qi) => c * qi.reduce((s, v, j) => s + v * row[j]!, 0)))
        expect(cka(x, rotated)).toBeCloseTo(base, 8)
        expect(cka(mapColumns(x, x.cols, (row) => row.map((v) => v / c)), y)).toBeCloseTo(base, 8)
      }))
  })

  it("is 1 (float tolerance) for an encoder and its copy with permuted hidden units, below 1 for weight noise", () => runProgram(Effect.gen(function* () {
    const net = yield* initMlp([3, 6, 4], "t/net")
    const x = tf.randomNormal([50, 3], 0, 1, "float32", 1)
    const eps = netWeightsOrThrow(net.shape, net.W.map((w) => tf.onesLike(w)), net.b.map((b) => tf.onesLike(b)))
    const before = tf.memory().numTensors
    const permuted = Result.getOrThrow(permuteHiddenUnits(net, [[5, 3, 0, 1, 4, 2]]))
    const fa = forward(net, x)
    const fb2 = forward(permuted, x)
    expect(Result.getOrThrow(linearCka(fa, fb2))).toBeCloseTo(1, 6)
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(fa, fb2))).dataSync()[0]!)
    expect(diff).toBeLessThan(1e-5)
    tf.dispose([fa, fb2])
    const same = Result.getOrThrow(perturbWeights(net, 0, eps))
    expect(Array.from(take(forward(same, x)))).toEqual(Array.from(take(forward(net, x))))
    const noisy = Result.getOrThrow(perturbWeights(net, 0.5, eps))
    const [f0, f1] = [forward(net, x), forward(noisy, x)]
    expect(Result.getOrThrow(linearCka(f0, f1))).toBeLessThan(0.999)
    tf.dispose([f0, f1, ...same.W, ...same.b, ...noisy.W, ...noisy.b, ...permuted.W, ...permuted.b])
    expect(tf.memory().numTensors).toBe(before)
    // malformed arguments are named
    const bad = permuteHiddenUnits(net, [[0, 0, 1, 2, 3, 4]])
    expect(Result.isFailure(bad) && bad.failure.source).toBe("perms[0]")
    const short = netWeightsOrThrow([3, 6], [eps.W[0]!], [eps.b[0]!])
    const wrongNoise = perturbWeights(net, 0.1, short)
    expect(Result.isFailure(wrongNoise) && wrongNoise.failure.source).toBe("noise")
    const negative = perturbWeights(net, -1, eps)
    expect(Result.isFailure(negative) && negative.failure.source).toBe("sigma")
    tf.dispose([x, ...eps.W, ...eps.b, ...net.W, ...net.b])
  })))
})

describe("Spearman rank correlation", () => {
  it("averages tied ranks and matches hand-computed values", () => {
    expect(Array.from(fractionalRanks([10, 20, 20, 30]))).toEqual([1, 2.5, 2.5, 4])
    // d = (0, 1, −1, 0): ρ = 1 − 6 · 2 / (4 · 15)
    expect(Result.getOrThrow(spearman([1, 2, 3, 4], [1, 3, 2, 4]))).toBeCloseTo(0.8, 12)
    expect(Result.getOrThrow(spearman([1, 2, 3], [3, 2, 1]))).toBeCloseTo(-1, 12)
    const fail = (r: Result.Result<number, { source: string; message: string }>) => (Result.isFailure(r) ? r.failure : undefined)
    expect(fail(spearman([1, 2], [1, 2, 3]))?.source).toBe("b")
    expect(fail(spearman([1, 1, 1], [1, 2, 3]))?.message).toContain("a is constant")
    expect(fail(spearman([1], [1]))?.message).toContain("at least 2 pairs")
    expect(fail(spearman([1, Infinity], [1, 2]))?.message).toContain("a[1] is not finite")
  })

  it("is 1 under any increasing map, −1 under a decreasing one, and in [−1, 1]", () => {
    // distinct values at least 0.1 apart, so that the maps below keep them distinct in float64
    const distinct = fc.uniqueArray(fc.integer({ min: -1000, max: 1000 }), { minLength: 2, maxLength: 30 }).map((xs) => xs.map((x) => x / 10))
    fc.assert(fc.property(distinct, fc.array(fc.double({ min: -100, max: 100, noNaN: true }), { minLength: 30, maxLength: 30 }), (a, b) => {
      expect(Result.getOrThrow(spearman(a, a.map((x) => Math.exp(x / 50) + x)))).toBeCloseTo(1, 12)
      expect(Result.getOrThrow(spearman(a, a.map((x) => -x * x * x)))).toBeCloseTo(-1, 12)
      const r = spearman(a, b.slice(0, a.length))
      if (Result.isSuccess(r)) {
        expect(r.success).toBeGreaterThanOrEqual(-1)
        expect(r.success).toBeLessThanOrEqual(1)
      }
    }))
  })
})

const transfer = { steps: 1, learningRate: 0.05 }
const hypernetwork = { condition: 3, hidden: [8], steps: 30, learningRate: 0.02, conditionSteps: 20, conditionLearningRate: 0.05 }

describe("functional similarity by hypernetwork transfer", () => {
  it("gives an encoder's copy with permuted hidden units the Δ of the encoder itself, and leaks no tensor", () => runProgram(Effect.gen(function* () {
    const data = yield* syntheticData({ inputs: 4, classes: 3, samples: 60, teacherHidden: 8 })
    const nets = [
      yield* initMlp([4, 6, 5], "t/a"), yield* initMlp([4, 6, 5], "t/pool0"), yield* initMlp([4, 6, 5], "t/pool1"), yield* initMlp([4, 6, 5], "t/other")
    ]
    const [a, p0, p1, other] = nets as [typeof nets[0], typeof nets[0], typeof nets[0], typeof nets[0]]
    const permuted = Result.getOrThrow(permuteHiddenUnits(a, [[2, 0, 5, 1, 3, 4]]))
    const inputs = tf.tensor2d(Float32Array.from(data.inputs.data), [60, 4])
    const before = tf.memory().numTensors
    const r = yield* functionalSimilarity({
      reference: mlpEncoder("A", a), candidates: [mlpEncoder("A", a), mlpEncoder("A permuted", permuted), mlpEncoder("other", other)],
      pool: [mlpEncoder("pool 0", p0), mlpEncoder("pool 1", p1)], inputs, labels: data.task.labels, classes: 3, hypernetwork, transfer
    })
    expect(tf.memory().numTensors).toBe(before)
    const [self, perm, unrelated] = r.candidates as [typeof r.candidates[0], typeof r.candidates[0], typeof r.candidates[0]]
    expect(self.delta).toBeGreaterThan(1e-4)
    expect(self.delta).toBeCloseTo(r.selfDelta, 6)
    expect(Math.abs(perm.delta - self.delta)).toBeLessThan(1e-5 * Math.max(1, Math.abs(self.delta)))
    expect(perm.lossBefore).toBeCloseTo(self.lossBefore, 5)
    expect(perm.cka).toBeCloseTo(1, 5)
    // not an equality that any pair meets: an unrelated encoder differs in both measures
    expect(Math.abs(unrelated.delta - self.delta)).toBeGreaterThan(1e-4)
    expect(unrelated.cka).toBeLessThan(0.99)

    // bad arguments are named
    const call = (over: Partial<Parameters<typeof functionalSimilarity>[0]>) => Effect.flip(functionalSimilarity({
      reference: mlpEncoder("A", a), candidates: [mlpEncoder("B", other)], pool: [mlpEncoder("pool 0", p0)], inputs, labels: data.task.labels, classes: 3, hypernetwork, transfer, ...over
    }))
    expect((yield* call({ labels: [0, 1] })).source).toBe("labels")
    expect((yield* call({ labels: Array.from({ length: 60 }, () => 3) })).message).toContain("labels[0] must be an integer in [0, 3)")
    expect((yield* call({ candidates: [{ name: "narrow", encode: (x) => tf.slice(x, [0, 0], [-1, 2]) }] })).message).toContain("encoder narrow must map inputs [60, 4] to features [60, 5], got [60, 2]")
    expect((yield* call({ candidates: [{ name: "broken", encode: () => { throw new Error("boom") } }] })).message).toContain("encoder broken failed")
    // an encoder that hands back its input: the error must not dispose the caller's tensor
    expect((yield* call({ candidates: [{ name: "identity", encode: (x) => x }] })).message).toContain("encoder identity must map inputs [60, 4] to features [60, 5], got [60, 4]")
    expect(inputs.isDisposed).toBe(false)
    expect((yield* call({ transfer: { steps: 0, learningRate: 0.1 } })).message).toContain("transfer.steps must be at least 1")
    expect((yield* call({ hypernetwork: { ...hypernetwork, learningRate: -1 } })).message).toContain("hypernetwork.learningRate must be greater than 0")
    expect((yield* call({ pool: [] })).source).toBe("pool")
    expect(tf.memory().numTensors).toBe(before)
    tf.dispose([inputs, ...permuted.W, ...permuted.b, ...nets.flatMap((n) => [...n.W, ...n.b])])
  })))

  it("loads the penguins table offline from vega-datasets: 342 complete records, 3 species, 3 islands, standardised", () => runProgram(Effect.gen(function* () {
    const d = yield* loadPenguins
    expect(d.inputs.rows).toBe(342)
    expect(d.task.classes).toEqual(["Adelie", "Chinstrap", "Gentoo"])
    expect(d.otherTask.classes).toEqual(["Biscoe", "Dream", "Torgersen"])
    expect(Array.from({ length: 3 }, (_, c) => d.task.labels.filter((l) => l === c).length)).toEqual([151, 68, 123])
    const col = Array.from({ length: 342 }, (_, i) => d.inputs.data[i * 4 + 2]!)
    expect(col.reduce((s, x) => s + x, 0) / 342).toBeCloseTo(0, 5)
    expect(Math.sqrt(col.reduce((s, x) => s + x * x, 0) / 342)).toBeCloseTo(1, 5)
  })))
})

const tiny: SimilaritySettings = {
  datasets: ["penguins", "synthetic"],
  probeFraction: 0.5,
  encoder: { hidden: [5], features: 3, steps: 10, learningRate: 0.02 },
  zoo: { references: 1, noise: [0.2, 1], otherSeeds: 1, otherTask: 1, untrained: 1 },
  pool: { trained: 1, otherTask: 0, untrained: 1 },
  hypernetwork: { condition: 2, hidden: [6], steps: 10, learningRate: 0.02, conditionSteps: 3, conditionLearningRate: 0.05 },
  transfer: { steps: 2, learningRate: 0.05 },
  synthetic: { inputs: 3, classes: 2, samples: 40, teacherHidden: 4 }
}

describe("degenerate numbers given to the similarity programs", () => {
  it("are typed errors naming the argument and its value, never a plausible result or a crash", () => runProgram(Effect.gen(function* () {
    const data = yield* syntheticData({ inputs: 3, classes: 2, samples: 20, teacherHidden: 4 })
    for (const share of [Number.NaN, 0, 1, 1.5, -0.2]) {
      const e = yield* Effect.flip(splitData(data, share, "s"))
      expect([e.source, e.message]).toEqual(["probeFraction", `probeFraction must be a number strictly between 0 and 1, got ${share}`])
    }
    expect((yield* Effect.flip(syntheticData({ inputs: 0, classes: 2, samples: 20, teacherHidden: 4 }))).message).toBe('invalid synthetic settings {"inputs":0,"classes":2,"samples":20,"teacherHidden":4}: synthetic.inputs must be at least 1')
    expect((yield* Effect.flip(syntheticData({ inputs: 3, classes: 2, samples: 1e12, teacherHidden: 4 }))).message).toContain("synthetic.samples must be at most 1000000")
    expect((yield* Effect.flip(similarityDataset("iris" as DatasetName, similarityPresets.quick))).message).toBe('similarityDataset: the data set must be one of penguins, synthetic, got "iris"')
    expect((yield* Effect.flip(similarityDataset("synthetic", { ...similarityPresets.quick, probeFraction: Number.NaN }))).message).toBe("invalid similarity settings: probeFraction: probeFraction must be in [0.1, 0.9]")

    // a probe hypernetwork to hand bad arguments to
    const inputs = tf.tensor2d(Float32Array.from(data.inputs.data), [20, 3])
    const pool = yield* initMlp([3, 4, 2], "d/pool")
    const targets = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(Array.from(data.task.labels), "int32"), 2), "float32")) as tf.Tensor2D
    const features = tf.tidy(() => tf.stack([forward(pool, inputs)])) as tf.Tensor3D
    const hyper = yield* pretrainProbeHypernetwork(features, targets, { ...hypernetwork, steps: 2 })
    const conditions = fitConditions(hyper, features, targets, { conditionSteps: 0, conditionLearningRate: 0.1 })
    const thrown = (f: () => unknown) => {
      try {
        f()
        return "no error"
      } catch (e) {
        return `${(e as { _tag?: string })._tag}: ${(e as Error).message}`
      }
    }
    const wrongTargets = tf.zeros([20, 3]) as tf.Tensor2D
    const before = tf.memory().numTensors
    expect(thrown(() => fitConditions(hyper, features, targets, { conditionSteps: -1, conditionLearningRate: 0.1 }))).toBe("InvalidInput: fitConditions: settings.conditionSteps must be a non-negative integer, got -1")
    expect(thrown(() => fitConditions(hyper, features, targets, { conditionSteps: 2, conditionLearningRate: Number.NaN }))).toBe("InvalidInput: fitConditions: settings.conditionLearningRate must be a finite number above 0, got NaN")
    expect(thrown(() => transferLosses(hyper, conditions, features, targets, 1, transfer))).toBe("InvalidInput: transferLosses: reference must be an index of the 1 encoders (0…0), got 1")
    expect(thrown(() => transferLosses(hyper, conditions, features, targets, 0, { steps: Number.NaN, learningRate: 0.1 }))).toMatch(/^InvalidInput: transferLosses: settings transfer\.steps must be an integer, got \{"steps":NaN,"learningRate":0\.1\}$/)
    expect(thrown(() => transferLosses(hyper, conditions, features, wrongTargets, 0, transfer))).toBe("InvalidInput: transferLosses: targets must be [20, 2] (one one-hot row per input, H's classes), got [20, 3]")
    expect(tf.memory().numTensors).toBe(before) // the refusals make no tensor
    tf.dispose([inputs, targets, wrongTargets, features, conditions, hyper.H.W, hyper.H.b, hyper.poolConditions, pool.W, pool.b].flat())
  })))
})

describe("the similarity program", () => {
  it("runs end to end into a run directory (manifest, JSON, figures, self-contained report), leaking no tensor, and refuses to overwrite", async () => {
    const dir = tempDir()
    const r = await runProgram(Effect.gen(function* () {
      const before = tf.memory().numTensors
      const out = yield* similarity(dir, tiny, { command: "test", preset: null })
      expect(tf.memory().numTensors).toBe(before)
      const again = yield* Effect.flip(similarity(dir, tiny))
      return { out, again }
    }), 3)
    expect(r.again._tag).toBe("RunError")
    expect(r.again.message).toContain("already holds a similarity run")
    const result = Schema.decodeUnknownSync(SimilarityResult)(JSON.parse(readFileSync(join(dir, "similarity.json"), "utf8")))
    const manifest = Schema.decodeUnknownSync(SimilarityManifest)(JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")))
    expect(manifest.rootSeed).toBe(3)
    expect(manifest.settings).toEqual(tiny)
    expect(result.datasets.map((d) => d.dataset)).toEqual(["penguins", "synthetic"])
    for (const d of result.datasets) {
      // self, permuted, 2 noise levels, 1 other seed, 1 other task, 1 untrained
      expect(d.rows.map((x) => x.group)).toEqual(["self", "other seed", "other task", "untrained", "permuted", "noise", "noise"])
      expect(d.rows.map((x) => x.level)).toEqual([0, 3, 4, 5, 0, 1, 2])
      const self = d.rows[0]!
      const permuted = d.rows[4]!
      expect(permuted.cka).toBeCloseTo(1, 5)
      expect(Math.abs(permuted.delta - self.delta)).toBeLessThan(1e-5)
      for (const x of d.rows) {
        expect(x.cka).toBeGreaterThanOrEqual(0)
        expect(x.cka).toBeLessThanOrEqual(1)
        expect(x.delta).toBeCloseTo(x.lossBefore - x.lossAfter, 10)
      }
      expect(d.spearman.zoo.cka).not.toBeNull()
    }
    const html = readFileSync(join(dir, "report.html"), "utf8")
    expect(html).toMatch(/^<!doctype html>/)
    expect(html).toContain("</html>")
    expect(html.match(/<svg/g)?.length).toBe(3)
    // self-contained: nothing loaded from elsewhere
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/i)
    for (const f of ["similarity-delta-vs-cka", "similarity-by-level", "similarity-pretraining"]) {
      expect(readFileSync(join(dir, "figures", `${f}.svg`), "utf8")).toContain("<svg")
      expect(readFileSync(join(dir, "figures", `${f}.png`)).subarray(1, 4).toString()).toBe("PNG")
    }
  })

  it("names every bad setting by its path", () => {
    const bad = decodeSimilaritySettings({ ...similarityPresets.quick, zoo: { ...similarityPresets.quick.zoo, noise: [0.5, 0.1], references: 0 }, datasets: ["iris"], extra: 1 })
    expect(Result.isFailure(bad)).toBe(true)
    const message = Result.isFailure(bad) ? bad.failure.message : ""
    expect(message).toContain("zoo.noise: zoo.noise must be strictly increasing")
    expect(message).toContain("zoo.references: zoo.references must be at least 1")
    expect(message).toContain("datasets[0]")
    expect(message).toContain("extra")
    expect(Result.isSuccess(decodeSimilaritySettings(similarityPresets.full))).toBe(true)
  })

  it("has a command line with --help and readable errors", () => {
    const cli = (...args: Array<string>) => spawnSync(process.execPath, hyperlayersArgs(...args), { encoding: "utf8", timeout: 120_000 })
    const help = cli("similarity", "--help")
    expect(help.status).toBe(0)
    expect(help.stdout).toMatch(/--preset choice[\s\S]*quick[\s\S]*full/)
    expect(help.stdout).toContain("--transfer-steps")
    const bad = cli("similarity", "--noise", "0.5,0.1", "--backend", "cpu", "--out", join(tempDir(), "r"))
    expect(bad.status).toBe(1)
    expect(bad.stderr).toContain("hyperlayers: invalid similarity settings: zoo.noise: zoo.noise must be strictly increasing")
  })
})
