import type * as tf from "@tensorflow/tfjs"
import { type Activation, forward, type NetWeights } from "../../core/network/index.js"

/**
 * An encoder `f: R^m → R^d`, the object of functional-similarity measures: any pure function of
 * tensors mapping inputs `[N, m]` to features `[N, d]`. It must not keep or dispose its input, and
 * the caller disposes its output.
 */
export interface Encoder {
  readonly name: string
  readonly encode: (inputs: tf.Tensor2D) => tf.Tensor2D
}

/**
 * The library's MLP as an encoder: its output layer (identity activation) is the feature vector,
 * so a network of shape `[m, …, d]` gives d features. The encoder reads `net`; it does not own it.
 */
export const mlpEncoder = (name: string, net: NetWeights, activation: Activation = "swish"): Encoder => ({
  name,
  encode: (inputs) => forward(net, inputs, activation) as tf.Tensor2D
})
