import type { TopLevelSpec } from "vega-lite"
import type { CellResult } from "./cellResult.js"
import { developmentalPaths } from "./developmentalPath.js"
import type { ArmSummary, CellPath } from "./studyAnalysis.js"
import { generalisationByPath } from "./studyAnalysis.js"
import { PAPER_CONTOURS } from "./summary.js"

/** Vega-Lite specifications of a study report's figures: result tables in, specs out. */

const SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
const pathColour = {
  field: "path", type: "nominal", title: "developmental path",
  scale: { domain: [...developmentalPaths], range: ["#d62728", "#2ca02c", "#98df8a", "#1f77b4", "#8c564b", "#7f7f7f"] }
} as const
const classColour = { field: "algorithm", type: "nominal", title: "algorithm", scale: { domain: ["convexity", "pudding", "double-sided"], range: ["#d62728", "#2ca02c", "#1f77b4"] } } as const

/** Per arm, the share of seeds on each path with its 95 % Wilson interval. */
export const pathSharesSpec = (arms: ReadonlyArray<ArmSummary>): TopLevelSpec => {
  const values = arms.flatMap((a) => developmentalPaths.map((path) => ({ arm: `${a.arm} (n = ${a.paths[path].of})`, path, share: a.paths[path].share, low: a.paths[path].low, high: a.paths[path].high, count: a.paths[path].count })))
  return {
    $schema: SCHEMA,
    title: "Developmental paths: share of seeds per arm (bars) with 95 % Wilson intervals (lines)",
    data: { values },
    facet: { row: { field: "arm", type: "nominal", title: null, sort: arms.map((a) => `${a.arm} (n = ${a.paths[developmentalPaths[0]!].of})`), header: { labelAngle: 0, labelAlign: "left", labelLimit: 260 } } },
    spec: {
      width: 460, height: 110,
      layer: [
        { mark: { type: "bar" }, encoding: { y: { field: "path", type: "nominal", sort: [...developmentalPaths], title: null }, x: { field: "share", type: "quantitative", scale: { domain: [0, 1] }, title: "share of seeds" }, color: { ...pathColour, legend: null }, tooltip: [{ field: "path" }, { field: "count" }, { field: "share", format: ".2f" }, { field: "low", format: ".2f" }, { field: "high", format: ".2f" }] } },
        { mark: { type: "rule", color: "#222" }, encoding: { y: { field: "path", type: "nominal", sort: [...developmentalPaths] }, x: { field: "low", type: "quantitative" }, x2: { field: "high" } } }
      ]
    }
  } as TopLevelSpec
}

/** Each seed's mean loss at β ≤ 1e−6 at its last checkpoint, per arm, coloured by path, with the paper's contours. */
export const lowBetaLossSpec = (paths: ReadonlyArray<CellPath>): TopLevelSpec => ({
  $schema: SCHEMA,
  title: `Loss at β ≤ 1e−6, last checkpoint, one point per seed (rules: the paper's contours ${PAPER_CONTOURS.inner} and ${PAPER_CONTOURS.outer})`,
  width: 520, height: { step: 34 },
  layer: [
    { data: { values: paths.map((p) => ({ arm: p.arm, seed: p.seed, path: p.reading.path, loss: Math.max(p.reading.lowBetaLoss, 1e-4) })) }, mark: { type: "tick", thickness: 2, size: 22 }, encoding: { y: { field: "arm", type: "nominal", title: null }, x: { field: "loss", type: "quantitative", scale: { type: "log" }, title: "low-β loss" }, color: pathColour, tooltip: [{ field: "seed" }, { field: "path" }, { field: "loss", format: ".4f" }] } },
    { data: { values: [{ x: PAPER_CONTOURS.inner }, { x: PAPER_CONTOURS.outer }] }, mark: { type: "rule", strokeDash: [4, 4], color: "#666" }, encoding: { x: { field: "x", type: "quantitative" } } }
  ]
} as TopLevelSpec)

