import { Effect, Schema } from "effect"
import { InvalidInput } from "../base/schemas.js"
import { doubleSidedness, type FirstLayer, pathBalance, strongestConnection } from "./orderParameters.js"
import { quoteValue } from "../base/schemas.js"
import { formatNumber } from "../base/schemas.js"

/**
 * The three algorithms the paper's hypernetworks produce for the L1 norm, and "unclassifiable":
 * the class of a network whose order parameters are not finite numbers (a NaN or infinite weight),
 * which is no algorithm at all.
 */
export const Algorithm = Schema.Literals(["convexity", "pudding", "double-sided", "unclassifiable"])
export type Algorithm = typeof Algorithm.Type

/**
 * Boundaries in order-parameter space (the paper's dotted lines were hand-picked): a strongest
 * connection below `convexityMaxAlpha2` is convexity; otherwise a double sidedness above
 * `doubleSidedMinAlpha1`, or a path balance above `doubleSidedMinPathBalance`, is double-sided;
 * otherwise pudding. `doubleSidedMinPathBalance` is not the paper's (see {@link classify}); files
 * written before it existed decode with its default.
 */
export const Thresholds = Schema.Struct({
  convexityMaxAlpha2: Schema.Finite.check(Schema.isGreaterThan(0, { message: "convexityMaxAlpha2 must be positive" })),
  doubleSidedMinAlpha1: Schema.Finite.check(Schema.isGreaterThan(0, { message: "doubleSidedMinAlpha1 must be positive" })),
  doubleSidedMinPathBalance: Schema.Finite.check(
    Schema.isBetween({ minimum: 0.5, maximum: 1 }, { message: "doubleSidedMinPathBalance must be in [0.5, 1] (a signed pudding has path balance ≤ 0.5)" })
  ).pipe(Schema.withDecodingDefaultKey(Effect.succeed(0.75)))
})
export type Thresholds = typeof Thresholds.Type

/**
 * Defaults measured on constructions and generated networks: α2 ≈ 0.7–1.6 for convexity and
 * 2.5–4 for pudding; α1 ≈ 1 for a clean pudding, ≈ 2.1 for Gaussian weights (5–95 %: 1.7–2.5 for
 * `[16, 48]`), ≫ 10 for a trained double-sided network. Path balance is 1 for the double-sided
 * construction, at most 1/2 for a signed pudding and 0 for any network without exact zeros
 * (n0 ≥ 2); 0.75 sits between 1/2 and 1.
 */
export const defaultThresholds: Thresholds = { convexityMaxAlpha2: 2, doubleSidedMinAlpha1: 10, doubleSidedMinPathBalance: 0.75 }

/** What {@link classify} reads: α1 and α2 of the first-layer weights and their path balance. */
export interface ClassifierInputs {
  /** Double sidedness α1 (`doubleSidedness`). */
  readonly alpha1: number
  /** Strongest connection α2 (`strongestConnection`). */
  readonly alpha2: number
  /** Path balance ρ of the first layer through its outgoing strengths (`pathBalance`; not the paper's). */
  readonly pathBalance: number
}

const isThresholds = Schema.is(Thresholds)

const INPUTS = ["alpha1", "alpha2", "pathBalance"] as const

/**
 * Check what {@link classify} is handed, from TypeScript or plain JavaScript: an object with the
 * three order parameters as numbers (NaN and ±∞ are numbers: they classify as unclassifiable).
 * Throws InvalidInput naming the missing or mistyped field.
 */
const checkInputs = (p: unknown): void => {
  if (typeof p !== "object" || p === null) {
    throw new InvalidInput({ source: "classify(p)", message: `classify: p must be an object { alpha1, alpha2, pathBalance }, got ${quoteValue(p)}` })
  }
  for (const field of INPUTS) {
    const v = (p as Record<string, unknown>)[field]
    if (v === undefined) {
      throw new InvalidInput({ source: `classify(p.${field})`, message: `classify: p.${field} is missing; classify reads alpha1, alpha2 and pathBalance (classifyFirstLayer computes all three from a first layer)` })
    }
    if (typeof v !== "number") throw new InvalidInput({ source: `classify(p.${field})`, message: `classify: p.${field} must be a number, got ${quoteValue(v)}` })
  }
}

