import { it as effectIt } from "@effect/vitest"
import { fc } from "@fast-check/vitest"
import * as tf from "@tensorflow/tfjs"
import { Arbitrary, Effect, Result } from "effect"
import { beforeAll, describe, expect, it } from "vitest"
import { decodeNetShape } from "../src/core/network/netShape.js"
import { type Block, blockSpec, noSpecs } from "../src/layers/blocks/block.js"
import { builtinBlocks } from "../src/layers/blocks/builtinBlocks.js"
import { sinusoid } from "../src/layers/blocks/edgeGraph.js"
import { hypernetworkSpec, makeHypernetwork } from "../src/layers/hypernetwork/hypernetwork.js"
import { paperHypernetwork } from "../src/layers/hypernetwork/paperHypernetwork.js"
import {
  arbitraries, blockWritesDeclaredWidth, checkBlockWidth, checkDeclaredWidths, checkDecoderOnlyIgnoresLearned, checkHiddenEquivariance,
  checkKlNonNegative, checkNoTensorLeaked, checkSameSeedSameWeights, decoderOnlyIgnoresLearned, declaredWidths, effectArbitraries, type EquivarianceCase,
  generationLeaksNothing, hiddenEquivariance, klNonNegative, PropertyCheckFailed, runCase, sameSeedSameWeights, testStack
} from "../src/testing/index.js"
import { useBackend } from "./helpers.js"

beforeAll(() => useBackend("cpu"))

const paper = paperHypernetwork()

/** Run a checker runner that must fail; return its error. */
const failure = (run: () => void): PropertyCheckFailed => {
  try {
    run()
  } catch (e) {
    if (e instanceof PropertyCheckFailed) return e
    throw e
  }
  throw new Error("the check passed")
}

// Deliberately broken blocks, each caught by one checker.
/** A source block that gives each edge's behind neuron an identity: hidden units are no longer interchangeable. */
const hiddenIndexBlock: Block = {
  name: "hidden-index", spec: { kind: "hidden-index" }, inputs: 0, outputs: 2, params: noSpecs, randoms: noSpecs,
  apply: (_, { context: { graph, batch, sides } }) => ({
    output: tf.tidy(() => {
      const codes = graph.layers.flatMap(({ rows, cols }) => Array.from({ length: rows * cols }, (_, e) => sinusoid(Math.floor(e / cols), 2)))
      return tf.broadcastTo(tf.tensor4d(codes.flat(), [1, 1, graph.edges, 2]), [batch, sides, graph.edges, 2])
    })
  })
}
/** A reader that keeps one tensor every time it runs. */
const leakyBlock: Block = {
  name: "leaky", spec: { kind: "leaky" }, inputs: 2, outputs: 2, params: noSpecs, randoms: noSpecs,
  apply: (x) => {
    tf.keep(tf.zeros([1]))
    return { output: tf.relu(x!) }
  }
}
/** A correct reader, for contrast: ReLU on 2 features. */
const reluBlock: Block = { name: "relu", spec: { kind: "relu" }, inputs: 2, outputs: 2, params: noSpecs, randoms: noSpecs, apply: (x) => ({ output: tf.relu(x!) }) }
/** A reader that declares 3 output features but writes 2. */
const liarBlock: Block = {
  name: "liar", spec: { kind: "liar" }, inputs: 2, outputs: 3, params: noSpecs, randoms: noSpecs,
  apply: (x) => ({ output: tf.relu(x!) })
}
/** A source block that draws its own noise instead of taking it from the random inputs. */
const impureBlock: Block = {
  name: "impure", spec: { kind: "impure" }, inputs: 0, outputs: 1, params: noSpecs, randoms: noSpecs,
  apply: (_, { context: { graph, batch, sides } }) => ({ output: tf.randomNormal([batch, sides, graph.edges, 1]) })
}
/** A "KL channel" whose KL is the negative sum of its input. */
const negativeKlBlock: Block = {
  name: "negative-kl", spec: { kind: "negative-kl" }, inputs: 1, outputs: 1, params: noSpecs, randoms: noSpecs,
  apply: (x, { context }) => ({
    output: tf.clone(x!),
    ...(context.sides === 2 ? { kl: tf.tidy(() => tf.neg(tf.sum(tf.abs(x!), [1, 2, 3]))) } : {})
  })
}
/** Per-edge variables that reach the decoder side, which must see none. */
const decoderLearnedBlock: Block = {
  name: "decoder-learned", spec: blockSpec("decoder-learned", {}, "decoder-learned", "decoder-learned"), inputs: 0, outputs: 1,
  params: (graph) => [{ name: "v", shape: [graph.edges, 1], perEdge: true }], randoms: noSpecs,
  apply: (_, { context: { sides }, param }) => ({ output: tf.tidy(() => tf.stack(Array.from({ length: sides }, () => param("v")), 1)) })
}

