import * as tf from "@tensorflow/tfjs"
import { Effect, Result, Schema, SchemaIssue } from "effect"
import { InvalidInput, RunError } from "../../core/base/schemas.js"
import { defineInrFamily, evaluatedConditions, type InrFamily, InrFamilyError, gridTensor, MAX_GRID_POINTS, nearestCondition, relativeL2FromParts, relativeL2Parts, trainingConditions, type ConditionKind } from "../../core/inr/index.js"
import { type InrConditionRow, InrResult, type InrSample, InrSettings, type InrSummaryRow } from "../../core/inr/schemas.js"
import { cutList, cutText, quoteValue } from "../../core/base/schemas.js"
import { forward, type NetWeights, netWeightsOrThrow } from "../../core/network/index.js"
import { checkTaskShape } from "../../core/task/index.js"
import { readback } from "../../core/base/index.js"
import { formatNumber } from "../../core/base/schemas.js"
import type { TrainConfig } from "../../core/run/index.js"
import { generateUnchecked, type GenerationError } from "../../layers/hypernetwork/index.js"
import { hyperhypernetworkShapes } from "../../layers/hypernetwork/index.js"
import { Progress } from "../../services/console/index.js"
import { Registry } from "../../services/registry/index.js"
import { Rng } from "../../services/rng/index.js"
import { RunStore } from "../../services/store/index.js"
import { disposeModel, modelFromCheckpoint, thetaAt, type TrainedModel } from "../training/index.js"
import { readMetricsRows, writeInrReport } from "./inrReport.js"
import { conditionedPrediction, trainConditionedMlp, trainInrsFromScratch, type TrainedWeights, weightsToNet } from "./inrBaselines.js"
import { train, type TrainError } from "../training/index.js"

/** What {@link inr} needs: where, which family, how. */
export interface InrOptions {
  /** The run directory: the hypernetwork's run (manifest, checkpoints, metrics), then `inr.json`, figures and `inr-report.html`. */
  readonly runDir: string
  readonly family: InrFamily
  readonly settings: InrSettings
  /** Continue the hypernetwork's training from the run's latest checkpoint, then evaluate. */
  readonly resume: boolean
  /** The command recorded in the run's manifest. */
  readonly command?: string
}

/**
 * The training configuration of the hypernetwork for an INR experiment: the library's
 * {@link TrainConfig} with the family's task, `conditionsPerStep` generations per step (each with its
 * own training condition and β) and one thread.
 */
export const inrTrainConfig = (family: InrFamily, settings: InrSettings, seed: number): TrainConfig => ({
  shape: settings.shape,
  steps: settings.steps,
  betasPerStep: settings.conditionsPerStep,
  samplesPerBeta: settings.samples,
  learningRate: settings.learningRate,
  checkpointEvery: settings.checkpointEvery,
  logEvery: settings.logEvery,
  logBetaMin: settings.logBetaMin,
  logBetaMax: settings.logBetaMax,
  activation: settings.activation,
  hypernetwork: settings.hypernetwork,
  task: family.task.name,
  threads: 1,
  seed
})

/** The relative L2 errors (and figure-grid values) of one method for every evaluated condition. */
interface Evaluated {
  readonly errors: ReadonlyArray<number>
  readonly figure: ReadonlyArray<Float32Array>
}

/** Conditions per chunk of generated networks: bounds the memory of a grid evaluation. */
const CHUNK = 8

/**
 * Evaluate `predict` (a function of grid inputs `[k, G, n0]` and conditions `[k, C]` → `[k, G, out]`)
 * against the family's target on the error grid, and keep its values on the figure grid for the
 * conditions `figureIndex`.
 */
