import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import * as tf from "@tensorflow/tfjs"
import { fc } from "@fast-check/vitest"
import { Effect, Result, Schema } from "effect"
import { beforeAll, describe, expect, it } from "vitest"
import { boxSdf, boxSdfTarget, boxSdfTask } from "../src/core/task/boxSdf.js"
import { heatScale, heatSeries, type HeatSeries, heatSolution, heatTarget, heatTask } from "../src/core/task/heatEquation.js"
import { heatFamily, sdfFamily } from "../src/core/inr/inrFamilies.js"
import { defineInrFamily, gridPoints, gridTensor, type InrFamily, nearestCondition, relativeL2, trainingConditions } from "../src/core/inr/inrFamily.js"
import { inrHypernetworkSpec, inrPresets } from "../src/core/inr/inrPresets.js"
import { InrResult, type InrSettings } from "../src/core/inr/inrResults.js"
import { defineTask } from "../src/core/task/task.js"
import { withTensorScope } from "../src/core/base/tensorScope.js"
import { disposeNetWeights, forward, netWeightsOrThrow } from "../src/core/network/network.js"
import { generateUnchecked } from "../src/layers/hypernetwork/hypernetwork.js"
import { hyperweights } from "../src/layers/hypernetwork/hyperhypernetwork.js"
import { disposeModel, modelFromCheckpoint } from "../src/programs/training/evaluate.js"
import { inr, inrNetworks } from "../src/programs/inr/inr.js"
import { registryLayer } from "../src/services/registry/Registry.js"
import { disposeTrainer, initTrainer, trainStep } from "../src/programs/training/trainer.js"
import { RunStore } from "../src/services/store/RunStore.js"
import { noLeak, take, useBackend } from "./helpers.js"
import { runProgramOn, tempDir, tinyConfig } from "./programs.js"
import { hyperlayersArgs } from "./cliProcess.js"

// on the default backend (wasm), as a user runs it: the INR experiment is the subject, not the backend
beforeAll(() => useBackend("wasm"))
// every program of this file on wasm (runProgram alone would provide cpu)
const runProgram = runProgramOn("wasm")

const seriesArbitrary: fc.Arbitrary<HeatSeries> = fc.record({
  coefficients: fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: 1, maxLength: 6 }),
  diffusivity: fc.double({ min: 0.005, max: 0.2, noNaN: true })
})

