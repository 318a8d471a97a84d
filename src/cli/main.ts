import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Cause, Console, Effect } from "effect"
import { CliError, CliOutput, Command } from "effect/cli"
import { analyzeCommand } from "./analyzeCommand.js"
import { constructionsCommand } from "./constructionsCommand.js"
import { experimentCommands, reportCommand } from "./experimentCommands.js"
import { inrCommand } from "./inrCommand.js"
import { replayCommand, reproduceCommand } from "./reproduceCommand.js"
import { cliServices } from "./shared.js"
import { similarityCommand } from "./similarityCommand.js"
import { runnerCommand, studyCommand, studyReportCommand } from "./studyCommand.js"
import { trainCommand } from "./trainCommand.js"
import { errorMessage } from "../core/base/schemas.js"

const VERSION = "0.1.0"

const root = Command.make("hyperlayers").pipe(
  Command.withDescription("Generate interpretable networks with hypernetworks (Liao, Liu & Tegmark): train, sweep, ablate, generalise, draw, report, run studies across seeds, measure functional similarity, analyse networks trained elsewhere, and generate implicit neural representations"),
  Command.withSubcommands([trainCommand, ...experimentCommands, reportCommand, reproduceCommand, replayCommand, constructionsCommand, studyCommand, studyReportCommand, runnerCommand, similarityCommand, analyzeCommand, inrCommand])
)

/**
 * Read a value that begins with "-" as the value of the flag before it when it is a number
 * (`--steps -Infinity`, `--shape -4,8,1`, `--log-beta-min -1e3`): the parser takes only plain
 * negative decimals as values and would split the rest into short flags (`-I`, `-4`). Such a pair
 * becomes `--flag=value`, so the flag's Schema reads it and names what is wrong. Everything from a
 * `--` on is left alone.
 */
export const joinNegativeValues = (args: ReadonlyArray<string>): Array<string> => {
  const out: Array<string> = []
  for (let k = 0; k < args.length; k++) {
    const arg = args[k]!
    if (arg === "--") return [...out, ...args.slice(k)]
    const previous = out[out.length - 1]
    if (previous !== undefined && /^--[^=]+$/.test(previous) && /^-(?:\d|\.\d|inf|nan)/i.test(arg)) out[out.length - 1] = `${previous}=${arg}`
    else out.push(arg)
  }
  return out
}

/**
 * A bad invocation (an unknown flag, a value a flag's Schema refuses, a missing argument) says what
 * is wrong, in one line per problem, and where the flags are listed; it does not print the whole
 * help before it (`--help` does).
 */
const errorsFirst = CliOutput.layerPresenter({
  present: (event) =>
    event._tag === "InvalidInvocation"
      ? Effect.gen(function* () {
        const formatter = yield* CliOutput.Formatter
        yield* Console.error(formatter.formatErrors(event.errors))
        yield* Console.error(`(\`${event.commandPath.join(" ")} --help\` lists the flags)`)
      })
      : CliOutput.defaultPresenter.present(event)
})

/**
 * The command line as an Effect, for the given arguments (without `node` and the script): parse,
 * run the command, fail with its typed error. `main` runs it on `process.argv`; tests run it in
 * process.
 */
export const runCli = (args: ReadonlyArray<string>) => Command.runWith(root, { version: VERSION })(joinNegativeValues(args)).pipe(Effect.provide(errorsFirst))

export const main = (): void =>
  runCli(process.argv.slice(2)).pipe(
    // an interruption (Ctrl-C, SIGTERM) exits with 130; say so (train says what it saved)
    Effect.onInterrupt(() => Console.error("hyperlayers: interrupted")),
    // command-line parse errors are printed by Command.run (errorsFirst); print the rest plainly
    Effect.catchCause((cause) => Effect.gen(function* () {
      if (Cause.hasInterruptsOnly(cause)) return
      const failure = Cause.squash(cause)
      if (!CliError.isCliError(failure)) yield* Console.error(`hyperlayers: ${errorMessage(failure)}`)
      process.exitCode = 1
    })),
    Effect.provide(cliServices),
    NodeRuntime.runMain
  )
