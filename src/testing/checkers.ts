import * as tf from "@tensorflow/tfjs"
import { Data, Effect, Result } from "effect"
import type { NetShape } from "../core/network/schemas.js"
import type { Block, GenerationMode } from "../layers/blocks/index.js"
import { generate, type GenerationPlan, type Hypernetwork, paramLayout, planGeneration } from "../layers/hypernetwork/index.js"
import { hiddenEdgePermutation } from "../layers/blocks/index.js"
import { blockInputs, type BlockCase, type EquivarianceCase, type GenerationCase, type GenerationDraw, generationTensors } from "./cases.js"
import { errorMessage } from "../core/base/schemas.js"

/**
 * Property checkers for hypernetworks and blocks: each checks one case and fails with a
 * {@link PropertyViolation} saying what broke and where. They are Effects, so `@effect/vitest`'s
 * `it.effect.prop` runs them over `effectArbitraries` and shrinks a failure; `runCase` runs one
 * anywhere, and `checkHiddenEquivariance` & co. run them over fast-check's arbitraries.
 */

/** A case on which a property does not hold; `property` names it, `message` says where and how. */
export class PropertyViolation extends Data.TaggedError("PropertyViolation")<{ readonly property: string; readonly message: string }> {}

/** Relative tolerance of comparisons that reorder float32 sums (attention, KL). */
export const DEFAULT_TOLERANCE = 1e-4

const fail = (property: string, message: string) => new PropertyViolation({ property, message })

/** A plan for `shape` trained and generated as itself. */
const planFor = (property: string, net: Hypernetwork, shape: NetShape, mode: GenerationMode): Result.Result<GenerationPlan, PropertyViolation> =>
  Result.mapError(planGeneration(net, paramLayout(net, shape), shape, mode), (e) => fail(property, `cannot plan a ${mode} generation of [${shape.join(", ")}]: ${e.message}`))

/** Generated weights as plain values: `W[l]` `[B, n_(l−1)·n_l]`, `b[l]` `[B, n_l]`, `kl` `[B]`. */
interface Values {
  readonly W: ReadonlyArray<Float32Array>
  readonly b: ReadonlyArray<Float32Array>
  readonly kl: Float32Array
}

/**
 * Generate from given θ and random inputs and read the values; disposes what it makes (not the
 * inputs). cpu-only, as every check here: they read synchronously, so run them on cpu or wasm.
 */
const generateValues = (property: string, plan: GenerationPlan, theta: tf.Tensor, randoms: Readonly<Record<string, tf.Tensor>>): Result.Result<Values, PropertyViolation> => {
  let g: ReturnType<typeof generate>
  try {
    g = generate(plan, theta, randoms)
  } catch (e) {
    return Result.fail(fail(property, `generation threw: ${errorMessage(e)}`))
  }
  if (Result.isFailure(g)) return Result.fail(fail(property, `generation failed: ${g.failure.message}`))
  const { weights, kl } = g.success
  const read = (t: tf.Tensor) => Float32Array.from(t.dataSync())
  const values = { W: weights.W.map(read), b: weights.b.map(read), kl: read(kl) }
  tf.dispose([...weights.W, ...weights.b, kl])
  return Result.succeed(values)
}

/** Generate a draw's networks and read them; disposes everything. */
const drawValues = (property: string, plan: GenerationPlan, draw: GenerationDraw): Result.Result<Values, PropertyViolation> => {
  const x = generationTensors(plan, draw)
  try {
    return generateValues(property, plan, x.theta, x.randoms)
  } finally {
    tf.dispose([x.theta, ...Object.values(x.randoms)])
  }
}

const close = (a: number, b: number, tolerance: number) => Math.abs(a - b) <= tolerance * (1 + Math.abs(b))

/** The first index at which `got` and `want` differ beyond `tolerance` (exactly, for 0). */
const firstDifference = (got: ArrayLike<number>, want: ArrayLike<number>, tolerance: number): number => {
  for (let k = 0; k < want.length; k++) {
    const [a, b] = [got[k]!, want[k]!]
    if (tolerance === 0 ? !Object.is(a, b) && a !== b : !close(a, b, tolerance)) return k
  }
  return -1
}

