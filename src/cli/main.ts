import { NodeRuntime } from "@effect/platform-node"
import { Cause, Console, Effect } from "effect"
import { CliError, Command } from "effect/cli"
import { constructionsCommand } from "./constructionsCommand.js"
import { ablateCommand, baselineCommand, drawCommand, generalizeCommand, reportCommand, sweepCommand } from "./experimentCommands.js"
import { inrCommand } from "./inrCommand.js"
import { replayCommand, reproduceCommand } from "./reproduceCommand.js"
import { cliServices } from "./shared.js"
import { trainCommand } from "./trainCommand.js"

const VERSION = "0.1.0"

const root = Command.make("hyperlayers").pipe(
  Command.withDescription("Generate interpretable networks with hypernetworks (Liao, Liu & Tegmark): train, sweep, ablate, generalise, draw, report"),
  Command.withSubcommands([trainCommand, sweepCommand, ablateCommand, generalizeCommand, baselineCommand, drawCommand, reportCommand, reproduceCommand, replayCommand, constructionsCommand, inrCommand])
)

/** A failure as one readable line: the message of a typed error, without a stack trace. */
const describe = (e: unknown): string =>
  typeof e === "object" && e !== null && "message" in e && typeof e.message === "string" && e.message !== ""
    ? e.message
    : String(e)

export const main = (): void =>
  root.pipe(
    Command.run({ version: VERSION }),
    // command-line parse errors are printed by Command.run with the help; print the rest plainly
    Effect.catchCause((cause) => Effect.gen(function* () {
      if (Cause.hasInterruptsOnly(cause)) return
      const failure = Cause.squash(cause)
      if (!CliError.isCliError(failure)) yield* Console.error(`hyperlayers: ${describe(failure)}`)
      process.exitCode = 1
    })),
    Effect.provide(cliServices),
    NodeRuntime.runMain
  )
