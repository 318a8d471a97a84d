import * as tf from "@tensorflow/tfjs"
import { Result } from "effect"
import { InvalidInput, WeightShapeError } from "../base/schemas.js"
import { decodeNetShape, depth, type NetShape } from "./netShape.js"
import { quoteValue } from "../base/schemas.js"

/** Hidden-layer activation of the target network; the output layer is always the identity. */
export type Activation = "swish" | "relu"

/**
 * The ragged weights of a target MLP: `W[l-1]` is `W^(l)` with shape `[...batch, n_(l-1), n_l]`,
 * `b[l-1]` is `b^(l)` with shape `[...batch, n_l]`. `batch` holds the leading axes shared by every
 * tensor (a generation axis, say), empty for a single network.
 */
export interface NetWeights {
  readonly shape: NetShape
  readonly batch: ReadonlyArray<number>
  readonly W: ReadonlyArray<tf.Tensor>
  readonly b: ReadonlyArray<tf.Tensor>
}

const sameDims = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i])

/**
 * Check tensors against a NetShape and wrap them. Every tensor must carry the same leading batch
 * axes (taken from `W^(1)`); the error names the layer and the expected and actual shapes. Fails
 * with InvalidInput when `shape` is not a valid {@link NetShape} or a tensor is not float32.
 * (Values are not read: a generated network's finiteness is checked where it is read out.)
 */
export const makeNetWeights = (
  shape: NetShape,
  W: ReadonlyArray<tf.Tensor>,
  b: ReadonlyArray<tf.Tensor>
): Result.Result<NetWeights, WeightShapeError | InvalidInput> => {
  const decoded = decodeNetShape(shape, "makeNetWeights(shape)")
  if (Result.isFailure(decoded)) return Result.fail(decoded.failure)
  const notFloat = [...W, ...b].find((t) => t.dtype !== "float32")
  if (notFloat !== undefined) return Result.fail(new InvalidInput({ source: "makeNetWeights", message: `makeNetWeights: weights and biases must be float32 tensors, got ${notFloat.dtype}` }))
  const N = depth(shape)
  if (W.length !== N || b.length !== N) {
    const part = W.length !== N ? "W" : "b"
    const got = part === "W" ? W.length : b.length
    return Result.fail(new WeightShapeError({
      message: `a network of shape [${shape.join(", ")}] has ${N} weight layers but ${got} ${part} tensors were given`,
      layer: Math.min(got, N) + 1, part, expected: [N], actual: [got]
    }))
  }
  const batch = W[0]!.shape.slice(0, Math.max(0, W[0]!.rank - 2))
  for (let l = 1; l <= N; l++) {
    const checks: Array<["W" | "b", tf.Tensor, ReadonlyArray<number>]> = [
      ["W", W[l - 1]!, [...batch, shape[l - 1]!, shape[l]!]],
      ["b", b[l - 1]!, [...batch, shape[l]!]]
    ]
    for (const [part, t, expected] of checks) {
      if (!sameDims(t.shape, expected)) {
        return Result.fail(new WeightShapeError({
          message: `${part}^(${l}) must have shape [${expected.join(", ")}] but has [${t.shape.join(", ")}]`,
          layer: l, part, expected, actual: t.shape
        }))
      }
    }
  }
  return Result.succeed({ shape, batch, W, b })
}

/** Build NetWeights where the shapes are right by construction (a programming error otherwise). */
export const netWeightsOrThrow = (shape: NetShape, W: ReadonlyArray<tf.Tensor>, b: ReadonlyArray<tf.Tensor>): NetWeights => {
  const r = makeNetWeights(shape, W, b)
  if (Result.isFailure(r)) throw r.failure
  return r.success
}

export const disposeNetWeights = (net: NetWeights): void => {
  tf.dispose([...net.W, ...net.b])
}

export const activate = (activation: Activation, x: tf.Tensor): tf.Tensor =>
  activation === "relu" ? tf.relu(x) : tf.mul(x, tf.sigmoid(x))

/** Whether two batch shapes broadcast against each other (aligned from the right, equal or 1). */
const broadcastable = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): boolean => {
  for (let k = 1; k <= Math.min(a.length, b.length); k++) {
    const [x, y] = [a[a.length - k]!, b[b.length - k]!]
    if (x !== y && x !== 1 && y !== 1) return false
  }
  return true
}

const checkForward = (net: NetWeights, x: tf.Tensor, activation: Activation): void => {
  const problem = activation !== "swish" && activation !== "relu" ? `activation must be "swish" or "relu", got ${quoteValue(activation)}`
    : x.dtype !== "float32" ? `x must be a float32 tensor, got ${x.dtype}`
    : x.rank < 2 || x.shape[x.rank - 1] !== net.shape[0]
    ? `x must have shape [${[...net.batch, "S", net.shape[0]].join(", ")}] (batch axes may be 1 or left out), got [${x.shape.join(", ")}]`
    : !broadcastable(x.shape.slice(0, -2), net.batch)
    ? `x's batch axes [${x.shape.slice(0, -2).join(", ")}] do not broadcast against the network's batch [${net.batch.join(", ")}]`
    : undefined
  if (problem !== undefined) throw new InvalidInput({ source: "forward", message: `forward: ${problem}` })
}

/**
 * Forward pass: `a^(l) = act(a^(l-1) · W^(l) + b^(l))`, identity on the output layer.
 * `x` has shape `[...batch, S, n_0]` with the network's batch axes (S samples per network; batch
 * axes broadcast as in matMul); the result has shape `[...batch, S, n_N]`. Throws InvalidInput, before
 * any op runs, when x or the activation does not fit the network.
 */
export const forward = (net: NetWeights, x: tf.Tensor, activation: Activation = "swish"): tf.Tensor =>
  tf.tidy(() => {
    checkForward(net, x, activation)
    const N = net.W.length
    let a = x
    for (let l = 0; l < N; l++) {
      const z = tf.add(tf.matMul(a, net.W[l]!), tf.expandDims(net.b[l]!, -2))
      a = l < N - 1 ? activate(activation, z) : z
    }
    return a
  })
