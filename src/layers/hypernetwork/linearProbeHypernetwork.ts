import * as tf from "@tensorflow/tfjs"
import type { NetShape } from "../../core/network/schemas.js"
import { forward, type NetWeights, netWeightsOrThrow } from "../../core/network/index.js"

/**
 * A hypernetwork H that generates linear classifiers ("probes") on top of encoders, for the
 * functional similarity of the blog post in `seeds/004` ("Hypernetworks as quantifiers of
 * functional similarity"). H reads an encoder's condition c ∈ R^e (a learned embedding per
 * encoder) and returns a classifier `W ∈ R^(d×k)`, `b ∈ R^k` for the encoder's d features and k
 * classes. H is the library's MLP (`forward` of {@link NetWeights}, swish on the hidden layers, an
 * identity output), `[e, …hidden, (d+1)·k]`, as the Pareto hyperhypernetwork maps log β to θ.
 */
export interface ProbeHypernetworkSpec {
  /** Width e of an encoder's condition (its embedding). */
  readonly condition: number
  /** Hidden widths of H. */
  readonly hidden: ReadonlyArray<number>
  /** Features d of the encoders it serves. */
  readonly features: number
  /** Classes k of the task. */
  readonly classes: number
}

/** The layer sizes of H: `[e, …hidden, (d+1)·k]`. */
export const probeHypernetworkShape = (spec: ProbeHypernetworkSpec): NetShape =>
  [spec.condition, ...spec.hidden, (spec.features + 1) * spec.classes]

/**
 * Initialise H like dense layers: weights and biases uniform in ±1/sqrt(fan_in). `uniform` holds
 * one tensor of draws on (−1, 1) per parameter, in the order `W1, b1, W2, b2, …`, each of its
 * parameter's shape ({@link probeHypernetworkShape}). The tensors returned are new.
 */
export const initProbeHypernetwork = (spec: ProbeHypernetworkSpec, uniform: ReadonlyArray<tf.Tensor>): NetWeights => {
  const shape = probeHypernetworkShape(spec)
  const W: Array<tf.Tensor> = []
  const b: Array<tf.Tensor> = []
  for (let l = 1; l < shape.length; l++) {
    const scale = 1 / Math.sqrt(shape[l - 1]!)
    W.push(tf.tidy(() => tf.mul(tf.reshape(uniform[2 * l - 2]!, [shape[l - 1]!, shape[l]!]), scale)))
    b.push(tf.tidy(() => tf.mul(tf.reshape(uniform[2 * l - 1]!, [shape[l]!]), scale)))
  }
  return netWeightsOrThrow(shape, W, b)
}

/** The parameter shapes of H in the order `W1, b1, W2, b2, …`. */
export const probeHypernetworkParamShapes = (spec: ProbeHypernetworkSpec): ReadonlyArray<ReadonlyArray<number>> => {
  const shape = probeHypernetworkShape(spec)
  return shape.slice(1).flatMap((w, l) => [[shape[l]!, w], [w]])
}

/** A batch of generated linear classifiers: `W: [Z, d, k]`, `b: [Z, k]`. */
export interface Classifiers {
  readonly W: tf.Tensor3D
  readonly b: tf.Tensor2D
}

/**
 * `W, b = H(c)` for a batch of conditions `c: [Z, e]`: the first d·k outputs of H, row-major, are
 * W, the last k are b.
 */
export const generateClassifiers = (H: NetWeights, spec: ProbeHypernetworkSpec, conditions: tf.Tensor): Classifiers =>
  tf.tidy(() => {
    const theta = forward(H, conditions, "swish")
    const Z = conditions.shape[0]!
    const dk = spec.features * spec.classes
    return {
      W: tf.reshape(tf.slice(theta, [0, 0], [Z, dk]), [Z, spec.features, spec.classes]) as tf.Tensor3D,
      b: tf.slice(theta, [0, dk], [Z, spec.classes]) as tf.Tensor2D
    }
  })

/**
 * Softmax cross-entropy in nats, averaged over the N inputs: `logits: [..., N, k]`, `targets: [N, k]`
 * (one-hot rows) → `[...]`.
 */
export const softmaxCrossEntropy = (logits: tf.Tensor, targets: tf.Tensor): tf.Tensor =>
  tf.tidy(() => tf.neg(tf.mean(tf.sum(tf.mul(targets, tf.logSoftmax(logits)), -1), -1)))

/**
 * The loss of each encoder under its generated probe: `features: [Z, N, d]` (encoder z's features
 * of the N inputs), `conditions: [Z, e]`, `targets: [N, k]` one-hot → `[Z]` cross-entropy (nats).
 */
export const probeLoss = (H: NetWeights, spec: ProbeHypernetworkSpec, conditions: tf.Tensor, features: tf.Tensor, targets: tf.Tensor): tf.Tensor =>
  tf.tidy(() => {
    const { W, b } = generateClassifiers(H, spec, conditions)
    const logits = tf.add(tf.matMul(features, W), tf.expandDims(b, 1))
    return softmaxCrossEntropy(logits, targets)
  })

/**
 * Accuracy of each encoder's generated probe: the share of the N inputs whose largest logit is
 * their class. Same arguments as {@link probeLoss}; returns `[Z]`.
 */
export const probeAccuracy = (H: NetWeights, spec: ProbeHypernetworkSpec, conditions: tf.Tensor, features: tf.Tensor, targets: tf.Tensor): tf.Tensor =>
  tf.tidy(() => {
    const { W, b } = generateClassifiers(H, spec, conditions)
    const logits = tf.add(tf.matMul(features, W), tf.expandDims(b, 1))
    return tf.mean(tf.cast(tf.equal(tf.argMax(logits, -1), tf.expandDims(tf.argMax(targets, -1), 0)), "float32"), -1)
  })
