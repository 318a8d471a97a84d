import { Schema } from "effect"
import { LOW_LOG_BETA, mean, median } from "../run/index.js"
import type { AblationResult, SweepResult } from "../run/index.js"
import { PAPER_CONTOURS } from "../run/index.js"

/**
 * How a run's algorithms developed over training and β (the paper's Figure 3 shows five ways), read
 * automatically from its sweep (and its encoder ablation, when there is one):
 *
 * - `through-double-sided`: some trained checkpoint generates the double-sided algorithm at a
 *   visible share of β (Figure 3's blue paths).
 * - `memorised-low-beta`, `memorised-everywhere`, `memorised-other`: at the last checkpoint the
 *   low-β networks carry a *memorised* assignment (§3: "the hypernetwork stores a memorized
 *   assignment on the decoder side and passes it through to the encoder"; Figure 4): KL at low β of
 *   at least {@link MEMORISED}.klMin nats, a decoder-only loss at least {@link MEMORISED}.decoderRatio
 *   times the full loss, and seed dependence α3 at most {@link MEMORISED}.alpha3Max (changing the
 *   generation seed "does not change the order of the hidden neurons", §2.1). Split by what the
 *   networks compute: the pudding below a β boundary with convexity above (the paper's commonest
 *   picture), the pudding at (nearly) every β, or anything else (a memorised convexity, say).
 * - `convexity-throughout`: no trained checkpoint generates anything but convexity.
 * - `stalled`: at the last checkpoint the low-β networks have the pudding's order parameters but
 *   mixed signs (sign agreement below {@link PATH_RULES}.signedAgreement) and a low-β loss above the
 *   paper's outer contour: the ± symmetry of the signed pudding was never broken.
 * - `pudding-everywhere` (the paper's case 3d): the pudding spreads to (nearly) every β within
 *   {@link PATH_RULES}.spreadCheckpoints checkpoints of first appearing (a checkpoint may catch the
 *   switch half done) and stays there, with KL ≈ 0 at low β and decoder-only loss ≈ the full loss:
 *   the assignment is drawn from the noise, and the Pareto front collapses to a point.
 * - `pudding-low-beta`: at the last checkpoint the pudding holds at low β and convexity at high β,
 *   split at a β boundary (Figure 3's green-under-red paths).
 * - `other`: none of these (a pudding everywhere that carries KL, say).
 *
 * The rules are tried in this order; the thresholds are {@link PATH_RULES}.
 */
export const DevelopmentalPath = Schema.Literals([
  "convexity-throughout", "pudding-everywhere", "pudding-low-beta", "through-double-sided", "stalled",
  "memorised-low-beta", "memorised-everywhere", "memorised-other", "other"
])
export type DevelopmentalPath = typeof DevelopmentalPath.Type

/** Every path, in the order reports list them. */
export const developmentalPaths: ReadonlyArray<DevelopmentalPath> = DevelopmentalPath.literals

/** The thresholds of the path rules. */
export const PATH_RULES = {
  /** Share of a checkpoint's β that must be double-sided to call the path through double-sided. */
  doubleSidedShare: 0.1,
  /** Share of β that counts as "every β". */
  everyBetaShare: 0.9,
  /**
   * Checkpoints after the pudding first appears within which it must reach every β to count as
   * appearing at every β together (1: the next checkpoint; with the quick preset's 500-step
   * spacing, within 500 steps).
   */
  spreadCheckpoints: 1,
  /** Mean KL (nats) at low β below which a pudding carries no memorised assignment. */
  klNone: 0.05,
  /** Decoder-only loss at most this multiple of the encoder's: the assignment comes from noise. */
  decoderRatio: 1.25,
  /** Sign agreement at least this: a signed pudding (one sign for (nearly) every input). */
  signedAgreement: 0.75,
  /** Share of the β above the boundary that must be convexity, and below it pudding. */
  boundaryPurity: 0.8
} as const

