import { Schema } from "effect"
import { CellResult } from "./cellResult.js"
import type { StudyCell } from "./studyPlan.js"

export const STUDY_RESULTS_FORMAT = "hyperlayers-study-results/1"

/**
 * `results.json`: every finished cell of a study (done or failed), arm by arm in the plan's order
 * and seed by seed, then any cells the plan no longer names. A study skips the cells it finds here,
 * so a committed file carries a study across machines and sessions.
 */
export const StudyResults = Schema.Struct({
  format: Schema.Literal(STUDY_RESULTS_FORMAT),
  study: Schema.String,
  cells: Schema.Array(CellResult)
})
export type StudyResults = typeof StudyResults.Type

/** Non-finite numbers (a NaN loss) are written as the strings "NaN", "Infinity", "-Infinity". */
const CellJson = Schema.toCodecJson(CellResult)
export const StudyResultsJson = Schema.toCodecJson(StudyResults)

/** One cell per line, in plan order: small diffs when a study's results are committed as they come. */
export const orderResults = (cells: ReadonlyArray<StudyCell>, results: ReadonlyArray<CellResult>): ReadonlyArray<CellResult> => {
  const rank = new Map(cells.map((c, k) => [c.id, k]))
  const byId = new Map(results.map((r) => [r.id, r]))
  return [...byId.values()].sort((a, b) =>
    (rank.get(a.id) ?? Infinity) - (rank.get(b.id) ?? Infinity) || a.arm.localeCompare(b.arm) || a.seed - b.seed || a.id.localeCompare(b.id))
}

/** The text of `results.json` (one cell per line). */
export const encodeStudyResults = (study: string, cells: ReadonlyArray<StudyCell>, results: ReadonlyArray<CellResult>): string => {
  const lines = orderResults(cells, results).map((r) => `    ${JSON.stringify(Schema.encodeSync(CellJson)(r))}`)
  return `{\n  "format": ${JSON.stringify(STUDY_RESULTS_FORMAT)},\n  "study": ${JSON.stringify(study)},\n  "cells": [\n${lines.join(",\n")}${lines.length > 0 ? "\n" : ""}  ]\n}\n`
}

/** The text of one cell's file, `cells/<id>.json`. */
export const encodeCellResult = (r: CellResult): string => `${JSON.stringify(Schema.encodeSync(CellJson)(r), null, 1)}\n`
export const CellResultJson = CellJson
