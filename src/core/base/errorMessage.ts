import { Cause } from "effect"

/**
 * One readable line for a failure: its message, then the messages of the errors it wraps
 * (`cause`, as the SQL driver's "Failed to connect" wraps "connect ECONNREFUSED …"), each once,
 * joined by ": ". A value that is not an error reads as `String(value)`; an error without a
 * message by its `code` (Node's system errors) or its name.
 */
export const errorMessage = (error: unknown): string => {
  const messages: Array<string> = []
  let e: unknown = error
  for (let depth = 0; depth < 8 && e !== undefined && e !== null; depth++) {
    const m = typeof e === "object"
      ? "message" in e && typeof e.message === "string" && e.message !== "" ? e.message : "code" in e && typeof e.code === "string" ? e.code : ""
      : String(e)
    if (m !== "" && !messages.some((seen) => seen.includes(m))) messages.push(m)
    e = typeof e === "object" && "cause" in e ? e.cause : undefined
  }
  if (messages.length > 0) return messages.join(": ")
  return error instanceof Error ? error.name : typeof error === "object" && error !== null && "_tag" in error ? String(error._tag) : String(error)
}

/** {@link errorMessage} of a Cause: its main failure or defect, or "interrupted". */
export const causeMessage = (cause: Cause.Cause<unknown>): string =>
  Cause.hasInterruptsOnly(cause) ? "interrupted" : errorMessage(Cause.squash(cause))
