/**
 * `hyperlayers/testing`: property tests for hypernetworks and hyperlayer blocks, for a
 * researcher's own vitest suites (needs `fast-check`, a peer dependency).
 *
 * - Arbitraries: `arbitraries` (fast-check) and `effectArbitraries` (Effect's engine, for
 *   `@effect/vitest`'s `it.prop` / `it.effect.prop`): network shapes, stacks of built-in blocks as
 *   specs, draws of θ and the random inputs of a generation plan, hidden-unit permutations.
 * - Checkers of one case, as Effects failing with a `PropertyViolation`: `hiddenEquivariance`,
 *   `klNonNegative`, `decoderOnlyIgnoresLearned`, `sameSeedSameWeights`, `generationLeaksNothing`,
 *   `blockWritesDeclaredWidth`, `declaredWidths`.
 * - Runners for any test runner, throwing a `PropertyCheckFailed` with fast-check's shrunk
 *   counter-example: `checkHiddenEquivariance`, `checkKlNonNegative`, …, `checkHypernetwork` (all).
 * - `testStack(block)`: a small stack around one block; `generationTensors`, `blockInputs`: the
 *   tensors of a case.
 *
 * @example
 * import { checkHiddenEquivariance, testStack } from "hyperlayers/testing"
 * it("my block keeps hidden units anonymous", () => checkHiddenEquivariance(Result.getOrThrow(testStack(myBlock)), { numRuns: 20 }))
 */
export * as arbitraries from "./arbitraries.js"
export * as effectArbitraries from "./effectArbitraries.js"
export type { DrawOptions, ShapeOptions, StackOptions } from "./arbitraries.js"
export { blockInputs, type BlockCase, type EquivarianceCase, type GenerationCase, type GenerationDraw, generationTensors } from "./cases.js"
export {
  blockWritesDeclaredWidth, decoderOnlyIgnoresLearned, declaredWidths, DEFAULT_TOLERANCE, generationLeaksNothing, hiddenEquivariance, klNonNegative,
  PropertyViolation, sameSeedSameWeights
} from "./checkers.js"
export {
  checkBlockWidth, checkDeclaredWidths, checkDecoderOnlyIgnoresLearned, checkHiddenEquivariance, checkHypernetwork, checkKlNonNegative,
  BackendNotReady, checkNoTensorLeaked, checkProperty, checkSameSeedSameWeights, PropertyCheckFailed, type RunOptions, runCase, testStack
} from "./runners.js"
