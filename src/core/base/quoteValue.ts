/**
 * Values from outside (a config field, a flag, a key or name read from a file) as error messages
 * quote them: as JSON, cut to a readable length, with the whole size said where they were cut, so
 * that a 100 MB string in a config field gives a one-line message, not 100 MB on stderr. The work
 * is bounded by the length kept, never by the size of the value.
 */

/** Characters of a quoted value kept by default. */
export const QUOTE_MAX = 80

/** The first `n` UTF-16 units of `s`, not splitting a surrogate pair. */
const head = (s: string, n: number): string => {
  const cut = s.slice(0, n)
  const last = cut.charCodeAt(cut.length - 1)
  return last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut
}

/**
 * Text of `s` for a message, cut to `max` characters: `"abc"` stays `abc`; a longer text reads
 * `abcd… (104857600 characters)`. For names and keys quoted bare (a tensor's name, a setting's
 * path); use {@link quoteValue} for values.
 *
 * @param s the text
 * @param max the characters kept (default {@link QUOTE_MAX})
 * @returns `s`, or its first `max` characters, `…` and its length
 */
export const cutText = (s: string, max = QUOTE_MAX): string =>
  s.length <= max ? s : `${head(s, max)}… (${s.length} characters)`

/** Thrown inside {@link render} when the text is long enough: the walk stops there. */
class Enough {}

/** JSON.stringify's text of `v`, written into `out` until it passes `limit` characters. */
const render = (v: unknown, out: { text: string }, limit: number, seen: Set<object>): void => {
  const put = (s: string) => {
    out.text += s
    if (out.text.length > limit) throw new Enough()
  }
  switch (typeof v) {
    case "string":
      return put(JSON.stringify(head(v, limit + 1)))
    case "number":
      return put(Number.isFinite(v) ? JSON.stringify(v) : String(v)) // NaN and ±Infinity by name, not JSON's null
    case "boolean":
      return put(String(v))
    case "bigint":
      return put(`${v}n`)
    case "undefined":
      return put("undefined")
    case "symbol":
      return put(String(v))
    case "function":
      return put("a function")
  }
  if (v === null) return put("null")
  const o = v as object
  if (seen.has(o)) return put("[circular]")
  seen.add(o)
  if (Array.isArray(o)) {
    put("[")
    for (let k = 0; k < o.length; k++) {
      if (k > 0) put(",")
      render(o[k], out, limit, seen)
    }
    put("]")
  } else if (ArrayBuffer.isView(o)) {
    put(`${o.constructor.name}(${"length" in o ? String(o.length) : o.byteLength})`)
  } else {
    put("{")
    let first = true
    for (const key in o) {
      if (!Object.prototype.hasOwnProperty.call(o, key)) continue
      if (!first) put(",")
      first = false
      put(`${JSON.stringify(head(key, limit + 1))}:`)
      render((o as Record<string, unknown>)[key], out, limit, seen)
    }
    put("}")
  }
  seen.delete(o)
}

/** How big a value is, for the note after a cut one. */
const sizeNote = (v: unknown): string => {
  try {
    return countOf(v)
  } catch {
    return "unreadable"
  }
}

const countOf = (v: unknown): string => {
  if (typeof v === "string") return `${v.length} characters`
  if (Array.isArray(v)) return `${v.length} ${v.length === 1 ? "entry" : "entries"}`
  if (typeof v === "object" && v !== null) {
    let n = 0
    for (const key in v) if (Object.prototype.hasOwnProperty.call(v, key)) n++
    return `${n} ${n === 1 ? "key" : "keys"}`
  }
  return "cut"
}

/**
 * A value as an error message quotes it: its JSON text (`"abc"`, `[8,0,1]`, `{"a":1}`; NaN and
 * ±Infinity by name, `undefined` as such), cut to `max` characters with the value's size said:
 * `"aaaa…" (104857600 characters)`, `[1,2,3,…] (1000000 entries)`, `{"a":…} (3 keys)`. Never
 * throws (a value whose reading throws is cut there, `(unreadable)`), and never reads more of the
 * value than it keeps (cycles are marked, not followed).
 *
 * @param value anything
 * @param max the characters of text kept (default {@link QUOTE_MAX})
 * @returns the quoted text
 */
export const quoteValue = (value: unknown, max = QUOTE_MAX): string => {
  if (typeof value === "string" && value.length > max) return `${JSON.stringify(head(value, max)).slice(0, -1)}…" (${value.length} characters)`
  const out = { text: "" }
  try {
    render(value, out, max, new Set())
    return out.text
  } catch (e) {
    // a getter that throws (a proxy, a revoked object) ends the text where it stood
    return e instanceof Enough ? `${head(out.text, max)}… (${sizeNote(value)})` : `${head(out.text, max)}… (unreadable)`
  }
}

/**
 * The first `max` of `items` joined by `separator`, then how many there were in all: a file with
 * a million bad entries gives a readable message naming the first few.
 *
 * @param items the texts (problems, names)
 * @param separator what joins them (`"; "`, `", "`)
 * @param max how many are listed (default 10)
 * @returns `a; b; c`, or `a; b; … (1000000 in all)`
 */
export const cutList = (items: ReadonlyArray<string>, separator: string, max = 10): string =>
  items.length <= max ? items.join(separator) : `${items.slice(0, max).join(separator)}${separator}… (${items.length} in all)`
