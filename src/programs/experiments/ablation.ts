import { Effect } from "effect"
import { logBetaGrid } from "../../core/run/index.js"
import type { Thresholds } from "../../core/network/schemas.js"
import type { AblationSettings } from "../../core/run/index.js"
import { AblationResult } from "../../core/run/index.js"
import { Progress } from "../../services/console/index.js"
import { RunStore } from "../../services/store/index.js"
import { evaluateBetas, seedList } from "../training/index.js"
import { lastModel } from "../training/index.js"

/**
 * The encoder ablation (Figure 4): at the last checkpoint, the loss of networks generated with the
 * encoder (z ~ q) and decoder-only (z ~ p), per β, with the same generation seeds. Where they
 * agree the hypernetwork draws its assignment from noise; where decoder-only is worse it relies
 * on memorised, KL-carrying information. Writes `ablation.json`.
 */
export const ablation = (runDir: string, settings: AblationSettings, thresholds?: Thresholds) =>
  Effect.gen(function* () {
    const store = yield* RunStore
    const progress = yield* Progress
    const { model, step } = yield* lastModel(runDir)
    const logBetas = logBetaGrid(settings.betas)
    const seeds = seedList(settings.seeds)
    const encoder = yield* evaluateBetas(model, model.config.shape, "encoder", logBetas, seeds, settings.samples, thresholds)
    yield* progress.update("ablation", { done: 1, total: 2, detail: "encoder done" })
    const decoder = yield* evaluateBetas(model, model.config.shape, "decoder-only", logBetas, seeds, settings.samples, thresholds)
    const result: AblationResult = {
      step, seeds: settings.seeds,
      rows: logBetas.map((logBeta, k) => ({
        logBeta, lossEncoder: encoder[k]!.loss, lossDecoderOnly: decoder[k]!.loss, kl: encoder[k]!.kl,
        algorithmEncoder: encoder[k]!.algorithm, algorithmDecoderOnly: decoder[k]!.algorithm
      }))
    }
    yield* store.writeJson(store.join(runDir, "ablation.json"), AblationResult, result)
    yield* progress.finish("ablation", `step ${step}`)
    return result
  }).pipe(Effect.scoped)
