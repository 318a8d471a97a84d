import { Console, Effect, Option, Result, Schema, SchemaIssue } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { classReason, defaultThresholds, Thresholds } from "../core/network/schemas.js"
import { ClassThresholds } from "../services/settings/index.js"
import { InvalidInput } from "../core/base/schemas.js"
import { LayoutOption } from "../core/weights/schemas.js"
import { formatNumber } from "../core/base/schemas.js"
import { backendFlag, load, programLayer } from "./shared.js"

const formatIssue = SchemaIssue.makeFormatterDefault()

/** The thresholds from the defaults and the two flags, checked (both must be positive). */
const thresholdsFrom = (alpha1: Option.Option<number>, alpha2: Option.Option<number>): Result.Result<Thresholds, InvalidInput> => {
  const r = Schema.decodeUnknownResult(Thresholds)({
    doubleSidedMinAlpha1: Option.getOrElse(alpha1, () => defaultThresholds.doubleSidedMinAlpha1),
    convexityMaxAlpha2: Option.getOrElse(alpha2, () => defaultThresholds.convexityMaxAlpha2)
  }, { errors: "all" })
  return Result.isSuccess(r)
    ? Result.succeed(r.success)
    : Result.fail(new InvalidInput({ source: "--alpha1-threshold/--alpha2-threshold", message: `invalid thresholds (--alpha1-threshold is doubleSidedMinAlpha1, --alpha2-threshold convexityMaxAlpha2): ${formatIssue(r.failure.issue)}` }))
}

/** `out` for a file `…/model.safetensors`: `model-analysis` in the working directory. */
const defaultOut = (file: string): string => {
  const base = file.replace(/[/\\]+$/, "").split(/[/\\]/).pop() ?? "network"
  return `${base.replace(/\.(safetensors|npz|npy|json)$/i, "")}-analysis`
}

export const analyzeCommand = Command.make("analyze", {
  file: Argument.Path("file", { mustExist: true }).pipe(Argument.withDescription("the network: .safetensors, .npz, a folder of .npy files, or .json")),
  second: Argument.Path("file2", { mustExist: true }).pipe(Argument.optional, Argument.withDescription("a second network: α3 between the two (as --compare)")),
  compare: Flag.Path("compare", { mustExist: true }).pipe(Flag.optional, Flag.withDescription("a second network to compute the seed dependence α3 against")),
  task: Flag.String("task").pipe(Flag.withDefault("l1"), Flag.withDescription("registered task whose loss to measure where the shapes fit (l1, l2, max-abs, l1-linf)")),
  layout: Flag.Literals("layout", LayoutOption.literals).pipe(Flag.withDefault("auto" as const),
    Flag.withDescription("how the file stores weight matrices: torch = [out, in] (nn.Linear), in-out = [in, out] (hyperlayers, JAX); auto reads the tensor names")),
  activation: Flag.Literals("activation", ["swish", "relu"] as const).pipe(Flag.withDefault("swish" as const), Flag.withDescription("hidden activation for the loss (the file does not say)")),
  samples: Flag.Int("samples").pipe(Flag.withDefault(4096), Flag.withDescription("evaluation inputs for the loss")),
  out: Flag.Path("out").pipe(Flag.optional, Flag.withDescription("folder for analysis.json, figures/ and report.html (default: <file name>-analysis in the current directory)")),
  html: Flag.Boolean("html").pipe(Flag.withDefault(false), Flag.withDescription("also write a one-page report.html")),
  alpha1: Flag.Finite("alpha1-threshold").pipe(Flag.optional, Flag.withDescription(`double-sided when α1 is above this (default ${defaultThresholds.doubleSidedMinAlpha1})`)),
  alpha2: Flag.Finite("alpha2-threshold").pipe(Flag.optional, Flag.withDescription(`convexity when α2 is below this (default ${defaultThresholds.convexityMaxAlpha2})`)),
  seed: Flag.Int("seed").pipe(Flag.withDefault(0), Flag.withDescription("root seed of the evaluation inputs and the drawing's start (default 0, so analyses repeat)")),
  backend: backendFlag
}, (a) =>
  Effect.gen(function* () {
    if (Option.isSome(a.second) && Option.isSome(a.compare)) {
      return yield* new InvalidInput({ source: "--compare", message: "give the second network either as a second file or with --compare, not both" })
    }
    const thresholds = yield* Effect.fromResult(thresholdsFrom(a.alpha1, a.alpha2))
    const compare = Option.orElse(a.second, () => a.compare)
    const out = Option.getOrElse(a.out, () => defaultOut(a.file))
    const [{ analyze }, { findingsRows, thresholdsText }] = yield* load(() => Promise.all([import("../programs/analysis/index.js"), import("../core/report/index.js")]))
    const { analysis, files } = yield* analyze({
      file: a.file, ...(Option.isSome(compare) ? { compare: compare.value } : {}), layout: a.layout, task: a.task, activation: a.activation,
      samples: a.samples, out, html: a.html
    }).pipe(Effect.provideService(ClassThresholds, thresholds), programLayer(a.backend, Option.some(a.seed)))
    const rows = [...findingsRows(analysis.network, analysis.thresholds)]
    if (analysis.compare !== undefined) rows.push([`α3 vs ${analysis.compare.network.file}`, formatNumber(analysis.compare.alpha3)])
    const width = Math.max(...rows.map(([k]) => k.length))
    yield* Console.log(rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join("\n"))
    if (analysis.compare !== undefined) {
      const c = analysis.compare.network
      yield* Console.log(`\n${c.file}: [${c.shape.join(", ")}], α1 ${formatNumber(c.alpha1)}, α2 ${formatNumber(c.alpha2)}, path balance ${formatNumber(c.pathBalance)}, sign agreement ${formatNumber(c.signAgreement)}, class ${c.algorithm} (${classReason(c, analysis.thresholds)})${c.loss === null ? "" : `, loss ${formatNumber(c.loss.value, 4)}`}`)
    }
    yield* Console.log(`\n${thresholdsText(analysis)}`)
    if (analysis.drawing.note !== undefined) yield* Console.log(analysis.drawing.note)
    yield* Console.log(`wrote ${files.join(", ")}`)
  })
).pipe(Command.withDescription("Analyse a network trained elsewhere (PyTorch/JAX safetensors, NumPy .npz or .npy folder, JSON): shape, α1, α2, path balance, sign agreement, class and why, loss on a task, α3 against a second network; writes analysis.json and a drawing"))
