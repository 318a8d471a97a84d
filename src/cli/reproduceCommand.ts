import { availableParallelism } from "node:os"
import { Console, Effect, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { ExperimentSettings } from "../core/run/index.js"
import { type PresetName, presetNames, presets } from "../core/run/index.js"
import { RunManifest } from "../core/run/index.js"
import { PAPER_CONTOURS } from "../core/run/index.js"
import { formatNumber } from "../core/base/schemas.js"
import { TrainConfig, trainConfigKeys } from "../core/run/index.js"
import { RunError } from "../core/base/schemas.js"
import { systemSeed } from "../services/rng/schemas.js"
import { RunStore } from "../services/store/index.js"
import { decodeSettings, readConfigFile } from "./config.js"
import { backendFlag, load, programLayer } from "./shared.js"
import { newRunDir } from "./trainCommand.js"
import { quoteValue } from "../core/base/schemas.js"

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v)

/** Merge plain objects key by key (arrays and values replace). */
const deepMerge = (base: object, over: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries([...new Set([...Object.keys(base), ...Object.keys(over)])].map((k) => {
    const a = (base as Record<string, unknown>)[k]
    const b = over[k]
    return [k, b === undefined ? a : isObject(a) && isObject(b) ? deepMerge(a, b) : b]
  }))

export const reproduceCommand = Command.make("reproduce", {
  preset: Flag.Literals("preset", presetNames).pipe(Flag.withDefault("quick" as PresetName), Flag.withDescription(
    `how big: ${presetNames.map((p) => `${p}: ${presets[p].description}`).join("; ")}`)),
  out: Flag.String("out").pipe(Flag.optional, Flag.withDescription("run directory (default runs/<date>-<time>-<seed>)")),
  resume: Flag.Boolean("resume").pipe(Flag.withDefault(false), Flag.withDescription("continue an interrupted reproduction in --out")),
  seed: Flag.Int("seed").pipe(Flag.optional, Flag.withDescription("root seed (default: from the system; recorded in the manifest)")),
  steps: Flag.Int("steps").pipe(Flag.optional, Flag.withDescription("override the preset's training steps")),
  threads: Flag.Int("threads").pipe(Flag.optional, Flag.withDescription("threads per training step (default: the preset's: 1 for quick, the machine's cores up to 8 for paper)")),
  config: Flag.File("config", { mustExist: true }).pipe(Flag.optional, Flag.withDescription("JSON file {\"train\": {…}, \"experiments\": {…}} merged over the preset")),
  backend: backendFlag
}, ({ preset, out, resume, seed, steps, threads, config, backend }) => Effect.gen(function* () {
  const store = yield* RunStore
  const p = presets[preset]
  const file = yield* readConfigFile(config)
  const unknown = Object.keys(file).filter((k) => k !== "train" && k !== "experiments")
  if (unknown.length > 0) return yield* new RunError({ message: `--config may hold "train" and "experiments", not ${unknown.join(", ")}` })
  if (resume && Option.isNone(out)) return yield* new RunError({ message: "--resume needs --out <run directory>" })
  let trainDefaults: object = p.train(Option.getOrElse(seed, () => 0), availableParallelism())
  let experimentDefaults: object = p.experiments
  if (resume) {
    // a resumed reproduction keeps its recorded settings
    const m = yield* store.readJson(store.join(store.resolve(Option.getOrThrow(out)), "manifest.json"), RunManifest)
    trainDefaults = m.config
    experimentDefaults = m.experiments ?? experimentDefaults
  } else if (Option.isNone(seed)) {
    trainDefaults = { ...trainDefaults, seed: yield* systemSeed }
  }
  for (const part of ["train", "experiments"]) {
    if (file[part] !== undefined && !isObject(file[part])) return yield* new RunError({ message: `--config: "${part}" must be an object of settings, not ${quoteValue(file[part])}` })
  }
  const trainFile = isObject(file["train"]) ? file["train"] : {}
  const settings = yield* Effect.fromResult(decodeSettings(TrainConfig, { defaults: trainDefaults, file: trainFile, flags: { ...(Option.isSome(steps) ? { steps: steps.value } : {}), ...(Option.isSome(threads) ? { threads: threads.value } : {}) } },
    trainConfigKeys, { steps: "--steps", seed: "--seed", threads: "--threads" }, "train."))
  const experimentsFile = isObject(file["experiments"]) ? file["experiments"] : {}
  const experiments = yield* Effect.fromResult(decodeSettings(ExperimentSettings,
    { defaults: experimentDefaults, file: {}, flags: deepMerge(experimentDefaults, experimentsFile) }, Object.keys(experimentDefaults), {}, "experiments."))
  const runDir = store.resolve(Option.getOrElse(out, () => newRunDir(settings.seed)))
  yield* Console.error(`reproducing (preset ${preset}, seed ${settings.seed}, ${settings.steps} training steps on ${settings.threads} thread${settings.threads > 1 ? "s" : ""}) in ${runDir}`)
  const started = performance.now()
  const { reproduce } = yield* load(() => import("../programs/experiments/index.js"))
  const result = yield* reproduce({ runDir, config: settings, experiments, preset, resume }).pipe(programLayer(backend, Option.some(settings.seed)), store.withRunLock(runDir))
  const f = result.summary.findings
  yield* Console.log([
    "",
    `done in ${((performance.now() - started) / 60000).toFixed(1)} min`,
    ...(f === null ? [] : [
      `classes by checkpoint (majority over β): ${f.majorityByStep.map((m) => `${m.step}:${m.algorithm}`).join(" ")}`,
      f.firstPuddingStep === null ? "no pudding at low β yet" : `pudding at low β from step ${f.firstPuddingStep}${f.convexityBeforePudding ? " (convexity before)" : ""}`
    ]),
    `final mean loss at β ≤ 1e-6: ${formatNumber(result.summary.finalLowBetaLoss ?? Number.NaN)}; Adam baseline: ${formatNumber(result.summary.baselineLoss ?? Number.NaN)}`,
    ...(result.summary.finalLowBetaLoss === null ? [] : stillDeveloping(result.summary.finalLowBetaLoss, preset, runDir, settings.steps)),
    `report: ${result.path}`
  ].join("\n"))
})).pipe(Command.withDescription("The whole reproduction: train, sweep, ablate, generalise, baseline, drawings and report.html"))

/**
 * How the phases develop depends on the seed, and some seeds are still forming the pudding when
 * the preset's steps run out: say so, and how to train on, rather than leave a bare number.
 */
export const stillDeveloping = (lowBetaLoss: number, preset: string, runDir: string, steps: number): ReadonlyArray<string> =>
  lowBetaLoss < PAPER_CONTOURS.outer ? [] : [
    `  above the paper's outer contour (${PAPER_CONTOURS.outer}) at step ${steps}: how the phases develop depends on the seed (the seed table of docs/reproduction.md).`,
    `  Some seeds get there with more steps (hyperlayers reproduce --preset ${preset} --resume --out ${runDir} --steps ${2 * steps}), some stall; another --seed draws another path.`
  ]

export const replayCommand = Command.make("replay", {
  run: Argument.Directory("run", { mustExist: true }).pipe(Argument.withDescription("the run to replay")),
  out: Flag.String("out").pipe(Flag.optional, Flag.withDescription("where to put the replay (default <run>/replay)")),
  backend: Flag.Literals("backend", ["wasm", "cpu", "tensorflow", "webgpu"]).pipe(Flag.optional, Flag.withDescription("backend (default: the run's; results are bit-identical only on the same backend)"))
}, ({ run, out, backend }) => Effect.gen(function* () {
  const store = yield* RunStore
  const manifest = yield* store.readJson(store.join(run, "manifest.json"), RunManifest)
  const chosen = Option.getOrElse(backend, () => manifest.backend as "wasm" | "cpu" | "tensorflow" | "webgpu")
  if (chosen !== manifest.backend) yield* Console.error(`note: the run used ${manifest.backend}; on ${chosen} the results are not expected to be bit-identical`)
  const replayDir = store.resolve(Option.getOrElse(out, () => store.join(run, "replay")))
  if ((yield* store.listCheckpoints(replayDir)).length > 0) return yield* new RunError({ message: `${replayDir} already holds a replay: remove it or pass --out` })
  const { replay } = yield* load(() => import("../programs/experiments/index.js"))
  const result = yield* replay(run, replayDir).pipe(programLayer(chosen, Option.some(manifest.rootSeed)))
  for (const note of result.notes) yield* Console.error(`note: ${note}`)
  if (result.identical) {
    yield* Console.log(`replay identical on ${chosen}: ${result.compared.join(", ")} (replay in ${replayDir})`)
  } else {
    yield* Console.log(`replay NOT identical on ${chosen}:\n  ${result.differences.slice(0, 20).join("\n  ")}${result.differences.length > 20 ? `\n  … ${result.differences.length - 20} more` : ""}`)
    return yield* new RunError({ message: `replay of ${run} differs from the original (${result.differences.length} differences)` })
  }
})).pipe(Command.withDescription("Re-run a run from its manifest and check that every checkpoint and result is identical"))
