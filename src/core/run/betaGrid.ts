/** log10 β at or below which a β counts as low β: in every report and in the metrics' `lossLowBeta`. */
export const LOW_LOG_BETA = -6

/** `count` values of log10 β evenly spaced on [from, to] (the paper sweeps 30 on [−12, 0]). */
export const logBetaGrid = (count: number, from = -12, to = 0): ReadonlyArray<number> =>
  count === 1 ? [to] : Array.from({ length: count }, (_, k) => from + ((to - from) * k) / (count - 1))

/** The median of a list of numbers (NaN when empty). */
export const median = (xs: ReadonlyArray<number>): number => {
  if (xs.length === 0) return Number.NaN
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

export const mean = (xs: ReadonlyArray<number>): number => (xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length)