/** KL against β at each seed's last checkpoint, one line per seed, a panel per arm. */
export const klAgainstBetaSpec = (results: ReadonlyArray<CellResult>, paths: ReadonlyArray<CellPath>): TopLevelSpec => {
  const pathOf = new Map(paths.map((p) => [p.id, p.reading.path]))
  const values = results.flatMap((r) => {
    if (r.sweep === null || !pathOf.has(r.id)) return []
    const last = Math.max(...r.sweep.map((s) => s.step))
    return r.sweep.filter((s) => s.step === last).map((s) => ({ arm: r.arm, seed: String(r.seed), path: pathOf.get(r.id)!, logBeta: s.logBeta, kl: Math.max(s.kl, 1e-6) }))
  })
  return {
    $schema: SCHEMA,
    title: "Accumulated KL against β at the last checkpoint (one line per seed)",
    data: { values },
    facet: { column: { field: "arm", type: "nominal", title: null } },
    spec: {
      width: 260, height: 200,
      mark: { type: "line", strokeWidth: 1, opacity: 0.7 },
      encoding: { x: { field: "logBeta", type: "quantitative", title: "log₁₀ β" }, y: { field: "kl", type: "quantitative", scale: { type: "log" }, title: "KL (nats)" }, detail: { field: "seed", type: "nominal" }, color: pathColour }
    }
  } as TopLevelSpec
}

/** Every seed's phase diagram (Figure 3) as small multiples: class by training step × β. */
export const phaseDiagramsSpec = (results: ReadonlyArray<CellResult>, paths: ReadonlyArray<CellPath>): TopLevelSpec => {
  const pathOf = new Map(paths.map((p) => [p.id, p.reading.path]))
  const values = results.flatMap((r, order) => (r.sweep === null ? [] : r.sweep.map((s) => ({
    cell: `${r.arm} · ${r.seed} · ${pathOf.get(r.id) ?? "failed"}`, order, step: s.step, logBeta: s.logBeta, algorithm: s.algorithm
  }))))
  return {
    $schema: SCHEMA,
    title: "Phase diagrams of every seed (columns: checkpoints; rows: β from 1 at the top to 1e−12)",
    data: { values },
    // in the results' order (arm by arm, seed by seed), not alphabetically
    facet: { field: "cell", type: "nominal", title: null, sort: { field: "order", op: "min" }, header: { labelFontSize: 9, labelLimit: 200 } },
    columns: 5,
    spec: {
      width: 150, height: 70,
      mark: { type: "rect" },
      encoding: {
        x: { field: "step", type: "ordinal", axis: null },
        y: { field: "logBeta", type: "ordinal", sort: "descending", axis: null },
        color: classColour
      }
    }
  } as TopLevelSpec
}

/** The decoder-only loss over shapes never trained on, averaged over the seeds on each path (Figure 5 per path). */
export const generalisationByPathSpec = (results: ReadonlyArray<CellResult>): TopLevelSpec | undefined => {
  const values = generalisationByPath(results)
  if (values.length === 0) return undefined
  return {
    $schema: SCHEMA,
    title: `Generalisation per developmental path: mean decoder-only loss (cells with loss < ${PAPER_CONTOURS.outer} outlined)`,
    data: { values: values.map((v) => ({ ...v, loss: Math.max(v.loss, 1e-3) })) },
    facet: { column: { field: "path", type: "nominal", title: null } },
    spec: {
      width: 220, height: 200,
      layer: [
        { mark: { type: "rect" }, encoding: { x: { field: "inputs", type: "ordinal", title: "n0" }, y: { field: "hidden", type: "ordinal", sort: "descending", title: "n1" }, color: { field: "loss", type: "quantitative", scale: { type: "log", scheme: "viridis", reverse: true }, title: "loss" }, tooltip: [{ field: "inputs" }, { field: "hidden" }, { field: "loss", format: ".3f" }, { field: "cells" }] } },
        { transform: [{ filter: `datum.loss < ${PAPER_CONTOURS.outer}` }], mark: { type: "rect", fill: null, stroke: "white", strokeWidth: 1.5 }, encoding: { x: { field: "inputs", type: "ordinal" }, y: { field: "hidden", type: "ordinal", sort: "descending" } } }
      ]
    }
  } as TopLevelSpec
}
