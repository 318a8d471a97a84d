import * as tf from "@tensorflow/tfjs"
import { Effect, Result, Schema } from "effect"
import { linearCkaOfMatrices } from "../../core/similarity/index.js"
import { InvalidInput } from "../../core/base/schemas.js"
import { type NetWeights, netWeightsOrThrow } from "../../core/network/index.js"
import { readback } from "../../core/base/index.js"
import { ProbeHypernetworkSettings, TransferSettings } from "../../core/similarity/schemas.js"
import type { Encoder } from "../../layers/hypernetwork/index.js"
import {
  initProbeHypernetwork,
  probeAccuracy,
  probeHypernetworkParamShapes,
  type ProbeHypernetworkSpec,
  probeLoss
} from "../../layers/hypernetwork/index.js"
import { Progress } from "../../services/console/index.js"
import { Rng } from "../../services/rng/index.js"
import { errorMessage } from "../../core/base/schemas.js"
import { quoteValue } from "../../core/base/schemas.js"

/**
 * Functional similarity by hypernetwork transfer (the blog post in `seeds/004`): a hypernetwork H
 * generates a linear classifier for an encoder from the encoder's condition; the similarity of A
 * to B is Δ = ℓ_B⁰ − ℓ_B¹, how much B's loss drops when H's parameters take gradient steps on A's
 * loss alone.
 *
 * The protocol (the blog post leaves it open; these are this library's choices):
 * 1. *Pre-training.* H and one condition per encoder of a *pool* (encoders not being compared)
 *    are trained jointly by full-batch Adam on the mean cross-entropy of the pool's probes, so
 *    that H generates good classifiers for encoders like these.
 * 2. *Conditions of the compared encoders.* Each starts at the pool's mean condition and is fitted
 *    by Adam with H frozen (`conditionSteps`; 0 keeps the mean condition for every encoder). The
 *    fit depends only on the encoder's features, so two encoders with the same features get the
 *    same condition.
 * 3. *Transfer.* From H's pre-trained parameters φ⁰, `steps` plain gradient steps of size
 *    `learningRate` on ℓ_A give φ¹; conditions stay fixed (they are the encoders' identities, φ is
 *    what is shared). Δ_B = ℓ_B(φ⁰) − ℓ_B(φ¹) for every B at once. To first order in the step,
 *    Δ_B = η ∇_φ ℓ_B · ∇_φ ℓ_A: the alignment of what A and B ask of H.
 */

/**
 * The encoders' features of `inputs: [N, m]`, stacked `[Z, N, d]`. Fails with {@link InvalidInput}
 * naming the encoder whose features are not `[N, d]` (d shared by all), are not finite, or whose
 * `encode` throws.
 */
export const encodeAll = (encoders: ReadonlyArray<Encoder>, inputs: tf.Tensor2D): Effect.Effect<tf.Tensor3D, InvalidInput> => Effect.gen(function* () {
  if (encoders.length === 0) return yield* new InvalidInput({ source: "encoders", message: "at least one encoder is needed" })
  const outs: Array<tf.Tensor> = []
  const fail = (e: InvalidInput) => {
    tf.dispose(outs)
    return Effect.fail(e)
  }
  for (const enc of encoders) {
    let f: tf.Tensor
    try {
      // a copy, so that an encoder returning its input (or any tensor it keeps) is never disposed here
      f = tf.tidy(() => tf.clone(enc.encode(inputs)))
    } catch (e) {
      return yield* fail(new InvalidInput({ source: `encoder ${enc.name}`, message: `encoder ${enc.name} failed on inputs [${inputs.shape.join(", ")}]: ${errorMessage(e)}` }))
    }
    outs.push(f)
    const d = outs[0]!.shape[1]
    if (f.rank !== 2 || f.shape[0] !== inputs.shape[0] || f.shape[1] !== d) {
      return yield* fail(new InvalidInput({ source: `encoder ${enc.name}`, message: `encoder ${enc.name} must map inputs [${inputs.shape.join(", ")}] to features [${inputs.shape[0]}, ${d ?? "d"}], got [${f.shape.join(", ")}]` }))
    }
    const [finite] = yield* readback([tf.tidy(() => tf.all(tf.isFinite(f)))])
    if (finite[0] !== 1) {
      return yield* fail(new InvalidInput({ source: `encoder ${enc.name}`, message: `encoder ${enc.name} gives non-finite features` }))
    }
  }
  const stacked = tf.stack(outs) as tf.Tensor3D
  tf.dispose(outs)
  return stacked
})

