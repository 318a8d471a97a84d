import * as tf from "@tensorflow/tfjs"
import { Effect } from "effect"
import { type FeatureMatrix, linearCkaOfMatrices } from "../../core/similarity/index.js"
import { permuteHiddenUnits, perturbWeights } from "../../core/similarity/index.js"
import { InvalidInput, RunError } from "../../core/base/schemas.js"
import { quoteValue } from "../../core/base/schemas.js"
import { argsort, type LabelledData, oneHot } from "../../core/similarity/index.js"
import { type NetWeights, disposeNetWeights, netWeightsOrThrow } from "../../core/network/index.js"
import { spearman } from "../../core/similarity/index.js"
import {
  DatasetName,
  decodeSimilaritySettings,
  type DatasetSimilarity,
  type RankCorrelations,
  SimilarityManifest,
  SimilarityResult,
  type SimilaritySettings,
  type SimilarityRow,
  type ZooGroup
} from "../../core/similarity/schemas.js"
import { readback } from "../../core/base/index.js"
import { mlpEncoder } from "../../layers/hypernetwork/index.js"
import { probeAccuracy, probeLoss } from "../../layers/hypernetwork/index.js"
import { Backend } from "../../services/backend/index.js"
import { Progress } from "../../services/console/index.js"
import { Rng } from "../../services/rng/index.js"
import { RunStore } from "../../services/store/index.js"
import { initMlp, trainEncoder } from "./encoders.js"
import { runEnvironment } from "../training/index.js"
import { loadPenguins, splitData, syntheticData } from "./similarityData.js"
import { similarityFigures } from "./similarityReport.js"
import { checkTransferFinite, disposeProbeHypernetwork, encodeAll, fitConditions, pretrainProbeHypernetwork, type ProbeHypernetwork, transferLosses } from "./transferSimilarity.js"

/** An encoder of the experiment: its network, role and (if trained) final training loss. */
interface ZooEncoder {
  readonly name: string
  readonly net: NetWeights
  readonly role: "reference" | "task" | "other task" | "untrained" | "permuted" | "noise" | "pool"
  readonly trainLoss: number | null
  readonly sigma?: number
  readonly reference?: number
}

const mean = (xs: ReadonlyArray<number>) => xs.reduce((a, b) => a + b, 0) / xs.length
const meanOrNull = (xs: ReadonlyArray<number | null>): number | null => {
  const v = xs.filter((x): x is number => x !== null)
  return v.length === 0 ? null : mean(v)
}
const rho = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): number | null => {
  const r = spearman(a, b)
  return r._tag === "Success" ? r.success : null
}

/** Spearman ρ of Δ and of CKA with the known similarity (−level) over `rows`. */
export const rankCorrelations = (rows: ReadonlyArray<SimilarityRow>): RankCorrelations => {
  const known = rows.map((r) => -r.level)
  const normalised = rows.every((r) => r.deltaNormalised !== null) ? rho(rows.map((r) => r.deltaNormalised!), known) : null
  return { delta: rho(rows.map((r) => r.delta), known), deltaNormalised: normalised, cka: rho(rows.map((r) => r.cka), known) }
}

/**
 * The zoo experiment on one data set: train the encoders, build each reference's zoo, pre-train the
 * probe hypernetwork on a separate pool, and measure Δ and CKA of every zoo member against its
 * reference, with their rank correlations with the known ordering. Rng streams `similarity/<name>/…`.
 * Fails with {@link InvalidInput} for a data set that is not one of {@link DatasetName}'s or
 * settings out of their domain (checked as {@link similarity} checks them).
 */
