import { contours } from "d3-contour"
import { classColours } from "./palette.js"
import type { TopLevelSpec } from "vega-lite"
import type { MetricsRow } from "../run/index.js"
import { Algorithm, type Thresholds } from "../network/schemas.js"
import type { AblationResult, GeneralizationResult, SweepResult } from "../run/index.js"
import { PAPER_CONTOURS } from "../run/index.js"

/**
 * Vega-Lite specifications of the report's figures, built from result tables. Pure data in, specs
 * out; rendering (SVG, PNG) happens in a program.
 */

/**
 * The paper's class colours (Figure 3): convexity red, pudding green, double-sided blue; grey for
 * "unclassifiable" (non-finite order parameters), which is no algorithm.
 */
const classColour = { field: "algorithm", type: "nominal", title: "algorithm", scale: { domain: [...Algorithm.literals], range: Algorithm.literals.map((a) => classColours[a]) } } as const
const SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
const logBetaAxis = { field: "logBeta", type: "quantitative", title: "log₁₀ β" } as const

/** A training curve drawn beside the hypernetwork's: a network an experiment trained (the Adam baseline). */
export interface TrainingCurve {
  /** Its name in the legend, e.g. "Adam baseline". */
  readonly series: string
  readonly points: ReadonlyArray<{ readonly step: number; readonly loss: number }>
}

/**
 * Training curves: loss (all β and β ≤ 1e−6), the `others` (the Adam baseline's), and the KL. A
 * curve of another run shares the loss panel when the two step counts are within a factor 2 of
 * each other; otherwise it gets its own panel (one axis for 90 hypernetwork steps and 30,000
 * baseline steps squeezed the hypernetwork's curve into the first pixel).
 */
export const lossCurvesSpec = (metrics: ReadonlyArray<MetricsRow>, task: string, others: ReadonlyArray<TrainingCurve>): TopLevelSpec => {
  const hyper = [
    ...metrics.map((m) => ({ step: m.step, value: m.loss, series: "hypernetwork, all β" })),
    ...metrics.filter((m) => Number.isFinite(m.lossLowBeta)).map((m) => ({ step: m.step, value: m.lossLowBeta, series: "hypernetwork, β ≤ 1e-6" }))
  ]
  const lastStep = (rows: ReadonlyArray<{ step: number }>) => rows.reduce((m, r) => Math.max(m, r.step), 0)
  const curves = others.map((c) => c.points.map((p) => ({ step: p.step, value: p.loss, series: c.series })))
  const together = (rows: ReadonlyArray<{ step: number }>) => {
    const ratio = lastStep(rows) / Math.max(1, lastStep(hyper))
    return rows.length === 0 || (ratio <= 2 && ratio >= 0.5)
  }
  const lossPanel = (title: string, values: ReadonlyArray<{ step: number; value: number; series: string }>) => ({
    title, width: 560, height: 240, data: { values: values.filter((d) => d.value > 0) }, mark: { type: "line", strokeWidth: 1.2 },
    encoding: { x: { field: "step", type: "quantitative" }, y: { field: "value", type: "quantitative", scale: { type: "log" }, title: "loss" }, color: { field: "series", type: "nominal", legend: { labelLimit: 300 } } }
  }) as const
  return {
    $schema: SCHEMA,
    vconcat: [
      lossPanel(`Training loss (batch mean, task ${task})`, [...hyper, ...curves.filter(together).flat()]),
      ...curves.flatMap((rows, k) => together(rows) ? [] : [lossPanel(`${others[k]!.series} loss (its own ${lastStep(rows)} steps, task ${task})`, rows)]),
      {
        title: "Accumulated KL (batch mean)", width: 560, height: 140, data: { values: metrics.map((m) => ({ step: m.step, kl: Math.max(m.kl, 1e-6) })) }, mark: { type: "line", strokeWidth: 1.2, color: "#555" },
        encoding: { x: { field: "step", type: "quantitative" }, y: { field: "kl", type: "quantitative", scale: { type: "log" }, title: "KL (nats)" } }
      }
    ]
  }
}

