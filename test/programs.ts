import { NodeServices } from "@effect/platform-node"
import { Effect, Layer, type Scope } from "effect"
import { defaultThresholds } from "../src/core/network/classifier.js"
import type { ExperimentSettings } from "../src/core/run/experimentSettings.js"
import { paperHypernetworkSpec } from "../src/core/hypernetwork/paperHypernetworkSpec.js"
import { canonicalTrainConfig, type TrainConfig } from "../src/core/run/trainConfig.js"
import { backendLayer } from "../src/services/backend/Backend.js"
import { silentProgressLayer } from "../src/services/console/Progress.js"
import { seededRngLayer } from "../src/services/rng/Rng.js"
import { runStoreLayer } from "../src/services/store/RunStore.js"

export { tempDir } from "./tempDirs.js"

/** Every service a program needs: cpu backend, seeded Rng, files, no progress output. */
export const testLayer = (seed: number, backend: "cpu" | "wasm" = "cpu") =>
  Layer.mergeAll(backendLayer(backend), seededRngLayer(seed), silentProgressLayer, runStoreLayer.pipe(Layer.provide(NodeServices.layer)), NodeServices.layer)

/** {@link runProgram} on one backend: a file whose subject is a program, not the backend, runs on wasm, as users do. */
export const runProgramOn = (backend: "cpu" | "wasm") => <A, E>(program: Effect.Effect<A, E, Services>, seed = 1) => runProgram(program, seed, backend)

/** Run a program under {@link testLayer}. */
type Services = Layer.Success<ReturnType<typeof testLayer>> | Scope.Scope
export const runProgram = <A, E>(program: Effect.Effect<A, E, Services>, seed = 1, backend: "cpu" | "wasm" = "cpu") =>
  Effect.runPromise(Effect.scoped(program).pipe(Effect.provide(testLayer(seed, backend))))

/** A training configuration small enough for a test. */
export const tinyConfig = (overrides: Partial<TrainConfig> = {}): TrainConfig => ({
  ...canonicalTrainConfig(7),
  shape: [3, 4, 1],
  steps: 6,
  betasPerStep: 2,
  samplesPerBeta: 32,
  checkpointEvery: 3,
  logEvery: 1,
  hypernetwork: paperHypernetworkSpec({ activation: 6, position: 2, noise: 2, attentionKey: 2, learned: 2, latent: 2, depth: 3 }),
  ...overrides
})

/** Experiment settings small enough for a test. */
export const tinyExperiments: ExperimentSettings = {
  sweep: { betas: 3, seeds: 2, samples: 64, logBetaMin: -12, logBetaMax: 0, everyCheckpoint: 1 },
  ablation: { betas: 3, seeds: 2, samples: 64 },
  generalization: { inputs: [2, 3], hidden: [3, 5], logBeta: -6, seeds: 2, samples: 64 },
  baseline: { steps: 20, batch: 16, learningRate: 1e-2, logEvery: 5, samples: 128 },
  drawing: { lowLogBeta: -12, highLogBeta: 0, seed: 0, iterations: 60 },
  thresholds: defaultThresholds
}
