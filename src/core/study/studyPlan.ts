import { Result, Schema, SchemaIssue } from "effect"
import { type Canonical, cellId } from "./cellId.js"
import { Thresholds } from "../network/schemas.js"
import { InvalidInput } from "../base/schemas.js"
import { AblationSettings, BaselineSettings, GeneralizationSettings, recordedSettings, SweepSettings } from "../run/index.js"
import { paperHypernetworkSpec, PaperSizes, paperSizes } from "../hypernetwork/index.js"
import { type PresetName, presetNames, presets } from "../run/index.js"
import { cutList, cutText, quoteValue } from "../base/schemas.js"
import { TrainConfig } from "../run/index.js"

/**
 * A study: training configurations ("arms") × seeds, each finished run then measured by the same
 * experiments. A plan is a JSON file, `studies/<name>/plan.json`; every (arm, seed) is a *cell*
 * whose id is a hash of its resolved settings ({@link cellId}).
 */

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/
const Name = (what: string) => Schema.String.check(Schema.makeFilter((s: string) =>
  NAME.test(s) || `${what} must be 1–64 letters, digits, '.', '_' or '-', starting with a letter or digit (got ${quoteValue(s)})`))
const Seed = Schema.Number.check(
  Schema.isInt({ message: "a seed must be an integer" }),
  Schema.isBetween({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }, { message: `a seed must be in [0, ${Number.MAX_SAFE_INTEGER}]` })
)
/** Settings to lay over a base, checked once merged (so a typo or bad value is named there). */
const Overrides = Schema.Record(Schema.String, Schema.Unknown)
/** `true`: run the experiment with the base preset's settings; an object: with these changes; `false` or absent: don't. */
const ExperimentChoice = Schema.Union([Schema.Boolean, Overrides])
const MAX_SEEDS = 100_000

export const StudyArm = Schema.Struct({
  name: Name("an arm's name"),
  description: Schema.optional(Schema.String),
  /** A preset (`src/core/run/presets.ts`) whose training settings (on one thread) the arm starts from. */
  base: Schema.Literals(presetNames),
  /**
   * Changes to the preset's training settings, e.g. `{ "learningRate": 0.001 }`,
   * `{ "hypernetwork": { "paper": { "depth": 5 } } }` or `{ "task": "l2" }`.
   */
  overrides: Schema.optional(Overrides),
  /** This arm's seeds, when not the plan's (an arm testing a hypothesis may need fewer). */
  seeds: Schema.optional(Schema.suspend(() => StudySeeds))
})
export type StudyArm = typeof StudyArm.Type

/** Seeds as a list, or as `count` consecutive seeds from `root` (root, root + 1, …). */
export const StudySeeds = Schema.Union([
  Schema.Array(Seed).check(
    Schema.isMinLength(1, { message: "seeds needs at least one seed" }),
    Schema.isMaxLength(MAX_SEEDS, { message: `seeds holds at most ${MAX_SEEDS} seeds` }),
    Schema.makeFilter((s: ReadonlyArray<number>) => new Set(s).size === s.length || "seeds must not repeat a seed")
  ),
  Schema.Struct({
    count: Schema.Number.check(Schema.isInt({ message: "seeds.count must be an integer" }), Schema.isBetween({ minimum: 1, maximum: MAX_SEEDS }, { message: `seeds.count must be in [1, ${MAX_SEEDS}]` })),
    root: Seed
  }).check(Schema.makeFilter((s: { count: number; root: number }) =>
    s.root + s.count - 1 <= Number.MAX_SAFE_INTEGER || "seeds.root + seeds.count - 1 must not exceed the largest seed"))
])
export type StudySeeds = typeof StudySeeds.Type

