import { escapeHtml, htmlTable } from "./html.js"
import { mean } from "../run/index.js"
import type { AblationResult, BaselineResult, GeneralizationResult, SweepResult } from "../run/index.js"
import { LOW_LOG_BETA } from "../run/index.js"
import { PAPER_CONTOURS, sweepFindings, sweepSummary } from "../run/index.js"
import { formatNumber } from "../base/schemas.js"

/**
 * The run report's readings of the paper's experiments (§2, Figures 2–6; ARCHITECTURE.md,
 * "Experiments"): the findings in sentences, each a number from the run, and the tables. Each
 * built-in experiment's `report` (programs/experiments) puts these into its section of
 * `report.html`.
 */

const n = (x: number) => escapeHtml(formatNumber(x))

/**
 * A sign agreement this high means at most one input in eight has the minority sign; the
 * stalled runs measured stay at 0–0.5, the signed puddings at 1.
 */
const SIGNED_PUDDING_MIN_AGREEMENT = 0.75

/** The sweep's findings: the classes of the earliest and last checkpoints, when the pudding appears, the low-β loss and the signs of the pudding. */
export const sweepFindingSentences = (sweep: SweepResult): ReadonlyArray<string> => {
  if (sweep.rows.length === 0) return []
  const f = sweepFindings(sweep)
  const out: Array<string> = []
  const byStep = f.majorityByStep
  const early = byStep.filter((m) => m.step > 0).slice(0, 3)
  if (early.length > 0) out.push(`Earliest trained checkpoints (steps ${early.map((m) => m.step).join(", ")}): mostly ${early.map((m) => `${m.algorithm} (${Math.round(100 * m.share)}% of β)`).join(", ")}.`)
  out.push(f.firstPuddingStep === null
    ? "No checkpoint generates the pudding algorithm at low β (β ≤ 1e−6) yet."
    : `Pudding at low β from step ${f.firstPuddingStep}${f.convexityBeforePudding ? ", after convexity at every earlier checkpoint" : ""}.`)
  const last = byStep[byStep.length - 1]
  if (last !== undefined) out.push(`Last checkpoint (step ${last.step}): ${last.algorithm} at ${Math.round(100 * last.share)}% of β.`)
  const lowLoss = sweepSummary(sweep).finalLowBetaLoss
  if (lowLoss !== null && lowLoss !== undefined) out.push(`Mean loss at β ≤ 1e−6, last checkpoint: ${n(lowLoss)} (the paper's contours: ${PAPER_CONTOURS.outer} and ${PAPER_CONTOURS.inner}).`)
  const signs = sweep.rows.flatMap((r) =>
    r.step === last?.step && r.logBeta <= LOW_LOG_BETA && r.algorithm === "pudding" && r.signAgreement !== undefined ? [r.signAgreement] : [])
  if (signs.length > 0) {
    const s = mean(signs)
    out.push(`Sign agreement of the inputs' strongest paths at β ≤ 1e−6, last checkpoint: ${n(s)} (${s >= SIGNED_PUDDING_MIN_AGREEMENT
      ? "one sign for (nearly) every input: a signed pudding"
      : "signs drawn at random per input: the pudding's ± symmetry is not broken, and such a network stays near the convexity loss"}).`)
  }
  return out
}

/** The sweep's table: every β at the last checkpoint, with its title (none for an empty sweep). */
export const sweepLastCheckpointTable = (sweep: SweepResult): { readonly title: string; readonly html: string } | undefined => {
  if (sweep.rows.length === 0) return undefined
  const lastStep = Math.max(...sweep.rows.map((r) => r.step))
  const rows = sweep.rows.filter((r) => r.step === lastStep)
  return {
    title: `The last checkpoint (step ${lastStep}) per β`,
    html: htmlTable(["log β", "loss (mean)", "min", "max", "KL", "α1", "α2", "α3", "sign agreement", "class"], rows.map((r) => [n(r.logBeta), n(r.loss), n(r.lossMin), n(r.lossMax), n(r.kl), n(r.alpha1), n(r.alpha2), n(r.alpha3), r.signAgreement === undefined ? "–" : n(r.signAgreement), `<span class="c-${r.algorithm}">${r.algorithm}</span>`]))
  }
}

/** The encoder ablation's finding (at β ≤ 1e−6; none when its grid has no such β). */
export const ablationFindingSentences = (ablation: AblationResult): ReadonlyArray<string> => {
  const gap = ablation.rows.filter((r) => r.logBeta <= LOW_LOG_BETA)
  if (gap.length === 0) return []
  const enc = mean(gap.map((r) => r.lossEncoder))
  const dec = mean(gap.map((r) => r.lossDecoderOnly))
  return [`Encoder ablation at β ≤ 1e−6: loss ${n(enc)} with the encoder, ${n(dec)} decoder-only (${dec <= 1.25 * enc ? "the assignment comes from noise, as in the paper's case 3d" : "the hypernetwork relies on information memorised through the KL channel"}).`]
}

/** The encoder ablation's table, per β. */
export const ablationTable = (ablation: AblationResult): string =>
  htmlTable(["log β", "loss with encoder", "loss decoder-only", "KL", "class (encoder)", "class (decoder-only)"], ablation.rows.map((r) => [n(r.logBeta), n(r.lossEncoder), n(r.lossDecoderOnly), n(r.kl), `<span class="c-${r.algorithmEncoder}">${r.algorithmEncoder}</span>`, `<span class="c-${r.algorithmDecoderOnly}">${r.algorithmDecoderOnly}</span>`]))

/**
 * Which shapes generalise, and along which direction the low-loss region runs: constant n1/n0
 * (the paper's Figure 5: it extends as both sizes grow) or constant n0·n1 (what the quick and
 * canonical runs of the README show).
 */
export const generalizationFinding = (g: GeneralizationResult): string => {
  const good = g.cells.filter((c) => c.loss < PAPER_CONTOURS.outer)
  const head = `Generalisation: ${good.length} of ${g.cells.length} shapes reach loss < ${PAPER_CONTOURS.outer} decoder-only at log β = ${g.logBeta}`
  if (good.length === 0 || g.trained.length !== 3) return `${head}.`
  const [n0, n1] = [g.trained[0]!, g.trained[1]!]
  const span = (xs: ReadonlyArray<number>, show: (x: number) => string = String) => `${show(Math.min(...xs))}–${show(Math.max(...xs))}`
  const shapes = good.length <= 12 ? `: ${good.map((c) => `[${c.inputs}, ${c.hidden}]`).join(", ")}` : ""
  return `${head}${shapes}. Across them n0 spans ${span(good.map((c) => c.inputs))} and n1 ${span(good.map((c) => c.hidden))}, ` +
    `n0·n1 ${span(good.map((c) => (c.inputs * c.hidden) / (n0 * n1)), formatNumber)} × and n1/n0 ${span(good.map((c) => c.hidden / c.inputs / (n1 / n0)), formatNumber)} × the trained shape's.`
}

/** The Adam baseline in a paragraph: its training, loss, order parameters and class. */
export const baselineParagraph = (baseline: BaselineResult): string =>
  `<p>${baseline.steps} steps of Adam (learning rate ${baseline.learningRate}, batch ${baseline.batch}): loss ${n(baseline.loss)}, α1 ${n(baseline.alpha1)}, α2 ${n(baseline.alpha2)}, α3 ${n(baseline.alpha3)} (two seeds), class ${escapeHtml(baseline.algorithm)}.</p>`
