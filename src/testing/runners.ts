import * as tf from "@tensorflow/tfjs"
import { Data, Effect, Exit, Result } from "effect"
import fc from "fast-check"
import type { Block } from "../layers/blocks/index.js"
import { activationBlock } from "../layers/blocks/index.js"
import { klChannelBlock } from "../layers/blocks/index.js"
import { learnedBlock } from "../layers/blocks/index.js"
import { noiseBlock } from "../layers/blocks/index.js"
import { positionBlock } from "../layers/blocks/index.js"
import type { HypernetworkSpecError } from "../layers/blocks/index.js"
import { type Hypernetwork, makeHypernetwork } from "../layers/hypernetwork/index.js"
import { blockCase, type DrawOptions, equivarianceCase, generationCase, type ShapeOptions } from "./arbitraries.js"
import {
  blockWritesDeclaredWidth, decoderOnlyIgnoresLearned, declaredWidths, generationLeaksNothing, hiddenEquivariance, klNonNegative,
  PropertyViolation, sameSeedSameWeights
} from "./checkers.js"

/**
 * Run the checkers over fast-check's arbitraries from any test runner (plain vitest, jest, node's
 * test runner): each `check…` returns when the property holds on every case and throws a
 * {@link PropertyCheckFailed} carrying fast-check's shrunk counter-example otherwise.
 */

/** A property failed: the shrunk counter-example, what broke on it, and how to replay the run. */
export class PropertyCheckFailed extends Data.TaggedError("PropertyCheckFailed")<{
  readonly message: string
  readonly property: string
  /** The smallest failing case fast-check found. */
  readonly counterexample: unknown
  /** What broke on it. */
  readonly violation: string
  readonly shrinks: number
  /** Replay with `fc.assert(…, { seed, path })`. */
  readonly seed: number
  readonly path: string
}> {}

/**
 * No TensorFlow.js backend is ready when a check starts. The checks run synchronously, so they
 * cannot wait for one; without this error the first check of a file failed on the backend and
 * reported it as a counter-example of the property.
 */
export class BackendNotReady extends Data.TaggedError("BackendNotReady")<{ readonly message: string }> {}

const requireBackend = (property: string): void => {
  if (tf.getBackend()) return
  throw new BackendNotReady({
    message: `cannot check ${property}: no TensorFlow.js backend is ready yet; call \`await tf.ready()\` (or \`await tf.setBackend("cpu")\`) before the checks, e.g. \`beforeAll(() => tf.ready())\``
  })
}

/** How many cases to try (default: fast-check's global `numRuns`, else 100) and from which seed. */
export interface RunOptions {
  readonly numRuns?: number
  readonly seed?: number
}

/** Run one checker's Effect synchronously: returns when it holds, throws its {@link PropertyViolation}. */
export const runCase = (effect: Effect.Effect<void, PropertyViolation>): void => {
  const exit = Effect.runSyncExit(effect)
  if (Exit.isSuccess(exit)) return
  const failure = Exit.findErrorOption(exit)
  if (failure._tag === "Some") throw failure.value
  throw new PropertyViolation({ property: "unknown", message: `the check died: ${String(exit.cause)}` })
}

/**
 * Check `property` over `arbitrary` with fast-check, throwing {@link PropertyCheckFailed} with the
 * shrunk counter-example when some case fails, or {@link BackendNotReady} before trying any case
 * when no TensorFlow.js backend is ready (`await tf.ready()` first).
 */
export const checkProperty = <A>(property: string, arbitrary: fc.Arbitrary<A>, check: (a: A) => Effect.Effect<void, PropertyViolation>, options: RunOptions = {}): void => {
  requireBackend(property)
  const details = fc.check(fc.property(arbitrary, (a) => runCase(check(a))), {
    ...(options.numRuns === undefined ? {} : { numRuns: options.numRuns }),
    ...(options.seed === undefined ? {} : { seed: options.seed })
  })
  if (!details.failed) return
  const error = details.errorInstance
  const violation = error instanceof PropertyViolation || error instanceof Error ? error.message : String(error)
  const counterexample = details.counterexample?.[0]
  throw new PropertyCheckFailed({
    property, counterexample, violation, shrinks: details.numShrinks, seed: details.seed, path: details.counterexamplePath ?? "",
    message: `${property} fails on ${fc.stringify(counterexample)} (shrunk ${details.numShrinks} time${details.numShrinks === 1 ? "" : "s"}; replay with seed ${details.seed}, path "${details.counterexamplePath}"): ${violation}`
  })
}

