import { Effect, Result } from "effect"
import { formatNumber, load } from "../../core/base/schemas.js"
import { AblationResult, AblationSettings, ablationSummary, logBetaGrid, paperExperiments } from "../../core/run/index.js"
import { Progress } from "../../services/console/index.js"
import { defineExperiment, integerFlag, runExperiment } from "./experiment.js"

const training = load(() => import("../training/index.js"))
const figures = load(() => import("../../core/report/index.js"))

/**
 * The encoder ablation (Figure 4): at the last checkpoint, the loss of networks generated with the
 * encoder (z ~ q) and decoder-only (z ~ p), per β, with the same generation seeds. Where they
 * agree the hypernetwork draws its assignment from noise; where decoder-only is worse it relies
 * on memorised, KL-carrying information. Writes `ablation.json`.
 */
export const ablationExperiment = Result.getOrThrow(defineExperiment({
  name: "ablation",
  settings: AblationSettings,
  defaults: paperExperiments.ablation,
  result: AblationResult,
  file: "ablation.json",
  run: (run, settings) => Effect.gen(function* () {
    const { evaluateBetas, lastModel, seedList } = yield* training
    const progress = yield* Progress
    const { model, step } = yield* lastModel(run.dir)
    const logBetas = logBetaGrid(settings.betas)
    const seeds = seedList(settings.seeds)
    const encoder = yield* evaluateBetas(model, model.config.shape, "encoder", logBetas, seeds, settings.samples)
    yield* progress.update("ablation", { done: 1, total: 2, detail: "encoder done" })
    const decoder = yield* evaluateBetas(model, model.config.shape, "decoder-only", logBetas, seeds, settings.samples)
    yield* progress.finish("ablation", `step ${step}`)
    return {
      step, seeds: settings.seeds,
      rows: logBetas.map((logBeta, k) => ({
        logBeta, lossEncoder: encoder[k]!.loss, lossDecoderOnly: decoder[k]!.loss, kl: encoder[k]!.kl,
        algorithmEncoder: encoder[k]!.algorithm, algorithmDecoderOnly: decoder[k]!.algorithm
      }))
    } satisfies AblationResult
  }),
  report: (ablation) => Effect.map(figures, (f) => ({
    figures: [{ name: "ablation", caption: "Figure 4 analogue: loss of networks generated with the encoder (z ~ q) and decoder-only (z ~ p), same seeds.", spec: f.ablationSpec(ablation) }],
    sections: [{ title: "Encoder ablation", figures: ["ablation"], html: f.ablationTable(ablation) }],
    findings: f.ablationFindingSentences(ablation)
  })),
  summary: ablationSummary,
  cell: { schema: AblationResult.fields.rows, keep: (ablation) => ablation.rows },
  command: {
    name: "ablate",
    description: "Encoder ablation (Figure 4): loss with the encoder vs decoder-only, per β, at the last checkpoint → ablation.json",
    flags: { betas: integerFlag("betas", "values of β on [1e-12, 1] (default 30)"), seeds: integerFlag("seeds", "generation seeds per β (default 8)"), samples: integerFlag("samples", "Gaussian inputs per loss (default 4096)") },
    done: (ablation, runDir) => {
      const low = ablation.rows[0]!
      return `ablation at step ${ablation.step} → ${runDir}/ablation.json; at log β = ${low.logBeta}: loss ${formatNumber(low.lossEncoder)} with the encoder, ${formatNumber(low.lossDecoderOnly)} decoder-only`
    }
  }
}))

/** {@link ablationExperiment} on the run in `runDir` with `settings` (see `runExperiment`): writes and returns `ablation.json`. */
export const ablation = (runDir: string, settings: AblationSettings) => runExperiment(ablationExperiment, runDir, settings)
