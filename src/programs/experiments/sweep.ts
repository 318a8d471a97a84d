import { Effect, Result } from "effect"
import { formatNumber, load, NonFiniteValues } from "../../core/base/schemas.js"
import { logBetaGrid, SweepResult, SweepSettings, paperExperiments, sweepSummary } from "../../core/run/index.js"
import { Progress } from "../../services/console/index.js"
import { ClassThresholds } from "../../services/settings/index.js"
import { type CheckpointFile, RunStore } from "../../services/store/index.js"
import { defineExperiment, integerFlag, numberFlag, runExperiment } from "./experiment.js"

const training = load(() => import("../training/index.js"))
const figures = load(() => import("../../core/report/index.js"))

/** Every `every`-th checkpoint, always with the first and the last. */
const pickCheckpoints = (all: ReadonlyArray<CheckpointFile>, every: number): ReadonlyArray<CheckpointFile> =>
  all.filter((_, k) => k % every === 0 || k === all.length - 1)

/**
 * The sweep (§2, Figures 2 and 3; ARCHITECTURE.md, "Experiments"): for each checkpoint and each β
 * of a log-spaced grid, generate networks with every generation seed and record mean loss, KL,
 * α1–α3 and the class (under the run's class thresholds). Writes `sweep.json`. A checkpoint that
 * generates a network with NaN or infinite loss, KL or weights fails the sweep with
 * NonFiniteValues naming it, its step, β and seed (such a network has no loss or algorithm, and a
 * JSON result cannot hold NaN); nothing is written then.
 */
export const sweepExperiment = Result.getOrThrow(defineExperiment({
  name: "sweep",
  settings: SweepSettings,
  defaults: paperExperiments.sweep,
  result: SweepResult,
  file: "sweep.json",
  run: (run, settings) => Effect.gen(function* () {
    const { disposeModel, evaluateBetas, modelFromCheckpoint, runCheckpoints, seedList } = yield* training
    const store = yield* RunStore
    const progress = yield* Progress
    const checkpoints = pickCheckpoints(yield* runCheckpoints(run.dir), settings.everyCheckpoint)
    const logBetas = logBetaGrid(settings.betas, settings.logBetaMin, settings.logBetaMax)
    const rows: Array<SweepResult["rows"][number]> = []
    for (const [k, c] of checkpoints.entries()) {
      const summaries = yield* Effect.scoped(Effect.gen(function* () {
        const model = yield* Effect.acquireRelease(modelFromCheckpoint(yield* store.readCheckpoint(c.path)), (m) => Effect.sync(() => disposeModel(m)))
        return yield* evaluateBetas(model, model.config.shape, "encoder", logBetas, seedList(settings.seeds), settings.samples)
      })).pipe(Effect.mapError((e) => e._tag === "NonFiniteValues" ? new NonFiniteValues({ source: c.path, message: `sweep of ${c.path} (step ${c.step}): ${e.message}` }) : e))
      for (const s of summaries) rows.push({ step: c.step, ...s })
      const classes = [...new Set(summaries.map((s) => s.algorithm))].join("/")
      yield* progress.update("sweep", { done: k + 1, total: checkpoints.length, detail: `step ${c.step}: ${classes}, loss at β=1e${logBetas[0]} ${formatNumber(summaries[0]!.loss)}` })
    }
    yield* progress.finish("sweep", `${checkpoints.length} checkpoints × ${logBetas.length} β`)
    return { seeds: settings.seeds, samples: settings.samples, rows } satisfies SweepResult
  }),
  report: (sweep, run) => Effect.gen(function* () {
    const f = yield* figures
    const thresholds = yield* ClassThresholds
    const shape = run.manifest.config.shape
    const layer = `the first weight layer W⁽¹⁾ [${shape[0]} × ${shape[1]}]`
    const table = f.sweepLastCheckpointTable(sweep)
    return {
      figures: [
        { name: "phase-diagram", caption: `Figure 3 analogue: the class of the generated networks (median α1, α2 of ${layer} over generation seeds) per checkpoint and β.`, spec: f.phaseDiagramSpec(sweep) },
        { name: "order-parameter-paths", caption: `Figure 2 analogue: each checkpoint's path through (α2, α1) and (α2, α3) of ${layer} as β sweeps 1e−12 → 1, points coloured by class.`, spec: f.orderParameterPathsSpec(sweep, thresholds) },
        { name: "order-parameters-over-training", caption: `Loss, α1 (log10), α2, α3 and the sign agreement (not the paper's: 1 when every input's strongest path has one sign) of ${layer} over training at the lowest, a middle and the highest β of the sweep.`, spec: f.orderParametersOverTrainingSpec(sweep) }
      ],
      sections: [
        { title: "Algorithms over training and β", figures: ["phase-diagram", "order-parameter-paths", "order-parameters-over-training"] },
        ...(table === undefined ? [] : [table])
      ],
      findings: f.sweepFindingSentences(sweep)
    }
  }),
  summary: sweepSummary,
  cell: { schema: SweepResult.fields.rows, keep: (sweep) => sweep.rows, always: true },
  command: {
    name: "sweep",
    description: "Evaluate every checkpoint at log-spaced β: loss (mean over generation seeds), KL, α1–α3 and class → sweep.json",
    flags: {
      betas: integerFlag("betas", "values of β, log-spaced (default 30)"), seeds: integerFlag("seeds", "generation seeds per β (default 8)"),
      samples: integerFlag("samples", "Gaussian inputs per loss (default 4096)"), everyCheckpoint: integerFlag("every-checkpoint", "use every k-th checkpoint (default 1)"),
      logBetaMin: numberFlag("log-beta-min", "lowest log10 β (default -12)"), logBetaMax: numberFlag("log-beta-max", "highest log10 β (default 0)")
    },
    done: (sweep, runDir) => `swept ${new Set(sweep.rows.map((r) => r.step)).size} checkpoints × ${new Set(sweep.rows.map((r) => r.logBeta)).size} β into ${runDir}/sweep.json`
  }
}))

/** {@link sweepExperiment} on the run in `runDir` with `settings` (see `runExperiment`): writes and returns `sweep.json`. */
export const sweep = (runDir: string, settings: SweepSettings) => runExperiment(sweepExperiment, runDir, settings)
