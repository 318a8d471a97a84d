import { readdirSync, readFileSync } from "node:fs"
import * as tf from "@tensorflow/tfjs"
import { Effect, Schema } from "effect"
import { beforeAll, describe, expect, it } from "vitest"
import { lossCurvesSpec, phaseDiagramSpec } from "../src/core/report/figures.js"
import { RunSummary, SweepResult } from "../src/core/run/results.js"
import { reproduce } from "../src/programs/experiments/reproduce.js"
import { useBackend } from "./helpers.js"
import { runProgramOn, tempDir, tinyConfig, tinyExperiments } from "./programs.js"

// on the default backend (wasm), as a user runs them: the experiments are the subject, not the backend
beforeAll(() => useBackend("wasm"))
// every program of this file on wasm (runProgram alone would provide cpu)
const runProgram = runProgramOn("wasm")

describe("reproduce on a tiny preset", () => {
  // the run of seed 5, made once for both tests (whichever runs first), with the tensors it left
  let seed5: Promise<{ readonly runDir: string; readonly result: Effect.Success<ReturnType<typeof reproduce>>; readonly leaked: number }> | undefined
  const runSeed5 = () => (seed5 ??= (async () => {
    const runDir = tempDir()
    const before = tf.memory().numTensors
    const result = await runProgram(reproduce({ runDir, config: tinyConfig({ seed: 5 }), experiments: tinyExperiments, resume: false }), 5)
    return { runDir, result, leaked: tf.memory().numTensors - before }
  })())

  it("trains, sweeps, ablates, generalises, trains the baseline and writes a report, leaking nothing", async () => {
    const { runDir, result, leaked } = await runSeed5()
    expect(leaked).toBe(0)
    const files = readdirSync(runDir).sort()
    expect(files).toEqual(["ablation.json", "baseline.json", "checkpoints", "figures", "generalization.json", "manifest.json", "metrics.jsonl", "report.html", "summary.json", "sweep.json"])
    const figures = readdirSync(`${runDir}/figures`)
    for (const name of ["loss-curves", "phase-diagram", "order-parameter-paths", "order-parameters-over-training", "ablation", "generalization",
      "drawing-low-beta", "drawing-high-beta", "drawing-adam-baseline", "drawing-construction-double-sided", "drawing-construction-pudding", "drawing-construction-convexity"]) {
      expect(figures).toContain(`${name}.svg`)
      expect(figures).toContain(`${name}.png`)
    }
    const summary = Schema.decodeUnknownSync(RunSummary)(JSON.parse(readFileSync(`${runDir}/summary.json`, "utf8")))
    // 3 checkpoints (0, 3, 6) × 3 β
    expect(summary.phases.length).toBe(9)
    expect(summary.generalization.map((c) => [c.inputs, c.hidden])).toEqual([[2, 3], [2, 5], [3, 3], [3, 5]])
    expect(summary.ablation.length).toBe(3)
    for (const p of summary.phases) expect(p.loss).toBeGreaterThan(0)
    const sweepRows = Schema.decodeUnknownSync(SweepResult)(JSON.parse(readFileSync(`${runDir}/sweep.json`, "utf8"))).rows
    expect(sweepRows).toHaveLength(9)
    // three inputs: a sign agreement of k/3 per generation, the median of two seeds a multiple of 1/6
    for (const r of sweepRows) {
      expect(r.signAgreement).toBeGreaterThanOrEqual(0)
      expect(r.signAgreement).toBeLessThanOrEqual(1)
      expect(Math.abs(6 * r.signAgreement! - Math.round(6 * r.signAgreement!))).toBeLessThan(1e-9)
    }
    expect(result.summary).toEqual(summary)
    const html = readFileSync(result.path, "utf8")
    expect((html.match(/<svg/g) ?? []).length).toBe(12)
    expect(html).toContain("Findings")
    const under = summary.generalization.filter((c) => c.loss < 0.15).length
    expect(html).toContain(`Generalisation: ${under} of 4 shapes reach loss &lt; 0.15 decoder-only at log β = -6`)
  })

  it("is a function of its seed: the same seed gives the same summary, another seed another", async () => {
    const [b, c] = [tempDir(), tempDir()]
    const run = (dir: string, seed: number) => runProgram(Effect.map(reproduce({ runDir: dir, config: tinyConfig({ seed }), experiments: tinyExperiments, resume: false }), (r) => r.summary), seed)
    const [sa, sb, sc] = [(await runSeed5()).result.summary, await run(b, 5), await run(c, 6)]
    expect(sb).toEqual(sa)
    expect(sc).not.toEqual(sa)
  })
})

describe("phase diagram", () => {
  it("labels evenly spaced checkpoints, at most 12, starting with the first", () => {
    const row = (step: number) => ({ step, logBeta: -12, loss: 1, lossMin: 1, lossMax: 1, kl: 0, alpha1: 1, alpha2: 1, alpha3: 0, algorithm: "convexity" as const })
    const labels = (count: number) => {
      const spec = phaseDiagramSpec({ seeds: 1, samples: 1, rows: Array.from({ length: count }, (_, k) => row(300 * k)) })
      return (spec as { encoding: { x: { axis: { values: ReadonlyArray<number> } } } }).encoding.x.axis.values
    }
    expect(labels(21)).toEqual([0, 600, 1200, 1800, 2400, 3000, 3600, 4200, 4800, 5400, 6000])
    expect(labels(5)).toEqual([0, 300, 600, 900, 1200])
    expect(labels(40).length).toBeLessThanOrEqual(12)
  })
})

describe("loss curves", () => {
  const metrics = (steps: number) => Array.from({ length: steps / 10 }, (_, k) => ({ step: 10 * (k + 1), objective: 0, loss: 1 / (k + 1), kl: 0.1, lossLowBeta: 1, msPerStep: 1 }))
  const adam = (steps: number) => ({ series: "Adam baseline", points: Array.from({ length: steps / 100 }, (_, k) => ({ step: 100 * (k + 1), loss: 0.5 / (k + 1) })) })
  const panels = (spec: unknown) => (spec as { vconcat: ReadonlyArray<{ title: string; data: { values: ReadonlyArray<{ series?: string }> } }> }).vconcat
  it("draws the Adam baseline on the hypernetwork's axis when their step counts are comparable, in a panel of its own when not", () => {
    const near = panels(lossCurvesSpec(metrics(10_000), "l1", [adam(6000)]))
    expect(near.map((p) => p.title)).toEqual(["Training loss (batch mean, task l1)", "Accumulated KL (batch mean)"])
    expect(new Set(near[0]!.data.values.map((v) => v.series))).toEqual(new Set(["hypernetwork, all β", "hypernetwork, β ≤ 1e-6", "Adam baseline"]))
    // 90 steps against 30,000: one axis would squeeze the hypernetwork's curve into its first pixel
    const far = panels(lossCurvesSpec(metrics(90), "max-abs", [adam(30_000)]))
    expect(far.map((p) => p.title)).toEqual(["Training loss (batch mean, task max-abs)", "Adam baseline loss (its own 30000 steps, task max-abs)", "Accumulated KL (batch mean)"])
    expect(far[0]!.data.values.some((v) => v.series === "Adam baseline")).toBe(false)
    expect(far[1]!.data.values.every((v) => v.series === "Adam baseline")).toBe(true)
    expect(panels(lossCurvesSpec(metrics(90), "l1", [])).length).toBe(2)
  })
})
