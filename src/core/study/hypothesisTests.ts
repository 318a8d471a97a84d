import hypergeometricPmf from "@stdlib/stats-base-dists-hypergeometric-pmf"
import normalCdf from "@stdlib/stats-base-dists-normal-cdf"

/**
 * Two-sided Fisher's exact test that two groups share one proportion: `k1` of `n1` against `k2`
 * of `n2` (a 2×2 table). Under the null hypothesis the first group's count is hypergeometric given
 * the margins; p sums the probabilities of every table with those margins that is no more probable
 * than the observed one (R's `fisher.test` convention, with its relative tolerance 1e−7).
 * Returns NaN when a group is empty. Source: Agresti, Categorical Data Analysis (2002), §3.5.
 */
export const fisherExact = (k1: number, n1: number, k2: number, n2: number): number => {
  if (!(n1 > 0 && n2 > 0) || ![k1, n1, k2, n2].every(Number.isInteger) || k1 < 0 || k2 < 0 || k1 > n1 || k2 > n2) return Number.NaN
  const total = n1 + n2
  const successes = k1 + k2
  const at = (x: number) => hypergeometricPmf(x, total, successes, n1)
  const observed = at(k1)
  let p = 0
  for (let x = Math.max(0, successes - n2); x <= Math.min(n1, successes); x++) {
    const px = at(x)
    if (px <= observed * (1 + 1e-7)) p += px
  }
  return Math.min(1, p)
}

/** The result of a Mann–Whitney U test. */
export interface MannWhitney {
  /** U of the first sample: pairs (x, y) with x > y, ties counting ½. */
  readonly u: number
  /** Two-sided p value. */
  readonly p: number
}

/**
 * Two-sided Mann–Whitney U (Wilcoxon rank-sum) test that two samples come from one distribution,
 * with the normal approximation, tie correction and continuity correction (as
 * `scipy.stats.mannwhitneyu(x, y, method="asymptotic")`). Fine for the group sizes of a study
 * (≥ 8 per group); NaN when a sample is empty or holds a value that is not finite.
 * Source: Hollander, Wolfe & Chicken, Nonparametric Statistical Methods (2014), §4.1.
 */
export const mannWhitneyU = (xs: ReadonlyArray<number>, ys: ReadonlyArray<number>): MannWhitney => {
  const n1 = xs.length
  const n2 = ys.length
  if (n1 === 0 || n2 === 0 || ![...xs, ...ys].every(Number.isFinite)) return { u: Number.NaN, p: Number.NaN }
  const all = [...xs.map((v) => ({ v, first: true })), ...ys.map((v) => ({ v, first: false }))].sort((a, b) => a.v - b.v)
  let rankSum = 0
  let tieTerm = 0
  for (let i = 0; i < all.length;) {
    let j = i
    while (j + 1 < all.length && all[j + 1]!.v === all[i]!.v) j++
    const rank = (i + j) / 2 + 1
    const t = j - i + 1
    tieTerm += t * t * t - t
    for (let k = i; k <= j; k++) if (all[k]!.first) rankSum += rank
    i = j + 1
  }
  const n = n1 + n2
  const u = rankSum - (n1 * (n1 + 1)) / 2
  const mean = (n1 * n2) / 2
  const sd = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))))
  if (sd === 0) return { u, p: 1 }
  const z = (Math.abs(u - mean) - 0.5) / sd
  return { u, p: Math.min(1, 2 * (1 - normalCdf(Math.max(0, z), 0, 1))) }
}

/** A trend test's statistic and two-sided p value. */
export interface TrendTest {
  readonly z: number
  readonly p: number
}

/**
 * The Cochran–Armitage test for a trend in proportions (Armitage 1955; Agresti, *Categorical Data
 * Analysis*, §5.3.5): groups with scores `score` (the dose, e.g. log10 of a β cap), `k` successes
 * of `n` trials each. `T = Σ s_i (k_i − n_i p̄)`, `Var T = p̄(1 − p̄) (Σ n_i s_i² − (Σ n_i s_i)² / N)`,
 * `z = T / sqrt(Var T)`, two-sided p from the normal distribution. A positive z: the share grows
 * with the score. NaN for both when there is nothing to test (no group, every trial alike, or every
 * score the same).
 */
export const cochranArmitage = (groups: ReadonlyArray<{ readonly score: number; readonly k: number; readonly n: number }>): TrendTest => {
  const N = groups.reduce((a, g) => a + g.n, 0)
  const K = groups.reduce((a, g) => a + g.k, 0)
  if (N === 0 || groups.some((g) => !Number.isFinite(g.score) || g.k < 0 || g.k > g.n)) return { z: Number.NaN, p: Number.NaN }
  const p = K / N
  const t = groups.reduce((a, g) => a + g.score * (g.k - g.n * p), 0)
  const sns = groups.reduce((a, g) => a + g.n * g.score, 0)
  const variance = p * (1 - p) * (groups.reduce((a, g) => a + g.n * g.score * g.score, 0) - (sns * sns) / N)
  if (!(variance > 0)) return { z: Number.NaN, p: Number.NaN }
  const z = t / Math.sqrt(variance)
  return { z, p: Math.min(1, 2 * (1 - normalCdf(Math.abs(z), 0, 1))) }
}