describe("the heat equation family", () => {
  it("satisfies u_t = D·u_xx (central differences) for random modes, times and points", () => {
    fc.assert(fc.property(seriesArbitrary, fc.double({ min: 0, max: 2, noNaN: true }), fc.double({ min: 0.01, max: 0.99, noNaN: true }), (s, t, x) => {
      const [ht, hx] = [1e-5, 1e-3]
      const u = (xx: number, tt: number) => heatSolution(s, xx, tt)
      const ut = (u(x, t + ht) - u(x, t - ht)) / (2 * ht)
      const uxx = (u(x + hx, t) - 2 * u(x, t) + u(x - hx, t)) / (hx * hx)
      // the truncation errors are O(h²·∂⁴u), which grows like (kπ)⁴ with the highest mode
      const scale = s.coefficients.reduce((a, c, i) => a + Math.abs(c) * ((i + 1) * Math.PI) ** 4, 0)
      expect(Math.abs(ut - s.diffusivity * uxx)).toBeLessThan(1e-6 * scale + 1e-6)
    }))
  })

  it("satisfies the Dirichlet boundaries u(0, t) = u(1, t) = 0 and starts at Σ a_k sin(kπx)", () => {
    fc.assert(fc.property(seriesArbitrary, fc.double({ min: 0, max: 5, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (s, t, x) => {
      const size = s.coefficients.reduce((a, c) => a + Math.abs(c), 0)
      expect(Math.abs(heatSolution(s, 0, t))).toBeLessThanOrEqual(1e-12 * size)
      expect(Math.abs(heatSolution(s, 1, t))).toBeLessThanOrEqual(1e-12 * size)
      const initial = s.coefficients.reduce((a, c, i) => a + c * Math.sin((i + 1) * Math.PI * x), 0)
      expect(heatSolution(s, x, 0)).toBeCloseTo(initial, 12)
      // each mode decays: |u| can only shrink in the L2 sense, and never exceeds Σ|a_k|
      expect(Math.abs(heatSolution(s, x, t))).toBeLessThanOrEqual(size + 1e-12)
    }))
  })

  it("the task's target is u / sqrt(Σa²/2) in float32, one t per network, leaking nothing", () => {
    const x = tf.tensor3d([[[0], [0.25], [0.5]], [[0.1], [0.9], [1]]])
    const t = tf.tensor2d([[0], [0.7]])
    const y = noLeak(() => take(heatTask.target(x, t)))
    const want = [0, 0.25, 0.5, 0.1, 0.9, 1].map((xx, k) => heatSolution(heatSeries, xx, k < 3 ? 0 : 0.7) / heatScale(heatSeries))
    want.forEach((w, k) => expect(y[k]).toBeCloseTo(w, 5))
    // mean square 1 over x ~ U[0, 1] at t = 0 (the documented normalisation)
    const grid = tf.tensor3d(gridPoints([{ min: 0, max: 1 }], 2001), [1, 2001, 1])
    const ms = take(tf.tidy(() => tf.mean(tf.square(heatTarget(heatSeries, grid, tf.tensor2d([[0]]))))))
    expect(ms[0]).toBeCloseTo(1, 2)
    tf.dispose([x, t, grid])
    expect(() => heatTask.target(tf.zeros([1, 2, 1]))).toThrow(/needs the condition t/)
  })
})

describe("the signed distance family", () => {
  const box = fc.record({ h: fc.double({ min: 0.1, max: 0.6, noNaN: true }), c: fc.double({ min: -0.4, max: 0.4, noNaN: true }) })
  const point = fc.tuple(fc.double({ min: -1, max: 1, noNaN: true }), fc.double({ min: -1, max: 1, noNaN: true }))

  it("is negative exactly inside the square, and its magnitude is the distance to the boundary", () => {
    fc.assert(fc.property(box, point, ({ h, c }, [x, y]) => {
      const d = boxSdf(h, c, x, y)
      const inside = Math.abs(x - c) < h && Math.abs(y) < h
      if (inside) expect(d).toBeLessThan(0)
      else expect(d).toBeGreaterThanOrEqual(0)
      // brute force: the nearest of 4 × 2000 points on the boundary
      let nearest = Infinity
      for (let k = 0; k <= 2000; k++) {
        const s = -h + (2 * h * k) / 2000
        for (const [bx, by] of [[c - h, s], [c + h, s], [c + s, -h], [c + s, h]] as const) nearest = Math.min(nearest, Math.hypot(x - bx, y - by))
      }
      expect(Math.abs(Math.abs(d) - nearest)).toBeLessThan((2 * h) / 2000)
    }))
  })

  it("has |∇sdf| = 1 away from its medial axis (the diagonals inside)", () => {
    fc.assert(fc.property(box, point, ({ h, c }, [x, y]) => {
      const qx = Math.abs(x - c) - h
      const qy = Math.abs(y) - h
      fc.pre(!(qx < 0 && qy < 0 && Math.abs(qx - qy) < 1e-3)) // on the medial axis the gradient jumps
      const e = 1e-6
      const gx = (boxSdf(h, c, x + e, y) - boxSdf(h, c, x - e, y)) / (2 * e)
      const gy = (boxSdf(h, c, x, y + e) - boxSdf(h, c, x, y - e)) / (2 * e)
      expect(Math.hypot(gx, gy)).toBeCloseTo(1, 4)
    }))
  })

  it("the task's target agrees with the double-precision field, one condition per network, leaking nothing", () => {
    fc.assert(fc.property(fc.array(fc.tuple(box, point), { minLength: 1, maxLength: 8 }), (cases) => {
      const p = tf.tensor3d(cases.map(([, [x, y]]) => [[x, y]]))
      const cond = tf.tensor2d(cases.map(([{ h, c }]) => [h, c]))
      const v = noLeak(() => take(boxSdfTarget(p, cond)))
      cases.forEach(([{ h, c }, [x, y]], k) => expect(v[k]).toBeCloseTo(boxSdf(h, c, x, y), 5))
      tf.dispose([p, cond])
    }), { numRuns: 20 })
    expect(() => boxSdfTask.target(tf.zeros([1, 2, 2]))).toThrow(/needs the condition/)
  })
})

describe("INR families", () => {
  it("train on the product of their conditions' training values and find the nearest one in scaled units", () => {
    expect(trainingConditions(heatTask.conditions)).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1].map((t) => [t]))
    const grid = trainingConditions(boxSdfTask.conditions)
    expect(grid).toHaveLength(20)
    expect(grid[0]).toEqual([0.2, -0.4])
    expect(grid[1]).toEqual([0.2, -0.2])
    expect(grid[19]).toEqual([0.5, 0.4])
    expect(grid[nearestCondition(boxSdfTask.conditions, grid, [0.31, -0.05])]).toEqual([0.3, 0])
    // in scaled units (a over [0, 1], b over [0, 100]) (0.2, 40) is nearer (0, 0), in raw units (1, 10)
    const ab = [{ name: "a", min: 0, max: 1 }, { name: "b", min: 0, max: 100 }]
    expect(nearestCondition(ab, [[0, 0], [1, 10]], [0.2, 40])).toBe(0)
    expect(nearestCondition(heatTask.conditions, trainingConditions(heatTask.conditions), [1.5])).toBe(10)
  })

  it("lay grids out with the last coordinate fastest, ends included", () => {
    expect(Array.from(gridPoints([{ min: 0, max: 1 }], 3))).toEqual([0, 0.5, 1])
    expect(Array.from(gridPoints([{ min: -1, max: 1 }, { min: 0, max: 2 }], 2))).toEqual([-1, 0, -1, 2, 1, 0, 1, 2])
  })

  it("measure the relative L2 error: 0 for the truth, scale-free, never NaN", () => {
    fc.assert(fc.property(fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: 4, maxLength: 4 }), fc.double({ min: 0.1, max: 10, noNaN: true }), (v, s) => {
      fc.pre(v.some((a) => Math.abs(a) > 1e-3))
      const truth = tf.tensor3d(v, [1, 4, 1])
      const off = tf.tensor3d(v.map((a) => a + 0.5), [1, 4, 1])
      const [same] = noLeak(() => relativeL2(truth, truth))
      const a = relativeL2(off, truth)[0]!
      const b = noLeak(() => withTensorScope(() => relativeL2(tf.mul(off, s), tf.mul(truth, s))))[0]!
      expect(same).toBe(0)
      expect(b).toBeCloseTo(a, 4)
      tf.dispose([truth, off])
    }), { numRuns: 20 })
    expect(noLeak(() => withTensorScope(() => relativeL2(tf.ones([1, 3, 1]), tf.zeros([1, 3, 1])))[0])).toBe(Infinity)
  })

  it("refuse a malformed family, naming the field", () => {
    const why = (d: Parameters<typeof defineInrFamily>[0]) => {
      const r = defineInrFamily(d)
      return Result.isFailure(r) ? r.failure.message : "accepted"
    }
    const ok = { task: heatTask, domain: [{ min: 0, max: 1 }], shape: [1, 8, 1], interpolation: [[0.55]], extrapolation: [[2]] }
    expect(why(ok)).toBe("accepted")
    const plain = Result.getOrThrow(defineTask({ name: "plain", description: "", outputs: 1, normalisation: "none", target: (x) => x }))
    expect(why({ ...ok, task: plain })).toMatch(/its task has no conditions/)
    expect(why({ ...ok, domain: [{ min: 0, max: 1 }, { min: 0, max: 1 }] })).toMatch(/domain has 2 intervals but the network \[1, 8, 1\] has 1 inputs/)
    expect(why({ ...ok, domain: [{ min: 1, max: 1 }] })).toMatch(/domain\[0\] must be finite with min < max/)
    expect(why({ ...ok, shape: [2, 8, 1] })).toMatch(/task heat takes exactly 1 inputs/)
    expect(why({ ...ok, interpolation: [[0.5, 1]] })).toMatch(/interpolation\[0\] has 2 values but the task has 1 conditions \(t\)/)
    expect(why({ ...ok, extrapolation: [[Number.NaN]] })).toMatch(/extrapolation\[0\] must be finite/)
  })
})

