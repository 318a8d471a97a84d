import fc from "fast-check"
import { defaultHyperhypernetwork, type BlockSpec, type HypernetworkSpec } from "../core/hypernetwork/index.js"
import type { NetShape } from "../core/network/schemas.js"
import type { BlockCase, EquivarianceCase, GenerationCase, GenerationDraw } from "./cases.js"

/**
 * fast-check arbitraries for property tests of hypernetworks and blocks. Every one shrinks toward
 * the smallest case: fewest and narrowest layers, one generation, seed 0, the identity permutation.
 * (`effectArbitraries` holds the same for `@effect/vitest`'s `it.prop` / `it.effect.prop`.)
 */

/** Sizes of generated target networks. */
export interface ShapeOptions {
  /** Most layer sizes `[n_0, …, n_N]` (default 4: up to two hidden layers). */
  readonly maxLayers?: number
  /** Largest layer width (default 5). */
  readonly maxWidth?: number
}

/** Draw options: most generations per batch (default 2) and θ's standard deviation (default 0.15). */
export interface DrawOptions {
  readonly maxBatch?: number
  readonly scale?: number
}

/** Target shapes `[n_0, …, n_N]`, 2 to `maxLayers` sizes of 1 to `maxWidth`. */
export const netShape = (o: ShapeOptions = {}): fc.Arbitrary<NetShape> =>
  fc.array(fc.integer({ min: 1, max: o.maxWidth ?? 5 }), { minLength: 2, maxLength: Math.max(2, o.maxLayers ?? 4) })

/** Target shapes with at least one hidden layer (3 or more sizes). */
export const hiddenShape = (o: ShapeOptions = {}): fc.Arbitrary<NetShape> =>
  fc.array(fc.integer({ min: 1, max: o.maxWidth ?? 5 }), { minLength: 3, maxLength: Math.max(3, o.maxLayers ?? 4) })

/**
 * The permutation of `0 … n−1` made by applying `swaps` to the identity in order, each index taken
 * modulo n. Every permutation is such a product; shrinking removes swaps and lowers indices (toward
 * the identity), and taking indices modulo n keeps a swap a swap when n shrinks.
 */
export const permutationFromSwaps = (n: number, swaps: ReadonlyArray<readonly [number, number]>): ReadonlyArray<number> => {
  const p = Array.from({ length: n }, (_, k) => k)
  for (const [a, b] of swaps) {
    const [i, j] = [a % n, b % n]
    ;[p[i], p[j]] = [p[j]!, p[i]!]
  }
  return p
}

const swapList = (width: number) =>
  fc.array(fc.tuple(fc.nat({ max: Math.max(0, width - 1) }), fc.nat({ max: Math.max(0, width - 1) })), { maxLength: width })

/** A permutation of `0 … n−1`. */
export const permutation = (n: number): fc.Arbitrary<ReadonlyArray<number>> => swapList(n).map((swaps) => permutationFromSwaps(n, swaps))

/** One permutation per hidden layer of `shape` (`perms[h]` permutes neuron layer h + 1). */
export const hiddenPermutations = (shape: NetShape): fc.Arbitrary<ReadonlyArray<ReadonlyArray<number>>> =>
  fc.tuple(...shape.slice(1, -1).map(permutation))

/** A draw of θ and the random inputs of a generation plan, by seed (see `generationTensors`). */
export const generationDraw = (o: DrawOptions = {}): fc.Arbitrary<GenerationDraw> =>
  fc.record({ seed: fc.nat({ max: 2 ** 31 - 1 }), batch: fc.integer({ min: 1, max: o.maxBatch ?? 2 }), scale: fc.constant(o.scale ?? 0.15) })

/** A shape and a draw. */
export const generationCase = (o: ShapeOptions & DrawOptions = {}): fc.Arbitrary<GenerationCase> =>
  fc.record({ shape: netShape(o), draw: generationDraw(o) })

/**
 * A shape with hidden layers, a permutation of each, and a draw. The permutations are drawn apart
 * from the shape (as swaps, see {@link permutationFromSwaps}), so the shape shrinks while a
 * failing permutation stays a non-identity one: failures shrink to the smallest shape, one swap.
 */
export const equivarianceCase = (o: ShapeOptions & DrawOptions = {}): fc.Arbitrary<EquivarianceCase> => {
  const width = o.maxWidth ?? 5
  const hidden = Math.max(3, o.maxLayers ?? 4) - 2
  return fc.record({ shape: hiddenShape(o), swaps: fc.array(swapList(width), { minLength: hidden, maxLength: hidden }), draw: generationDraw(o) })
    .map(({ shape, swaps, draw }) => ({ shape, perms: shape.slice(1, -1).map((n, h) => permutationFromSwaps(n, swaps[h]!)), draw }))
}

