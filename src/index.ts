/**
 * hyperlayers: generate interpretable networks with hypernetworks. This module is the public API;
 * everything else is internal.
 */

// shapes, weights and the target network
export { decodeNetShape, NetShape, totalEdges } from "./core/netShape.js"
export { type Activation, disposeNetWeights, forward, makeNetWeights, type NetWeights } from "./core/network.js"
export { ConstructionError, InvalidInput, WeightShapeError } from "./core/errors.js"
// the task, constructions, order parameters, classification
export { l1Loss, l1Target } from "./core/l1Task.js"
export { convexity, doubleSided, pudding, type PuddingSign } from "./core/constructions.js"
export { doubleSidedness, type Matrix, orderParameters, seedDependence, signAgreement, strongestConnection } from "./core/orderParameters.js"
export { Algorithm, classify, defaultThresholds, Thresholds } from "./core/classifier.js"
export { forceLayout } from "./core/forceLayout.js"
export { drawNetworkSvg } from "./core/networkDrawing.js"
// configuration and results
export { canonicalTrainConfig, TrainConfig } from "./core/trainConfig.js"
export { ExperimentSettings, paperExperiments } from "./core/experimentSettings.js"
export { sizeGrid } from "./core/sizeGrid.js"
export { presets } from "./core/presets.js"
export { RunManifest } from "./core/runManifest.js"
export { AblationResult, BaselineResult, GeneralizationResult, RunSummary, SweepResult } from "./core/results.js"
// hyperlayer blocks and hypernetworks
export type { Block, BlockEnv, GenerationMode, ParamSpec, TensorSpec } from "./layers/block.js"
export { activationBlock } from "./layers/blocks/activation.js"
export { attentionBlock } from "./layers/blocks/attention.js"
export { klChannelBlock } from "./layers/blocks/klChannel.js"
export { learnedBlock } from "./layers/blocks/learned.js"
export { noiseBlock } from "./layers/blocks/noise.js"
export { positionBlock } from "./layers/blocks/position.js"
export { edgeGraph } from "./layers/edgeGraph.js"
export { checkHyperactivation, fromRagged, HyperShape, toRagged } from "./layers/hyperactivation.js"
export { generate, type Hyperlayer, type Hypernetwork, makeHypernetwork, paramLayout, planGeneration, randomSpecs } from "./layers/hypernetwork.js"
export { paperHypernetwork } from "./layers/paperHypernetwork.js"
export { hyperhypernetwork, initHyperhypernetwork } from "./layers/hyperhypernetwork.js"
export { paretoObjective } from "./layers/paretoObjective.js"
export { hiddenEdgePermutation } from "./layers/symmetry.js"
// services
export { Backend, backendLayer, BackendUnavailable, type BackendRequest } from "./services/Backend.js"
export { makeSeededRng, Rng, RngState, seededRngLayer, systemRngLayer } from "./services/Rng.js"
export { Progress, silentProgressLayer, terminalProgressLayer } from "./services/Progress.js"
export { RunStore, runStoreLayer } from "./services/RunStore.js"
// programs
export { constructionsTable } from "./programs/constructionsTable.js"
export { train } from "./programs/train.js"
export { initTrainer, trainStep } from "./programs/trainer.js"
export { sweep } from "./programs/sweep.js"
export { ablation } from "./programs/ablation.js"
export { generalize } from "./programs/generalize.js"
export { baseline } from "./programs/baseline.js"
export { report } from "./programs/report.js"
export { reproduce } from "./programs/reproduce.js"
export { replay } from "./programs/replay.js"
// networks trained elsewhere: read, write, analyse (PyTorch/JAX safetensors, NumPy .npz/.npy, JSON)
export { StoredNetwork } from "./core/results.js"
export { decodeNetworkFile, decodeNpyFolder, encodeNetworkFile, type LoadedNetwork, NetworkFormat, WritableFormat } from "./core/networkFile.js"
export { type LoadNetworkError, NetworkLayoutError, NonFiniteWeights, WeightFileError } from "./core/networkFileErrors.js"
export { LayoutOption, NAMING_RULES, WeightLayout } from "./core/networkFromTensors.js"
export { NetworkAnalysis, NetworkFindings } from "./core/networkAnalysis.js"
export { neuronCount } from "./core/networkDrawing.js"
export { checkStoredNetwork, loadNetwork, saveNetwork, storedNetworkWeights, toStoredNetwork } from "./programs/loadNetwork.js"
export { analyze, analyzeNetwork } from "./programs/analyze.js"
