import { Effect, Layer, Option } from "effect"
import { Flag } from "effect/cli"
import { Backend, backendLayer, BackendRequest } from "../services/Backend.js"
import { Rng, RootSeed, seededRngLayer, systemRngLayer } from "../services/Rng.js"

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

/** The services every command runs with: the chosen backend and a seeded (or system-seeded) Rng. */
export const runtimeLayer = (backend: BackendRequest, seed: Option.Option<number>): Layer.Layer<Backend | Rng, unknown> =>
  Layer.merge(backendLayer(backend), Option.match(seed, { onNone: () => systemRngLayer, onSome: seededRngLayer }))

/** Provide {@link runtimeLayer} to a command's program, scoped to the command. */
export const withRuntime = <A, E, R>(backend: BackendRequest, seed: Option.Option<number>, program: Effect.Effect<A, E, R>) =>
  Effect.scoped(Effect.provide(program, runtimeLayer(backend, seed)))
