import { Cause, Effect, Logger } from "effect"
import { describe, expect, it } from "vitest"
import { causeMessage, errorMessage } from "../src/core/errorMessage.js"
import { compactLogger, logText } from "../src/services/Logging.js"

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
  })

  it("count a line repeated within the quiet time instead of printing it again", async () => {
    const lines: Array<string> = []
    const log = (n: number) => Effect.gen(function* () {
      for (let k = 0; k < n; k++) yield* Effect.logWarning("the database is down", Cause.fail(driverError()))
    })
    await Effect.runPromise(Effect.gen(function* () {
      yield* log(5)
      yield* Effect.logInfo("something else")
      yield* Effect.sleep("120 millis")
      yield* log(1)
    }).pipe(Effect.provide(Logger.layer([compactLogger((l) => lines.push(l), 0.1)]))))
    expect(lines).toHaveLength(3)
    for (const l of lines) expect(l).toMatch(/^\[\d\d:\d\d:\d\d\] (WARN|INFO): /)
    expect(lines[0]).toContain("WARN: the database is down: PgConnection: Failed to connect: connect ENOENT")
    expect(lines[1]).toContain("INFO: something else")
    expect(lines[2]).toMatch(/WARN: the database is down: .* \(and 4 more like it since \d\d:\d\d:\d\d\)$/)
    expect(lines.join("\n")).not.toContain("    at ")
  })
})