/**
 * The memorised reading's thresholds, fixed before the study `studies/memorised-route` ran (issue
 * 20): at β ≤ 1e−6 a memorised assignment carries KL ≥ 10 nats (the case-3d seeds of the first
 * study carried ≤ 0.012), breaks without the encoder (decoder-only loss ≥ 2 × the full loss; case
 * 3d: 1.000) and does not depend on the generation seed (α3 ≤ 0.3; case 3d: ≈ 1).
 */
export const MEMORISED = {
  /** Highest log10 β read as "low β" for the memorised reading. */
  lowLogBeta: -6,
  /** KL (nats) at least this. */
  klMin: 10,
  /** Decoder-only over full loss at least this. */
  decoderRatio: 2,
  /** Seed dependence α3 at most this. */
  alpha3Max: 0.3,
  /** β*: the share of the grid at or below a β that must carry the signature for β* to reach it. */
  betaStarPurity: 0.8,
  /** Decades of β that count as a rise (or fall) of β* over training, and the widest a stable tail may spread. */
  decades: 1,
  /** The stable tail: at least this many checkpoints, and at least this share of them. */
  tailCheckpoints: 3,
  tailShare: 0.25
} as const

/**
 * How β* (the largest β with the memorised signature) moves over training: `never` memorised;
 * memorised once but `lost` by the last checkpoint; `rises-then-stabilises` (the paper: "the β
 * value of the transition boundary increases over time and then stabilizes", §2.2); `rises`
 * (still rising at the end); `falls`; `stable` (within a decade from first to last).
 */
export const BetaStarTrend = Schema.Literals(["never", "lost", "rises-then-stabilises", "rises", "stable", "falls"])
export type BetaStarTrend = typeof BetaStarTrend.Type

/** β* at one checkpoint: log10 of the largest β with the memorised signature (null: none). */
export interface BetaStarPoint {
  readonly step: number
  readonly logBeta: number | null
}

/** A run's path and the numbers the rules read. */
export interface PathReading {
  readonly path: DevelopmentalPath
  /** Steps of the sweep's trained checkpoints (step 0 excluded). */
  readonly lastStep: number
  /** First trained checkpoint where the pudding is the majority at low β (null if none). */
  readonly firstPuddingStep: number | null
  /** Share of β with the pudding at the last checkpoint. */
  readonly puddingShare: number
  /** Mean loss and KL at low β (β ≤ 1e−6), last checkpoint. */
  readonly lowBetaLoss: number
  readonly lowBetaKl: number
  /** Median sign agreement at low β, last checkpoint (null if the sweep has none). */
  readonly signAgreement: number | null
  /** Decoder-only over encoder loss at low β (null without an ablation). */
  readonly decoderRatio: number | null
  /** log10 β of the boundary between pudding below and convexity above (null if there is none). */
  readonly boundaryLogBeta: number | null
  /** Median double sidedness α1 at low β (β ≤ 1e−6), last checkpoint: ≈ 1 for a clean pudding, ≈ 4.6 for an Adam-trained network. */
  readonly lowBetaAlpha1: number | null
  /** Median seed dependence α3 at low β (β ≤ 1e−6), last checkpoint (null if the sweep has none). */
  readonly lowBetaAlpha3: number | null
  /** Whether the last checkpoint carries a memorised assignment at low β ({@link MEMORISED}; needs an ablation). */
  readonly memorised: boolean
  /** β* per trained checkpoint ({@link betaStar}). */
  readonly betaStar: ReadonlyArray<BetaStarPoint>
  readonly betaStarTrend: BetaStarTrend
}

