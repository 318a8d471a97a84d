import { Data, Result, Schema, SchemaIssue } from "effect"
import type { BlockSpec } from "../../core/hypernetwork/index.js"
import type { Block } from "./block.js"
import { cutList, cutText, quoteValue } from "../../core/base/schemas.js"

/** A hypernetwork spec (or a stack built in code) is not a valid hypernetwork; `message` says where. */
export class HypernetworkSpecError extends Data.TaggedError("HypernetworkSpecError")<{ readonly message: string }> {}

/** A spec or checkpoint names a block kind or task that no definition is registered for. */
export class UnknownComponent extends Data.TaggedError("UnknownComponent")<{
  readonly message: string
  readonly component: "block" | "task"
  readonly name: string
  readonly known: ReadonlyArray<string>
}> {}

/**
 * How to build one kind of block from its spec: the kind's name, a description, and a builder
 * that decodes the spec's arguments with the kind's own Schema (unknown arguments refused) and
 * makes the block. Register definitions (see the `Registry` service) so that runs whose specs
 * use the kind can be resumed, swept and replayed.
 */
export interface BlockDefinition {
  readonly kind: string
  readonly description: string
  /** Arguments of a small example block of this kind (property tests build every kind from it). */
  readonly example?: Readonly<Record<string, unknown>>
  /** Build a block from `spec` (whose `kind` is this one); `where` names it in errors. */
  readonly build: (spec: BlockSpec, where: string) => Result.Result<Block, HypernetworkSpecError>
}

const formatIssue = SchemaIssue.makeFormatterStandardSchemaV1()

/**
 * Define a block kind. `args` is a Schema of the kind's arguments (everything in the spec but
 * `kind` and `name`); `make` builds the block from decoded arguments and the spec's name (undefined
 * when the spec gives none: use the kind's default name). The block's own `spec` must describe it,
 * so that a stack built in code converts back to the same spec.
 *
 * @example
 * const scaleBlock = defineBlock({
 *   kind: "scale", description: "multiplies its input by a constant",
 *   args: Schema.Struct({ features: Schema.Int, factor: Schema.Number }),
 *   make: ({ features, factor }, name = "scale") => ({ name, spec: { kind: "scale", name, features, factor }, … })
 * })
 */
export const defineBlock = <A, I>(d: {
  readonly kind: string
  readonly description: string
  readonly example?: Readonly<Record<string, unknown>>
  readonly args: Schema.Codec<A, I>
  readonly make: (args: A, name: string | undefined) => Block
}): BlockDefinition => ({
  kind: d.kind,
  description: d.description,
  ...(d.example === undefined ? {} : { example: d.example }),
  build: (spec, where) => {
    const { kind: _kind, name, ...args } = spec
    const decoded = Schema.decodeUnknownResult(d.args)(args, { errors: "all", onExcessProperty: "error" })
    if (Result.isFailure(decoded)) {
      const problems = formatIssue(decoded.failure.issue).issues.map((i) => `${i.path === undefined || i.path.length === 0 ? "" : `${i.path.map((p) => cutText(String(p))).join(".")}: `}${i.message}`)
      return Result.fail(new HypernetworkSpecError({ message: `${where} (kind ${quoteValue(d.kind)}): ${cutList(problems, "; ")}` }))
    }
    return Result.succeed(d.make(decoded.success, name))
  }
})
