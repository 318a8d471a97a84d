import { Data } from "effect"

/** A tensor handed to a constructor does not have the shape the network needs. */
export class WeightShapeError extends Data.TaggedError("WeightShapeError")<{
  readonly message: string
  readonly layer: number
  readonly part: "W" | "b"
  readonly expected: ReadonlyArray<number>
  readonly actual: ReadonlyArray<number>
}> {}

/** Input from outside (a flag, a config file, a checkpoint) failed to decode. */
export class InvalidInput extends Data.TaggedError("InvalidInput")<{
  readonly message: string
  /** What was being decoded: a flag, a file, a field. */
  readonly source: string
}> {}

/** A construction cannot be built for the requested shape. */
export class ConstructionError extends Data.TaggedError("ConstructionError")<{
  readonly message: string
}> {}

/** A run directory or command cannot be used as asked (holds a run already, lacks results, ...). */
export class RunError extends Data.TaggedError("RunError")<{ readonly message: string }> {}

/**
 * Numbers that must be finite are not: a generated network, its loss or KL, or a tensor read from
 * a file holds NaN or ±∞. `source` names where (a checkpoint and β, a tensor); such a network has
 * no algorithm and no loss to report.
 */
export class NonFiniteValues extends Data.TaggedError("NonFiniteValues")<{
  readonly message: string
  readonly source: string
}> {}
