import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { Effect, Layer, Option, Redacted, Result, Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type CellResult, withoutExecution } from "../src/core/study/cellResult.js"
import type { StudyCell } from "../src/core/study/studyPlan.js"
import { encodeStudyResults } from "../src/core/study/studyResults.js"
import { studyCellRunner } from "../src/programs/study/cellAdapter.js"
import { decodeStudyResults, readPlan, runStudy } from "../src/programs/study/study.js"
import { startEmbeddedPostgres } from "../src/services/study/EmbeddedPostgres.js"
import { silentProgressLayer } from "../src/services/console/Progress.js"
import { noLeakAsync, useBackend } from "./helpers.js"
import { cli, filesUnder, plan, readResults, services, studyDir } from "./studyCli.js"

/**
 * Studies end to end on loopback: a real PostgreSQL started by the project's own code, the study
 * and its runners as separate processes of the (built) command line.
 */

const SECRET = "pwS3cretForTheStudy"

let cells: ReadonlyArray<StudyCell> = []

/**
 * The backend of a study below: wasm, as users' studies run, where a runner's first tiny cell takes
 * 0.6–1.2 s (it starts the backend) and the next ones 0.3–0.5 s (cpu, one runner, idle machine:
 * 1.2, 0.9, 0.8 s), the file's CPU 52.0 → 42.0–45.5 s; cpu for the study stopped with Ctrl-C once
 * its first cell is recorded, whose other cells must still be running then (the study records a
 * runner's results about once a second: on wasm all three may be done by then).
 */
type StudyBackend = "cpu" | "wasm"

/** Each cell run alone, in this process, on a backend: what a study on that backend must reproduce (made once per backend, when first asked for). */
const alone = new Map<StudyBackend, Promise<Map<string, CellResult>>>()
const aloneOn = (backend: StudyBackend): Promise<Map<string, CellResult>> => {
  const made = alone.get(backend) ?? (async () => {
    const dir = studyDir(`alone-${backend}`)
    const results = new Map<string, CellResult>()
    await useBackend(backend)
    await noLeakAsync(async () => {
      for (const cell of cells) {
        const run = studyCellRunner({ runsDir: join(dir, "runs"), backend })(cell, { attempt: 1, deliveries: 1 })
        results.set(cell.id, await Effect.runPromise(run.pipe(Effect.provide(services))))
      }
    })
    return results
  })()
  alone.set(backend, made)
  return made
}

beforeAll(async () => {
  cells = (await Effect.runPromise(readPlan(join(studyDir("plan"), "plan.json")).pipe(Effect.provide(services)))).cells
})

const expectSameAsAlone = async (results: ReadonlyArray<CellResult>, backend: StudyBackend) => {
  const reference = await aloneOn(backend)
  expect(results.map((r) => r.id).sort()).toEqual(cells.map((c) => c.id).sort())
  for (const r of results) {
    expect(r.status).toBe("done")
    expect(withoutExecution(r)).toEqual(withoutExecution(reference.get(r.id)!))
  }
}

