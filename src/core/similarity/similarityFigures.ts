import type { TopLevelSpec } from "vega-lite"
import type { SimilarityResult } from "./similaritySettings.js"

/** Vega-Lite specifications of the similarity report's figures: result tables in, specs out. */

const SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
const GROUPS = ["self", "permuted", "noise", "other seed", "other task", "untrained"]
const groupColour = { field: "group", type: "nominal", title: "zoo member", scale: { domain: GROUPS, range: ["#000000", "#9467bd", "#ff7f0e", "#2ca02c", "#1f77b4", "#7f7f7f"] } } as const

/** Δ against linear CKA for every zoo member, one panel per data set. */
export const deltaVsCkaSpec = (r: SimilarityResult): TopLevelSpec => ({
  $schema: SCHEMA,
  title: "Hypernetwork transfer Δ against linear CKA (each point: a zoo member and its reference)",
  data: { values: r.datasets.flatMap((d) => d.rows.map((row) => ({ ...row, dataset: d.dataset }))) },
  facet: { column: { field: "dataset", type: "nominal", title: null } },
  spec: {
    width: 300, height: 260,
    mark: { type: "point", filled: true, size: 60, opacity: 0.85 },
    encoding: {
      x: { field: "cka", type: "quantitative", title: "linear CKA", scale: { zero: false } },
      y: { field: "delta", type: "quantitative", title: "Δ = ℓ_B⁰ − ℓ_B¹ (nats)" },
      color: groupColour,
      shape: { field: "reference", type: "nominal" },
      tooltip: [{ field: "encoder" }, { field: "reference" }, { field: "cka", format: ".4f" }, { field: "delta", format: ".3e" }, { field: "transferRatio", format: ".3f" }]
    }
  },
  resolve: { scale: { x: "independent", y: "independent" } }
} as TopLevelSpec)

/** Δ (as a share of the reference's own drop) and CKA against the known dissimilarity level. */
export const byLevelSpec = (r: SimilarityResult): TopLevelSpec => ({
  $schema: SCHEMA,
  title: "Both measures along the known order (left: most similar); Δ as a share of the reference's own drop",
  data: {
    values: r.datasets.flatMap((d) => d.rows.flatMap((row) => [
      ...(row.transferRatio === null ? [] : [{ dataset: d.dataset, measure: "Δ / Δ_self", value: row.transferRatio, level: row.level, group: row.group, encoder: row.encoder, reference: row.reference }]),
      { dataset: d.dataset, measure: "linear CKA", value: row.cka, level: row.level, group: row.group, encoder: row.encoder, reference: row.reference }
    ]))
  },
  facet: { row: { field: "measure", type: "nominal", title: null }, column: { field: "dataset", type: "nominal", title: null } },
  spec: {
    width: 300, height: 170,
    mark: { type: "point", filled: true, size: 50, opacity: 0.85 },
    encoding: {
      x: { field: "level", type: "quantitative", title: "known dissimilarity level", axis: { tickMinStep: 1 } },
      y: { field: "value", type: "quantitative", title: null },
      color: groupColour,
      tooltip: [{ field: "encoder" }, { field: "reference" }, { field: "value", format: ".4f" }]
    }
  },
  resolve: { scale: { y: "independent" } }
} as TopLevelSpec)

/** The probe hypernetwork's pre-training: mean pool loss over Adam steps, per data set. */
export const pretrainingSpec = (r: SimilarityResult): TopLevelSpec => ({
  $schema: SCHEMA,
  title: "Pre-training of the probe hypernetwork on the pool (mean cross-entropy of the generated probes)",
  width: 560, height: 200,
  data: { values: r.datasets.flatMap((d) => d.pretraining.curve.map((c) => ({ ...c, dataset: d.dataset }))) },
  mark: { type: "line", point: true },
  encoding: {
    x: { field: "step", type: "quantitative", title: "Adam step" },
    y: { field: "loss", type: "quantitative", title: "loss (nats)", scale: { type: "log" } },
    color: { field: "dataset", type: "nominal" }
  }
})
