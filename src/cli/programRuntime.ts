import { Effect, Layer, Option, type Scope } from "effect"
import { type Backend, backendLayer, type BackendUnavailable } from "../services/backend/index.js"
import type { BackendRequest } from "../services/backend/schemas.js"
import { type Progress, terminalProgressLayer } from "../services/console/index.js"
import { type Rng, type RngStateError, seededRngLayer, systemRngLayer } from "../services/rng/index.js"

/**
 * What a command's program runs with: the chosen backend, an Rng (seeded, or from the system) and
 * terminal progress, for the program's scope. Loaded by `programLayer` (shared.ts) only when a
 * command runs, since it brings in TensorFlow.js.
 */
export const provideProgram = <A, E, R>(backend: BackendRequest, seed: Option.Option<number>, program: Effect.Effect<A, E, R>): Effect.Effect<A, E | BackendUnavailable | RngStateError, Exclude<Exclude<R, Backend | Rng | Progress>, Scope.Scope>> =>
  Effect.scoped(Effect.provide(program, Layer.mergeAll(
    backendLayer(backend),
    Option.match(seed, { onNone: () => systemRngLayer, onSome: seededRngLayer }),
    terminalProgressLayer
  )))