/** Figure 3: the class of the generated networks over training step × β. */
export const phaseDiagramSpec = (sweep: SweepResult): TopLevelSpec => {
  // Label evenly spaced checkpoints: vega's overlap removal drops labels unevenly, which made
  // the column after a transition look like the transition.
  const steps = [...new Set(sweep.rows.map((r) => r.step))].sort((a, b) => a - b)
  const stride = Math.max(1, Math.ceil(steps.length / 12))
  const labelled = steps.filter((_, k) => k % stride === 0)
  return {
    $schema: SCHEMA,
    title: "Phase diagram: algorithm by training step and β",
    width: 560, height: 260,
    data: { values: sweep.rows.map((r) => ({ step: r.step, logBeta: r.logBeta, algorithm: r.algorithm, loss: r.loss })) },
    mark: { type: "rect" },
    encoding: {
      x: { field: "step", type: "ordinal", title: "training step", axis: { labelAngle: -45, values: labelled } },
      y: { ...logBetaAxis, type: "ordinal", sort: "descending", axis: { labelExpr: "format(datum.value, '.1f')", labelOverlap: "greedy" } },
      color: classColour,
      tooltip: [{ field: "step" }, { field: "logBeta", format: ".2f" }, { field: "algorithm" }, { field: "loss", format: ".3f" }]
    }
  }
}

/** Figure 2: each checkpoint's path through order-parameter space as β sweeps 1e−12 → 1. */
export const orderParameterPathsSpec = (sweep: SweepResult, thresholds: Thresholds): TopLevelSpec => {
  const values = sweep.rows.map((r) => ({ ...r, alpha1: Math.max(r.alpha1, 1e-2) }))
  const boundary = (y: string) => [
    { data: { values: [{ alpha2: thresholds.convexityMaxAlpha2 }] }, mark: { type: "rule", strokeDash: [4, 4], color: "#666" }, encoding: { x: { field: "alpha2", type: "quantitative", scale: { type: "log" } } } },
    ...(y === "alpha1" ? [{ data: { values: [{ alpha1: thresholds.doubleSidedMinAlpha1 }] }, mark: { type: "rule", strokeDash: [4, 4], color: "#666" }, encoding: { y: { field: "alpha1", type: "quantitative", scale: { type: "log" } } } }] : [])
  ]
  const panel = (y: string, title: string, log: boolean) => ({
    width: 270, height: 240, title,
    layer: [
      ...boundary(y),
      { mark: { type: "line", strokeWidth: 0.6, opacity: 0.35, color: "#888" }, encoding: { x: { field: "alpha2", type: "quantitative", title: "α2 strongest connection", scale: { type: "log" } }, y: { field: y, type: "quantitative", scale: { type: log ? "log" : "linear" } }, detail: { field: "step", type: "nominal" }, order: { field: "logBeta", type: "quantitative" } } },
      { mark: { type: "point", filled: true, size: 22 }, encoding: { x: { field: "alpha2", type: "quantitative", scale: { type: "log" } }, y: { field: y, type: "quantitative", title: title, scale: { type: log ? "log" : "linear" } }, color: classColour, tooltip: [{ field: "step" }, { field: "logBeta", format: ".1f" }, { field: "alpha1", format: ".3g" }, { field: "alpha2", format: ".3g" }, { field: "alpha3", format: ".3g" }] } }
    ]
  })
  return { $schema: SCHEMA, title: "Order parameters: one path per checkpoint over β (dashed: class boundaries)", data: { values }, hconcat: [panel("alpha1", "α1 double sidedness", true), panel("alpha3", "α3 seed dependence", false)] } as TopLevelSpec
}

