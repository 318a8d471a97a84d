import * as tf from "@tensorflow/tfjs"
import { Result } from "effect"
import { ConstructionError } from "../base/schemas.js"
import { firstNonFinite } from "../base/schemas.js"
import { l1Mean, l1Std, l1Target } from "../task/index.js"
import { decodeNetShape } from "./netShape.js"
import { activate, type Activation, type NetWeights, netWeightsOrThrow } from "./network.js"
import { quoteValue } from "../base/schemas.js"

/**
 * Hand-built networks `[n, h, 1]` for the normalised L1 task (§2.1; ARCHITECTURE.md, "Constructions"). With ReLU hidden units
 * the double-sided and pudding networks are exact; with swish they use `swish(κz)/κ → ReLU(z)`
 * and their error shrinks like 1/κ; their output bias absorbs swish's mean shortfall (see
 * {@link swishGap}). The weight scale κ also sets α2 = κ, so the default κ = 4
 * sits where the paper's pudding networks sit (α2 ≈ 2.5–4).
 */
export interface ConstructionOptions {
  readonly activation?: Activation
  /** κ: hidden weights are multiplied by κ and output weights divided by it. */
  readonly scale?: number
}

const DEFAULT_SCALE = 4

/** Sign of the one strong weight each input sends to its own hidden unit. */
export type PuddingSign = "negative" | "positive"

export interface PuddingOptions extends ConstructionOptions {
  /**
   * The offset c of the sum units `ReLU(c + s·Σx) − c`: exact whenever c ≥ |Σ x_i|. The default,
   * 8·sqrt(n), is eight standard deviations of Σx for Gaussian inputs.
   */
  readonly offset?: number
}

interface Dense {
  readonly W1: Float32Array
  readonly b1: Float32Array
  readonly W2: Float32Array
  readonly b2: Float32Array
}

const zeros = (n: number, h: number): Dense => ({
  W1: new Float32Array(n * h), b1: new Float32Array(h), W2: new Float32Array(h), b2: new Float32Array(1)
})

/**
 * `E[swish(κz)/κ − ReLU(z)]` for `z ~ N(0, 1)`: the mean amount a swish unit falls short of the
 * ReLU it imitates on the task's Gaussian inputs. A swish construction moves its output bias by
 * this much per unit, which takes its loss at κ = 4 from 0.21 to 0.007 on [16, 48, 1].
 */
const swishGap = (scale: number): number => {
  const steps = 4000
  const lo = -10
  const dz = 20 / steps
  let total = 0
  for (let k = 0; k <= steps; k++) {
    const z = lo + k * dz
    const u = scale * z
    const gap = u / (1 + Math.exp(-u)) / scale - Math.max(z, 0)
    total += (k === 0 || k === steps ? 0.5 : 1) * gap * Math.exp(-z * z / 2)
  }
  return total * dz / Math.sqrt(2 * Math.PI)
}

/** Output-bias correction for `units` swish units that imitate ReLUs of standard normal inputs. */
const gapCorrection = (activation: Activation, units: number, scale: number): number =>
  activation === "swish" ? units * swishGap(scale) : 0

const toNet = (n: number, h: number, d: Dense): NetWeights =>
  netWeightsOrThrow([n, h, 1],
    [tf.tensor2d(d.W1, [n, h]), tf.tensor2d(d.W2, [h, 1])],
    [tf.tensor1d(d.b1), tf.tensor1d(d.b2)])

const checkSize = (name: string, n: number, h: number, minHidden: number): Result.Result<void, ConstructionError> => {
  const shape = decodeNetShape([n, h, 1], `${name} shape`)
  return Result.isFailure(shape)
    ? Result.fail(new ConstructionError({ message: `${name}: ${shape.failure.message}` }))
    : h < minHidden
    ? Result.fail(new ConstructionError({ message: `${name} needs at least ${minHidden} hidden units for ${n} inputs, got ${h}` }))
    : Result.succeed(undefined)
}

