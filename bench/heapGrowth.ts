/**
 * `npm run bench:heap`: does a long training run hold flat memory? Trains a tiny configuration
 * (`[3, 4, 1]`, 2 β × 32 samples, hyperdepth 3) for many steps through the `train` program (metrics,
 * checkpoints, progress and all) and, every 1,000 steps, forces full garbage collections and reads
 * the live JS heap. Prints one line per sample and a final JSON line
 * {"backend", "steps", "heap_growth_kb_per_1000_steps" (least-squares slope over the samples after
 * the warm-up), "heap_mb_first", "heap_mb_last", "rss_mb_first", "rss_mb_last", "ms_per_step"}.
 *
 *     npm run bench:heap -- [--steps 10000] [--backend wasm|cpu] [--warmup 2000]
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import { NodeServices } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import { paperHypernetworkSpec } from "../src/core/hypernetwork/paperHypernetworkSpec.js"
import { canonicalTrainConfig } from "../src/core/run/trainConfig.js"
import { train } from "../src/programs/training/train.js"
import { backendLayer, type BackendName } from "../src/services/backend/Backend.js"
import { Progress } from "../src/services/console/Progress.js"
import { seededRngLayer } from "../src/services/rng/Rng.js"
import { runStoreLayer } from "../src/services/store/RunStore.js"

const arg = (name: string): string | undefined => {
  const k = process.argv.indexOf(`--${name}`)
  return k >= 0 ? process.argv[k + 1] : undefined
}
const steps = Number(arg("steps") ?? 10_000)
const warmup = Number(arg("warmup") ?? 2_000)
const backend = (arg("backend") ?? "wasm") as BackendName
const EVERY = 1_000

setFlagsFromString("--expose-gc")
const gc = runInNewContext("gc") as () => void
/** Live heap after full collections (several: finalizers and weak maps free in later rounds). */
const liveHeap = (): number => {
  for (let k = 0; k < 4; k++) gc()
  return process.memoryUsage().heapUsed
}

interface Sample { readonly step: number; readonly heap: number; readonly rss: number; readonly at: number }
const samples: Array<Sample> = []

// the train program reports each metrics row to Progress: sample memory there, every 1,000 steps
const sampling = Layer.succeed(Progress, Progress.of({
  update: (_task, u) => Effect.sync(() => {
    if (u.done % EVERY !== 0) return
    const s = { step: u.done, heap: liveHeap(), rss: process.memoryUsage().rss, at: performance.now() }
    samples.push(s)
    console.log(`step ${String(s.step).padStart(6)}: heap ${(s.heap / 2 ** 20).toFixed(2)} MB, rss ${(s.rss / 2 ** 20).toFixed(0)} MB`)
  }),
  finish: () => Effect.void
}))

const runDir = mkdtempSync(join(tmpdir(), "hyperlayers-heap-"))
const config = {
  ...canonicalTrainConfig(1), shape: [3, 4, 1], steps, betasPerStep: 2, samplesPerBeta: 32, checkpointEvery: 1_000, logEvery: 10,
  hypernetwork: paperHypernetworkSpec({ activation: 6, position: 2, noise: 2, attentionKey: 2, learned: 2, latent: 2, depth: 3 })
}
try {
  await Effect.runPromise(Effect.scoped(train({ runDir, config, resume: false })).pipe(Effect.provide(Layer.mergeAll(
    backendLayer(backend), seededRngLayer(1), sampling, runStoreLayer.pipe(Layer.provide(NodeServices.layer))))))
} finally {
  rmSync(runDir, { recursive: true, force: true })
}

const fit = samples.filter((s) => s.step >= warmup)
const mean = (xs: ReadonlyArray<number>) => xs.reduce((a, b) => a + b, 0) / xs.length
const [ms, mh] = [mean(fit.map((s) => s.step)), mean(fit.map((s) => s.heap))]
const slope = fit.reduce((a, s) => a + (s.step - ms) * (s.heap - mh), 0) / fit.reduce((a, s) => a + (s.step - ms) ** 2, 0)
const [first, last] = [samples[0]!, samples[samples.length - 1]!]
console.log(JSON.stringify({
  backend, steps,
  heap_growth_kb_per_1000_steps: Number(((slope * EVERY) / 1024).toFixed(1)),
  heap_mb_first: Number((first.heap / 2 ** 20).toFixed(2)), heap_mb_last: Number((last.heap / 2 ** 20).toFixed(2)),
  rss_mb_first: Math.round(first.rss / 2 ** 20), rss_mb_last: Math.round(last.rss / 2 ** 20),
  ms_per_step: Number(((last.at - first.at) / (last.step - first.step)).toFixed(2))
}))
