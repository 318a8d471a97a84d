import { createHash } from "node:crypto"

/** A value that has a canonical JSON text: what a decoded plan, config or setting is made of. */
export type Canonical = null | boolean | number | string | ReadonlyArray<Canonical> | { readonly [key: string]: Canonical | undefined }

/**
 * The canonical JSON text of a value: object keys sorted (by UTF-16 code units) at every depth,
 * keys whose value is `undefined` left out, arrays in their order, no white space, numbers as
 * `JSON.stringify` writes them (so `1` and `1.0` are the same number). Two values that are equal as
 * JSON data have the same text whatever the order of their keys.
 *
 * @throws RangeError for a non-finite number, which JSON cannot hold (a plan never decodes one).
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

/** Bump when what a cell computes changes meaning, so that old results are not taken for new ones. */
export const CELL_ID_FORMAT = "hyperlayers-cell/1"

/** Hex digits of a cell id: 64 bits, so that ids of a study of any realistic size do not collide. */
export const CELL_ID_LENGTH = 16

/**
 * The id of a study cell: the first {@link CELL_ID_LENGTH} hex digits of the SHA-256 of the
 * canonical JSON (see {@link canonicalJson}) of `{ format, config, seed, experiments }`. It is the
 * same for the same settings however their keys are ordered, and changes when any setting does; the
 * arm's name is not part of it (two arms with the same settings are the same cell).
 */
export const cellId = (identity: { readonly config: Canonical; readonly seed: number; readonly experiments: Canonical }): string =>
  createHash("sha256")
    .update(canonicalJson({ format: CELL_ID_FORMAT, config: identity.config, seed: identity.seed, experiments: identity.experiments }))
    .digest("hex")
    .slice(0, CELL_ID_LENGTH)
