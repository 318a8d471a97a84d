import * as tf from "@tensorflow/tfjs"
import { Context, Data, Effect, Layer, Ref, Schema } from "effect"
import { InvalidInput } from "../../core/base/schemas.js"
import { blocksAt, type Key, normalsAt, streamKey, uniformsAt } from "../../core/base/schemas.js"
import { RootSeed, systemSeed } from "./rootSeed.js"

export { RootSeed, systemSeed } from "./rootSeed.js"

/** Everything that determines future draws: the root seed and, per stream, the blocks used. */
export const RngState = Schema.Struct({
  rootSeed: RootSeed,
  streams: Schema.Record(Schema.String, Schema.Number.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(0)))
})
export type RngState = typeof RngState.Type

export class RngStateError extends Data.TaggedError("RngStateError")<{ readonly message: string }> {}

/**
 * Randomness as a service. Every draw is a function of (root seed, stream name, counter): drawing
 * more or less on one stream never changes another, and a saved state replays exactly.
 */
export class Rng extends Context.Service<Rng, {
  readonly rootSeed: Effect.Effect<number>
  /** Standard normal draws on `stream`, advancing it. */
  readonly normal: (stream: string, shape: ReadonlyArray<number>) => Effect.Effect<tf.Tensor>
  /** Uniform draws on (lo, hi), advancing the stream. */
  readonly uniform: (stream: string, shape: ReadonlyArray<number>, lo?: number, hi?: number) => Effect.Effect<tf.Tensor>
  /** A uint32 seed, advancing the stream. */
  readonly int: (stream: string) => Effect.Effect<number>
  /**
   * Normal draws at a fixed position of a stream, leaving the state alone: for values named by
   * their stream (a generation seed's noise, say) rather than by the order they were asked for.
   */
  readonly normalAt: (stream: string, counter: number, shape: ReadonlyArray<number>) => Effect.Effect<tf.Tensor>
  /** Uniform draws on (lo, hi) at a fixed position of a stream, leaving the state alone. */
  readonly uniformAt: (stream: string, counter: number, shape: ReadonlyArray<number>, lo?: number, hi?: number) => Effect.Effect<tf.Tensor>
  readonly snapshot: Effect.Effect<RngState>
  readonly restore: (state: RngState) => Effect.Effect<void, RngStateError>
}>()("hyperlayers/Rng") {
  /** Every draw a function of (root seed, stream, counter): {@link seededRngLayer}. */
  static layerSeeded(rootSeed: number): Layer.Layer<Rng, RngStateError> {
    return seededRngLayer(rootSeed)
  }
  /** A root seed from the system, logged so the run can be replayed: {@link systemRngLayer}. */
  static get layerSystem(): Layer.Layer<Rng> {
    return systemRngLayer
  }
}

const size = (shape: ReadonlyArray<number>): number => shape.reduce((a, b) => a * b, 1)

/**
 * A draw was asked for with a shape, counter or range outside its domain: a programming error, so
 * the draw dies with this (naming the method and the argument) rather than return a tensor that a
 * later op rejects or that silently repeats another stream's numbers.
 */
const checkDraw = (method: string, stream: string, shape: ReadonlyArray<number>, counter = 0, lo = 0, hi = 1): Effect.Effect<void> => {
  const problem = !shape.every((d) => Number.isSafeInteger(d) && d >= 0) ? `shape [${shape.join(", ")}] must hold non-negative integers`
    : !Number.isSafeInteger(counter) || counter < 0 ? `counter ${counter} must be a non-negative integer`
    : !Number.isFinite(lo) || !Number.isFinite(hi) || !(lo < hi) ? `the range (${lo}, ${hi}) must be finite with lo < hi`
    : undefined
  return problem === undefined ? Effect.void : Effect.die(new InvalidInput({ source: `Rng.${method}`, message: `Rng.${method}("${stream}"): ${problem}` }))
}

const decodeSeed = (rootSeed: number): Effect.Effect<number, RngStateError> =>
  Schema.decodeUnknownEffect(RootSeed)(rootSeed).pipe(Effect.mapError((e) => new RngStateError({ message: `invalid root seed ${rootSeed}: ${e.message}` })))