const evaluateMethod = (
  family: InrFamily, settings: InrSettings, conditions: ReadonlyArray<ReadonlyArray<number>>, figureIndex: ReadonlyArray<number>,
  predict: (x: tf.Tensor, condition: tf.Tensor, rows: ReadonlyArray<number>) => tf.Tensor
): Effect.Effect<Evaluated> => {
  const C = family.task.conditions.length
  const errors: Array<number> = []
  const figure: Array<Float32Array> = []
  const grids = [gridTensor(family.domain, settings.gridPoints), gridTensor(family.domain, settings.figurePoints)] as const
  return Effect.gen(function* () {
    for (let at = 0; at < conditions.length; at += CHUNK) {
      const rows = conditions.slice(at, at + CHUNK).map((_, k) => at + k)
      const tile = (grid: tf.Tensor, k: number) => tf.tile(tf.expandDims(grid, 0), [k, 1, 1])
      const [num, den] = yield* readback(tf.tidy(() => {
        const condition = tf.tensor2d(rows.map((r) => [...conditions[r]!]), [rows.length, C])
        const x = tile(grids[0], rows.length)
        return relativeL2Parts(predict(x, condition, rows), family.task.target(x, condition))
      }))
      errors.push(...relativeL2FromParts(num, den))
      const wanted = rows.filter((r) => figureIndex.includes(r))
      if (wanted.length > 0) {
        const [v] = yield* readback([tf.tidy(() => {
          const pick = tf.tensor2d(wanted.map((r) => [...conditions[r]!]), [wanted.length, C])
          return predict(tile(grids[1], wanted.length), pick, wanted)
        })])
        const per = v.length / wanted.length
        wanted.forEach((_, k) => figure.push(v.slice(k * per, (k + 1) * per)))
      }
    }
    return { errors, figure }
  }).pipe(Effect.ensuring(Effect.sync(() => tf.dispose([...grids]))))
}

/** The generation randoms of seed `g` for k networks: the same draws for every condition (common random numbers). */
const seedRandoms = (model: TrainedModel, seed: number) =>
  Effect.gen(function* () {
    const rng = yield* Rng
    const out: Record<string, tf.Tensor> = {}
    for (const s of model.run.randoms) out[s.name] = yield* rng.normalAt(`generation/${seed}/${s.name}`, 0, [1, ...s.shape])
    return out
  })

/** The hypernetwork's networks for `conditions[rows]` (or the conditions `source[rows]` stands for), evaluated on `x`. */
const generatedPrediction = (model: TrainedModel, randoms: Readonly<Record<string, tf.Tensor>>, logBeta: number, conditionOf: (row: number) => ReadonlyArray<number>) =>
  (x: tf.Tensor, _condition: tf.Tensor, rows: ReadonlyArray<number>): tf.Tensor =>
    tf.tidy(() => {
      const k = rows.length
      const C = model.run.task.conditions.length
      const c = tf.tensor2d(rows.map((r) => [...conditionOf(r)]), [k, C])
      const theta = thetaAt(model, rows.map(() => logBeta), c)
      const tiled = Object.fromEntries(Object.entries(randoms).map(([name, r]) => [name, tf.tile(r, [k, ...r.shape.slice(1).map(() => 1)])]))
      const g = generateUnchecked(model.run.plan, theta, tiled)
      return forward(netWeightsOrThrow(model.config.shape, g.W, g.bias), x, model.config.activation)
    })

/**
 * The networks g_θc a trained hypernetwork generates for `conditions` (`[K][C]`, in the order of its
 * task's conditions) at log10 β `logBeta`, with generation seed `seed` (irrelevant to a spec without
 * random inputs such as {@link inrHypernetworkSpec}): one network per condition, batch `[K]`. The
 * caller owns the tensors (`disposeNetWeights`). Load a model with `modelFromCheckpoint`. Fails
 * with {@link InrFamilyError} naming the argument: no condition, a condition that is not C finite
 * numbers, a log β that is not finite, a seed that is not a non-negative integer. (A condition
 * beyond the training range is allowed: that is extrapolation.)
 *
 * @example
 * const nets = yield* inrNetworks(model, [[0.3], [1.2]], -11)
 * const u = forward(nets, x)   // x: [2, S, 1] → [2, S, 1]
 */
