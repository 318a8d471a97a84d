/**
 * Special functions in float64 for normalising constants (no tensors).
 */

// Lanczos approximation, g = 7, n = 9 (Numerical Recipes 3rd ed. §6.1; relative error < 1e-15)
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7
]

/** `log Γ(x)` for x > 0. */
export const logGamma = (x: number): number => {
  if (!(x > 0)) throw new RangeError(`logGamma needs x > 0, got ${x}`)
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x)
  const z = x - 1
  let a = LANCZOS[0]!
  const t = z + 7.5
  for (let k = 1; k < 9; k++) a += LANCZOS[k]! / (z + k)
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a)
}

/**
 * Mean and standard deviation of the chi distribution with k degrees of freedom, i.e. of ‖x‖₂ for
 * x ~ N(0, I_k): `μ = √2·Γ((k+1)/2)/Γ(k/2)`, `σ² = k − μ²`.
 */
export const chiMoments = (k: number): { readonly mean: number; readonly std: number } => {
  const mean = Math.SQRT2 * Math.exp(logGamma((k + 1) / 2) - logGamma(k / 2))
  return { mean, std: Math.sqrt(Math.max(0, k - mean * mean)) }
}

const maxAbsCache = new Map<number, { readonly mean: number; readonly std: number }>()

/**
 * Mean and standard deviation of `max_i |x_i|` for x ~ N(0, I_n), by quadrature:
 * with `F(m) = P(|x_i| ≤ m) = erf(m/√2)`, `E[M] = ∫₀^∞ (1 − F^n) dm` and `E[M²] = ∫₀^∞ 2m(1 − F^n) dm`.
 * F is integrated from the density with Simpson's rule on a grid of step 1e−3 up to m = 12
 * (beyond which `1 − F^n < n·1e−32`); the moments are accurate to about 1e−10.
 */
export const maxAbsMoments = (n: number): { readonly mean: number; readonly std: number } => {
  const cached = maxAbsCache.get(n)
  if (cached !== undefined) return cached
  const h = 1e-3
  const steps = 12_000
  const density = (m: number) => Math.sqrt(2 / Math.PI) * Math.exp(-0.5 * m * m)
  // F on the grid, by Simpson's rule over each pair of intervals (and the midpoint rule for odd points)
  const F = new Float64Array(steps + 1)
  for (let k = 1; k <= steps; k++) {
    const a = (k - 1) * h
    F[k] = F[k - 1]! + (h / 6) * (density(a) + 4 * density(a + h / 2) + density(a + h))
  }
  let m1 = 0
  let m2 = 0
  for (let k = 0; k <= steps; k++) {
    const w = k === 0 || k === steps ? 1 : k % 2 === 1 ? 4 : 2
    const tail = 1 - Math.pow(Math.min(1, F[k]!), n)
    m1 += w * tail
    m2 += w * 2 * k * h * tail
  }
  m1 *= h / 3
  m2 *= h / 3
  const out = { mean: m1, std: Math.sqrt(Math.max(0, m2 - m1 * m1)) }
  maxAbsCache.set(n, out)
  return out
}
