import * as tf from "@tensorflow/tfjs"

/**
 * Run `f` and dispose every tensor it created. Unlike `tf.tidy`, `f` may return plain data (numbers,
 * arrays) rather than tensors; it must not return tensors.
 */
export const withTensorScope = <A>(f: () => A): A => {
  tf.engine().startScope()
  try {
    return f()
  } finally {
    tf.engine().endScope()
  }
}
