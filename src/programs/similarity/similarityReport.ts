import { Effect } from "effect"
import { byLevelSpec, deltaVsCkaSpec, pretrainingSpec } from "../../core/similarity/index.js"
import { similarityReportHtml } from "../../core/similarity/index.js"
import type { SimilarityManifest, SimilarityResult } from "../../core/similarity/schemas.js"
import { Progress } from "../../services/console/index.js"
import { RunStore } from "../../services/store/index.js"
import { type Figure, renderSpec, writeFigure } from "../experiments/index.js"

/**
 * The similarity run's figures (`figures/*.svg` and `.png`) and its self-contained `report.html`.
 * Returns the report's path.
 */
export const similarityFigures = (runDir: string, manifest: SimilarityManifest, result: SimilarityResult) =>
  Effect.gen(function* () {
    const store = yield* RunStore
    const progress = yield* Progress
    const specs = [
      ["similarity-delta-vs-cka", "Δ against linear CKA for every zoo member (the reference itself in black, at CKA 1).", deltaVsCkaSpec(result)],
      ["similarity-by-level", "Δ / Δ_self and CKA along the known order of dissimilarity: level 0 the reference and its copy with permuted hidden units (the same function), 1… the noise levels in increasing σ, then encoders from other seeds, encoders trained on the other task and untrained encoders. A measure that agrees with the order falls from left to right.", byLevelSpec(result)],
      ["similarity-pretraining", "The probe hypernetwork's pre-training curve on the pool.", pretrainingSpec(result)]
    ] as const
    const figures: Array<Figure> = []
    for (const [name, caption, spec] of specs) {
      const f = { name, caption, svg: yield* renderSpec(spec) }
      yield* writeFigure(runDir, f)
      figures.push(f)
    }
    const path = store.join(runDir, "report.html")
    yield* store.writeText(path, similarityReportHtml(manifest, result, figures))
    yield* progress.finish("similarity report", path)
    return path
  })
