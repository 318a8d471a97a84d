import { escapeHtml, type Figure, htmlFigure, htmlTable, type PngFigure, reportStyle } from "../report/index.js"
import { conditionLabel, kindLabel, methodLabel } from "./inrFigures.js"
import type { InrMethod, InrResult } from "./inrResults.js"
import type { RunManifest } from "../run/index.js"
import { formatNumber } from "../base/schemas.js"

const esc = escapeHtml
const table = htmlTable
const n = (x: number) => esc(formatNumber(x))

const methods: ReadonlyArray<InrMethod> = ["hypernetwork", "mlp", "scratch", "nearest"]

/** The method with the lowest error of a row. */
const best = (row: Record<InrMethod, number>): InrMethod => methods.reduce((a, m) => (row[m] < row[a] ? m : a), "hypernetwork" as InrMethod)

/** The findings in sentences, each from the results. */
export const inrFindings = (r: InrResult): ReadonlyArray<string> => {
  const out: Array<string> = []
  for (const s of r.summary) {
    const ranked = [...methods].sort((a, b) => s[a] - s[b])
    out.push(`${kindLabel(s.kind, r.extrapolationLabel)[0]!.toUpperCase()}${kindLabel(s.kind, r.extrapolationLabel).slice(1)} (${s.conditions} conditions): mean relative L2 error ${ranked.map((m) => `${methodLabel[m]} ${formatNumber(s[m])}`).join(" < ")}.`)
  }
  const wins = methods.map((m) => [m, r.rows.filter((row) => best(row) === m).length] as const).filter(([, k]) => k > 0)
  out.push(`Best method per condition: ${wins.map(([m, k]) => `${methodLabel[m]} on ${k}`).join(", ")} of ${r.rows.length}.`)
  const spread = r.rows.filter((row) => row.hypernetworkSeeds.length > 1)
  if (spread.length > 0) {
    const ratio = Math.max(...spread.map((row) => Math.max(...row.hypernetworkSeeds) / Math.max(Math.min(...row.hypernetworkSeeds), 1e-12)))
    out.push(`The hypernetwork's error varies with the generation seed by up to ${formatNumber(ratio)}× (${r.rows[0]!.hypernetworkSeeds.length} seeds).`)
  }
  out.push(`Wall time on this machine: hypernetwork training ${formatNumber(r.seconds.hypernetwork)} s, MLP ${formatNumber(r.seconds.mlp)} s, ${r.rows.length} INRs from scratch ${formatNumber(r.seconds.scratch)} s, evaluation ${formatNumber(r.seconds.evaluation)} s.`)
  return out
}

/** The self-contained HTML report of an INR experiment: findings, figures (inline), tables and the run manifest. */
export const inrReportHtml = (r: InrResult, manifest: RunManifest, figures: ReadonlyArray<Figure | PngFigure>): string => {
  const s = r.settings
  const label = (c: ReadonlyArray<number>) => esc(conditionLabel(r.conditionNames, c))
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>hyperlayers INR report: ${esc(r.family)} seed ${manifest.rootSeed}</title>
${reportStyle()}</head><body>
<h1>Hypernetworks as generators of implicit neural representations — family ${esc(r.family)}</h1>
<p>${esc(r.description)}. A hypernetwork reads the condition c (${r.conditionNames.map(esc).join(", ")}, each scaled to [−1, 1] over its training range, beside log β) and generates the weights θ_c of a target network g_θ [${s.shape.join(", ")}] (${esc(s.activation)}), trained on the family's training conditions with the library's <code>train</code> program: ${s.steps} steps of ${s.conditionsPerStep} conditions × ${s.samples} inputs, Adam at ${s.learningRate}. Target normalisation: ${esc(r.normalisation)}. Evaluated at checkpoint step ${r.step} (of ${r.selection.checkpoints.length} checkpoints, the one with the lowest mean error on the training conditions), log β = ${n(r.logBeta)}, on a grid of ${s.gridPoints} points per axis over ${r.domain.map((d) => `[${d.min}, ${d.max}]`).join(" × ")}; seed ${manifest.rootSeed}, backend ${esc(manifest.backend)}.</p>
<p>Baselines, each with the same budget (${s.steps} Adam steps, at ${s.baselineLearningRate}, ${s.samples} inputs per condition and step): (a) one MLP [${r.domain.length + r.conditionNames.length}, ${s.mlpHidden.join(", ")}, ${s.shape[s.shape.length - 1]}] taking (x, c), trained on ${s.conditionsPerStep} training conditions per step; (b) one INR [${s.shape.join(", ")}] per evaluated condition, trained from scratch on that condition alone (it sees the held-out conditions' data: a reference, not a competitor); (c) the hypernetwork's own network for the nearest training condition. Error: ‖g − f_c‖₂ / ‖f_c‖₂ on the grid. Every method keeps its best snapshot of every ${s.checkpointEvery} steps by its error on its own training data, so that none is judged on a noisy last Adam step: the hypernetwork step ${r.step}, the MLP step ${r.selection.mlpStep}, the INRs from scratch steps ${Math.min(...r.selection.scratchSteps)}–${Math.max(...r.selection.scratchSteps)}.</p>
<h2>Findings</h2><ul>${inrFindings(r).map((f) => `<li>${esc(f)}</li>`).join("")}</ul>
<h2>Mean relative L2 error</h2>
${table(["conditions", "count", ...methods.map((m) => methodLabel[m])], r.summary.map((row) => [esc(kindLabel(row.kind, r.extrapolationLabel)), String(row.conditions), ...methods.map((m) => (m === best(row) ? `<b>${n(row[m])}</b>` : n(row[m])))]))}
<p>Parameters trained: hyperhypernetwork ${r.parameters.hypernetwork.toLocaleString("en")}, MLP ${r.parameters.mlp.toLocaleString("en")}, one INR ${r.parameters.scratch.toLocaleString("en")} (× ${r.rows.length} conditions). Final training loss: hypernetwork ${n(r.finalLoss.hypernetwork)}, MLP ${n(r.finalLoss.mlp)}, INRs from scratch ${n(r.finalLoss.scratch)} (mean).</p>
${figures.map(htmlFigure).join("\n")}
<h2>Per condition</h2>
${table(["condition", "kind", ...methods.map((m) => methodLabel[m]), "nearest training condition"], r.rows.map((row) => [label(row.condition), esc(kindLabel(row.kind, r.extrapolationLabel)), ...methods.map((m) => (m === best(row) ? `<b>${n(row[m])}</b>` : n(row[m]))), label(row.nearestCondition)]))}
<h2>Settings</h2><pre>${esc(JSON.stringify(s, null, 2))}</pre>
<h2>Run manifest</h2><pre>${esc(JSON.stringify(manifest, null, 2))}</pre>
</body></html>
`
}