const at = (k: number, dims: ReadonlyArray<number>): string => {
  const idx: Array<number> = []
  for (let a = dims.length - 1; a >= 0; a--) {
    idx.unshift(k % dims[a]!)
    k = Math.floor(k / dims[a]!)
  }
  return `[${idx.join(", ")}]`
}

/** Compare generated networks layer by layer; a message naming the first difference, or undefined. */
const compareNetworks = (shape: NetShape, B: number, got: Values, want: Values, tolerance: number, what: string): string | undefined => {
  for (let l = 1; l < shape.length; l++) {
    const k = firstDifference(got.W[l - 1]!, want.W[l - 1]!, tolerance)
    if (k >= 0) return `W^(${l})${at(k, [B, shape[l - 1]!, shape[l]!])} is ${got.W[l - 1]![k]} ${what} but should be ${want.W[l - 1]![k]}`
    const j = firstDifference(got.b[l - 1]!, want.b[l - 1]!, tolerance)
    if (j >= 0) return `b^(${l})${at(j, [B, shape[l]!])} is ${got.b[l - 1]![j]} ${what} but should be ${want.b[l - 1]![j]}`
  }
  return undefined
}

const check = (property: string, body: () => Result.Result<void, PropertyViolation>): Effect.Effect<void, PropertyViolation> =>
  Effect.suspend(() => {
    try {
      return Effect.fromResult(body())
    } catch (e) {
      return Effect.fail(fail(property, `threw: ${errorMessage(e)}`))
    }
  })

/**
 * Hidden units have no identity (B.2; ARCHITECTURE.md, "The hypernetwork"): relabelling the hidden units in every per-edge input
 * (the random inputs whose first axis is the edge axis, and the per-edge hyperweights in θ)
 * relabels the generated weights and biases the same way, and leaves the KL unchanged. Compared to
 * a relative `tolerance` (default 1e-4: attention sums in another order).
 */
export const hiddenEquivariance = (net: Hypernetwork, c: EquivarianceCase, tolerance = DEFAULT_TOLERANCE): Effect.Effect<void, PropertyViolation> =>
  check("hidden-unit equivariance", () => {
    const property = "hidden-unit equivariance"
    const planned = planFor(property, net, c.shape, "encoder")
    if (Result.isFailure(planned)) return Result.fail(planned.failure)
    const plan = planned.success
    const { graph, layout } = plan
    const B = c.draw.batch
    const relabelled = hiddenEdgePermutation(graph, c.perms)
    if (Result.isFailure(relabelled)) return Result.fail(fail(property, relabelled.failure.message))
    const perm = relabelled.success
    const x = generationTensors(plan, c.draw)
    const index = tf.tensor1d(perm, "int32")
    const randoms = Object.fromEntries(Object.entries(x.randoms).map(([k, t]) => [k, t.shape[1] === graph.edges ? tf.gather(t, index, 1) : tf.clone(t)]))
    const theta = tf.tidy(() => tf.concat(layout.entries.map((e) => {
      const part = tf.slice(x.theta, [0, e.offset], [B, e.size])
      return e.perEdge && e.shape[0] === graph.edges ? tf.reshape(tf.gather(tf.reshape(part, [B, ...e.shape]), index, 1), [B, e.size]) : part
    }), 1))
    try {
      const before = generateValues(property, plan, x.theta, x.randoms)
      if (Result.isFailure(before)) return Result.fail(before.failure)
      const after = generateValues(property, plan, theta, randoms)
      if (Result.isFailure(after)) return Result.fail(after.failure)
      const o = before.success
      const N = c.shape.length - 1
      const want: Values = {
        W: graph.layers.map(({ rows, cols, offset }, l) => {
          const E = rows * cols
          return Float32Array.from({ length: B * E }, (_, k) => o.W[l]![Math.floor(k / E) * E + perm[offset + (k % E)]! - offset]!)
        }),
        b: o.b.map((bias, l) => {
          const n = c.shape[l + 1]!
          const p = l + 1 < N ? c.perms[l]! : undefined
          return Float32Array.from({ length: B * n }, (_, k) => bias[Math.floor(k / n) * n + (p === undefined ? k % n : p[k % n]!)]!)
        }),
        kl: o.kl
      }
      const problem = compareNetworks(c.shape, B, after.success, want, tolerance, "after permuting the hidden units")
      if (problem !== undefined) return Result.fail(fail(property, problem))
      const k = firstDifference(after.success.kl, o.kl, 10 * tolerance)
      if (k >= 0) return Result.fail(fail(property, `the KL of generation ${k} is ${after.success.kl[k]} after permuting the hidden units but ${o.kl[k]} before`))
      return Result.void
    } finally {
      tf.dispose([index, theta, x.theta, ...Object.values(x.randoms), ...Object.values(randoms)])
    }
  })

