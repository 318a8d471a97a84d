/**
 * hyperlayers: generate interpretable networks with hypernetworks. This module is the public API;
 * everything else is internal.
 */

// shapes, weights and the target network
export { decodeNetShape, NetShape, totalEdges } from "./core/netShape.js"
export { type Activation, disposeNetWeights, forward, makeNetWeights, type NetWeights } from "./core/network.js"
export { ConstructionError, InvalidInput, NonFiniteValues, RunError, WeightShapeError } from "./core/errors.js"
// tasks: the paper's L1 and others, or a researcher's own
export { checkTaskShape, defineTask, gaussianInputs, type InputDraws, meanSquaredError, type Task, type TaskDefinition, TaskDefinitionError, TaskShapeError } from "./core/task.js"
export { l1Loss, l1Target, l1Task } from "./core/l1Task.js"
export { l1LinfTask, l2Target, l2Task, maxAbsTarget, maxAbsTask } from "./core/normTasks.js"
export { builtinFamilies, builtinTasks } from "./core/builtinTasks.js"
// constructions, order parameters, classification
export { convexity, doubleSided, pudding, type PuddingSign } from "./core/constructions.js"
export { doubleSidedness, firstLayer, type FirstLayer, matrix, type Matrix, orderParameters, outgoingStrengths, pathBalance, seedDependence, signAgreement, strongestConnection } from "./core/orderParameters.js"
export { Algorithm, classify, classifyFirstLayer, type ClassifierInputs, classReason, defaultThresholds, Thresholds } from "./core/classifier.js"
export { forceLayout } from "./core/forceLayout.js"
export { drawNetworkSvg } from "./core/networkDrawing.js"
// configuration and results
export { canonicalTrainConfig, TrainConfig } from "./core/trainConfig.js"
export { ExperimentSettings, paperExperiments } from "./core/experimentSettings.js"
export { sizeGrid } from "./core/sizeGrid.js"
export { presets } from "./core/presets.js"
export { MetricsRow, RunManifest } from "./core/runManifest.js"
export { CHECKPOINT_VERSION, type Checkpoint, CheckpointError, decodeCheckpoint, encodeCheckpoint } from "./core/checkpoint.js"
export { AblationResult, BaselineResult, Experiment, GeneralizationResult, RunSummary, StoredNetwork, SweepResult } from "./core/results.js"
export { missingExperiments, type RunResults } from "./core/summary.js"
export { type Canonical, canonicalJson } from "./core/canonicalJson.js"
// hypernetworks as data
export { BlockSpec, defaultHyperhypernetwork, HyperhypernetworkSpec, HypernetworkSpec, StageSpec } from "./core/hypernetworkSpec.js"
export { paperHypernetworkSpec, PaperSizes, paperSizes } from "./core/paperHypernetworkSpec.js"
export { type BlockDefinition, defineBlock, HypernetworkSpecError, UnknownComponent } from "./layers/blockDefinition.js"
export { builtinBlocks } from "./layers/builtinBlocks.js"
export { builtinComponents, type Components, componentsWith, findTask } from "./layers/components.js"
export { resolveRun, type RunDefinition, type RunPlan, type RunPlanError } from "./layers/runPlan.js"
// studies: plans, cells, results
export { cellId } from "./core/cellId.js"
export { CellExperiments, decodePlan, planSeeds, resolvePlan, StudyCell, StudyPlan } from "./core/studyPlan.js"
export { CellExecution, CellResult, withoutExecution } from "./core/cellResult.js"
export { encodeStudyResults, StudyResults } from "./core/studyResults.js"
export { maskDatabaseUrl } from "./core/databaseUrl.js"
// studies: reading them (developmental paths, shares per arm, arms against the first)
export { DevelopmentalPath, developmentalPath, developmentalPaths, PATH_RULES, type PathReading } from "./core/developmentalPath.js"
export { type ArmComparison, type ArmSummary, type CellPath, cellPaths, compareArms, type Share, summariseArms, wilsonInterval } from "./core/studyAnalysis.js"
export { fisherExact, type MannWhitney, mannWhitneyU } from "./core/hypothesisTests.js"
// hyperlayer blocks and hypernetworks
export { type Block, type BlockContext, type BlockEnv, type BlockResult, blockSpec, type GenerationMode, noSpecs, type ParamSpec, type TensorSpec } from "./layers/block.js"
export { activationBlock } from "./layers/blocks/activation.js"
export { attentionBlock } from "./layers/blocks/attention.js"
export { klChannelBlock } from "./layers/blocks/klChannel.js"
export { learnedBlock } from "./layers/blocks/learned.js"
export { noiseBlock } from "./layers/blocks/noise.js"
export { positionBlock } from "./layers/blocks/position.js"
export { edgeGraph } from "./layers/edgeGraph.js"
export { checkHyperactivation, fromRagged, HyperShape, toRagged } from "./layers/hyperactivation.js"
export {
  type Generated, generate, GenerationError, type GenerationPlan, type Hyperlayer, type Hypernetwork, hypernetworkSpec, type HypernetworkOptions, makeHypernetwork,
  type ParamEntry, type ParamLayout, paramLayout, planGeneration, randomSpecs
} from "./layers/hypernetwork.js"
export { paperHypernetwork } from "./layers/paperHypernetwork.js"
export { hyperhypernetwork, hyperhypernetworkFor, hyperhypernetworkShapes, hyperweights, initHyperhypernetwork } from "./layers/hyperhypernetwork.js"
export { type ObjectiveContext, paretoObjective, type ParetoTerms } from "./layers/paretoObjective.js"
export { hiddenEdgePermutation } from "./layers/symmetry.js"
// services
export { Backend, backendLayer, BackendUnavailable, type BackendRequest, describeAdapter, type GpuAdapter } from "./services/Backend.js"
export { onCpu, readback } from "./core/readback.js"
export { makeSeededRng, Rng, RngState, RngStateError, RootSeed, seededRngLayer, systemRngLayer } from "./services/Rng.js"
export { fixedDraws, streamDraws } from "./services/inputDraws.js"
export { Registry, registryLayer } from "./services/Registry.js"
export { Progress, silentProgressLayer, terminalProgressLayer } from "./services/Progress.js"
export { type CheckpointFile, MetricsMismatch, RunLocked, RunStore, runStoreLayer, StoreError } from "./services/RunStore.js"
export type { FileProblem } from "./services/fileErrors.js"
export { DatabaseError, EmbeddedPostgres, type EmbeddedPostgresOptions, embeddedPostgresLayer, startEmbeddedPostgres } from "./services/EmbeddedPostgres.js"
export { StorageFault } from "./services/storageFault.js"
export { StudyLocked, withStudyLock } from "./services/StudyLock.js"
// programs
export { constructionsTable } from "./programs/constructionsTable.js"
export { train, type TrainError, type TrainOptions, type TrainResult } from "./programs/train.js"
export { Diverged, disposeTrainer, initTrainer, runPlanOf, type StepMetrics, type Trainer, trainStep } from "./programs/trainer.js"
export { WorkerError } from "./programs/workerPool.js"
export { disposeModel, modelFromCheckpoint, type TrainedModel } from "./programs/evaluate.js"
export { sweep } from "./programs/sweep.js"
export { ablation } from "./programs/ablation.js"
export { generalize } from "./programs/generalize.js"
export { baseline, type BaselineTarget } from "./programs/baseline.js"
export { experimentCommand, report } from "./programs/report.js"
export { reproduce } from "./programs/reproduce.js"
export { replay } from "./programs/replay.js"
// functional similarity by hypernetwork transfer (issue 14, item 3)
export { type FeatureMatrix, linearCka, linearCkaOfMatrices } from "./core/cka.js"
export { fractionalRanks, spearman } from "./core/rankCorrelation.js"
export { permuteHiddenUnits, perturbWeights } from "./core/encoderVariants.js"
export { type LabelledData, type Labelling, penguinsFromJson } from "./core/labelledData.js"
export {
  decodeSimilaritySettings, DatasetSimilarity, ProbeHypernetworkSettings, SimilarityManifest, SimilarityResult, SimilaritySettings, similarityPresets, TransferSettings
} from "./core/similaritySettings.js"
export { type Encoder, mlpEncoder } from "./layers/encoder.js"
export { generateClassifiers, initProbeHypernetwork, probeHypernetworkShape, type ProbeHypernetworkSpec, probeLoss } from "./layers/linearProbeHypernetwork.js"
export { initMlp, trainEncoder } from "./programs/encoders.js"
export { loadPenguins, syntheticData } from "./programs/similarityData.js"
export {
  disposeProbeHypernetwork, encodeAll, fitConditions, functionalSimilarity, pretrainProbeHypernetwork, type ProbeHypernetwork, transferLosses
} from "./programs/transferSimilarity.js"
export { similarity, similarityDataset } from "./programs/similarity.js"
export { decodeStudyResults, type StudyOptions, type StudySummary, readPlan, runStudy } from "./programs/study.js"
export { studyReport } from "./programs/studyReport.js"
export { runRunner, type RunnerOptions } from "./programs/runner.js"
export { CellFailure, CellQueue, type CellRunner, CellWorkflow, cellWorkflowLayer, databaseLayer, engineLayer, runCellWorker, type EngineTiming } from "./programs/studyEngine.js"
export { studyCellRunner } from "./programs/cellAdapter.js"
// networks trained elsewhere: read, write, analyse (PyTorch/JAX safetensors, NumPy .npz/.npy, JSON)
export { decodeNetworkFile, decodeNpyFolder, encodeNetworkFile, type LoadedNetwork, NetworkFormat, WritableFormat } from "./core/networkFile.js"
export { type LoadNetworkError, NetworkLayoutError, NonFiniteWeights, WeightFileError } from "./core/networkFileErrors.js"
export { LayoutOption, NAMING_RULES, WeightLayout } from "./core/networkFromTensors.js"
export { NetworkAnalysis, NetworkFindings } from "./core/networkAnalysis.js"
export { neuronCount } from "./core/networkDrawing.js"
export { checkStoredNetwork, loadNetwork, saveNetwork, storedNetworkWeights, toStoredNetwork } from "./programs/loadNetwork.js"
export { analyze, analyzeNetwork } from "./programs/analyze.js"
// implicit neural representations (INRs) of task families: the blog post's first use of hypernetworks
export { betaCondition, checkCondition, checkConditions, Condition, ConditionError, conditionScale, referenceValue } from "./core/condition.js"
export { heatForecastTimes, heatInterpolationTimes, type HeatSeries, heatScale, heatSeries, heatSolution, heatTarget, heatTask, heatTime, heatTrainingTimes } from "./core/heatEquation.js"
export { boxCentre, boxExtrapolation, boxHalfWidth, boxInterpolation, boxSdf, boxSdfTarget, boxSdfTask } from "./core/boxSdf.js"
export {
  type ConditionKind, defineInrFamily, evaluatedConditions, gridPoints, gridTensor, type InrFamily, type InrFamilyDefinition, InrFamilyError, type Interval, nearestCondition,
  relativeL2, trainingConditions
} from "./core/inrFamily.js"
export { heatFamily, inrFamilies, sdfFamily } from "./core/inrFamilies.js"
export { type InrHypernetworkSizes, inrHypernetworkSizes, inrHypernetworkSpec, type InrPreset, type InrPresetName, inrPresets } from "./core/inrPresets.js"
export { InrConditionRow, InrMethod, InrResult, InrSample, InrSettings, InrSummaryRow } from "./core/inrResults.js"
export { edgeEmbeddingBlock } from "./layers/blocks/edgeEmbedding.js"
export { inr, type InrError, inrNetworks, type InrOptions, inrTrainConfig, summariseInr } from "./programs/inr.js"
export { type AdamSettings, conditionedInput, conditionedPrediction, scaleConditions, type TrainedWeights, trainConditionedMlp, trainInrsFromScratch, weightsToNet } from "./programs/inrBaselines.js"
export { writeInrReport } from "./programs/inrReport.js"
