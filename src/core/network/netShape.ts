import { Result, Schema, SchemaIssue } from "effect"
import { InvalidInput } from "../base/schemas.js"
import { quoteValue } from "../base/schemas.js"

/** Largest width of any layer: a typo such as 48000 must not exhaust memory. */
export const MAX_LAYER_SIZE = 4096
/** Most weights (edges) in all: the hypernetwork holds ~60 floats per edge and generation. */
export const MAX_EDGES = 1 << 20
/** Most weight layers a target network may have. */
const MAX_DEPTH = 16

const LayerSize = Schema.Number.check(
  Schema.isInt({ message: "a layer size must be an integer" }),
  Schema.isGreaterThanOrEqualTo(1, { message: "a layer size must be at least 1" }),
  Schema.isLessThanOrEqualTo(MAX_LAYER_SIZE, { message: `a layer size must be at most ${MAX_LAYER_SIZE}` })
)

/**
 * Layer sizes `[n_0, …, n_N]` of a target MLP: the input width, the hidden widths and the output
 * width. At least two entries (one weight layer).
 */
export const NetShape = Schema.Array(LayerSize).check(
  Schema.isMinLength(2, { message: "a network needs at least 2 layer sizes (input and output)" }),
  Schema.isMaxLength(MAX_DEPTH + 1, { message: `a network has at most ${MAX_DEPTH + 1} layer sizes` }),
  Schema.makeFilter((sizes: ReadonlyArray<number>) => {
    let e = 0
    for (let l = 1; l < sizes.length; l++) e += sizes[l - 1]! * sizes[l]!
    return e <= MAX_EDGES || `a network has at most ${MAX_EDGES} weights in all (this one has ${e})`
  })
)
export type NetShape = typeof NetShape.Type

const formatIssue = SchemaIssue.makeFormatterDefault()

/** Decode an unknown value as a NetShape, naming the offending entry on failure. */
export const decodeNetShape = (input: unknown, source = "shape"): Result.Result<NetShape, InvalidInput> => {
  const r = Schema.decodeUnknownResult(NetShape)(input, { errors: "all" })
  return Result.isSuccess(r)
    ? Result.succeed(r.success)
    : Result.fail(new InvalidInput({ source, message: `invalid ${source} ${quoteValue(input)}: ${formatIssue(r.failure.issue)}` }))
}

/** Number of weight layers N. */
export const depth = (shape: NetShape): number => shape.length - 1

/** Edges (weights) of weight layer l (1-based): n_(l-1) · n_l. */
const edgesOfLayer = (shape: NetShape, l: number): number => shape[l - 1]! * shape[l]!

/** Total number of edges over all weight layers. */
export const totalEdges = (shape: NetShape): number => {
  let e = 0
  for (let l = 1; l < shape.length; l++) e += edgesOfLayer(shape, l)
  return e
}

