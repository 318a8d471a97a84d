import type { HypernetworkSpec } from "../hypernetwork/index.js"
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
 * its hidden units are told apart only by noise (so its networks depend on the generation seed),
 * and its generated weights start near zero (std ≈ 5e−4 for `[1, 32, 32, 1]` at small widths,
 * measured), where a coordinate network must bend a lot. On `heat` with the quick budget (3000
 * steps, learning rate 1e−3, seed 1) the paper's blocks at small widths (`--hypernetwork paper`)
 * reached a relative L2 error of 0.25 (training and interpolation) and 0.20 (forecast) in 240 s;
 * this spec 0.045, 0.047 and 0.044 in 69 s (measured on the shared 2-core machine). Without an
 * embedding the decoder side sees only positions and every hidden unit of a layer gets the same
 * weights (measured: training stalls at loss ≈ 0.08). The embedding's gain of 10 starts the
 * weights at std ≈ 0.15 instead of 0.015 (measured) and leaves the initial plateau sooner (loss
 * 0.015 at step 400 against 0.06 with gain 1, one seed at learning rate 3e−3); at 1e−3 over two
 * seeds the final errors were 0.045 and 0.019 with gain 10, 0.032 and 0.12 with gain 1: the seed
 * matters more than the gain.
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

/**
 * The learning rates were chosen per method from {1e−3, 3e−3} on the quick budget (measured, mean
 * errors on the training conditions, without snapshot selection): the hypernetwork on heat 0.045
 * and 0.019 at 1e−3 against 0.105 and 0.031 at 3e−3 (seeds 1 and 5), on sdf 0.031 against 0.037;
 * the INRs from scratch on heat 0.016 at 1e−3 against 0.009–0.010 at 3e−3, on sdf 0.055 against
 * 0.033; the MLP was mixed (heat, [64, 64]: 0.042 at 1e−3, 0.046 at 3e−3; sdf: 0.057 at 1e−3 with
 * [64, 64], 0.037 at 3e−3 with [64, 64, 64]) and shares the baselines' rate.
 */
const base = (family: InrFamily): InrSettings => ({
  shape: family.shape,
  activation: "swish",
  hypernetwork: inrHypernetworkSpec(),
  steps: 3000,
  conditionsPerStep: 8,
  samples: 256,
  learningRate: 1e-3,
  baselineLearningRate: 3e-3,
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
    description: "3000 steps of 8 conditions × 256 inputs for every method (Adam at 1e-3 for the hypernetwork, 3e-3 for the baselines): about 3 minutes on a 2-core CPU",
    settings: base
  },
  full: {
    description: "20000 steps of 8 conditions × 256 inputs for every method, the same learning rates",
    settings: (family) => ({ ...base(family), steps: 20_000, checkpointEvery: 2000, logEvery: 100 })
  }
} as const satisfies Record<string, InrPreset>

export type InrPresetName = keyof typeof inrPresets
