import { Data, Result, Schema } from "effect"
import { cutText, quoteValue } from "../base/schemas.js"

/**
 * A condition of the hyperhypernetwork: a named scalar with the range it is trained on. The
 * paper's only one is log10 β ({@link betaCondition}); a task *family* f_c adds its own (the time
 * of a heat equation, the radius of a shape), so that one hypernetwork generates θ_c for every c,
 * including values it never saw. Each condition reaches the hyperhypernetwork scaled to [−1, 1]
 * over its range: `(v − (min + max)/2) / ((max − min)/2)` (for β: `(log10 β + 6)/6`, B.2.2).
 *
 * The rules, checked by {@link checkCondition} (and by the Schema): a non-empty name; finite
 * `min < max`; `training`, when given, one or more distinct finite values inside [min, max];
 * `reference`, when given, a finite value inside [min, max].
 */

/**
 * A condition breaks a rule: `field` (`min`, `training[2]`, `reference`, …) of the condition
 * `condition` (its name, or its place in a list) is `value`, which `rule` forbids. `task` names the
 * task the condition belongs to, where known.
 */
export class ConditionError extends Data.TaggedError("ConditionError")<{
  readonly condition: string
  readonly field: string
  readonly value: unknown
  readonly rule: string
  readonly task?: string
}> {
  override get message(): string {
    return `${this.task === undefined ? "" : `task ${quoteValue(this.task)}: `}condition ${this.condition}: ${this.field} ${this.rule}, got ${quoteValue(this.value)}`
  }
}

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)
const finite = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v)

/**
 * The first rule `c` breaks, if any (see {@link Condition}); `label` names it in the error when it
 * has no usable name.
 */
const conditionProblem = (c: unknown, label: string): ConditionError | undefined => {
  const problem = (condition: string, field: string, value: unknown, rule: string) => new ConditionError({ condition, field, value, rule })
  if (!isRecord(c)) return problem(label, "the condition", c, "must be an object { name, min, max, training?, reference? }")
  if (typeof c["name"] !== "string" || c["name"] === "") return problem(label, "name", c["name"], "must be a non-empty string")
  const name = cutText(c["name"])
  const { min, max, training, reference } = c
  if (!finite(min)) return problem(name, "min", min, "must be a finite number")
  if (!finite(max)) return problem(name, "max", max, "must be a finite number")
  if (!(min < max)) return problem(name, "max", max, `must be above min (${min})`)
  const range = `[${min}, ${max}]`
  if (training !== undefined) {
    if (!Array.isArray(training)) return problem(name, "training", training, "must be a list of values (or absent: uniform on the range)")
    if (training.length === 0) return problem(name, "training", training, `needs at least one value (or leave it out to train on all of ${range})`)
    for (const [k, v] of training.entries()) {
      if (!finite(v)) return problem(name, `training[${k}]`, v, "must be a finite number")
      if (v < min || v > max) return problem(name, `training[${k}]`, v, `must lie in the condition's range ${range}`)
      const first = training.indexOf(v)
      if (first < k) return problem(name, `training[${k}]`, v, `repeats training[${first}]`)
    }
  }
  if (reference !== undefined) {
    if (!finite(reference)) return problem(name, "reference", reference, "must be a finite number")
    if (reference < min || reference > max) return problem(name, "reference", reference, `must lie in the condition's range ${range} (a reference outside it is no condition the network was trained near)`)
  }
  return undefined
}

/** A condition (see the rules above), decoded from JSON or checked by Schema. */
export const Condition = Schema.Struct({
  name: Schema.String,
  min: Schema.Number,
  max: Schema.Number,
  /** The values training draws from (uniformly); absent: uniform on [min, max]. */
  training: Schema.optional(Schema.Array(Schema.Number)),
  /** The value programs that evaluate one network per β use (sweep, ablation…); default the midpoint. */
  reference: Schema.optional(Schema.Number)
}).check(Schema.makeFilter((c: unknown) => conditionProblem(c, "condition")?.message ?? true))
export type Condition = typeof Condition.Type

/**
 * Check a condition from anywhere (code, JSON): see the rules on {@link Condition}.
 *
 * @param c the value to check
 * @param label what to call it in the error when it has no name (default `conditions[?]`)
 * @returns the condition, or a {@link ConditionError} naming the field and the value
 */
export const checkCondition = (c: unknown, label = "conditions[?]"): Result.Result<Condition, ConditionError> => {
  const problem = conditionProblem(c, label)
  return problem === undefined ? Result.succeed(c as Condition) : Result.fail(problem)
}

/**
 * Check a task's conditions: each by {@link checkCondition}, their names distinct, and none called
 * `logBeta` (β is every run's condition).
 *
 * @param conditions the list to check
 * @param task the task's name, for the message
 * @returns the conditions, or a {@link ConditionError} naming the condition, field and value
 */
export const checkConditions = (conditions: unknown, task?: string): Result.Result<ReadonlyArray<Condition>, ConditionError> => {
  const fail = (e: ConditionError) => Result.fail(task === undefined ? e : new ConditionError({ condition: e.condition, field: e.field, value: e.value, rule: e.rule, task }))
  if (!Array.isArray(conditions)) return fail(new ConditionError({ condition: "list", field: "conditions", value: conditions, rule: "must be a list of conditions" }))
  const names = new Set<string>()
  for (const [k, c] of conditions.entries()) {
    const checked = checkCondition(c, `conditions[${k}]`)
    if (Result.isFailure(checked)) return fail(checked.failure)
    const { name } = checked.success
    if (name === betaCondition.name) return fail(new ConditionError({ condition: `conditions[${k}]`, field: "name", value: name, rule: "may not be logBeta (β is every run's condition)" }))
    if (names.has(name)) return fail(new ConditionError({ condition: `conditions[${k}]`, field: "name", value: name, rule: "is the name of an earlier condition" }))
    names.add(name)
  }
  return Result.succeed(conditions as ReadonlyArray<Condition>)
}

/** log10 β on the paper's range [−12, 0]: the hyperhypernetwork's input of B.2.2. */
export const betaCondition: Condition = { name: "logBeta", min: -12, max: 0 }

/**
 * The centre and half-width that scale a condition to [−1, 1]. Throws {@link ConditionError} for a
 * range that is not finite min < max (no scale exists).
 */
export const conditionScale = (c: Condition): { readonly center: number; readonly halfWidth: number } => {
  if (!finite(c.min) || !finite(c.max) || !(c.min < c.max)) throw conditionProblem(c, "condition") ?? new ConditionError({ condition: cutText(String(c.name)), field: "max", value: c.max, rule: "must be above min" })
  return { center: (c.min + c.max) / 2, halfWidth: (c.max - c.min) / 2 }
}

/**
 * The value generic programs evaluate a condition at: its reference, else the midpoint. Throws
 * {@link ConditionError} for a condition that breaks a rule.
 */
export const referenceValue = (c: Condition): number => {
  const problem = conditionProblem(c, "condition")
  if (problem !== undefined) throw problem
  return c.reference ?? (c.min + c.max) / 2
}
