import { Result } from "effect"
import { defaultHypernetworkSizes, type HypernetworkSizes } from "../core/trainConfig.js"
import type { Block } from "./block.js"
import { activationBlock } from "./blocks/activation.js"
import { attentionBlock } from "./blocks/attention.js"
import { klChannelBlock } from "./blocks/klChannel.js"
import { learnedBlock } from "./blocks/learned.js"
import { noiseBlock } from "./blocks/noise.js"
import { positionBlock } from "./blocks/position.js"
import { type Hypernetwork, type Hyperlayer, makeHypernetwork } from "./hypernetwork.js"


/** The source blocks every stage has: three positions, fresh noise and learned variables. */
const sources = (s: HypernetworkSizes): ReadonlyArray<Block> => [
  positionBlock("input", s.position),
  positionBlock("output", s.position),
  positionBlock("layer", s.position),
  noiseBlock(s.noise),
  learnedBlock(s.learned)
]

/**
 * The paper's KL attentional hypernetwork: H0 from the source blocks (22 features), then D − 1
 * hyperlayers of activation, sources, attention and a KL channel (58 → 56), then the read-out.
 * For `[16, 48, 1]` it has P = 24,380 hyperweights.
 */
export const paperHypernetwork = (sizes: HypernetworkSizes = defaultHypernetworkSizes): Hypernetwork => {
  const stage0: Hyperlayer = { blocks: sources(sizes) }
  const stage: Hyperlayer = {
    blocks: [activationBlock(sizes.activation), ...sources(sizes), attentionBlock(sizes.attentionKey), klChannelBlock(sizes.latent)]
  }
  return Result.getOrThrow(makeHypernetwork([stage0, ...Array.from({ length: sizes.depth - 1 }, () => stage)]))
}
