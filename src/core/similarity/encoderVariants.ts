import * as tf from "@tensorflow/tfjs"
import { Result } from "effect"
import { InvalidInput } from "../base/schemas.js"
import { type NetWeights, netWeightsOrThrow } from "../network/index.js"
import { quoteValue } from "../base/schemas.js"

/**
 * Variants of an encoder network whose functional similarity to it is known by construction, for
 * validating similarity measures: relabelled hidden units (the same function) and weight noise at
 * graded levels (less similar the more noise). Pure: random numbers come in as tensors.
 */

const isPermutation = (p: ReadonlyArray<number>, n: number): boolean => {
  if (p.length !== n) return false
  const seen = new Uint8Array(n)
  for (const k of p) {
    if (!Number.isInteger(k) || k < 0 || k >= n || seen[k] === 1) return false
    seen[k] = 1
  }
  return true
}

/**
 * Relabel the hidden units of a single (unbatched) network: `perms[h]` is a permutation of hidden
 * layer h + 1, new unit j being old unit `perms[h][j]`. Columns of `W^(l)` and entries of `b^(l)`
 * move with layer l's units, rows of `W^(l+1)` with them: the function is unchanged (up to the
 * order of floating-point sums). Returns new tensors; fails with {@link InvalidInput} naming `perms`
 * when a permutation is missing or malformed.
 */
export const permuteHiddenUnits = (net: NetWeights, perms: ReadonlyArray<ReadonlyArray<number>>): Result.Result<NetWeights, InvalidInput> => {
  const N = net.W.length
  if (net.batch.length !== 0) return Result.fail(new InvalidInput({ source: "net", message: `permuteHiddenUnits takes a single network, got batch axes [${net.batch.join(", ")}]` }))
  if (perms.length !== N - 1) return Result.fail(new InvalidInput({ source: "perms", message: `a network of shape [${net.shape.join(", ")}] has ${N - 1} hidden layers but ${perms.length} permutations were given` }))
  for (let h = 0; h < N - 1; h++) {
    if (!isPermutation(perms[h]!, net.shape[h + 1]!)) {
      return Result.fail(new InvalidInput({ source: `perms[${h}]`, message: `perms[${h}] must be a permutation of 0…${net.shape[h + 1]! - 1}` }))
    }
  }
  const { W, b } = tf.tidy(() => {
    const W: Array<tf.Tensor> = []
    const b: Array<tf.Tensor> = []
    for (let l = 0; l < N; l++) {
      let w = net.W[l]!
      let bias = net.b[l]!
      if (l < N - 1) {
        const p = tf.tensor1d([...perms[l]!], "int32")
        w = tf.gather(w, p, 1)
        bias = tf.gather(bias, p, 0)
      }
      if (l > 0) w = tf.gather(w, tf.tensor1d([...perms[l - 1]!], "int32"), 0)
      // a copy even where nothing moved, so the result owns all its tensors
      W.push(tf.clone(w))
      b.push(tf.clone(bias))
    }
    return { W, b }
  })
  return Result.succeed(netWeightsOrThrow(net.shape, W, b))
}

/**
 * Weight noise relative to each layer's scale: `W^(l) + σ · rms(W^(l)) · ε_W`,
 * `b^(l) + σ · rms(W^(l)) · ε_b`, with `noise` holding standard normal ε of the network's own
 * shapes (`noise.W[l]`, `noise.b[l]`). σ = 0 returns a copy. Fails with {@link InvalidInput}
 * naming `sigma` (negative or not finite) or `noise` (shapes differ).
 */
export const perturbWeights = (net: NetWeights, sigma: number, noise: NetWeights): Result.Result<NetWeights, InvalidInput> => {
  if (!Number.isFinite(sigma) || sigma < 0) return Result.fail(new InvalidInput({ source: "sigma", message: `sigma must be a finite number ≥ 0, got ${quoteValue(sigma)}` }))
  const same = (a: tf.Tensor, c: tf.Tensor) => a.shape.length === c.shape.length && a.shape.every((s, k) => s === c.shape[k])
  if (noise.W.length !== net.W.length || !net.W.every((w, l) => same(w, noise.W[l]!) && same(net.b[l]!, noise.b[l]!))) {
    return Result.fail(new InvalidInput({ source: "noise", message: `noise must have the network's shapes [${net.shape.join(", ")}]` }))
  }
  const { W, b } = tf.tidy(() => {
    const W: Array<tf.Tensor> = []
    const b: Array<tf.Tensor> = []
    net.W.forEach((w, l) => {
      const scale = tf.mul(tf.sqrt(tf.mean(tf.square(w))), sigma)
      W.push(tf.add(w, tf.mul(scale, noise.W[l]!)))
      b.push(tf.add(net.b[l]!, tf.mul(scale, noise.b[l]!)))
    })
    return { W, b }
  })
  return Result.succeed(netWeightsOrThrow(net.shape, W, b))
}