describe("conditioning a hypernetwork on a family", () => {
  it("a tiny run on heat lowers the loss and generates different networks for different times", async () => {
    const result = await runProgram(Effect.gen(function* () {
      const config = tinyConfig({
        task: "heat", shape: [1, 6, 6, 1], betasPerStep: 4, samplesPerBeta: 32, learningRate: 1e-2, logBetaMin: -12, logBetaMax: -10,
        hypernetwork: inrHypernetworkSpec({ embedding: 2, scale: 10, activation: 6, depth: 2, hidden: [16, 8] })
      })
      const t = yield* initTrainer(config)
      const losses: Array<number> = []
      for (let s = 0; s < 60; s++) {
        const m = yield* trainStep(t)
        losses.push(Array.from(m.loss).reduce((a, b) => a + b, 0) / m.loss.length)
      }
      // the networks for t = 0 and t = 1 on a grid: different functions, each nearer its own target
      const errors = withTensorScope(() => {
        const c = tf.tensor2d([[0], [1]])
        const g = generateUnchecked(t.run.plan, hyperweights(t.run.layout, t.run.hyperhypernetwork, t.params, tf.tensor1d([-11, -11]), c), {})
        const x = tf.tile(tf.expandDims(tf.tensor2d(gridPoints([{ min: 0, max: 1 }], 65), [65, 1]), 0), [2, 1, 1])
        const y = forward(netWeightsOrThrow(config.shape, g.W, g.bias), x, "swish")
        const truth = heatTask.target(x, c)
        const swapped = tf.reverse(truth, 0)
        return { own: relativeL2(y, truth), other: relativeL2(y, swapped), gap: tf.max(tf.abs(tf.sub(tf.slice(g.W[1]!, 0, 1), tf.slice(g.W[1]!, 1, 1)))).dataSync()[0]! }
      })
      disposeTrainer(t)
      return { losses, ...errors }
    }), 3)
    const mean = (xs: ReadonlyArray<number>) => xs.reduce((a, b) => a + b, 0) / xs.length
    expect(mean(result.losses.slice(-10))).toBeLessThan(0.5 * mean(result.losses.slice(0, 10)))
    expect(result.gap).toBeGreaterThan(1e-3)
    // t = 0 has four visible modes, t = 1 nearly one: each network fits its own time better than the other's
    expect(result.own[0]!).toBeLessThan(result.other[0]!)
    expect(result.own[1]!).toBeLessThan(result.other[1]!)
  })
})

