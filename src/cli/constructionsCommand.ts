import { Console, Effect, Schema } from "effect"
import { Command, Flag } from "effect/cli"
import { MAX_EDGES, MAX_LAYER_SIZE } from "../core/network/schemas.js"
import { formatNumber, formatTable } from "../core/base/schemas.js"
import { decodeSettings, givenFlags } from "./config.js"
import { backendFlag, load, programLayer, seedFlag } from "./shared.js"

const int = (what: string, max: number) => Schema.Number.check(
  Schema.isInt({ message: `${what} must be an integer` }),
  Schema.isGreaterThanOrEqualTo(1, { message: `${what} must be at least 1` }),
  Schema.isLessThanOrEqualTo(max, { message: `${what} must be at most ${max}` }))

/** The table's settings, each bounded so that a typo cannot exhaust memory. */
const ConstructionsSettings = Schema.Struct({
  inputs: int("inputs", MAX_LAYER_SIZE),
  hidden: int("hidden", MAX_LAYER_SIZE),
  samples: int("samples", 1 << 22)
}).check(
  Schema.makeFilter((s: { inputs: number; hidden: number; samples: number }) => s.inputs * s.hidden <= MAX_EDGES || `inputs × hidden must be at most ${MAX_EDGES}`),
  Schema.makeFilter((s: { inputs: number; samples: number }) => s.inputs * s.samples <= 1 << 26 || `inputs × samples must be at most ${1 << 26} (the inputs are held in memory at once)`))

const size = (name: string, fallback: number, description: string) =>
  Flag.Int(name).pipe(Flag.optional, Flag.withDescription(`${description} (default ${fallback})`))

export const constructionsCommand = Command.make("constructions", {
  inputs: size("inputs", 16, "input size n of the network [n, h, 1]"),
  hidden: size("hidden", 48, "hidden size h of the network [n, h, 1]"),
  samples: size("samples", 65536, "Gaussian inputs on which each loss is measured"),
  backend: backendFlag,
  seed: seedFlag
}, ({ backend, seed, ...flags }) => Effect.gen(function* () {
  const { inputs, hidden, samples } = yield* Effect.fromResult(decodeSettings(ConstructionsSettings,
    { defaults: { inputs: 16, hidden: 48, samples: 65536 }, file: {}, flags: givenFlags(flags) }, [], { inputs: "--inputs", hidden: "--hidden", samples: "--samples" }))
  const [{ constructionsTable }, { Backend }] = yield* load(() => Promise.all([import("../programs/experiments/index.js"), import("../services/backend/index.js")]))
  yield* Effect.gen(function* () {
    const rows = yield* constructionsTable({ inputs, hidden, samples })
    const b = yield* Backend
    yield* Console.log(`Constructions for [${inputs}, ${hidden}, 1] (backend ${b.name}; loss = MSE on ${samples} Gaussian inputs, normalised L1 target)\n`)
    yield* Console.log(formatTable(rows, [
      { header: "construction", cell: (r) => r.construction },
      { header: "activation", cell: (r) => r.activation },
      { header: "loss", cell: (r) => formatNumber(r.loss), align: "right" },
      { header: "α1", cell: (r) => formatNumber(r.alpha1), align: "right" },
      { header: "α2", cell: (r) => formatNumber(r.alpha2), align: "right" },
      { header: "path balance", cell: (r) => formatNumber(r.pathBalance), align: "right" },
      { header: "class", cell: (r) => r.algorithm }
    ]))
  }).pipe(programLayer(backend, seed))
})).pipe(Command.withDescription("Print each hand-built L1 construction (double-sided, signed puddings, convexity) with its loss, α1, α2, path balance and class"))
