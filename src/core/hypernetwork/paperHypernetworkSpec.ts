import { Schema } from "effect"
import { type BlockSpec, defaultHyperhypernetwork, type HypernetworkSpec } from "./hypernetworkSpec.js"

const Width = (what: string) => Schema.Number.check(
  Schema.isInt({ message: `${what} must be an integer` }),
  Schema.isGreaterThanOrEqualTo(1, { message: `${what} must be at least 1` }),
  Schema.isLessThanOrEqualTo(256, { message: `${what} must be at most 256` })
)

/** Block widths and depth of the paper's hypernetwork (appendix B.2; ARCHITECTURE.md, "The hypernetwork"). */
export const PaperSizes = Schema.Struct({
  activation: Width("activation"),
  position: Width("position").check(Schema.makeFilter((n: number) => n % 2 === 0 || "position must be even (sin and cos pairs)")),
  noise: Width("noise"),
  attentionKey: Width("attentionKey"),
  learned: Width("learned"),
  latent: Width("latent"),
  depth: Width("depth").check(Schema.isGreaterThanOrEqualTo(2, { message: "depth must be at least 2" }), Schema.isLessThanOrEqualTo(16, { message: "depth must be at most 16" })),
  /**
   * In which block rounds the noise block draws: `every` round (H0 and each hyperlayer, each with
   * its own fresh noise; absent means this) or `h0` only (later hyperlayers have no noise block, so
   * their widths are `noise` features narrower). B.2 lists the noise block among every hyperlayer's
   * blocks but does not say whether a single draw at H0 would serve; the generation seed then
   * enters once and travels through attention and the KL channels.
   */
  noiseRounds: Schema.optional(Schema.Literals(["every", "h0"]))
})
export type PaperSizes = typeof PaperSizes.Type

/** The paper's widths: activation 20, positions 3 × 4, noise 5, attention key 5, learned 5, latent 4, D = 4. */
export const paperSizes: PaperSizes = { activation: 20, position: 4, noise: 5, attentionKey: 5, learned: 5, latent: 4, depth: 4 }

/** The source blocks of a stage: three positions, fresh noise (unless `noise` is false) and learned variables. */
const sources = (s: PaperSizes, noise: boolean): ReadonlyArray<BlockSpec> => [
  { kind: "position", axis: "input", features: s.position },
  { kind: "position", axis: "output", features: s.position },
  { kind: "position", axis: "layer", features: s.position },
  ...(noise ? [{ kind: "noise", features: s.noise }] : []),
  { kind: "learned", features: s.learned }
]

/**
 * The paper's KL attentional hypernetwork as data (the spec `paper`): H0 from the source blocks
 * (22 features), then D − 1 hyperlayers of activation, sources, attention and a KL channel
 * (58 → 56), then the read-out; the hyperhypernetwork `1 → 100 → 10 → 2P`. For `[16, 48, 1]` it has
 * P = 24,380 hyperweights. Other widths give the same architecture at another size; `noiseRounds:
 * "h0"` leaves the noise block out of the hyperlayers after H0.
 */
export const paperHypernetworkSpec = (sizes: PaperSizes = paperSizes): HypernetworkSpec => ({
  stages: [
    { blocks: sources(sizes, true) },
    ...Array.from({ length: sizes.depth - 1 }, () => ({
      blocks: [{ kind: "activation", features: sizes.activation }, ...sources(sizes, sizes.noiseRounds !== "h0"), { kind: "attention", key: sizes.attentionKey }, { kind: "kl", latent: sizes.latent }]
    }))
  ],
  readout: 2,
  hyperhypernetwork: defaultHyperhypernetwork
})