/** Settings small enough for a test. */
const tinySettings = (base: InrSettings, overrides: Partial<InrSettings> = {}): InrSettings => ({
  ...base, steps: 4, conditionsPerStep: 2, samples: 16, checkpointEvery: 2, logEvery: 1, mlpHidden: [8], gridPoints: 9, figurePoints: 5, seeds: 2,
  hypernetwork: inrHypernetworkSpec({ embedding: 2, scale: 10, activation: 4, depth: 2, hidden: [8, 4] }),
  ...overrides
})

describe("the INR experiment", () => {
  const settingsFor = (family: InrFamily) => tinySettings(inrPresets.quick.settings(family), { shape: [family.shape[0]!, 4, 1] })
  // each family's run straight through (seed 4), made once for the tests below that read it, with the tensors it left
  const straight = new Map<InrFamily, Promise<{ readonly runDir: string; readonly run: Effect.Success<ReturnType<typeof inr>>; readonly leaked: number }>>()
  const straightRun = (family: InrFamily) => {
    const made = straight.get(family) ?? (async () => {
      const runDir = tempDir()
      const before = tf.memory().numTensors
      const run = await runProgram(inr({ runDir, family, settings: settingsFor(family), resume: false }), 4)
      return { runDir, run, leaked: tf.memory().numTensors - before }
    })()
    straight.set(family, made)
    return made
  }

  it("runs end to end on both families, leaking no tensor, and writes results, figures and a self-contained report", async () => {
    for (const family of [heatFamily, sdfFamily]) {
      const settings = settingsFor(family)
      const { runDir, run: { result, reportPath }, leaked } = await straightRun(family)
      expect(leaked).toBe(0)
      const evaluated = trainingConditions(family.task.conditions).length + family.interpolation.length + family.extrapolation.length
      expect(result.rows).toHaveLength(evaluated)
      expect(result.summary.map((s) => s.kind)).toEqual(["training", "interpolation", "extrapolation"])
      for (const row of result.rows) {
        for (const e of [row.hypernetwork, row.mlp, row.scratch, row.nearest]) expect(Number.isFinite(e) && e > 0).toBe(true)
        // at a training condition the nearest training condition is itself
        if (row.kind === "training") {
          expect(row.nearestCondition).toEqual(row.condition)
          expect(row.nearest).toBe(row.hypernetwork)
        }
      }
      const stored = Schema.decodeUnknownSync(InrResult)(JSON.parse(readFileSync(join(runDir, "inr.json"), "utf8")))
      expect(stored.rows).toEqual(result.rows)
      expect(stored.samples[0]!.truth).toHaveLength(settings.figurePoints ** family.domain.length)
      const figures = family.domain.length === 1 ? ["inr-errors", "inr-curves", "inr-training-loss"] : ["inr-errors", "inr-heatmaps", "inr-training-loss"]
      for (const f of figures) for (const ext of ["svg", "png"]) expect(existsSync(join(runDir, "figures", `${f}.${ext}`)), `${f}.${ext}`).toBe(true)
      const html = readFileSync(reportPath, "utf8")
      expect(html.startsWith("<!doctype html>")).toBe(true)
      expect(html.trimEnd().endsWith("</html>")).toBe(true)
      expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)="(https?:|\/\/|file:)/) // nothing fetched from outside
      expect((html.match(/<svg/g) ?? []).length).toBeGreaterThanOrEqual(figures.length)
      expect(html).toContain(family.task.name)
      expect(existsSync(join(runDir, "checkpoints", "step-00000004.ckpt"))).toBe(true)
    }
  })

  it("resumed from a checkpoint, gives the same results as straight through", async () => {
    const settings = settingsFor(heatFamily)
    const split = tempDir()
    const a = (await straightRun(heatFamily)).run
    await runProgram(inr({ runDir: split, family: heatFamily, settings: { ...settings, steps: 2 }, resume: false }), 4)
    const b = await runProgram(inr({ runDir: split, family: heatFamily, settings, resume: true }), 4)
    expect(b.result.rows).toEqual(a.result.rows)
    // a second start in the same directory is refused, naming --resume
    const again = await runProgram(Effect.flip(inr({ runDir: split, family: heatFamily, settings, resume: false })), 4)
    expect(again.message).toMatch(/already holds a run.*--resume/)
  })

  it("takes a researcher's own family, which it registers for the run itself", async () => {
    // f_a(x) = a·x² on [−1, 1], trained at a = 0.5 and 1, with a = 0.75 held out and a = 1.5 beyond
    const task = Result.getOrThrow(defineTask({
      name: "parabola", description: "a·x²", outputs: 1, inputs: { min: 1, max: 1 }, normalisation: "none",
      conditions: [{ name: "a", min: 0.5, max: 1, training: [0.5, 1] }],
      sampleInputs: (draws, shape) => draws.uniform(shape, -1, 1),
      target: (x, c) => tf.tidy(() => tf.mul(tf.square(x), tf.expandDims(c!, -2)))
    }))
    const family = Result.getOrThrow(defineInrFamily({ task, domain: [{ min: -1, max: 1 }], shape: [1, 4, 1], interpolation: [[0.75]], extrapolation: [[1.5]] }))
    const runDir = tempDir()
    const { result } = await runProgram(inr({ runDir, family, settings: tinySettings(inrPresets.quick.settings(family)), resume: false }), 2)
    expect(result.rows.map((r) => r.condition)).toEqual([[0.5], [1], [0.75], [1.5]])
    expect(result.rows[3]!.nearestCondition).toEqual([1])
    // the evaluated checkpoint is the one with the lowest error on the training conditions
    expect(result.selection.checkpoints.map((c) => c.step)).toEqual([0, 2, 4])
    expect(Math.min(...result.selection.checkpoints.map((c) => c.error))).toBe(result.selection.checkpoints.find((c) => c.step === result.step)!.error)
    // the API's networks for a condition are the ones the experiment scored
    const again = await runProgram(Effect.gen(function* () {
      const store = yield* RunStore
      const list = yield* store.listCheckpoints(runDir)
      const model = yield* modelFromCheckpoint(yield* store.readCheckpoint(list.find((c) => c.step === result.step)!.path)).pipe(Effect.provide(registryLayer({ tasks: [task] })))
      const nets = yield* inrNetworks(model, [[0.75], [1.5]], result.logBeta)
      const errors = withTensorScope(() => {
        const x = tf.tile(tf.expandDims(gridTensor(family.domain, result.settings.gridPoints), 0), [2, 1, 1])
        return relativeL2(forward(nets, x, "swish"), task.target(x, tf.tensor2d([[0.75], [1.5]])))
      })
      disposeNetWeights(nets)
      const bad = yield* Effect.flip(inrNetworks(model, [[0.75, 1]], -11))
      const badBeta = yield* Effect.flip(inrNetworks(model, [[0.75]], Number.NaN))
      const badSeed = yield* Effect.flip(inrNetworks(model, [[0.75]], -11, -1))
      disposeModel(model)
      return { errors, bad: bad.message, badBeta: badBeta.message, badSeed: badSeed.message }
    }), 2)
    expect(again.errors[0]).toBeCloseTo(result.rows[2]!.hypernetwork, 5)
    expect(again.errors[1]).toBeCloseTo(result.rows[3]!.hypernetwork, 5)
    expect(again.bad).toMatch(/condition 0 must be 1 finite numbers \(a\), got \[0.75, 1\]/)
    expect(again.badBeta).toBe("inrNetworks: logBeta must be a finite number, got NaN")
    expect(again.badSeed).toBe("inrNetworks: seed must be a non-negative integer, got -1")
    const manifest = await runProgram(Effect.flatMap(RunStore, (s) => s.readText(join(runDir, "manifest.json"))))
    expect(JSON.parse(manifest).config.task).toBe("parabola")
  })

  it("refuses settings that do not fit the family before writing anything", async () => {
    const runDir = join(tempDir(), "run")
    const e = await runProgram(Effect.flip(inr({ runDir, family: heatFamily, settings: tinySettings(inrPresets.quick.settings(heatFamily), { shape: [2, 4, 1] }), resume: false })))
    expect(e.message).toMatch(/task heat takes exactly 1 inputs, but \[2, 4, 1\] has 2/)
    expect(existsSync(runDir)).toBe(false)
  })
})

