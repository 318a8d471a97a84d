import { Effect, Schema } from "effect"

/**
 * Root seeds without the Rng's TensorFlow.js machinery, so that the command line can parse and
 * draw a seed before it loads anything heavy.
 */

/** A root seed: any integer in [0, 2^53). */
export const RootSeed = Schema.Number.check(
  Schema.isInt({ message: "a seed must be an integer" }),
  Schema.isBetween({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }, { message: `a seed must be in [0, ${Number.MAX_SAFE_INTEGER}]` })
)

/** A fresh root seed from the operating system's entropy (53 bits: always a valid {@link RootSeed}). */
export const systemSeed: Effect.Effect<number> = Effect.sync(() => {
  const w = crypto.getRandomValues(new Uint32Array(2))
  return (w[0]! & 0x1fffff) * 2 ** 32 + w[1]!
})
