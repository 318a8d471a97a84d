import { Effect } from "effect"
import { RunStore } from "../../services/store/index.js"
import { disposeModel, modelFromCheckpoint } from "./evaluate.js"
import { RunError } from "../../core/base/schemas.js"

/** The checkpoints of a run, or an error saying there are none. */
export const runCheckpoints = (runDir: string) => Effect.gen(function* () {
  const list = yield* (yield* RunStore).listCheckpoints(runDir)
  if (list.length === 0) return yield* new RunError({ message: `${runDir} holds no checkpoints: train first (hyperlayers train --out ${runDir})` })
  return list
})

/** The model of a run's last checkpoint and its step, disposed when the scope closes. */
export const lastModel = (runDir: string) => Effect.gen(function* () {
  const store = yield* RunStore
  const list = yield* runCheckpoints(runDir)
  const last = list[list.length - 1]!
  const checkpoint = yield* store.readCheckpoint(last.path)
  const model = yield* Effect.acquireRelease(modelFromCheckpoint(checkpoint), (m) => Effect.sync(() => disposeModel(m)))
  return { model, step: last.step }
})
