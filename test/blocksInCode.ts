import type { HypernetworkSpec } from "../src/core/hypernetwork/hypernetworkSpec.js"
import type { Block } from "../src/layers/blocks/block.js"
import { activationBlock } from "../src/layers/blocks/activation.js"
import { attentionBlock } from "../src/layers/blocks/attention.js"
import { klChannelBlock } from "../src/layers/blocks/klChannel.js"
import { learnedBlock } from "../src/layers/blocks/learned.js"
import { noiseBlock } from "../src/layers/blocks/noise.js"
import { positionBlock } from "../src/layers/blocks/position.js"

/** The same stack built in code with the block factories (the way a researcher writes one). */
export const blocksInCode = (spec: HypernetworkSpec): ReadonlyArray<{ readonly blocks: ReadonlyArray<Block> }> =>
  spec.stages.map((stage) => ({
    blocks: stage.blocks.map((b): Block => {
      const n = b.name
      switch (b.kind) {
        case "position": return positionBlock(b["axis"] as "input" | "output" | "layer", b["features"] as number, n)
        case "noise": return noiseBlock(b["features"] as number, n)
        case "learned": return learnedBlock(b["features"] as number, n)
        case "activation": return activationBlock(b["features"] as number, n)
        case "attention": return attentionBlock(b["key"] as number, n)
        default: return klChannelBlock(b["latent"] as number, n)
      }
    })
  }))
