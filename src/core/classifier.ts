import { Schema } from "effect"

/** The three algorithms the paper's hypernetworks produce for the L1 norm. */
export const Algorithm = Schema.Literals(["convexity", "pudding", "double-sided"])
export type Algorithm = typeof Algorithm.Type

/**
 * Boundaries in order-parameter space (the paper's dotted lines were hand-picked): a strongest
 * connection below `convexityMaxAlpha2` is convexity; otherwise a double sidedness above
 * `doubleSidedMinAlpha1` is double-sided; otherwise pudding.
 */
export const Thresholds = Schema.Struct({
  convexityMaxAlpha2: Schema.Number.check(Schema.isGreaterThan(0)),
  doubleSidedMinAlpha1: Schema.Number.check(Schema.isGreaterThan(0))
})
export type Thresholds = typeof Thresholds.Type

/**
 * Defaults measured on constructions and generated networks: α2 ≈ 0.7–1.6 for convexity and
 * 2.5–4 for pudding; α1 ≈ 1 for a clean pudding, 2.4–2.7 for Gaussian weights, ≫ 10 double-sided.
 */
export const defaultThresholds: Thresholds = { convexityMaxAlpha2: 2, doubleSidedMinAlpha1: 10 }

export const classify = (
  p: { readonly alpha1: number; readonly alpha2: number },
  thresholds: Thresholds = defaultThresholds
): Algorithm =>
  p.alpha2 < thresholds.convexityMaxAlpha2
    ? "convexity"
    : p.alpha1 > thresholds.doubleSidedMinAlpha1
    ? "double-sided"
    : "pudding"
