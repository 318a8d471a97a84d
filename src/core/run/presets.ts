import { defaultThresholds } from "../network/schemas.js"
import { type ExperimentSettings, paperExperiments } from "./experimentSettings.js"
import { sizeGrid } from "./sizeGrid.js"
import { canonicalTrainConfig, type TrainConfig } from "./trainConfig.js"

/** A whole reproduction: how to train and what to measure afterwards. */
export interface Preset {
  readonly description: string
  /** The training settings for a seed, using up to `cores` threads per step. */
  readonly train: (seed: number, cores: number) => TrainConfig
  readonly experiments: ExperimentSettings
}

/** The quick preset's training settings (see its comments in {@link presets}). */
const quickTrain = (seed: number, _cores: number): TrainConfig =>
  ({ ...canonicalTrainConfig(seed), shape: [8, 24, 1], steps: 10_000, learningRate: 2e-3, checkpointEvery: 500, threads: 1 })

/** The quick preset's experiments: 30 β × 4 seeds, a 17 × 16 shape grid (four sizes to a doubling through the trained 8 and 24). */
const quickExperiments: ExperimentSettings = {
  sweep: { betas: 30, seeds: 4, samples: 2048, logBetaMin: -12, logBetaMax: 0, everyCheckpoint: 1 },
  ablation: { betas: 30, seeds: 4, samples: 2048 },
  generalization: { inputs: sizeGrid(8, 4, 64, 4), hidden: sizeGrid(24, 8, 128, 4), logBeta: -6, seeds: 4, samples: 2048 },
  baseline: { steps: 6000, batch: 256, learningRate: 1e-3, logEvery: 100, samples: 16384 },
  drawing: { lowLogBeta: -12, highLogBeta: 0, seed: 0, iterations: 2000 },
  thresholds: defaultThresholds
}

export const presets = {
  /*
   * The paper's [16, 48, 1] stays in the convexity algorithm for 4–9k steps of ≈ 0.2 s, beyond
   * 20 minutes of a 2-core CPU. [8, 24, 1] (the same n1 = 3·n0) goes through the same phases,
   * convexity then pudding at every β, in fewer and cheaper steps (≈ 60 ms). With the paper's
   * learning rate 1e−3 the switch came at step 1800 for one seed and 4500 for another; with 2e−3
   * at 1000–3600 for five seeds (measured). A seed that switched at 3000 was at low-β loss 0.20
   * by step 6000 and 0.049 by step 10000, hence 10000 steps.
   */
  /*
   * One thread: on the 2-core machine a quick-preset step took 40.0, 39.6 and 46.7 ms (medians of
   * 400 steps) on one thread against 38.2, 39.5 and 45.7 ms on two, interleaved: a tie within the
   * machine's noise. One thread gives the same speed on half the cores, without a second
   * TensorFlow.js engine (≈ 150 MB), and replays a study cell of the same seed bit for bit.
   */
  quick: {
    description: "[8, 24, 1] on a 2-core CPU in under 20 minutes: 10000 steps at learning rate 2e-3, 30 β × 4 seeds, a 17 × 16 shape grid",
    train: quickTrain,
    experiments: quickExperiments
  },
  /*
   * The memorised route (studies/memorised-route, docs/studies.md): the quick preset with the
   * learned per-edge variables as plain parameters started at unit variance and the training β
   * capped at 1e−4. In that study every seed of this arm carried a memorised assignment at low β
   * (KL of thousands of nats, decoder-only loss hundreds of times the full loss, α3 ≈ 0), where
   * the quick preset's 33 seeds never did; its networks at low β read double-sided, not the
   * paper's pudding. Same steps and experiments as quick.
   */
  routes: {
    description: "the memorised route: quick with plain per-edge variables started N(0, 1) and training β capped at 1e-4 (same budget as quick)",
    train: (seed, cores) => ({
      ...quickTrain(seed, cores), logBetaMax: -4,
      hypernetwork: { ...canonicalTrainConfig(seed).hypernetwork, hyperhypernetwork: { hidden: [100, 10], perEdge: "plain", perEdgeInit: { distribution: "normal", std: 1 } } }
    }),
    experiments: quickExperiments
  },
  paper: {
    description: "the paper's scale (30 β, 8 seeds, 50k steps, a 23 × 24 shape grid): a GPU or a long CPU run",
    train: (seed, cores) => ({ ...canonicalTrainConfig(seed), steps: 50_000, checkpointEvery: 1000, threads: Math.max(1, Math.min(cores, 8)) }),
    experiments: paperExperiments
  }
} as const satisfies Record<string, Preset>

export type PresetName = keyof typeof presets
export const presetNames = Object.keys(presets) as ReadonlyArray<PresetName>