/** A block applied alone: a shape, 1–`maxBatch` generations, one or two KL sides, a seed. */
export const blockCase = (o: ShapeOptions & { readonly maxBatch?: number } = {}): fc.Arbitrary<BlockCase> =>
  fc.record({ shape: netShape(o), batch: fc.integer({ min: 1, max: o.maxBatch ?? 2 }), sides: fc.constantFrom(2 as const, 1 as const), seed: fc.nat({ max: 2 ** 31 - 1 }) })

/** Sizes of generated stacks of blocks. */
export interface StackOptions {
  /** Most stages, stage 0 included (default 3). */
  readonly maxStages?: number
  /** Largest feature width of a block (default 4). */
  readonly maxFeatures?: number
  /**
   * Also draw what a stack may vary beyond its blocks (default false): a kind twice in a stage
   * (named apart), a read-out of 2 or 3 features, and the hyperhypernetwork's hidden widths and
   * per-edge mode (`generated` or `plain`).
   */
  readonly varied?: boolean
}

/** Give a block whose default name is taken an explicit, unique name. */
const namedApart = (blocks: ReadonlyArray<BlockSpec>): ReadonlyArray<BlockSpec> => {
  const used = new Set<string>()
  return blocks.map((b, k) => {
    const base = b.kind === "position" ? `${String(b["axis"])}-position` : b.kind
    if (!used.has(base)) {
      used.add(base)
      return b
    }
    used.add(`${base}-${k}`)
    return { ...b, name: `${base}-${k}` }
  })
}

const atLeastOne = <A>(items: ReadonlyArray<fc.Arbitrary<A>>): fc.Arbitrary<ReadonlyArray<A>> =>
  fc.tuple(...items.map((a) => fc.option(a, { nil: undefined })))
    .map((xs) => xs.filter((x): x is A => x !== undefined))
    .filter((xs) => xs.length > 0)

const sourceSpecs = (f: number): ReadonlyArray<fc.Arbitrary<BlockSpec>> => [
  ...(["input", "output", "layer"] as const).map((axis) => fc.integer({ min: 1, max: Math.max(1, Math.floor(f / 2)) }).map((k): BlockSpec => ({ kind: "position", axis, features: 2 * k }))),
  fc.integer({ min: 1, max: f }).map((features): BlockSpec => ({ kind: "noise", features })),
  fc.integer({ min: 1, max: f }).map((features): BlockSpec => ({ kind: "learned", features }))
]

const readerSpecs = (f: number): ReadonlyArray<fc.Arbitrary<BlockSpec>> => [
  fc.integer({ min: 1, max: f }).map((features): BlockSpec => ({ kind: "activation", features })),
  fc.integer({ min: 1, max: Math.max(1, Math.floor(f / 2)) }).map((key): BlockSpec => ({ kind: "attention", key })),
  fc.integer({ min: 1, max: Math.max(1, Math.floor(f / 2)) }).map((latent): BlockSpec => ({ kind: "kl", latent }))
]

/**
 * Stacks of the built-in blocks as {@link HypernetworkSpec}s: stage 0 some source blocks
 * (positions, noise, learned), then 1 to `maxStages − 1` hyperlayers each with at least one block
 * that reads its linear map (activation, attention, KL channel) and any source blocks; read-out 2.
 * Build one with `makeHypernetwork(spec)`.
 */
export const blockStack = (o: StackOptions = {}): fc.Arbitrary<HypernetworkSpec> => {
  const f = o.maxFeatures ?? 4
  if (o.varied === true) {
    const source = fc.oneof(...sourceSpecs(f))
    const reader = fc.oneof(...readerSpecs(f))
    return fc.record({
      stage0: fc.array(source, { minLength: 1, maxLength: 3 }),
      later: fc.array(fc.tuple(fc.array(reader, { minLength: 1, maxLength: 3 }), fc.array(source, { maxLength: 2 })), { minLength: 1, maxLength: Math.max(1, (o.maxStages ?? 3) - 1) }),
      readout: fc.integer({ min: 2, max: 3 }),
      hidden: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 2 }),
      perEdge: fc.constantFrom("generated" as const, "plain" as const)
    }).map(({ stage0, later, readout, hidden, perEdge }) => ({
      stages: [{ blocks: namedApart(stage0) }, ...later.map(([r, s]) => ({ blocks: namedApart([...r, ...s]) }))],
      readout,
      hyperhypernetwork: { hidden, perEdge }
    }))
  }
  const sources = fc.tuple(fc.tuple(...sourceSpecs(f)), fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }))
    .map(([specs, keep]) => specs.filter((_, k) => keep[k]))
  const stage = fc.tuple(atLeastOne(readerSpecs(f)), sources).map(([readers, extra]) => ({ blocks: [...readers, ...extra] }))
  return fc.record({
    stages: fc.tuple(atLeastOne(sourceSpecs(f)).map((blocks) => ({ blocks })), fc.array(stage, { minLength: 1, maxLength: Math.max(1, (o.maxStages ?? 3) - 1) }))
      .map(([first, rest]) => [first, ...rest]),
    readout: fc.constant(2),
    hyperhypernetwork: fc.constant(defaultHyperhypernetwork)
  })
}