/** `plan.json`. */
export const StudyPlan = Schema.Struct({
  name: Name("the study's name"),
  description: Schema.optional(Schema.String),
  arms: Schema.Array(StudyArm).check(
    Schema.isMinLength(1, { message: "a study needs at least one arm" }),
    Schema.makeFilter((arms: ReadonlyArray<{ name: string }>) => {
      const names = arms.map((a) => a.name)
      const repeated = names.filter((n, k) => names.indexOf(n) !== k)
      return repeated.length === 0 || `arm names must differ (repeated: ${cutList([...new Set(repeated)].map((n) => cutText(n)), ", ", 5)})`
    })
  ),
  seeds: StudySeeds,
  /**
   * Results files of other studies (paths relative to this plan's directory, e.g.
   * `["../quick-paths/results.json"]`) whose finished cells this study may take as its own: a cell
   * of this plan whose id (its settings, seed and experiments) is in one of them is not run again
   * but copied into this study's results under this plan's arm. A control arm shared with an
   * earlier study costs nothing.
   */
  reuse: Schema.optional(Schema.Array(Schema.String.check(Schema.isMinLength(1, { message: "a reuse path must not be empty" })))),
  /**
   * Dose–response readings for the report: arms that differ in one numeric setting (a dotted path
   * into the resolved training settings, e.g. `logBetaMax`), tested for a trend in the share of
   * memorised seeds (Cochran–Armitage).
   */
  trends: Schema.optional(Schema.Array(Schema.Struct({
    name: Schema.String.check(Schema.isMinLength(1, { message: "a trend needs a name" })),
    setting: Schema.String.check(Schema.isMinLength(1, { message: "a trend's setting must name a setting, e.g. logBetaMax" })),
    arms: Schema.Array(Schema.String).check(Schema.isMinLength(2, { message: "a trend needs at least two arms" }))
  }))),
  /**
   * What to measure on each finished run, by the name of a registered experiment that a cell can
   * keep (the sweep, `ablation`, `generalization`, `baseline`, or a researcher's own): `true`, or
   * changes of its settings. An experiment every cell runs (the sweep) runs when absent too.
   */
  experiments: Schema.Record(Schema.String, ExperimentChoice)
})
export type StudyPlan = typeof StudyPlan.Type

/**
 * The experiments a cell runs after training, fully resolved. The four a cell ran before
 * experiments were values keep fields of their own (`null`: not run), so that committed results
 * keep decoding and keep their ids; a researcher's own keeps its settings under `extra.<name>`
 * (in its settings Schema's encoding), present only when the cell runs it.
 */
export const CellExperiments = Schema.Struct({
  sweep: SweepSettings,
  ablation: Schema.NullOr(AblationSettings),
  generalization: Schema.NullOr(GeneralizationSettings),
  baseline: Schema.NullOr(BaselineSettings),
  thresholds: Thresholds,
  extra: Schema.optional(Schema.Record(Schema.String, Schema.Unknown))
})
export type CellExperiments = typeof CellExperiments.Type

/** The experiments a cell keeps in fields of their own (of {@link CellExperiments} and `CellResult`), null when it does not run them. */
export const CELL_FIELDS = ["sweep", "ablation", "generalization", "baseline"] as const
export type CellField = typeof CELL_FIELDS[number]
/** Whether a cell keeps experiment `name` in a field of its own rather than under `extra`. */
export const isCellField = (name: string): name is CellField => (CELL_FIELDS as ReadonlyArray<string>).includes(name)

/**
 * What a study plan needs of an experiment (an experiment value of programs/experiments has it):
 * its name, settings Schema and defaults (a preset's recorded settings win), and whether a cell
 * keeps it (`cell`; `always`: every cell runs it).
 */
export interface PlannedExperiment {
  readonly name: string
  readonly settings: Schema.Codec<unknown, unknown>
  readonly defaults: unknown
  readonly cell?: { readonly always?: boolean }
}

/** One (arm, seed) of a study, resolved: everything a runner needs to compute its result. */
export const StudyCell = Schema.Struct({
  /** {@link cellId} of `config`, `seed` and `experiments`. */
  id: Schema.String,
  study: Schema.String,
  arm: Schema.String,
  seed: Seed,
  config: TrainConfig,
  experiments: CellExperiments
})
export type StudyCell = typeof StudyCell.Type

