import { escapeHtml, type Figure, htmlFigure, htmlTable, reportStyle } from "./html.js"
import { mean } from "../run/index.js"
import type { GeneralizationResult, RunSummary } from "../run/index.js"
import type { RunManifest } from "../run/index.js"
import { LOW_LOG_BETA } from "../run/index.js"
import { PAPER_CONTOURS, type RunResults } from "../run/index.js"
import { formatNumber } from "../base/schemas.js"
import { classCss } from "./palette.js"


export interface ReportInputs {
  readonly manifest: RunManifest
  readonly summary: RunSummary
  /** Whatever result tables the run has. */
  readonly results: RunResults
  /** The experiments not run yet, with the command that makes each. */
  readonly missing: ReadonlyArray<{ readonly experiment: string; readonly command: string }>
  readonly figures: ReadonlyArray<Figure>
  readonly drawings: ReadonlyArray<Figure>
}

const n = (x: number) => escapeHtml(formatNumber(x))

/**
 * Which shapes generalise, and along which direction the low-loss region runs: constant n1/n0
 * (the paper's Figure 5: it extends as both sizes grow) or constant n0·n1 (what the quick and
 * canonical runs of the README show).
 */
const generalizationFinding = (g: GeneralizationResult): string => {
  const good = g.cells.filter((c) => c.loss < PAPER_CONTOURS.outer)
  const head = `Generalisation: ${good.length} of ${g.cells.length} shapes reach loss < ${PAPER_CONTOURS.outer} decoder-only at log β = ${g.logBeta}`
  if (good.length === 0 || g.trained.length !== 3) return `${head}.`
  const [n0, n1] = [g.trained[0]!, g.trained[1]!]
  const span = (xs: ReadonlyArray<number>, show: (x: number) => string = String) => `${show(Math.min(...xs))}–${show(Math.max(...xs))}`
  const shapes = good.length <= 12 ? `: ${good.map((c) => `[${c.inputs}, ${c.hidden}]`).join(", ")}` : ""
  return `${head}${shapes}. Across them n0 spans ${span(good.map((c) => c.inputs))} and n1 ${span(good.map((c) => c.hidden))}, ` +
    `n0·n1 ${span(good.map((c) => (c.inputs * c.hidden) / (n0 * n1)), formatNumber)} × and n1/n0 ${span(good.map((c) => c.hidden / c.inputs / (n1 / n0)), formatNumber)} × the trained shape's.`
}

/**
 * A sign agreement this high means at most one input in eight has the minority sign; the
 * stalled runs measured stay at 0–0.5, the signed puddings at 1.
 */
const SIGNED_PUDDING_MIN_AGREEMENT = 0.75

/** The findings in sentences, each a number from the run. */
const findings = (i: ReportInputs): ReadonlyArray<string> => {
  const s = i.summary
  const { sweep, ablation, generalization } = i.results
  const out: Array<string> = []
  const byStep = s.findings?.majorityByStep ?? []
  if (s.findings !== null) {
    const early = byStep.filter((m) => m.step > 0).slice(0, 3)
    if (early.length > 0) out.push(`Earliest trained checkpoints (steps ${early.map((m) => m.step).join(", ")}): mostly ${early.map((m) => `${m.algorithm} (${Math.round(100 * m.share)}% of β)`).join(", ")}.`)
    out.push(s.findings.firstPuddingStep === null
      ? "No checkpoint generates the pudding algorithm at low β (β ≤ 1e−6) yet."
      : `Pudding at low β from step ${s.findings.firstPuddingStep}${s.findings.convexityBeforePudding ? ", after convexity at every earlier checkpoint" : ""}.`)
  }
  const last = byStep[byStep.length - 1]
  if (last !== undefined) out.push(`Last checkpoint (step ${last.step}): ${last.algorithm} at ${Math.round(100 * last.share)}% of β.`)
  if (s.finalLowBetaLoss !== null || s.baselineLoss !== null) {
    out.push([
      s.finalLowBetaLoss === null ? "" : `Mean loss at β ≤ 1e−6, last checkpoint: ${n(s.finalLowBetaLoss)} (the paper's contours: ${PAPER_CONTOURS.outer} and ${PAPER_CONTOURS.inner})`,
      s.baselineLoss === null ? "" : `Adam baseline: ${n(s.baselineLoss)}`
    ].filter((x) => x !== "").join("; ") + ".")
  }
  const gap = (ablation?.rows ?? []).filter((r) => r.logBeta <= LOW_LOG_BETA)
  if (gap.length > 0) {
    const enc = mean(gap.map((r) => r.lossEncoder))
    const dec = mean(gap.map((r) => r.lossDecoderOnly))
    out.push(`Encoder ablation at β ≤ 1e−6: loss ${n(enc)} with the encoder, ${n(dec)} decoder-only (${dec <= 1.25 * enc ? "the assignment comes from noise, as in the paper's case 3d" : "the hypernetwork relies on information memorised through the KL channel"}).`)
  }
  const signs = (sweep?.rows ?? []).flatMap((r) =>
    r.step === last?.step && r.logBeta <= LOW_LOG_BETA && r.algorithm === "pudding" && r.signAgreement !== undefined ? [r.signAgreement] : [])
  if (signs.length > 0) {
    const s = mean(signs)
    out.push(`Sign agreement of the inputs' strongest paths at β ≤ 1e−6, last checkpoint: ${n(s)} (${s >= SIGNED_PUDDING_MIN_AGREEMENT
      ? "one sign for (nearly) every input: a signed pudding"
      : "signs drawn at random per input: the pudding's ± symmetry is not broken, and such a network stays near the convexity loss"}).`)
  }
  if (generalization !== undefined) out.push(generalizationFinding(generalization))
  return out
}