export const similarityDataset = (name: DatasetName, given: SimilaritySettings) =>
  Effect.gen(function* () {
    if (!(DatasetName.literals as ReadonlyArray<unknown>).includes(name)) {
      return yield* new InvalidInput({ source: "name", message: `similarityDataset: the data set must be one of ${DatasetName.literals.join(", ")}, got ${quoteValue(name)}` })
    }
    const settings = yield* Effect.fromResult(decodeSimilaritySettings(given))
    const started = performance.now()
    const rng = yield* Rng
    const progress = yield* Progress
    const data: LabelledData = name === "penguins" ? yield* loadPenguins : yield* syntheticData(settings.synthetic, `similarity/${name}/data`)
    const { train, probe } = yield* splitData(data, settings.probeFraction, `similarity/${name}/split`)
    const m = data.inputs.cols
    const k = data.task.classes.length
    const kOther = data.otherTask.classes.length
    const shape = [m, ...settings.encoder.hidden, settings.encoder.features]
    const held: Array<tf.Tensor> = []
    const nets: Array<NetWeights> = []
    let hyper: ProbeHypernetwork | undefined
    const keep = <T extends tf.Tensor>(t: T): T => {
      held.push(t)
      return t
    }
    const use = Effect.gen(function* () {
      const trainX = keep(tf.tensor2d(Float32Array.from(train.inputs.data), [train.inputs.rows, m]))
      const trainY = keep(tf.tensor2d(oneHot(train.task), [train.inputs.rows, k]))
      const trainOther = keep(tf.tensor2d(oneHot(train.otherTask), [train.inputs.rows, kOther]))
      const probeX = keep(tf.tensor2d(Float32Array.from(probe.inputs.data), [probe.inputs.rows, m]))
      const probeY = keep(tf.tensor2d(oneHot(probe.task), [probe.inputs.rows, k]))

      // encoders: task-trained (the references are the first), other task, untrained, and the pool
      const { zoo, pool: poolSettings } = settings
      const plan: Array<{ name: string; role: ZooEncoder["role"]; stream: string; task: "task" | "other" | null }> = [
        ...Array.from({ length: zoo.references + zoo.otherSeeds }, (_, s) => ({ name: `seed ${s}`, role: (s < zoo.references ? "reference" : "task") as ZooEncoder["role"], stream: `task/${s}`, task: "task" as const })),
        ...Array.from({ length: zoo.otherTask }, (_, s) => ({ name: `other task ${s}`, role: "other task" as const, stream: `other/${s}`, task: "other" as const })),
        ...Array.from({ length: zoo.untrained }, (_, s) => ({ name: `untrained ${s}`, role: "untrained" as const, stream: `untrained/${s}`, task: null })),
        ...Array.from({ length: poolSettings.trained }, (_, s) => ({ name: `pool seed ${s}`, role: "pool" as const, stream: `pool/task/${s}`, task: "task" as const })),
        ...Array.from({ length: poolSettings.otherTask }, (_, s) => ({ name: `pool other task ${s}`, role: "pool" as const, stream: `pool/other/${s}`, task: "other" as const })),
        ...Array.from({ length: poolSettings.untrained }, (_, s) => ({ name: `pool untrained ${s}`, role: "pool" as const, stream: `pool/untrained/${s}`, task: null }))
      ]
      const encoders: Array<ZooEncoder> = []
      for (const [i, p] of plan.entries()) {
        const stream = `similarity/${name}/encoders/${p.stream}`
        if (p.task === null) {
          const net = yield* initMlp(shape, stream)
          nets.push(net)
          encoders.push({ name: p.name, role: p.role, net, trainLoss: null })
        } else {
          const t = yield* trainEncoder(shape, trainX, p.task === "task" ? trainY : trainOther, settings.encoder, stream)
          nets.push(t.net)
          encoders.push({ name: p.name, role: p.role, net: t.net, trainLoss: t.loss })
        }
        yield* progress.update(`${name}: encoders`, { done: i + 1, total: plan.length, detail: p.name })
      }

      // each reference's variants: hidden units permuted, weight noise at graded levels
      const references = encoders.filter((e) => e.role === "reference")
      for (const [r, ref] of references.entries()) {
        const perms: Array<Array<number>> = []
        for (const [h, width] of settings.encoder.hidden.entries()) {
          const [u] = yield* readback([yield* rng.uniform(`similarity/${name}/zoo/${r}/permutation/${h}`, [width])])
          perms.push(argsort(u))
        }
        const permuted = yield* Effect.fromResult(permuteHiddenUnits(ref.net, perms))
        nets.push(permuted)
        encoders.push({ name: `${ref.name} permuted`, role: "permuted", net: permuted, trainLoss: null, reference: r })
        for (const [i, sigma] of settings.zoo.noise.entries()) {
          const W: Array<tf.Tensor> = []
          const b: Array<tf.Tensor> = []
          for (let l = 1; l < shape.length; l++) {
            W.push(yield* rng.normal(`similarity/${name}/zoo/${r}/noise/${i}/W${l}`, [shape[l - 1]!, shape[l]!]))
            b.push(yield* rng.normal(`similarity/${name}/zoo/${r}/noise/${i}/b${l}`, [shape[l]!]))
          }
          const eps = netWeightsOrThrow(shape, W, b)
          const noisy = perturbWeights(ref.net, sigma, eps)
          disposeNetWeights(eps)
          const net = yield* Effect.fromResult(noisy)
          nets.push(net)
          encoders.push({ name: `${ref.name} noise ${sigma}`, role: "noise", net, trainLoss: null, sigma, reference: r })
        }
      }

      const poolEncoders = encoders.filter((e) => e.role === "pool")
      const compared = encoders.filter((e) => e.role !== "pool")
      const features = keep(yield* encodeAll(compared.map((e) => mlpEncoder(e.name, e.net)), probeX))
      const poolFeatures = keep(yield* encodeAll(poolEncoders.map((e) => mlpEncoder(e.name, e.net)), probeX))
      hyper = yield* pretrainProbeHypernetwork(poolFeatures, probeY, settings.hypernetwork, `similarity/${name}/H`, `${name}: hypernetwork`)
      const h = hyper
      const conditions = keep(fitConditions(h, features, probeY, settings.hypernetwork))
      const [zooLoss, zooAccuracy] = (yield* readback(tf.tidy(() => [
        tf.mean(probeLoss(h.H, h.spec, conditions, features, probeY)),
        tf.mean(probeAccuracy(h.H, h.spec, conditions, features, probeY))
      ]))).map((v) => v[0]!)

      // each encoder's own drop Δ_BB, for the normalised Δ_AB / sqrt(Δ_AA · Δ_BB)
      const selfDrops: Array<number> = []
      for (const z of compared.keys()) {
        const t = yield* Effect.flatMap(transferLosses(h, conditions, features, probeY, z, settings.transfer), checkTransferFinite)
        selfDrops.push(t.before[z]! - t.after[z]!)
      }
      const normalised = (a: number, z: number, delta: number) =>
        selfDrops[a]! > 0 && selfDrops[z]! > 0 ? delta / Math.sqrt(selfDrops[a]! * selfDrops[z]!) : null

      // Δ and CKA of each reference's zoo
      const L = settings.zoo.noise.length
      const levelOf = (e: ZooEncoder): { group: ZooGroup; level: number } =>
        e.role === "permuted" ? { group: "permuted", level: 0 }
          : e.role === "noise" ? { group: "noise", level: 1 + settings.zoo.noise.indexOf(e.sigma!) }
          : e.role === "reference" || e.role === "task" ? { group: "other seed", level: L + 1 }
          : e.role === "other task" ? { group: "other task", level: L + 2 }
          : { group: "untrained", level: L + 3 }
      const rows: Array<SimilarityRow> = []
      const perReference: Array<DatasetSimilarity["perReference"][number]> = []
      for (const [r, ref] of references.entries()) {
        const a = compared.indexOf(ref)
        const members = compared.map((e, z) => ({ e, z })).filter(({ e }) =>
          e !== ref && ((e.role !== "permuted" && e.role !== "noise") || e.reference === r))
        const { before, after } = yield* Effect.flatMap(transferLosses(h, conditions, features, probeY, a, settings.transfer), checkTransferFinite)
        const selfDelta = before[a]! - after[a]!
        const all = yield* readback(tf.unstack(features))
        const matrix = (z: number): FeatureMatrix => ({ rows: features.shape[1], cols: features.shape[2], data: all[z]! })
        const ckas = members.map(({ z }) => linearCkaOfMatrices(matrix(a), matrix(z)))
        const refRows: Array<SimilarityRow> = [{
          reference: ref.name, encoder: ref.name, group: "self", level: 0, sigma: null, cka: 1,
          lossBefore: before[a]!, lossAfter: after[a]!, delta: selfDelta, transferRatio: 1, deltaNormalised: normalised(a, a, selfDelta)
        }]
        for (const [j, { e, z }] of members.entries()) {
          const cka = yield* Effect.fromResult(ckas[j]!)
          const delta = before[z]! - after[z]!
          refRows.push({ reference: ref.name, encoder: e.name, ...levelOf(e), sigma: e.sigma ?? null, cka, lossBefore: before[z]!, lossAfter: after[z]!, delta, transferRatio: selfDelta !== 0 ? delta / selfDelta : null, deltaNormalised: normalised(a, z, delta) })
        }
        rows.push(...refRows)
        const zooRows = refRows.filter((x) => x.group !== "self")
        perReference.push({ reference: ref.name, selfDelta, zoo: rankCorrelations(zooRows), graded: rankCorrelations(zooRows.filter((x) => x.group === "permuted" || x.group === "noise")) })
        yield* progress.update(`${name}: transfer`, { done: r + 1, total: references.length, detail: ref.name })
      }
      const summary = (key: "zoo" | "graded"): RankCorrelations => ({
        delta: meanOrNull(perReference.map((p) => p[key].delta)),
        deltaNormalised: meanOrNull(perReference.map((p) => p[key].deltaNormalised)),
        cka: meanOrNull(perReference.map((p) => p[key].cka))
      })
      const result: DatasetSimilarity = {
        dataset: name, description: data.description, inputs: m, classes: data.task.classes,
        trainSize: train.inputs.rows, probeSize: probe.inputs.rows,
        encoders: encoders.map((e) => ({ name: e.name, role: e.role, trainLoss: e.trainLoss })),
        pretraining: { curve: h.curve, poolLoss: h.poolLoss, poolAccuracy: h.poolAccuracy },
        zooProbe: { loss: zooLoss, accuracy: zooAccuracy },
        rows, perReference,
        spearman: { zoo: summary("zoo"), graded: summary("graded") },
        seconds: (performance.now() - started) / 1000
      }
      yield* progress.finish(`${name}: similarity`, `Spearman with the known order: Δ ${fmt(result.spearman.zoo.delta)}, CKA ${fmt(result.spearman.zoo.cka)}`)
      return result
    })
    return yield* use.pipe(Effect.ensuring(Effect.sync(() => {
      tf.dispose(held)
      nets.forEach(disposeNetWeights)
      if (hyper !== undefined) disposeProbeHypernetwork(hyper)
    })))
  })