/** Read a run's developmental path from its sweep (every checkpoint × β) and encoder ablation. */
export const developmentalPath = (sweep: SweepResult, ablation?: AblationResult): PathReading => {
  const steps = [...new Set(sweep.rows.map((r) => r.step))].sort((a, b) => a - b).filter((s) => s > 0)
  const at = (step: number) => sweep.rows.filter((r) => r.step === step).sort((a, b) => a.logBeta - b.logBeta)
  const share = (rows: ReadonlyArray<{ readonly algorithm: string }>, algorithm: string) =>
    rows.length === 0 ? 0 : rows.filter((r) => r.algorithm === algorithm).length / rows.length
  const lastStep = steps[steps.length - 1] ?? 0
  const last = at(lastStep)
  const low = last.filter((r) => r.logBeta <= LOW_LOG_BETA)
  const lowOrAll = low.length > 0 ? low : last
  const firstPuddingStep = steps.find((s) => share(at(s).filter((r) => r.logBeta <= LOW_LOG_BETA), "pudding") > 0.5) ?? null
  const signs = lowOrAll.flatMap((r) => (r.signAgreement === undefined ? [] : [r.signAgreement]))
  const lowAblation = (ablation?.rows ?? []).filter((r) => r.logBeta <= LOW_LOG_BETA)
  const memoLow = last.filter((r) => r.logBeta <= MEMORISED.lowLogBeta)
  const memoAblation = (ablation?.rows ?? []).filter((r) => r.logBeta <= MEMORISED.lowLogBeta)
  const alphas3 = memoLow.flatMap((r) => (Number.isFinite(r.alpha3) ? [r.alpha3] : []))
  const lowBetaAlpha3 = alphas3.length === 0 ? null : median(alphas3)
  const alphas1 = memoLow.flatMap((r) => (Number.isFinite(r.alpha1) ? [r.alpha1] : []))
  const memoRatio = memoAblation.length === 0 ? null : mean(memoAblation.map((r) => r.lossDecoderOnly)) / mean(memoAblation.map((r) => r.lossEncoder))
  const memorised = memoLow.length > 0 && mean(memoLow.map((r) => r.kl)) >= MEMORISED.klMin &&
    lowBetaAlpha3 !== null && lowBetaAlpha3 <= MEMORISED.alpha3Max && memoRatio !== null && memoRatio >= MEMORISED.decoderRatio
  const stars = steps.map((s) => ({ step: s, logBeta: betaStar(at(s), s === lastStep ? ablation : undefined) }))
  const reading = {
    lastStep,
    firstPuddingStep,
    puddingShare: share(last, "pudding"),
    lowBetaLoss: mean(lowOrAll.map((r) => r.loss)),
    lowBetaKl: mean(lowOrAll.map((r) => r.kl)),
    signAgreement: signs.length === 0 ? null : median(signs),
    decoderRatio: lowAblation.length === 0 ? null : mean(lowAblation.map((r) => r.lossDecoderOnly)) / mean(lowAblation.map((r) => r.lossEncoder)),
    boundaryLogBeta: boundary(last),
    lowBetaAlpha1: alphas1.length === 0 ? null : median(alphas1),
    lowBetaAlpha3,
    memorised,
    betaStar: stars,
    betaStarTrend: betaStarTrend(stars)
  }
  const path = ((): DevelopmentalPath => {
    if (steps.some((s) => share(at(s), "double-sided") >= PATH_RULES.doubleSidedShare)) return "through-double-sided"
    const lowPudding = share(lowOrAll, "pudding") > 0.5
    if (memorised) {
      if (reading.puddingShare >= PATH_RULES.everyBetaShare) return "memorised-everywhere"
      if (lowPudding && reading.boundaryLogBeta !== null) return "memorised-low-beta"
      return "memorised-other"
    }
    if (steps.every((s) => share(at(s), "convexity") === 1)) return "convexity-throughout"
    if (lowPudding && reading.signAgreement !== null && reading.signAgreement < PATH_RULES.signedAgreement && reading.lowBetaLoss > PAPER_CONTOURS.outer) return "stalled"
    const firstAny = steps.findIndex((s) => share(at(s), "pudding") > 0)
    const together = firstAny >= 0 && steps.slice(firstAny, firstAny + 1 + PATH_RULES.spreadCheckpoints).some((s) => share(at(s), "pudding") >= PATH_RULES.everyBetaShare)
    const noKl = reading.lowBetaKl < PATH_RULES.klNone && (reading.decoderRatio === null || reading.decoderRatio <= PATH_RULES.decoderRatio)
    if (together && reading.puddingShare >= PATH_RULES.everyBetaShare && noKl) return "pudding-everywhere"
    if (lowPudding && reading.boundaryLogBeta !== null) return "pudding-low-beta"
    return "other"
  })()
  return { path, ...reading }
}