/**
 * The KL accumulated by an encoder generation is ≥ 0 (every KL channel's `KL(q‖p)` is; `slack`,
 * default 1e-6, absorbs float32 rounding where q ≈ p), and a decoder-only generation adds none.
 */
export const klNonNegative = (net: Hypernetwork, c: GenerationCase, slack = 1e-6): Effect.Effect<void, PropertyViolation> =>
  check("KL ≥ 0", () => {
    const property = "KL ≥ 0"
    for (const mode of ["encoder", "decoder-only"] as const) {
      const plan = planFor(property, net, c.shape, mode)
      if (Result.isFailure(plan)) return Result.fail(plan.failure)
      const v = drawValues(property, plan.success, c.draw)
      if (Result.isFailure(v)) return Result.fail(v.failure)
      for (const [b, kl] of v.success.kl.entries()) {
        if (mode === "encoder" && !(kl >= -slack)) return Result.fail(fail(property, `generation ${b} accumulates KL = ${kl} < 0`))
        if (mode === "decoder-only" && kl !== 0) return Result.fail(fail(property, `decoder-only generation ${b} accumulates KL = ${kl}, not 0`))
      }
    }
    return Result.void
  })

/**
 * Decoder-only generation (the encoder ablation, Figure 4) cannot see the learned per-edge
 * variables: changing every per-edge hyperweight of θ leaves its weights, biases and KL exactly
 * as they were. (A stack without per-edge hyperweights passes trivially.)
 */
export const decoderOnlyIgnoresLearned = (net: Hypernetwork, c: GenerationCase): Effect.Effect<void, PropertyViolation> =>
  check("decoder-only ignores the learned variables", () => {
    const property = "decoder-only ignores the learned variables"
    const planned = planFor(property, net, c.shape, "decoder-only")
    if (Result.isFailure(planned)) return Result.fail(planned.failure)
    const plan = planned.success
    const x = generationTensors(plan, c.draw)
    const mask = new Float32Array(plan.layout.size)
    for (const e of plan.layout.entries) if (e.perEdge) mask.fill(1, e.offset, e.offset + e.size)
    const other = generationTensors(plan, { ...c.draw, seed: c.draw.seed + 1, scale: 1 }).theta
    const changed = tf.tidy(() => tf.add(x.theta, tf.mul(other, tf.tensor1d(mask))))
    try {
      const a = generateValues(property, plan, x.theta, x.randoms)
      if (Result.isFailure(a)) return Result.fail(a.failure)
      const b = generateValues(property, plan, changed, x.randoms)
      if (Result.isFailure(b)) return Result.fail(b.failure)
      const problem = compareNetworks(c.shape, c.draw.batch, b.success, a.success, 0, "decoder-only after changing the per-edge hyperweights")
      return problem === undefined ? Result.void : Result.fail(fail(property, problem))
    } finally {
      tf.dispose([x.theta, other, changed, ...Object.values(x.randoms)])
    }
  })

/**
 * Generation is a function of θ and the random inputs: the same draw, made twice, gives the same
 * weights, biases and KL bit for bit (a block drawing its own randomness fails this).
 */