const fmt = (x: number | null) => (x === null ? "undefined" : x.toFixed(3))

/** Options of a similarity run: what to record in its manifest. */
export interface SimilarityRunOptions {
  readonly command?: string
  readonly preset?: string | null
}

/**
 * The functional-similarity experiment (issue 14, item 3) into a run directory: `manifest.json`,
 * `similarity.json` (every row, the rank correlations), `figures/*.svg|png` and a self-contained
 * `report.html`. Fails with {@link RunError} when `runDir` already holds a similarity run, and with
 * {@link InvalidInput} for bad settings.
 */
export const similarity = (runDir: string, settings: SimilaritySettings, options: SimilarityRunOptions = {}) =>
  Effect.gen(function* () {
    const started = performance.now()
    const store = yield* RunStore
    const rng = yield* Rng
    const backend = yield* Backend
    const checked = yield* Effect.fromResult(decodeSimilaritySettings(settings))
    if (yield* store.exists(store.join(runDir, "similarity.json"))) {
      return yield* new RunError({ message: `${runDir} already holds a similarity run: choose another --out` })
    }
    const env = yield* runEnvironment
    const manifest: SimilarityManifest = {
      format: "hyperlayers-similarity", createdAt: new Date().toISOString(), command: options.command ?? "similarity",
      preset: options.preset ?? null, settings: checked, rootSeed: yield* rng.rootSeed, backend: backend.name,
      versions: env.versions, gitCommit: env.gitCommit
    }
    yield* store.writeJson(store.join(runDir, "manifest.json"), SimilarityManifest, manifest)
    const datasets: Array<DatasetSimilarity> = []
    for (const name of checked.datasets) datasets.push(yield* similarityDataset(name, checked))
    const result: SimilarityResult = { datasets, seconds: (performance.now() - started) / 1000 }
    yield* store.writeJson(store.join(runDir, "similarity.json"), SimilarityResult, result)
    const report = yield* similarityFigures(runDir, manifest, result)
    return { result, report }
  })
