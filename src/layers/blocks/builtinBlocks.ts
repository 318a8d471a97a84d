import { Schema } from "effect"
import { type BlockDefinition, defineBlock } from "./blockDefinition.js"
import { activationBlock } from "./activation.js"
import { attentionBlock } from "./attention.js"
import { edgeEmbeddingBlock } from "./edgeEmbedding.js"
import { klChannelBlock } from "./klChannel.js"
import { learnedBlock } from "./learned.js"
import { noiseBlock } from "./noise.js"
import { positionBlock } from "./position.js"

const Width = (what: string) => Schema.Number.check(
  Schema.isInt({ message: `${what} must be an integer` }),
  Schema.isGreaterThanOrEqualTo(1, { message: `${what} must be at least 1` }),
  Schema.isLessThanOrEqualTo(256, { message: `${what} must be at most 256` })
)

/** The blocks of the paper's hypernetwork (appendix B.2; ARCHITECTURE.md, "The hypernetwork"), by kind. */
export const builtinBlocks: ReadonlyArray<BlockDefinition> = [
  defineBlock({
    kind: "activation", example: { features: 3 }, description: "swish on a slice of hyperfeatures, elementwise (features in = out)",
    args: Schema.Struct({ features: Width("features") }),
    make: ({ features }, name) => activationBlock(features, name)
  }),
  defineBlock({
    kind: "position", example: { axis: "output", features: 4 }, description: "sinusoidal encoding of the input index (l = 1), output index (l = N) or layer l (a source block)",
    args: Schema.Struct({
      axis: Schema.Literals(["input", "output", "layer"]),
      features: Width("features").check(Schema.makeFilter((n: number) => n % 2 === 0 || "features must be even (sin and cos pairs)"))
    }),
    make: ({ axis, features }, name) => positionBlock(axis, features, name)
  }),
  defineBlock({
    kind: "noise", example: { features: 2 }, description: "i.i.d. N(0, 1) per generation and edge, the generation seed (a source block)",
    args: Schema.Struct({ features: Width("features") }),
    make: ({ features }, name) => noiseBlock(features, name)
  }),
  defineBlock({
    kind: "attention", example: { key: 2 }, description: "per-neuron self-attention over incident edges: 6·key features in, 2·key out",
    args: Schema.Struct({ key: Width("key") }),
    make: ({ key }, name) => attentionBlock(key, name)
  }),
  defineBlock({
    kind: "learned", example: { features: 2 }, description: "learned per-edge variables on the encoder side, zeros on the decoder side (a source block)",
    args: Schema.Struct({ features: Width("features") }),
    make: ({ features }, name) => learnedBlock(features, name)
  }),
  defineBlock({
    kind: "kl", example: { latent: 2 }, description: "KL channel: 2·latent features in (μ, ρ), a sample of `latent` features out, KL(q‖p) accumulated",
    args: Schema.Struct({ latent: Width("latent") }),
    make: ({ latent }, name) => klChannelBlock(latent, name)
  }),
  defineBlock({
    kind: "embedding", example: { features: 2 }, description: "learned per-edge variables on both KL sides, no bottleneck (a source block; for INR generators)",
    args: Schema.Struct({
      features: Width("features"),
      scale: Schema.optional(Schema.Number.check(Schema.isFinite({ message: "scale must be finite" }), Schema.isGreaterThan(0, { message: "scale must be positive" })))
    }),
    make: ({ features, scale }, name) => edgeEmbeddingBlock(features, name, scale)
  })
]
