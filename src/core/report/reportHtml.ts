import { escapeHtml, type Figure, htmlFigure, reportStyle } from "./html.js"
import type { RunSummary } from "../run/index.js"
import type { RunManifest } from "../run/index.js"
import { classCss } from "./palette.js"


/** One section of the run report: a title and its HTML (figures inlined), made by an experiment's `report` (programs/experiments). */
export interface ReportSection {
  readonly title: string
  readonly html: string
}

export interface ReportInputs {
  readonly manifest: RunManifest
  readonly summary: RunSummary
  /** The experiments not run yet, with the command that makes each. */
  readonly missing: ReadonlyArray<{ readonly experiment: string; readonly command: string }>
  /** The experiments' findings in sentences, in the order of the experiments. */
  readonly findings: ReadonlyArray<string>
  /** The training figures (loss curves and KL). */
  readonly training: ReadonlyArray<Figure>
  /** The experiments' sections, in the order of the experiments (an empty one is left out). */
  readonly sections: ReadonlyArray<ReportSection>
}

const section = (title: string, body: string) => (body === "" ? "" : `<h2>${escapeHtml(title)}</h2>${body}`)

/**
 * The self-contained HTML report: the run, what is not run yet, the findings, the training
 * figures, each experiment's section (figures as inline SVG, tables), the manifest and the summary.
 */
export const reportHtml = (i: ReportInputs): string => {
  const m = i.manifest
  const shape = m.config.shape
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>hyperlayers report: ${escapeHtml(m.command)} seed ${m.rootSeed}</title>
${reportStyle(`.drawings{display:flex;flex-wrap:wrap;gap:.5em}.drawings figure{margin:0}\n.missing{background:#fff8e1;border:1px solid #f0d080;padding:.5em 1em}\n${classCss()}\n`)}</head><body>
<h1>Generating interpretable networks with hypernetworks — run report</h1>
<p>Task ${escapeHtml(m.config.task)}, target network [${shape.join(", ")}], hypernetwork of ${m.config.hypernetwork.stages.length} stages, ${i.summary.steps} training steps${i.summary.steps === m.config.steps ? "" : ` (the run's last checkpoint; its first command asked for ${m.config.steps})`}, ${m.config.betasPerStep} β per step, ${m.config.samplesPerBeta} samples per β, seed ${m.rootSeed}, backend ${escapeHtml(m.backend)}; created ${escapeHtml(m.createdAt)}. Order parameters (α1–α3, sign agreement) and classes read the first weight layer W⁽¹⁾ [${shape[0]} × ${shape[1]}].</p>
${i.missing.length === 0 ? "" : `<div class="missing"><p>Not run yet (this report shows what the run has):</p><ul>${i.missing.map((x) => `<li>${escapeHtml(x.experiment)}: <code>${escapeHtml(x.command)}</code></li>`).join("")}</ul></div>`}
<h2>Findings</h2><ul>${i.findings.map((f) => `<li>${escapeHtml(f)}</li>`).join("")}</ul>
${section("Training", i.training.map(htmlFigure).join(""))}
${i.sections.map((s) => section(s.title, s.html)).join("\n")}
<h2>Run manifest</h2><pre>${escapeHtml(JSON.stringify(m, null, 2))}</pre>
<h2>Summary</h2><pre>${escapeHtml(JSON.stringify({ ...i.summary, phases: `${i.summary.phases.length} rows`, generalization: `${i.summary.generalization.length} cells` }, null, 2))}</pre>
</body></html>
`
}