/** One-hot targets `[N, k]` from class labels, checking each is an integer in [0, k). */
export const oneHotTargets = (labels: ArrayLike<number>, classes: number): Result.Result<tf.Tensor2D, InvalidInput> => {
  if (!Number.isInteger(classes) || classes < 2) return Result.fail(new InvalidInput({ source: "classes", message: `classes must be an integer ≥ 2, got ${quoteValue(classes)}` }))
  const data = new Float32Array(labels.length * classes)
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i]!
    if (!Number.isInteger(c) || c < 0 || c >= classes) return Result.fail(new InvalidInput({ source: "labels", message: `labels[${i}] must be an integer in [0, ${classes}), got ${quoteValue(c)}` }))
    data[i * classes + c] = 1
  }
  return Result.succeed(tf.tensor2d(data, [labels.length, classes]))
}

const decode = <A, I>(schema: Schema.Codec<A, I>, value: unknown, source: string): Effect.Effect<A, InvalidInput> =>
  Schema.decodeUnknownEffect(schema)(value).pipe(Effect.mapError((e) => new InvalidInput({ source, message: `invalid ${source}: ${e.message}` })))

/** A pre-trained probe hypernetwork: H, the pool's conditions and the training curve. */
export interface ProbeHypernetwork {
  readonly spec: ProbeHypernetworkSpec
  readonly H: NetWeights
  /** The pool's learned conditions `[P, e]`. */
  readonly poolConditions: tf.Tensor2D
  /** Mean pool loss (nats) every tenth of training, and at the end. */
  readonly curve: ReadonlyArray<{ readonly step: number; readonly loss: number }>
  readonly poolLoss: number
  readonly poolAccuracy: number
}

/** Dispose a {@link ProbeHypernetwork}'s tensors. */
export const disposeProbeHypernetwork = (p: ProbeHypernetwork): void => {
  tf.dispose([...p.H.W, ...p.H.b, p.poolConditions])
}

/**
 * Step 1 of the protocol: pre-train H and the pool's conditions on `poolFeatures: [P, N, d]` with
 * one-hot `targets: [N, k]`. H's initial weights come from the Rng streams `<stream>/H/…`, the
 * conditions (standard normal) from `<stream>/conditions`. Reports progress as `task`. Fails with
 * {@link InvalidInput} naming a bad setting or a shape that does not fit.
 */
export const pretrainProbeHypernetwork = (
  poolFeatures: tf.Tensor3D,
  targets: tf.Tensor2D,
  settings: ProbeHypernetworkSettings,
  stream = "similarity/H",
  task = "hypernetwork"
): Effect.Effect<ProbeHypernetwork, InvalidInput, Rng | Progress> =>
  Effect.gen(function* () {
    const s = yield* decode(ProbeHypernetworkSettings, settings, "hypernetwork settings")
    if (poolFeatures.rank !== 3 || poolFeatures.shape[1] !== targets.shape[0]) {
      return yield* new InvalidInput({ source: "poolFeatures", message: `poolFeatures must be [P, N, d] with N = ${targets.shape[0]} (the targets' rows), got [${poolFeatures.shape.join(", ")}]` })
    }
    const rng = yield* Rng
    const progress = yield* Progress
    const spec: ProbeHypernetworkSpec = { condition: s.condition, hidden: s.hidden, features: poolFeatures.shape[2], classes: targets.shape[1] }
    const shapes = probeHypernetworkParamShapes(spec)
    const uniform: Array<tf.Tensor> = []
    for (const [k, shape] of shapes.entries()) uniform.push(yield* rng.uniform(`${stream}/H/${k % 2 === 0 ? "W" : "b"}${Math.floor(k / 2) + 1}`, shape, -1, 1))
    const init = initProbeHypernetwork(spec, uniform)
    tf.dispose(uniform)
    const c0 = yield* rng.normal(`${stream}/conditions`, [poolFeatures.shape[0], s.condition])
    const params = [...init.W, ...init.b, c0].map((t) => tf.variable(t))
    tf.dispose([...init.W, ...init.b, c0])
    const L = init.W.length
    const H = () => netWeightsOrThrow(init.shape, params.slice(0, L), params.slice(L, 2 * L))
    const conditions = params[2 * L]!
    const optimizer = tf.train.adam(s.learningRate)
    const curve: Array<{ step: number; loss: number }> = []
    const every = Math.max(1, Math.floor(s.steps / 10))
    try {
      for (let step = 1; step <= s.steps; step++) {
        const record = step % every === 0 || step === s.steps
        const cost = optimizer.minimize(() => tf.mean(probeLoss(H(), spec, conditions, poolFeatures, targets)) as tf.Scalar, record, params)
        if (cost !== null) {
          const loss = (yield* readback([cost]))[0][0]!
          if (!Number.isFinite(loss)) return yield* new InvalidInput({ source: "hypernetwork.learningRate", message: `pre-training diverged at step ${step} (loss ${loss}): lower hypernetwork.learningRate` })
          curve.push({ step, loss })
          yield* progress.update(task, { done: step, total: s.steps, detail: `pool loss ${loss.toFixed(3)}` })
        }
      }
      const [poolLoss, poolAccuracy] = (yield* readback(tf.tidy(() => [
        tf.mean(probeLoss(H(), spec, conditions, poolFeatures, targets)),
        tf.mean(probeAccuracy(H(), spec, conditions, poolFeatures, targets))
      ]))).map((v) => v[0]!)
      return {
        spec,
        H: netWeightsOrThrow(init.shape, params.slice(0, L).map((p) => tf.clone(p)), params.slice(L, 2 * L).map((p) => tf.clone(p))),
        poolConditions: tf.clone(conditions) as tf.Tensor2D,
        curve, poolLoss, poolAccuracy
      }
    } finally {
      optimizer.dispose()
      tf.dispose(params)
    }
  })

