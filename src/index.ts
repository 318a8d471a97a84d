/**
 * hyperlayers: generate interpretable networks with hypernetworks (Liao, Liu & Tegmark,
 * arXiv:2312.03051). This module is the public API; everything else is internal.
 *
 * One namespace per research object (`Network`, `Tasks`, `Hypernetworks`, `Runs`, `Experiments`,
 * `Studies`, `Weights`, `Inr`, `Similarity`, `Services`, `Base`), and as plain names the pieces a
 * researcher reaches for first: the one layer that provides every service, the programs, and the
 * definitions of a task, a block and a hypernetwork. `hyperlayers/testing` property-tests blocks.
 *
 *     import { Hyperlayers, Runs, train } from "hyperlayers"
 *     await Effect.runPromise(train({ runDir: "runs/a", config: Runs.canonicalTrainConfig(7), resume: false })
 *       .pipe(Effect.provide(Hyperlayers.layer({ backend: "wasm", seed: 7 }))))
 */

// the namespaces
export * as Base from "./api/base.js"
export * as Experiments from "./api/experiments.js"
export * as Hypernetworks from "./api/hypernetworks.js"
export * as Inr from "./api/inr.js"
export * as Network from "./api/network.js"
export * as Runs from "./api/runs.js"
export * as Services from "./api/services.js"
export * as Similarity from "./api/similarity.js"
export * as Studies from "./api/studies.js"
export * as Tasks from "./api/tasks.js"
export * as Weights from "./api/weights.js"

// the one layer, and what it provides
export { Hyperlayers, type HyperlayersOptions } from "./services/runtime/index.js"
export { Backend, BackendUnavailable } from "./services/backend/index.js"
export { Rng } from "./services/rng/index.js"
export { RunStore } from "./services/store/index.js"
export { Progress } from "./services/console/index.js"
export { Registry, registryLayer } from "./services/registry/index.js"

// the programs a researcher runs first
export { train, type TrainOptions, type TrainResult } from "./programs/training/index.js"
export { ablation, baseline, generalize, replay, report, reproduce, sweep } from "./programs/experiments/index.js"
export { defineExperiment, experimentsLayer, runExperiment } from "./programs/experiments/index.js"
export { runStudy, studyReport } from "./programs/study/index.js"
export { analyze, loadNetwork, saveNetwork } from "./programs/analysis/index.js"
export { inr } from "./programs/inr/index.js"
export { similarity } from "./programs/similarity/index.js"

// what a researcher defines first
export { defineTask, l1Task, type Task } from "./core/task/index.js"
export { defineBlock, type Block } from "./layers/blocks/index.js"
export { generate, hypernetworkSpec, makeHypernetwork } from "./layers/hypernetwork/index.js"
export { HypernetworkSpec, paperHypernetworkSpec } from "./core/hypernetwork/index.js"
export { canonicalTrainConfig, presets, TrainConfig } from "./core/run/index.js"

// reading a network
export { classify, defaultThresholds, orderParameters, Thresholds } from "./core/network/index.js"

// the typed errors a program's error channel names most often
export { InvalidInput, NonFiniteValues, RunError } from "./core/base/index.js"
