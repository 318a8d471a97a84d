import { createHash } from "node:crypto"
import { type Canonical, canonicalJson } from "../base/schemas.js"

export { type Canonical, canonicalJson } from "../base/schemas.js"

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
