import { Result } from "effect"
import { InvalidInput } from "../base/schemas.js"

/**
 * Ranks from 1 (smallest) to n, ties sharing the mean of the ranks they span (the "fractional"
 * ranking Spearman's coefficient uses with ties).
 */
export const fractionalRanks = (xs: ReadonlyArray<number>): Float64Array => {
  const order = xs.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0])
  const ranks = new Float64Array(xs.length)
  for (let start = 0; start < order.length;) {
    let end = start
    while (end + 1 < order.length && order[end + 1]![0] === order[start]![0]) end++
    const rank = (start + end) / 2 + 1
    for (let k = start; k <= end; k++) ranks[order[k]![1]] = rank
    start = end + 1
  }
  return ranks
}

const pearson = (a: Float64Array, b: Float64Array): number => {
  const n = a.length
  const ma = a.reduce((s, x) => s + x, 0) / n
  const mb = b.reduce((s, x) => s + x, 0) / n
  let [sab, saa, sbb] = [0, 0, 0]
  for (let i = 0; i < n; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb)
    saa += (a[i]! - ma) ** 2
    sbb += (b[i]! - mb) ** 2
  }
  return sab / Math.sqrt(saa * sbb)
}

/**
 * Spearman's rank correlation ρ ∈ [−1, 1] of paired samples: the Pearson correlation of their
 * fractional ranks (ties averaged). Fails with {@link InvalidInput} naming `a` or `b` when the
 * lengths differ, there are fewer than 2 pairs, a value is not finite, or one side is constant
 * (ρ is undefined there).
 */
export const spearman = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): Result.Result<number, InvalidInput> => {
  if (a.length !== b.length) return Result.fail(new InvalidInput({ source: "b", message: `a and b must pair up: a has ${a.length} values, b has ${b.length}` }))
  if (a.length < 2) return Result.fail(new InvalidInput({ source: "a", message: `a rank correlation needs at least 2 pairs, got ${a.length}` }))
  for (const [name, xs] of [["a", a], ["b", b]] as const) {
    const k = xs.findIndex((x) => !Number.isFinite(x))
    if (k >= 0) return Result.fail(new InvalidInput({ source: name, message: `${name}[${k}] is not finite (${xs[k]})` }))
    if (xs.every((x) => x === xs[0])) return Result.fail(new InvalidInput({ source: name, message: `${name} is constant: the rank correlation is undefined` }))
  }
  return Result.succeed(Math.min(1, Math.max(-1, pearson(fractionalRanks(a), fractionalRanks(b)))))
}