const formatIssues = SchemaIssue.makeFormatterStandardSchemaV1()

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v)

/** `overrides` laid over `base`: objects are merged key by key at every depth; anything else replaces. */
export const mergeSettings = (base: unknown, overrides: unknown): unknown =>
  isRecord(base) && isRecord(overrides)
    ? Object.fromEntries([...new Set([...Object.keys(base), ...Object.keys(overrides)])].map((k) => [k, k in overrides ? mergeSettings(base[k], overrides[k]) : base[k]]))
    : overrides

/** Decode merged settings; unknown keys are errors (a typo must not be silently ignored). */
const decodeStrict = <A, I>(schema: Schema.Codec<A, I>, value: unknown, where: string): Result.Result<A, string> => {
  const r = Schema.decodeUnknownResult(schema)(value, { errors: "all", onExcessProperty: "error" })
  if (Result.isSuccess(r)) return Result.succeed(r.success)
  return Result.fail(cutList(formatIssues(r.failure.issue).issues.map((i) => {
    const path = (i.path ?? []).map((p) => cutText(String(p)))
    return `${where}${path.length > 0 ? `.${path.join(".")}` : ""}: ${/excess property/i.test(i.message) ? "unknown setting" : i.message}`
  }), "; "))
}

/**
 * An arm's `hypernetwork` override may name the paper's architecture at other widths,
 * `{ "paper": { "depth": 5 } }` (any of {@link PaperSizes}, the rest the paper's): it is replaced by
 * that spec. Any other object is merged over the preset's spec key by key (`{ "hyperhypernetwork":
 * { "perEdge": "plain" } }`); arrays such as `stages` replace the preset's.
 */
const expandHypernetwork = (overrides: Record<string, unknown>, where: string): Result.Result<Record<string, unknown>, string> => {
  const h = overrides["hypernetwork"]
  if (!isRecord(h) || !("paper" in h)) return Result.succeed(overrides)
  if (Object.keys(h).length !== 1) return Result.fail(`${where}: overrides.hypernetwork: { "paper": {…} } stands alone (got also ${cutList(Object.keys(h).filter((k) => k !== "paper").map((k) => cutText(k)), ", ", 5)})`)
  const sizes = decodeStrict(PaperSizes, mergeSettings(paperSizes, h["paper"]), `${where}: overrides.hypernetwork.paper`)
  return Result.isFailure(sizes) ? Result.fail(sizes.failure) : Result.succeed({ ...overrides, hypernetwork: paperHypernetworkSpec(sizes.success) })
}

/** The seeds of a plan, in order. */
export const planSeeds = (seeds: StudySeeds): ReadonlyArray<number> =>
  "count" in seeds ? Array.from({ length: seeds.count }, (_, k) => seeds.root + k) : seeds

/**
 * The experiments of a plan resolved for one arm: each registered experiment a cell keeps, with
 * the preset's settings (or the experiment's defaults where the preset records none) and the
 * plan's changes; `null` for one the plan does not ask for that keeps a field of its own. Pushes
 * a message to `problems` for each bad setting.
 */
const resolveExperiments = (
  plan: StudyPlan, preset: (typeof presets)[PresetName], where: string, registered: ReadonlyArray<PlannedExperiment>, problems: Array<string>
): CellExperiments | undefined => {
  const kept = registered.filter((e) => e.cell !== undefined)
  const before = problems.length
  const experiments: Record<string, unknown> = {}
  const extra: Record<string, unknown> = {}
  for (const e of kept) {
    const asked = plan.experiments[e.name]
    const choice = e.cell?.always === true && (asked === undefined || asked === false) ? true : asked ?? false
    if (choice === false) {
      if (isCellField(e.name)) experiments[e.name] = null
      continue
    }
    const base = recordedSettings(preset.experiments, e.name) ?? e.defaults
    const settings = decodeStrict(e.settings, choice === true ? base : mergeSettings(base, choice), `${where}: experiments.${e.name}`)
    if (Result.isFailure(settings)) problems.push(settings.failure)
    else if (isCellField(e.name)) experiments[e.name] = settings.success
    else extra[e.name] = Schema.encodeUnknownSync(Schema.toCodecJson(e.settings))(settings.success)
  }
  if (problems.length > before) return undefined
  experiments["thresholds"] = preset.experiments.thresholds
  if (Object.keys(extra).length > 0) experiments["extra"] = extra
  return experiments as unknown as CellExperiments
}

