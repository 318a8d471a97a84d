import { Cause, Effect, Logger } from "effect"
import { describe, expect, it } from "vitest"
import { causeMessage, errorMessage } from "../src/core/base/errorMessage.js"
import { compactLogger, logText } from "../src/services/console/Logging.js"

/** How the SQL driver reports a database that is down: an error wrapping an error wrapping Node's. */
const driverError = () => {
  const system = Object.assign(new Error("connect ENOENT /tmp/hlpg-x/.s.PGSQL.5432"), { code: "ENOENT" })
  return new Error("PgConnection: Failed to connect", { cause: new Error("PgConnection: Failed to connect", { cause: system }) })
}

describe("error messages", () => {
  it("follow the chain of causes, each message once", () => {
    expect(errorMessage(driverError())).toBe("PgConnection: Failed to connect: connect ENOENT /tmp/hlpg-x/.s.PGSQL.5432")
    // a typed error whose message already names its cause's reason says it once
    const wrapped = Object.assign(new Error("cannot reach the study database: connect ENOENT /tmp/x"), { cause: new Error("connect ENOENT /tmp/x") })
    expect(errorMessage(wrapped)).toBe("cannot reach the study database: connect ENOENT /tmp/x")
  })

  it("read something for every kind of value thrown", () => {
    expect(errorMessage("plain text")).toBe("plain text")
    expect(errorMessage(42)).toBe("42")
    expect(errorMessage(undefined)).toBe("undefined")
    expect(errorMessage({ code: "EACCES" })).toBe("EACCES")
    expect(errorMessage({ _tag: "Oops" })).toBe("Oops")
    expect(errorMessage(new TypeError(""))).toBe("TypeError")
    // a cycle of causes ends
    const a: { message: string; cause?: unknown } = { message: "a" }
    a.cause = { message: "b", cause: a }
    expect(errorMessage(a)).toBe("a: b")
    expect(causeMessage(Cause.fail(driverError()))).toContain("ENOENT")
    expect(causeMessage(Cause.interrupt(1))).toBe("interrupted")
    expect(causeMessage(Cause.die(new RangeError("out of memory")))).toBe("out of memory")
  })
})

describe("the command line's log lines", () => {
  it("are one line each: the message, then the failure's chain, no stack trace", () => {
    expect(logText(["a cell could not be taken or completed"], Cause.fail(driverError())))
      .toBe("a cell could not be taken or completed: PgConnection: Failed to connect: connect ENOENT /tmp/hlpg-x/.s.PGSQL.5432")
    expect(logText(["waiting for it (PgConnection: Failed to connect)"], Cause.fail(new Error("PgConnection: Failed to connect")))).toBe("waiting for it (PgConnection: Failed to connect)")
    expect(logText(["steps", 3], Cause.empty)).toBe("steps 3")
    // a library's warning that is all cause (its message empty) reads as the cause alone
    expect(logText([""], Cause.fail(new Error("PgConnection: Failed to connect")))).toBe("PgConnection: Failed to connect")
    // through Effect's own logging, as the command line provides it
    const lines: Array<string> = []
    Effect.runSync(Effect.logWarning("a cell could not be taken or completed", Cause.fail(driverError())).pipe(Effect.provide(Logger.layer([compactLogger((l) => lines.push(l))]))))
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^\[\d\d:\d\d:\d\d\] WARN: a cell could not be taken or completed: PgConnection: Failed to connect: connect ENOENT \/tmp\/hlpg-x\/\.s\.PGSQL\.5432$/)
  })

  it("count a line repeated within the quiet time instead of printing it again", () => {
    const lines: Array<string> = []
    const logger = compactLogger((l) => lines.push(l), 10)
    // the entries' own times, not the wall clock: the test cannot race
    const at = (seconds: number, level: "Warn" | "Info", message: string, cause = Cause.fail(driverError())) =>
      logger.log({ message: [message], logLevel: level, cause, fiber: undefined as never, date: new Date(Date.UTC(2026, 11, 1, 7, 35, seconds)) })
    for (let k = 0; k < 5; k++) at(k, "Warn", "the database is down")
    at(5, "Info", "something else", Cause.empty)
    at(9, "Warn", "the database is down")
    at(12, "Warn", "the database is down")
    expect(lines).toEqual([
      "[07:35:00] WARN: the database is down: PgConnection: Failed to connect: connect ENOENT /tmp/hlpg-x/.s.PGSQL.5432",
      "[07:35:05] INFO: something else",
      // 10 s after the first printed one: printed again, saying how many were left out
      "[07:35:12] WARN: the database is down: PgConnection: Failed to connect: connect ENOENT /tmp/hlpg-x/.s.PGSQL.5432 (and 5 more like it since 07:35:00)"
    ])
  })
})