const section = (title: string, body: string) => (body === "" ? "" : `<h2>${escapeHtml(title)}</h2>${body}`)

/** The self-contained HTML report: findings, figures (inline SVG), tables and the run manifest. */
export const reportHtml = (i: ReportInputs): string => {
  const m = i.manifest
  const { sweep, ablation, baseline } = i.results
  const shape = m.config.shape
  const lastStep = sweep === undefined || sweep.rows.length === 0 ? undefined : Math.max(...sweep.rows.map((r) => r.step))
  const lastRows = (sweep?.rows ?? []).filter((r) => r.step === lastStep)
  const figs = (...names: ReadonlyArray<string>) => i.figures.filter((f) => names.includes(f.name)).map(htmlFigure).join("")
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>hyperlayers report: ${escapeHtml(m.command)} seed ${m.rootSeed}</title>
${reportStyle(`.drawings{display:flex;flex-wrap:wrap;gap:.5em}.drawings figure{margin:0}\n.missing{background:#fff8e1;border:1px solid #f0d080;padding:.5em 1em}\n${classCss()}\n`)}</head><body>
<h1>Generating interpretable networks with hypernetworks — run report</h1>
<p>Task ${escapeHtml(m.config.task)}, target network [${shape.join(", ")}], hypernetwork of ${m.config.hypernetwork.stages.length} stages, ${i.summary.steps} training steps${i.summary.steps === m.config.steps ? "" : ` (the run's last checkpoint; its first command asked for ${m.config.steps})`}, ${m.config.betasPerStep} β per step, ${m.config.samplesPerBeta} samples per β, seed ${m.rootSeed}, backend ${escapeHtml(m.backend)}; created ${escapeHtml(m.createdAt)}. Order parameters (α1–α3, sign agreement) and classes read the first weight layer W⁽¹⁾ [${shape[0]} × ${shape[1]}].</p>
${i.missing.length === 0 ? "" : `<div class="missing"><p>Not run yet (this report shows what the run has):</p><ul>${i.missing.map((x) => `<li>${escapeHtml(x.experiment)}: <code>${escapeHtml(x.command)}</code></li>`).join("")}</ul></div>`}
<h2>Findings</h2><ul>${findings(i).map((f) => `<li>${escapeHtml(f)}</li>`).join("")}</ul>
${section("Training", figs("loss-curves"))}
${section("Algorithms over training and β", figs("phase-diagram", "order-parameter-paths", "order-parameters-over-training"))}
${section("Encoder ablation", ablation === undefined ? "" : figs("ablation") + htmlTable(["log β", "loss with encoder", "loss decoder-only", "KL", "class (encoder)", "class (decoder-only)"], ablation.rows.map((r) => [n(r.logBeta), n(r.lossEncoder), n(r.lossDecoderOnly), n(r.kl), `<span class="c-${r.algorithmEncoder}">${r.algorithmEncoder}</span>`, `<span class="c-${r.algorithmDecoderOnly}">${r.algorithmDecoderOnly}</span>`])))}
${section("Generalisation to unseen shapes", figs("generalization"))}
${section("Drawings", i.drawings.length === 0 ? "" : `<div class="drawings">${i.drawings.map(htmlFigure).join("")}</div>`)}
${section(`The last checkpoint (step ${lastStep}) per β`, lastStep === undefined ? "" : htmlTable(["log β", "loss (mean)", "min", "max", "KL", "α1", "α2", "α3", "sign agreement", "class"], lastRows.map((r) => [n(r.logBeta), n(r.loss), n(r.lossMin), n(r.lossMax), n(r.kl), n(r.alpha1), n(r.alpha2), n(r.alpha3), r.signAgreement === undefined ? "–" : n(r.signAgreement), `<span class="c-${r.algorithm}">${r.algorithm}</span>`])))}
${section("Adam baseline", baseline === undefined ? "" : `<p>${baseline.steps} steps of Adam (learning rate ${baseline.learningRate}, batch ${baseline.batch}): loss ${n(baseline.loss)}, α1 ${n(baseline.alpha1)}, α2 ${n(baseline.alpha2)}, α3 ${n(baseline.alpha3)} (two seeds), class ${escapeHtml(baseline.algorithm)}.</p>`)}
<h2>Run manifest</h2><pre>${escapeHtml(JSON.stringify(m, null, 2))}</pre>
<h2>Summary</h2><pre>${escapeHtml(JSON.stringify({ ...i.summary, phases: `${i.summary.phases.length} rows`, generalization: `${i.summary.generalization.length} cells` }, null, 2))}</pre>
</body></html>
`
}
