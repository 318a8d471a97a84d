import { Effect, Schema } from "effect"
import { AblationResult, BaselineResult, GeneralizationResult, RunSummary, SweepResult } from "../core/results.js"
import { RunManifest } from "../core/runManifest.js"
import { RunStore } from "../services/RunStore.js"
import { reproduce } from "./reproduce.js"
import { train } from "./train.js"

export interface ReplayResult {
  readonly replayDir: string
  readonly identical: boolean
  /** What was compared, and what differed. */
  readonly compared: ReadonlyArray<string>
  readonly differences: ReadonlyArray<string>
}

/** The first index where two float arrays differ, or −1 (bitwise, NaN equal to NaN). */
const firstDifference = (a: Float32Array, b: Float32Array): number => {
  if (a.length !== b.length) return 0
  for (let k = 0; k < a.length; k++) if (!Object.is(a[k], b[k])) return k
  return -1
}

/**
 * Re-run a run from its manifest (same settings, root seed and, as the caller ensures, backend)
 * into `replayDir`, then compare every checkpoint bit for bit and every result table exactly.
 */
export const replay = (runDir: string, replayDir: string) =>
  Effect.gen(function* () {
    const store = yield* RunStore
    const manifest = yield* store.readJson(store.join(runDir, "manifest.json"), RunManifest)
    const originals = yield* store.listCheckpoints(runDir)
    // replay as far as the original got (it may have been stopped early)
    const steps = originals.length === 0 ? manifest.config.steps : originals[originals.length - 1]!.step
    const config = { ...manifest.config, steps }
    if (manifest.experiments === undefined) {
      yield* train({ runDir: replayDir, config, resume: false, command: manifest.command })
    } else {
      yield* reproduce({ runDir: replayDir, config, experiments: manifest.experiments, resume: false, ...(manifest.preset === undefined ? {} : { preset: manifest.preset }) })
    }
    const compared: Array<string> = []
    const differences: Array<string> = []
    const replayed = yield* store.listCheckpoints(replayDir)
    if (replayed.map((c) => c.step).join() !== originals.map((c) => c.step).join()) {
      differences.push(`checkpoint steps differ: [${originals.map((c) => c.step).join(", ")}] vs [${replayed.map((c) => c.step).join(", ")}]`)
    }
    for (const o of originals) {
      const r = replayed.find((c) => c.step === o.step)
      if (r === undefined) continue
      const [a, b] = [yield* store.readCheckpoint(o.path), yield* store.readCheckpoint(r.path)]
      compared.push(`checkpoint ${o.step}`)
      for (const t of a.tensors) {
        const u = b.tensors.find((x) => x.name === t.name)
        const at = u === undefined ? 0 : firstDifference(t.values, u.values)
        if (at >= 0) differences.push(`checkpoint ${o.step}: ${t.name}[${at}] is ${t.values[at]} in the original, ${u?.values[at]} in the replay`)
      }
    }
    const tables: ReadonlyArray<readonly [string, Schema.Codec<unknown, unknown>]> = [
      ["sweep.json", SweepResult as Schema.Codec<unknown, unknown>], ["ablation.json", AblationResult as Schema.Codec<unknown, unknown>],
      ["generalization.json", GeneralizationResult as Schema.Codec<unknown, unknown>], ["baseline.json", BaselineResult as Schema.Codec<unknown, unknown>],
      ["summary.json", RunSummary as Schema.Codec<unknown, unknown>]
    ]
    for (const [file, schema] of tables) {
      const original = store.join(runDir, file)
      if (!(yield* store.exists(original))) continue
      compared.push(file)
      const [a, b] = [yield* store.readJson(original, schema), yield* store.readJson(store.join(replayDir, file), schema)]
      if (JSON.stringify(a) !== JSON.stringify(b)) differences.push(`${file} differs`)
    }
    return { replayDir, identical: differences.length === 0, compared, differences } satisfies ReplayResult
  })
