import { existsSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { fc } from "@fast-check/vitest"
import { Result } from "effect"
import { describe, expect, it } from "vitest"
import { logBetaGrid } from "../src/core/run/betaGrid.js"
import type { CellResult } from "../src/core/study/cellResult.js"
import { compareArms, memorisedTrend, summariseArms, wilsonInterval } from "../src/core/study/studyAnalysis.js"
import { fisherExact } from "../src/core/study/hypothesisTests.js"
import { decodePlan, resolvePlan } from "../src/core/study/studyPlan.js"
import { encodeStudyResults } from "../src/core/study/studyResults.js"
import { studyReport } from "../src/programs/study/studyReport.js"
import { reuseResults } from "../src/programs/study/study.js"
import { drawMemorisedNetworks } from "../src/programs/study/studyDrawings.js"
import { train } from "../src/programs/training/train.js"
import { tinyConfig, tinyExperiments } from "./programs.js"
import { runProgram, tempDir } from "./programs.js"
import { builtinExperiments } from "../src/programs/experiments/registry.js"

describe("Wilson score intervals", () => {
  it("hold the share, stay in [0, 1], and narrow as n grows", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 500 }), fc.double({ min: 0, max: 1, noNaN: true }), (n, p) => {
      const k = Math.round(p * n)
      const w = wilsonInterval(k, n)
      expect(w.low).toBeLessThanOrEqual(w.share + 1e-12)
      expect(w.high).toBeGreaterThanOrEqual(w.share - 1e-12)
      expect(w.low).toBeGreaterThanOrEqual(0)
      expect(w.high).toBeLessThanOrEqual(1)
      const wider = wilsonInterval(k, n)
      const narrower = wilsonInterval(4 * k, 4 * n)
      expect(narrower.high - narrower.low).toBeLessThanOrEqual(wider.high - wider.low + 1e-12)
    }))
    // 0 of 33 seeds: the interval still reaches 10.4 %, not 0 as the normal approximation says
    expect(wilsonInterval(0, 33).high).toBeCloseTo(0.1044, 3)
    const half = wilsonInterval(5, 10)
    expect(half.low).toBeCloseTo(0.2366, 3)
    expect(half.high).toBeCloseTo(0.7634, 3)
  })
})