type Options = RunOptions & ShapeOptions & DrawOptions

/** Hidden-unit equivariance of a stack ({@link hiddenEquivariance}) on generated shapes, permutations and draws. */
export const checkHiddenEquivariance = (net: Hypernetwork, options: Options = {}): void =>
  checkProperty("hidden-unit equivariance", equivarianceCase(options), (c) => hiddenEquivariance(net, c), options)

/** KL ≥ 0 in encoder mode, 0 decoder-only ({@link klNonNegative}). */
export const checkKlNonNegative = (net: Hypernetwork, options: Options = {}): void =>
  checkProperty("KL ≥ 0", generationCase(options), (c) => klNonNegative(net, c), options)

/** Decoder-only output independent of the per-edge hyperweights ({@link decoderOnlyIgnoresLearned}). */
export const checkDecoderOnlyIgnoresLearned = (net: Hypernetwork, options: Options = {}): void =>
  checkProperty("decoder-only ignores the learned variables", generationCase(options), (c) => decoderOnlyIgnoresLearned(net, c), options)

/** The same draw gives the same weights ({@link sameSeedSameWeights}). */
export const checkSameSeedSameWeights = (net: Hypernetwork, options: Options = {}): void =>
  checkProperty("same seed, same weights", generationCase(options), (c) => sameSeedSameWeights(net, c), options)

/** No tensor left behind by planning and generating ({@link generationLeaksNothing}). */
export const checkNoTensorLeaked = (net: Hypernetwork, options: Options = {}): void =>
  checkProperty("no tensor leaked", generationCase(options), (c) => generationLeaksNothing(net, c), options)

/** Every block of a stack writes its declared width, alone ({@link declaredWidths}). */
export const checkDeclaredWidths = (net: Hypernetwork, options: RunOptions & ShapeOptions = {}): void =>
  checkProperty("declared width", blockCase(options), (c) => declaredWidths(net, c), options)

/** One block alone writes its declared width and leaks nothing ({@link blockWritesDeclaredWidth}). */
export const checkBlockWidth = (block: Block, options: RunOptions & ShapeOptions = {}): void =>
  checkProperty("declared width", blockCase(options), (c) => blockWritesDeclaredWidth(block, c), options)

/** Every checker of a stack, one after the other (the first failure throws). */
export const checkHypernetwork = (net: Hypernetwork, options: Options = {}): void => {
  checkDeclaredWidths(net, options)
  checkNoTensorLeaked(net, options)
  checkSameSeedSameWeights(net, options)
  checkKlNonNegative(net, options)
  checkDecoderOnlyIgnoresLearned(net, options)
  checkHiddenEquivariance(net, options)
}

/**
 * A small stack around one block, for testing it in context: stage 0 the source blocks (three
 * 2-feature positions, 2 noise, 2 learned; the block too if it is a source), stage 1 the block
 * (if it reads) beside a 4-feature activation, stage 2 an activation and a KL channel. Fails with
 * `HypernetworkSpecError` if the block's name is one of theirs.
 */
export const testStack = (block: Block): Result.Result<Hypernetwork, HypernetworkSpecError> => {
  const sources = [positionBlock("input", 2), positionBlock("output", 2), positionBlock("layer", 2), noiseBlock(2), learnedBlock(2)]
  const source = block.inputs === 0
  return makeHypernetwork([
    { blocks: source ? [...sources, block] : sources },
    { blocks: source ? [activationBlock(4)] : [block, activationBlock(4)] },
    { blocks: [activationBlock(4), klChannelBlock(2)] }
  ])
}