/** Scales and offsets whose products stay well inside float32 (κ·c is a bias, 1/κ an output weight). */
const MIN_SCALE = 1e-3
const MAX_SCALE = 1e6
const MAX_OFFSET = 1e6

const checkOptions = (name: string, options: ConstructionOptions & PuddingOptions): Result.Result<void, ConstructionError> => {
  const fail = (message: string) => Result.fail(new ConstructionError({ message: `${name}: ${message}` }))
  const scale = options.scale ?? DEFAULT_SCALE
  if (!(Number.isFinite(scale) && scale > 0)) return fail(`scale must be a positive number, got ${scale}`)
  if (scale < MIN_SCALE || scale > MAX_SCALE) return fail(`scale must be in [${MIN_SCALE}, ${MAX_SCALE}], got ${scale}`)
  if (options.activation !== undefined && options.activation !== "swish" && options.activation !== "relu") return fail(`activation must be "swish" or "relu", got ${quoteValue(options.activation)}`)
  if (options.offset !== undefined && !(Number.isFinite(options.offset) && options.offset >= 0 && options.offset <= MAX_OFFSET)) return fail(`offset must be a number in [0, ${MAX_OFFSET}], got ${options.offset}`)
  return Result.succeed(undefined)
}

/**
 * Double-sided: `‖x‖₁ = Σ ReLU(x_i) + Σ ReLU(−x_i)` on units `i` and `n + i`; the remaining
 * `h − 2n` hidden units are unused (zero weights). Fails with ConstructionError when `[n, h, 1]`
 * is not a valid NetShape, `h < 2n`, the scale is outside [1e−3, 1e6] or the activation unknown.
 * Classifies as double-sided at every such size (path balance 1) when κ ≥ the convexity threshold.
 */
export const doubleSided = (n: number, h: number, options: ConstructionOptions = {}): Result.Result<NetWeights, ConstructionError> => {
  const k = options.scale ?? DEFAULT_SCALE
  return Result.andThen(Result.andThen(checkSize("double-sided", n, h, 2 * n), () => checkOptions("double-sided", options)), () => {
    const d = zeros(n, h)
    const sd = l1Std(n)
    for (let i = 0; i < n; i++) {
      d.W1[i * h + i] = k
      d.W1[i * h + n + i] = -k
      d.W2[i] = 1 / (k * sd)
      d.W2[n + i] = 1 / (k * sd)
    }
    d.b2[0] = (-l1Mean(n) - gapCorrection(options.activation ?? "swish", 2 * n, k)) / sd
    return Result.succeed(toNet(n, h, d))
  })
}

/**
 * Signed pudding: `‖x‖₁ = 2 Σ ReLU(−s·x_i) + s·Σ x_i`. Input i owns hidden unit i through one
 * strong weight −s·κ (s = +1 for the *negative* pudding); the other `h − n` units share the sum
 * term, each computing `ReLU(c + s·Σx) − c`, as the paper's networks spread it. Fails with
 * ConstructionError when `[n, h, 1]` is not a valid NetShape, `h < n + 1`, the sign is neither
 * "negative" nor "positive", the scale is outside [1e−3, 1e6], the offset outside [0, 1e6] or the
 * activation unknown. Classifies as pudding at every such size (path balance 1/(2(h − n)) ≤ 1/2)
 * when κ ≥ the convexity threshold.
 */