/**
 * Every cell of a plan, arm by arm and seed by seed (the order of the results file). A cell's
 * training settings are its arm's preset at one thread for the seed, with the arm's overrides laid
 * over them and decoded with {@link TrainConfig}; its experiment settings are the preset's, with the
 * plan's changes, for the `experiments` registered (see {@link PlannedExperiment}). Fails with a
 * message naming the arm and setting of every problem: an unknown key or experiment, a bad value,
 * an override of `seed` (the plan's seeds set it), a config `checkRun` refuses (a hypernetwork that
 * does not build, a task that does not fit the shape: see `checkRunDefinition`), or two arms that
 * resolve to the same settings (the same cells).
 */
export const resolvePlan = (
  plan: StudyPlan, experiments: ReadonlyArray<PlannedExperiment>, source = "plan", checkRun: (config: TrainConfig) => string | undefined = () => undefined
): Result.Result<ReadonlyArray<StudyCell>, InvalidInput> => {
  const problems: Array<string> = []
  const cells: Array<StudyCell> = []
  const owner = new Map<string, string>()
  const kept = experiments.filter((e) => e.cell !== undefined)
  for (const name of Object.keys(plan.experiments)) {
    if (!kept.some((e) => e.name === name)) {
      problems.push(`experiments.${cutText(name)}: no experiment of that name that a study cell can keep is registered (known: ${kept.map((e) => e.name).join(", ")})`)
    }
  }
  for (const e of kept) {
    if (e.cell?.always === true && plan.experiments[e.name] === false) problems.push(`experiments.${e.name} cannot be false: every cell runs it`)
  }
  for (const arm of plan.arms) {
    const preset = presets[arm.base as PresetName]
    const where = `arm ${quoteValue(arm.name)}`
    if (arm.overrides !== undefined && "seed" in arm.overrides) {
      problems.push(`${where}: overrides.seed: a cell's seed comes from the plan's seeds, not from an arm`)
      continue
    }
    const resolved = resolveExperiments(plan, preset, where, experiments, problems)
    let armOk = resolved !== undefined
    const armCells: Array<StudyCell> = []
    const seeds = planSeeds(arm.seeds ?? plan.seeds)
    const overrides = expandHypernetwork(arm.overrides ?? {}, where)
    if (Result.isFailure(overrides)) {
      problems.push(overrides.failure)
      continue
    }
    for (const seed of seeds) {
      const config = decodeStrict(TrainConfig, mergeSettings(preset.train(seed, 1), overrides.success), `${where}: overrides`)
      if (Result.isFailure(config)) {
        problems.push(config.failure)
        armOk = false
        break // the same problem for every seed
      }
      const unfit = checkRun(config.success)
      if (unfit !== undefined) {
        problems.push(`${where}: overrides: ${unfit}`)
        armOk = false
        break
      }
      if (!armOk) break
      const id = cellId({ config: config.success as unknown as Canonical, seed, experiments: resolved as unknown as Canonical })
      armCells.push({ id, study: plan.name, arm: arm.name, seed, config: config.success, experiments: resolved! })
    }
    if (!armOk) continue
    const same = armCells.map((c) => owner.get(c.id)).find((o) => o !== undefined)
    if (same !== undefined) {
      problems.push(`${where} resolves to the same settings as arm ${quoteValue(same)}: its cells would be the same cells`)
      continue
    }
    for (const c of armCells) owner.set(c.id, arm.name)
    cells.push(...armCells)
  }
  for (const [k, trend] of (plan.trends ?? []).entries()) {
    for (const arm of trend.arms) {
      if (!plan.arms.some((a) => a.name === arm)) problems.push(`trends[${k}] (${JSON.stringify(trend.name)}): no arm is named ${JSON.stringify(arm)}`)
      else if (cells.some((c) => c.arm === arm) && settingScore(cells, arm, trend.setting) === undefined) {
        problems.push(`trends[${k}] (${JSON.stringify(trend.name)}): ${trend.setting} is not a number in arm ${JSON.stringify(arm)}'s settings`)
      }
    }
  }
  return problems.length > 0
    ? Result.fail(new InvalidInput({ source, message: `invalid study plan ${source}: ${cutList(problems, "; ")}` }))
    : Result.succeed(cells)
}

