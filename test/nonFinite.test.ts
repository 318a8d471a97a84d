import { existsSync } from "node:fs"
import { fc } from "@fast-check/vitest"
import { Effect, Result, Schema } from "effect"
import { beforeAll, describe, expect, it } from "vitest"
import { type Checkpoint, decodeCheckpoint, encodeCheckpoint } from "../src/core/run/checkpoint.js"
import { Algorithm } from "../src/core/network/classifier.js"
import { orderParametersOverTrainingSpec, phaseDiagramSpec } from "../src/core/report/figures.js"
import { reportHtml } from "../src/core/report/reportHtml.js"
import { ablationTable, sweepFindingSentences, sweepLastCheckpointTable } from "../src/core/report/runSections.js"
import { type AblationResult, type BaselineResult, type GeneralizationResult, SweepResult } from "../src/core/run/results.js"
import type { RunManifest } from "../src/core/run/runManifest.js"
import { ablationSummary, baselineSummary, generalizationSummary, summarise, sweepSummary } from "../src/core/run/summary.js"
import { drawRun } from "../src/programs/experiments/draw.js"
import { sweep } from "../src/programs/experiments/sweep.js"
import { train } from "../src/programs/training/train.js"
import { RunStore } from "../src/services/store/RunStore.js"
import { useBackend } from "./helpers.js"
import { runProgram, tempDir, tinyConfig, tinyExperiments } from "./programs.js"
import { classColours } from "../src/core/report/palette.js"

beforeAll(() => useBackend("cpu"))

const nonFinite = fc.constantFrom(NaN, Infinity, -Infinity)

describe("non-finite tensors in checkpoints", () => {
  const sample = (values: ReadonlyArray<number>): Checkpoint => ({
    step: 3, config: tinyConfig(), rng: { rootSeed: 5, streams: {} },
    optimizer: { iterations: 3, accBeta1: 0.5, accBeta2: 0.99 },
    tensors: [{ name: "param/W1", shape: [2], values: Float32Array.from([0.5, -1]) }, { name: "adam/m/b2", shape: [values.length], values: Float32Array.from(values) }]
  })

  it("reading one is a CheckpointError naming the file, the tensor and the entry", () => {
    const arb = fc.integer({ min: 1, max: 20 }).chain((n) => fc.tuple(fc.array(fc.float({ noNaN: true, noDefaultInfinity: true }), { minLength: n, maxLength: n }), fc.nat({ max: n - 1 })))
    fc.assert(fc.property(arb, nonFinite, ([values, at], bad) => {
      const r = decodeCheckpoint(encodeCheckpoint(sample(values.map((v, k) => (k === at ? bad : v)))), "runs/x/step-3.ckpt")
      expect(Result.isFailure(r) && r.failure._tag).toBe("CheckpointError")
      expect(Result.isFailure(r) && r.failure.message).toBe(`runs/x/step-3.ckpt is not a usable checkpoint: tensor adam/m/b2 [${values.length}] holds ${bad} at flat index ${at}`)
    }))
  })
})

