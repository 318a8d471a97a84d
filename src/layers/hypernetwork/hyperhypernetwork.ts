import * as tf from "@tensorflow/tfjs"
import { betaCondition, type Condition, conditionScale } from "../../core/task/index.js"
import type { HyperhypernetworkSpec as HyperhypernetworkSettings, PerEdgeInit } from "../../core/hypernetwork/index.js"
import type { ParamLayout } from "./hypernetwork.js"
import { matMul2d } from "../blocks/index.js"

/**
 * The Pareto hyperhypernetwork (B.2.2): β → θ. An MLP `1 → 100 → 10 → 2P` with swish on the
 * hidden layers reads `u = (log10 β + 6) / 6` and outputs a, b ∈ R^P; the hyperweights are
 * `θ = a ⊙ sigmoid(b)`. For a task family it reads a condition vector instead, the family's
 * conditions then β, each scaled to [−1, 1] (`1 + C` inputs). With per-edge hyperweights `plain`,
 * those are not generated but trained directly (one vector shared by every β), and the MLP
 * generates the others.
 */
export interface HyperhypernetworkPlan {
  /** Hyperweights generated per β (P, less the plain ones). */
  readonly outputs: number
  readonly hidden: ReadonlyArray<number>
  /** Hyperweights trained directly, shared by every β (0 unless per-edge hyperweights are plain). */
  readonly plain?: number
  /** The task family's conditions, read before β (none for a single task such as L1). */
  readonly conditions?: ReadonlyArray<Condition>
  /** How plain hyperweights start (absent: uniform in ±0.5/sqrt(last hidden width)). */
  readonly plainInit?: PerEdgeInit
  /** A fixed multiplier on the per-edge hyperweights where the blocks read them (absent: 1). */
  readonly perEdgeScale?: number
}

export const defaultHidden: ReadonlyArray<number> = [100, 10]

/** The hyperhypernetwork for a layout of θ: which hyperweights it generates, which are plain. */
export const hyperhypernetworkFor = (layout: ParamLayout, settings: HyperhypernetworkSettings, conditions: ReadonlyArray<Condition> = []): HyperhypernetworkPlan => {
  const plain = settings.perEdge === "plain" ? layout.entries.filter((e) => e.perEdge).reduce((a, e) => a + e.size, 0) : 0
  return {
    outputs: layout.size - plain, hidden: settings.hidden, plain, conditions,
    ...(settings.perEdgeInit === undefined || plain === 0 ? {} : { plainInit: settings.perEdgeInit }),
    ...(settings.perEdgeScale === undefined || settings.perEdgeScale === 1 ? {} : { perEdgeScale: settings.perEdgeScale })
  }
}

/** Parameter names and shapes, in order: `W1, b1, W2, b2, …`, then `plain` if there are plain hyperweights. */
export const hyperhypernetworkShapes = (spec: HyperhypernetworkPlan): ReadonlyArray<{ readonly name: string; readonly shape: ReadonlyArray<number> }> => {
  const widths = [1 + (spec.conditions?.length ?? 0), ...spec.hidden, 2 * spec.outputs]
  const layers = widths.slice(1).flatMap((w, k) => [
    { name: `W${k + 1}`, shape: [widths[k]!, w] },
    { name: `b${k + 1}`, shape: [w] }
  ])
  return (spec.plain ?? 0) > 0 ? [...layers, { name: "plain", shape: [spec.plain!] }] : layers
}

/** Parameters in the order of {@link hyperhypernetworkShapes}. */
export type HyperhypernetworkParams = ReadonlyArray<tf.Tensor>

/** A condition's values `[B]` scaled to [−1, 1] over its range, as a column `[B, 1]`. */
const conditionFeature = (c: Condition, values: tf.Tensor): tf.Tensor =>
  tf.tidy(() => {
    const { center, halfWidth } = conditionScale(c)
    return tf.reshape(tf.div(tf.sub(values, center), halfWidth), [-1, 1])
  })

/**
 * The MLP's input `[B, 1 + C]`: the family's conditions (`condition: [B, C]`, in the spec's order)
 * then log10 β, each scaled to [−1, 1]. For β alone this is the paper's `(log10 β + 6)/6`.
 */
export const hyperhypernetworkInput = (spec: HyperhypernetworkPlan, logBeta: tf.Tensor, condition?: tf.Tensor): tf.Tensor =>
  tf.tidy(() => {
    const conditions = spec.conditions ?? []
    const beta = conditionFeature(betaCondition, logBeta)
    if (conditions.length === 0) return beta
    const columns = tf.split(condition!, conditions.length, 1)
    return tf.concat([...conditions.map((c, k) => conditionFeature(c, tf.reshape(columns[k]!, [-1]))), beta], 1)
  })

/**
 * Which draw each parameter of {@link hyperhypernetworkShapes} starts from, in order: `uniform` on
 * (−1, 1), or `normal` (standard normal) for plain hyperweights whose `plainInit` is normal.
 */
