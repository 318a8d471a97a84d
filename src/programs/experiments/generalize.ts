import { Effect, Result } from "effect"
import { formatNumber, load, RunError } from "../../core/base/schemas.js"
import { GeneralizationResult, GeneralizationSettings, generalizationSummary, PAPER_CONTOURS, paperExperiments } from "../../core/run/index.js"
import { Progress } from "../../services/console/index.js"
import { choiceFlag, defineExperiment, integerFlag, listFlag, numberFlag, runExperiment } from "./experiment.js"

const training = load(() => import("../training/index.js"))
const figures = load(() => import("../../core/report/index.js"))

/**
 * Generalisation to unseen shapes (Figure 5): with the last checkpoint, generate
 * `[n0, n1, n_2, …, n_N]` decoder-only (the learned per-edge variables exist only for the trained
 * shape) at one β, for every n0 × n1 of the grid (the later layer sizes stay the trained ones, and
 * input sizes the task does not take are skipped), and record the mean loss on the run's task,
 * normalised at each network's own width or (`normalisation: "trained"`) at the trained width.
 * Writes `generalization.json`. Fails with RunError for a network without a hidden layer, a grid no
 * input size of which the task takes, or a trained-scale normalisation the task cannot give.
 */
export const generalizationExperiment = Result.getOrThrow(defineExperiment({
  name: "generalization",
  settings: GeneralizationSettings,
  defaults: paperExperiments.generalization,
  result: GeneralizationResult,
  file: "generalization.json",
  run: (run, settings) => Effect.gen(function* () {
    const { evaluateBetas, lastModel, seedList } = yield* training
    const progress = yield* Progress
    const { model: trainedModel, step } = yield* lastModel(run.dir)
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
        const [s] = yield* evaluateBetas(model, shape, "decoder-only", [settings.logBeta], seeds, settings.samples)
        cells.push({ inputs: n0, hidden: n1, loss: s!.loss, lossMin: s!.lossMin, lossMax: s!.lossMax, algorithm: s!.algorithm })
        yield* progress.update("generalize", { done: cells.length, total, detail: `[${shape.join(", ")}] loss ${formatNumber(s!.loss)}` })
      }
    }
    yield* progress.finish("generalize", `${total} shapes`)
    return { step, logBeta: settings.logBeta, seeds: settings.seeds, trained, ...(settings.normalisation === undefined ? {} : { normalisation: settings.normalisation }), cells } satisfies GeneralizationResult
  }),
  report: (generalization) => Effect.map(figures, (f) => ({
    figures: [{
      name: "generalization", spec: f.generalizationSpec(generalization),
      caption: `Figure 5 analogue: decoder-only loss for shapes never trained on; contours at ${PAPER_CONTOURS.inner} (red) and ${PAPER_CONTOURS.outer} (blue); the star marks the trained shape.`
    }],
    sections: [{ title: "Generalisation to unseen shapes", figures: ["generalization"] }],
    findings: [f.generalizationFinding(generalization)]
  })),
  summary: generalizationSummary,
  cell: { schema: GeneralizationResult.fields.cells, keep: (generalization) => generalization.cells },
  command: {
    name: "generalize",
    description: "Generalisation (Figure 5): decoder-only generation of other shapes [n0, n1, 1], loss per shape → generalization.json",
    flags: {
      inputs: listFlag("inputs", "input sizes n0, e.g. 4,8,16,32,64"), hidden: listFlag("hidden", "hidden sizes n1, e.g. 8,16,48,96,128"),
      logBeta: numberFlag("log-beta", "log10 β of the generations (default -6)"), seeds: integerFlag("seeds", "generation seeds per shape"), samples: integerFlag("samples", "Gaussian inputs per loss"),
      normalisation: choiceFlag("normalisation", ["own", "trained"], "score each width on its own normalised target (default) or on the trained width's (the training targets' shift and scale)")
    },
    done: (g, runDir) => `${g.cells.filter((c) => c.loss < PAPER_CONTOURS.outer).length} of ${g.cells.length} shapes below loss ${PAPER_CONTOURS.outer} → ${runDir}/generalization.json`
  }
}))

/** {@link generalizationExperiment} on the run in `runDir` with `settings` (see `runExperiment`): writes and returns `generalization.json`. */
export const generalize = (runDir: string, settings: GeneralizationSettings) => runExperiment(generalizationExperiment, runDir, settings)
