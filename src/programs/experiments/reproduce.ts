import { Effect } from "effect"
import { InvalidInput, quoteValue } from "../../core/base/schemas.js"
import type { ExperimentSettings } from "../../core/run/index.js"
import type { TrainConfig } from "../../core/run/index.js"
import { runExperiment, settingsIn } from "./experiment.js"
import { Experiments } from "./registry.js"
import { report } from "./report.js"
import { train } from "../training/index.js"

export interface ReproduceOptions {
  readonly runDir: string
  readonly config: TrainConfig
  /** The settings of every experiment (recorded in the run's manifest); an experiment they give none for runs with its defaults. */
  readonly experiments: ExperimentSettings
  readonly preset?: string
  /** Continue an interrupted reproduction from its latest checkpoint. */
  readonly resume: boolean
}

/**
 * The whole reproduction: train (recording `experiments` in the manifest), then run every
 * registered experiment that has a result file, in the registry's order (the sweep of every
 * checkpoint, the encoder ablation, generalisation to other shapes and the Adam baseline, then a
 * researcher's own), and write the figures, drawings, `summary.json` and `report.html`. Fails with
 * InvalidInput, before training, when `experiments.extra` names an experiment that is not
 * registered or settings that do not decode.
 */
export const reproduce = (options: ReproduceOptions) =>
  Effect.gen(function* () {
    const { runDir, experiments: e } = options
    const registered = yield* Experiments
    const unknown = Object.keys(e.extra ?? {}).filter((name) => !registered.some((x) => x.name === name))
    if (unknown.length > 0) {
      return yield* new InvalidInput({ source: "experiments.extra", message: `experiments.extra: no experiment named ${unknown.map((n) => quoteValue(n)).join(", ")} is registered (known: ${registered.map((x) => x.name).join(", ")})` })
    }
    const planned = []
    for (const experiment of registered.filter((x) => x.file !== undefined)) {
      planned.push({ experiment, settings: yield* Effect.fromResult(settingsIn(experiment, e, "experiments")) })
    }
    yield* train({
      runDir, config: options.config, resume: options.resume, command: "reproduce", experiments: e,
      ...(options.preset === undefined ? {} : { preset: options.preset })
    })
    for (const { experiment, settings } of planned) yield* runExperiment(experiment, runDir, settings)
    return yield* report(runDir)
  })