export const inrNetworks = (model: TrainedModel, conditions: ReadonlyArray<ReadonlyArray<number>>, logBeta: number, seed = 0): Effect.Effect<NetWeights, InrFamilyError, Rng> =>
  Effect.gen(function* () {
    const C = model.run.task.conditions.length
    const bad = conditions.findIndex((c) => c.length !== C || c.some((v) => !Number.isFinite(v)))
    if (conditions.length === 0 || bad >= 0) {
      return yield* new InrFamilyError({ message: conditions.length === 0 ? "inrNetworks needs at least one condition" : `condition ${bad} must be ${C} finite numbers (${model.run.task.conditions.map((c) => c.name).join(", ")}), got ${Array.isArray(conditions[bad]) ? `[${conditions[bad].join(", ")}]` : quoteValue(conditions[bad])}` })
    }
    if (typeof logBeta !== "number" || !Number.isFinite(logBeta)) return yield* new InrFamilyError({ message: `inrNetworks: logBeta must be a finite number, got ${quoteValue(logBeta)}` })
    if (!Number.isSafeInteger(seed) || seed < 0) return yield* new InrFamilyError({ message: `inrNetworks: seed must be a non-negative integer, got ${quoteValue(seed)}` })
    const randoms = yield* seedRandoms(model, seed)
    const net = tf.tidy(() => {
      const k = conditions.length
      const c = tf.tensor2d(conditions.map((x) => [...x]), [k, C])
      const tiled = Object.fromEntries(Object.entries(randoms).map(([name, r]) => [name, tf.tile(r, [k, ...r.shape.slice(1).map(() => 1)])]))
      const g = generateUnchecked(model.run.plan, thetaAt(model, conditions.map(() => logBeta), c), tiled)
      return [...g.W, ...g.bias]
    })
    tf.dispose(Object.values(randoms))
    const N = model.config.shape.length - 1
    return netWeightsOrThrow(model.config.shape, net.slice(0, N), net.slice(N))
  })

/** The networks `rows` of a batch of networks (inside a tidy). */
const pickNetworks = (net: NetWeights, rows: ReadonlyArray<number>): NetWeights => {
  const idx = tf.tensor1d([...rows], "int32")
  return netWeightsOrThrow(net.shape, net.W.map((w) => tf.gather(w, idx)), net.b.map((b) => tf.gather(b, idx)))
}

const mean = (xs: ReadonlyArray<number>) => (xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length)

/** Mean errors per kind of condition. */
export const summariseInr = (rows: ReadonlyArray<InrConditionRow>): ReadonlyArray<InrSummaryRow> =>
  (["training", "interpolation", "extrapolation"] as const).flatMap((kind) => {
    const of = rows.filter((r) => r.kind === kind)
    return of.length === 0 ? [] : [{
      kind, conditions: of.length,
      hypernetwork: mean(of.map((r) => r.hypernetwork)), mlp: mean(of.map((r) => r.mlp)), scratch: mean(of.map((r) => r.scratch)), nearest: mean(of.map((r) => r.nearest))
    }]
  })

/**
 * The conditions drawn as curves or heatmaps: for one input (curves), the first and last training
 * conditions, the one nearest the reference, and every held-out one; for more (heatmaps), the
 * training condition nearest the reference and the first held-out one of each kind.
 */
const figureConditions = (family: InrFamily, evaluated: ReadonlyArray<{ readonly kind: ConditionKind; readonly condition: ReadonlyArray<number> }>): ReadonlyArray<number> => {
  const training = evaluated.flatMap((e, k) => (e.kind === "training" ? [k] : []))
  const reference = family.task.conditions.map((c) => c.reference ?? (c.min + c.max) / 2)
  const central = training[nearestCondition(family.task.conditions, training.map((k) => evaluated[k]!.condition), reference)]!
  const heldOut = (kind: ConditionKind) => evaluated.flatMap((e, k) => (e.kind === kind ? [k] : []))
  const picks = family.shape[0] === 1
    ? [training[0]!, central, training[training.length - 1]!, ...heldOut("interpolation"), ...heldOut("extrapolation")]
    : [central, ...heldOut("interpolation").slice(0, 1), ...heldOut("extrapolation").slice(0, 1)]
  return [...new Set(picks)]
}

/** Everything the INR experiment can fail with. */
export type InrError = TrainError | InrFamilyError | GenerationError | InvalidInput

const formatIssues = SchemaIssue.makeFormatterStandardSchemaV1()

