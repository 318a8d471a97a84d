import type { TopLevelSpec } from "vega-lite"
import type { CellResult } from "./cellResult.js"
import { developmentalPaths, MEMORISED } from "./developmentalPath.js"
import { classColours, pathColours } from "../report/index.js"
import type { ArmSummary, CellPath } from "./studyAnalysis.js"
import { generalisationByPath } from "./studyAnalysis.js"
import { PAPER_CONTOURS } from "../run/index.js"

/** Vega-Lite specifications of a study report's figures: result tables in, specs out. */

const SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
const pathColour = {
  field: "path", type: "nominal", title: "developmental path",
  scale: { domain: [...developmentalPaths], range: developmentalPaths.map((p) => pathColours[p]) }
} as const
const classes = ["convexity", "pudding", "double-sided"] as const
const classColour = { field: "algorithm", type: "nominal", title: "algorithm", scale: { domain: [...classes], range: classes.map((a) => classColours[a]) } } as const

/** Per arm, the share of seeds on each path with its 95 % Wilson interval. */
export const pathSharesSpec = (allArms: ReadonlyArray<ArmSummary>): TopLevelSpec => {
  // an arm with no seed read yet has nothing to draw but [0, 1] intervals
  const arms = allArms.filter((a) => a.paths[developmentalPaths[0]!].of > 0)
  const values = arms.flatMap((a) => developmentalPaths.map((path) => ({ arm: `${a.arm} (n = ${a.paths[path].of})`, path, share: a.paths[path].share, low: a.paths[path].low, high: a.paths[path].high, count: a.paths[path].count })))
  return {
    $schema: SCHEMA,
    title: "Developmental paths: share of seeds per arm (bars) with 95 % Wilson intervals (lines)",
    data: { values },
    facet: { row: { field: "arm", type: "nominal", title: null, sort: arms.map((a) => `${a.arm} (n = ${a.paths[developmentalPaths[0]!].of})`), header: { labelAngle: 0, labelAlign: "left", labelLimit: 0 } } },
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
    return r.sweep.filter((s) => s.step === last).map((s) => ({ arm: r.arm, order: results.indexOf(r), seed: String(r.seed), path: pathOf.get(r.id)!, logBeta: s.logBeta, kl: Math.max(s.kl, 1e-6) }))
  })
  const seeds = new Map<string, Set<string>>()
  for (const v of values) seeds.set(v.arm, (seeds.get(v.arm) ?? new Set()).add(v.seed))
  return {
    $schema: SCHEMA,
    title: "Accumulated KL against β at the last checkpoint (one line per seed)",
    data: { values: values.map((v) => ({ ...v, panel: `${v.arm} (n = ${seeds.get(v.arm)!.size})` })) },
    facet: { field: "panel", type: "nominal", title: null, sort: { field: "order", op: "min" }, header: { labelLimit: 0 } },
    columns: 3,
    spec: {
      width: 260, height: 180,
      mark: { type: "line", strokeWidth: 1, opacity: 0.7 },
      encoding: { x: { field: "logBeta", type: "quantitative", title: "log₁₀ β" }, y: { field: "kl", type: "quantitative", scale: { type: "log" }, title: "KL (nats)" }, detail: { field: "seed", type: "nominal" }, color: { ...pathColour, legend: { orient: "bottom", columns: 3, labelLimit: 0 } } }
    }
  } as TopLevelSpec
}

/** Whether a sweep row carries the memorised signature (KL and α3; the ablation is at the last checkpoint only). */
const memorisedRow = (s: { readonly kl: number; readonly alpha3: number }) => s.kl >= MEMORISED.klMin && s.alpha3 <= MEMORISED.alpha3Max

/**
 * Every seed's phase diagram (Figure 3) as small multiples: class by training step × β, with a
 * dot where the networks carry the memorised signature (KL ≥ 10 nats and α3 ≤ 0.3).
 */
export const phaseDiagramsSpec = (results: ReadonlyArray<CellResult>, paths: ReadonlyArray<CellPath>, title = "Phase diagrams of every seed"): TopLevelSpec => {
  const pathOf = new Map(paths.map((p) => [p.id, p.reading.path]))
  const values = results.flatMap((r, order) => (r.sweep === null ? [] : r.sweep.map((s) => ({
    cell: `${r.arm} · seed ${r.seed} · ${pathOf.get(r.id) ?? "failed"}`, order, step: s.step, logBeta: s.logBeta, algorithm: s.algorithm, memorised: memorisedRow(s)
  }))))
  return {
    $schema: SCHEMA,
    title: `${title} (columns: checkpoints; rows: β from 1 at the top to 1e−12; dots: memorised signature)`,
    data: { values },
    // in the results' order (arm by arm, seed by seed), not alphabetically; labels never cut
    facet: { field: "cell", type: "nominal", title: null, sort: { field: "order", op: "min" }, header: { labelFontSize: 10, labelLimit: 0 } },
    columns: 4,
    spec: {
      width: 190, height: 80,
      layer: [
        {
          mark: { type: "rect" },
          encoding: {
            x: { field: "step", type: "ordinal", axis: null },
            y: { field: "logBeta", type: "ordinal", sort: "descending", axis: null },
            color: classColour
          }
        },
        {
          transform: [{ filter: "datum.memorised" }],
          mark: { type: "circle", size: 6, color: "#000", opacity: 0.8 },
          encoding: { x: { field: "step", type: "ordinal" }, y: { field: "logBeta", type: "ordinal", sort: "descending" } }
        }
      ]
    }
  } as TopLevelSpec
}

/**
 * β*(step) per seed (the largest β with the memorised signature at each checkpoint), a panel per
 * arm that has any: the paper's β boundary that "increases over time and then stabilizes" (§2.2).
 * Undefined when no seed of any arm carries the signature.
 */
export const betaStarSpec = (paths: ReadonlyArray<CellPath>): TopLevelSpec | undefined => {
  const values = paths.flatMap((p) => p.reading.betaStar.flatMap((b) => (b.logBeta === null ? [] : [{ arm: p.arm, seed: String(p.seed), step: b.step, logBeta: b.logBeta, path: p.reading.path, trend: p.reading.betaStarTrend }])))
  if (values.length === 0) return undefined
  const seedsPerArm = new Map<string, Set<string>>()
  for (const v of values) seedsPerArm.set(v.arm, (seedsPerArm.get(v.arm) ?? new Set()).add(v.seed))
  return {
    $schema: SCHEMA,
    title: "β*(step): the largest β at which the networks carry the memorised signature (one line per seed)",
    data: { values: values.map((v) => ({ ...v, panel: `${v.arm} (n = ${seedsPerArm.get(v.arm)!.size} seeds with β*)` })) },
    facet: { field: "panel", type: "nominal", title: null, header: { labelLimit: 0 } },
    columns: 3,
    spec: {
      width: 260, height: 180,
      mark: { type: "line", point: { size: 12 }, strokeWidth: 1.2, opacity: 0.8 },
      encoding: {
        x: { field: "step", type: "quantitative", title: "training step" },
        y: { field: "logBeta", type: "quantitative", scale: { domain: [-12, 0] }, title: "log₁₀ β*" },
        detail: { field: "seed", type: "nominal" },
        color: { ...pathColour, legend: { orient: "bottom", columns: 3, labelLimit: 0 } },
        tooltip: [{ field: "seed" }, { field: "step" }, { field: "logBeta", format: ".2f" }, { field: "trend" }]
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