/** Throw an {@link InvalidInput} naming the argument of `fn`. */
const invalid = (fn: string, argument: string, problem: string): never => {
  throw new InvalidInput({ source: `${fn}(${argument})`, message: `${fn}: ${argument} ${problem}` })
}

/** Check that `features: [Z, N, d]` and `targets: [N, k]` fit H (its feature width and classes). */
const checkProbeData = (fn: string, hyper: ProbeHypernetwork, features: tf.Tensor, targets: tf.Tensor): void => {
  if (features.rank !== 3 || features.shape[0] < 1 || features.shape[2] !== hyper.spec.features) {
    invalid(fn, "features", `must be [Z ≥ 1, N, ${hyper.spec.features}] (H's feature width), got [${features.shape.join(", ")}]`)
  }
  if (targets.rank !== 2 || targets.shape[0] !== features.shape[1] || targets.shape[1] !== hyper.spec.classes) {
    invalid(fn, "targets", `must be [${features.shape[1]}, ${hyper.spec.classes}] (one one-hot row per input, H's classes), got [${targets.shape.join(", ")}]`)
  }
}

/**
 * Step 2: conditions `[Z, e]` for encoders with features `[Z, N, d]`, each fitted from the pool's
 * mean condition by `conditionSteps` Adam steps on its own probe loss with H frozen. Deterministic:
 * equal features give equal conditions. Returns a new tensor. Throws {@link InvalidInput} naming
 * the argument: features or targets that do not fit H, `conditionSteps` not a non-negative
 * integer, `conditionLearningRate` not a finite positive number.
 */
export const fitConditions = (hyper: ProbeHypernetwork, features: tf.Tensor3D, targets: tf.Tensor2D, settings: Pick<ProbeHypernetworkSettings, "conditionSteps" | "conditionLearningRate">): tf.Tensor2D => {
  checkProbeData("fitConditions", hyper, features, targets)
  if (!Number.isSafeInteger(settings.conditionSteps) || settings.conditionSteps < 0) invalid("fitConditions", "settings.conditionSteps", `must be a non-negative integer, got ${quoteValue(settings.conditionSteps)}`)
  if (!Number.isFinite(settings.conditionLearningRate) || settings.conditionLearningRate <= 0) invalid("fitConditions", "settings.conditionLearningRate", `must be a finite number above 0, got ${quoteValue(settings.conditionLearningRate)}`)
  const Z = features.shape[0]
  const start = tf.tidy(() => tf.tile(tf.mean(hyper.poolConditions, 0, true), [Z, 1]))
  if (settings.conditionSteps === 0) return start as tf.Tensor2D
  const c = tf.variable(start)
  start.dispose()
  const optimizer = tf.train.adam(settings.conditionLearningRate)
  try {
    // the sum keeps each encoder's gradient its own (Adam is per coordinate)
    for (let step = 0; step < settings.conditionSteps; step++) {
      optimizer.minimize(() => tf.sum(probeLoss(hyper.H, hyper.spec, c, features, targets)) as tf.Scalar, false, [c])
    }
    return tf.clone(c) as tf.Tensor2D
  } finally {
    optimizer.dispose()
    c.dispose()
  }
}

