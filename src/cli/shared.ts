import { NodeServices } from "@effect/platform-node"
import { Effect, Layer, Option, type Scope } from "effect"
import { Flag } from "effect/cli"
import { type Backend, backendLayer, BackendRequest, type BackendUnavailable } from "../services/Backend.js"
import { type Progress, terminalProgressLayer } from "../services/Progress.js"
import { type Rng, RootSeed, type RngStateError, seededRngLayer, systemRngLayer } from "../services/Rng.js"
import { compactLoggingLayer } from "../services/Logging.js"
import { runStoreLayer } from "../services/RunStore.js"

/** `--backend`: which TensorFlow.js backend runs the tensors. */
export const backendFlag = Flag.Literals("backend", BackendRequest.literals).pipe(
  Flag.withDefault("auto" as const),
  Flag.withDescription("TensorFlow.js backend: auto picks tensorflow (if installed), else wasm, else cpu")
)

/** `--seed`: the root seed of the Rng; drawn from the system (and printed) when absent. */
export const seedFlag = Flag.Int("seed").pipe(
  Flag.withSchema(RootSeed),
  Flag.optional,
  Flag.withDescription("root seed of every random draw (default: from the system, printed so the run can be replayed)")
)

/**
 * Provide what a command's program runs with: the chosen backend, an Rng (seeded, or from the
 * system) and terminal progress, for the program's scope.
 */
export const programLayer = (backend: BackendRequest, seed: Option.Option<number>) =>
  <A, E, R>(program: Effect.Effect<A, E, R>): Effect.Effect<A, E | BackendUnavailable | RngStateError, Exclude<Exclude<R, Backend | Rng | Progress>, Scope.Scope>> =>
    Effect.scoped(Effect.provide(program, Layer.mergeAll(
      backendLayer(backend),
      Option.match(seed, { onNone: () => systemRngLayer, onSome: seededRngLayer }),
      terminalProgressLayer
    )))

/** The run store on the local file system, for the whole command line. */
export const cliServices = Layer.merge(Layer.provideMerge(runStoreLayer, NodeServices.layer), compactLoggingLayer)
