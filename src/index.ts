/**
 * hyperlayers: generate interpretable networks with hypernetworks. This module is the public API;
 * everything else is internal.
 */

// shapes, weights and the target network
export { decodeNetShape, NetShape, totalEdges } from "./core/network/schemas.js"
export { type Activation, disposeNetWeights, forward, makeNetWeights, type NetWeights } from "./core/network/index.js"
export { ConstructionError, InvalidInput, NonFiniteValues, RunError, WeightShapeError } from "./core/base/schemas.js"
// tasks: the paper's L1 and others, or a researcher's own
export { checkTaskShape, defineTask, gaussianInputs, type InputDraws, meanSquaredError, type Task, type TaskDefinition, TaskDefinitionError, TaskShapeError } from "./core/task/index.js"
export { l1Loss, l1Target, l1Task } from "./core/task/index.js"
export { l1LinfTask, l2Target, l2Task, maxAbsTarget, maxAbsTask } from "./core/task/index.js"
export { builtinFamilies, builtinTasks } from "./core/task/index.js"
// constructions, order parameters, classification
export { convexity, doubleSided, pudding, type PuddingSign } from "./core/network/index.js"
export { doubleSidedness, firstLayer, type FirstLayer, matrix, type Matrix, orderParameters, outgoingStrengths, pathBalance, seedDependence, signAgreement, strongestConnection } from "./core/network/index.js"
export { Algorithm, classify, classifyFirstLayer, type ClassifierInputs, classReason, defaultThresholds, Thresholds } from "./core/network/schemas.js"
export { forceLayout } from "./core/network/index.js"
export { drawNetworkSvg } from "./core/network/index.js"
// configuration and results
export { canonicalTrainConfig, TrainConfig } from "./core/run/index.js"
export { ExperimentSettings, paperExperiments } from "./core/run/index.js"
export { sizeGrid } from "./core/run/index.js"
export { presets } from "./core/run/index.js"
export { MetricsRow, RunManifest } from "./core/run/index.js"
export { CHECKPOINT_VERSION, type Checkpoint, CheckpointError, decodeCheckpoint, encodeCheckpoint } from "./core/run/index.js"
export { AblationResult, BaselineResult, GeneralizationResult, RunSummary, StoredNetwork, SweepResult } from "./core/run/index.js"
export { recordedSettings, type RunSummaryPart, summarise, withRecordedSettings } from "./core/run/index.js"
export { type Canonical, canonicalJson } from "./core/base/schemas.js"
// hypernetworks as data
export { BlockSpec, defaultHyperhypernetwork, HyperhypernetworkSpec, HypernetworkSpec, StageSpec } from "./core/hypernetwork/index.js"
export { paperHypernetworkSpec, PaperSizes, paperSizes } from "./core/hypernetwork/index.js"
export { type BlockDefinition, defineBlock, HypernetworkSpecError, UnknownComponent } from "./layers/blocks/index.js"
export { builtinBlocks } from "./layers/blocks/index.js"
export { builtinComponents, type Components, componentsWith, findTask } from "./layers/blocks/index.js"
export { resolveRun, type RunDefinition, type RunPlan, type RunPlanError } from "./layers/hypernetwork/index.js"
// studies: plans, cells, results
export { cellId } from "./core/study/schemas.js"
export { CELL_FIELDS, CellExperiments, decodePlan, type PlannedExperiment, planSeeds, resolvePlan, StudyCell, StudyPlan } from "./core/study/schemas.js"
export { CellBaseline, CellExecution, CellResult, withoutExecution } from "./core/study/schemas.js"
export { encodeStudyResults, StudyResults } from "./core/study/schemas.js"
export { maskDatabaseUrl } from "./core/study/schemas.js"
// studies: reading them (developmental paths, shares per arm, arms against the first)
export { DevelopmentalPath, developmentalPath, developmentalPaths, PATH_RULES, type PathReading } from "./core/study/index.js"
export { type ArmComparison, type ArmSummary, type CellPath, cellPaths, compareArms, type Share, summariseArms, wilsonInterval } from "./core/study/index.js"
export { fisherExact, type MannWhitney, mannWhitneyU } from "./core/study/index.js"
// hyperlayer blocks and hypernetworks
export { type Block, type BlockContext, type BlockEnv, type BlockResult, blockSpec, type GenerationMode, noSpecs, type ParamSpec, type TensorSpec } from "./layers/blocks/index.js"
export { activationBlock } from "./layers/blocks/index.js"
export { attentionBlock } from "./layers/blocks/index.js"
export { klChannelBlock } from "./layers/blocks/index.js"
export { learnedBlock } from "./layers/blocks/index.js"
export { noiseBlock } from "./layers/blocks/index.js"
export { positionBlock } from "./layers/blocks/index.js"
export { edgeGraph } from "./layers/blocks/index.js"
export { checkHyperactivation, fromRagged, HyperShape, toRagged } from "./layers/blocks/index.js"
export {
  type Generated, generate, GenerationError, type GenerationPlan, type Hyperlayer, type Hypernetwork, hypernetworkSpec, type HypernetworkOptions, makeHypernetwork,
  type ParamEntry, type ParamLayout, paramLayout, planGeneration, randomSpecs
} from "./layers/hypernetwork/index.js"
export { paperHypernetwork } from "./layers/hypernetwork/index.js"
export { hyperhypernetwork, hyperhypernetworkFor, hyperhypernetworkShapes, hyperweights, initHyperhypernetwork } from "./layers/hypernetwork/index.js"
export { type ObjectiveContext, paretoObjective, type ParetoTerms } from "./layers/hypernetwork/index.js"
export { hiddenEdgePermutation } from "./layers/blocks/index.js"
// services
export { Backend, backendLayer, BackendUnavailable, type BackendRequest, describeAdapter, type GpuAdapter } from "./services/backend/index.js"
export { onCpu, readback } from "./core/base/index.js"
export { makeSeededRng, Rng, RngState, RngStateError, RootSeed, seededRngLayer, systemRngLayer } from "./services/rng/index.js"
export { fixedDraws, streamDraws } from "./services/rng/index.js"
export { Registry, registryLayer } from "./services/registry/index.js"
export { ClassThresholds } from "./services/settings/index.js"
export { Progress, silentProgressLayer, terminalProgressLayer } from "./services/console/index.js"
export { type CheckpointFile, MetricsMismatch, RunLocked, RunStore, runStoreLayer, StoreError } from "./services/store/index.js"
export type { FileProblem } from "./services/store/index.js"
export { DatabaseError, EmbeddedPostgres, type EmbeddedPostgresOptions, embeddedPostgresLayer, startEmbeddedPostgres } from "./services/study/index.js"
export { StorageFault } from "./services/store/index.js"
export { StudyLocked, withStudyLock } from "./services/study/index.js"
// programs
export { constructionsTable } from "./programs/experiments/index.js"
export { train, type TrainError, type TrainOptions, type TrainResult } from "./programs/training/index.js"
export { Diverged, disposeTrainer, initTrainer, runPlanOf, type StepMetrics, type Trainer, trainStep } from "./programs/training/index.js"
export { WorkerError } from "./programs/training/index.js"
export { disposeModel, modelFromCheckpoint, type TrainedModel } from "./programs/training/index.js"
export { adamBaseline, type BaselineTarget } from "./programs/training/index.js"
// experiments as values: the built-in ones, a researcher's own, the registry and the runner
export {
  cellValue, choiceFlag, decodeExperimentSettings, defineExperiment, type Experiment, type ExperimentCell, type ExperimentCommand, type ExperimentError,
  type ExperimentFigure, type ExperimentFlag, type ExperimentReport, type ExperimentSection, type ExperimentServices, experimentCommandLine, integerFlag, listFlag, numberFlag,
  readManifest, type RunOnDisk, runExperiment, runRecorded, runThresholds, settingsIn, withRunThresholds
} from "./programs/experiments/index.js"
export { builtinExperiments, Experiments, experimentsLayer, experimentsWith, findExperiment, UnknownExperiment } from "./programs/experiments/index.js"
export { ablation, ablationExperiment, baseline, baselineExperiment, drawingExperiment, generalizationExperiment, generalize, sweep, sweepExperiment } from "./programs/experiments/index.js"
export { drawConstructions, drawNetwork, drawRun } from "./programs/experiments/index.js"
export { readRun, report, runSummary } from "./programs/experiments/index.js"
export { reproduce } from "./programs/experiments/index.js"
export { replay } from "./programs/experiments/index.js"
// functional similarity by hypernetwork transfer (issue 14, item 3)
export { type FeatureMatrix, linearCka, linearCkaOfMatrices } from "./core/similarity/index.js"
export { fractionalRanks, spearman } from "./core/similarity/index.js"
export { permuteHiddenUnits, perturbWeights } from "./core/similarity/index.js"
export { type LabelledData, type Labelling, penguinsFromJson } from "./core/similarity/index.js"
export {
  decodeSimilaritySettings, DatasetSimilarity, ProbeHypernetworkSettings, SimilarityManifest, SimilarityResult, SimilaritySettings, similarityPresets, TransferSettings
} from "./core/similarity/schemas.js"
export { type Encoder, mlpEncoder } from "./layers/hypernetwork/index.js"
export { generateClassifiers, initProbeHypernetwork, probeHypernetworkShape, type ProbeHypernetworkSpec, probeLoss } from "./layers/hypernetwork/index.js"
export { initMlp, trainEncoder } from "./programs/similarity/index.js"
export { loadPenguins, syntheticData } from "./programs/similarity/index.js"
export {
  disposeProbeHypernetwork, encodeAll, fitConditions, functionalSimilarity, pretrainProbeHypernetwork, type ProbeHypernetwork, transferLosses
} from "./programs/similarity/index.js"
export { similarity, similarityDataset } from "./programs/similarity/index.js"
export { decodeStudyResults, type StudyOptions, type StudySummary, readPlan, runStudy } from "./programs/study/index.js"
export { studyReport } from "./programs/study/index.js"
export { runRunner, type RunnerOptions } from "./programs/study/index.js"
export { CellFailure, CellQueue, type CellRunner, CellWorkflow, cellWorkflowLayer, databaseLayer, engineLayer, runCellWorker, type EngineTiming } from "./programs/study/index.js"
export { studyCellRunner } from "./programs/study/index.js"
// networks trained elsewhere: read, write, analyse (PyTorch/JAX safetensors, NumPy .npz/.npy, JSON)
export { decodeNetworkFile, decodeNpyFolder, encodeNetworkFile, type LoadedNetwork, NetworkFormat, WritableFormat } from "./core/weights/index.js"
export { type LoadNetworkError, NetworkLayoutError, NonFiniteWeights, WeightFileError } from "./core/weights/index.js"
export { LayoutOption, NAMING_RULES, WeightLayout } from "./core/weights/schemas.js"
export { NetworkAnalysis, NetworkFindings } from "./core/weights/index.js"
export { neuronCount } from "./core/network/index.js"
export { checkStoredNetwork, loadNetwork, saveNetwork, storedNetworkWeights, toStoredNetwork } from "./programs/analysis/index.js"
export { analyze, analyzeNetwork } from "./programs/analysis/index.js"
// implicit neural representations (INRs) of task families: the blog post's first use of hypernetworks
export { betaCondition, checkCondition, checkConditions, Condition, ConditionError, conditionScale, referenceValue } from "./core/task/index.js"
export { heatForecastTimes, heatInterpolationTimes, type HeatSeries, heatScale, heatSeries, heatSolution, heatTarget, heatTask, heatTime, heatTrainingTimes } from "./core/task/index.js"
export { boxCentre, boxExtrapolation, boxHalfWidth, boxInterpolation, boxSdf, boxSdfTarget, boxSdfTask } from "./core/task/index.js"
export {
  type ConditionKind, defineInrFamily, evaluatedConditions, gridPoints, gridTensor, type InrFamily, type InrFamilyDefinition, InrFamilyError, type Interval, nearestCondition,
  relativeL2, trainingConditions
} from "./core/inr/index.js"
export { heatFamily, inrFamilies, sdfFamily } from "./core/inr/index.js"
export { type InrHypernetworkSizes, inrHypernetworkSizes, inrHypernetworkSpec, type InrPreset, type InrPresetName, inrPresets } from "./core/inr/schemas.js"
export { InrConditionRow, InrMethod, InrResult, InrSample, InrSettings, InrSummaryRow } from "./core/inr/schemas.js"
export { edgeEmbeddingBlock } from "./layers/blocks/index.js"
export { inr, type InrError, inrNetworks, type InrOptions, inrTrainConfig, summariseInr } from "./programs/inr/index.js"
export { type AdamSettings, conditionedInput, conditionedPrediction, scaleConditions, type TrainedWeights, trainConditionedMlp, trainInrsFromScratch, weightsToNet } from "./programs/inr/index.js"
export { writeInrReport } from "./programs/inr/index.js"