/**
 * The family and settings an INR experiment is given, checked again whatever built them (an
 * `InrFamily` or `InrSettings` is a plain value that code may build without `defineInrFamily` or
 * the Schema): the family by {@link defineInrFamily}, the settings by their Schema, and the grids
 * by their size on the family's domain. Returns the checked family and the settings as given.
 */
const checkExperiment = (family: InrFamily, settings: InrSettings): Result.Result<{ readonly family: InrFamily; readonly settings: InrSettings }, InrFamilyError | InvalidInput> => {
  const checkedFamily = defineInrFamily(family)
  if (Result.isFailure(checkedFamily)) return Result.fail(checkedFamily.failure)
  const decoded = Schema.decodeUnknownResult(InrSettings)(settings, { errors: "all", onExcessProperty: "error" })
  if (Result.isFailure(decoded)) {
    const problems = formatIssues(decoded.failure.issue).issues.map((i) => `${(i.path ?? []).map((k) => cutText(String(k))).join(".")}${i.path !== undefined && i.path.length > 0 ? ": " : ""}${i.message}`)
    return Result.fail(new InvalidInput({ source: "settings", message: `invalid INR settings: ${cutList(problems, "; ")}` }))
  }
  const n = family.domain.length
  for (const key of ["gridPoints", "figurePoints"] as const) {
    const points = decoded.success[key]
    if (points ** n > MAX_GRID_POINTS) {
      return Result.fail(new InvalidInput({ source: key, message: `${key} ${points} on the ${n}-dimensional domain of ${family.task.name} makes ${points ** n} grid points; at most ${MAX_GRID_POINTS} (${Math.floor(MAX_GRID_POINTS ** (1 / n))} per axis)` }))
    }
  }
  // the settings as given go on (decoding may fill defaults a resumed run's config must not gain)
  return Result.succeed({ family: checkedFamily.success, settings })
}

/**
 * The INR experiment (issue 14; the blog post's "hypernetworks as generators of INRs"): train the
 * hypernetwork on a family f_c with the library's `train` program (run directory, checkpoints,
 * resume), then measure on a dense grid, per condition (training, interpolation, extrapolation),
 * the relative L2 error ‖g_θc − f_c‖₂ / ‖f_c‖₂ of the generated network against three baselines with
 * the same budget: (a) an MLP taking (x, c), (b) an INR trained from scratch for each evaluated
 * condition, (c) the hypernetwork's network for the nearest training condition. Each method keeps
 * its best snapshot (every `checkpointEvery` steps) by its error on its own training data: the
 * hypernetwork's checkpoint and the MLP by the mean error over the training conditions, each
 * from-scratch INR by its error on its own condition. Writes `inr.json`,
 * figures (`figures/inr-*.svg|png`) and a self-contained `inr-report.html`; returns the results.
 * The family's task is added to the `Registry` for the run. Fails with the training program's
 * errors, {@link InrFamilyError} when the family breaks its rules or the settings do not fit it,
 * {@link InvalidInput} naming a setting out of its domain (grids too fine for the domain
 * included), or a {@link RunError}; nothing is written before the family and settings are checked.
 */
