import { Console, Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { InvalidInput } from "../core/base/schemas.js"
import { decodeSimilaritySettings, type SimilarityPresetName, similarityPresets } from "../core/similarity/schemas.js"
import { systemSeed } from "../services/rng/schemas.js"
import { RunStore } from "../services/store/index.js"
import { backendFlag, load, programLayer } from "./shared.js"
import { errorMessage } from "../core/base/schemas.js"
import { quoteValue } from "../core/base/schemas.js"

type Json = Record<string, unknown>
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v)

/** `b` over `a`, objects merged key by key (arrays and values replaced). */
export const deepMerge = (a: Json, b: Json): Json =>
  Object.fromEntries([...new Set([...Object.keys(a), ...Object.keys(b)])].map((k) =>
    [k, isObject(a[k]) && isObject(b[k]) ? deepMerge(a[k] as Json, b[k] as Json) : k in b ? b[k] : a[k]]))

/** `"0.1,0.5"` → `[0.1, 0.5]`; `"penguins,synthetic"` → `["penguins", "synthetic"]`. */
const splitList = (text: string, numeric: boolean, flag: string): Effect.Effect<ReadonlyArray<unknown>, InvalidInput> => {
  const parts = text.split(",").map((s) => s.trim()).filter((s) => s !== "")
  if (parts.length === 0) return Effect.fail(new InvalidInput({ source: flag, message: `${flag} needs a comma-separated list, got ${quoteValue(text)}` }))
  if (!numeric) return Effect.succeed(parts)
  const bad = parts.find((p) => !Number.isFinite(Number(p)))
  return bad === undefined ? Effect.succeed(parts.map(Number)) : Effect.fail(new InvalidInput({ source: flag, message: `${flag} expects numbers (e.g. 0.1,0.25,0.5), got ${quoteValue(bad)}` }))
}

const readJsonFile = (path: string) => Effect.gen(function* () {
  const store = yield* RunStore
  const text = yield* store.readText(path).pipe(Effect.mapError((e) => new InvalidInput({ source: "--config", message: e.message })))
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (e) {
    return yield* new InvalidInput({ source: "--config", message: `--config ${path} is not JSON: ${errorMessage(e)}` })
  }
  if (!isObject(raw)) return yield* new InvalidInput({ source: "--config", message: `--config ${path} must hold a JSON object of similarity settings` })
  return raw
})

const int = (name: string, description: string) => Flag.Int(name).pipe(Flag.optional, Flag.withDescription(description))
const num = (name: string, description: string) => Flag.Finite(name).pipe(Flag.optional, Flag.withDescription(description))
const str = (name: string, description: string) => Flag.String(name).pipe(Flag.optional, Flag.withDescription(description))

export const similarityCommand = Command.make("similarity", {
  preset: Flag.Literals("preset", Object.keys(similarityPresets) as ReadonlyArray<SimilarityPresetName>).pipe(Flag.withDefault("quick" as SimilarityPresetName),
    Flag.withDescription("starting settings: quick (about a minute on a 2-core CPU) or full (more references, zoo members and steps)")),
  config: Flag.File("config", { mustExist: true }).pipe(Flag.optional, Flag.withDescription("JSON file of settings over the preset, nested as in the manifest (flags win over it)")),
  out: str("out", "run directory (default runs/similarity-<date>-<time>-<seed>)"),
  seed: int("seed", "root seed of every random draw (default: from the system; recorded in the manifest)"),
  backend: backendFlag,
  datasets: str("datasets", "data sets, comma-separated: penguins (vega-datasets), synthetic"),
  references: int("references", "reference encoders, each with its own zoo; results average over them"),
  noise: str("noise", "relative weight-noise levels of the zoo, increasing, e.g. 0.1,0.25,0.5,1"),
  conditionSteps: int("condition-steps", "Adam steps fitting each compared encoder's condition with H frozen"),
  transferSteps: int("transfer-steps", "gradient steps of H on the reference's loss (1 is the blog post's Δ; k > 1 the k-step variant)"),
  transferLr: num("transfer-lr", "size of each transfer step"),
  hypernetworkSteps: int("hypernetwork-steps", "Adam steps pre-training H on the pool")
}, ({ preset, config, out, seed, backend, datasets, references, noise, conditionSteps, transferSteps, transferLr, hypernetworkSteps }) =>
  Effect.gen(function* () {
    const store = yield* RunStore
    const fromFile = Option.isSome(config) ? yield* readJsonFile(config.value) : {}
    const flags: Json = {}
    const set = (path: ReadonlyArray<string>, value: unknown) => {
      let o = flags
      for (const k of path.slice(0, -1)) o = (o[k] ??= {}) as Json
      o[path[path.length - 1]!] = value
    }
    if (Option.isSome(datasets)) set(["datasets"], yield* splitList(datasets.value, false, "--datasets"))
    if (Option.isSome(noise)) set(["zoo", "noise"], yield* splitList(noise.value, true, "--noise"))
    if (Option.isSome(references)) set(["zoo", "references"], references.value)
    if (Option.isSome(conditionSteps)) set(["hypernetwork", "conditionSteps"], conditionSteps.value)
    if (Option.isSome(hypernetworkSteps)) set(["hypernetwork", "steps"], hypernetworkSteps.value)
    if (Option.isSome(transferSteps)) set(["transfer", "steps"], transferSteps.value)
    if (Option.isSome(transferLr)) set(["transfer", "learningRate"], transferLr.value)
    const settings = yield* Effect.fromResult(decodeSimilaritySettings(deepMerge(deepMerge(similarityPresets[preset] as unknown as Json, fromFile), flags)))
    const rootSeed = Option.isSome(seed) ? seed.value : yield* systemSeed
    const runDir = store.resolve(Option.getOrElse(out, () => `runs/similarity-${new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15)}-${rootSeed}`))
    yield* Console.error(`similarity ${runDir} (seed ${rootSeed}, preset ${preset}, data sets ${settings.datasets.join(", ")})`)
    const { similarity } = yield* load(() => import("../programs/similarity/index.js"))
    const { result, report } = yield* similarity(runDir, settings, { command: "similarity", preset: Option.isSome(config) || Object.keys(flags).length > 0 ? `${preset} (modified)` : preset })
      .pipe(programLayer(backend, Option.some(rootSeed)))
    for (const d of result.datasets) {
      const f = (x: number | null) => (x === null ? "undefined" : x.toFixed(2))
      yield* Console.log(`${d.dataset}: Spearman ρ with the known order — Δ ${f(d.spearman.zoo.delta)} (normalised ${f(d.spearman.zoo.deltaNormalised)}), CKA ${f(d.spearman.zoo.cka)}; graded part: Δ ${f(d.spearman.graded.delta)} (normalised ${f(d.spearman.graded.deltaNormalised)}), CKA ${f(d.spearman.graded.cka)}`)
    }
    yield* Console.log(`${result.seconds.toFixed(0)} s; report: ${report}`)
  })
).pipe(Command.withDescription("Functional similarity by hypernetwork transfer (Δ = drop of B's loss after training H on A) against linear CKA, on an encoder zoo of known similarity → similarity.json, figures, report.html"))
