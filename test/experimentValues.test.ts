import { readFileSync } from "node:fs"
import { join } from "node:path"
import { Effect, Layer, Result, Schema } from "effect"
import { beforeAll, describe, expect, it } from "vitest"
import { runCli } from "../src/cli/main.js"
import { cliServices } from "../src/cli/shared.js"
import { classify, type Thresholds } from "../src/core/network/classifier.js"
import { decodePlan, resolvePlan } from "../src/core/study/studyPlan.js"
import { cellValue, defineExperiment, runExperiment } from "../src/programs/experiments/experiment.js"
import { builtinExperiments, experimentsLayer, experimentsWith, findExperiment } from "../src/programs/experiments/registry.js"
import { sweep } from "../src/programs/experiments/sweep.js"
import { studyCellRunner } from "../src/programs/study/cellAdapter.js"
import { train } from "../src/programs/training/train.js"
import { ClassThresholds } from "../src/services/settings/ClassThresholds.js"
import { RunStore } from "../src/services/store/RunStore.js"
import { useBackend } from "./helpers.js"
import { runProgram, tempDir, tinyConfig, tinyExperiments } from "./programs.js"
import { plan as tinyPlan, services } from "./studyCli.js"

beforeAll(() => useBackend("cpu"))

/** An experiment of a test's own: how many checkpoints the run has, and their last step. */
const Count = Schema.Struct({ checkpoints: Schema.Number, last: Schema.Number })
const counted = Result.getOrThrow(defineExperiment({
  name: "counted", file: "counted.json",
  settings: Schema.Struct({ plus: Schema.Number }), defaults: { plus: 0 },
  result: Count,
  run: ({ dir }, { plus }) => Effect.map(Effect.flatMap(RunStore, (s) => s.listCheckpoints(dir)), (list) => ({ checkpoints: list.length + plus, last: list[list.length - 1]!.step })),
  cell: { schema: Count, keep: (r) => r }
}))

describe("experiments are values in a registry", () => {
  it("the built-in ones, in the order reproduce runs them, with their commands; one's own is added, or replaces a built-in in its place", () => {
    expect(builtinExperiments.map((e) => e.name)).toEqual(["sweep", "ablation", "generalization", "baseline", "drawing"])
    expect(builtinExperiments.map((e) => e.command?.name)).toEqual(["sweep", "ablate", "generalize", "baseline", "draw"])
    expect(builtinExperiments.map((e) => e.file)).toEqual(["sweep.json", "ablation.json", "generalization.json", "baseline.json", undefined])
    expect(experimentsWith([counted]).map((e) => e.name)).toEqual(["sweep", "ablation", "generalization", "baseline", "drawing", "counted"])
    const mine = { ...counted, name: "ablation" }
    const replaced = experimentsWith([mine])
    expect(replaced.map((e) => e.name)).toEqual(["sweep", "ablation", "generalization", "baseline", "drawing"])
    expect(replaced[1]).toBe(mine)
    const missing = findExperiment(builtinExperiments, "drift")
    expect(Result.isFailure(missing) && missing.failure.message).toBe('no experiment named "drift" is registered (known: sweep, ablation, generalization, baseline, drawing); register it with experimentsLayer')
  })

  it("a definition is checked: its name, file, command and flags, every problem named", () => {
    const bad = defineExperiment({
      ...counted, name: "thresholds", file: "../x.txt",
      command: { name: "Count", description: "", flags: { a: { flag: "config", description: "", kind: "integer" }, b: { flag: "n", description: "", kind: "integer" }, c: { flag: "n", description: "", kind: "number" } }, done: () => "" }
    })
    expect(Result.isFailure(bad) && bad.failure.message).toBe('invalid experiment "thresholds": "thresholds" is not an experiment\'s name (a run\'s settings keep thresholds and extra there); ' +
      'its file must be a plain name ending in .json (got "../x.txt"); its command must be a lower-case word (letters, digits, \'-\'; got "Count"); flag --config: every command has it already; flags repeated: --n')
    expect(Result.isFailure(defineExperiment({ ...counted, name: "a b" }))).toBe(true)
  })
})

describe("class thresholds travel with the run", () => {
  // β and seeds of tinyExperiments; thresholds under which every finite network is a pudding
  const everyPudding: Thresholds = { convexityMaxAlpha2: 1e-9, doubleSidedMinAlpha1: 1e9, doubleSidedMinPathBalance: 1 }
  const classesUnder = (rows: ReadonlyArray<{ alpha1: number; alpha2: number; pathBalance?: number | undefined }>, t: Thresholds) =>
    rows.map((r) => classify({ alpha1: r.alpha1, alpha2: r.alpha2, pathBalance: r.pathBalance! }, t))

  it("a sweep classifies with the run's recorded thresholds, without being told them; a run that records none, with those in context", async () => {
    const [recorded, plain] = [tempDir(), tempDir()]
    await runProgram(train({ runDir: recorded, config: tinyConfig(), resume: false, experiments: { ...tinyExperiments, thresholds: everyPudding } }), 3)
    await runProgram(train({ runDir: plain, config: tinyConfig(), resume: false }), 3)
    const [a, b, c] = [
      await runProgram(sweep(recorded, tinyExperiments.sweep), 3),
      await runProgram(sweep(plain, tinyExperiments.sweep), 3),
      await runProgram(sweep(plain, tinyExperiments.sweep).pipe(Effect.provideService(ClassThresholds, everyPudding)), 3)
    ]
    expect(a.rows.map((r) => r.algorithm)).toEqual(classesUnder(a.rows, everyPudding))
    expect(new Set(a.rows.map((r) => r.algorithm))).toEqual(new Set(["pudding"]))
    expect(b.rows.map((r) => r.algorithm)).toEqual(classesUnder(b.rows, tinyExperiments.thresholds))
    expect(b.rows.some((r) => r.algorithm !== "pudding")).toBe(true)
    // the thresholds change the classes and nothing else
    expect(c.rows).toEqual(a.rows)
    expect(a.rows.map(({ algorithm: _, ...numbers }) => numbers)).toEqual(b.rows.map(({ algorithm: _, ...numbers }) => numbers))
  })
})

