import { Console, Effect } from "effect"
import { Command, Flag } from "effect/cli"
import { formatNumber, formatTable } from "../core/table.js"
import { constructionsTable } from "../programs/constructionsTable.js"
import { Backend } from "../services/Backend.js"
import { backendFlag, programLayer, seedFlag } from "./shared.js"

const size = (name: string, fallback: number, description: string) =>
  Flag.Int(name).pipe(Flag.withDefault(fallback), Flag.withDescription(description))

export const constructionsCommand = Command.make("constructions", {
  inputs: size("inputs", 16, "input size n of the network [n, h, 1]"),
  hidden: size("hidden", 48, "hidden size h of the network [n, h, 1]"),
  samples: size("samples", 65536, "Gaussian inputs on which each loss is measured"),
  backend: backendFlag,
  seed: seedFlag
}, ({ inputs, hidden, samples, backend, seed }) =>
  Effect.gen(function* () {
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
).pipe(Command.withDescription("Print each hand-built L1 construction (double-sided, signed puddings, convexity) with its loss, α1, α2, path balance and class"))
