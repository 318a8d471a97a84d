import { Effect, Schema } from "effect"
import type { TopLevelSpec } from "vega-lite"
import { inrCurvesSpec, inrErrorsSpec, inrHeatmapsSpec, inrLossSpec } from "../../core/inr/index.js"
import type { Figure, PngFigure } from "../../core/report/index.js"
import { inrReportHtml } from "../../core/inr/index.js"
import type { InrResult } from "../../core/inr/schemas.js"
import { MetricsRow, RunManifest } from "../../core/run/index.js"
import { RunStore } from "../../services/store/index.js"
import { renderSpec, writeFigure } from "../experiments/index.js"

/** Above this size an SVG goes into the report as its PNG (a heatmap has one element per cell). */
const INLINE_SVG_LIMIT = 400_000

/** The run's `metrics.jsonl` rows, skipping a line cut short by a crash. */
export const readMetricsRows = (runDir: string) => Effect.gen(function* () {
  const store = yield* RunStore
  const path = store.join(runDir, "metrics.jsonl")
  if (!(yield* store.exists(path))) return []
  const decode = Schema.decodeUnknownOption(MetricsRow)
  return (yield* store.readText(path)).split("\n").flatMap((line) => {
    try {
      const row = decode(JSON.parse(line))
      return row._tag === "Some" ? [row.value] : []
    } catch {
      return []
    }
  })
})

/**
 * Render the INR figures (`figures/inr-*.svg` and `.png`) and write the self-contained
 * `inr-report.html` into the run directory; returns the report's path.
 */
export const writeInrReport = (runDir: string, result: InrResult) =>
  Effect.gen(function* () {
    const store = yield* RunStore
    const manifest = yield* store.readJson(store.join(runDir, "manifest.json"), RunManifest)
    const metrics = yield* readMetricsRows(runDir)
    const inputs = result.domain.length
    const names = result.conditionNames.join(", ")
    const specs: Array<readonly [string, string, TopLevelSpec]> = [
      ["inr-errors", `Relative L2 error per condition (${names}) for the hypernetwork and the three baselines; shapes mark training, interpolation and ${result.extrapolationLabel} conditions.`, inrErrorsSpec(result)]
    ]
    if (inputs === 1) specs.push(["inr-curves", `Truth f_c (dashed) and the networks of every method along x, for training, interpolation and ${result.extrapolationLabel} conditions.`, inrCurvesSpec(result)])
    if (inputs === 2) specs.push(["inr-heatmaps", "Truth, the hypernetwork's generated network and its error g − f over the domain, for a training, an interpolation and an extrapolation condition (truth and generated share one colour scale).", inrHeatmapsSpec(result)])
    if (metrics.length > 0) specs.push(["inr-training-loss", "The hypernetwork's training loss over steps.", inrLossSpec(metrics, result.family)])
    const figures: Array<Figure | PngFigure> = []
    for (const [name, caption, spec] of specs) {
      const svg = yield* renderSpec(spec)
      const png = yield* writeFigure(runDir, { name, caption, svg })
      figures.push(svg.length <= INLINE_SVG_LIMIT ? { name, caption, svg } : { name, caption, pngBase64: Buffer.from(png).toString("base64") })
    }
    const path = store.join(runDir, "inr-report.html")
    yield* store.writeText(path, inrReportHtml(result, manifest, figures))
    return path
  })