/**
 * The log10 β at which one checkpoint's rows (sorted by β) switch from mostly pudding below to
 * mostly convexity above, or null: the split point maximising agreement, if both sides are pure
 * enough and non-empty.
 */
const boundary = (rows: ReadonlyArray<{ readonly logBeta: number; readonly algorithm: string }>): number | null => {
  let best: { readonly at: number; readonly purity: number } | null = null
  for (let k = 1; k < rows.length; k++) {
    const below = rows.slice(0, k)
    const above = rows.slice(k)
    const purity = Math.min(below.filter((r) => r.algorithm === "pudding").length / below.length, above.filter((r) => r.algorithm === "convexity").length / above.length)
    if (purity >= PATH_RULES.boundaryPurity && (best === null || purity > best.purity)) best = { at: (rows[k - 1]!.logBeta + rows[k]!.logBeta) / 2, purity }
  }
  return best?.at ?? null
}

/** Whether a path is one of the memorised ones. */
export const isMemorisedPath = (path: DevelopmentalPath): boolean => path.startsWith("memorised-")

/**
 * β* of one checkpoint: log10 of the largest β of the sweep's grid whose networks carry the
 * memorised signature (KL ≥ {@link MEMORISED}.klMin and α3 ≤ {@link MEMORISED}.alpha3Max, and where
 * the checkpoint's encoder ablation has that β, decoder-only loss ≥ {@link MEMORISED}.decoderRatio ×
 * the full loss) while at least {@link MEMORISED}.betaStarPurity of the grid at or below it does too;
 * null when no β qualifies. The paper's rising β boundary (§2.2) is β* over training.
 */
export const betaStar = (
  rows: ReadonlyArray<{ readonly logBeta: number; readonly kl: number; readonly alpha3: number }>,
  ablation?: Pick<AblationResult, "rows">
): number | null => {
  const sorted = [...rows].sort((a, b) => a.logBeta - b.logBeta)
  const ratioAt = (logBeta: number) => {
    const r = ablation?.rows.find((a) => Math.abs(a.logBeta - logBeta) < 1e-9)
    return r === undefined ? null : r.lossDecoderOnly / r.lossEncoder
  }
  const holds = sorted.map((r) => {
    const ratio = ratioAt(r.logBeta)
    return r.kl >= MEMORISED.klMin && r.alpha3 <= MEMORISED.alpha3Max && (ratio === null || ratio >= MEMORISED.decoderRatio)
  })
  let best: number | null = null
  let count = 0
  sorted.forEach((r, k) => {
    if (holds[k]) count++
    if (holds[k] && count / (k + 1) >= MEMORISED.betaStarPurity) best = r.logBeta
  })
  return best
}

/** How β* moved over training ({@link BetaStarTrend}), from β* per checkpoint in step order. */
export const betaStarTrend = (points: ReadonlyArray<BetaStarPoint>): BetaStarTrend => {
  const defined = points.filter((p) => p.logBeta !== null)
  if (defined.length === 0) return "never"
  const last = points[points.length - 1]!.logBeta
  if (last === null) return "lost"
  const change = last - defined[0]!.logBeta!
  const tailLength = Math.max(MEMORISED.tailCheckpoints, Math.ceil(MEMORISED.tailShare * points.length))
  const tail = points.slice(-tailLength).map((p) => p.logBeta)
  const stableTail = tail.length >= MEMORISED.tailCheckpoints && tail.every((b) => b !== null) &&
    Math.max(...(tail as Array<number>)) - Math.min(...(tail as Array<number>)) <= MEMORISED.decades
  if (change >= MEMORISED.decades) return stableTail ? "rises-then-stabilises" : "rises"
  if (change <= -MEMORISED.decades) return "falls"
  return "stable"
}
