import { Console, Effect, Option, Schema } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { AblationSettings, BaselineSettings, DrawingSettings, type ExperimentSettings, GeneralizationSettings, paperExperiments, SweepSettings } from "../core/run/index.js"
import { RunManifest } from "../core/run/index.js"
import { formatNumber } from "../core/base/schemas.js"
import { RunStore } from "../services/store/index.js"
import { BaselineResult } from "../core/run/index.js"
import { PAPER_CONTOURS } from "../core/run/index.js"
import { decodeSettings, givenFlags, parseList, readConfigFile } from "./config.js"
import { backendFlag, load, programLayer } from "./shared.js"

const runArgument = Argument.Directory("run", { mustExist: true }).pipe(Argument.withDescription("a run directory (runs/<id>)"))
const configFlag = Flag.File("config", { mustExist: true }).pipe(Flag.optional, Flag.withDescription("JSON file with this experiment's settings (flags win over it)"))
const int = (name: string, description: string) => Flag.Int(name).pipe(Flag.optional, Flag.withDescription(description))
const num = (name: string, description: string) => Flag.Finite(name).pipe(Flag.optional, Flag.withDescription(description))
const list = (name: string, description: string) => Flag.String(name).pipe(Flag.optional, Flag.withDescription(description))

/** A run's manifest: its seed, config and recorded experiment settings. */
const runManifest = (runDir: string) => Effect.flatMap(RunStore, (s) => s.readJson(s.join(runDir, "manifest.json"), RunManifest))

/**
 * Settings for one experiment of a run: the run's recorded settings (or the paper's), then
 * `--config`, then flags. Returns the run's manifest too, whose root seed the experiment uses, and
 * `asWriter`, which runs the experiment as the run's only writer (its lock) and, once it has
 * succeeded, records the settings it ran with in the manifest, so that `replay` re-runs it alike.
 */
const experimentSettings = <K extends keyof ExperimentSettings, A extends ExperimentSettings[K], I>(
  runDir: string, key: K, schema: Schema.Codec<A, I>, file: Option.Option<string>, flags: Record<string, Option.Option<unknown>>, flagNames: Record<string, string>, optionalKeys: ReadonlyArray<string> = []
) => Effect.gen(function* () {
  const store = yield* RunStore
  const manifest = yield* runManifest(runDir)
  const defaults = (manifest.experiments ?? paperExperiments)[key] as object
  const settings = yield* Effect.fromResult(decodeSettings(schema, { defaults, file: yield* readConfigFile(file), flags: givenFlags(flags) }, [...Object.keys(defaults), ...optionalKeys], flagNames))
  const record = Effect.gen(function* () {
    const path = store.join(runDir, "manifest.json")
    const now = yield* store.readJson(path, RunManifest)
    yield* store.writeJson(path, RunManifest, { ...now, experiments: { ...(now.experiments ?? paperExperiments), [key]: settings } })
  })
  const asWriter = <B, E, R>(experiment: Effect.Effect<B, E, R>) => store.withRunLock(runDir)(Effect.tap(experiment, () => record))
  return { manifest, settings, thresholds: (manifest.experiments ?? paperExperiments).thresholds, asWriter }
})

export const sweepCommand = Command.make("sweep", {
  run: runArgument, config: configFlag, backend: backendFlag,
  betas: int("betas", "values of β, log-spaced (default 30)"), seeds: int("seeds", "generation seeds per β (default 8)"),
  samples: int("samples", "Gaussian inputs per loss (default 4096)"), everyCheckpoint: int("every-checkpoint", "use every k-th checkpoint (default 1)"),
  logBetaMin: num("log-beta-min", "lowest log10 β (default -12)"), logBetaMax: num("log-beta-max", "highest log10 β (default 0)")
}, ({ run, config, backend, ...flags }) => Effect.gen(function* () {
  const { manifest, settings, thresholds, asWriter } = yield* experimentSettings(run, "sweep", SweepSettings, config, flags,
    { betas: "--betas", seeds: "--seeds", samples: "--samples", everyCheckpoint: "--every-checkpoint", logBetaMin: "--log-beta-min", logBetaMax: "--log-beta-max" })
  const { sweep } = yield* load(() => import("../programs/experiments/index.js"))
  const result = yield* sweep(run, settings, thresholds).pipe(programLayer(backend, Option.some(manifest.rootSeed)), asWriter)
  yield* Console.log(`swept ${new Set(result.rows.map((r) => r.step)).size} checkpoints × ${settings.betas} β into ${run}/sweep.json`)
})).pipe(Command.withDescription("Evaluate every checkpoint at log-spaced β: loss (mean over generation seeds), KL, α1–α3 and class → sweep.json"))