describe("the embedding block", () => {
  it("writes its learned per-edge features, times its scale, on both KL sides, and zeros decoder-only", async () => {
    const { edgeEmbeddingBlock } = await import("../src/layers/blocks/edgeEmbedding.js")
    const { edgeGraph } = await import("../src/layers/blocks/edgeGraph.js")
    const graph = edgeGraph([2, 3, 1])
    const block = edgeEmbeddingBlock(2, "embedding", 10)
    expect(block.spec).toEqual({ kind: "embedding", features: 2, scale: 10 })
    expect(edgeEmbeddingBlock(2).spec).toEqual({ kind: "embedding", features: 2 })
    expect(block.params(graph)).toEqual([{ name: "v", shape: [graph.edges, 2], perEdge: true }])
    const v = tf.randomNormal([3, graph.edges, 2], 0, 1, "float32", 5)
    const env = (sides: 1 | 2, mode: "encoder" | "decoder-only") => ({ context: { graph, batch: 3, sides, mode }, param: () => v, random: () => { throw new Error("no randoms") } })
    const both = noLeak(() => take(block.apply(null, env(2, "encoder")).output))
    const want = take(tf.mul(v, 10))
    const per = graph.edges * 2
    for (let b = 0; b < 3; b++) {
      for (let k = 0; k < per; k++) {
        expect(both[(2 * b) * per + k]).toBeCloseTo(want[b * per + k]!, 5)
        expect(both[(2 * b + 1) * per + k]).toBe(both[(2 * b) * per + k])
      }
    }
    expect(Array.from(noLeak(() => take(block.apply(null, env(1, "decoder-only")).output))).every((x) => x === 0)).toBe(true)
    v.dispose()
  })
})

