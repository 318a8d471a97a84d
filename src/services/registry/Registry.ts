import { Context, Layer } from "effect"
import { builtinComponents, type Components, componentsWith } from "../../layers/blocks/index.js"

/**
 * The registry of block kinds and tasks, by name. Every program that reads a run (train, resume,
 * sweep, ablate, generalize, baseline, draw, report, replay) rebuilds its hypernetwork and task
 * from the names stored in it through this service. It defaults to the built-in components; a
 * researcher's own blocks and tasks are added with {@link registryLayer}.
 */
export const Registry = Context.Reference<Components>("hyperlayers/Registry", { defaultValue: () => builtinComponents })

/**
 * The built-in components plus `extra` (an extra entry with a built-in's name replaces it), as a
 * layer for the programs.
 *
 * @example
 * myProgram.pipe(Effect.provide(registryLayer({ blocks: [scaleDefinition], tasks: [myTask] })))
 */
export const registryLayer = (extra: Partial<Components>): Layer.Layer<never> => Layer.succeed(Registry, componentsWith(extra))
