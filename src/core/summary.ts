import { mean } from "./betaGrid.js"
import type { Algorithm } from "./classifier.js"
import type { AblationResult, BaselineResult, GeneralizationResult, RunSummary, SweepResult } from "./results.js"

/** β ≤ 1e−6 counts as low β throughout the reports. */
export const LOW_LOG_BETA = -6

/** The loss contours of the paper's Figure 5, the yardsticks of every loss reported. */
export const PAPER_CONTOURS = { inner: 0.07, outer: 0.15 } as const

const majority = (classes: ReadonlyArray<Algorithm>): { algorithm: Algorithm; share: number } => {
  const counts = new Map<Algorithm, number>()
  for (const c of classes) counts.set(c, (counts.get(c) ?? 0) + 1)
  const [algorithm, n] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]!
  return { algorithm, share: n / classes.length }
}

/** The run's findings from its result tables. */
export const summarise = (
  run: { readonly steps: number; readonly seed: number; readonly backend: string },
  sweep: SweepResult,
  ablation: AblationResult,
  generalization: GeneralizationResult,
  baseline: BaselineResult
): RunSummary => {
  const steps = [...new Set(sweep.rows.map((r) => r.step))].sort((a, b) => a - b)
  const at = (step: number) => sweep.rows.filter((r) => r.step === step)
  const majorityByStep = steps.map((step) => ({ step, ...majority(at(step).map((r) => r.algorithm)) }))
  const lowMajority = (step: number) => majority(at(step).filter((r) => r.logBeta <= LOW_LOG_BETA).map((r) => r.algorithm)).algorithm
  const trainedSteps = steps.filter((s) => s > 0)
  const firstPuddingStep = trainedSteps.find((s) => lowMajority(s) === "pudding") ?? null
  const before = trainedSteps.filter((s) => firstPuddingStep === null || s < firstPuddingStep)
  const last = steps[steps.length - 1]!
  return {
    ...run,
    phases: sweep.rows.map((r) => ({ step: r.step, logBeta: r.logBeta, algorithm: r.algorithm, loss: r.loss })),
    finalLowBetaLoss: mean(at(last).filter((r) => r.logBeta <= LOW_LOG_BETA).map((r) => r.loss)),
    baselineLoss: baseline.loss,
    ablation: ablation.rows.map((r) => ({ logBeta: r.logBeta, lossEncoder: r.lossEncoder, lossDecoderOnly: r.lossDecoderOnly })),
    generalization: generalization.cells.map((c) => ({ inputs: c.inputs, hidden: c.hidden, loss: c.loss })),
    findings: {
      majorityByStep,
      firstPuddingStep,
      convexityBeforePudding: before.length > 0 && before.every((s) => majorityByStep.find((m) => m.step === s)!.algorithm === "convexity")
    }
  }
}