describe("a researcher's own experiment", () => {
  it("runs on a run and writes its file; a study cell keeps it under extra, and one whose runner lacks it fails naming it", async () => {
    const runDir = tempDir()
    await runProgram(train({ runDir, config: tinyConfig(), resume: false }), 3)
    expect(await runProgram(runExperiment(counted, runDir, { plus: 10 }))).toEqual({ checkpoints: 13, last: 6 })
    expect(JSON.parse(readFileSync(join(runDir, "counted.json"), "utf8"))).toEqual({ checkpoints: 13, last: 6 })

    const plan = Result.getOrThrow(decodePlan({ ...tinyPlan, seeds: [11], experiments: { ...tinyPlan.experiments, counted: { plus: 1 } } }))
    const [cell] = Result.getOrThrow(resolvePlan(plan, experimentsWith([counted])))
    const [builtinOnly] = Result.getOrThrow(resolvePlan({ ...plan, experiments: tinyPlan.experiments }, builtinExperiments))
    expect(cell!.experiments).toEqual({ ...builtinOnly!.experiments, extra: { counted: { plus: 1 } } })
    expect(cell!.id).not.toBe(builtinOnly!.id)
    const unregistered = resolvePlan(plan, builtinExperiments)
    expect(Result.isFailure(unregistered) && unregistered.failure.message).toContain("experiments.counted: no experiment of that name that a study cell can keep is registered (known: sweep, ablation, generalization, baseline)")
    const drawn = Result.getOrThrow(decodePlan({ ...tinyPlan, experiments: { drawing: true } }))
    expect(Result.isFailure(resolvePlan(drawn, builtinExperiments))).toBe(true) // the drawings keep nothing a cell could

    const runsDir = tempDir()
    const runCell = (registered: Layer.Layer<never>) =>
      Effect.runPromise(Effect.result(studyCellRunner({ runsDir, backend: "cpu" })(cell!, { attempt: 1, deliveries: 1 })).pipe(Effect.provide(Layer.merge(services, registered))))
    const done = Result.getOrThrow(await runCell(experimentsLayer([counted])))
    expect(done.extra).toEqual({ counted: { checkpoints: 4, last: 40 } })
    expect(Result.getOrThrow(cellValue(counted, done))).toEqual({ checkpoints: 4, last: 40 })
    expect(done.sweep?.length).toBe(3 * 3)
    expect([done.ablation, done.generalization, done.baseline]).toEqual([null, null, null])
    const unknown = await runCell(Layer.empty)
    expect(Result.isFailure(unknown) && unknown.failure.message).toContain('no experiment named "counted" is registered')
  })
})

describe("the command line builds the experiments' commands from their values", () => {
  const cliHere = async (...args: Array<string>): Promise<string> => {
    const r = await Effect.runPromise(Effect.result(runCli(args).pipe(Effect.provide(cliServices))))
    if (Result.isSuccess(r)) return "ok"
    const e = r.failure as { readonly _tag: string; readonly message: string; readonly errors?: ReadonlyArray<{ readonly message: string }> }
    return e._tag === "ShowHelp" ? (e.errors ?? []).map((x) => x.message).join("; ") : e.message
  }

  it("decodes its flags with the settings Schema, naming the flag, and records what it ran with", async () => {
    const runDir = tempDir()
    await runProgram(train({ runDir, config: tinyConfig(), resume: false }), 3)
    expect(await cliHere("generalize", runDir, "--inputs", "0,x")).toBe('invalid settings: inputs (--inputs): expected a comma-separated list of numbers, got "0,x"')
    expect(await cliHere("generalize", runDir, "--normalisation", "both")).toContain("normalisation")
    expect(await cliHere("ablate", runDir, "--betas", "2", "--seeds", "2", "--samples", "32", "--backend", "cpu")).toBe("ok")
    const manifest = JSON.parse(readFileSync(join(runDir, "manifest.json"), "utf8"))
    expect(manifest.experiments.ablation).toEqual({ betas: 2, seeds: 2, samples: 32 })
    expect(JSON.parse(readFileSync(join(runDir, "ablation.json"), "utf8")).rows).toHaveLength(2)
  })
})
