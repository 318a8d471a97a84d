import { Effect } from "effect"
import type { Checkpoint } from "../../core/run/index.js"
import { lineStep, withoutTiming } from "../../core/run/index.js"
import { RunSummary } from "../../core/run/index.js"
import { valueDifferences } from "../../core/run/index.js"
import { RunManifest } from "../../core/run/index.js"
import { RESUMABLE_FIELDS } from "../../core/run/index.js"
import { withKernels } from "../../services/backend/index.js"
import { KERNELS_KEY, LATEST_KERNELS, recordedKernels } from "../../services/backend/index.js"
import { seededRngLayer } from "../../services/rng/index.js"
import { RunStore } from "../../services/store/index.js"
import { runRecorded } from "./experiment.js"
import { Experiments } from "./registry.js"
import { report, runSummary } from "./report.js"
import { train } from "../training/index.js"
import { quoteValue } from "../../core/base/schemas.js"

export interface ReplayResult {
  readonly replayDir: string
  readonly identical: boolean
  /** What was compared, and what differed. */
  readonly compared: ReadonlyArray<string>
  readonly differences: ReadonlyArray<string>
  /** What is worth knowing but is no difference (e.g. the original's `summary.json` is older than its results). */
  readonly notes: ReadonlyArray<string>
}

/** The first index where two float arrays differ, or −1 (bitwise, NaN equal to NaN). */
const firstDifference = (a: Float32Array, b: Float32Array): number => {
  if (a.length !== b.length) return 0
  for (let k = 0; k < a.length; k++) if (!Object.is(a[k], b[k])) return k
  return -1
}

/** A checkpoint's state apart from its tensors, as replays must reproduce it. */
const stateOf = (c: Checkpoint) => {
  const config: Record<string, unknown> = { ...c.config }
  for (const k of RESUMABLE_FIELDS) delete config[k]
  // the log's digest covers its rows' timings; the rows are compared without them
  return { step: c.step, config, rng: c.rng, optimizer: c.optimizer, logRows: c.log?.rows, logWindow: c.log?.window }
}

const show = (v: unknown) => (v === undefined ? "absent" : quoteValue(v, 200))

/**
 * Re-run a run from its manifest (same settings, root seed and, as the caller ensures, backend)
 * into `replayDir`, then compare every checkpoint bit for bit (tensors, RNG counters, optimizer
 * and metrics state), every row of `metrics.jsonl` (timings aside) and every result table exactly.
 *
 * Training writes checkpoints and rows at the original's steps, so a run that was interrupted,
 * resumed or extended replays to the same files. Each registered experiment whose result file the
 * original holds (`sweep.json`, `ablation.json`, `generalization.json`, `baseline.json`, a
 * researcher's own), and `summary.json`, is re-run with the settings its manifest records (the
 * experiment's defaults where it records none), whether it ran within `reproduce` or later on its own. Every phase draws from a fresh Rng seeded with the
 * manifest's root seed, as the command line gives each command. The original's checkpoints and
 * log are checked as every reader checks them (an edited file is an error, not a difference).
 */
export const replay = (runDir: string, replayDir: string) =>
  Effect.gen(function* () {
    const store = yield* RunStore
    const manifest = yield* store.readJson(store.join(runDir, "manifest.json"), RunManifest)
    // the kernels the run was made with (none recorded: before versions were, version 1)
    const kernels = recordedKernels(manifest.versions)
    if (kernels === undefined) {
      const made = manifest.versions[KERNELS_KEY]
      return {
        replayDir, identical: false, compared: [], notes: [],
        differences: [`the run was made with kernel version ${made}, which this code does not have (it has versions 1 to ${LATEST_KERNELS}): its numbers cannot be reproduced here`]
      } satisfies ReplayResult
    }
    const result = yield* withKernels(kernels, replayWith(runDir, replayDir, manifest))
    return kernels === LATEST_KERNELS ? result : {
      ...result,
      notes: [...result.notes, `replayed with kernel version ${kernels}, the one the run was made with (new runs use version ${LATEST_KERNELS}, whose float rounding differs)`]
    }
  })

