import { fc } from "@fast-check/vitest"
import type { BlockSpec, HypernetworkSpec } from "../src/core/hypernetworkSpec.js"
import type { Block } from "../src/layers/block.js"
import { activationBlock } from "../src/layers/blocks/activation.js"
import { attentionBlock } from "../src/layers/blocks/attention.js"
import { klChannelBlock } from "../src/layers/blocks/klChannel.js"
import { learnedBlock } from "../src/layers/blocks/learned.js"
import { noiseBlock } from "../src/layers/blocks/noise.js"
import { positionBlock } from "../src/layers/blocks/position.js"

/** Small stacks of built-in blocks, as specs: stage 0 of sources, later stages with at least one reader. */
const width = fc.integer({ min: 1, max: 4 })
const source: fc.Arbitrary<BlockSpec> = fc.oneof(
  fc.record({ kind: fc.constant("position"), axis: fc.constantFrom("input", "output", "layer"), features: fc.constantFrom(2, 4) }),
  fc.record({ kind: fc.constant("noise"), features: width }),
  fc.record({ kind: fc.constant("learned"), features: width })
)
const reader: fc.Arbitrary<BlockSpec> = fc.oneof(
  fc.record({ kind: fc.constant("activation"), features: width }),
  fc.record({ kind: fc.constant("attention"), key: fc.integer({ min: 1, max: 2 }) }),
  fc.record({ kind: fc.constant("kl"), latent: width })
)

/** Give every block but the first of its default name an explicit, unique name. */
const named = (blocks: ReadonlyArray<BlockSpec>): ReadonlyArray<BlockSpec> => {
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

export const specArbitrary: fc.Arbitrary<HypernetworkSpec> = fc.record({
  stage0: fc.array(source, { minLength: 1, maxLength: 3 }),
  later: fc.array(fc.tuple(fc.array(reader, { minLength: 1, maxLength: 3 }), fc.array(source, { maxLength: 2 })), { minLength: 1, maxLength: 3 }),
  readout: fc.integer({ min: 2, max: 3 }),
  hidden: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 2 }),
  perEdge: fc.constantFrom("generated" as const, "plain" as const)
}).map(({ stage0, later, readout, hidden, perEdge }) => ({
  stages: [{ blocks: named(stage0) }, ...later.map(([r, s]) => ({ blocks: named([...r, ...s]) }))],
  readout,
  hyperhypernetwork: { hidden, perEdge }
}))

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
