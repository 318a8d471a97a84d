import { Effect } from "effect"

/**
 * A module loaded when a program runs, not when the module that names it loads: `load(() =>
 * import("…"))`. What a command line or a light face (ARCHITECTURE.md, "Groups and faces") reads
 * before it loads TensorFlow.js names heavy modules this way (dynamic imports are outside the
 * static import graph that `test/cliStartup.test.ts` and `test/architecture.test.ts` check).
 */
export const load = <M>(module: () => Promise<M>): Effect.Effect<M> => Effect.promise(module)
