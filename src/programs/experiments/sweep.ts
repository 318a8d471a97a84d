import { Effect } from "effect"
import { logBetaGrid } from "../../core/run/index.js"
import { NonFiniteValues } from "../../core/base/schemas.js"
import type { Thresholds } from "../../core/network/schemas.js"
import type { SweepSettings } from "../../core/run/index.js"
import { SweepResult } from "../../core/run/index.js"
import { formatNumber } from "../../core/base/schemas.js"
import { Progress } from "../../services/console/index.js"
import { RunStore, type CheckpointFile } from "../../services/store/index.js"
import { disposeModel, evaluateBetas, modelFromCheckpoint, seedList } from "../training/index.js"
import { runCheckpoints } from "../training/index.js"

/** Every `every`-th checkpoint, always with the first and the last. */
const pickCheckpoints = (all: ReadonlyArray<CheckpointFile>, every: number): ReadonlyArray<CheckpointFile> =>
  all.filter((_, k) => k % every === 0 || k === all.length - 1)

/**
 * The sweep (§2; ARCHITECTURE.md, "Experiments"): for each checkpoint and each β of a log-spaced grid, generate networks
 * with every generation seed and record mean loss, KL, α1–α3 and the class. Writes `sweep.json`.
 * A checkpoint that generates a network with NaN or infinite loss, KL or weights fails the sweep
 * with NonFiniteValues naming it, its step, β and seed (such a network has no loss or algorithm,
 * and a JSON result cannot hold NaN); nothing is written then.
 */
export const sweep = (runDir: string, settings: SweepSettings, thresholds?: Thresholds) =>
  Effect.gen(function* () {
    const store = yield* RunStore
    const progress = yield* Progress
    const checkpoints = pickCheckpoints(yield* runCheckpoints(runDir), settings.everyCheckpoint)
    const logBetas = logBetaGrid(settings.betas, settings.logBetaMin, settings.logBetaMax)
    const rows: Array<SweepResult["rows"][number]> = []
    for (const [k, c] of checkpoints.entries()) {
      const summaries = yield* Effect.scoped(Effect.gen(function* () {
        const model = yield* Effect.acquireRelease(modelFromCheckpoint(yield* store.readCheckpoint(c.path)), (m) => Effect.sync(() => disposeModel(m)))
        return yield* evaluateBetas(model, model.config.shape, "encoder", logBetas, seedList(settings.seeds), settings.samples, thresholds)
      })).pipe(Effect.mapError((e) => e._tag === "NonFiniteValues" ? new NonFiniteValues({ source: c.path, message: `sweep of ${c.path} (step ${c.step}): ${e.message}` }) : e))
      for (const s of summaries) rows.push({ step: c.step, ...s })
      const classes = [...new Set(summaries.map((s) => s.algorithm))].join("/")
      yield* progress.update("sweep", { done: k + 1, total: checkpoints.length, detail: `step ${c.step}: ${classes}, loss at β=1e${logBetas[0]} ${formatNumber(summaries[0]!.loss)}` })
    }
    const result: SweepResult = { seeds: settings.seeds, samples: settings.samples, rows }
    yield* store.writeJson(store.join(runDir, "sweep.json"), SweepResult, result)
    yield* progress.finish("sweep", `${checkpoints.length} checkpoints × ${logBetas.length} β`)
    return result
  })