/** Losses (nats) of every encoder before and after H's transfer steps on the reference's loss alone. */
export interface TransferLosses {
  readonly before: ReadonlyArray<number>
  readonly after: ReadonlyArray<number>
}

/**
 * Step 3: `steps` plain gradient steps φ ← φ − η ∇_φ ℓ_A on H's parameters, ℓ_A being the loss of
 * encoder `reference` (an index into the Z encoders) under its condition; the losses of all Z
 * encoders (`conditions: [Z, e]`, `features: [Z, N, d]`) before and after. Δ = before − after.
 * Pure: no tensor escapes and H is not changed. Throws {@link InvalidInput} naming the argument:
 * `reference` not an index of the Z encoders, conditions, features or targets that do not fit H,
 * `settings` out of their domain (see {@link TransferSettings}).
 */
export const transferLosses = (hyper: ProbeHypernetwork, conditions: tf.Tensor2D, features: tf.Tensor3D, targets: tf.Tensor2D, reference: number, settings: TransferSettings): Effect.Effect<TransferLosses> => {
  checkProbeData("transferLosses", hyper, features, targets)
  const Z = features.shape[0]
  if (!Number.isInteger(reference) || reference < 0 || reference >= Z) invalid("transferLosses", "reference", `must be an index of the ${Z} encoders (0…${Z - 1}), got ${quoteValue(reference)}`)
  if (conditions.rank !== 2 || conditions.shape[0] !== Z || conditions.shape[1] !== hyper.spec.condition) {
    invalid("transferLosses", "conditions", `must be [${Z}, ${hyper.spec.condition}] (one condition per encoder), got [${conditions.shape.join(", ")}]`)
  }
  const checked = Schema.decodeUnknownResult(TransferSettings)(settings)
  if (Result.isFailure(checked)) invalid("transferLosses", "settings", `${checked.failure.message.split("\n")[0]}, got ${quoteValue(settings)}`)
  const [before, after] = tf.tidy(() => {
    const L = hyper.H.W.length
    const shape = hyper.H.shape
    const lossesOf = (params: ReadonlyArray<tf.Tensor>) => probeLoss(netWeightsOrThrow(shape, params.slice(0, L), params.slice(L)), hyper.spec, conditions, features, targets)
    const cA = tf.slice(conditions, [reference, 0], [1, -1])
    const fA = tf.slice(features, [reference, 0, 0], [1, -1, -1])
    const lossA = (...params: Array<tf.Tensor>) => tf.sum(probeLoss(netWeightsOrThrow(shape, params.slice(0, L), params.slice(L)), hyper.spec, cA, fA, targets))
    let params: Array<tf.Tensor> = [...hyper.H.W, ...hyper.H.b]
    const lossesBefore = lossesOf(params)
    for (let step = 0; step < settings.steps; step++) {
      const grads = tf.grads(lossA)(params)
      params = params.map((p, k) => tf.sub(p, tf.mul(grads[k]!, settings.learningRate)))
    }
    return [lossesBefore, lossesOf(params)]
  })
  return Effect.map(readback([before, after]), ([b, a]) => ({ before: Array.from(b), after: Array.from(a) }))
}

/**
 * Fail with {@link InvalidInput} naming `transfer.learningRate` when a loss after the transfer
 * steps is not finite (the steps diverged), so that no NaN reaches a result.
 */
export const checkTransferFinite = (t: TransferLosses): Effect.Effect<TransferLosses, InvalidInput> =>
  [...t.before, ...t.after].every(Number.isFinite)
    ? Effect.succeed(t)
    : Effect.fail(new InvalidInput({ source: "transfer.learningRate", message: "a loss became non-finite during the transfer steps: lower transfer.learningRate or transfer.steps" }))

/** One candidate's similarity to the reference. */
export interface CandidateSimilarity {
  readonly name: string
  /** Δ = ℓ_B⁰ − ℓ_B¹ (nats). */
  readonly delta: number
  readonly lossBefore: number
  readonly lossAfter: number
  /** Linear CKA of the reference's and the candidate's features on the same inputs. */
  readonly cka: number
}

/** What {@link functionalSimilarity} measures. */
export interface FunctionalSimilarity {
  readonly candidates: ReadonlyArray<CandidateSimilarity>
  /** The reference's own drop ℓ_A⁰ − ℓ_A¹: Δ of an encoder with identical features. */
  readonly selfDelta: number
  readonly poolLoss: number
  readonly poolAccuracy: number
}