describe("the study report", () => {
  const planText = {
    name: "synthetic", description: "cells made up to exercise the report",
    arms: [{ name: "quick", base: "quick" }, { name: "plain", base: "quick", overrides: { hypernetwork: { hyperhypernetwork: { perEdge: "plain" } } }, seeds: [10, 11] }],
    seeds: { count: 3, root: 1 }, experiments: { sweep: true }
  }
  const logBetas = logBetaGrid(30)
  /** A cell whose sweep converts to the pudding at every β at `switchAt` (case 3d), or stays convex. */
  const cellResult = (cell: ReturnType<typeof cellsOf>[number], pudding: boolean, run = { deliveries: 1, wallSeconds: 600 }): CellResult => ({
    id: cell.id, study: cell.study, arm: cell.arm, seed: cell.seed, config: cell.config, experiments: cell.experiments, status: "done", error: null,
    training: { step: 10000, objective: -2, loss: 0.1, kl: 0, lossLowBeta: 0.05 },
    sweep: [0, 5000, 10000].flatMap((step) => logBetas.map((logBeta) => {
      const p = pudding && step > 0
      return { step, logBeta, loss: p ? 0.05 : 0.33, lossMin: 0.04, lossMax: 0.4, kl: p ? 0.001 : 0.5, alpha1: p ? 1 : 2, alpha2: p ? 3 : 1, alpha3: 1, signAgreement: p ? 1 : 0.25, algorithm: p ? "pudding" as const : "convexity" as const }
    })),
    ablation: null, generalization: null, baseline: null,
    execution: { attempt: 1, ...run, trainSeconds: 540, runner: "here/1", backend: "wasm", runDir: "runs/x", finishedAt: "2026-12-01T00:00:00Z" }
  })
  const cellsOf = (raw: unknown) => Result.getOrThrow(Result.flatMap(decodePlan(raw), (p) => resolvePlan(p, builtinExperiments)))

  it("reads each cell's path, counts them per arm with intervals, and draws every figure", async () => {
    const dir = tempDir()
    writeFileSync(join(dir, "plan.json"), JSON.stringify(planText))
    const cells = cellsOf(planText)
    // arm quick: seeds 1, 2 case 3d, seed 3 convexity; arm plain: seed 10 case 3d, seed 11 not run yet
    // seed 2 was resumed by a second runner: its time (its last part only) is marked and not in the median
    const results = [cellResult(cells[0]!, true, { deliveries: 1, wallSeconds: 700 }), cellResult(cells[1]!, true, { deliveries: 2, wallSeconds: 100 }), cellResult(cells[2]!, false, { deliveries: 1, wallSeconds: 900.4 }), cellResult(cells[3]!, true)]
    writeFileSync(join(dir, "results.json"), encodeStudyResults("synthetic", cells, results))
    const arms = summariseArms(["quick", "plain"], results)
    expect(arms.map((a) => [a.arm, a.done, a.paths["pudding-everywhere"].count, a.paths["convexity-throughout"].count])).toEqual([["quick", 3, 2, 1], ["plain", 1, 1, 0]])
    expect(arms.map((a) => a.medianWallSeconds)).toEqual([800.2, 600])
    const report = await runProgram(studyReport(join(dir, "plan.json"), dir))
    expect(report.cells).toBe(4)
    const html = readFileSync(report.path, "utf8")
    expect(html).toContain("1 cells not run yet")
    expect(html).toContain("2 (67%, 21%–94%)") // 2 of 3 seeds on the case-3d path, with its Wilson interval
    expect(html).toContain("<td>100*</td>")
    expect(html).toContain("<td>900</td>")
    expect(html).toContain("<td>800</td>") // the median of 700 and 900.4, whole seconds
    for (const name of ["path-shares", "low-beta-loss", "kl-against-beta", "phase-diagrams"]) {
      expect(existsSync(join(dir, "figures", `${name}.svg`))).toBe(true)
      expect(html).toContain(`id="${name}"`)
    }
    expect(existsSync(join(dir, "figures", "generalization-by-path.svg"))).toBe(false) // no cell ran it
  })

  it("tests each arm against the first: exact tests of the path shares, a rank test of the low-β loss", async () => {
    const cells = cellsOf(planText)
    // quick: three case-3d seeds (low-β loss 0.05); plain: two seeds in convexity (0.33)
    const results = [cellResult(cells[0]!, true), cellResult(cells[1]!, true), cellResult(cells[2]!, true), cellResult(cells[3]!, false), cellResult(cells[4]!, false)]
    const [c] = compareArms(["quick", "plain"], results)
    // scipy: fisher_exact([[0, 2], [3, 0]]) = 0.1; mannwhitneyu([.33, .33], [.05] * 3, method="asymptotic") = 0.09558
    expect(c!.paths["pudding-everywhere"]).toBeCloseTo(0.1, 12)
    expect(c!.paths["convexity-throughout"]).toBeCloseTo(0.1, 12)
    expect(c!.paths["stalled"]).toBeNaN()
    expect(c!.lowBetaLoss.p).toBeCloseTo(0.0955807045456294, 12)
    expect(c!.lowBetaLoss.median).toBeCloseTo(0.33, 12)
    expect(c!.lowBetaLoss.referenceMedian).toBeCloseTo(0.05, 12)
    expect(compareArms(["quick"], results)).toEqual([])
    const dir = tempDir()
    writeFileSync(join(dir, "plan.json"), JSON.stringify(planText))
    writeFileSync(join(dir, "results.json"), encodeStudyResults("synthetic", cells, results))
    const html = readFileSync((await runProgram(studyReport(join(dir, "plan.json"), dir))).path, "utf8")
    expect(html).toContain("<h2>Each arm against quick</h2>")
    expect(html).toContain("<td>plain</td><td>0.10</td><td>0.10</td><td>–</td>")
    expect(html).toContain("<td>0.330 / 0.0500 (0.096)</td>")
  })

  it("leaves a seed whose low-β loss is not a number out of the loss median and the rank test", () => {
    const cells = cellsOf(planText)
    const diverged = cellResult(cells[0]!, true)
    const results = [{ ...diverged, sweep: diverged.sweep!.map((r) => ({ ...r, loss: Number.NaN })) }, cellResult(cells[1]!, true), cellResult(cells[2]!, false), cellResult(cells[3]!, false), cellResult(cells[4]!, false)]
    const [quick, plain] = summariseArms(["quick", "plain"], results)
    // quick: NaN, 0.05, 0.33 → the median of the two numbers; sorting NaN in would give 0.05 or NaN
    expect(quick!.medianLowBetaLoss).toBeCloseTo(0.19, 12)
    expect(plain!.medianLowBetaLoss).toBeCloseTo(0.33, 12)
    const [c] = compareArms(["quick", "plain"], results)
    expect(c!.lowBetaLoss.referenceMedian).toBeCloseTo(0.19, 12)
    expect(c!.lowBetaLoss.p).toBeGreaterThan(0)
    expect(c!.lowBetaLoss.p).toBeLessThanOrEqual(1)
  })

  it("counts memorised seeds per arm, tests them against the reference and over a dose, and draws β*", async () => {
    const plan = {
      ...planText,
      arms: [
        { name: "quick", base: "quick" },
        { name: "capped", base: "quick", overrides: { logBetaMax: -6 }, seeds: [1, 2, 3] },
        { name: "half", base: "quick", overrides: { logBetaMax: -3 }, seeds: [1, 2] }
      ],
      trends: [{ name: "the cap", setting: "logBetaMax", arms: ["quick", "half", "capped"] }]
    }
    const cells = cellsOf(plan)
    /** A memorised pudding below log10 β = −4 (KL 100 nats, α3 0.1, decoder-only 5 × the loss), convexity above. */
    const memorised = (cell: typeof cells[number]): CellResult => {
      const base = cellResult(cell, false)
      return {
        ...base,
        sweep: base.sweep!.map((r) => (r.step > 0 && r.logBeta < -4 ? { ...r, loss: 0.02, kl: 100, alpha3: 0.1, alpha2: 3, alpha1: 2, signAgreement: 0.75, algorithm: "pudding" as const } : r)),
        ablation: logBetas.map((logBeta) => ({ logBeta, lossEncoder: 0.02, lossDecoderOnly: 0.1, kl: 100, algorithmEncoder: "pudding" as const, algorithmDecoderOnly: "convexity" as const }))
      }
    }
    const byArm = (arm: string) => cells.filter((c) => c.arm === arm)
    // quick: 3 case 3d; capped: 3 memorised; half: 1 memorised of 2
    const results = [...byArm("quick").map((c) => cellResult(c, true)), ...byArm("capped").map(memorised), memorised(byArm("half")[0]!), cellResult(byArm("half")[1]!, true)]
    const arms = summariseArms(["quick", "capped", "half"], results)
    expect(arms.map((a) => [a.memorised.count, a.memorised.of])).toEqual([[0, 3], [3, 3], [1, 2]])
    expect(arms[1]!.paths["memorised-low-beta"].count).toBe(3)
    expect(arms[1]!.betaStarTrends.stable).toBe(3) // memorised below −4 from the first trained checkpoint on
    const [capped, half] = compareArms(["quick", "capped", "half"], results)
    expect(capped!.memorised).toBeCloseTo(fisherExact(3, 3, 0, 3), 12)
    expect(capped!.memorised).toBeCloseTo(0.1, 12) // scipy: fisher_exact([[3, 0], [0, 3]]) = 0.1
    expect(half!.memorised).toBeCloseTo(0.4, 12) // scipy: fisher_exact([[1, 1], [0, 3]]) = 0.4
    const trend = memorisedTrend("cap", ["quick", "half", "capped"], (arm) => ({ quick: 0, half: -3, capped: -6 } as Record<string, number>)[arm], results)
    expect(trend.arms.map((a) => a.arm)).toEqual(["capped", "half", "quick"])
    expect(trend.test.z).toBeLessThan(0) // fewer memorised seeds at larger caps
    const dir = tempDir()
    writeFileSync(join(dir, "plan.json"), JSON.stringify(plan))
    writeFileSync(join(dir, "results.json"), encodeStudyResults("synthetic", cells, results))
    const html = readFileSync((await runProgram(studyReport(join(dir, "plan.json"), dir))).path, "utf8")
    expect(html).toContain("<h2>Memorised assignments</h2>")
    expect(html).toContain("<td>capped</td><td>3 of 3 (100%, 44%–100%)</td><td>0.10</td>")
    expect(html).toContain("capped at -6: 3/3; half at -3: 1/2; quick at 0: 0/3")
    expect(existsSync(join(dir, "figures", "beta-star.svg"))).toBe(true)
    // drawings: no memorised seed's run is on this machine; a reference run is drawn with its order parameters
    const reference = tempDir()
    await runProgram(train({ runDir: reference, config: tinyConfig({ steps: 2, checkpointEvery: 2 }), resume: false }), 3)
    const settings = { ...tinyExperiments.drawing, iterations: 20 }
    const drawnHtml = readFileSync((await runProgram(studyReport(join(dir, "plan.json"), dir, (rs) => drawMemorisedNetworks(dir, rs, { perArm: 3, references: [reference], settings })))).path, "utf8")
    expect(drawnHtml).toContain("<h2>Memorised networks, drawn (B.1)</h2>")
    expect(drawnHtml).toContain("4 memorised seeds were not drawn: their run directories are not on this machine")
    expect(drawnHtml).toMatch(new RegExp(`reference: ${reference}: log β = -12, α1 [-0-9.e]+, α2 [-0-9.e]+, sign agreement [-0-9.e]+, (convexity|pudding|double-sided)`))
    expect(existsSync(join(dir, "figures", "drawing-memorised-reference-1.svg"))).toBe(true)
  })

  it("refuses a trend over an arm that is not in the plan or a setting that is not a number", () => {
    const bad = (trends: unknown) => {
      const r = Result.flatMap(decodePlan({ ...planText, trends }), (p) => resolvePlan(p, builtinExperiments))
      return Result.isFailure(r) ? r.failure.message : "no error"
    }
    expect(bad([{ name: "t", setting: "logBetaMax", arms: ["quick", "nope"] }])).toContain("trends[0] (\"t\"): no arm is named \"nope\"")
    expect(bad([{ name: "t", setting: "activation", arms: ["quick", "plain"] }])).toContain("activation is not a number in arm \"quick\"'s settings")
    expect(bad([{ name: "t", setting: "logBetaMax", arms: ["quick"] }])).toContain("a trend needs at least two arms")
  })

  it("takes the finished cells of another study's results that have this plan's ids (reuse), under this plan's arms", async () => {
    const dir = tempDir()
    const cells = cellsOf(planText)
    const other = [{ ...cellResult(cells[0]!, true), study: "earlier", arm: "control" }, { ...cellResult(cells[1]!, true), status: "failed" as const, error: "diverged" }, { ...cellResult(cells[2]!, true), id: "0123456789abcdef" }]
    writeFileSync(join(dir, "earlier.json"), encodeStudyResults("earlier", [], other))
    const plan = Result.getOrThrow(decodePlan({ ...planText, reuse: ["earlier.json"] }))
    const results = new Map<string, CellResult>()
    const taken = await runProgram(reuseResults(join(dir, "plan.json"), plan, cells, results))
    expect(taken).toBe(1) // the failed cell is run again; the foreign id is not this plan's
    expect([...results.values()].map((r) => [r.id, r.study, r.arm])).toEqual([[cells[0]!.id, "synthetic", "quick"]])
    const missing = Result.getOrThrow(decodePlan({ ...planText, reuse: ["nowhere.json"] }))
    await expect(runProgram(reuseResults(join(dir, "plan.json"), missing, cells, new Map()))).rejects.toThrow(/reuse nowhere\.json/)
  })
})
