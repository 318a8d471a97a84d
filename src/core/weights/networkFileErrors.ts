import { Data } from "effect"

/**
 * A weight file cannot be read as its format: it is missing or unreadable (`unreadable`), not of
 * the format (`format`), cut short (`truncated`), its header disagrees with its data or an
 * archive's sizes lie (`header`), it holds a dtype hyperlayers does not read (`dtype`), or it holds
 * or unpacks to more than a weight file may (`too-large`, see `weightFileLimits.ts`). `tensor`
 * names the tensor (or archive member) concerned where there is one.
 */
export class WeightFileError extends Data.TaggedError("WeightFileError")<{
  readonly message: string
  readonly file: string
  readonly tensor?: string
  readonly problem: "unreadable" | "format" | "truncated" | "header" | "dtype" | "too-large"
}> {}

/**
 * The tensors of a weight file were read but are not an MLP hyperlayers can analyse: a name it does
 * not recognise, a weight without its bias (or a bias without its weight), a tensor of the wrong
 * rank, layers whose sizes do not chain, or a shape beyond the library's limits.
 */
export class NetworkLayoutError extends Data.TaggedError("NetworkLayoutError")<{
  readonly message: string
  readonly file: string
  readonly tensor?: string
  readonly problem: "empty" | "unrecognised-name" | "missing-bias" | "missing-weight" | "rank" | "unchained" | "shape"
}> {}

/**
 * A weight file holds NaN or infinite weights (a diverged training run, say). Such a network is
 * reported as such and never classified. `tensor` is the first tensor with one; the counts are
 * over the whole file; `overflow` counts float64 values too large for float32.
 */
export class NonFiniteWeights extends Data.TaggedError("NonFiniteWeights")<{
  readonly message: string
  readonly file: string
  readonly tensor: string
  readonly nan: number
  readonly positiveInfinity: number
  readonly negativeInfinity: number
  readonly overflow: number
}> {}

/** Everything that can go wrong reading a network from a file. */
export type LoadNetworkError = WeightFileError | NetworkLayoutError | NonFiniteWeights
