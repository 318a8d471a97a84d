import { mean, median } from "../run/index.js"
import type { CellResult } from "./cellResult.js"
import { BetaStarTrend, type DevelopmentalPath, developmentalPath, developmentalPaths, type PathReading } from "./developmentalPath.js"
import { cochranArmitage, fisherExact, mannWhitneyU, type TrendTest } from "./hypothesisTests.js"

/**
 * Statistics over a study's cells: each finished cell's developmental path (read from its sweep
 * and ablation), per arm the share of seeds on each path with a 95 % Wilson score interval, and
 * each arm against the first (exact tests of the shares, a rank test of the low-β loss).
 */

/** One finished cell and the path its sweep shows. */
export interface CellPath {
  readonly id: string
  readonly arm: string
  readonly seed: number
  readonly reading: PathReading
  /** Wall time of the attempt's last delivery (seconds): the whole cell unless {@link resumed}. */
  readonly wallSeconds: number | null
  /** A runner stopped mid-cell and another took it up from its last checkpoint (`deliveries` > 1). */
  readonly resumed: boolean
}

/** A share with its 95 % Wilson score interval (Wilson 1927; better than the normal one at small n or extreme p). */
export interface Share {
  readonly count: number
  readonly of: number
  readonly share: number
  readonly low: number
  readonly high: number
}

/** Wilson's score interval for `k` successes in `n` trials at confidence `z` (1.96: 95 %). */
export const wilsonInterval = (k: number, n: number, z = 1.96): Share => {
  if (n === 0) return { count: 0, of: 0, share: Number.NaN, low: 0, high: 1 }
  const p = k / n
  const z2 = z * z
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n)
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))
  return { count: k, of: n, share: p, low: Math.max(0, centre - half), high: Math.min(1, centre + half) }
}

/** What one arm of a study shows. */
export interface ArmSummary {
  readonly arm: string
  readonly cells: number
  readonly done: number
  readonly failed: number
  readonly paths: Readonly<Record<DevelopmentalPath, Share>>
  /** Seeds whose last checkpoint carries a memorised assignment (any `memorised-*` path). */
  readonly memorised: Share
  /** How β* moved over training ({@link BetaStarTrend}), counted over the arm's seeds. */
  readonly betaStarTrends: Readonly<Record<BetaStarTrend, number>>
  /** Over the memorised seeds, the median of their low-β α1 and sign agreement (null without any): a clean pudding or gradient-descent weights? */
  readonly memorisedShape: { readonly alpha1: number | null; readonly signAgreement: number | null }
  readonly medianLowBetaLoss: number
  readonly medianWallSeconds: number | null
}

/** The path of every cell that finished with a sweep (failed cells have none). */
export const cellPaths = (results: ReadonlyArray<CellResult>): ReadonlyArray<CellPath> =>
  results.flatMap((r) => r.status !== "done" || r.sweep === null ? [] : [{
    id: r.id, arm: r.arm, seed: r.seed,
    reading: developmentalPath({ seeds: r.experiments.sweep.seeds, samples: r.experiments.sweep.samples, rows: r.sweep },
      r.ablation === null ? undefined : { step: 0, seeds: 0, rows: r.ablation }),
    wallSeconds: r.execution?.wallSeconds ?? null,
    resumed: (r.execution?.deliveries ?? 1) > 1
  }])

const medianOf = (values: ReadonlyArray<number | null>): number | null => {
  const finite = values.flatMap((v) => (v !== null && Number.isFinite(v) ? [v] : []))
  return finite.length === 0 ? null : median(finite)
}
const medianShape = (paths: ReadonlyArray<CellPath>) => ({ alpha1: medianOf(paths.map((p) => p.reading.lowBetaAlpha1)), signAgreement: medianOf(paths.map((p) => p.reading.signAgreement)) })

/** The finite low-β losses of some cells (a diverged network's NaN has no rank). */
const lowBetaLosses = (paths: ReadonlyArray<CellPath>): ReadonlyArray<number> => paths.map((p) => p.reading.lowBetaLoss).filter(Number.isFinite)

/**
 * Wall seconds of the finished cells that ran in one go (one delivery): a resumed cell's time
 * covers its last part only, so it is left out of medians and estimates.
 */
export const oneGoWallSeconds = (results: ReadonlyArray<CellResult>): ReadonlyArray<number> =>
  results.flatMap((r) => r.status === "done" && r.execution !== null && r.execution.deliveries <= 1 ? [r.execution.wallSeconds] : [])

/**
 * Per arm, in the order given: cells, failures, path shares with intervals, median low-β loss and
 * median wall time of the cells that ran in one go (a resumed cell's time covers its last part only).
 */