export const initDistributions = (spec: HyperhypernetworkPlan): ReadonlyArray<"uniform" | "normal"> =>
  hyperhypernetworkShapes(spec).map(({ name }) => (name === "plain" && spec.plainInit?.distribution === "normal" ? "normal" : "uniform"))

/**
 * Initialise like a dense layer: weights and biases uniform in ±1/sqrt(fan_in). Plain hyperweights
 * start as `plainInit` says (a uniform or normal draw scaled to its std) or, by default, uniform in
 * ±0.5/sqrt(last hidden width), the scale of a generated θ = a ⊙ sigmoid(b) at initialisation.
 * `draws` holds one tensor per parameter, in the order of the shapes, of the distribution
 * {@link initDistributions} names: uniform on (−1, 1) or standard normal.
 */
export const initHyperhypernetwork = (spec: HyperhypernetworkPlan, draws: ReadonlyArray<tf.Tensor>): HyperhypernetworkParams => {
  const shapes = hyperhypernetworkShapes(spec)
  const lastHidden = spec.hidden.length === 0 ? 1 : spec.hidden[spec.hidden.length - 1]!
  const plainScale = spec.plainInit === undefined ? 0.5 / Math.sqrt(lastHidden)
    // a uniform draw on (−1, 1) has std 1/sqrt(3)
    : spec.plainInit.distribution === "uniform" ? spec.plainInit.std * Math.sqrt(3) : spec.plainInit.std
  return shapes.map(({ name, shape }, k) => {
    const scale = name === "plain" ? plainScale : 1 / Math.sqrt(shape.length === 2 ? shape[0]! : shapes[k - 1]!.shape[0]!)
    return tf.tidy(() => tf.mul(tf.reshape(draws[k]!, [...shape]), scale))
  })
}

/**
 * The generated hyperweights `[B, outputs]` (the MLP's parameters only) for `log10 β: [B]`, or for
 * an input `[B, 1 + C]` made by {@link hyperhypernetworkInput}.
 */
export const hyperhypernetwork = (params: HyperhypernetworkParams, input: tf.Tensor): tf.Tensor =>
  tf.tidy(() => {
    let h = input.rank === 1 ? conditionFeature(betaCondition, input) : input
    const layers = Math.floor(params.length / 2)
    for (let k = 0; k < layers; k++) {
      const z = tf.add(matMul2d(h as tf.Tensor2D, params[2 * k] as tf.Tensor2D), params[2 * k + 1]!)
      h = k < layers - 1 ? tf.mul(z, tf.sigmoid(z)) : z
    }
    const [a, b] = tf.split(h, 2, -1) as [tf.Tensor, tf.Tensor]
    return tf.mul(a, tf.sigmoid(b))
  })

/**
 * The full hyperweights θ `[B, P]` in the layout's order, for `log10 β: [B]` (and a family's
 * `condition: [B, C]`): generated by the MLP, with plain hyperweights (if any: the last parameter)
 * broadcast over the batch into their places, and the per-edge ones multiplied by the spec's
 * `perEdgeScale` (if any).
 */
export const hyperweights = (layout: ParamLayout, spec: HyperhypernetworkPlan, params: HyperhypernetworkParams, logBeta: tf.Tensor, condition?: tf.Tensor): tf.Tensor =>
  tf.tidy(() => {
    const theta = unscaledHyperweights(layout, spec, params, logBeta, condition)
    const scale = spec.perEdgeScale
    if (scale === undefined || scale === 1) return theta
    // the per-edge hyperweights × scale, every other one × 1 (exact)
    const multiplier = new Float32Array(layout.size).fill(1)
    let at = 0
    for (const e of layout.entries) {
      if (e.perEdge) multiplier.fill(scale, at, at + e.size)
      at += e.size
    }
    return tf.mul(theta, tf.tensor2d(multiplier, [1, layout.size]))
  })

const unscaledHyperweights = (layout: ParamLayout, spec: HyperhypernetworkPlan, params: HyperhypernetworkParams, logBeta: tf.Tensor, condition?: tf.Tensor): tf.Tensor =>
  tf.tidy(() => {
    const input = hyperhypernetworkInput(spec, logBeta, condition)
    if ((spec.plain ?? 0) === 0) return hyperhypernetwork(params, input)
    const generated = hyperhypernetwork(params.slice(0, -1), input)
    const plain = params[params.length - 1]!
    const B = logBeta.shape[0]!
    const parts: Array<tf.Tensor> = []
    let [g, p] = [0, 0]
    for (const e of layout.entries) {
      if (e.perEdge) {
        parts.push(tf.tile(tf.reshape(tf.slice(plain, [p], [e.size]), [1, e.size]), [B, 1]))
        p += e.size
      } else {
        parts.push(tf.slice(generated, [0, g], [B, e.size]))
        g += e.size
      }
    }
    return tf.concat(parts, 1)
  })
