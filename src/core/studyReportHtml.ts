import { developmentalPaths, PATH_RULES } from "./developmentalPath.js"
import type { ArmSummary, CellPath } from "./studyAnalysis.js"
import type { StudyPlan } from "./studyPlan.js"
import { formatNumber } from "./table.js"

/** A figure of the study report: file stem, caption and SVG text. */
export interface StudyFigure {
  readonly name: string
  readonly caption: string
  readonly svg: string
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")
const n = (x: number | null) => (x === null || !Number.isFinite(x) ? "–" : esc(formatNumber(x)))
const pct = (x: number) => (Number.isFinite(x) ? `${Math.round(100 * x)}%` : "–")
const table = (headers: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>) =>
  `<table><thead><tr>${headers.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join("")}</tr>`).join("")}</tbody></table>`
const figure = (f: StudyFigure) => `<figure id="${esc(f.name)}">${f.svg.replace(/^<\?xml[^>]*>/, "")}<figcaption>${esc(f.caption)}</figcaption></figure>`

const rules = [
  ["through-double-sided", `some trained checkpoint is double-sided at ≥ ${pct(PATH_RULES.doubleSidedShare)} of β`],
  ["convexity-throughout", "every trained checkpoint is convexity at every β"],
  ["stalled", `pudding order parameters at low β, sign agreement < ${PATH_RULES.signedAgreement} and low-β loss above the outer contour`],
  ["pudding-everywhere", `the paper's case 3d: pudding appears at ≥ ${pct(PATH_RULES.everyBetaShare)} of β at once and stays, KL at low β < ${PATH_RULES.klNone} nats, decoder-only loss ≤ ${PATH_RULES.decoderRatio} × the full loss`],
  ["pudding-low-beta", `pudding at low β, convexity above a β boundary (both sides ≥ ${pct(PATH_RULES.boundaryPurity)} pure)`],
  ["other", "none of these"]
] as const

/** The self-contained study report: per arm the path shares, then figures and every cell. */
export const studyReportHtml = (i: {
  readonly plan: StudyPlan
  readonly arms: ReadonlyArray<ArmSummary>
  readonly paths: ReadonlyArray<CellPath>
  readonly pending: number
  readonly figures: ReadonlyArray<StudyFigure>
}): string => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>hyperlayers study: ${esc(i.plan.name)}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ddd}
figure{margin:1.5em 0;overflow-x:auto}figcaption{color:#555;font-size:.9em}
table{border-collapse:collapse;font-size:.85em;margin:1em 0}td,th{border:1px solid #ddd;padding:.2em .5em;text-align:right}th{background:#f4f4f4}
td:first-child{text-align:left}
</style></head><body>
<h1>Study ${esc(i.plan.name)}</h1>
${i.plan.description === undefined ? "" : `<p>${esc(i.plan.description)}</p>`}
<p>${i.arms.map((a) => `${esc(a.arm)}: ${a.done} done, ${a.failed} failed of ${a.cells} finished cells`).join("; ")}${i.pending > 0 ? `; ${i.pending} cells not run yet` : ""}.</p>
<h2>Developmental paths per arm</h2>
${table(["arm", "seeds read", ...developmentalPaths, "median low-β loss", "median wall time per cell (s)"], i.arms.map((a) => [
  esc(a.arm) + (i.plan.arms.find((p) => p.name === a.arm)?.description === undefined ? "" : `<br><small>${esc(i.plan.arms.find((p) => p.name === a.arm)!.description!)}</small>`),
  String(a.paths["other"].of),
  ...developmentalPaths.map((p) => `${a.paths[p].count} (${pct(a.paths[p].share)}, ${pct(a.paths[p].low)}–${pct(a.paths[p].high)})`),
  n(a.medianLowBetaLoss), n(a.medianWallSeconds)
]))}
<p>Each share is the count over the arm's finished seeds with its 95 % Wilson score interval. The paths are read from each seed's sweep (and encoder ablation) by these rules, in this order:</p>
<ul>${rules.map(([p, r]) => `<li><b>${esc(p)}</b>: ${esc(r)}</li>`).join("")}</ul>
${i.figures.map(figure).join("\n")}
<h2>Every cell</h2>
${table(["arm", "seed", "path", "pudding at low β from step", "low-β loss", "low-β KL", "sign agreement", "decoder-only / full loss", "β boundary (log₁₀)", "wall time (s)", "id"], i.paths.map((p) => [
  esc(p.arm), String(p.seed), esc(p.reading.path), p.reading.firstPuddingStep === null ? "–" : String(p.reading.firstPuddingStep),
  n(p.reading.lowBetaLoss), n(p.reading.lowBetaKl), n(p.reading.signAgreement), n(p.reading.decoderRatio), n(p.reading.boundaryLogBeta), n(p.wallSeconds), `<code>${esc(p.id)}</code>`
]))}
</body></html>
`
