/**
 * JSON with object keys sorted at every level, so that two values that are equal as data give the
 * same text whatever order their keys were written in (config comparison, content hashes).
 * Arrays keep their order; `undefined` fields are dropped, as `JSON.stringify` does.
 */
export const canonicalJson = (value: unknown): string => JSON.stringify(sortKeys(value))

const sortKeys = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.keys(value).sort().flatMap((k) => {
      const v = (value as Record<string, unknown>)[k]
      return v === undefined ? [] : [[k, sortKeys(v)]]
    }))
  }
  return value
}