export const pudding = (n: number, h: number, sign: PuddingSign = "negative", options: PuddingOptions = {}): Result.Result<NetWeights, ConstructionError> => {
  const k = options.scale ?? DEFAULT_SCALE
  const c = options.offset ?? 8 * Math.sqrt(n)
  if (sign !== "negative" && sign !== "positive") return Result.fail(new ConstructionError({ message: `pudding: sign must be "negative" or "positive", got ${quoteValue(sign)}` }))
  return Result.andThen(Result.andThen(checkSize(`${sign} pudding`, n, h, n + 1), () => checkOptions("pudding", options)), () => {
    const s = sign === "negative" ? 1 : -1
    const d = zeros(n, h)
    const sd = l1Std(n)
    const m = h - n
    for (let i = 0; i < n; i++) {
      d.W1[i * h + i] = -s * k
      d.W2[i] = 2 / (k * sd)
      for (let j = n; j < h; j++) d.W1[i * h + j] = s * k
    }
    for (let j = n; j < h; j++) {
      d.b1[j] = k * c
      d.W2[j] = 1 / (m * k * sd)
    }
    // each input's unit counts twice; the sum units sit far from swish's bend (c ≥ 8 sd of Σx)
    d.b2[0] = (-l1Mean(n) - c - gapCorrection(options.activation ?? "swish", 2 * n, k)) / sd
    return Result.succeed(toNet(n, h, d))
  })
}

/**
 * Convexity: `α · Σ_j act(Σ_i W_ij x_i) + β` with `W` drawn by the caller from a symmetric
 * distribution. α and β are the least-squares fit to the normalised target on the calibration
 * inputs `x: [S, n]`, so this is the best network of this form for that W; approximate, not exact.
 * Fails with ConstructionError unless W is a finite `[n, h]` with `[n, h, 1]` a valid NetShape and
 * the calibration inputs a finite `[S ≥ 2, n]`. With W drawn from U(−1, 1) it classifies as
 * convexity at every size (α2 < 1). cpu-only: it reads W, the inputs and its fit synchronously (on
 * webgpu, call it inside `onCpu`).
 */
export const convexity = (W: tf.Tensor2D, calibration: tf.Tensor2D, options: { readonly activation?: Activation } = {}): Result.Result<NetWeights, ConstructionError> => {
  const fail = (message: string) => Result.fail(new ConstructionError({ message: `convexity: ${message}` }))
  if (W.rank !== 2) return fail(`W must have shape [n, h], got [${W.shape.join(", ")}]`)
  const [n, h] = W.shape
  const shape = decodeNetShape([n, h, 1], "convexity shape")
  if (Result.isFailure(shape)) return fail(shape.failure.message)
  if (calibration.rank !== 2 || calibration.shape[1] !== n || calibration.shape[0] < 2) {
    return fail(`calibration inputs must have shape [S ≥ 2, ${n}], got [${calibration.shape.join(", ")}]`)
  }
  if (options.activation !== undefined && options.activation !== "swish" && options.activation !== "relu") return fail(`activation must be "swish" or "relu", got ${quoteValue(options.activation)}`)
  for (const [name, t] of [["W", W], ["calibration", calibration]] as const) {
    const values = t.dataSync()
    const k = firstNonFinite(values)
    if (k >= 0) return fail(`${name} must be finite, got ${values[k]} at flat index ${k}`)
  }
  const [hs, ys] = tf.tidy(() => [
    tf.sum(activate(options.activation ?? "swish", tf.matMul(calibration, W)), -1),
    l1Target(calibration)
  ])
  const hv = hs.dataSync()
  const yv = ys.dataSync()
  tf.dispose([hs, ys])
  let mh = 0, my = 0
  for (let s = 0; s < hv.length; s++) { mh += hv[s]!; my += yv[s]! }
  mh /= hv.length
  my /= yv.length
  let cov = 0, varH = 0
  for (let s = 0; s < hv.length; s++) {
    cov += (hv[s]! - mh) * (yv[s]! - my)
    varH += (hv[s]! - mh) ** 2
  }
  const alpha = varH > 0 ? cov / varH : 0
  return Result.succeed(netWeightsOrThrow([n, h, 1],
    [tf.clone(W), tf.fill([h, 1], alpha)],
    [tf.zeros([h]), tf.tensor1d([my - alpha * mh])]))
}
