import { Schema } from "effect"

/**
 * A hypernetwork as data (ARCHITECTURE.md, "Where a new piece goes"): what to build and how large
 * it is, separate from the functions that apply it, the way stax separates `init` from `apply`.
 * It round-trips JSON, is stored in every run manifest and checkpoint, and
 * `makeHypernetwork(spec)` builds the stack from it.
 *
 *     {
 *       "stages": [
 *         { "blocks": [{ "kind": "position", "axis": "input", "features": 4 }, { "kind": "noise", "features": 5 }] },
 *         { "blocks": [{ "kind": "activation", "features": 20 }, { "kind": "kl", "latent": 4 }] }
 *       ],
 *       "readout": 2,
 *       "hyperhypernetwork": { "hidden": [100, 10], "perEdge": "generated" }
 *     }
 *
 * Stage 0 holds source blocks only (they build H0 from nothing); each later stage is
 * `blocks(H·M + m)`. A block is its `kind` (a built-in or a registered one), an optional `name`
 * (unique within its stage; it prefixes the block's hyperweights and random streams) and the
 * kind's arguments, checked by the kind's own Schema when the stack is built.
 */

const PositiveInt = (what: string, max: number) => Schema.Number.check(
  Schema.isInt({ message: `${what} must be an integer` }),
  Schema.isGreaterThanOrEqualTo(1, { message: `${what} must be at least 1` }),
  Schema.isLessThanOrEqualTo(max, { message: `${what} must be at most ${max}` })
)

/** One block: `kind`, an optional `name`, and the kind's arguments. */
export const BlockSpec = Schema.StructWithRest(
  Schema.Struct({
    kind: Schema.String.check(Schema.isMinLength(1, { message: "a block's kind must not be empty" })),
    name: Schema.optional(Schema.String.check(Schema.isMinLength(1, { message: "a block's name must not be empty" })))
  }),
  [Schema.Record(Schema.String, Schema.Unknown)]
)
export type BlockSpec = typeof BlockSpec.Type

/** One hyperlayer: blocks applied side by side to slices of its linear map's output. */
export const StageSpec = Schema.Struct({
  blocks: Schema.Array(BlockSpec).check(Schema.isMinLength(1, { message: "a stage needs at least one block" }))
})
export type StageSpec = typeof StageSpec.Type

/**
 * The Pareto hyperhypernetwork (B.2.2): hidden widths of the MLP `1 → hidden… → 2P`, and where the
 * per-edge hyperweights (the learned block's variables) come from: `generated` by the
 * hyperhypernetwork like every other hyperweight (so they may depend on β; the default), or
 * `plain`: trained directly as ordinary parameters shared by every β ("they go along with the
 * hyperweights during training", B.2).
 */
/**
 * How plain per-edge variables start: drawn from `distribution` with standard deviation `std`.
 * B.2 says only that the learned variables "go along with the hyperweights during training"; their
 * initial distribution and scale are open. Absent, they start uniform in ±0.5/sqrt(last hidden
 * width) (std ≈ 0.091 for the paper's 10), the scale of a generated θ at initialisation: then the
 * 20 fresh N(0, 1) noise features per edge dwarf them and the KL channels carry ≈ 2 nats in all at
 * step 0. `{ "distribution": "normal", "std": 1 }` starts them at unit variance, as the first
 * author's later CompressARC starts its transmitted means (an open channel the penalty closes).
 */
export const PerEdgeInit = Schema.Struct({
  distribution: Schema.Literals(["uniform", "normal"]),
  std: Schema.Number.check(
    Schema.isFinite({ message: "perEdgeInit.std must be a finite number" }),
    Schema.isGreaterThan(0, { message: "perEdgeInit.std must be positive" }),
    Schema.isLessThanOrEqualTo(100, { message: "perEdgeInit.std must be at most 100" })
  )
})
export type PerEdgeInit = typeof PerEdgeInit.Type

export const HyperhypernetworkSpec = Schema.Struct({
  hidden: Schema.Array(PositiveInt("hyperhypernetwork.hidden[k]", 4096)).check(Schema.isMaxLength(8, { message: "hyperhypernetwork.hidden has at most 8 layers" })),
  perEdge: Schema.Literals(["generated", "plain"]),
  /** Plain per-edge variables' initial distribution (see {@link PerEdgeInit}); only with `perEdge: "plain"`. */
  perEdgeInit: Schema.optional(PerEdgeInit),
  /**
   * A fixed multiplier on the per-edge hyperweights where the learned blocks read them (generated
   * or plain; absent: 1). The paper leaves the scale of the learned variables open (B.2); a
   * generated θ = a ⊙ sigmoid(b) starts with std ≈ 0.1, so a multiplier of ≈ 10 starts generated
   * learned variables at unit variance without changing how the MLP is initialised.
   */
  perEdgeScale: Schema.optional(Schema.Number.check(
    Schema.isFinite({ message: "perEdgeScale must be a finite number" }),
    Schema.isGreaterThan(0, { message: "perEdgeScale must be positive" }),
    Schema.isLessThanOrEqualTo(1000, { message: "perEdgeScale must be at most 1000" })
  ))
}).check(Schema.makeFilter((h: { perEdge: string; perEdgeInit?: unknown }) =>
  h.perEdgeInit === undefined || h.perEdge === "plain" ||
  "perEdgeInit sets how plain per-edge variables start: it needs perEdge \"plain\" (generated ones start as the hyperhypernetwork's outputs; scale them with perEdgeScale)"))
export type HyperhypernetworkSpec = typeof HyperhypernetworkSpec.Type

export const defaultHyperhypernetwork: HyperhypernetworkSpec = { hidden: [100, 10], perEdge: "generated" }

export const HypernetworkSpec = Schema.Struct({
  stages: Schema.Array(StageSpec).check(
    Schema.isMinLength(1, { message: "a hypernetwork needs at least stage 0 (its source blocks)" }),
    Schema.isMaxLength(32, { message: "a hypernetwork has at most 32 stages" })
  ),
  /** Features of the read-out map on the decoder side: 0 is `W_ij`, 1 averaged over i is `b_j`. */
  readout: PositiveInt("readout", 64).check(Schema.isGreaterThanOrEqualTo(2, { message: "readout needs at least 2 features (weight, bias)" })),
  hyperhypernetwork: HyperhypernetworkSpec
})
export type HypernetworkSpec = typeof HypernetworkSpec.Type
