import { escapeHtml, type Figure, htmlFigure, htmlTable, reportStyle } from "../report/index.js"
import { formatNumber } from "../base/schemas.js"
import type { DatasetSimilarity, SimilarityManifest, SimilarityResult } from "./similaritySettings.js"


const n = (x: number | null) => (x === null ? "undefined" : escapeHtml(formatNumber(x)))

const GROUP_ORDER = ["self", "permuted", "noise", "other seed", "other task", "untrained"] as const

/** Mean Δ, Δ/Δ_self and CKA per zoo group (noise per level). */
const groupTable = (d: DatasetSimilarity) => {
  const keys = [...new Set(d.rows.map((r) => `${GROUP_ORDER.indexOf(r.group)}|${r.level}|${r.group}${r.sigma === null ? "" : ` σ = ${r.sigma}`}`))]
    .sort((a, b) => Number(a.split("|")[1]) - Number(b.split("|")[1]) || Number(a.split("|")[0]) - Number(b.split("|")[0]))
  return htmlTable(["zoo member", "known level", "members", "mean Δ (nats)", "mean Δ / Δ_self", "mean CKA"], keys.map((key) => {
    const [, level, label] = key.split("|") as [string, string, string]
    const rows = d.rows.filter((r) => `${r.group}${r.sigma === null ? "" : ` σ = ${r.sigma}`}` === label && String(r.level) === level)
    const avg = (f: (r: (typeof rows)[number]) => number) => rows.reduce((s, r) => s + f(r), 0) / rows.length
    return [escapeHtml(label), level, String(rows.length), n(avg((r) => r.delta)), n(rows.every((r) => r.transferRatio !== null) ? avg((r) => r.transferRatio!) : null), n(avg((r) => r.cka))]
  }))
}

/** Sentences of measured findings for one data set. */
const findings = (d: DatasetSimilarity): ReadonlyArray<string> => [
  `${d.description}; ${d.trainSize} rows train the encoders, ${d.probeSize} held-out rows are the probe set for the hypernetwork, Δ and CKA.`,
  `Spearman ρ with the known order over the whole zoo (mean over ${d.perReference.length} reference${d.perReference.length === 1 ? "" : "s"}): Δ ${n(d.spearman.zoo.delta)}, CKA ${n(d.spearman.zoo.cka)}; Δ normalised by both encoders' own drops, Δ_AB / √(Δ_AA Δ_BB): ${n(d.spearman.zoo.deltaNormalised)}.`,
  `Over the graded part only (the permuted copy and the noise levels, whose order holds by construction): Δ ${n(d.spearman.graded.delta)}, CKA ${n(d.spearman.graded.cka)}, normalised Δ ${n(d.spearman.graded.deltaNormalised)}.`,
  `The pre-trained hypernetwork's probes reach pool loss ${n(d.pretraining.poolLoss)} nats (accuracy ${n(d.pretraining.poolAccuracy)}); after condition fitting the zoo's probes average loss ${n(d.zooProbe.loss)} (accuracy ${n(d.zooProbe.accuracy)}).`,
  `Self-transfer Δ_self (the reference's own drop): ${d.perReference.map((p) => `${escapeHtml(p.reference)} ${n(p.selfDelta)}`).join(", ")}.`
]

/** The self-contained HTML report of a similarity run: findings, figures (inline SVG), tables, manifest. */
export const similarityReportHtml = (manifest: SimilarityManifest, result: SimilarityResult, figures: ReadonlyArray<Figure>): string => {
  const s = manifest.settings
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>hyperlayers similarity report: seed ${manifest.rootSeed}</title>
${reportStyle()}</head><body>
<h1>Functional similarity by hypernetwork transfer</h1>
<p>A hypernetwork H maps an encoder's condition (a learned embedding) to a linear classifier on the encoder's features. It is pre-trained on a pool of
${s.pool.trained + s.pool.otherTask + s.pool.untrained} encoders (${s.pool.trained} trained on the task, ${s.pool.otherTask} on the other task, ${s.pool.untrained} untrained; none of them compared)
for ${s.hypernetwork.steps} Adam steps. Each compared encoder's condition is fitted from the pool's mean condition (${s.hypernetwork.conditionSteps} Adam steps, H frozen).
Then H's parameters take ${s.transfer.steps} gradient step${s.transfer.steps === 1 ? "" : "s"} of size ${s.transfer.learningRate} on the reference A's loss alone, and
Δ = ℓ_B⁰ − ℓ_B¹ is how much each zoo member B's loss drops: its similarity to A. Normalised Δ divides it by √(Δ_AA Δ_BB), both encoders' own drops under the same steps
(to first order the cosine of ∇_φ ℓ_A and ∇_φ ℓ_B; not in the blog post). Linear CKA (Kornblith et al. 2019) of the same probe-set features is the comparison.
The zoo of each reference: its copy with hidden units permuted (the same function), weight noise σ·rms(W) at σ ∈ {${s.zoo.noise.join(", ")}}, encoders trained from other seeds,
encoders trained on the other task, and untrained encoders, in this order of known similarity. Encoders [m, ${s.encoder.hidden.join(", ")}, ${s.encoder.features}] (swish).
Seed ${manifest.rootSeed}, backend ${escapeHtml(manifest.backend)}, ${manifest.preset === null ? "custom settings" : `preset ${escapeHtml(manifest.preset)}`}; created ${escapeHtml(manifest.createdAt)}; ${n(result.seconds)} s.</p>
<h2>Findings</h2>
${result.datasets.map((d) => `<h3>${escapeHtml(d.dataset)}</h3><ul>${findings(d).map((f) => `<li>${f}</li>`).join("")}</ul>`).join("\n")}
<h2>Figures</h2>
${figures.map(htmlFigure).join("\n")}
<h2>By zoo group</h2>
${result.datasets.map((d) => `<h3>${escapeHtml(d.dataset)}</h3>${groupTable(d)}${htmlTable(["reference", "Δ_self", "ρ(Δ) zoo", "ρ(normalised Δ) zoo", "ρ(CKA) zoo", "ρ(Δ) graded", "ρ(normalised Δ) graded", "ρ(CKA) graded"], d.perReference.map((p) => [escapeHtml(p.reference), n(p.selfDelta), n(p.zoo.delta), n(p.zoo.deltaNormalised), n(p.zoo.cka), n(p.graded.delta), n(p.graded.deltaNormalised), n(p.graded.cka)]))}`).join("\n")}
<h2>Every measurement</h2>
${result.datasets.map((d) => `<h3>${escapeHtml(d.dataset)}</h3>${htmlTable(["reference", "encoder", "group", "level", "CKA", "ℓ⁰", "ℓ¹", "Δ", "Δ / Δ_self", "normalised Δ"], d.rows.map((r) => [escapeHtml(r.reference), escapeHtml(r.encoder), escapeHtml(r.group), String(r.level), n(r.cka), n(r.lossBefore), n(r.lossAfter), n(r.delta), n(r.transferRatio), n(r.deltaNormalised)]))}`).join("\n")}
<h2>Run manifest</h2><pre>${escapeHtml(JSON.stringify(manifest, null, 2))}</pre>
</body></html>
`
}
