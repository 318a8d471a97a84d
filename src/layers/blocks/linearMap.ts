import * as tf from "@tensorflow/tfjs"

/**
 * `a · b` for 2-D tensors whose gradient is also built from plain, untransposed 2-D products.
 * TensorFlow.js's own gradient multiplies with transposed operands, which the wasm backend runs on
 * a generic loop about 10× slower than its XNNPACK path for untransposed 2-D products.
 */
export const matMul2d = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [a, b, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc]
  save([a, b])
  return {
    value: tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D),
    gradFunc: (dy: tf.Tensor, saved: Array<tf.Tensor>) => {
      const [sa, sb] = saved as [tf.Tensor2D, tf.Tensor2D]
      return [tf.matMul(dy as tf.Tensor2D, tf.transpose(sb)), tf.matMul(tf.transpose(sa), dy as tf.Tensor2D)]
    }
  }
}) as (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D

/**
 * A per-generation linear map over the last axis: `x: [B, ..., F]`, `M: [B, F, G]`, `m: [B, G]`
 * → `[B, ..., G]`. Each generation has its own matrix (its own β): one batched product.
 */
export const linearMap = (x: tf.Tensor, M: tf.Tensor, m: tf.Tensor): tf.Tensor =>
  tf.tidy(() => {
    const B = x.shape[0]!
    const F = x.shape[x.rank - 1]!
    const G = M.shape[2]!
    const y = tf.matMul(tf.reshape(x, [B, -1, F]), M)
    return tf.reshape(tf.add(y, tf.expandDims(m, 1)), [...x.shape.slice(0, -1), G])
  })