/**
 * The value of a numeric training setting (a dotted path such as `logBetaMax` or
 * `hypernetwork.hyperhypernetwork.perEdgeScale`) in an arm's resolved settings, or undefined when
 * the arm has no cells or the setting is not a finite number there.
 */
export const settingScore = (cells: ReadonlyArray<StudyCell>, arm: string, setting: string): number | undefined => {
  const cell = cells.find((c) => c.arm === arm)
  if (cell === undefined) return undefined
  const value = setting.split(".").reduce<unknown>((v, key) => (isRecord(v) ? v[key] : undefined), cell.config)
  return typeof value === "number" && Number.isFinite(value) ? value : undefined
}

/** Decode `plan.json`'s parsed text: a typed error naming every bad field. */
export const decodePlan = (raw: unknown, source = "plan"): Result.Result<StudyPlan, InvalidInput> => {
  const r = decodeStrict(StudyPlan, raw, "")
  return Result.isSuccess(r)
    ? Result.succeed(r.success)
    : Result.fail(new InvalidInput({ source, message: `invalid study plan ${source}: ${r.failure.replace(/^\.|(; )\./g, "$1")}` }))
}

/**
 * The order in which a study hands its unfinished cells to runners: round-robin over the arms, the
 * k-th seed of every arm before the (k + 1)-th of any (arms in plan order within a round). A study
 * stopped part-way (a session's end, a machine's) then holds about as many seeds of each arm, so
 * its arms can be compared from the first results on, rather than the first arm finished and the
 * others not begun; and a study continued from a committed `results.json` takes up the arms that
 * are behind first (order every cell of the plan, then drop the finished ones). Cells keep their
 * plan order in `results.json`; only the dispatch changes. `cells` as {@link resolvePlan} returns
 * them (arm by arm); the result is a permutation of them.
 */
export const dispatchOrder = <C extends Pick<StudyCell, "arm">>(cells: ReadonlyArray<C>): Array<C> => {
  const armIndex = new Map<string, number>()
  const position = new Map<string, number>()
  const keyed = cells.map((cell, index) => {
    if (!armIndex.has(cell.arm)) armIndex.set(cell.arm, armIndex.size)
    const k = position.get(cell.arm) ?? 0
    position.set(cell.arm, k + 1)
    return { cell, round: k, arm: armIndex.get(cell.arm)!, index }
  })
  return keyed.sort((a, b) => a.round - b.round || a.arm - b.arm || a.index - b.index).map((k) => k.cell)
}

/** `3 arms: quick × 33 seeds, plain-learned × 12, four-hyperlayers × 12` (for logs and reports). */
export const describeArms = (cells: ReadonlyArray<Pick<StudyCell, "arm">>): string => {
  const counts = new Map<string, number>()
  for (const c of cells) counts.set(c.arm, (counts.get(c.arm) ?? 0) + 1)
  const parts = [...counts].map(([arm, n], i) => `${arm} × ${n}${i === 0 ? (n === 1 ? " seed" : " seeds") : ""}`)
  return `${counts.size} arm${counts.size === 1 ? "" : "s"}: ${parts.join(", ")}`
}
