import { Console, Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { InvalidInput, RunError } from "../core/base/schemas.js"
import { builtinFamilyNames, taskDescriptions } from "../core/task/schemas.js"
import { inrHypernetworkSpec, inrPresets } from "../core/inr/schemas.js"
import { InrSettings } from "../core/inr/schemas.js"
import { paperHypernetworkSpec } from "../core/hypernetwork/index.js"
import { formatNumber, formatTable } from "../core/base/schemas.js"
import { RunManifest } from "../core/run/index.js"
import { systemSeed } from "../services/rng/schemas.js"
import { RunStore } from "../services/store/index.js"
import { decodeSettings, givenFlags, parseList, readConfigFile } from "./config.js"
import { backendFlag, load, programLayer, seedFlag } from "./shared.js"

const int = (name: string, description: string) => Flag.Int(name).pipe(Flag.optional, Flag.withDescription(description))
const num = (name: string, description: string) => Flag.Finite(name).pipe(Flag.optional, Flag.withDescription(description))

const settingFlags = {
  steps: int("steps", "Adam steps of every method (quick 3000, full 20000)"),
  conditionsPerStep: int("conditions-per-step", "training conditions per step for the hypernetwork and the MLP (default 8)"),
  samples: int("samples", "inputs per condition and step (default 256)"),
  learningRate: num("lr", "Adam learning rate of the hypernetwork (default 0.001)"),
  baselineLearningRate: num("baseline-lr", "Adam learning rate of the baselines (default 0.003)"),
  shape: Flag.String("shape").pipe(Flag.optional, Flag.withDescription("layer sizes of the target network g_θ (default the family's: 1,32,32,1 for heat, 2,32,32,1 for sdf)")),
  mlpHidden: Flag.String("mlp-hidden").pipe(Flag.optional, Flag.withDescription("hidden widths of baseline (a), the MLP on (x, c) (default 64,64)")),
  gridPoints: int("grid-points", "grid points per input axis for the errors (default 513 in 1-D, 101 in 2-D)")
}
const flagNames: Record<string, string> = {
  steps: "--steps", conditionsPerStep: "--conditions-per-step", samples: "--samples", learningRate: "--lr", baselineLearningRate: "--baseline-lr", shape: "--shape", mlpHidden: "--mlp-hidden", gridPoints: "--grid-points", hypernetwork: "--hypernetwork"
}

/** `--hypernetwork`: `inr` (default), `paper` (the paper's blocks at small widths) or a JSON spec file. */
const hypernetworkFrom = (source: string) =>
  source === "inr" ? Effect.succeed<unknown>(inrHypernetworkSpec())
    : source === "paper" ? Effect.succeed<unknown>(paperHypernetworkSpec({ activation: 8, position: 4, noise: 2, attentionKey: 4, learned: 4, latent: 2, depth: 3 }))
    : readConfigFile(Option.some(source)).pipe(Effect.map((raw): unknown => raw),
      Effect.mapError((e) => new InvalidInput({ source: "--hypernetwork", message: `--hypernetwork ${source}: ${e.message.replace(/^--config \S+ /, "")}` })))

/** A new INR run directory: family, date, time and seed. */
const newInrRunDir = (family: string, seed: number) => `runs/inr-${family}-${new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15)}-${seed}`

export const inrCommand = Command.make("inr", {
  family: Flag.Literals("family", builtinFamilyNames).pipe(Flag.withDescription(builtinFamilyNames.map((f) => `${f}: ${taskDescriptions[f].replace(/^a family: /, "")}`).join("; "))),
  quick: Flag.Boolean("quick").pipe(Flag.withDefault(false), Flag.withDescription(`the quick setting: ${inrPresets.quick.description} (default: ${inrPresets.full.description})`)),
  hypernetwork: Flag.String("hypernetwork").pipe(Flag.optional, Flag.withDescription("the hypernetwork: inr (default; learned per-edge embeddings, no noise, no KL), paper (the paper's blocks at small widths) or a spec file (JSON)")),
  ...settingFlags,
  config: Flag.File("config", { mustExist: true }).pipe(Flag.optional, Flag.withDescription("JSON file of settings (see inr.json's \"settings\"; flags win over it)")),
  out: Flag.String("out").pipe(Flag.optional, Flag.withDescription("run directory (default runs/inr-<family>-<date>-<time>-<seed>)")),
  resume: Flag.Boolean("resume").pipe(Flag.withDefault(false), Flag.withDescription("continue the hypernetwork's training in --out from its latest checkpoint, then evaluate")),
  seed: seedFlag,
  backend: backendFlag
}, ({ family: name, quick, hypernetwork, config, out, resume, seed, backend, ...flags }) =>
  Effect.gen(function* () {
    if (resume && Option.isNone(out)) return yield* new RunError({ message: "--resume needs --out <run directory>" })
    const [{ inrFamilies, kindLabel, methodLabel }, { inr }] = yield* load(() => Promise.all([import("../core/inr/index.js"), import("../programs/inr/index.js")]))
    const family = inrFamilies.find((f) => f.task.name === name)!
    const defaults = (quick ? inrPresets.quick : inrPresets.full).settings(family)
    const spec = yield* Option.match(hypernetwork, { onNone: () => Effect.succeed(Option.none<unknown>()), onSome: (s) => Effect.map(hypernetworkFrom(s), Option.some) })
    const given = givenFlags({
      ...flags,
      shape: Option.map(flags.shape, parseList),
      mlpHidden: Option.map(flags.mlpHidden, parseList),
      hypernetwork: spec
    })
    const settings = yield* Effect.fromResult(decodeSettings(InrSettings, { defaults, file: yield* readConfigFile(config), flags: given }, Object.keys(defaults), flagNames))
    const store = yield* RunStore
    // a resumed run keeps its root seed (the seed is part of its training configuration)
    const rootSeed = resume
      ? (yield* store.readJson(store.join(store.resolve(Option.getOrThrow(out)), "manifest.json"), RunManifest)).rootSeed
      : Option.isSome(seed) ? seed.value : yield* systemSeed
    const runDir = store.resolve(Option.getOrElse(out, () => newInrRunDir(name, rootSeed)))
    yield* Console.error(`inr ${name}: ${resume ? "resuming" : "training"} ${runDir} (seed ${rootSeed}, ${settings.steps} steps; Ctrl-C saves a checkpoint, --resume continues)`)
    const result = yield* inr({ runDir, family, settings, resume, command: `inr --family ${name}${quick ? " --quick" : ""}` }).pipe(programLayer(backend, Option.some(rootSeed)))
    const methods = ["hypernetwork", "mlp", "scratch", "nearest"] as const
    yield* Console.log(formatTable(result.result.summary, [
      { header: "conditions", cell: (r) => `${kindLabel(r.kind, family.extrapolationLabel)} (${r.conditions})` },
      ...methods.map((m) => ({ header: methodLabel[m], cell: (r: (typeof result.result.summary)[number]) => formatNumber(r[m]), align: "right" as const }))
    ]))
    yield* Console.log(`relative L2 errors above; results in ${result.reportPath.replace(/inr-report\.html$/, "inr.json")}, report ${result.reportPath}`)
  })
).pipe(Command.withDescription("Hypernetworks as generators of implicit neural representations: train a hypernetwork on a family f_c (heat: the 1-D heat equation, condition t; sdf: a square's signed distance field, conditions size and position), then compare its networks g_θc per condition (training, interpolation, extrapolation/forecast) with an MLP on (x, c), INRs trained from scratch and the nearest training condition's θ → inr.json, figures, inr-report.html"))
