import * as NodeServices from "@effect/platform-node/NodeServices"
import { Effect, Layer, type Option, type Scope } from "effect"
import { Flag } from "effect/cli"
import type { Backend, BackendUnavailable } from "../services/backend/index.js"
import { BackendRequest } from "../services/backend/schemas.js"
import type { Progress } from "../services/console/index.js"
import type { Rng, RngStateError } from "../services/rng/index.js"
import { RootSeed } from "../services/rng/schemas.js"
import { compactLoggingLayer } from "../services/console/index.js"
import { runStoreLayer } from "../services/store/index.js"
import { load } from "../core/base/schemas.js"

/**
 * What every command shares. This module and the command definitions stay light (no
 * TensorFlow.js, vega, PostgreSQL client or wabt), so that `--help` and argument errors answer at
 * once; a command loads what it needs with {@link load} when it runs.
 */

/** A module loaded when a command runs, not when the command line starts (see `load` in core/base). */
export { load }

/** `--backend`: which TensorFlow.js backend runs the tensors. */
export const backendFlag = Flag.Literals("backend", BackendRequest.literals).pipe(
  Flag.withDefault("auto" as const),
  Flag.withDescription("TensorFlow.js backend: auto picks tensorflow (if installed), else webgpu on a GPU, else wasm, else cpu; webgpu by name also runs on a software adapter (default auto)")
)

/** `--seed`: the root seed of the Rng; drawn from the system (and printed) when absent. */
export const seedFlag = Flag.Int("seed").pipe(
  Flag.withSchema(RootSeed),
  Flag.optional,
  Flag.withDescription("root seed of every random draw (default: from the system, printed so the run can be replayed)")
)

/**
 * Provide what a command's program runs with: the chosen backend, an Rng (seeded, or from the
 * system) and terminal progress, for the program's scope (loaded when the command runs).
 */
export const programLayer = (backend: BackendRequest, seed: Option.Option<number>) =>
  <A, E, R>(program: Effect.Effect<A, E, R>): Effect.Effect<A, E | BackendUnavailable | RngStateError, Exclude<Exclude<R, Backend | Rng | Progress>, Scope.Scope>> =>
    Effect.flatMap(load(() => import("./programRuntime.js")), (m) => m.provideProgram(backend, seed, program))

/** The run store on the local file system, for the whole command line. */
export const cliServices = Layer.merge(Layer.provideMerge(runStoreLayer, NodeServices.layer), compactLoggingLayer)
