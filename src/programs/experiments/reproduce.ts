import { Effect } from "effect"
import type { ExperimentSettings } from "../../core/run/index.js"
import type { TrainConfig } from "../../core/run/index.js"
import { ablation } from "./ablation.js"
import { baseline } from "./baseline.js"
import { generalize } from "./generalize.js"
import { report } from "./report.js"
import { sweep } from "./sweep.js"
import { train } from "../training/index.js"

export interface ReproduceOptions {
  readonly runDir: string
  readonly config: TrainConfig
  readonly experiments: ExperimentSettings
  readonly preset?: string
  /** Continue an interrupted reproduction from its latest checkpoint. */
  readonly resume: boolean
}

/**
 * The whole reproduction: train, then sweep every checkpoint, ablate the encoder, generalise to
 * other shapes, train the Adam baseline, and write the figures, `summary.json` and `report.html`.
 */
export const reproduce = (options: ReproduceOptions) =>
  Effect.gen(function* () {
    const { runDir, experiments: e } = options
    yield* train({
      runDir, config: options.config, resume: options.resume, command: "reproduce", experiments: e,
      ...(options.preset === undefined ? {} : { preset: options.preset })
    })
    yield* sweep(runDir, e.sweep, e.thresholds)
    yield* ablation(runDir, e.ablation, e.thresholds)
    yield* generalize(runDir, e.generalization, e.thresholds)
    yield* baseline(runDir, options.config, e.baseline, e.thresholds)
    return yield* report(runDir, e)
  })
