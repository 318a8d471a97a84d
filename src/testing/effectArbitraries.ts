import { Arbitrary, Schema } from "effect"
import { defaultHyperhypernetwork, type BlockSpec, type HypernetworkSpec } from "../core/hypernetwork/index.js"
import type { NetShape } from "../core/network/schemas.js"
import { type DrawOptions, permutationFromSwaps, type ShapeOptions, type StackOptions } from "./arbitraries.js"
import type { BlockCase, EquivarianceCase, GenerationCase, GenerationDraw } from "./cases.js"

/**
 * The arbitraries of `arbitraries.ts` for Effect's own property engine (`effect/Arbitrary`), which
 * `@effect/vitest`'s `it.prop` and `it.effect.prop` take:
 *
 *     it.effect.prop("my stack is equivariant", [effectArbitraries.equivarianceCase()],
 *       ([c]) => hiddenEquivariance(net, c), { arbitrary: { runs: 20 } })
 *
 * They generate the same cases and shrink the same way.
 */

const int = (minimum: number, maximum: number): Arbitrary.Arbitrary<number> =>
  Arbitrary.schema(Schema.Int.check(Schema.isBetween({ minimum, maximum })))

const sizes = (minLength: number, o: ShapeOptions) =>
  Arbitrary.array(int(1, o.maxWidth ?? 5), { minLength, maxLength: Math.max(minLength, o.maxLayers ?? 4) })

/** Target shapes `[n_0, …, n_N]`, 2 to `maxLayers` sizes of 1 to `maxWidth`. */
export const netShape = (o: ShapeOptions = {}): Arbitrary.Arbitrary<NetShape> => sizes(2, o)

/** Target shapes with at least one hidden layer. */
export const hiddenShape = (o: ShapeOptions = {}): Arbitrary.Arbitrary<NetShape> => sizes(3, o)

const swapList = (width: number) =>
  Arbitrary.array(Arbitrary.all([int(0, Math.max(0, width - 1)), int(0, Math.max(0, width - 1))]), { maxLength: width })

/** A permutation of `0 … n−1` (a product of swaps, see `arbitraries.permutationFromSwaps`). */
export const permutation = (n: number): Arbitrary.Arbitrary<ReadonlyArray<number>> =>
  Arbitrary.map(swapList(n), (swaps) => permutationFromSwaps(n, swaps))

/** One permutation per hidden layer of `shape`. */
export const hiddenPermutations = (shape: NetShape): Arbitrary.Arbitrary<ReadonlyArray<ReadonlyArray<number>>> =>
  Arbitrary.all(shape.slice(1, -1).map(permutation))

/** A draw of θ and the random inputs of a generation plan, by seed. */
export const generationDraw = (o: DrawOptions = {}): Arbitrary.Arbitrary<GenerationDraw> =>
  Arbitrary.all({ seed: int(0, 2 ** 31 - 1), batch: int(1, o.maxBatch ?? 2), scale: Arbitrary.Constant(o.scale ?? 0.15) })

/** A shape and a draw. */
export const generationCase = (o: ShapeOptions & DrawOptions = {}): Arbitrary.Arbitrary<GenerationCase> =>
  Arbitrary.all({ shape: netShape(o), draw: generationDraw(o) })

/** A shape with hidden layers, a permutation of each, and a draw (see `arbitraries.equivarianceCase`). */
export const equivarianceCase = (o: ShapeOptions & DrawOptions = {}): Arbitrary.Arbitrary<EquivarianceCase> => {
  const hidden = Math.max(3, o.maxLayers ?? 4) - 2
  return Arbitrary.map(Arbitrary.all({ shape: hiddenShape(o), swaps: Arbitrary.array(swapList(o.maxWidth ?? 5), { minLength: hidden, maxLength: hidden }), draw: generationDraw(o) }),
    ({ shape, swaps, draw }) => ({ shape, perms: shape.slice(1, -1).map((n, h) => permutationFromSwaps(n, swaps[h]!)), draw }))
}

/** A block applied alone: a shape, generations, one or two KL sides, a seed. */
export const blockCase = (o: ShapeOptions & { readonly maxBatch?: number } = {}): Arbitrary.Arbitrary<BlockCase> =>
  Arbitrary.all({ shape: netShape(o), batch: int(1, o.maxBatch ?? 2), sides: Arbitrary.map(int(1, 2), (s) => (s === 1 ? 2 : 1) as 1 | 2), seed: int(0, 2 ** 31 - 1) })

const atLeastOne = (items: ReadonlyArray<Arbitrary.Arbitrary<BlockSpec>>): Arbitrary.Arbitrary<ReadonlyArray<BlockSpec>> =>
  Arbitrary.filter(
    Arbitrary.map(Arbitrary.all([Arbitrary.all(items), Arbitrary.array(int(0, 1), { minLength: items.length, maxLength: items.length })]),
      ([specs, keep]) => specs.filter((_, k) => keep[k] === 1)),
    (xs) => xs.length > 0)

const sourceSpecs = (f: number): ReadonlyArray<Arbitrary.Arbitrary<BlockSpec>> => [
  ...(["input", "output", "layer"] as const).map((axis) => Arbitrary.map(int(1, Math.max(1, Math.floor(f / 2))), (k): BlockSpec => ({ kind: "position", axis, features: 2 * k }))),
  Arbitrary.map(int(1, f), (features): BlockSpec => ({ kind: "noise", features })),
  Arbitrary.map(int(1, f), (features): BlockSpec => ({ kind: "learned", features }))
]

const readerSpecs = (f: number): ReadonlyArray<Arbitrary.Arbitrary<BlockSpec>> => [
  Arbitrary.map(int(1, f), (features): BlockSpec => ({ kind: "activation", features })),
  Arbitrary.map(int(1, Math.max(1, Math.floor(f / 2))), (key): BlockSpec => ({ kind: "attention", key })),
  Arbitrary.map(int(1, Math.max(1, Math.floor(f / 2))), (latent): BlockSpec => ({ kind: "kl", latent }))
]

/** Stacks of the built-in blocks as {@link HypernetworkSpec}s (see `arbitraries.blockStack`). */
export const blockStack = (o: StackOptions = {}): Arbitrary.Arbitrary<HypernetworkSpec> => {
  const f = o.maxFeatures ?? 4
  const sources = Arbitrary.map(Arbitrary.all([Arbitrary.all(sourceSpecs(f)), Arbitrary.array(int(0, 1), { minLength: 5, maxLength: 5 })]),
    ([specs, keep]) => specs.filter((_, k) => keep[k] === 1))
  const stage = Arbitrary.map(Arbitrary.all([atLeastOne(readerSpecs(f)), sources]), ([readers, extra]) => ({ blocks: [...readers, ...extra] }))
  return Arbitrary.map(
    Arbitrary.all([atLeastOne(sourceSpecs(f)), Arbitrary.array(stage, { minLength: 1, maxLength: Math.max(1, (o.maxStages ?? 3) - 1) })]),
    ([first, rest]): HypernetworkSpec => ({ stages: [{ blocks: first }, ...rest], readout: 2, hyperhypernetwork: defaultHyperhypernetwork })
  )
}
