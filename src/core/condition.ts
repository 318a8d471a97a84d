import { Schema } from "effect"

/**
 * A condition of the hyperhypernetwork: a named scalar with the range it is trained on. The
 * paper's only one is log10 β ({@link betaCondition}); a task *family* f_c adds its own (the time
 * of a heat equation, the radius of a shape), so that one hypernetwork generates θ_c for every c,
 * including values it never saw. Each condition reaches the hyperhypernetwork scaled to [−1, 1]
 * over its range: `(v − (min + max)/2) / ((max − min)/2)` (for β: `(log10 β + 6)/6`, B.2.2).
 */
export const Condition = Schema.Struct({
  name: Schema.String.check(Schema.isMinLength(1, { message: "a condition needs a name" })),
  min: Schema.Number.check(Schema.isFinite({ message: "a condition's min must be finite" })),
  max: Schema.Number.check(Schema.isFinite({ message: "a condition's max must be finite" })),
  /** The values training draws from (uniformly); absent: uniform on [min, max]. */
  training: Schema.optional(Schema.Array(Schema.Number.check(Schema.isFinite())).check(Schema.isMinLength(1))),
  /** The value programs that evaluate one network per β use (sweep, ablation…); default the midpoint. */
  reference: Schema.optional(Schema.Number.check(Schema.isFinite()))
}).check(Schema.makeFilter((c: { min: number; max: number }) => c.min < c.max || "a condition's min must be below its max"))
export type Condition = typeof Condition.Type

/** log10 β on the paper's range [−12, 0]: the hyperhypernetwork's input of B.2.2. */
export const betaCondition: Condition = { name: "logBeta", min: -12, max: 0 }

/** The centre and half-width that scale a condition to [−1, 1]. */
export const conditionScale = (c: Condition): { readonly center: number; readonly halfWidth: number } =>
  ({ center: (c.min + c.max) / 2, halfWidth: (c.max - c.min) / 2 })

/** The value generic programs evaluate a condition at. */
export const referenceValue = (c: Condition): number => c.reference ?? (c.min + c.max) / 2
