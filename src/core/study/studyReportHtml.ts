import { escapeHtml, type Figure, htmlFigure, htmlTable, reportStyle } from "../report/index.js"
import { BetaStarTrend, developmentalPaths, MEMORISED, PATH_RULES } from "./developmentalPath.js"
import type { ArmComparison, ArmSummary, CellPath, MemorisedTrend } from "./studyAnalysis.js"
import type { StudyPlan } from "./studyPlan.js"
import { formatNumber } from "../base/schemas.js"


const n = (x: number | null) => (x === null || !Number.isFinite(x) ? "–" : escapeHtml(formatNumber(x)))
/** Whole seconds; a resumed cell's time (its last part only) marked with an asterisk. */
const seconds = (x: number | null, resumed = false) => (x === null || !Number.isFinite(x) ? "–" : `${Math.round(x)}${resumed ? "*" : ""}`)
const pct = (x: number) => (Number.isFinite(x) ? `${Math.round(100 * x)}%` : "–")

const memorisedRule = `KL ≥ ${MEMORISED.klMin} nats, decoder-only loss ≥ ${MEMORISED.decoderRatio} × the full loss and α3 ≤ ${MEMORISED.alpha3Max} at β ≤ 1e${MEMORISED.lowLogBeta}, last checkpoint`
const rules = [
  ["through-double-sided", `some trained checkpoint is double-sided at ≥ ${pct(PATH_RULES.doubleSidedShare)} of β`],
  ["memorised-everywhere", `a memorised assignment (${memorisedRule}) and the pudding at ≥ ${pct(PATH_RULES.everyBetaShare)} of β`],
  ["memorised-low-beta", "a memorised assignment, the pudding at low β and convexity above a β boundary (the paper's commonest picture)"],
  ["memorised-other", "a memorised assignment, neither of those (a memorised convexity, say)"],
  ["convexity-throughout", "every trained checkpoint is convexity at every β"],
  ["stalled", `pudding order parameters at low β, sign agreement < ${PATH_RULES.signedAgreement} and low-β loss above the outer contour`],
  ["pudding-everywhere", `the paper's case 3d: pudding appears at ≥ ${pct(PATH_RULES.everyBetaShare)} of β at once and stays, KL at low β < ${PATH_RULES.klNone} nats, decoder-only loss ≤ ${PATH_RULES.decoderRatio} × the full loss`],
  ["pudding-low-beta", `pudding at low β, convexity above a β boundary (both sides ≥ ${pct(PATH_RULES.boundaryPurity)} pure)`],
  ["other", "none of these"]
] as const

/** p values to two significant digits, small ones in exponent form; "–" where there is nothing to test. */
const pValue = (p: number) => (!Number.isFinite(p) ? "–" : p < 0.001 ? p.toExponential(1) : p.toPrecision(2))

/** Each arm against the first: does the setting change the shares of the paths, or the low-β loss? */
const comparisonSection = (comparisons: ReadonlyArray<ArmComparison>): string => comparisons.length === 0 ? "" : `<h2>Each arm against ${escapeHtml(comparisons[0]!.reference)}</h2>
${htmlTable(["arm", ...developmentalPaths.map((p) => `${p} (p)`), "median low-β loss: arm / reference (p)"], comparisons.map((c) => [
  escapeHtml(c.arm), ...developmentalPaths.map((p) => pValue(c.paths[p])),
  `${n(c.lowBetaLoss.median)} / ${n(c.lowBetaLoss.referenceMedian)} (${pValue(c.lowBetaLoss.p)})`
]))}
<p>Two-sided p values: Fisher's exact test of each path's share of seeds against the reference arm's ("–" where neither arm has a seed on it), and the Mann–Whitney U test (normal approximation) of the low-β losses. They are not adjusted for the number of comparisons in this table: with m tests, a p value below 0.05 / m is the Bonferroni bar for any one of them.</p>`

/** The memorised reading per arm: the share of memorised seeds, against the reference, and how β* moved. */
const memorisedSection = (arms: ReadonlyArray<ArmSummary>, comparisons: ReadonlyArray<ArmComparison>, trends: ReadonlyArray<MemorisedTrend>): string => `<h2>Memorised assignments</h2>
<p>A seed is <i>memorised</i> when its last checkpoint carries ${escapeHtml(memorisedRule)} (fixed before the study <code>memorised-route</code> ran). β*(step) is the largest β of the sweep at which a checkpoint's networks carry the signature (KL and α3; the decoder-only ratio too at the last checkpoint, where the ablation is) with ≥ ${pct(MEMORISED.betaStarPurity)} of the grid below it; its trend over training: <i>rises then stabilises</i> (up by ≥ ${MEMORISED.decades} decade, the last ≥ ${MEMORISED.tailCheckpoints} checkpoints within ${MEMORISED.decades} decade), <i>rises</i>, <i>stable</i>, <i>falls</i>, <i>lost</i> (gone by the last checkpoint), <i>never</i>.</p>
${htmlTable(["arm", "memorised seeds", "against the reference (Fisher's p)", "memorised seeds' median α1 / sign agreement at low β", ...BetaStarTrend.literals.map((t) => `β*: ${t}`)], arms.map((a) => [
  escapeHtml(a.arm), `${a.memorised.count} of ${a.memorised.of} (${pct(a.memorised.share)}, ${pct(a.memorised.low)}–${pct(a.memorised.high)})`,
  pValue(comparisons.find((c) => c.arm === a.arm)?.memorised ?? Number.NaN), `${n(a.memorisedShape.alpha1)} / ${n(a.memorisedShape.signAgreement)}`,
  ...BetaStarTrend.literals.map((t) => String(a.betaStarTrends[t]))
]))}
${trends.map((t) => `<p><b>${escapeHtml(t.name)}</b> (Cochran–Armitage test for a trend in the share of memorised seeds): ${t.arms.map((a) => `${escapeHtml(a.arm)} at ${a.score}: ${a.memorised.count}/${a.memorised.of}`).join("; ")}; z = ${Number.isFinite(t.test.z) ? t.test.z.toFixed(2) : "–"}, two-sided p = ${pValue(t.test.p)}${Number.isFinite(t.test.z) ? (t.test.z > 0 ? " (more memorised seeds at larger values)" : " (fewer memorised seeds at larger values)") : " (nothing to test: no arm differs)"}.</p>`).join("\n")}`

