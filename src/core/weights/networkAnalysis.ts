import { Schema } from "effect"
import { Algorithm, classify, type Thresholds, Thresholds as ThresholdsSchema } from "../network/schemas.js"
import { NetShape } from "../network/schemas.js"
import { NetworkFormat } from "./networkFile.js"
import { WeightLayout } from "./networkFromTensors.js"
import { doubleSidedness, type Matrix, pathBalance, seedDependence, signAgreement, strongestConnection } from "../network/index.js"
import type { StoredNetwork } from "../run/index.js"

/**
 * What `hyperlayers analyze` finds in a network trained elsewhere (written as `analysis.json`):
 * where it came from, its shape, the paper's order parameters of its first layer (§2.2), the path
 * balance, the sign agreement, its class, its loss on a task where the shapes fit, and α3 against a
 * second network.
 */

/** The hidden activation the loss is measured with (a weight file does not say which it was trained with). */
export const HiddenActivation = Schema.Literals(["swish", "relu"])

/** The loss of the network on a task: mean squared error on `samples` shared evaluation inputs. */
export const TaskLoss = Schema.Struct({
  task: Schema.String,
  activation: HiddenActivation,
  samples: Schema.Number,
  value: Schema.Number
})
export type TaskLoss = typeof TaskLoss.Type

/** One network's findings. */
export const NetworkFindings = Schema.Struct({
  file: Schema.String,
  format: NetworkFormat,
  layout: WeightLayout,
  /** Whether the layout came from the tensor names or from `--layout`. */
  layoutFrom: Schema.Literals(["names", "option"]),
  shape: NetShape,
  /** The tensors each weight layer came from, in order. */
  layers: Schema.Array(Schema.Struct({ weight: Schema.String, bias: Schema.String, dtype: Schema.String })),
  /** Double sidedness of `W^(1)`. */
  alpha1: Schema.Number,
  /** Strongest connection of `W^(1)`: the largest |weight|, an absolute scale (not scale-free as α1 is). */
  alpha2: Schema.Number,
  /** Path balance of the first layer through its outgoing strengths (`pathBalance`; the classifier reads it). */
  pathBalance: Schema.Number,
  /** Sign agreement of each input's strongest path, weighted by the outgoing strengths. */
  signAgreement: Schema.Number,
  algorithm: Algorithm,
  /** The loss on the task, or null where the task does not fit the shape (see `lossNote`). */
  loss: Schema.NullOr(TaskLoss),
  lossNote: Schema.optional(Schema.String)
})
export type NetworkFindings = typeof NetworkFindings.Type

export const NetworkAnalysis = Schema.Struct({
  network: NetworkFindings,
  thresholds: ThresholdsSchema,
  /** A second network and the seed dependence α3 between the two first layers. */
  compare: Schema.optional(Schema.Struct({ network: NetworkFindings, alpha3: Schema.Number })),
  /** The drawing's files, or why there is none. */
  drawing: Schema.Struct({ files: Schema.Array(Schema.String), note: Schema.optional(Schema.String) })
})
export type NetworkAnalysis = typeof NetworkAnalysis.Type

/** `W^(1)` as a matrix `[n_0, n_1]` (row i: input i's weights). */
export const firstLayer = (net: StoredNetwork): Matrix => ({ rows: net.shape[0]!, cols: net.shape[1]!, data: net.W[0]! })

/**
 * The strength of each first-layer unit's outgoing weights: the Euclidean norm of row j of
 * `W^(2)` (all 1 for a one-layer network, whose first-layer units are its outputs).
 */
export const outgoingStrengths = (net: StoredNetwork): Float64Array => {
  const n1 = net.shape[1]!
  const W2 = net.W[1]
  if (W2 === undefined) return new Float64Array(n1).fill(1)
  const n2 = net.shape[2]!
  return Float64Array.from({ length: n1 }, (_, j) => {
    let s = 0
    for (let k = 0; k < n2; k++) s += W2[j * n2 + k]! ** 2
    return Math.sqrt(s)
  })
}

/**
 * α1, α2, the path balance, the sign agreement and the class of a network's first layer (paper
 * §2.2; the class reads α1, α2 and the path balance, see `classify`).
 */
export const firstLayerFindings = (net: StoredNetwork, thresholds: Thresholds) => {
  const W = firstLayer(net)
  const alpha1 = doubleSidedness(W)
  const alpha2 = strongestConnection(W)
  const out = outgoingStrengths(net)
  const balance = pathBalance(W, out)
  return { alpha1, alpha2, pathBalance: balance, signAgreement: signAgreement(W, out), algorithm: classify({ alpha1, alpha2, pathBalance: balance }, thresholds) }
}

/** Whether two networks' first layers can be compared by α3 (the same `[n_0, n_1]`). */
export const comparable = (a: StoredNetwork, b: StoredNetwork): boolean => a.shape[0] === b.shape[0] && a.shape[1] === b.shape[1]

/** α3 between two networks' first layers (of one shape; see {@link comparable}). */
export const firstLayerSeedDependence = (a: StoredNetwork, b: StoredNetwork): number => seedDependence(firstLayer(a), firstLayer(b))
