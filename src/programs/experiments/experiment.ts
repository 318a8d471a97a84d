import { type Cause, Effect, Result, Schema, type Scope, SchemaIssue } from "effect"
import type { TopLevelSpec } from "vega-lite"
import { cutList, InvalidInput, quoteValue } from "../../core/base/schemas.js"
import type { TrainingCurve } from "../../core/report/index.js"
import { type ExperimentSettings, recordedSettings, RESERVED_EXPERIMENT_NAMES, RunManifest, type RunSummaryPart } from "../../core/run/index.js"
import { type CellResult, isCellField } from "../../core/study/schemas.js"
import type { Thresholds } from "../../core/network/schemas.js"
import type { Backend } from "../../services/backend/index.js"
import type { Progress } from "../../services/console/index.js"
import type { Rng } from "../../services/rng/index.js"
import { ClassThresholds } from "../../services/settings/index.js"
import { RunStore, type StoreError } from "../../services/store/index.js"

/**
 * An experiment as a value (ARCHITECTURE.md, "Where a new piece goes"), as a block and a task are:
 * what it is called, its settings, the program that runs it on a trained run, its result and
 * file, what the run report shows of it, its command, and what a study cell keeps of it. The
 * library's own (the sweep, ablation, generalisation, baseline and drawings, one file each in this
 * folder) are values of this type registered by name (`registry.ts`), as a researcher's own is:
 * `reproduce`, `report`, `replay`, study plans, study cells and the command line read the registry
 * and nothing else.
 *
 * This module is light (no TensorFlow.js, vega or figures loaded), so that the command line can
 * build its commands from the registry before it loads anything heavy; an experiment's program
 * loads what it needs when it runs (see `load` in core/base).
 */

/**
 * What an experiment's program may use: the run store, progress, the Rng (seeded with the run's
 * root seed by every caller in this library) and the backend, for a scope that closes when it
 * returns. The registry of blocks and tasks (`Registry`) and the class thresholds
 * (`ClassThresholds`) are references the runner sets.
 */
export type ExperimentServices = RunStore | Progress | Rng | Backend | Scope.Scope

/** The run an experiment runs on: its directory and its manifest (config, root seed, recorded settings). */
export interface RunOnDisk {
  readonly dir: string
  readonly manifest: RunManifest
}

/** A flag of an experiment's command, setting one of its settings (the settings Schema checks the value). */
export type ExperimentFlag = { readonly flag: string; readonly description: string } & (
  | { readonly kind: "integer" | "number" | "list" }
  | { readonly kind: "choice"; readonly choices: ReadonlyArray<string> }
)

/** `--<flag> <integer>`. */
export const integerFlag = (flag: string, description: string): ExperimentFlag => ({ flag, description, kind: "integer" })
/** `--<flag> <number>` (any finite number). */
export const numberFlag = (flag: string, description: string): ExperimentFlag => ({ flag, description, kind: "number" })
/** `--<flag> 4,8,16`: a comma-separated list of numbers. */
export const listFlag = (flag: string, description: string): ExperimentFlag => ({ flag, description, kind: "list" })
/** `--<flag> <choice>`: one of `choices`. */
export const choiceFlag = (flag: string, choices: ReadonlyArray<string>, description: string): ExperimentFlag => ({ flag, description, kind: "choice", choices })

/** An experiment's command: `hyperlayers <name> <run> [--config file.json] [--backend …] [flags]`. */
export interface ExperimentCommand<R> {
  /** The subcommand, e.g. `ablate`. */
  readonly name: string
  /** One line for `--help`. */
  readonly description: string
  /** The flags, by the setting each sets (settings without a flag are set by `--config`). */
  readonly flags: Readonly<Record<string, ExperimentFlag>>
  /** The line printed when it is done, e.g. where the result went. */
  done(result: R, runDir: string): string
}

/** A figure of an experiment's report: a Vega-Lite specification the report renders to `figures/<name>.svg` and `.png`. */
export interface ExperimentFigure {
  readonly name: string
  readonly caption: string
  readonly spec: TopLevelSpec
}

/** A section of `report.html`: its title, the names of its figures (shown first), then its HTML. */
export interface ExperimentSection {
  readonly title: string
  readonly figures?: ReadonlyArray<string>
  readonly html?: string
}

/** What the run report shows of an experiment's result. */
export interface ExperimentReport {
  readonly figures?: ReadonlyArray<ExperimentFigure>
  readonly sections?: ReadonlyArray<ExperimentSection>
  /** Findings in sentences (the report's list, in the order of the experiments). */
  readonly findings?: ReadonlyArray<string>
  /** Training curves drawn beside the hypernetwork's (the Adam baseline's). */
  readonly curves?: ReadonlyArray<TrainingCurve>
}

/**
 * What a study cell keeps of an experiment's result: `keep(result)`, decoded by `schema` (the
 * sweep keeps its rows; the baseline its numbers without its curve and weights). A plan names the
 * experiment under `experiments.<name>`; the cell keeps its settings and result in fields of their
 * own for the four experiments cells stored before experiments were values, and under `extra`
 * (by name) for any other (see `CellResult`).
 */