/**
 * An Rng whose draws are fixed by `rootSeed`, an integer in [0, 2^53). Fails with RngStateError
 * for any other number (1.5, NaN, −3), as its `restore` does for a saved state holding one: a
 * fractional seed would silently replay another seed's draws.
 */
export const makeSeededRng = (rootSeed: number): Effect.Effect<Rng["Service"], RngStateError> =>
  Effect.gen(function* () {
    const seed = yield* decodeSeed(rootSeed)
    const state = yield* Ref.make<{ rootSeed: number; streams: Map<string, number> }>({ rootSeed: seed, streams: new Map() })
    const keys = new Map<string, Key>()
    const keyOf = (seed: number, name: string): Key => {
      const id = `${seed}\u0000${name}`
      let k = keys.get(id)
      if (k === undefined) {
        k = streamKey(seed, name)
        keys.set(id, k)
      }
      return k
    }
    // Take `blocks` blocks from a stream and hand back the key and the first counter.
    const take = (stream: string, blocks: number) =>
      Ref.modify(state, (s) => {
        const at = s.streams.get(stream) ?? 0
        const streams = new Map(s.streams).set(stream, at + blocks)
        return [{ key: keyOf(s.rootSeed, stream), at }, { rootSeed: s.rootSeed, streams }] as const
      })
    return Rng.of({
      rootSeed: Effect.map(Ref.get(state), (s) => s.rootSeed),
      normal: (stream, shape) => Effect.andThen(checkDraw("normal", stream, shape),
        Effect.map(take(stream, Math.ceil(size(shape) / 2)), ({ key, at }) => tf.tensor(normalsAt(key, at, size(shape)).values, [...shape]))),
      uniform: (stream, shape, lo = 0, hi = 1) => Effect.andThen(checkDraw("uniform", stream, shape, 0, lo, hi),
        Effect.map(take(stream, Math.ceil(size(shape) / 2)), ({ key, at }) => tf.tensor(uniformsAt(key, at, size(shape), lo, hi).values, [...shape]))),
      int: (stream) => Effect.map(take(stream, 1), ({ key, at }) => blocksAt(key, at, 1)[0]!),
      normalAt: (stream, counter, shape) => Effect.andThen(checkDraw("normalAt", stream, shape, counter),
        Effect.map(Ref.get(state), (s) => tf.tensor(normalsAt(keyOf(s.rootSeed, stream), counter, size(shape)).values, [...shape]))),
      uniformAt: (stream, counter, shape, lo = 0, hi = 1) => Effect.andThen(checkDraw("uniformAt", stream, shape, counter, lo, hi),
        Effect.map(Ref.get(state), (s) => tf.tensor(uniformsAt(keyOf(s.rootSeed, stream), counter, size(shape), lo, hi).values, [...shape]))),
      snapshot: Effect.map(Ref.get(state), (s) => ({ rootSeed: s.rootSeed, streams: Object.fromEntries(s.streams) })),
      restore: (next) =>
        Effect.gen(function* () {
          const decoded = yield* Schema.decodeUnknownEffect(RngState)(next).pipe(
            Effect.mapError((e) => new RngStateError({ message: `invalid RNG state: ${e.message}` })))
          yield* Ref.set(state, { rootSeed: decoded.rootSeed, streams: new Map(Object.entries(decoded.streams)) })
        })
    })
  })

/** The seeded Rng as a Layer (fails with RngStateError unless `rootSeed` is an integer in [0, 2^53)). */
export const seededRngLayer = (rootSeed: number): Layer.Layer<Rng, RngStateError> => Layer.effect(Rng, makeSeededRng(rootSeed))

/**
 * The default Rng: a root seed from the system, logged so that the run can be replayed with
 * {@link seededRngLayer}.
 */
export const systemRngLayer: Layer.Layer<Rng> = Layer.effect(Rng, Effect.gen(function* () {
  const seed = yield* systemSeed
  yield* Effect.logInfo(`rng root seed ${seed} (replay with --seed ${seed})`)
  // systemSeed draws 53 bits: always a valid root seed
  return yield* Effect.orDie(makeSeededRng(seed))
}))
