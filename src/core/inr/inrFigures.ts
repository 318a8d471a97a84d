import type { TopLevelSpec } from "vega-lite"
import type { InrMethod, InrResult, InrSample } from "./inrResults.js"
import type { MetricsRow } from "../run/index.js"

/**
 * Vega-Lite specifications of the INR report's figures, built from `inr.json`. Pure data in, specs
 * out; rendering happens in a program.
 */

const SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"

/** How each method is named in figures and tables. */
export const methodLabel: Record<InrMethod, string> = {
  hypernetwork: "hypernetwork g_θ(c)",
  mlp: "(a) MLP on (x, c)",
  scratch: "(b) INR from scratch per c",
  nearest: "(c) θ of nearest training c"
}
const methods: ReadonlyArray<InrMethod> = ["hypernetwork", "mlp", "scratch", "nearest"]
const methodColour = { domain: methods.map((m) => methodLabel[m]), range: ["#d62728", "#1f77b4", "#2ca02c", "#9467bd"] }

/** `t = 0.35` or `size = 0.25, position = −0.1`. */
export const conditionLabel = (names: ReadonlyArray<string>, condition: ReadonlyArray<number>): string =>
  names.map((n, k) => `${n} = ${Number(condition[k]!.toPrecision(4))}`).join(", ")

/** The label of a kind of condition, with the family's word for extrapolation. */
export const kindLabel = (kind: InrResult["rows"][number]["kind"], extrapolation: string): string => (kind === "extrapolation" ? extrapolation : kind)

/**
 * Relative L2 error per condition for every method, log scale. For one condition its value is the
 * x axis (so forecasting reads left to right); for several, each condition is a category.
 */
export const inrErrorsSpec = (r: InrResult): TopLevelSpec => {
  const one = r.conditionNames.length === 1
  const values = r.rows.flatMap((row) => methods.map((m) => ({
    method: methodLabel[m], error: Math.max(row[m], 1e-6), kind: kindLabel(row.kind, r.extrapolationLabel),
    condition: one ? row.condition[0]! : conditionLabel(r.conditionNames, row.condition)
  })))
  const x = one
    ? { field: "condition", type: "quantitative" as const, title: r.conditionNames[0]! }
    : { field: "condition", type: "ordinal" as const, sort: null, title: r.conditionNames.join(", "), axis: { labelAngle: -50, labelLimit: 220 } }
  return {
    $schema: SCHEMA,
    title: `Relative L2 error ‖g − f_c‖₂ / ‖f_c‖₂ per condition (family ${r.family})`,
    width: one ? 600 : Math.max(600, 22 * r.rows.length), height: 300,
    data: { values },
    layer: [
      { mark: { type: "line", strokeWidth: 1, opacity: 0.5 }, encoding: { x, y: { field: "error", type: "quantitative", scale: { type: "log" } }, color: { field: "method", type: "nominal", scale: methodColour } } },
      {
        mark: { type: "point", filled: true, size: 50 },
        encoding: {
          x, y: { field: "error", type: "quantitative", scale: { type: "log" }, title: "relative L2 error" },
          color: { field: "method", type: "nominal", scale: methodColour, legend: { labelLimit: 260 } },
          shape: { field: "kind", type: "nominal", title: "condition" },
          tooltip: [{ field: "condition" }, { field: "kind" }, { field: "method" }, { field: "error", format: ".3g" }]
        }
      }
    ]
  }
}

/** The figure grid's coordinates for a 1-D or 2-D domain (last coordinate fastest). */
const axisValues = (min: number, max: number, points: number) => Array.from({ length: points }, (_, k) => (points === 1 ? (min + max) / 2 : min + ((max - min) * k) / (points - 1)))