export const summariseArms = (arms: ReadonlyArray<string>, results: ReadonlyArray<CellResult>): ReadonlyArray<ArmSummary> => {
  const paths = cellPaths(results)
  return arms.map((arm) => {
    const mine = results.filter((r) => r.arm === arm)
    const read = paths.filter((p) => p.arm === arm)
    const walls = oneGoWallSeconds(mine)
    return {
      arm,
      cells: mine.length,
      done: mine.filter((r) => r.status === "done").length,
      failed: mine.filter((r) => r.status === "failed").length,
      paths: Object.fromEntries(developmentalPaths.map((path) => [path, wilsonInterval(read.filter((p) => p.reading.path === path).length, read.length)])) as Record<DevelopmentalPath, Share>,
      memorised: wilsonInterval(read.filter((p) => p.reading.memorised).length, read.length),
      memorisedShape: medianShape(read.filter((p) => p.reading.memorised)),
      betaStarTrends: Object.fromEntries(BetaStarTrend.literals.map((t) => [t, read.filter((p) => p.reading.betaStarTrend === t).length])) as Record<BetaStarTrend, number>,
      medianLowBetaLoss: median(lowBetaLosses(read)),
      medianWallSeconds: walls.length === 0 ? null : median(walls)
    }
  })
}

/**
 * The mean decoder-only loss over the cells on each path, per generalisation shape (the Figure 5
 * valley per path). Paths with no generalisation results are absent.
 */
export const generalisationByPath = (results: ReadonlyArray<CellResult>): ReadonlyArray<{ readonly path: DevelopmentalPath; readonly inputs: number; readonly hidden: number; readonly loss: number; readonly cells: number }> => {
  const byId = new Map(cellPaths(results).map((p) => [p.id, p.reading.path]))
  const groups = new Map<string, { path: DevelopmentalPath; inputs: number; hidden: number; losses: Array<number> }>()
  for (const r of results) {
    const path = byId.get(r.id)
    if (path === undefined || r.generalization === null) continue
    for (const c of r.generalization) {
      const key = `${path}|${c.inputs}|${c.hidden}`
      const g = groups.get(key) ?? { path, inputs: c.inputs, hidden: c.hidden, losses: [] }
      g.losses.push(c.loss)
      groups.set(key, g)
    }
  }
  return [...groups.values()].map((g) => ({ path: g.path, inputs: g.inputs, hidden: g.hidden, loss: mean(g.losses), cells: g.losses.length }))
}

/** One arm against the study's reference arm (the plan's first). */
export interface ArmComparison {
  readonly arm: string
  readonly reference: string
  /** Per path, Fisher's exact two-sided p for its share differing from the reference's (NaN when neither arm has a seed on it). */
  readonly paths: Readonly<Record<DevelopmentalPath, number>>
  /** Fisher's exact two-sided p for the share of memorised seeds (NaN when neither arm has one). */
  readonly memorised: number
  /** Median low-β loss of the arm and the reference, and the Mann–Whitney U test's two-sided p between them. */
  readonly lowBetaLoss: { readonly median: number; readonly referenceMedian: number; readonly p: number }
}

/**
 * Every arm after the first against the first (the plan's reference): does changing the setting
 * change how often each path appears ({@link fisherExact}), or the low-β loss ({@link mannWhitneyU})?
 * p values are unadjusted for the number of comparisons.
 */
export const compareArms = (arms: ReadonlyArray<string>, results: ReadonlyArray<CellResult>): ReadonlyArray<ArmComparison> => {
  const [reference, ...others] = summariseArms(arms, results)
  if (reference === undefined) return []
  const paths = cellPaths(results)
  const losses = (arm: string) => lowBetaLosses(paths.filter((p) => p.arm === arm))
  return others.map((a) => ({
    arm: a.arm, reference: reference.arm,
    paths: Object.fromEntries(developmentalPaths.map((path) => {
      const [mine, ref] = [a.paths[path], reference.paths[path]]
      return [path, mine.count + ref.count === 0 ? Number.NaN : fisherExact(mine.count, mine.of, ref.count, ref.of)]
    })) as Record<DevelopmentalPath, number>,
    memorised: a.memorised.count + reference.memorised.count === 0 ? Number.NaN : fisherExact(a.memorised.count, a.memorised.of, reference.memorised.count, reference.memorised.of),
    lowBetaLoss: { median: a.medianLowBetaLoss, referenceMedian: reference.medianLowBetaLoss, p: mannWhitneyU(losses(a.arm), losses(reference.arm)).p }
  }))
}

/** A dose–response reading: the share of memorised seeds over arms ordered by a numeric setting. */
export interface MemorisedTrend {
  readonly name: string
  /** Per arm, in the order of the setting: its value (the score), and memorised seeds of seeds read. */
  readonly arms: ReadonlyArray<{ readonly arm: string; readonly score: number; readonly memorised: Share }>
  /** The Cochran–Armitage test; z > 0: more memorised seeds at larger values of the setting. */
  readonly test: TrendTest
}

/**
 * The Cochran–Armitage trend test of the share of memorised seeds across `arms`, scored by
 * `score(arm)` (e.g. the training cap log10 β of each arm). Arms without a score are left out.
 */
export const memorisedTrend = (name: string, arms: ReadonlyArray<string>, score: (arm: string) => number | undefined, results: ReadonlyArray<CellResult>): MemorisedTrend => {
  const summaries = summariseArms(arms, results)
  const scored = summaries.flatMap((a) => {
    const s = score(a.arm)
    return s === undefined ? [] : [{ arm: a.arm, score: s, memorised: a.memorised }]
  }).sort((a, b) => a.score - b.score)
  return { name, arms: scored, test: cochranArmitage(scored.map((a) => ({ score: a.score, k: a.memorised.count, n: a.memorised.of }))) }
}