export const ablateCommand = Command.make("ablate", {
  run: runArgument, config: configFlag, backend: backendFlag,
  betas: int("betas", "values of β on [1e-12, 1] (default 30)"), seeds: int("seeds", "generation seeds per β (default 8)"), samples: int("samples", "Gaussian inputs per loss (default 4096)")
}, ({ run, config, backend, ...flags }) => Effect.gen(function* () {
  const { manifest, settings, thresholds, asWriter } = yield* experimentSettings(run, "ablation", AblationSettings, config, flags, { betas: "--betas", seeds: "--seeds", samples: "--samples" })
  const { ablation } = yield* load(() => import("../programs/experiments/index.js"))
  const result = yield* ablation(run, settings, thresholds).pipe(programLayer(backend, Option.some(manifest.rootSeed)), asWriter)
  const low = result.rows[0]!
  yield* Console.log(`ablation at step ${result.step} → ${run}/ablation.json; at log β = ${low.logBeta}: loss ${formatNumber(low.lossEncoder)} with the encoder, ${formatNumber(low.lossDecoderOnly)} decoder-only`)
})).pipe(Command.withDescription("Encoder ablation (Figure 4): loss with the encoder vs decoder-only, per β, at the last checkpoint → ablation.json"))

export const generalizeCommand = Command.make("generalize", {
  run: runArgument, config: configFlag, backend: backendFlag,
  inputs: list("inputs", "input sizes n0, e.g. 4,8,16,32,64"), hidden: list("hidden", "hidden sizes n1, e.g. 8,16,48,96,128"),
  logBeta: num("log-beta", "log10 β of the generations (default -6)"), seeds: int("seeds", "generation seeds per shape"), samples: int("samples", "Gaussian inputs per loss"),
  normalisation: Flag.Literals("normalisation", ["own", "trained"]).pipe(Flag.optional, Flag.withDescription("score each width on its own normalised target (default) or on the trained width's (the training targets' shift and scale)"))
}, ({ run, config, backend, inputs, hidden, ...flags }) => Effect.gen(function* () {
  const { manifest, settings, thresholds, asWriter } = yield* experimentSettings(run, "generalization", GeneralizationSettings, config,
    { ...flags, inputs: Option.map(inputs, parseList), hidden: Option.map(hidden, parseList) },
    { inputs: "--inputs", hidden: "--hidden", logBeta: "--log-beta", seeds: "--seeds", samples: "--samples", normalisation: "--normalisation" }, ["normalisation"])
  const { generalize } = yield* load(() => import("../programs/experiments/index.js"))
  const result = yield* generalize(run, settings, thresholds).pipe(programLayer(backend, Option.some(manifest.rootSeed)), asWriter)
  yield* Console.log(`${result.cells.filter((c) => c.loss < PAPER_CONTOURS.outer).length} of ${result.cells.length} shapes below loss ${PAPER_CONTOURS.outer} → ${run}/generalization.json`)
})).pipe(Command.withDescription("Generalisation (Figure 5): decoder-only generation of other shapes [n0, n1, 1], loss per shape → generalization.json"))

