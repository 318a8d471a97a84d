import * as NodeServices from "@effect/platform-node/NodeServices"
import { Layer } from "effect"
import type { Components } from "../../layers/blocks/index.js"
import { Backend, type BackendRequest } from "../backend/index.js"
import { Progress } from "../console/index.js"
import { registryLayer } from "../registry/index.js"
import { Rng } from "../rng/index.js"
import { RunStore } from "../store/index.js"

/** What {@link Hyperlayers.layer} provides, and how. */
export interface HyperlayersOptions {
  /** The TensorFlow.js backend (default `auto`: tensorflow if installed, else wasm, else cpu). */
  readonly backend?: BackendRequest
  /** The root seed of every random draw (default: one from the system, logged so the run can be replayed). */
  readonly seed?: number
  /** Progress of long work: `silent` (default, for code) or `terminal` (one redrawn line on stderr). */
  readonly progress?: "silent" | "terminal"
  /** A researcher's own blocks and tasks, by name, beside the built-in ones (see `registryLayer`). */
  readonly components?: Partial<Components>
}

/**
 * One layer that gives a program everything the library's programs need: the tensor backend, the
 * Rng, the run store on this machine's files (with Node's FileSystem and Path), progress, and the
 * registry of blocks and tasks.
 *
 *     await Effect.runPromise(train({ runDir, config, resume: false }).pipe(Effect.provide(Hyperlayers.layer({ backend: "wasm", seed: 7 }))))
 *
 * Fails with `BackendUnavailable` when the backend asked for cannot load and `RngStateError` for a
 * seed that is not an integer in [0, 2^53).
 */
export const Hyperlayers = {
  layer: (options: HyperlayersOptions = {}) =>
    Layer.mergeAll(
      Backend.layer(options.backend ?? "auto"),
      options.seed === undefined ? Rng.layerSystem : Rng.layerSeeded(options.seed),
      options.progress === "terminal" ? Progress.layerTerminal : Progress.layerSilent,
      registryLayer(options.components ?? {}),
      RunStore.layer.pipe(Layer.provideMerge(NodeServices.layer))
    )
} as const
