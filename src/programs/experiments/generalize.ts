import { Effect } from "effect"
import { RunError } from "../../core/base/schemas.js"
import type { Thresholds } from "../../core/network/schemas.js"
import type { GeneralizationSettings } from "../../core/run/index.js"
import { GeneralizationResult } from "../../core/run/index.js"
import { formatNumber } from "../../core/base/schemas.js"
import { Progress } from "../../services/console/index.js"
import { RunStore } from "../../services/store/index.js"
import { evaluateBetas, seedList } from "../training/index.js"
import { lastModel } from "../training/index.js"

/**
 * Generalisation to unseen shapes (Figure 5): with the last checkpoint, generate
 * `[n0, n1, n_2, …, n_N]` decoder-only (the learned per-edge variables exist only for the trained
 * shape) at one β, for every n0 × n1 of the grid (the later layer sizes stay the trained ones, and
 * input sizes the task does not take are skipped), and record the mean loss on the run's task,
 * normalised at each network's own width or (`normalisation: "trained"`) at the trained width.
 * Writes `generalization.json`. Fails with RunError for a network without a hidden layer, a grid no
 * input size of which the task takes, or a trained-scale normalisation the task cannot give.
 */
export const generalize = (runDir: string, settings: GeneralizationSettings, thresholds?: Thresholds) =>
  Effect.gen(function* () {
    const store = yield* RunStore
    const progress = yield* Progress
    const { model: trainedModel, step } = yield* lastModel(runDir)
    const trained = trainedModel.config.shape
    const byTrainedScale = settings.normalisation === "trained"
    const rescale = trainedModel.run.task.atReferenceInputs
    if (byTrainedScale && rescale === undefined) {
      return yield* new RunError({ message: `generalization.normalisation "trained": task ${trainedModel.run.task.name} cannot normalise its target at another width (it defines no targetAt); use "own"` })
    }
    // scored on the trained width's scale: the same model with the task's target normalised at n0 = trained[0]
    const model = byTrainedScale ? { ...trainedModel, run: { ...trainedModel.run, task: rescale!(trained[0]!) } } : trainedModel
    if (trained.length < 3) {
      return yield* new RunError({ message: `generalisation varies the input and first hidden layer sizes; the trained network [${trained.join(", ")}] has no hidden layer` })
    }
    const seeds = seedList(settings.seeds)
    const { min, max } = model.run.task.inputs
    const inputs = settings.inputs.filter((n0) => n0 >= min && n0 <= max)
    if (inputs.length === 0) {
      return yield* new RunError({ message: `task ${model.run.task.name} takes ${min}–${max} inputs: none of the grid's input sizes [${settings.inputs.join(", ")}] fits` })
    }
    const total = inputs.length * settings.hidden.length
    const cells: Array<GeneralizationResult["cells"][number]> = []
    for (const n0 of inputs) {
      for (const n1 of settings.hidden) {
        const shape = [n0, n1, ...trained.slice(2)]
        const [s] = yield* evaluateBetas(model, shape, "decoder-only", [settings.logBeta], seeds, settings.samples, thresholds)
        cells.push({ inputs: n0, hidden: n1, loss: s!.loss, lossMin: s!.lossMin, lossMax: s!.lossMax, algorithm: s!.algorithm })
        yield* progress.update("generalize", { done: cells.length, total, detail: `[${shape.join(", ")}] loss ${formatNumber(s!.loss)}` })
      }
    }
    const result: GeneralizationResult = { step, logBeta: settings.logBeta, seeds: settings.seeds, trained, ...(settings.normalisation === undefined ? {} : { normalisation: settings.normalisation }), cells }
    yield* store.writeJson(store.join(runDir, "generalization.json"), GeneralizationResult, result)
    yield* progress.finish("generalize", `${total} shapes`)
    return result
  }).pipe(Effect.scoped)