/**
 * Functional similarity of `candidates` to `reference` by hypernetwork transfer, with linear CKA
 * (Kornblith et al. 2019) on the same inputs for comparison. `pool` holds the encoders H is
 * pre-trained on (others than those compared, ideally of the same kinds); `inputs: [N, m]` and
 * `labels` (N integers in [0, classes)) are the labelled data on which probes are trained and
 * losses measured. Every encoder must map `[N, m]` to `[N, d]` with one d. Randomness (H's
 * initialisation and the pool's conditions) comes from the Rng stream `stream`. Fails with
 * {@link InvalidInput} naming the bad argument.
 */
export const functionalSimilarity = (args: {
  readonly reference: Encoder
  readonly candidates: ReadonlyArray<Encoder>
  readonly pool: ReadonlyArray<Encoder>
  readonly inputs: tf.Tensor2D
  readonly labels: ArrayLike<number>
  readonly classes: number
  readonly hypernetwork: ProbeHypernetworkSettings
  readonly transfer: TransferSettings
  readonly stream?: string
}): Effect.Effect<FunctionalSimilarity, InvalidInput, Rng | Progress> =>
  Effect.gen(function* () {
    const transfer = yield* decode(TransferSettings, args.transfer, "transfer settings")
    if (args.inputs.rank !== 2) return yield* new InvalidInput({ source: "inputs", message: `inputs must be [N, m], got [${args.inputs.shape.join(", ")}]` })
    if (args.labels.length !== args.inputs.shape[0]) return yield* new InvalidInput({ source: "labels", message: `labels must have one entry per input row (${args.inputs.shape[0]}), got ${args.labels.length}` })
    if (args.candidates.length === 0) return yield* new InvalidInput({ source: "candidates", message: "at least one candidate encoder is needed" })
    if (args.pool.length === 0) return yield* new InvalidInput({ source: "pool", message: "at least one pool encoder is needed to pre-train the hypernetwork" })
    return yield* Effect.acquireUseRelease(
      Effect.sync(() => ({ tensors: [] as Array<tf.Tensor>, hyper: undefined as ProbeHypernetwork | undefined })),
      (held) => Effect.gen(function* () {
        const keep = <T extends tf.Tensor>(t: T): T => {
          held.tensors.push(t)
          return t
        }
        const targets = keep(yield* Effect.fromResult(oneHotTargets(args.labels, args.classes)))
        const poolFeatures = keep(yield* encodeAll(args.pool, args.inputs))
        const features = keep(yield* encodeAll([args.reference, ...args.candidates], args.inputs))
        if (poolFeatures.shape[2] !== features.shape[2]) {
          return yield* new InvalidInput({ source: "pool", message: `pool encoders give ${poolFeatures.shape[2]} features, the compared ones ${features.shape[2]}: H serves one feature width` })
        }
        const hyper = yield* pretrainProbeHypernetwork(poolFeatures, targets, args.hypernetwork, args.stream ?? "similarity/H")
        held.hyper = hyper
        const conditions = keep(fitConditions(hyper, features, targets, args.hypernetwork))
        const { before, after } = yield* Effect.flatMap(transferLosses(hyper, conditions, features, targets, 0, transfer), checkTransferFinite)
        const all = yield* readback(tf.unstack(features))
        const matrix = (k: number) => ({ rows: features.shape[1], cols: features.shape[2], data: all[k]! })
        const cka = all.slice(1).map((_, k) => linearCkaOfMatrices(matrix(0), matrix(k + 1)))
        const candidates: Array<CandidateSimilarity> = []
        for (const [k, enc] of args.candidates.entries()) {
          const c = yield* Effect.fromResult(cka[k]!).pipe(Effect.mapError((e) => new InvalidInput({ source: `encoder ${e.source === "x" ? args.reference.name : enc.name}`, message: `CKA of ${args.reference.name} and ${enc.name}: ${e.message}` })))
          candidates.push({ name: enc.name, delta: before[k + 1]! - after[k + 1]!, lossBefore: before[k + 1]!, lossAfter: after[k + 1]!, cka: c })
        }
        return { candidates, selfDelta: before[0]! - after[0]!, poolLoss: hyper.poolLoss, poolAccuracy: hyper.poolAccuracy }
      }),
      (held) => Effect.sync(() => {
        tf.dispose(held.tensors)
        if (held.hyper !== undefined) disposeProbeHypernetwork(held.hyper)
      })
    )
  })