export const sameSeedSameWeights = (net: Hypernetwork, c: GenerationCase): Effect.Effect<void, PropertyViolation> =>
  check("same seed, same weights", () => {
    const property = "same seed, same weights"
    const plan = planFor(property, net, c.shape, "encoder")
    if (Result.isFailure(plan)) return Result.fail(plan.failure)
    const a = drawValues(property, plan.success, c.draw)
    if (Result.isFailure(a)) return Result.fail(a.failure)
    const b = drawValues(property, plan.success, c.draw)
    if (Result.isFailure(b)) return Result.fail(b.failure)
    const problem = compareNetworks(c.shape, c.draw.batch, b.success, a.success, 0, "the second time")
    if (problem !== undefined) return Result.fail(fail(property, problem))
    const k = firstDifference(b.success.kl, a.success.kl, 0)
    return k < 0 ? Result.void : Result.fail(fail(property, `the KL of generation ${k} is ${b.success.kl[k]} the second time but ${a.success.kl[k]} the first`))
  })

/**
 * Planning and generating in both modes, then disposing the results and inputs, leaves the
 * TensorFlow.js engine with as many tensors as before: no block keeps or leaks a tensor.
 */
export const generationLeaksNothing = (net: Hypernetwork, c: GenerationCase): Effect.Effect<void, PropertyViolation> =>
  check("no tensor leaked", () => {
    const property = "no tensor leaked"
    for (const mode of ["encoder", "decoder-only"] as const) {
      const before = tf.memory().numTensors
      const plan = planFor(property, net, c.shape, mode)
      if (Result.isFailure(plan)) return Result.fail(plan.failure)
      const v = drawValues(property, plan.success, c.draw)
      if (Result.isFailure(v)) return Result.fail(v.failure)
      const leaked = tf.memory().numTensors - before
      if (leaked !== 0) return Result.fail(fail(property, `a ${mode} generation of [${c.shape.join(", ")}] left ${leaked} tensor${leaked === 1 ? "" : "s"} behind`))
    }
    return Result.void
  })

/**
 * A block applied alone writes what it declares: an output `[B, S, E, outputs]`, a KL (if any)
 * `[B]`, only finite values, and no tensor left behind. cpu-only (it reads the output synchronously).
 */
export const blockWritesDeclaredWidth = (block: Block, c: BlockCase): Effect.Effect<void, PropertyViolation> =>
  check("declared width", () => {
    const property = "declared width"
    const where = `block "${block.name}" on [${c.shape.join(", ")}] (batch ${c.batch}, ${c.sides} KL side${c.sides === 1 ? "" : "s"})`
    const before = tf.memory().numTensors
    const { input, env, tensors } = blockInputs(block, c)
    try {
      const E = env.context.graph.edges
      const problem = tf.tidy(() => {
        let r: ReturnType<Block["apply"]>
        try {
          r = block.apply(input, env)
        } catch (e) {
          return `${where} threw: ${errorMessage(e)}`
        }
        const want = [c.batch, c.sides, E, block.outputs]
        if (r.output.rank !== 4 || r.output.shape.some((d, a) => d !== want[a])) {
          return `${where} declares ${block.outputs} output features but wrote [${r.output.shape.join(", ")}] (expected [${want.join(", ")}])`
        }
        if (r.kl !== undefined && (r.kl.rank !== 1 || r.kl.shape[0] !== c.batch)) return `${where} returned a KL of shape [${r.kl.shape.join(", ")}], expected [${c.batch}]`
        if (!r.output.dataSync().every(Number.isFinite)) return `${where} wrote non-finite values`
        return undefined
      })
      if (problem !== undefined) return Result.fail(fail(property, problem))
    } finally {
      tf.dispose([...tensors])
    }
    const leaked = tf.memory().numTensors - before
    return leaked === 0 ? Result.void : Result.fail(fail("no tensor leaked", `${where} left ${leaked} tensor${leaked === 1 ? "" : "s"} behind`))
  })

/** Every block of a stack, applied alone, writes its declared width (see {@link blockWritesDeclaredWidth}). */
export const declaredWidths = (net: Hypernetwork, c: BlockCase): Effect.Effect<void, PropertyViolation> =>
  Effect.forEach(net.stages.flatMap((s) => s.blocks), (b) => blockWritesDeclaredWidth(b, c), { discard: true })
