import { Cause, Layer, Logger } from "effect"
import { causeMessage, errorMessage } from "../../core/base/schemas.js"

const part = (m: unknown): string => (typeof m === "string" ? m : typeof m === "object" && m !== null && !Array.isArray(m) && "message" in m ? errorMessage(m) : String(m))

/**
 * The text of one log entry: its message parts, then the failure it carries (as one line: the
 * messages down its chain of causes, no stack trace), unless the message already says it.
 */
export const logText = (message: unknown, cause: Cause.Cause<unknown>): string => {
  const text = (Array.isArray(message) ? message : [message]).map(part).filter((t) => t !== "").join(" ")
  if (cause.reasons.length === 0) return text
  const why = causeMessage(cause)
  return text === "" ? why : text.includes(why) ? text : `${text}: ${why}`
}

/**
 * A logger writing one line per entry, `[07:35:20] WARN: the study database is unreachable: …`,
 * for people reading a terminal or a study's log: no stack traces (a library's warning about a
 * lost connection, logged every half second while a database restarts, would otherwise fill the
 * screen), and a line repeated within `quietSeconds` is counted rather than printed again (the
 * next time it is printed, it says how many were left out).
 */
export const compactLogger = (write: (line: string) => void, quietSeconds = 10) => {
  const seen = new Map<string, { at: number; skipped: number }>()
  return Logger.make((o) => {
    const text = `${o.logLevel.toUpperCase()}: ${logText(o.message, o.cause)}`
    const now = o.date.getTime()
    const last = seen.get(text)
    if (last !== undefined && now - last.at < quietSeconds * 1000) {
      last.skipped++
      return
    }
    seen.set(text, { at: now, skipped: 0 })
    if (seen.size > 256) seen.delete(seen.keys().next().value!)
    const more = last !== undefined && last.skipped > 0 ? ` (and ${last.skipped} more like it since ${new Date(last.at).toISOString().slice(11, 19)})` : ""
    write(`[${o.date.toISOString().slice(11, 19)}] ${text}${more}`)
  })
}

/** The command line's logging: {@link compactLogger} on standard output, where Effect's default logger wrote. */
export const compactLoggingLayer: Layer.Layer<never> = Logger.layer([compactLogger((line) => console.log(line))])