/**
 * The algorithm of a network from its order parameters (paper §2.2, Figure 3):
 *
 * 1. any input not a finite number → `"unclassifiable"` (NaN order parameters come from NaN or
 *    infinite weights; no comparison may turn them into an algorithm);
 * 2. `α2 < convexityMaxAlpha2` → `"convexity"` (weak strongest connection);
 * 3. `α1 > doubleSidedMinAlpha1` (the paper's boundary) or `pathBalance > doubleSidedMinPathBalance`
 *    → `"double-sided"`;
 * 4. otherwise `"pudding"`.
 *
 * The path-balance clause is not the paper's. First-layer weights alone cannot tell the
 * hand-built double-sided network from the pudding where neither has weak weights to compare
 * with (for `[1, 2, 1]` their W are equal up to the order of the hidden units, α1 = 1); read
 * through the outgoing weights, the double-sided algorithm gives every input two paths of equal
 * strength and opposite sign through hidden units of its own (ρ = 1), a pudding does not (ρ ≤ 1/2).
 * With it every construction classifies as itself at every size its constructor accepts (at
 * scales κ ≥ `convexityMaxAlpha2`; below, α2 calls it convexity). It never overrides the paper's
 * rule for a network whose hidden units each have two or more nonzero inputs (ρ = 0 there), which
 * is every trained network measured.
 * Throws InvalidInput when `thresholds` is not a valid {@link Thresholds}, or when `p` lacks one
 * of the three inputs or holds something other than a number there (from plain JavaScript: a
 * missing `pathBalance` is an error naming it, not "unclassifiable").
 */
export const classify = (p: ClassifierInputs, thresholds: Thresholds = defaultThresholds): Algorithm => {
  checkInputs(p)
  if (!isThresholds(thresholds)) throw new InvalidInput({ source: "classify(thresholds)", message: `classify: invalid thresholds ${quoteValue(thresholds)}` })
  if (!Number.isFinite(p.alpha1) || !Number.isFinite(p.alpha2) || !Number.isFinite(p.pathBalance)) return "unclassifiable"
  if (p.alpha2 < thresholds.convexityMaxAlpha2) return "convexity"
  return p.alpha1 > thresholds.doubleSidedMinAlpha1 || p.pathBalance > thresholds.doubleSidedMinPathBalance ? "double-sided" : "pudding"
}

/**
 * Why {@link classify} gives `p` its class, in its own comparisons, each with the value read and
 * the threshold: `α2 1.20 < 2.00`; `α2 3.74 ≥ 2.00, α1 5.62 ≤ 10.0, path balance 0.00 ≤ 0.750`;
 * `α2 4.00 ≥ 2.00, path balance 1.00 > 0.750`. Throws as `classify` does.
 */
export const classReason = (p: ClassifierInputs, thresholds: Thresholds = defaultThresholds): string => {
  const algorithm = classify(p, thresholds)
  const f = formatNumber
  const { convexityMaxAlpha2: a2, doubleSidedMinAlpha1: a1, doubleSidedMinPathBalance: pb } = thresholds
  switch (algorithm) {
    case "unclassifiable":
      return `an order parameter is not a finite number (α1 ${f(p.alpha1)}, α2 ${f(p.alpha2)}, path balance ${f(p.pathBalance)})`
    case "convexity":
      return `α2 ${f(p.alpha2)} < ${f(a2)}`
    case "double-sided": {
      const why = [p.alpha1 > a1 ? `α1 ${f(p.alpha1)} > ${f(a1)}` : "", p.pathBalance > pb ? `path balance ${f(p.pathBalance)} > ${f(pb)}` : ""].filter((x) => x !== "")
      return `α2 ${f(p.alpha2)} ≥ ${f(a2)}, ${why.join(" and ")}`
    }
    case "pudding":
      return `α2 ${f(p.alpha2)} ≥ ${f(a2)}, α1 ${f(p.alpha1)} ≤ ${f(a1)}, path balance ${f(p.pathBalance)} ≤ ${f(pb)}`
  }
}

/** α1, α2 and path balance of a first layer, and the class they give. */
export interface FirstLayerClass extends ClassifierInputs {
  readonly algorithm: Algorithm
}

/**
 * Classify a network by its first layer (`firstLayer` builds one from a network's weights): α1 and
 * α2 of `W^(1)`, its path balance through the outgoing strengths, and {@link classify}'s class.
 * Throws InvalidInput for malformed arguments (see `classify` and the order parameters).
 */
export const classifyFirstLayer = (layer: FirstLayer, thresholds: Thresholds = defaultThresholds): FirstLayerClass => {
  const inputs = { alpha1: doubleSidedness(layer.W), alpha2: strongestConnection(layer.W), pathBalance: pathBalance(layer.W, layer.out) }
  return { ...inputs, algorithm: classify(inputs, thresholds) }
}