describe("the checkers pass for the paper's hypernetwork and for stacks of the library's blocks", () => {
  it("the paper's hypernetwork: every checker", () => {
    const options = { numRuns: 8, maxWidth: 4 }
    checkDeclaredWidths(paper, options)
    checkNoTensorLeaked(paper, options)
    checkSameSeedSameWeights(paper, options)
    checkKlNonNegative(paper, options)
    checkDecoderOnlyIgnoresLearned(paper, options)
    checkHiddenEquivariance(paper, options)
  })

  it("random stacks of built-in blocks: every checker, and their specs build and round-trip", () => {
    fc.assert(fc.property(arbitraries.blockStack(), arbitraries.equivarianceCase({ maxWidth: 3 }), (spec, c) => {
      const net = Result.getOrThrow(makeHypernetwork(spec))
      expect(hypernetworkSpec(net)).toEqual(spec)
      for (const check of [klNonNegative, decoderOnlyIgnoresLearned, sameSeedSameWeights, generationLeaksNothing, hiddenEquivariance]) runCase(check(net, c as EquivarianceCase))
      runCase(declaredWidths(net, { shape: c.shape, batch: c.draw.batch, sides: 2, seed: c.draw.seed }))
    }), { numRuns: 12 })
  })

  it("every built-in block alone writes its declared width and leaks nothing", () => {
    for (const d of builtinBlocks) {
      expect(d.example, `${d.kind} has an example`).toBeDefined()
      checkBlockWidth(Result.getOrThrow(d.build({ kind: d.kind, ...d.example }, d.kind)), { numRuns: 10 })
    }
  })

  it("shapes are valid network shapes, and permutations are permutations, from both engines", async () => {
    fc.assert(fc.property(arbitraries.equivarianceCase(), (c) => {
      expect(Result.isSuccess(decodeNetShape(c.shape))).toBe(true)
      c.perms.forEach((p, h) => expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: c.shape[h + 1]! }, (_, k) => k)))
    }))
    const samples = await Effect.runPromise(Arbitrary.sampleEffect(effectArbitraries.equivarianceCase(), { count: 30, seed: 5 }))
    for (const c of samples) {
      expect(Result.isSuccess(decodeNetShape(c.shape))).toBe(true)
      c.perms.forEach((p, h) => expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: c.shape[h + 1]! }, (_, k) => k)))
    }
    const stacks = await Effect.runPromise(Arbitrary.sampleEffect(effectArbitraries.blockStack(), { count: 20, seed: 5 }))
    for (const s of stacks) expect(Result.isSuccess(makeHypernetwork(s))).toBe(true)
  })
})

