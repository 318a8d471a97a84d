import { Result } from "effect"
import { NonFiniteValues } from "./errors.js"

/** The index of the first entry of `xs` that is NaN or ±∞, or −1 when all are finite. */
export const firstNonFinite = (xs: ArrayLike<number>): number => {
  for (let k = 0; k < xs.length; k++) if (!Number.isFinite(xs[k]!)) return k
  return -1
}

/**
 * Check named arrays of numbers for NaN and ±∞: succeeds when every entry is finite, otherwise
 * fails with NonFiniteValues naming `source`, the array and the first offending entry
 * (e.g. `sweep of runs/a/step-00000500.ckpt at log β = −3, seed 1: W^(1)[7] is NaN`).
 */
export const checkFinite = (source: string, arrays: ReadonlyArray<readonly [name: string, values: ArrayLike<number>]>): Result.Result<void, NonFiniteValues> => {
  for (const [name, values] of arrays) {
    const k = firstNonFinite(values)
    if (k >= 0) {
      const where = values.length === 1 ? name : `${name}[${k}]`
      return Result.fail(new NonFiniteValues({ source, message: `${source}: ${where} is ${values[k]}` }))
    }
  }
  return Result.succeed(undefined)
}
