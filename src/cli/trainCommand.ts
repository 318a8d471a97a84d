import { Console, Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { builtinTasks } from "../core/builtinTasks.js"
import { InvalidInput } from "../core/errors.js"
import { paperHypernetworkSpec } from "../core/paperHypernetworkSpec.js"
import { canonicalTrainConfig, TrainConfig } from "../core/trainConfig.js"
import { formatNumber } from "../core/table.js"
import { systemSeed } from "../services/Rng.js"
import { RunStore } from "../services/RunStore.js"
import { RunError } from "../core/errors.js"
import { train } from "../programs/train.js"
import { decodeSettings, givenFlags, parseList, readConfigFile } from "./config.js"
import { backendFlag, programLayer } from "./shared.js"

const int = (name: string, description: string) => Flag.Int(name).pipe(Flag.optional, Flag.withDescription(description))
const num = (name: string, description: string) => Flag.Finite(name).pipe(Flag.optional, Flag.withDescription(description))

const trainFlags = {
  steps: int("steps", "training steps in all (default 5000)"),
  betasPerStep: int("betas-per-step", "β values per step, each with its own generation (default 8)"),
  samplesPerBeta: int("samples-per-beta", "Gaussian inputs per β (default 256)"),
  learningRate: num("lr", "Adam learning rate (default 0.001)"),
  checkpointEvery: int("checkpoint-every", "steps between checkpoints (default 500)"),
  logEvery: int("log-every", "steps between lines of metrics.jsonl and progress updates (default 10)"),
  shape: Flag.String("shape").pipe(Flag.optional, Flag.withDescription("layer sizes of the target network, e.g. 16,48,1 (default)")),
  activation: Flag.Literals("activation", ["swish", "relu"]).pipe(Flag.optional, Flag.withDescription("hidden activation of the target network (default swish)")),
  hypernetwork: Flag.String("hypernetwork").pipe(Flag.optional, Flag.withDescription("the hypernetwork: a spec file (JSON; see examples/hypernetworks/) or \"paper\" (default)")),
  task: Flag.String("task").pipe(Flag.optional, Flag.withDescription(`what the target network computes: ${builtinTasks.map((t) => `${t.name} (${t.description})`).join("; ")}; default l1`)),
  seed: int("seed", "root seed of every random draw (default: from the system; recorded in the manifest)"),
  threads: int("threads", "threads per step, each taking a shard of the β batch (default 1; results replay bit for bit only with the same count)")
}

const trainFlagNames: Record<string, string> = {
  steps: "--steps", betasPerStep: "--betas-per-step", samplesPerBeta: "--samples-per-beta", learningRate: "--lr",
  checkpointEvery: "--checkpoint-every", logEvery: "--log-every", shape: "--shape", activation: "--activation", seed: "--seed", threads: "--threads",
  hypernetwork: "--hypernetwork", task: "--task"
}

/**
 * The settings of a training run from defaults, `--config` and flags. A resumed run's defaults
 * are its own saved settings, so only what changes needs saying.
 */
const trainConfigFrom = (flags: { [K in keyof typeof trainFlags]: Option.Option<unknown> }, file: Option.Option<string>, saved: Option.Option<TrainConfig> = Option.none()) =>
  Effect.gen(function* () {
    const fileSettings = yield* readConfigFile(file)
    const hypernetwork = yield* Option.match(flags.hypernetwork as Option.Option<string>, {
      onNone: () => Effect.succeed(Option.none<unknown>()),
      onSome: (source) => Effect.map(readHypernetworkSpec(source), Option.some)
    })
    const given = givenFlags({ ...flags, shape: Option.map(flags.shape as Option.Option<string>, parseList), hypernetwork })
    const seed = typeof given["seed"] === "number" ? given["seed"] : typeof fileSettings["seed"] === "number" ? fileSettings["seed"] : yield* systemSeed
    const defaults = Option.getOrElse(saved, () => canonicalTrainConfig(seed))
    return yield* Effect.fromResult(decodeSettings(TrainConfig, { defaults, file: fileSettings, flags: given }, Object.keys(canonicalTrainConfig(0)), trainFlagNames))
  })

/** `--hypernetwork`: `paper`, or a JSON spec file (checked when the run is planned). */
const readHypernetworkSpec = (source: string) =>
  source === "paper" ? Effect.succeed<unknown>(paperHypernetworkSpec()) : Effect.gen(function* () {
    const raw = yield* readConfigFile(Option.some(source))
    return raw as unknown
  }).pipe(Effect.mapError((e) => new InvalidInput({ source: "--hypernetwork", message: `--hypernetwork ${source}: ${e.message.replace(/^--config \S+ /, "")}` })))

/** The settings saved in a run's latest checkpoint. */
const savedConfig = (runDir: string) => Effect.gen(function* () {
  const store = yield* RunStore
  const list = yield* store.listCheckpoints(runDir)
  const latest = list[list.length - 1]
  if (latest === undefined) return yield* new RunError({ message: `${runDir} holds no checkpoint to resume from` })
  return (yield* store.readCheckpoint(latest.path)).config
})

/** A new run directory name: date, time and seed. */
export const newRunDir = (seed: number): string => `runs/${new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15)}-${seed}`

export const trainCommand = Command.make("train", {
  ...trainFlags,
  config: Flag.File("config", { mustExist: true }).pipe(Flag.optional, Flag.withDescription("JSON file of settings (flags win over it)")),
  out: Flag.String("out").pipe(Flag.optional, Flag.withDescription("run directory (default runs/<date>-<time>-<seed>)")),
  resume: Flag.Boolean("resume").pipe(Flag.withDefault(false), Flag.withDescription("continue the run in --out from its latest checkpoint")),
  backend: backendFlag
}, ({ config, out, resume, backend, ...flags }) =>
  Effect.gen(function* () {
    if (resume && Option.isNone(out)) return yield* new RunError({ message: "--resume needs --out <run directory>" })
    const store = yield* RunStore
    const saved = resume ? Option.some(yield* savedConfig(store.resolve(Option.getOrThrow(out)))) : Option.none()
    const settings = yield* trainConfigFrom(flags, config, saved)
    const runDir = store.resolve(Option.getOrElse(out, () => newRunDir(settings.seed)))
    yield* Console.error(`${resume ? "resuming" : "training"} ${runDir} (seed ${settings.seed}, ${settings.steps} steps; Ctrl-C saves a checkpoint, --resume continues)`)
    const result = yield* train({ runDir, config: settings, resume }).pipe(programLayer(backend, Option.some(settings.seed)))
    yield* Console.log(`trained to step ${result.step}${result.last === undefined ? "" : `: loss ${formatNumber(result.last.loss)}, KL ${formatNumber(result.last.kl)}`}; run in ${runDir}`)
  })
).pipe(Command.withDescription("Train a hypernetwork (the paper's KL attentional one by default, or --hypernetwork spec.json) on a task under the Pareto hyperhypernetwork, with checkpoints and exact resume"))