describe("a study on one machine", () => {
  const scope = Effect.runSync(Scope.make())
  afterAll(() => Effect.runPromise(Scope.close(scope, Effect.void as never)))

  it("completes every cell exactly once when a runner is killed with kill -9 mid-cell, as if each ran alone", async () => {
    // the project's own embedded PostgreSQL, reached through a URL with a password (trust
    // authentication ignores it) that must never show in output or files
    const pgDir = join(studyDir("server"), ".postgres")
    const pg = await Effect.runPromise(startEmbeddedPostgres(pgDir).pipe(Scope.provide(scope)))
    const url = Redacted.value(pg.url).replace("postgresql://postgres@", `postgresql://postgres:${SECRET}@`)
    const dir = studyDir("fault")
    const started = Date.now()
    const study = cli(["study", join(dir, "plan.json"), "--database", url, "--runners", "2", "--retries", "1", "--lease", "3", "--backend", "wasm"])
    const [, victim, cell] = await study.waitFor(/\[runner \d+\] runner (\d+): cell \S+ seed \d+ \((\w+)\) attempt 1: started/)
    // 200 ms into a cell of at least half a second (a runner's first, which starts its backend too)
    await new Promise((r) => setTimeout(r, 200))
    process.kill(Number(victim), "SIGKILL")
    const code = await study.exit
    const wall = (Date.now() - started) / 1000
    expect(code, study.lines.join("\n")).toBe(0)
    const results = readResults(dir).cells
    await expectSameAsAlone(results, "wasm")
    expect(results.length, study.lines.join("\n")).toBe(cells.length)
    // the killed attempt was taken again after its lease ran out
    const killed = results.find((r) => r.id === cell)!
    expect(killed.execution!.deliveries).toBeGreaterThanOrEqual(2)
    expect(killed.execution!.runner).not.toContain(`/${victim}`)
    expect(study.lines.some((l) => l.includes("exited (SIGKILL); starting another"))).toBe(true)
    // each result written once, under its id
    expect(readdirSync(join(dir, "cells")).filter((n) => n.endsWith(".json")).sort()).toEqual(cells.map((c) => `${c.id}.json`).sort())
    // the password is nowhere: not in the output, not in a file of the study
    expect(study.lines.join("\n")).not.toContain(SECRET)
    for (const f of filesUnder(dir)) expect(readFileSync(f, "latin1"), f).not.toContain(SECRET)
    console.info(`fault test: ${cells.length} cells, 1 runner killed (pid ${victim}, cell ${cell}), deliveries ${results.map((r) => r.execution!.deliveries).join("/")}, ${wall.toFixed(1)} s`)
  }, 120_000)

  it("interrupted with Ctrl-C and started again, gives the results file of a run straight through", async () => {
    const dir = studyDir("resumed")
    const args = ["study", join(dir, "plan.json"), "--runners", "1", "--lease", "3", "--backend", "cpu"]
    const first = cli(args)
    await first.waitFor(/^cell \S+ seed \d+ \(\w+\): done/)
    first.child.kill("SIGINT")
    expect(await first.exit, first.lines.join("\n")).not.toBeNull()
    // stopped cleanly: the database and runners are gone, the results so far are readable
    expect(existsSync(join(dir, ".postgres", "data", "postmaster.pid"))).toBe(false)
    const partial = readResults(dir).cells
    expect(partial.length).toBeGreaterThanOrEqual(1)
    // stopped mid-study: the second run has cells left to run
    expect(partial.length, first.lines.join("\n")).toBeLessThan(cells.length)
    const second = cli(args)
    expect(await second.exit, second.lines.join("\n")).toBe(0)
    expect(second.lines.join("\n")).toContain(`${partial.length} already have results, ${cells.length - partial.length} to run`)
    const text = readFileSync(join(dir, "results.json"), "utf8")
    const results = Result.getOrThrow(decodeStudyResults(text)).cells
    await expectSameAsAlone(results, "cpu")
    const withoutTimes = (rs: ReadonlyArray<CellResult>) => encodeStudyResults(plan.name, cells, rs.map((r) => ({ ...r, execution: null })))
    expect(withoutTimes(results)).toBe(withoutTimes([...(await aloneOn("cpu")).values()]))
    // a third run has nothing to do, and starts no database
    const third = await Effect.runPromise(runStudy({ planPath: join(dir, "plan.json"), studyDir: dir, database: Option.none(), runners: 1, retries: 0, log: () => {} }).pipe(
      Effect.provide(Layer.mergeAll(services, silentProgressLayer))))
    expect(third).toMatchObject({ cells: cells.length, done: cells.length, failed: 0, skipped: cells.length })
    expect(readFileSync(join(dir, "results.json"), "utf8")).toBe(text)
  }, 120_000)

  it("rides out its database stopping mid-study, and reports a cell that keeps failing, once, after its retries", async () => {
    // a database of its own, whose server the test stops (immediate shutdown, as in a crash) while
    // cells run; the service that started it starts it again
    const pgDir = join(studyDir("server2"), ".postgres")
    const pg = await Effect.runPromise(startEmbeddedPostgres(pgDir).pipe(Scope.provide(scope)))
    const dir = studyDir("outage")
    // the second cell cannot write its run directory: a file stands where it should be
    const failing = cells[1]!
    mkdirSync(join(dir, "runs"))
    writeFileSync(join(dir, "runs", failing.id), "not a directory\n")
    const study = cli(["study", join(dir, "plan.json"), "--database", Redacted.value(pg.url), "--runners", "2", "--retries", "1", "--lease", "3", "--backend", "wasm"])
    await study.waitFor(/\[runner \d+\] runner \d+: cell \S+ seed \d+ \(\w+\) attempt 1: started/)
    const postmaster = Number(readFileSync(join(pgDir, "data", "postmaster.pid"), "utf8").split("\n")[0])
    process.kill(postmaster, "SIGQUIT")
    const code = await study.exit
    const output = study.lines.join("\n")
    expect(pg.restarts(), output).toBeGreaterThanOrEqual(1)
    // a failed cell makes the command fail, after every other cell finished
    expect(code, output).toBe(1)
    const results = readResults(dir).cells
    expect(results.map((r) => r.id).sort()).toEqual(cells.map((c) => c.id).sort())
    const reference = await aloneOn("wasm")
    for (const r of results.filter((r) => r.id !== failing.id)) {
      expect(r.status, output).toBe("done")
      expect(withoutExecution(r)).toEqual(withoutExecution(reference.get(r.id)!))
    }
    // the failing cell: tried 1 + retries times, then recorded failed with its error, once
    const failed = results.find((r) => r.id === failing.id)!
    expect(failed.status).toBe("failed")
    expect(failed.error).toContain(join(dir, "runs", failing.id))
    expect(failed.execution?.attempt).toBe(2)
    expect(output).toContain(`(${failing.id}) attempt 2: started`)
    expect(output).toContain(`(${failing.id}) attempt 2: failed: could not create the directory`)
    expect(output).not.toContain(`(${failing.id}) attempt 3: started`)
    expect(output).toContain(`1 failed of ${cells.length} cells`)
    // the outage reads as one line per kind of warning, no stack traces
    expect(output).not.toMatch(/^(\[runner \d+\] )?\s+at /m)
    expect(readdirSync(join(dir, "cells")).filter((n) => n.endsWith(".json")).sort()).toEqual(cells.map((c) => `${c.id}.json`).sort())
    console.info(`database outage test: server restarted ${pg.restarts()} time(s); deliveries ${results.map((r) => r.execution?.deliveries ?? "-").join("/")}; failed cell: ${failed.error}`)
    if (process.env.HYPERLAYERS_SHOW_STUDY_OUTPUT) console.info(output)
  }, 180_000)
})

describe("a study database that cannot be reached", () => {
  it("is a typed error naming the database, its password masked, and the driver's reason", async () => {
    const { checkDatabase } = await import("../src/programs/study/studyEngine.js")
    // port 9 (discard) on loopback: nothing listens there
    const r = await Effect.runPromise(Effect.result(checkDatabase(Redacted.make(`postgres://study:${SECRET}@127.0.0.1:9/x`))))
    expect(Result.isFailure(r) && r.failure._tag).toBe("DatabaseError")
    const message = Result.isFailure(r) ? r.failure.message : ""
    expect(message).toMatch(/^cannot reach the study database postgres:\/\/study:\*\*\*@127\.0\.0\.1:9\/x: .*ECONNREFUSED 127\.0\.0\.1:9/)
    expect(message).not.toContain(SECRET)
  })
})
