import { availableParallelism } from "node:os"
import { existsSync } from "node:fs"
import { dirname, join } from "node:path"
import { Config, Console, Effect, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { DATABASE_URL_ENV } from "../core/study/schemas.js"
import { InvalidInput } from "../core/base/schemas.js"
import { terminalProgressLayer } from "../services/console/index.js"
import { backendFlag, load, programLayer } from "./shared.js"
import type { CellResult } from "../core/study/schemas.js"
import { errorMessage } from "../core/base/schemas.js"
import { presets } from "../core/run/index.js"
import { EXIT_STORAGE_FAULT } from "../services/study/index.js"

const databaseFlag = Flag.Redacted("database").pipe(
  Flag.withFallbackConfig(Config.Redacted(DATABASE_URL_ENV)),
  Flag.withDescription(`a PostgreSQL URL, postgres://user:password@host:5432/db (or the ${DATABASE_URL_ENV} environment variable); the password is never printed or written`)
)
const leaseFlag = Flag.Int("lease").pipe(
  Flag.withDefault(30),
  Flag.withDescription("seconds a runner's claim on a cell lasts unrenewed: a runner that dies mid-cell delays the cell this long (use the same value on every machine; default 30)")
)
const line = (text: string) => process.stderr.write(`${text}\n`)

export const studyCommand = Command.make("study", {
  plan: Argument.File("plan", { mustExist: true }).pipe(Argument.withDescription("the study's plan.json (arms × seeds, experiments)")),
  database: databaseFlag.pipe(Flag.optional),
  runners: Flag.Int("runners").pipe(Flag.optional, Flag.withDescription("runner processes to start here, each training one cell on one thread (default: one per core; 0: only runners started elsewhere)")),
  retries: Flag.Int("retries").pipe(Flag.withDefault(2), Flag.withDescription("further attempts at a cell that failed (diverged, out of memory) before it is reported failed (default 2)")),
  out: Flag.String("out").pipe(Flag.optional, Flag.withDescription("the study directory: results.json, cells/, runs/ and the embedded database (default: the plan's directory)")),
  lease: leaseFlag,
  backend: backendFlag
}, ({ plan, database, runners, retries, out, lease, backend }) => Effect.gen(function* () {
  if (retries < 0) return yield* new InvalidInput({ source: "--retries", message: `--retries must be at least 0, got ${retries}` })
  const count = Option.getOrElse(runners, () => availableParallelism())
  if (count < 0) return yield* new InvalidInput({ source: "--runners", message: `--runners must be at least 0, got ${count}` })
  if (lease < 2) return yield* new InvalidInput({ source: "--lease", message: `--lease must be at least 2 seconds, got ${lease}` })
  const studyDir = Option.getOrElse(out, () => dirname(plan))
  const { runStudy, studyReport } = yield* load(() => import("../programs/study/index.js"))
  const summary = yield* runStudy({
    planPath: plan, studyDir, database, runners: count, retries,
    timing: { leaseSeconds: lease }, runnerArgs: ["--backend", backend], log: line
  }).pipe(Effect.provide(terminalProgressLayer))
  const report = yield* studyReport(plan, studyDir)
  yield* Console.log(`${summary.study}: ${summary.done} of ${summary.cells} cells done, ${summary.failed} failed → ${summary.resultsPath}; report: ${report.path}`)
  if (summary.failed > 0) process.exitCode = 1
})).pipe(Command.withDescription("Run a study (arms × seeds, each cell trained then swept) as durable jobs on Effect cluster + workflow over PostgreSQL; run it again to continue"))

export const studyReportCommand = Command.make("study-report", {
  plan: Argument.File("plan", { mustExist: true }).pipe(Argument.withDescription("the study's plan.json")),
  out: Flag.String("out").pipe(Flag.optional, Flag.withDescription("the study directory (default: the plan's directory)")),
  draw: Flag.Int("draw").pipe(Flag.withDefault(0), Flag.withDescription("draw the networks of up to this many memorised seeds per arm (B.1; their run directories must be on this machine; default 0: none)")),
  referenceRuns: Flag.String("reference-runs").pipe(Flag.optional, Flag.withDescription("comma-separated run directories drawn beside them (e.g. a case-3d run of the control)")),
  backend: backendFlag
}, ({ plan, out, draw, referenceRuns, backend }) => Effect.gen(function* () {
  if (draw < 0) return yield* new InvalidInput({ source: "--draw", message: `--draw must be at least 0, got ${draw}` })
  const references = Option.match(referenceRuns, { onNone: () => [], onSome: (s) => s.split(",").map((x) => x.trim()).filter((x) => x !== "") })
  const { studyReport, drawMemorisedNetworks } = yield* load(() => import("../programs/study/index.js"))
  const drawings = draw === 0 && references.length === 0 ? undefined
    : (results: ReadonlyArray<CellResult>) => drawMemorisedNetworks(Option.getOrElse(out, () => dirname(plan)), results, { perArm: draw, references, settings: presets.quick.experiments.drawing })
      .pipe(programLayer(backend, Option.some(0)), Effect.mapError((e) => new InvalidInput({ source: "--draw", message: `drawing memorised networks: ${errorMessage(e)}` })))
  const studyDir = Option.getOrElse(out, () => dirname(plan))
  // --out names where the study wrote its results, not where the report goes: say so when nothing is there
  if (!existsSync(join(studyDir, "results.json")) && !existsSync(join(studyDir, "cells"))) {
    yield* Console.error(`hyperlayers: ${studyDir} holds no results of a study (no results.json, no cells/): the report will count no cells; --out names the study directory \`hyperlayers study\` wrote to`)
  }
  const report = yield* studyReport(plan, studyDir, drawings)
  yield* Console.log(`report of ${report.cells} finished cells: ${report.path}`)
})).pipe(Command.withDescription("Write a study's report (developmental paths per arm with intervals, losses, KL against β, every seed's phase diagram, generalisation per path) from its results, finished or not"))

export const runnerCommand = Command.make("runner", {
  database: databaseFlag,
  out: Flag.String("out").pipe(Flag.withDefault("runs/study-cells"), Flag.withDescription("directory for the cells' run directories (<out>/<cell id>; default runs/study-cells)")),
  lease: leaseFlag,
  backend: backendFlag
}, ({ database, out, lease, backend }) =>
  Effect.flatMap(load(() => import("../programs/study/index.js")), ({ runRunner }) => runRunner({ database, runsDir: out, backend, timing: { leaseSeconds: lease }, log: line })).pipe(
    Effect.catchTag("StorageFault", (e) => Effect.sync(() => {
      // a study that started this runner has the message already, and says it once for all
      if (typeof process.send !== "function") line(`hyperlayers: ${e.message}`)
      process.exitCode = EXIT_STORAGE_FAULT
      if (process.connected) process.disconnect()
    }))
  )
).pipe(Command.withDescription("Join a study's database (from this or another machine) and take its cells one at a time until Ctrl-C"))
