import type { HypernetworkSpec } from "./hypernetworkSpec.js"
import type { InrFamily } from "./inrFamily.js"
import type { InrSettings } from "./inrResults.js"

/** Widths of {@link inrHypernetworkSpec}. */
export interface InrHypernetworkSizes {
  /** Learned per-edge features (the `embedding` block) per stage. */
  readonly embedding: number
  /** Their fixed gain (see below). */
  readonly scale: number
  /** Swish features of each hyperlayer after stage 0. */
  readonly activation: number
  /** Stages (hyperdepth D): stage 0 and D − 1 hyperlayers. */
  readonly depth: number
  /** Hidden widths of the hyperhypernetwork. */
  readonly hidden: ReadonlyArray<number>
}

export const inrHypernetworkSizes: InrHypernetworkSizes = { embedding: 4, scale: 10, activation: 16, depth: 2, hidden: [100, 10] }

/**
 * A hypernetwork suited to generating INRs (the spec `inr`), built from the library's blocks: per
 * stage a layer position (4) and learned per-edge `embedding` features on both KL sides, then
 * swish hyperlayers, then the read-out; no noise and no KL channel, so θ_c determines the network
 * (there is no generation seed) and β has no effect. The hyperhypernetwork generates every
 * hyperweight, the per-edge ones included, from (c, log β): `1 + C → 100 → 10 → 2P`.
 *
 * Why not the paper's spec: its per-edge variables reach the weights only through a KL channel,
 * and its hidden units are told apart only by noise, so its networks depend on the generation seed;
 * and its generated weights start near zero (std ≈ 5e−4 for `[1, 32, 32, 1]`, measured), where a
 * coordinate network must bend a lot: training sat at loss ≈ 0.04 (relative error ≈ 30 %) for the
 * first 600 steps. The embedding's gain of 10 starts the weights at std ≈ 0.15 (measured), and
 * training leaves that plateau in about 200 steps instead of 600.
 */
export const inrHypernetworkSpec = (sizes: InrHypernetworkSizes = inrHypernetworkSizes): HypernetworkSpec => {
  const sources = [{ kind: "position", axis: "layer", features: 4 }, { kind: "embedding", features: sizes.embedding, scale: sizes.scale }]
  return {
    stages: [{ blocks: sources }, ...Array.from({ length: sizes.depth - 1 }, () => ({ blocks: [{ kind: "activation", features: sizes.activation }, ...sources] }))],
    readout: 2,
    hyperhypernetwork: { hidden: sizes.hidden, perEdge: "generated" }
  }
}

/** How long an INR experiment trains and how finely it evaluates. */
export interface InrPreset {
  readonly description: string
  readonly settings: (family: InrFamily) => InrSettings
}

const base = (family: InrFamily): InrSettings => ({
  shape: family.shape,
  activation: "swish",
  hypernetwork: inrHypernetworkSpec(),
  steps: 3000,
  conditionsPerStep: 8,
  samples: 256,
  learningRate: 3e-3,
  checkpointEvery: 500,
  logEvery: 25,
  logBetaMin: -12,
  logBetaMax: -10,
  seeds: 4,
  mlpHidden: [64, 64],
  gridPoints: family.domain.length === 1 ? 513 : 101,
  figurePoints: family.domain.length === 1 ? 201 : 41
})

export const inrPresets = {
  quick: {
    description: "3000 steps of 8 conditions × 256 inputs for every method: a few minutes on a 2-core CPU",
    settings: base
  },
  full: {
    description: "20000 steps of 8 conditions × 256 inputs for every method, learning rate 1e-3",
    settings: (family) => ({ ...base(family), steps: 20_000, learningRate: 1e-3, checkpointEvery: 2000, logEvery: 100 })
  }
} as const satisfies Record<string, InrPreset>

export type InrPresetName = keyof typeof inrPresets
