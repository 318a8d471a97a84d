import { LOW_LOG_BETA, mean } from "./betaGrid.js"
import type { Algorithm } from "../network/schemas.js"
import type { NetShape } from "../network/schemas.js"
import type { AblationResult, BaselineResult, GeneralizationResult, RunSummary, SweepResult } from "./results.js"

/** The loss contours of the paper's Figure 5, the yardsticks of every loss reported. */
export const PAPER_CONTOURS = { inner: 0.07, outer: 0.15 } as const

const majority = (classes: ReadonlyArray<Algorithm>): { algorithm: Algorithm; share: number } => {
  const counts = new Map<Algorithm, number>()
  for (const c of classes) counts.set(c, (counts.get(c) ?? 0) + 1)
  const [algorithm, n] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]!
  return { algorithm, share: n / classes.length }
}

/**
 * One experiment's part of `summary.json` (see `Experiment.summary` in programs/experiments): the
 * fields of {@link RunSummary} that its result fills.
 */
export type RunSummaryPart = Partial<Omit<RunSummary, "steps" | "seed" | "backend" | "task" | "shape" | "missing">>

/** The fields of a summary whose experiments have not run: empty lists and nulls. */
const EMPTY: Required<RunSummaryPart> = { phases: [], finalLowBetaLoss: null, baselineLoss: null, ablation: [], generalization: [], findings: null }

/** What the sweep shows: the majority class per checkpoint and when the pudding appears at low β. */
export const sweepFindings = (sweep: SweepResult): NonNullable<RunSummary["findings"]> => {
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

/** The sweep's part of the summary: every (checkpoint, β)'s class and loss, the low-β loss at the last checkpoint, and its findings. */
export const sweepSummary = (sweep: SweepResult): RunSummaryPart => {
  const lastStep = sweep.rows.length === 0 ? undefined : Math.max(...sweep.rows.map((r) => r.step))
  const lowLast = sweep.rows.filter((r) => r.step === lastStep && r.logBeta <= LOW_LOG_BETA).map((r) => r.loss)
  return {
    phases: sweep.rows.map((r) => ({ step: r.step, logBeta: r.logBeta, algorithm: r.algorithm, loss: r.loss })),
    finalLowBetaLoss: lowLast.length === 0 ? null : mean(lowLast),
    findings: sweep.rows.length === 0 ? null : sweepFindings(sweep)
  }
}

/** The ablation's part of the summary: the loss with the encoder and decoder-only per β. */
export const ablationSummary = (ablation: AblationResult): RunSummaryPart =>
  ({ ablation: ablation.rows.map((r) => ({ logBeta: r.logBeta, lossEncoder: r.lossEncoder, lossDecoderOnly: r.lossDecoderOnly })) })

/** Generalisation's part of the summary: the loss per shape. */
export const generalizationSummary = (generalization: GeneralizationResult): RunSummaryPart =>
  ({ generalization: generalization.cells.map((c) => ({ inputs: c.inputs, hidden: c.hidden, loss: c.loss })) })

/** The baseline's part of the summary: its final loss. */
export const baselineSummary = (baseline: BaselineResult): RunSummaryPart => ({ baselineLoss: baseline.loss })

/**
 * The run's findings from whatever results it has: the run's facts, the experiments `missing`
 * (not run yet), and the parts the experiments that have run contribute (later parts win a field);
 * a field no part fills is empty or null.
 */
export const summarise = (
  run: { readonly steps: number; readonly seed: number; readonly backend: string; readonly task: string; readonly shape: NetShape },
  missing: ReadonlyArray<string>,
  parts: ReadonlyArray<RunSummaryPart>
): RunSummary => ({ ...run, missing, ...EMPTY, ...Object.assign({}, ...parts) })