/** α1, α2, α3 and loss over training at a low, a middle and a high β of the sweep. */
export const orderParametersOverTrainingSpec = (sweep: SweepResult): TopLevelSpec => {
  const betas = [...new Set(sweep.rows.map((r) => r.logBeta))].sort((a, b) => a - b)
  const picked = [betas[0]!, betas[Math.floor(betas.length / 2)]!, betas[betas.length - 1]!]
  const values = sweep.rows.filter((r) => picked.includes(r.logBeta)).flatMap((r) => [
    { step: r.step, beta: `log β = ${r.logBeta.toFixed(1)}`, quantity: "α1 (log)", value: Math.log10(Math.max(r.alpha1, 1e-3)), algorithm: r.algorithm },
    { step: r.step, beta: `log β = ${r.logBeta.toFixed(1)}`, quantity: "α2", value: r.alpha2, algorithm: r.algorithm },
    { step: r.step, beta: `log β = ${r.logBeta.toFixed(1)}`, quantity: "α3", value: r.alpha3, algorithm: r.algorithm },
    // runs swept before the sign agreement existed have none to plot
    ...(r.signAgreement === undefined ? [] : [{ step: r.step, beta: `log β = ${r.logBeta.toFixed(1)}`, quantity: "sign agreement", value: r.signAgreement, algorithm: r.algorithm }]),
    { step: r.step, beta: `log β = ${r.logBeta.toFixed(1)}`, quantity: "loss", value: r.loss, algorithm: r.algorithm }
  ])
  return {
    $schema: SCHEMA, title: "Order parameters over training", data: { values },
    facet: { row: { field: "quantity", type: "nominal", title: null, sort: ["loss", "α1 (log)", "α2", "α3", "sign agreement"] }, column: { field: "beta", type: "nominal", title: null } },
    spec: {
      width: 170, height: 90,
      layer: [
        { mark: { type: "line", color: "#999", strokeWidth: 1 }, encoding: { x: { field: "step", type: "quantitative" }, y: { field: "value", type: "quantitative", title: null } } },
        { mark: { type: "point", filled: true, size: 18 }, encoding: { x: { field: "step", type: "quantitative" }, y: { field: "value", type: "quantitative" }, color: classColour } }
      ]
    },
    resolve: { scale: { y: "independent" } }
  } as TopLevelSpec
}

/** Figure 4: loss with the encoder and decoder-only, against β. */
export const ablationSpec = (a: AblationResult): TopLevelSpec => ({
  $schema: SCHEMA,
  title: `Encoder ablation at step ${a.step} (mean over ${a.seeds} generation seeds)`,
  width: 560, height: 260,
  data: { values: a.rows.flatMap((r) => [{ logBeta: r.logBeta, loss: r.lossEncoder, mode: "with encoder (z ~ q)" }, { logBeta: r.logBeta, loss: r.lossDecoderOnly, mode: "decoder only (z ~ p)" }]) },
  mark: { type: "line", point: true },
  encoding: { x: logBetaAxis, y: { field: "loss", type: "quantitative", scale: { type: "log" } }, color: { field: "mode", type: "nominal", title: null, legend: { labelLimit: 300 } }, strokeDash: { field: "mode", type: "nominal" } }
})

/**
 * Iso-lines of the loss grid at `levels`, in grid coordinates (column, row), as two-point segments.
 * d3-contour returns the polygons where log loss ≥ level; their edges along the grid's border are
 * not iso-lines and are dropped.
 */
const contourSegments = (g: GeneralizationResult, levels: ReadonlyArray<number>) => {
  const hidden = [...new Set(g.cells.map((c) => c.hidden))].sort((a, b) => a - b)
  const inputs = [...new Set(g.cells.map((c) => c.inputs))].sort((a, b) => a - b)
  const [nx, ny] = [hidden.length, inputs.length]
  const points: Array<{ level: number; segment: number; end: number; col: number; row: number }> = []
  if (nx < 2 || ny < 2) return points
  const grid = new Array<number>(nx * ny).fill(10)
  for (const c of g.cells) grid[inputs.indexOf(c.inputs) * nx + hidden.indexOf(c.hidden)] = Math.log10(Math.max(c.loss, 1e-9))
  const onBorder = ([x, y]: readonly [number, number]) => x <= 0.5 || x >= nx - 0.5 || y <= 0.5 || y >= ny - 0.5
  let segment = 0
  contours().size([nx, ny]).thresholds(levels.map(Math.log10))(grid).forEach((mp, k) => {
    for (const ring of mp.coordinates.flat()) {
      for (let i = 0; i + 1 < ring.length; i++) {
        const a = ring[i] as [number, number]
        const b = ring[i + 1] as [number, number]
        if (onBorder(a) && onBorder(b)) continue
        // d3-contour puts cell centres at +0.5
        for (const [end, [x, y]] of [a, b].entries()) points.push({ level: levels[k]!, segment, end, col: Math.min(Math.max(x - 0.5, 0), nx - 1), row: Math.min(Math.max(y - 0.5, 0), ny - 1) })
        segment++
      }
    }
  })
  return points
}