export interface ExperimentCell<R, C> {
  readonly schema: Schema.Codec<C, unknown>
  keep(result: R): C
  /** Every cell of every study runs it (the sweep: a study's readings start from it); otherwise a plan asks for it. */
  readonly always?: boolean
}

/** The errors an experiment fails with are tagged errors (a `_tag` and a message, e.g. `Data.TaggedError`). */
export type ExperimentError = Cause.YieldableError & { readonly _tag: string }

/**
 * An experiment (see the module's description). `S` is its settings, `R` its result, `E` what
 * its program fails with, `C` what a study cell keeps of it.
 */
export interface Experiment<S = unknown, R = unknown, E extends ExperimentError = ExperimentError, C = unknown> {
  /**
   * Its name: the key of its settings in a run's manifest and a `reproduce` config (the built-ins',
   * or `extra.<name>`), in a study plan (`experiments.<name>`) and in a cell. Letters, digits, `.`,
   * `_` or `-`; not `thresholds` or `extra`.
   */
  readonly name: string
  readonly settings: Schema.Codec<S, unknown>
  /** Its settings where neither the run nor the caller give any (a preset may record others). */
  readonly defaults: S
  readonly result: Schema.Codec<R, unknown>
  /**
   * The result's file in the run directory (`sweep.json`), written by the runner with `result`'s
   * JSON codec: what `report` reads, `replay` compares and `reproduce` makes. Without one (the
   * drawings, whose figures are their output) the experiment is run again by every report.
   */
  readonly file?: string
  /** The program: the result of the experiment on `run` with `settings` (the runner writes `file`). */
  run(run: RunOnDisk, settings: S): Effect.Effect<R, E, ExperimentServices>
  /** What the run report shows of a result. */
  report?(result: R, run: RunOnDisk): Effect.Effect<ExperimentReport, E, ExperimentServices>
  /** Its part of `summary.json` (the paper's experiments fill the summary's fields). */
  summary?(result: R): RunSummaryPart
  /** What a study cell keeps of it; without this, no plan may name it. */
  readonly cell?: ExperimentCell<R, C>
  /** Its command; without this, it runs from code (and `reproduce`, `report`, studies). */
  readonly command?: ExperimentCommand<R>
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/
const COMMAND = /^[a-z][a-z0-9-]{0,31}$/
/** Flags every experiment's command has. */
const COMMON_FLAGS = ["config", "backend", "help", "version", "log-level", "completions", "wizard"]

/**
 * An experiment value from its definition, checked: its name (letters, digits, `.`, `_`, `-`; not
 * `thresholds` or `extra`), its file (a plain `*.json` name), its command's name and flags (lower
 * case, none repeated, none of the flags every command has). Fails with {@link InvalidInput} naming
 * every problem.
 */
export const defineExperiment = <S, R, E extends ExperimentError = never, C = never>(definition: Experiment<S, R, E, C>): Result.Result<Experiment<S, R, E, C>, InvalidInput> => {
  const problems: Array<string> = []
  const { name, file, command } = definition
  if (!NAME.test(name)) problems.push(`its name must be 1–64 letters, digits, '.', '_' or '-', starting with a letter or digit (got ${quoteValue(name)})`)
  if (RESERVED_EXPERIMENT_NAMES.includes(name)) problems.push(`${quoteValue(name)} is not an experiment's name (a run's settings keep ${RESERVED_EXPERIMENT_NAMES.join(" and ")} there)`)
  if (file !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]*\.json$/.test(file)) problems.push(`its file must be a plain name ending in .json (got ${quoteValue(file)})`)
  if (command !== undefined) {
    if (!COMMAND.test(command.name)) problems.push(`its command must be a lower-case word (letters, digits, '-'; got ${quoteValue(command.name)})`)
    const flags = Object.values(command.flags).map((f) => f.flag)
    for (const f of flags) {
      if (!COMMAND.test(f)) problems.push(`flag --${f}: a flag is a lower-case word (letters, digits, '-')`)
      else if (COMMON_FLAGS.includes(f)) problems.push(`flag --${f}: every command has it already`)
    }
    const repeated = flags.filter((f, k) => flags.indexOf(f) !== k)
    if (repeated.length > 0) problems.push(`flags repeated: ${[...new Set(repeated)].map((f) => `--${f}`).join(", ")}`)
  }
  return problems.length > 0
    ? Result.fail(new InvalidInput({ source: `experiment ${quoteValue(name)}`, message: `invalid experiment ${quoteValue(name)}: ${cutList(problems, "; ")}` }))
    : Result.succeed(definition)
}

const formatIssues = SchemaIssue.makeFormatterStandardSchemaV1()

/**
 * `raw`, settings as JSON holds them (a manifest's, a plan's, a cell's), decoded by the
 * experiment's settings Schema (unknown keys refused): an {@link InvalidInput} naming `where` and
 * every bad setting otherwise.
 */
