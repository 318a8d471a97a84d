import { LOW_LOG_BETA, mean } from "./betaGrid.js"
import type { Algorithm } from "../network/schemas.js"
import type { NetShape } from "../network/schemas.js"
import type { AblationResult, BaselineResult, Experiment, GeneralizationResult, RunSummary, SweepResult } from "./results.js"

/** The loss contours of the paper's Figure 5, the yardsticks of every loss reported. */
export const PAPER_CONTOURS = { inner: 0.07, outer: 0.15 } as const

const majority = (classes: ReadonlyArray<Algorithm>): { algorithm: Algorithm; share: number } => {
  const counts = new Map<Algorithm, number>()
  for (const c of classes) counts.set(c, (counts.get(c) ?? 0) + 1)
  const [algorithm, n] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]!
  return { algorithm, share: n / classes.length }
}

/** A run's result tables; an experiment not yet run is absent. */
export interface RunResults {
  readonly sweep?: SweepResult
  readonly ablation?: AblationResult
  readonly generalization?: GeneralizationResult
  readonly baseline?: BaselineResult
}

/** The experiments a run has not run yet, in the order `reproduce` runs them. */
export const missingExperiments = (results: RunResults): ReadonlyArray<Experiment> =>
  (["sweep", "ablation", "generalization", "baseline"] as const).filter((e) => results[e] === undefined)

/** What the sweep shows: the majority class per checkpoint and when the pudding appears at low β. */
const sweepFindings = (sweep: SweepResult): NonNullable<RunSummary["findings"]> => {
  const steps = [...new Set(sweep.rows.map((r) => r.step))].sort((a, b) => a - b)
  const at = (step: number) => sweep.rows.filter((r) => r.step === step)
  const majorityByStep = steps.map((step) => ({ step, ...majority(at(step).map((r) => r.algorithm)) }))
  const lowRows = (step: number) => at(step).filter((r) => r.logBeta <= LOW_LOG_BETA)
  const lowMajority = (step: number) => (lowRows(step).length === 0 ? undefined : majority(lowRows(step).map((r) => r.algorithm)).algorithm)
  const trainedSteps = steps.filter((s) => s > 0)
  const firstPuddingStep = trainedSteps.find((s) => lowMajority(s) === "pudding") ?? null
  const before = trainedSteps.filter((s) => firstPuddingStep === null || s < firstPuddingStep)
  return {
    majorityByStep,
    firstPuddingStep,
    convexityBeforePudding: before.length > 0 && before.every((s) => majorityByStep.find((m) => m.step === s)!.algorithm === "convexity")
  }
}

/** The run's findings from whatever result tables it has. */
export const summarise = (
  run: { readonly steps: number; readonly seed: number; readonly backend: string; readonly task: string; readonly shape: NetShape },
  results: RunResults
): RunSummary => {
  const { sweep, ablation, generalization, baseline } = results
  const lastStep = sweep === undefined || sweep.rows.length === 0 ? undefined : Math.max(...sweep.rows.map((r) => r.step))
  const lowLast = sweep === undefined ? [] : sweep.rows.filter((r) => r.step === lastStep && r.logBeta <= LOW_LOG_BETA).map((r) => r.loss)
  return {
    ...run,
    missing: missingExperiments(results),
    phases: (sweep?.rows ?? []).map((r) => ({ step: r.step, logBeta: r.logBeta, algorithm: r.algorithm, loss: r.loss })),
    finalLowBetaLoss: lowLast.length === 0 ? null : mean(lowLast),
    baselineLoss: baseline?.loss ?? null,
    ablation: (ablation?.rows ?? []).map((r) => ({ logBeta: r.logBeta, lossEncoder: r.lossEncoder, lossDecoderOnly: r.lossDecoderOnly })),
    generalization: (generalization?.cells ?? []).map((c) => ({ inputs: c.inputs, hidden: c.hidden, loss: c.loss })),
    findings: sweep === undefined || sweep.rows.length === 0 ? null : sweepFindings(sweep)
  }
}