/** The self-contained study report: per arm the path shares, then figures and every cell. */
export const studyReportHtml = (i: {
  readonly plan: StudyPlan
  readonly arms: ReadonlyArray<ArmSummary>
  readonly comparisons: ReadonlyArray<ArmComparison>
  readonly trends: ReadonlyArray<MemorisedTrend>
  readonly paths: ReadonlyArray<CellPath>
  readonly pending: number
  readonly figures: ReadonlyArray<Figure>
  /** Drawings of memorised networks (and references), when asked for. */
  readonly drawn?: { readonly drawn: ReadonlyArray<{ readonly label: string; readonly figure: Figure; readonly alpha1: number; readonly signAgreement: number }>; readonly missing: number }
}): string => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>hyperlayers study: ${escapeHtml(i.plan.name)}</title>
${reportStyle("td:first-child{text-align:left}\n")}</head><body>
<h1>Study ${escapeHtml(i.plan.name)}</h1>
${i.plan.description === undefined ? "" : `<p>${escapeHtml(i.plan.description)}</p>`}
<p>${i.arms.map((a) => `${escapeHtml(a.arm)}: ${a.done} done, ${a.failed} failed of ${a.cells} finished cells`).join("; ")}${i.pending > 0 ? `; ${i.pending} cells not run yet` : ""}.</p>
<h2>Developmental paths per arm</h2>
${htmlTable(["arm", "seeds read", ...developmentalPaths, "median low-β loss", "median wall time per cell (s)*"], i.arms.map((a) => [
  escapeHtml(a.arm) + (i.plan.arms.find((p) => p.name === a.arm)?.description === undefined ? "" : `<br><small>${escapeHtml(i.plan.arms.find((p) => p.name === a.arm)!.description!)}</small>`),
  String(a.paths["other"].of),
  ...developmentalPaths.map((p) => `${a.paths[p].count} (${pct(a.paths[p].share)}, ${pct(a.paths[p].low)}–${pct(a.paths[p].high)})`),
  n(a.medianLowBetaLoss), seconds(a.medianWallSeconds)
]))}
<p>Each share is the count over the arm's finished seeds with its 95 % Wilson score interval. *Wall time of training and experiments on one runner; a cell resumed by another runner after its first stopped (marked * in the last table) counts only its last part and is left out of the median. The paths are read from each seed's sweep (and encoder ablation) by these rules, in this order:</p>
<ul>${rules.map(([p, r]) => `<li><b>${escapeHtml(p)}</b>: ${escapeHtml(r)}</li>`).join("")}</ul>
${memorisedSection(i.arms, i.comparisons, i.trends)}
${comparisonSection(i.comparisons)}
${i.figures.map(htmlFigure).join("\n")}
${i.drawn === undefined ? "" : `<h2>Memorised networks, drawn (B.1)</h2>
<p>The network each drawn seed generates at the drawing's low β (encoder side, last checkpoint), beside the reference runs: a clean pudding reads α1 ≈ 1 with sign agreement 1; an Adam-trained network α1 ≈ 4.6 with sign agreement ≈ 0.75.${i.drawn.missing > 0 ? ` ${i.drawn.missing} memorised seeds were not drawn: their run directories are not on this machine.` : ""}</p>
${i.drawn.drawn.length === 0 ? "<p>No memorised seed to draw.</p>" : `<div class="drawings">${i.drawn.drawn.map((d) => htmlFigure(d.figure)).join("\n")}</div>`}`}
<h2>Every cell</h2>
${htmlTable(["arm", "seed", "path", "pudding at low β from step", "low-β loss", "low-β KL", "low-β α3", "sign agreement", "decoder-only / full loss", "β boundary (log₁₀)", "β* at the end (log₁₀)", "β* trend", "wall time (s)", "id"], i.paths.map((p) => [
  escapeHtml(p.arm), String(p.seed), escapeHtml(p.reading.path), p.reading.firstPuddingStep === null ? "–" : String(p.reading.firstPuddingStep),
  n(p.reading.lowBetaLoss), n(p.reading.lowBetaKl), n(p.reading.lowBetaAlpha3), n(p.reading.signAgreement), n(p.reading.decoderRatio), n(p.reading.boundaryLogBeta),
  n(p.reading.betaStar[p.reading.betaStar.length - 1]?.logBeta ?? null), escapeHtml(p.reading.betaStarTrend), seconds(p.wallSeconds, p.resumed), `<code>${escapeHtml(p.id)}</code>`
]))}
</body></html>
`