describe("hyperlayers inr", () => {
  it("explains itself and rejects bad settings with a message naming the flag, writing nothing", async () => {
    const { spawnSync } = await import("node:child_process")
    const cli = (...args: Array<string>) => spawnSync(process.execPath, hyperlayersArgs(...args), { encoding: "utf8", timeout: 120_000 })
    const help = cli("inr", "--help")
    expect(help.status).toBe(0)
    expect(help.stdout).toMatch(/--family choice[\s\S]*\(choices: heat, sdf\)/)
    for (const flag of ["--quick", "--out", "--seed", "--backend", "--resume", "--hypernetwork"]) expect(help.stdout).toContain(flag)
    const out = join(tempDir("hyperlayers-inr-cli-"), "run")
    const bad = cli("inr", "--family", "heat", "--quick", "--steps", "0", "--shape", "1,8", "--out", out, "--backend", "cpu")
    expect(bad.status).toBe(1)
    expect(bad.stderr).toContain("hyperlayers: invalid settings: steps (--steps): steps must be at least 1")
    expect(existsSync(out)).toBe(false)
  }, 240_000)
})

describe("snapshot selection of the baselines", () => {
  it("keeps each network's best snapshot, the same weights as a run stopped there", async () => {
    const settings = { steps: 6, samples: 16, learningRate: 1e-2 }
    const conditions = [[0.2], [0.8]]
    const { trainInrsFromScratch } = await import("../src/programs/inr/inrBaselines.js")
    // scores by call (every 2 steps: steps 2, 4, 6): network 0 is best at step 2, network 1 at step 6
    let call = 0
    const script = [[0, 5], [1, 4], [2, 3]]
    const select = { every: 2, score: () => Effect.sync(() => script[call++]!) }
    const picked = await runProgram(trainInrsFromScratch(heatTask, [1, 4, 1], "swish", conditions, settings, select), 9)
    expect(picked.selectedSteps).toEqual([2, 6])
    const at2 = await runProgram(trainInrsFromScratch(heatTask, [1, 4, 1], "swish", conditions, { ...settings, steps: 2 }), 9)
    const at6 = await runProgram(trainInrsFromScratch(heatTask, [1, 4, 1], "swish", conditions, settings), 9)
    for (let l = 0; l < 2; l++) {
      const half = picked.W[l]!.length / 2
      expect(Array.from(picked.W[l]!.subarray(0, half))).toEqual(Array.from(at2.W[l]!.subarray(0, half)))
      expect(Array.from(picked.W[l]!.subarray(half))).toEqual(Array.from(at6.W[l]!.subarray(half)))
      expect(Array.from(picked.W[l]!.subarray(0, half))).not.toEqual(Array.from(at6.W[l]!.subarray(0, half)))
    }
  })
})

describe("the INR hypernetwork spec", () => {
  it("ships as examples/hypernetworks/inr.json, builds, and has P = 8,898 for [1, 32, 32, 1]", async () => {
    const { makeHypernetwork, hypernetworkSpec, paramLayout, randomSpecs } = await import("../src/layers/hypernetwork/hypernetwork.js")
    const shipped = JSON.parse(readFileSync("examples/hypernetworks/inr.json", "utf8")) as unknown
    expect(shipped).toEqual(inrHypernetworkSpec())
    const net = Result.getOrThrow(makeHypernetwork(inrHypernetworkSpec()))
    expect(hypernetworkSpec(net)).toEqual(inrHypernetworkSpec())
    // per stage 1088 edges × 4 embedding features; M1 [8, 16] + m1; read-out [24, 2] + 2
    expect(paramLayout(net, [1, 32, 32, 1]).size).toBe(2 * 1088 * 4 + (8 * 16 + 16) + (24 * 2 + 2))
    expect(randomSpecs(net, [1, 32, 32, 1])).toEqual([]) // no generation seed: θ_c alone fixes the network
  })
})