export const inr = (options: InrOptions) =>
  Effect.gen(function* () {
    const { runDir } = options
    const { family, settings } = yield* Effect.fromResult(checkExperiment(options.family, options.settings))
    const store = yield* RunStore
    const progress = yield* Progress
    const rng = yield* Rng
    const task = family.task
    const shapeCheck = checkTaskShape(task, settings.shape)
    if (shapeCheck._tag === "Failure") return yield* new InrFamilyError({ message: shapeCheck.failure.message })
    if (settings.shape[0] !== family.domain.length) {
      return yield* new InrFamilyError({ message: `the network [${settings.shape.join(", ")}] has ${settings.shape[0]} inputs but family ${task.name} has a ${family.domain.length}-dimensional domain` })
    }
    const seed = yield* rng.rootSeed
    const config = inrTrainConfig(family, settings, seed)
    const components = yield* Registry
    const withFamily = { blocks: components.blocks, tasks: [...components.tasks.filter((t) => t.name !== task.name), task] }

    // the hypernetwork, through the library's own training program
    const clock = () => performance.now() / 1000
    let t0 = clock()
    const trained = yield* train({ runDir, config, resume: options.resume, command: options.command ?? `inr --family ${task.name}` }).pipe(Effect.provideService(Registry, withFamily))
    const hypernetworkSeconds = clock() - t0
    const training = trainingConditions(task.conditions)
    const evaluated = evaluatedConditions(family)
    const conditions = evaluated.map((e) => e.condition)
    const logBeta = (settings.logBetaMin + settings.logBetaMax) / 2
    /** Mean relative L2 error over the training conditions: the selection score of every method. */
    const trainingScore = (predict: Parameters<typeof evaluateMethod>[4]) => Effect.map(evaluateMethod(family, settings, training, [], predict), (e) => mean(e.errors))

    // the checkpoint to evaluate: the one with the lowest error on the training conditions (seed 0)
    const checkpoints = yield* store.listCheckpoints(runDir)
    if (checkpoints.length === 0) return yield* new RunError({ message: `${runDir} holds no checkpoint after training` })
    const scores: Array<{ readonly step: number; readonly error: number }> = []
    let chosen: { readonly step: number; readonly model: TrainedModel } | undefined
    yield* Effect.gen(function* () {
      for (const c of checkpoints) {
        const candidate = yield* modelFromCheckpoint(yield* store.readCheckpoint(c.path)).pipe(Effect.provideService(Registry, withFamily))
        const randoms = yield* seedRandoms(candidate, 0)
        const error = yield* trainingScore(generatedPrediction(candidate, randoms, logBeta, (r) => training[r]!)).pipe(
          Effect.ensuring(Effect.sync(() => tf.dispose(Object.values(randoms)))))
        scores.push({ step: c.step, error })
        if (chosen === undefined || error < scores.find((s) => s.step === chosen!.step)!.error) {
          if (chosen !== undefined) disposeModel(chosen.model)
          chosen = { step: c.step, model: candidate }
        } else {
          disposeModel(candidate)
        }
      }
    }).pipe(Effect.onError(() => Effect.sync(() => chosen !== undefined && disposeModel(chosen.model))))
    const model = chosen!.model
    return yield* Effect.gen(function* () {
      const adam = { steps: settings.steps, samples: settings.samples, learningRate: settings.baselineLearningRate }

      // (a) the conditioned MLP and (b) the INRs from scratch, with the hypernetwork's budget
      t0 = clock()
      const mlp = yield* trainConditionedMlp(task, settings.shape[0]!, settings.mlpHidden, settings.activation, settings.conditionsPerStep, adam, {
        every: settings.checkpointEvery,
        score: (net) => Effect.map(trainingScore((x, c) => conditionedPrediction(net, task.conditions, x, c, settings.activation)), (s) => [s])
      })
      const mlpSeconds = clock() - t0
      t0 = clock()
      // each from-scratch INR is scored on its own condition, its training data
      const scratch: TrainedWeights = yield* trainInrsFromScratch(task, settings.shape, settings.activation, conditions, adam, {
        every: settings.checkpointEvery,
        score: (net) => Effect.map(evaluateMethod(family, settings, conditions, [], (x, _c, rows) => forward(pickNetworks(net, rows), x, settings.activation)), (e) => e.errors)
      })
      const scratchSeconds = clock() - t0

      // evaluation on the dense grid
      t0 = clock()
      const figureIndex = figureConditions(family, evaluated)
      const seeds = model.run.randoms.length === 0 ? 1 : settings.seeds
      const nearest = conditions.map((c) => training[nearestCondition(task.conditions, training, c)]!)
      const perSeed: Array<Evaluated> = []
      let nearestEval: Evaluated | undefined
      for (let s = 0; s < seeds; s++) {
        const randoms = yield* seedRandoms(model, s)
        yield* Effect.gen(function* () {
          perSeed.push(yield* evaluateMethod(family, settings, conditions, figureIndex, generatedPrediction(model, randoms, logBeta, (r) => conditions[r]!)))
          if (s === 0) nearestEval = yield* evaluateMethod(family, settings, conditions, figureIndex, generatedPrediction(model, randoms, logBeta, (r) => nearest[r]!))
        }).pipe(Effect.ensuring(Effect.sync(() => tf.dispose(Object.values(randoms)))))
        yield* progress.update("inr evaluation", { done: s + 1, total: seeds, detail: `generation seed ${s}` })
      }
      const mlpNet = weightsToNet(mlp)
      const scratchNet = weightsToNet(scratch)
      const [mlpEval, scratchEval] = yield* Effect.all([
        evaluateMethod(family, settings, conditions, figureIndex, (x, c) => conditionedPrediction(mlpNet, task.conditions, x, c, settings.activation)),
        evaluateMethod(family, settings, conditions, figureIndex, (x, _c, rows) => forward(pickNetworks(scratchNet, rows), x, settings.activation))
      ]).pipe(Effect.ensuring(Effect.sync(() => tf.dispose([...mlpNet.W, ...mlpNet.b, ...scratchNet.W, ...scratchNet.b]))))
      const truth = yield* evaluateMethod(family, settings, conditions, figureIndex, (x, c) => task.target(x, c))
      const evaluationSeconds = clock() - t0

      const rows: Array<InrConditionRow> = evaluated.map((e, k) => {
        const seedErrors = perSeed.map((p) => p.errors[k]!)
        return {
          condition: [...e.condition], kind: e.kind,
          hypernetwork: mean(seedErrors), hypernetworkSeeds: seedErrors,
          mlp: mlpEval.errors[k]!, scratch: scratchEval.errors[k]!, nearest: nearestEval!.errors[k]!,
          nearestCondition: [...nearest[k]!]
        }
      })
      const samples: Array<InrSample> = figureIndex.map((k, j) => ({
        condition: [...evaluated[k]!.condition], kind: evaluated[k]!.kind,
        truth: Array.from(truth.figure[j]!), hypernetwork: Array.from(perSeed[0]!.figure[j]!), mlp: Array.from(mlpEval.figure[j]!),
        scratch: Array.from(scratchEval.figure[j]!), nearest: Array.from(nearestEval!.figure[j]!)
      }))
      const metrics = yield* readMetricsRows(runDir)
      const lastLoss = trained.last?.loss ?? metrics[metrics.length - 1]?.loss ?? -1
      const count = (shapes: ReadonlyArray<{ readonly shape: ReadonlyArray<number> }>) => shapes.reduce((a, s) => a + s.shape.reduce((x, y) => x * y, 1), 0)
      const netParams = (shape: ReadonlyArray<number>) => shape.slice(1).reduce((a, n, l) => a + (shape[l]! + 1) * n, 0)
      const result: InrResult = {
        family: task.name, description: task.description, normalisation: task.normalisation,
        conditionNames: task.conditions.map((c) => c.name), extrapolationLabel: family.extrapolationLabel,
        domain: family.domain.map((d) => ({ min: d.min, max: d.max })),
        settings, step: chosen!.step, logBeta,
        selection: { checkpoints: scores, mlpStep: mlp.selectedSteps![0]!, scratchSteps: [...scratch.selectedSteps!] },
        finalLoss: { hypernetwork: lastLoss, mlp: mlp.finalLoss, scratch: scratch.finalLoss },
        parameters: { hypernetwork: count(hyperhypernetworkShapes(model.run.hyperhypernetwork)), mlp: netParams(mlp.shape), scratch: netParams(settings.shape) },
        seconds: { hypernetwork: hypernetworkSeconds, mlp: mlpSeconds, scratch: scratchSeconds, evaluation: evaluationSeconds },
        summary: summariseInr(rows), rows, samples
      }
      yield* store.writeJson(store.join(runDir, "inr.json"), InrResult, result)
      const reportPath = yield* writeInrReport(runDir, result)
      const line = result.summary.map((s) => `${s.kind === "extrapolation" ? family.extrapolationLabel : s.kind}: hypernetwork ${formatNumber(s.hypernetwork)}, mlp ${formatNumber(s.mlp)}, scratch ${formatNumber(s.scratch)}, nearest ${formatNumber(s.nearest)}`).join("; ")
      yield* progress.finish("inr", `relative L2 errors: ${line}`)
      return { result, reportPath }
    }).pipe(Effect.ensuring(Effect.sync(() => disposeModel(model))))
  })