export const decodeExperimentSettings = <S, R, E extends ExperimentError>(experiment: Experiment<S, R, E>, raw: unknown, where: string): Result.Result<S, InvalidInput> =>
  Result.mapError(Schema.decodeUnknownResult(Schema.toCodecJson(experiment.settings))(raw, { errors: "all", onExcessProperty: "error" }), (e) => new InvalidInput({
    source: where,
    message: `${where}: invalid settings of experiment ${quoteValue(experiment.name)}: ${cutList(formatIssues(e.issue).issues.map((i) => `${(i.path ?? []).map(String).join(".") || "(the settings)"}: ${i.message}`), "; ")}`
  }))

/**
 * The settings `recorded` (a manifest's or a preset's experiment settings) give an experiment:
 * its own, decoded, or its defaults where they record none.
 */
export const settingsIn = <S, R, E extends ExperimentError>(experiment: Experiment<S, R, E>, recorded: ExperimentSettings | undefined, where: string): Result.Result<S, InvalidInput> => {
  const raw = recorded === undefined ? undefined : recordedSettings(recorded, experiment.name)
  return raw === undefined ? Result.succeed(experiment.defaults) : decodeExperimentSettings(experiment, raw, where)
}

/** A run's manifest. */
export const readManifest = (runDir: string): Effect.Effect<RunManifest, StoreError, RunStore> =>
  Effect.flatMap(RunStore, (store) => store.readJson(store.join(runDir, "manifest.json"), RunManifest))

/** The class thresholds a run classifies with: those its manifest records, else the {@link ClassThresholds} in context (the paper's by default). */
export const runThresholds = (manifest: RunManifest): Effect.Effect<Thresholds> =>
  Effect.gen(function* () {
    return manifest.experiments === undefined ? yield* ClassThresholds : manifest.experiments.thresholds
  })

/** Run `program` with the run's class thresholds (see {@link runThresholds}) as the {@link ClassThresholds}. */
export const withRunThresholds = (manifest: RunManifest) => <A, E, R>(program: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.flatMap(runThresholds(manifest), (thresholds) => Effect.provideService(program, ClassThresholds, thresholds))

/**
 * Run `experiment` on the run in `runDir` with `settings`: its program, classifying with the
 * run's class thresholds (see {@link runThresholds}), for a scope of its own; then its result file
 * (`<runDir>/<file>`, when it has one) is written with its result Schema. Returns the result.
 * Fails with the program's errors, or a StoreError naming the manifest or result file.
 */
export const runExperiment = <S, R, E extends ExperimentError>(experiment: Experiment<S, R, E>, runDir: string, settings: S): Effect.Effect<R, E | StoreError, Exclude<ExperimentServices, Scope.Scope>> =>
  Effect.gen(function* () {
    const store = yield* RunStore
    const manifest = yield* readManifest(runDir)
    const result = yield* Effect.scoped(experiment.run({ dir: runDir, manifest }, settings)).pipe(withRunThresholds(manifest))
    if (experiment.file !== undefined) yield* store.writeJson(store.join(runDir, experiment.file), experiment.result, result)
    return result
  })

/**
 * Run `experiment` on the run in `runDir` with the settings the run records for it (its manifest's
 * experiment settings), or its defaults where it records none: what `replay` and `report` do. See
 * {@link runExperiment}; fails also with InvalidInput when the recorded settings do not decode.
 */
export const runRecorded = <S, R, E extends ExperimentError>(experiment: Experiment<S, R, E>, runDir: string): Effect.Effect<R, E | StoreError | InvalidInput, Exclude<ExperimentServices, Scope.Scope>> =>
  Effect.gen(function* () {
    const manifest = yield* readManifest(runDir)
    const settings = yield* Effect.fromResult(settingsIn(experiment, manifest.experiments, `${runDir}/manifest.json`))
    return yield* runExperiment(experiment, runDir, settings)
  })

/** The command that makes an experiment's result in `runDir` (for the list of what a run has not run yet). */
export const experimentCommandLine = (experiment: Experiment, runDir: string): string =>
  experiment.command === undefined ? `runExperiment(${experiment.name}, ${quoteValue(runDir)}, settings) from code` : `hyperlayers ${experiment.command.name} ${runDir}`

/**
 * What `cell` (a study's cell result) kept of `experiment`, decoded by its cell Schema, or
 * undefined where the cell did not run it; InvalidInput when the kept value does not decode.
 */
export const cellValue = <S, R, E extends ExperimentError, C>(experiment: Experiment<S, R, E, C>, cell: CellResult): Result.Result<C | undefined, InvalidInput> => {
  const name = experiment.name
  const kept: unknown = isCellField(name) ? cell[name] : cell.extra?.[name]
  if (kept === undefined || kept === null || experiment.cell === undefined) return Result.succeed(undefined)
  // a field of its own holds the value itself; `extra` holds its JSON encoding
  const schema = isCellField(name) ? experiment.cell.schema : Schema.toCodecJson(experiment.cell.schema)
  return Result.mapError(Schema.decodeUnknownResult(schema)(kept), (e) =>
    new InvalidInput({ source: `cell ${cell.id}`, message: `cell ${cell.id}: what it kept of experiment ${quoteValue(name)} does not decode: ${e.message}` }))
}