/** Truth against every method's network along x, one panel per condition (families with one input). */
export const inrCurvesSpec = (r: InrResult): TopLevelSpec => {
  const { min, max } = r.domain[0]!
  const xs = axisValues(min, max, r.settings.figurePoints)
  const panel = (s: InrSample) => `${conditionLabel(r.conditionNames, s.condition)} (${kindLabel(s.kind, r.extrapolationLabel)})`
  const values = r.samples.flatMap((s) => [
    ...xs.map((x, k) => ({ x, value: s.truth[k]!, series: "truth f_c", panel: panel(s) })),
    ...methods.flatMap((m) => xs.map((x, k) => ({ x, value: s[m][k]!, series: methodLabel[m], panel: panel(s) })))
  ])
  return {
    $schema: SCHEMA,
    title: `Truth and generated functions (family ${r.family}; seed 0)`,
    data: { values },
    facet: { field: "panel", type: "nominal", title: null, sort: r.samples.map(panel) },
    columns: 4,
    spec: {
      width: 200, height: 150,
      mark: { type: "line", strokeWidth: 1.3 },
      encoding: {
        x: { field: "x", type: "quantitative", title: "x" },
        y: { field: "value", type: "quantitative", title: "f(x)" },
        color: { field: "series", type: "nominal", scale: { domain: ["truth f_c", ...methodColour.domain], range: ["#000000", ...methodColour.range] }, legend: { labelLimit: 260 } },
        strokeDash: { field: "series", type: "nominal", scale: { domain: ["truth f_c", ...methodColour.domain], range: [[5, 3], [1, 0], [1, 0], [1, 0], [1, 0]] } }
      }
    }
  }
}

/**
 * Heatmaps for families with two inputs: per condition (rows), the truth, the hypernetwork's network
 * and its error g − f (columns); truth and generated share one diverging colour scale centred on 0
 * (the zero level set is where red turns blue).
 */
export const inrHeatmapsSpec = (r: InrResult): TopLevelSpec => {
  const [dx, dy] = [r.domain[0]!, r.domain[1]!]
  const n = r.settings.figurePoints
  const [xs, ys] = [axisValues(dx.min, dx.max, n), axisValues(dy.min, dy.max, n)]
  const [hx, hy] = [(dx.max - dx.min) / Math.max(1, n - 1) / 2, (dy.max - dy.min) / Math.max(1, n - 1) / 2]
  // one cell per grid point, centred on it
  const cells = (values: (k: number) => number) => xs.flatMap((x, i) => ys.map((y, j) => ({ x: x - hx, x2: x + hx, y: y - hy, y2: y + hy, value: values(i * n + j) })))
  const all = r.samples.flatMap((s) => [...s.truth, ...s.hypernetwork])
  const field = [Math.min(...all, -1e-9), Math.max(...all, 1e-9)] as const
  const error = Math.max(...r.samples.flatMap((s) => s.hypernetwork.map((g, k) => Math.abs(g - s.truth[k]!))), 1e-9)
  const heat = (title: string, values: ReadonlyArray<Record<string, number>>, [low, high]: readonly [number, number], scheme: string, legend: string) => ({
    title, width: 190, height: 190, data: { values },
    mark: { type: "rect" as const },
    encoding: {
      x: { field: "x", type: "quantitative" as const, title: "x₁", scale: { domain: [dx.min - hx, dx.max + hx], nice: false, zero: false } }, x2: { field: "x2" },
      y: { field: "y", type: "quantitative" as const, title: "x₂", scale: { domain: [dy.min - hy, dy.max + hy], nice: false, zero: false } }, y2: { field: "y2" },
      color: { field: "value", type: "quantitative" as const, scale: { scheme, domain: [low, high], domainMid: 0 }, title: legend }
    }
  })
  return {
    $schema: SCHEMA,
    title: `Truth, generated network and error (family ${r.family}; seed 0)`,
    resolve: { scale: { color: "independent" } },
    vconcat: r.samples.map((s) => ({
      resolve: { scale: { color: "independent" } },
      hconcat: [
        heat(`truth: ${conditionLabel(r.conditionNames, s.condition)} (${kindLabel(s.kind, r.extrapolationLabel)})`, cells((k) => s.truth[k]!), field, "redblue", "f"),
        heat("hypernetwork g_θ(c)", cells((k) => s.hypernetwork[k]!), field, "redblue", "g"),
        heat("error g − f", cells((k) => s.hypernetwork[k]! - s.truth[k]!), [-error, error], "purpleorange", "g − f")
      ]
    }))
  } as TopLevelSpec
}

/** The hypernetwork's training loss (the task's, batch means every logEvery steps). */
export const inrLossSpec = (metrics: ReadonlyArray<MetricsRow>, family: string): TopLevelSpec => ({
  $schema: SCHEMA,
  title: `Hypernetwork training loss (family ${family}, mean over the conditions of each batch)`,
  width: 600, height: 220,
  data: { values: metrics.filter((m) => m.loss > 0).map((m) => ({ step: m.step, loss: m.loss })) },
  mark: { type: "line", strokeWidth: 1.2, color: "#d62728" },
  encoding: { x: { field: "step", type: "quantitative" }, y: { field: "loss", type: "quantitative", scale: { type: "log" } } }
})
