/** A value that has a canonical JSON text: what a decoded plan, config or setting is made of. */
export type Canonical = null | boolean | number | string | ReadonlyArray<Canonical> | { readonly [key: string]: Canonical | undefined }

/**
 * The canonical JSON text of a value: object keys sorted (by UTF-16 code units) at every depth,
 * keys whose value is `undefined` left out, arrays in their order, no white space, numbers as
 * `JSON.stringify` writes them (so `1` and `1.0` are the same number). Two values that are equal as
 * JSON data have the same text whatever the order of their keys (config comparison, content hashes).
 *
 * @throws RangeError for a non-finite number, which JSON cannot hold (a decoded config never has one).
 */
export const canonicalJson = (value: Canonical): string => {
  if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value)
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new RangeError(`canonicalJson: ${value} has no JSON text`)
    return JSON.stringify(value)
  }
  if (Array.isArray(value)) return `[${(value as ReadonlyArray<Canonical>).map(canonicalJson).join(",")}]`
  const record = value as { readonly [key: string]: Canonical | undefined }
  const keys = Object.keys(record).filter((k) => record[k] !== undefined).sort()
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k]!)}`).join(",")}}`
}
