import { NodeRuntime, NodeServices } from "@effect/platform-node"
import { Effect } from "effect"
import { Command } from "effect/cli"
import { constructionsCommand } from "./constructionsCommand.js"

const VERSION = "0.1.0"

const root = Command.make("hyperlayers").pipe(
  Command.withDescription("Generate interpretable networks with hypernetworks (Liao, Liu & Tegmark): train, sweep, ablate, generalise, draw, report"),
  Command.withSubcommands([constructionsCommand])
)

export const main = (): void =>
  root.pipe(Command.run({ version: VERSION }), Effect.provide(NodeServices.layer), NodeRuntime.runMain)
