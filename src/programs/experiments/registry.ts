import { Context, Data, Layer, Result } from "effect"
import { quoteValue } from "../../core/base/schemas.js"
import { ablationExperiment } from "./ablation.js"
import { baselineExperiment } from "./baseline.js"
import { drawingExperiment } from "./drawing.js"
import type { Experiment } from "./experiment.js"
import { generalizationExperiment } from "./generalize.js"
import { sweepExperiment } from "./sweep.js"

/**
 * The library's experiments, in the order `reproduce` runs them and the report shows them: the
 * sweep (Figures 2 and 3), the encoder ablation (Figure 4), generalisation (Figure 5), the Adam
 * baseline (Figure 6) and the drawings (B.1).
 */
export const builtinExperiments: ReadonlyArray<Experiment> = [sweepExperiment, ablationExperiment, generalizationExperiment, baselineExperiment, drawingExperiment]

/**
 * The registry of experiments, by name: what `reproduce`, `report`, `replay`, study plans and
 * cells read. It defaults to the built-in experiments; a researcher's own are added with
 * {@link experimentsLayer}.
 */
export const Experiments = Context.Reference<ReadonlyArray<Experiment>>("hyperlayers/Experiments", { defaultValue: () => builtinExperiments })

/**
 * The built-in experiments, then `extra` (an extra experiment with a built-in's name replaces it,
 * in its place; a replacement of one that cells keep in a field of their own must keep the same
 * cell value).
 */
export const experimentsWith = (extra: ReadonlyArray<Experiment>): ReadonlyArray<Experiment> =>
  [...new Map([...builtinExperiments, ...extra].map((e) => [e.name, e])).values()]

/**
 * The built-in experiments plus `extra` as a layer for the programs.
 *
 * @example
 * study.pipe(Effect.provide(experimentsLayer([weightNorm])))
 */
export const experimentsLayer = (extra: ReadonlyArray<Experiment>): Layer.Layer<never> => Layer.succeed(Experiments, experimentsWith(extra))

/** No experiment of this name is registered (a plan, a cell or a caller names it). */
export class UnknownExperiment extends Data.TaggedError("UnknownExperiment")<{
  readonly name: string
  readonly known: ReadonlyArray<string>
}> {
  override get message(): string {
    return `no experiment named ${quoteValue(this.name)} is registered (known: ${this.known.join(", ")}); register it with experimentsLayer`
  }
}

/** The experiment called `name` among `experiments`, or an {@link UnknownExperiment} listing the known ones. */
export const findExperiment = (experiments: ReadonlyArray<Experiment>, name: string): Result.Result<Experiment, UnknownExperiment> => {
  const found = experiments.find((e) => e.name === name)
  return found !== undefined ? Result.succeed(found) : Result.fail(new UnknownExperiment({ name, known: experiments.map((e) => e.name) }))
}
