import { Console, Effect, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { paperExperiments, RunManifest, withRecordedSettings } from "../core/run/index.js"
import { type Experiment, type ExperimentFlag, builtinExperiments, experimentCommandLine, runExperiment, settingsIn } from "../programs/experiments/schemas.js"
import { RunStore } from "../services/store/index.js"
import { decodeSettings, givenFlags, parseList, readConfigFile } from "./config.js"
import { backendFlag, load, programLayer } from "./shared.js"

const runArgument = Argument.Directory("run", { mustExist: true }).pipe(Argument.withDescription("a run directory (runs/<id>)"))
const configFlag = Flag.File("config", { mustExist: true }).pipe(Flag.optional, Flag.withDescription("JSON file with this experiment's settings (flags win over it)"))

/** A command-line flag from an experiment's description of it (optional: the run's recorded settings, then `--config`, fill what is not given). */
const flagOf = (f: ExperimentFlag): Flag.Flag<Option.Option<unknown>> => {
  const flag = f.kind === "integer" ? Flag.Int(f.flag)
    : f.kind === "number" ? Flag.Finite(f.flag)
    : f.kind === "choice" ? Flag.Literals(f.flag, f.choices)
    : Flag.String(f.flag)
  return (flag as Flag.Flag<unknown>).pipe(Flag.optional, Flag.withDescription(f.description))
}

/** A run's manifest: its seed, config and recorded experiment settings. */
const runManifest = (runDir: string) => Effect.flatMap(RunStore, (s) => s.readJson(s.join(runDir, "manifest.json"), RunManifest))

/**
 * The command of an experiment (`hyperlayers <name> <run>`): its settings are the run's recorded
 * ones (or the experiment's defaults), then `--config`, then the flags, decoded with its settings
 * Schema (a bad value is named with its flag). It runs as the run's only writer (its lock), seeded
 * with the run's root seed and classifying with the run's thresholds, writes its result, and, once
 * it has succeeded, records the settings it ran with in the manifest, so that `replay` re-runs it
 * alike. The experiment's program is loaded only when the command runs.
 */
export const experimentCommand = (experiment: Experiment, command: NonNullable<Experiment["command"]>) => Command.make(command.name, {
  run: runArgument, config: configFlag, backend: backendFlag,
  settings: Object.fromEntries(Object.entries(command.flags).map(([key, f]) => [key, flagOf(f)]))
}, ({ run, config, backend, settings: flags }) => Effect.gen(function* () {
  const store = yield* RunStore
  const manifest = yield* runManifest(run)
  const defaults = yield* Effect.fromResult(settingsIn(experiment, manifest.experiments, `${run}/manifest.json`))
  const lists = Object.entries(command.flags).filter(([, f]) => f.kind === "list").map(([key]) => key)
  const given = Object.fromEntries(Object.entries(flags).map(([key, v]) => [key, lists.includes(key) ? Option.map(v, (text) => parseList(String(text))) : v]))
  const settings = yield* Effect.fromResult(decodeSettings(experiment.settings, { defaults: defaults as object, file: yield* readConfigFile(config), flags: givenFlags(given) },
    [...new Set([...Object.keys(defaults as object), ...Object.keys(command.flags)])], Object.fromEntries(Object.entries(command.flags).map(([key, f]) => [key, `--${f.flag}`]))))
  const record = Effect.gen(function* () {
    const path = store.join(run, "manifest.json")
    const now = yield* store.readJson(path, RunManifest)
    yield* store.writeJson(path, RunManifest, { ...now, experiments: withRecordedSettings(now.experiments ?? paperExperiments, experiment.name, settings) })
  })
  const result = yield* runExperiment(experiment, run, settings).pipe(programLayer(backend, Option.some(manifest.rootSeed)), Effect.tap(() => record), store.withRunLock(run))
  yield* Console.log(command.done(result, run))
})).pipe(Command.withDescription(command.description))

/** The commands of the built-in experiments (`sweep`, `ablate`, `generalize`, `baseline`, `draw`), from the registry's values. */
export const experimentCommands = builtinExperiments.flatMap((e) => (e.command === undefined ? [] : [experimentCommand(e, e.command)]))

export const reportCommand = Command.make("report", { run: runArgument, backend: backendFlag }, ({ run, backend }) => Effect.gen(function* () {
  const manifest = yield* runManifest(run)
  const store = yield* RunStore
  const { report, Experiments } = yield* load(() => import("../programs/experiments/index.js"))
  const result = yield* report(run).pipe(programLayer(backend, Option.some(manifest.rootSeed)), store.withRunLock(run))
  yield* Console.log(`report: ${result.path}`)
  const experiments = yield* Experiments
  for (const name of result.summary.missing) {
    const e = experiments.find((x) => x.name === name)
    if (e !== undefined) yield* Console.log(`  not run yet: ${name} (${experimentCommandLine(e, run)})`)
  }
})).pipe(Command.withDescription("Figures, summary.json and a self-contained report.html from whatever results a run has (it lists the experiments not run yet, with their commands)"))
