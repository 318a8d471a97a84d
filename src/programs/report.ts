import { Effect, Schema } from "effect"
import { ablationSpec, generalizationSpec, lossCurvesSpec, orderParameterPathsSpec, orderParametersOverTrainingSpec, phaseDiagramSpec } from "../core/figures.js"
import type { ExperimentSettings } from "../core/experimentSettings.js"
import { reportHtml } from "../core/reportHtml.js"
import { AblationResult, BaselineResult, GeneralizationResult, RunSummary, SweepResult } from "../core/results.js"
import { MetricsRow, RunManifest } from "../core/runManifest.js"
import { PAPER_CONTOURS, summarise } from "../core/summary.js"
import { Progress } from "../services/Progress.js"
import { RunStore } from "../services/RunStore.js"
import { drawConstructions, drawRun } from "./draw.js"
import { type Figure, renderSpec, writeFigure } from "./figures.js"

/** Read `metrics.jsonl`, skipping a line cut short by a crash. */
const readMetrics = (runDir: string) => Effect.gen(function* () {
  const store = yield* RunStore
  const text = yield* store.readText(store.join(runDir, "metrics.jsonl"))
  const decode = Schema.decodeUnknownOption(MetricsRow)
  return text.split("\n").flatMap((line) => {
    try {
      const row = decode(JSON.parse(line))
      return row._tag === "Some" ? [row.value] : []
    } catch {
      return []
    }
  })
})

/**
 * Build the report from a run's result files: every figure (SVG and PNG under `figures/`), the
 * drawings, `summary.json` and one self-contained `report.html`. Returns the report's path.
 */
export const report = (runDir: string, settings: ExperimentSettings) =>
  Effect.gen(function* () {
    const store = yield* RunStore
    const progress = yield* Progress
    const read = <A, I>(name: string, schema: Schema.Codec<A, I>) => store.readJson(store.join(runDir, name), schema)
    const manifest = yield* read("manifest.json", RunManifest)
    const sweepResult = yield* read("sweep.json", SweepResult)
    const ablationResult = yield* read("ablation.json", AblationResult)
    const generalization = yield* read("generalization.json", GeneralizationResult)
    const baselineResult = yield* read("baseline.json", BaselineResult)
    const metrics = yield* readMetrics(runDir)
    const specs = [
      ["loss-curves", "Training loss over all β and over β ≤ 1e−6 (batch means every logEvery steps), the Adam baseline's loss, and the accumulated KL.", lossCurvesSpec(metrics, baselineResult)],
      ["phase-diagram", "Figure 3 analogue: the class of the generated networks (median α1, α2 over generation seeds) per checkpoint and β.", phaseDiagramSpec(sweepResult)],
      ["order-parameter-paths", "Figure 2 analogue: each checkpoint's path through (α2, α1) and (α2, α3) as β sweeps 1e−12 → 1, points coloured by class.", orderParameterPathsSpec(sweepResult, settings.thresholds)],
      ["order-parameters-over-training", "Loss, α1 (log10), α2, α3 and the sign agreement (not the paper's: 1 when every input's strongest path has one sign) over training at the lowest, a middle and the highest β of the sweep.", orderParametersOverTrainingSpec(sweepResult)],
      ["ablation", "Figure 4 analogue: loss of networks generated with the encoder (z ~ q) and decoder-only (z ~ p), same seeds.", ablationSpec(ablationResult)],
      ["generalization", `Figure 5 analogue: decoder-only loss for shapes never trained on; contours at ${PAPER_CONTOURS.inner} (red) and ${PAPER_CONTOURS.outer} (blue); the star marks the trained shape.`, generalizationSpec(generalization)]
    ] as const
    const figures: Array<Figure> = []
    for (const [k, [name, caption, spec]] of specs.entries()) {
      figures.push({ name, caption, svg: yield* renderSpec(spec) })
      yield* progress.update("report", { done: k + 1, total: specs.length + 2, detail: name })
    }
    const drawings = [
      ...(yield* drawRun(runDir, settings.drawing, baselineResult.network)),
      ...(yield* drawConstructions(manifest.config.shape[0]!, manifest.config.shape[1]!, settings.drawing))
    ]
    yield* progress.update("report", { done: specs.length + 1, total: specs.length + 2, detail: "drawings" })
    for (const f of [...figures, ...drawings]) yield* writeFigure(runDir, f)
    const summary = summarise({ steps: manifest.config.steps, seed: manifest.rootSeed, backend: manifest.backend }, sweepResult, ablationResult, generalization, baselineResult)
    yield* store.writeJson(store.join(runDir, "summary.json"), RunSummary, summary)
    const path = store.join(runDir, "report.html")
    yield* store.writeText(path, reportHtml({ manifest, summary, sweep: sweepResult, ablation: ablationResult, generalization, baseline: baselineResult, figures, drawings }))
    yield* progress.finish("report", path)
    return { path, summary }
  })
