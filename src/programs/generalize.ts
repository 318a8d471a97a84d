import { Effect } from "effect"
import type { Thresholds } from "../core/classifier.js"
import type { GeneralizationSettings } from "../core/experimentSettings.js"
import { GeneralizationResult } from "../core/results.js"
import { formatNumber } from "../core/table.js"
import { Progress } from "../services/Progress.js"
import { RunStore } from "../services/RunStore.js"
import { evaluateBetas, seedList } from "./evaluate.js"
import { lastModel } from "./runModel.js"

/**
 * Generalisation to unseen shapes (Figure 5): with the last checkpoint, generate `[n0, n1, 1]`
 * decoder-only (the learned per-edge variables exist only for the trained shape) at one β, for
 * every n0 × n1 of the grid, and record the mean loss. Writes `generalization.json`.
 */
export const generalize = (runDir: string, settings: GeneralizationSettings, thresholds?: Thresholds) =>
  Effect.gen(function* () {
    const store = yield* RunStore
    const progress = yield* Progress
    const { model, step } = yield* lastModel(runDir)
    const seeds = seedList(settings.seeds)
    const total = settings.inputs.length * settings.hidden.length
    const cells: Array<GeneralizationResult["cells"][number]> = []
    for (const n0 of settings.inputs) {
      for (const n1 of settings.hidden) {
        const [s] = yield* evaluateBetas(model, [n0, n1, 1], "decoder-only", [settings.logBeta], seeds, settings.samples, thresholds)
        cells.push({ inputs: n0, hidden: n1, loss: s!.loss, lossMin: s!.lossMin, lossMax: s!.lossMax, algorithm: s!.algorithm })
        yield* progress.update("generalize", { done: cells.length, total, detail: `[${n0}, ${n1}, 1] loss ${formatNumber(s!.loss)}` })
      }
    }
    const result: GeneralizationResult = { step, logBeta: settings.logBeta, seeds: settings.seeds, trained: model.config.shape, cells }
    yield* store.writeJson(store.join(runDir, "generalization.json"), GeneralizationResult, result)
    yield* progress.finish("generalize", `${total} shapes`)
    return result
  }).pipe(Effect.scoped)