describe("the checkers catch broken blocks with a shrunk counter-example", () => {
  it("a block that gives hidden units an identity breaks equivariance on [1, 2, 1] with the swap", () => {
    const e = failure(() => checkHiddenEquivariance(Result.getOrThrow(testStack(hiddenIndexBlock)), { numRuns: 30 }))
    const c = e.counterexample as EquivarianceCase
    expect(c.shape).toEqual([1, 2, 1])
    expect(c.perms).toEqual([[1, 0]])
    expect(c.draw.batch).toBe(1)
    expect(e.shrinks).toBeGreaterThan(0)
    expect(e.message).toMatch(/^hidden-unit equivariance fails on \{"shape":\[1,2,1\],"perms":\[\[1,0\]\],"draw":\{.*\}\} \(shrunk \d+ times; replay with seed -?\d+, path "[\d:]+"\): W\^\(\d\)\[0, \d, \d\] is .* after permuting the hidden units but should be /)
    // the same stack around a block that keeps hidden units anonymous passes
    checkHiddenEquivariance(Result.getOrThrow(testStack(reluBlock)), { numRuns: 5 })
  })

  it("a block that keeps a tensor is caught leaking on the smallest network", () => {
    const e = failure(() => checkNoTensorLeaked(Result.getOrThrow(testStack(leakyBlock)), { numRuns: 10 }))
    expect(e.counterexample).toMatchObject({ shape: [1, 1], draw: { batch: 1, seed: 0 } })
    expect(e.violation).toMatch(/^a encoder generation of \[1, 1\] left \d+ tensors? behind$/)
    const alone = failure(() => checkBlockWidth(leakyBlock, { numRuns: 10 }))
    expect(alone.violation).toBe('block "leaky" on [1, 1] (batch 1, 2 KL sides) left 1 tensor behind')
  })

  it("a block that lies about its width is caught alone and in a stack", () => {
    const alone = failure(() => checkBlockWidth(liarBlock, { numRuns: 10 }))
    expect(alone.counterexample).toEqual({ shape: [1, 1], batch: 1, sides: 2, seed: 0 })
    expect(alone.violation).toBe('block "liar" on [1, 1] (batch 1, 2 KL sides) declares 3 output features but wrote [1, 2, 1, 2] (expected [1, 2, 1, 3])')
    const stacked = failure(() => checkDeclaredWidths(Result.getOrThrow(testStack(liarBlock)), { numRuns: 10 }))
    expect(stacked.violation).toMatch(/block "liar" .* declares 3 output features but wrote/)
    // generation checks refuse to plan it too
    expect(failure(() => checkSameSeedSameWeights(Result.getOrThrow(testStack(liarBlock)), { numRuns: 5 })).violation).toMatch(/cannot plan .* block "liar" of stage 1 declares 3 output features/)
  })

  it("a block drawing its own randomness, a negative KL, and per-edge variables on the decoder side are caught", () => {
    expect(failure(() => checkSameSeedSameWeights(Result.getOrThrow(testStack(impureBlock)), { numRuns: 10 })).violation).toMatch(/^W\^\(1\)\[0, 0, 0\] is .* the second time but should be /)
    expect(failure(() => checkKlNonNegative(Result.getOrThrow(testStack(negativeKlBlock)), { numRuns: 10 })).violation).toMatch(/^generation 0 accumulates KL = -[\d.e-]+ < 0$/)
    const d = failure(() => checkDecoderOnlyIgnoresLearned(Result.getOrThrow(testStack(decoderLearnedBlock)), { numRuns: 10 }))
    expect(d.counterexample).toMatchObject({ shape: [1, 1], draw: { batch: 1 } })
    expect(d.violation).toMatch(/decoder-only after changing the per-edge hyperweights/)
  })
})

describe("@effect/vitest", () => {
  effectIt.effect.prop("it.effect.prop runs a checker over Effect's arbitraries", [effectArbitraries.equivarianceCase({ maxWidth: 3 })],
    ([c]) => hiddenEquivariance(paper, c), { arbitrary: { runs: 6, seed: 1 } })

  effectIt.effect("Effect's engine shrinks a broken block's counter-example too", () =>
    Effect.gen(function* () {
      const result = yield* Arbitrary.checkEffect(effectArbitraries.blockCase(), (c) => Effect.as(blockWritesDeclaredWidth(liarBlock, c), true), { runs: 10, seed: 3 })
      expect(result._tag).toBe("Falsified")
      if (result._tag === "Falsified") expect(result.shrunkInput).toEqual({ shape: [1, 1], batch: 1, sides: 2, seed: 0 })
    }))
})