describe("a checkpoint that generates non-finite networks", () => {
  /** Train two steps, then rewrite the last checkpoint's parameters with `edit`. */
  const brokenRun = async (edit: (v: number) => number) => {
    const runDir = tempDir()
    await runProgram(train({ runDir, config: tinyConfig({ steps: 2, checkpointEvery: 2 }), resume: false }))
    const path = await runProgram(Effect.gen(function* () {
      const store = yield* RunStore
      const list = yield* store.listCheckpoints(runDir)
      const last = list[list.length - 1]!
      const c = yield* store.readCheckpoint(last.path)
      const tensors = c.tensors.map((t) => (t.name.startsWith("param/") ? { ...t, values: t.values.map(edit) } : t))
      return yield* store.writeCheckpoint(runDir, { ...c, tensors })
    }))
    return { runDir, path }
  }

  it("fails with NonFiniteValues naming the checkpoint, step and β (parameters scaled by 1e30), writing no sweep.json", async () => {
    const { runDir, path } = await brokenRun((v) => v * 1e30)
    const r = await runProgram(Effect.result(sweep(runDir, tinyExperiments.sweep)))
    expect(Result.isFailure(r) && r.failure._tag).toBe("NonFiniteValues")
    const message = Result.isFailure(r) ? (r.failure as { message: string }).message : ""
    expect(message).toContain(`sweep of ${path} (step 2): the network generated at log β = -12, seed 0 (encoder, [3, 4, 1])`)
    expect(message).toMatch(/(loss|KL|W\^\(1\)\[\d+\]|‖W\^\(2\)_j‖\[\d+\]) is (NaN|-?Infinity)$/)
    expect(existsSync(`${runDir}/sweep.json`)).toBe(false)
  })

  it("draws nothing from it: drawing the run fails with NonFiniteValues, never an SVG of NaN positions", async () => {
    const { runDir } = await brokenRun((v) => v * 1e30)
    const r = await runProgram(Effect.result(drawRun(runDir, tinyExperiments.drawing)))
    expect(Result.isFailure(r) && r.failure._tag).toBe("NonFiniteValues")
    expect(Result.isFailure(r) ? (r.failure as { message: string }).message : "").toMatch(/^the network generated at log β = -12, seed 0 \(encoder\): (W|b)\^\(\d\)\[\d+\] is (NaN|-?Infinity)$/)
  })

  it("fails with a CheckpointError naming the file and tensor (parameters set to NaN)", async () => {
    const { runDir, path } = await brokenRun(() => NaN)
    const r = await runProgram(Effect.result(sweep(runDir, tinyExperiments.sweep)))
    expect(Result.isFailure(r) && r.failure._tag).toBe("CheckpointError")
    expect(Result.isFailure(r) ? (r.failure as { message: string }).message : "").toMatch(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} is not a usable checkpoint: tensor param/\\S+ \\[[\\d, ]+\\] holds NaN at flat index 0$`))
    expect(existsSync(`${runDir}/sweep.json`)).toBe(false)
  })
})

describe("the unclassifiable class in result files, figures and the report", () => {
  const row = (step: number, algorithm: Algorithm) => ({ step, logBeta: -12, loss: 0.3, lossMin: 0.2, lossMax: 0.4, kl: 0, alpha1: 1, alpha2: 3, alpha3: 0.5, signAgreement: 1, pathBalance: 0.1, algorithm })
  const sweepResult: SweepResult = { seeds: 2, samples: 64, rows: [row(0, "convexity"), row(10, "unclassifiable")] }

  it("decodes from JSON, is grey in the phase diagram and order-parameter figures, and is named in the report", () => {
    const back = Schema.decodeUnknownSync(SweepResult)(JSON.parse(JSON.stringify(Schema.encodeSync(SweepResult)(sweepResult))))
    expect(back.rows.map((r) => r.algorithm)).toEqual(["convexity", "unclassifiable"])
    for (const spec of [phaseDiagramSpec(back), orderParametersOverTrainingSpec(back)]) {
      const scale = JSON.stringify(spec).match(/"scale":\{"domain":(\[[^\]]*\]),"range":(\[[^\]]*\])/)!
      const [domain, range] = [JSON.parse(scale[1]!) as Array<string>, JSON.parse(scale[2]!) as Array<string>]
      expect(range[domain.indexOf("unclassifiable")]).toBe(classColours.unclassifiable)
      expect(domain).toEqual([...Algorithm.literals])
    }
    const ablation: AblationResult = { step: 10, seeds: 2, rows: [{ logBeta: -12, lossEncoder: 0.3, lossDecoderOnly: 0.3, kl: 0, algorithmEncoder: "unclassifiable", algorithmDecoderOnly: "pudding" }] }
    const generalization: GeneralizationResult = { step: 10, logBeta: -6, seeds: 2, trained: [3, 4, 1], cells: [] }
    const baseline: BaselineResult = { steps: 1, learningRate: 1e-3, batch: 1, curve: [], loss: 0.1, alpha1: 1, alpha2: 1, alpha3: 1, algorithm: "convexity", network: { shape: [3, 4, 1], W: [new Array(12).fill(0.1), new Array(4).fill(0.1)], b: [new Array(4).fill(0), [0]] } }
    const manifest: RunManifest = { format: "hyperlayers-run", createdAt: "2026-01-01T00:00:00Z", command: "test", config: tinyConfig(), rootSeed: 1, backend: "cpu", versions: {}, gitCommit: null }
    const parts = [sweepSummary(back), ablationSummary(ablation), generalizationSummary(generalization), baselineSummary(baseline)]
    const summary = summarise({ steps: 10, seed: 1, backend: "cpu", task: manifest.config.task, shape: manifest.config.shape }, [], parts)
    expect(summary.findings?.majorityByStep.map((m) => m.algorithm)).toEqual(["convexity", "unclassifiable"])
    const sections = [sweepLastCheckpointTable(back)!, { title: "Encoder ablation", html: ablationTable(ablation) }]
    const html = reportHtml({ manifest, summary, missing: [], findings: sweepFindingSentences(back), training: [], sections })
    expect(html).toContain(`<span class="c-unclassifiable">unclassifiable</span>`)
    expect(html).toContain("Last checkpoint (step 10): unclassifiable at 100% of β.")
    expect(html).toContain(`.c-unclassifiable{color:${classColours.unclassifiable}`)
  })
})