/** Figure 5: decoder-only loss over `[n0, n1, 1]`, contours at the paper's 0.07 and 0.15, the trained shape starred. */
export const generalizationSpec = (g: GeneralizationResult): TopLevelSpec => {
  const hidden = [...new Set(g.cells.map((c) => c.hidden))].sort((a, b) => a - b)
  const inputs = [...new Set(g.cells.map((c) => c.inputs))].sort((a, b) => a - b)
  const cells = g.cells.map((c) => {
    const col = hidden.indexOf(c.hidden)
    const row = inputs.indexOf(c.inputs)
    // cells overlap by a hair so that anti-aliasing leaves no seams between them
    return { ...c, col, row, col0: col - 0.51, col1: col + 0.51, row0: row - 0.51, row1: row + 0.51, label: c.loss.toFixed(2) }
  })
  const xAxis = { field: "col", type: "quantitative", title: "hidden units n1", scale: { domain: [-0.5, hidden.length - 0.5], nice: false, zero: false }, axis: { values: hidden.map((_, k) => k), labelExpr: `[${hidden.join(",")}][datum.value]`, grid: false } }
  const yAxis = { field: "row", type: "quantitative", title: "inputs n0", scale: { domain: [-0.5, inputs.length - 0.5], nice: false, zero: false }, axis: { values: inputs.map((_, k) => k), labelExpr: `[${inputs.join(",")}][datum.value]`, grid: false } }
  const star = g.trained.length === 3 ? [{ col: hidden.indexOf(g.trained[1]!), row: inputs.indexOf(g.trained[0]!) }].filter((s) => s.col >= 0 && s.row >= 0) : []
  return {
    $schema: SCHEMA,
    title: `Generalisation: decoder-only loss for [n0, n1, 1] at log β = ${g.logBeta} (step ${g.step})${g.normalisation === "trained" ? `, targets normalised as at n0 = ${g.trained[0]}` : ""}`,
    width: 480, height: 400,
    layer: [
      {
        data: { values: cells }, mark: { type: "rect" },
        encoding: {
          x: { ...xAxis, field: "col0" }, x2: { field: "col1" }, y: { ...yAxis, field: "row0" }, y2: { field: "row1" },
          color: { field: "loss", type: "quantitative", scale: { type: "log", scheme: "viridis", reverse: true }, title: "loss" },
          tooltip: [{ field: "inputs" }, { field: "hidden" }, { field: "loss", format: ".3f" }, { field: "algorithm" }]
        }
      },
      // a printed loss per cell reads on a small grid and is a smear on a dense one (the tooltip has it)
      ...(hidden.length <= 10 && inputs.length <= 10 ? [{ data: { values: cells }, mark: { type: "text", fontSize: 9, color: "white" }, encoding: { x: xAxis, y: yAxis, text: { field: "label" } } }] : []),
      {
        data: { values: contourSegments(g, [PAPER_CONTOURS.inner, PAPER_CONTOURS.outer]) }, mark: { type: "line", strokeWidth: 2.5, interpolate: "linear" },
        encoding: { x: xAxis, y: yAxis, detail: { field: "segment" }, order: { field: "end", type: "quantitative" }, color: { field: "level", type: "nominal", title: "contour", scale: { domain: [PAPER_CONTOURS.inner, PAPER_CONTOURS.outer], range: ["#e41a1c", "#377eb8"] } } }
      },
      { data: { values: star }, mark: { type: "point", shape: "M0,-1L0.29,-0.4L0.95,-0.31L0.48,0.15L0.59,0.81L0,0.5L-0.59,0.81L-0.48,0.15L-0.95,-0.31L-0.29,-0.4Z", size: 500, filled: true, fill: "gold", fillOpacity: 1, stroke: "black", strokeWidth: 1 }, encoding: { x: xAxis, y: yAxis } }
    ],
    resolve: { scale: { color: "independent" } }
  } as TopLevelSpec
}
