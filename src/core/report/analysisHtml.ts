import { classReason, type Thresholds } from "../network/schemas.js"
import type { NetworkAnalysis, NetworkFindings } from "../weights/index.js"
import { formatNumber } from "../base/schemas.js"
import { classCss } from "./palette.js"

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")
const n = (x: number) => esc(formatNumber(x))

/** What α2 is, beside its value: the one order parameter that is not scale-free. */
export const ALPHA2_SCALE_NOTE = "an absolute weight scale, the largest |W^(1)_ij|: a network trained at another scale reads differently"

/**
 * Rows of one network's findings, as label and value (plain text), for the terminal and the page:
 * every quantity the classifier read (α1, α2, path balance) and the sign agreement, then the class
 * with the comparisons that decided it under `thresholds`.
 */
export const findingsRows = (f: NetworkFindings, thresholds: Thresholds): ReadonlyArray<readonly [string, string]> => [
  ["file", f.file],
  ["format", `${f.format}, ${f.layout === "torch" ? "PyTorch layout [out, in]" : "hyperlayers layout [in, out]"} (${f.layoutFrom === "names" ? "from the tensor names" : "as given"})`],
  ["layers", f.layers.map((l, k) => `W^(${k + 1}) ← ${l.weight} (${l.dtype}), b^(${k + 1}) ← ${l.bias}`).join("; ")],
  ["shape", `[${f.shape.join(", ")}]`],
  ["α1 (double sidedness)", formatNumber(f.alpha1)],
  ["α2 (strongest connection)", `${formatNumber(f.alpha2)} (${ALPHA2_SCALE_NOTE})`],
  ["path balance", formatNumber(f.pathBalance)],
  ["sign agreement", formatNumber(f.signAgreement)],
  ["class", `${f.algorithm}: ${classReason(f, thresholds)}`],
  ["loss", f.loss === null ? `not measured: ${f.lossNote ?? "the task does not fit"}` : `${formatNumber(f.loss.value, 4)} on task ${f.loss.task} (${f.loss.activation} hidden units, ${f.loss.samples} inputs)`]
]

/** The thresholds line: which boundaries the class used, every quantity it read, and what α2 is. */
export const thresholdsText = (a: NetworkAnalysis): string =>
  `classes: convexity when α2 < ${formatNumber(a.thresholds.convexityMaxAlpha2)}, else double-sided when α1 > ${formatNumber(a.thresholds.doubleSidedMinAlpha1)} ` +
  `or path balance > ${formatNumber(a.thresholds.doubleSidedMinPathBalance)}, else pudding (α1 and path balance are scale-free; α2 is ${ALPHA2_SCALE_NOTE})`

/** A one-page HTML report of an analysis, the drawings inline. */
export const analysisHtml = (a: NetworkAnalysis, drawings: ReadonlyArray<{ readonly caption: string; readonly svg: string }>): string => {
  const table = (f: NetworkFindings) =>
    `<table>${findingsRows(f, a.thresholds).map(([k, v]) => `<tr><th>${esc(k)}</th><td>${k === "class" ? `<span class="c-${esc(f.algorithm)}">${esc(f.algorithm)}</span>${esc(v.slice(f.algorithm.length))}` : esc(v)}</td></tr>`).join("")}</table>`
  const compare = a.compare === undefined ? "" : `<h2>Compared with</h2>${table(a.compare.network)}<p>Seed dependence between the two first layers: α3 = ${n(a.compare.alpha3)} (0: the same weights; 1: unrelated; 2: opposite).</p>`
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>hyperlayers analyze: ${esc(a.network.file)}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:900px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
table{border-collapse:collapse;font-size:.9em;margin:1em 0}td,th{border:1px solid #ddd;padding:.25em .6em;text-align:left;vertical-align:top}th{background:#f4f4f4;white-space:nowrap}
figure{margin:1em 0;display:inline-block}figcaption{color:#555;font-size:.9em}
${classCss()}
</style></head><body>
<h1>${esc(a.network.file)}</h1>
${table(a.network)}
<p>${esc(thresholdsText(a))} (order parameters of the first layer, Liao, Liu &amp; Tegmark §2.2). Drawing: inputs green, output magenta, positive weights red, negative blue.</p>
${compare}
${drawings.map((d) => `<figure>${d.svg.replace(/^<\?xml[^>]*>/, "")}<figcaption>${esc(d.caption)}</figcaption></figure>`).join("")}
${a.drawing.note === undefined ? "" : `<p>${esc(a.drawing.note)}</p>`}
</body></html>
`
}
