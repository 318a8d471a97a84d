import { Effect, Result } from "effect"
import { formatNumber, load } from "../../core/base/schemas.js"
import { CellBaseline } from "../../core/study/schemas.js"
import { BaselineResult, BaselineSettings, baselineSummary, paperExperiments } from "../../core/run/index.js"
import { defineExperiment, integerFlag, numberFlag, runExperiment } from "./experiment.js"

const training = load(() => import("../training/index.js"))
const figures = load(() => import("../../core/report/index.js"))

/**
 * The baseline (Figure 6): the run's target network (its shape, hidden activation and task, from
 * the run's manifest) trained directly with Adam, twice, so that α3 compares two independently
 * trained networks; the loss, order parameters and class of the first (see `adamBaseline`).
 * Writes `baseline.json`.
 */
export const baselineExperiment = Result.getOrThrow(defineExperiment({
  name: "baseline",
  settings: BaselineSettings,
  defaults: paperExperiments.baseline,
  result: BaselineResult,
  file: "baseline.json",
  run: (run, settings) => Effect.flatMap(training, (t) => t.adamBaseline(run.manifest.config, settings)),
  report: (baseline) => Effect.map(figures, (f) => ({
    sections: [{ title: "Adam baseline", html: f.baselineParagraph(baseline) }],
    findings: [`Adam baseline: ${formatNumber(baseline.loss)}.`],
    curves: [{ series: "Adam baseline", points: baseline.curve }]
  })),
  summary: baselineSummary,
  cell: {
    schema: CellBaseline,
    keep: (b) => ({ loss: b.loss, alpha1: b.alpha1, alpha2: b.alpha2, alpha3: b.alpha3, algorithm: b.algorithm })
  },
  command: {
    name: "baseline",
    description: "Baseline (Figure 6): the target network trained directly with Adam, its loss and order parameters → baseline.json",
    flags: {
      steps: integerFlag("steps", "Adam steps"), batch: integerFlag("batch", "Gaussian inputs per step"), learningRate: numberFlag("lr", "Adam learning rate"),
      logEvery: integerFlag("log-every", "steps between points of the loss curve"), samples: integerFlag("samples", "inputs for the final loss")
    },
    done: (b, runDir) => `Adam baseline: loss ${formatNumber(b.loss)}, α1 ${formatNumber(b.alpha1)}, α2 ${formatNumber(b.alpha2)}, class ${b.algorithm} → ${runDir}/baseline.json`
  }
}))

/** {@link baselineExperiment} on the run in `runDir` with `settings` (see `runExperiment`): writes and returns `baseline.json`. */
export const baseline = (runDir: string, settings: BaselineSettings) => runExperiment(baselineExperiment, runDir, settings)