export const baselineCommand = Command.make("baseline", {
  run: runArgument, config: configFlag, backend: backendFlag,
  steps: int("steps", "Adam steps"), batch: int("batch", "Gaussian inputs per step"), learningRate: num("lr", "Adam learning rate"),
  logEvery: int("log-every", "steps between points of the loss curve"), samples: int("samples", "inputs for the final loss")
}, ({ run, config, backend, ...flags }) => Effect.gen(function* () {
  const { manifest, settings, thresholds, asWriter } = yield* experimentSettings(run, "baseline", BaselineSettings, config, flags,
    { steps: "--steps", batch: "--batch", learningRate: "--lr", logEvery: "--log-every", samples: "--samples" })
  const { baseline } = yield* load(() => import("../programs/experiments/index.js"))
  const result = yield* baseline(run, manifest.config, settings, thresholds).pipe(programLayer(backend, Option.some(manifest.rootSeed)), asWriter)
  yield* Console.log(`Adam baseline: loss ${formatNumber(result.loss)}, α1 ${formatNumber(result.alpha1)}, α2 ${formatNumber(result.alpha2)}, class ${result.algorithm} → ${run}/baseline.json`)
})).pipe(Command.withDescription("Baseline (Figure 6): the target network trained directly with Adam, its loss and order parameters → baseline.json"))

export const drawCommand = Command.make("draw", {
  run: runArgument, config: configFlag, backend: backendFlag,
  lowLogBeta: num("low-log-beta", "log10 β of the first drawing (default -12)"), highLogBeta: num("high-log-beta", "log10 β of the second (default 0)"),
  seed: int("generation-seed", "generation seed of the drawn networks (default 0)"), iterations: int("iterations", "gradient steps of the layout")
}, ({ run, config, backend, ...flags }) => Effect.gen(function* () {
  const { manifest, settings, asWriter } = yield* experimentSettings(run, "drawing", DrawingSettings, config, flags,
    { lowLogBeta: "--low-log-beta", highLogBeta: "--high-log-beta", seed: "--generation-seed", iterations: "--iterations" })
  const store = yield* RunStore
  const baselinePath = store.join(run, "baseline.json")
  const base = (yield* store.exists(baselinePath)) ? Option.some((yield* store.readJson(baselinePath, BaselineResult)).network) : Option.none()
  const [{ drawConstructions, drawRun }, { writeFigure }, { constructionsApply }] = yield* load(() => Promise.all([import("../programs/experiments/index.js"), import("../programs/experiments/index.js"), import("../programs/experiments/index.js")]))
  const figures = yield* Effect.gen(function* () {
    const { shape, task } = manifest.config
    const drawn = [...(yield* drawRun(run, settings, Option.getOrUndefined(base))), ...(constructionsApply(task, shape) ? yield* drawConstructions(shape[0]!, shape[1]!, settings) : [])]
    for (const f of drawn) yield* writeFigure(run, f)
    return drawn
  }).pipe(programLayer(backend, Option.some(manifest.rootSeed)), asWriter)
  yield* Console.log(`drew ${figures.map((f) => f.name).join(", ")} → ${run}/figures/`)
})).pipe(Command.withDescription("Force-directed drawings (B.1) of generated networks at a low and a high β, the Adam baseline and the constructions → figures/"))

export const reportCommand = Command.make("report", { run: runArgument, backend: backendFlag }, ({ run, backend }) => Effect.gen(function* () {
  const manifest = yield* runManifest(run)
  const store = yield* RunStore
  const { report, experimentCommand } = yield* load(() => import("../programs/experiments/index.js"))
  const result = yield* report(run, manifest.experiments ?? paperExperiments).pipe(programLayer(backend, Option.some(manifest.rootSeed)), store.withRunLock(run))
  yield* Console.log(`report: ${result.path}`)
  for (const e of result.summary.missing) yield* Console.log(`  not run yet: ${e} (${experimentCommand(e, run)})`)
})).pipe(Command.withDescription("Figures, summary.json and a self-contained report.html from whatever results a run has (it lists the experiments not run yet, with their commands)"))
