import { Effect, Option, Result, Schema, SchemaIssue } from "effect"
import { InvalidInput } from "../core/base/schemas.js"
import { RunStore } from "../services/store/index.js"
import { errorMessage } from "../core/base/schemas.js"
import { cutList, cutText, quoteValue } from "../core/base/schemas.js"

/**
 * A command's settings come from three places, later ones winning: the defaults, an optional JSON
 * config file, and the flags given. The merged object is decoded with the command's Schema, so a
 * bad value anywhere is reported with its field (and the flag that sets it).
 */

const formatIssues = SchemaIssue.makeFormatterStandardSchemaV1()

/** Read a JSON config file as a plain object (unknown keys are checked by {@link decodeSettings}). */
export const readConfigFile = (file: Option.Option<string>): Effect.Effect<Record<string, unknown>, InvalidInput, RunStore> =>
  Option.match(file, {
    onNone: () => Effect.succeed({}),
    onSome: (path) => Effect.gen(function* () {
      const store = yield* RunStore
      const text = yield* store.readText(path).pipe(Effect.mapError((e) => new InvalidInput({ source: path, message: e.message })))
      let raw: unknown
      try {
        raw = JSON.parse(text)
      } catch (e) {
        return yield* new InvalidInput({ source: path, message: `--config ${path} is not JSON: ${errorMessage(e)}` })
      }
      if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
        return yield* new InvalidInput({ source: path, message: `--config ${path} must hold a JSON object of settings` })
      }
      return raw as Record<string, unknown>
    })
  })

/** Keep the flags that were given, under their setting names. */
export const givenFlags = (flags: Record<string, Option.Option<unknown>>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(flags).flatMap(([k, v]) => (Option.isSome(v) ? [[k, v.value]] : [])))

/** The value at `path` of a nested object (undefined where the path leaves it). */
const at = (value: unknown, path: ReadonlyArray<PropertyKey>): unknown =>
  path.reduce<unknown>((v, k) => (typeof v === "object" && v !== null ? (v as Record<PropertyKey, unknown>)[k] : undefined), value)

/**
 * The flag of the deepest setting on `path` that has one (`hypernetwork.hyperhypernetwork.perEdgeInit`
 * → `--per-edge-init` before `hypernetwork` → `--hypernetwork`), as " (--flag)", or "".
 */
const flagOf = (flagNames: Readonly<Record<string, string>>, path: ReadonlyArray<PropertyKey>): string => {
  for (let k = path.length; k > 0; k--) {
    const flag = flagNames[path.slice(0, k).map(String).join(".")]
    if (flag !== undefined) return ` (${flag})`
  }
  return ""
}

/** The flags of the top-level settings a message names as words, as " (--a, --b)", or "". */
const flagsNamedIn = (flagNames: Readonly<Record<string, string>>, message: string): string => {
  const named = Object.entries(flagNames).filter(([key]) => !key.includes(".") && new RegExp(`\\b${key}\\b`).test(message)).map(([, flag]) => flag)
  return named.length === 0 ? "" : ` (${named.join(", ")})`
}

/**
 * Merge defaults, file and flags and decode them. `flagNames` maps a setting to its flag so that
 * messages say what to change; keys the Schema does not know are an error at every nesting level
 * (a typo in a file), listing the keys known there. `prefix` names where the settings sit in a
 * larger file (`experiments.` for a reproduce config).
 */
export const decodeSettings = <A, I>(
  schema: Schema.Codec<A, I>,
  sources: { readonly defaults: object; readonly file: Record<string, unknown>; readonly flags: Record<string, unknown> },
  known: ReadonlyArray<string>,
  flagNames: Readonly<Record<string, string>>,
  prefix = ""
): Result.Result<A, InvalidInput> => {
  const unknownKeys = Object.keys(sources.file).filter((k) => !known.includes(k))
  if (unknownKeys.length > 0) {
    const listed = cutList(unknownKeys.map((k) => cutText(prefix + k)), ", ", 5)
    return Result.fail(new InvalidInput({ source: "config", message: `unknown setting${unknownKeys.length > 1 ? "s" : ""} in the config file: ${listed} (known: ${known.join(", ")})` }))
  }
  const merged = { ...sources.defaults, ...sources.file, ...sources.flags }
  const r = Schema.decodeUnknownResult(schema)(merged, { errors: "all", onExcessProperty: "error" })
  if (Result.isSuccess(r)) return Result.succeed(r.success)
  const problems = formatIssues(r.failure.issue).issues.map((i) => {
    const path = (i.path ?? []).map((p): PropertyKey => (typeof p === "object" ? p.key : p))
    const key = String(path[0] ?? "")
    const where = key === "" ? "" : `${prefix}${cutText(key)}${flagOf(flagNames, path)}${path.length > 1 ? `[${path.slice(1).map((p) => cutText(String(p))).join("].[")}]` : ""}: `
    if (i.message === "Expected no excess property") {
      const siblings = at(sources.defaults, path.slice(0, -1))
      const knownHere = typeof siblings === "object" && siblings !== null && !Array.isArray(siblings) ? ` (known: ${Object.keys(siblings).join(", ")})` : ""
      return `${where}unknown setting${knownHere}`
    }
    // a list flag whose text parseList could not read reaches the Schema as a string
    const value = at(merged, path)
    const fromFile = !(key in sources.flags) && key in sources.file ? " in the config file" : ""
    const message = i.message.startsWith("Expected array") && typeof value === "string"
      ? (key in sources.flags ? `expected a comma-separated list of numbers${key === "shape" ? " (e.g. 16,48,1)" : ""}, got ${quoteValue(value)}` : `expected an array of numbers${key === "shape" ? " (e.g. [16, 48, 1])" : ""}, got ${quoteValue(value)}${fromFile}`)
      // a value of the wrong type: say what it was and where it came from
      : i.message.startsWith("Expected ") && value !== undefined ? `${i.message.replace(/^Expected/, "expected")}, got ${quoteValue(value)}${fromFile}`
      : i.message
    // a check of several settings together (logBetaMin below logBetaMax) names their flags
    const together = key === "" ? flagsNamedIn(flagNames, message) : ""
    return `${where}${message}${together}`
  })
  return Result.fail(new InvalidInput({ source: "settings", message: `invalid settings: ${cutList(problems, "; ")}` }))
}

const NUMBER = String.raw`[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|[-+]?Infinity`
const LIST = new RegExp(String.raw`^\s*(?:${NUMBER})(?:\s*,\s*(?:${NUMBER}))*\s*$`)

/**
 * `"16,48,1"` → `[16, 48, 1]` (any numbers, negative ones included, so that the Schema names a
 * bad size); anything else is left as text for the Schema to reject with its message.
 */
export const parseList = (text: string): ReadonlyArray<number> | string =>
  LIST.test(text) ? text.split(",").map((s) => Number(s.trim())) : text