const replayWith = (runDir: string, replayDir: string, manifest: RunManifest) =>
  Effect.gen(function* () {
    const store = yield* RunStore
    const seeded = Effect.provide(seededRngLayer(manifest.rootSeed))
    const originals = yield* store.listCheckpoints(runDir)
    // every checkpoint of the original read whole (an edited one is an error) before the re-run
    // spends its time, not after
    for (const o of originals) yield* store.readCheckpoint(o.path)
    const lastOriginal = originals[originals.length - 1]
    const originalRows = lastOriginal === undefined ? [] : yield* store.metricsAt(runDir, yield* store.readCheckpoint(lastOriginal.path), lastOriginal.path)
    // replay as far as the original got (it may have been stopped early), writing what it wrote
    const steps = lastOriginal === undefined ? manifest.config.steps : lastOriginal.step
    const config = { ...manifest.config, steps }
    yield* train({
      runDir: replayDir, config, resume: false, command: manifest.command,
      ...(manifest.preset === undefined ? {} : { preset: manifest.preset }),
      ...(manifest.experiments === undefined ? {} : { experiments: manifest.experiments }),
      ...(lastOriginal === undefined ? {} : { schedule: { checkpoints: originals.map((c) => c.step), rows: originalRows.map((l) => lineStep(l)!) } })
    }).pipe(seeded)
    const has = (file: string) => store.exists(store.join(runDir, file))
    // the replay's manifest records what the original's does, so each experiment runs with the original's settings
    for (const e of yield* experimentsOf(runDir)) yield* runRecorded(e, replayDir).pipe(seeded)
    if (yield* has("summary.json")) yield* report(replayDir).pipe(seeded)
    return yield* compareRuns(runDir, replayDir)
  })

/** The registered experiments whose result file a run holds. */
const experimentsOf = (runDir: string) =>
  Effect.gen(function* () {
    const store = yield* RunStore
    const ran = []
    for (const e of yield* Experiments) if (e.file !== undefined && (yield* store.exists(store.join(runDir, e.file)))) ran.push(e)
    return ran
  })

/**
 * Compare a run with its replay, as {@link replay} does after re-running it: every checkpoint of
 * `runDir` bit for bit with the one of `replayDir` at its step (tensors, RNG counters, optimizer and
 * metrics state), `metrics.jsonl` row by row (timings aside), the result file of every registered
 * experiment that `runDir` holds exactly, and `summary.json` with the summary of the original's
 * results as they stand now. Fails with the store's error on a file that does not read whole.
 */
export const compareRuns = (runDir: string, replayDir: string) =>
  Effect.gen(function* () {
    const store = yield* RunStore
    const has = (file: string) => store.exists(store.join(runDir, file))
    const originals = yield* store.listCheckpoints(runDir)
    const lastOriginal = originals[originals.length - 1]
    const originalRows = lastOriginal === undefined ? [] : yield* store.metricsAt(runDir, yield* store.readCheckpoint(lastOriginal.path), lastOriginal.path)
    const ran = yield* experimentsOf(runDir)
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
      for (const d of valueDifferences(stateOf(a), stateOf(b))) differences.push(`checkpoint ${o.step}: ${d.path} is ${show(d.left)} in the original, ${show(d.right)} in the replay`)
      for (const t of a.tensors) {
        const u = b.tensors.find((x) => x.name === t.name)
        const at = u === undefined ? 0 : firstDifference(t.values, u.values)
        if (at >= 0) differences.push(`checkpoint ${o.step}: ${t.name}[${at}] is ${t.values[at]} in the original, ${u?.values[at]} in the replay`)
      }
    }
    if (lastOriginal !== undefined) {
      compared.push("metrics.jsonl")
      const text = yield* store.readText(store.join(replayDir, "metrics.jsonl"))
      const replayRows = text.split("\n").filter((l) => lineStep(l) !== undefined)
      if (replayRows.length !== originalRows.length) differences.push(`metrics.jsonl: ${originalRows.length} rows in the original, ${replayRows.length} in the replay`)
      originalRows.forEach((line, k) => {
        const other = replayRows[k]
        if (other !== undefined && withoutTiming(line) !== withoutTiming(other)) {
          differences.push(`metrics.jsonl row ${k + 1} (step ${lineStep(line)}): ${withoutTiming(line)} in the original, ${withoutTiming(other)} in the replay`)
        }
      })
    }
    for (const e of ran) {
      const file = e.file!
      compared.push(file)
      const [a, b] = [yield* store.readJson(store.join(runDir, file), e.result), yield* store.readJson(store.join(replayDir, file), e.result)]
      if (JSON.stringify(a) !== JSON.stringify(b)) differences.push(`${file} differs`)
    }
    // summary.json is derived from the result files: the replay's is compared with the summary of
    // the original's results as they stand now (an experiment run after `report` leaves the stored
    // one behind, which is no failure to reproduce)
    const notes: Array<string> = []
    if (yield* has("summary.json")) {
      compared.push("summary.json")
      const current = yield* runSummary(runDir)
      const replayed = yield* store.readJson(store.join(replayDir, "summary.json"), RunSummary)
      if (JSON.stringify(current) !== JSON.stringify(replayed)) differences.push("summary.json differs")
      const stored = yield* store.readJson(store.join(runDir, "summary.json"), RunSummary)
      if (JSON.stringify(stored) !== JSON.stringify(current)) {
        notes.push(`the original's summary.json is older than its results (run \`hyperlayers report ${runDir}\` to refresh it); its results' summary was compared instead`)
      }
    }
    return { replayDir, identical: differences.length === 0, compared, differences, notes } satisfies ReplayResult
  })
