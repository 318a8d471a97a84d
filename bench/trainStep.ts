/**
 * `npm run bench`: time training steps of the canonical configuration (DESIGN §5) on every
 * available backend. Per backend it prints where the time goes (kernels of one profiled step) and
 * a final JSON line {"backend", "P", "ms_per_step" (the median step), "steps", "tensors_after", "rss_mb"},
 * for webgpu with its "adapter"; at the end, each backend's step time over wasm's. webgpu runs
 * wherever Dawn finds an adapter, a software one too (named as such: a CPU doing the GPU's work).
 *
 *     npm run bench -- [--steps N] [--backends webgpu,wasm,cpu,tensorflow] [--threads 1,2]
 */
import { availableParallelism } from "node:os"
import * as tf from "@tensorflow/tfjs"
import { Effect, Layer, Result } from "effect"
import { canonicalTrainConfig } from "../src/core/trainConfig.js"
import { disposeTrainer, initTrainer, trainStep } from "../src/programs/trainer.js"
import { startWorkerPool } from "../src/programs/workerPool.js"
import { Backend, backendLayer, type BackendName, describeAdapter } from "../src/services/Backend.js"
import { type Rng, seededRngLayer } from "../src/services/Rng.js"

const arg = (name: string): string | undefined => {
  const k = process.argv.indexOf(`--${name}`)
  return k >= 0 ? process.argv[k + 1] : undefined
}
const backends = (arg("backends") ?? "webgpu,wasm,cpu,tensorflow").split(",") as Array<BackendName>
const requestedSteps = arg("steps")
const threadCounts = (arg("threads") ?? `1,${Math.min(2, availableParallelism())}`).split(",").map(Number).filter((n, k, all) => all.indexOf(n) === k)
const WARMUP = 3

const bench = (name: BackendName, threads: number) => Effect.gen(function* () {
  const backend = yield* Backend
  const config = { ...canonicalTrainConfig(1), threads }
  const trainer = yield* initTrainer(config)
  const pool = threads > 1 && backend.name !== "webgpu" ? yield* startWorkerPool(threads - 1, backend.name) : undefined
  if (backend.adapter !== undefined) console.log(`\nwebgpu adapter: ${describeAdapter(backend.adapter)}`)
  // the slow ones (plain JavaScript, or a CPU standing in for a GPU) get a few steps
  const slow = name === "cpu" || backend.adapter?.software === true
  const steps = requestedSteps === undefined ? (slow ? 3 : 20) : Number(requestedSteps)
  for (let s = 0; s < WARMUP; s++) yield* trainStep(trainer, pool)
  const before = tf.memory().numTensors
  // the median step: a shared machine's other load shows up as a few slow steps
  const times: Array<number> = []
  for (let s = 0; s < steps; s++) {
    const t0 = performance.now()
    yield* trainStep(trainer, pool)
    times.push(performance.now() - t0)
  }
  times.sort((a, b) => a - b)
  const msPerStep = times[Math.floor(steps / 2)]!
  const tensorsAfter = tf.memory().numTensors - before
  // where the time goes: kernels of one more step, by total time
  const services = yield* Effect.context<Rng>()
  const profile = yield* Effect.promise(() => tf.profile(async () => {
    await Effect.runPromise(Effect.provideContext(trainStep(trainer), services))
  }))
  const label = threads > 1 ? `${backend.name}, ${threads} threads` : backend.name
  const byKernel = new Map<string, { ms: number; calls: number }>()
  // a GPU without timestamp queries times no kernel (0 or { error } instead of its time)
  const timed = profile.kernels.every((k) => typeof k.kernelTimeMs === "number") && profile.kernels.some((k) => Number(k.kernelTimeMs) > 0)
  for (const k of timed ? profile.kernels : []) {
    const e = byKernel.get(k.name) ?? { ms: 0, calls: 0 }
    e.ms += Number(k.kernelTimeMs)
    e.calls += 1
    byKernel.set(k.name, e)
  }
  const total = [...byKernel.values()].reduce((a, e) => a + e.ms, 0)
  console.log(`\n${label}: ${msPerStep.toFixed(1)} ms/step (median of ${steps} steps, fastest ${times[0]!.toFixed(1)}); ` +
    (timed ? `one profiled single-thread step spends ${total.toFixed(0)} ms in ${profile.kernels.length} kernels:` : `one step runs ${profile.kernels.length} kernels (this adapter times none)`))
  for (const [kernel, e] of [...byKernel.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 8)) {
    console.log(`  ${kernel.padEnd(14)} ${e.ms.toFixed(1).padStart(7)} ms ${((100 * e.ms) / total).toFixed(0).padStart(3)}%  ${String(e.calls).padStart(5)} calls`)
  }
  // the matrix products by operand shapes: attention pools `[B·S·n, s, ·]`, linear maps `[B, E, F]`
  const byShape = new Map<string, { ms: number; calls: number }>()
  for (const k of timed ? profile.kernels.filter((k) => k.name === "BatchMatMul") : []) {
    const key = k.inputShapes.map((s) => `[${s?.join(",")}]`).join("·")
    const e = byShape.get(key) ?? { ms: 0, calls: 0 }
    e.ms += Number(k.kernelTimeMs)
    e.calls += 1
    byShape.set(key, e)
  }
  if (timed) console.log("  slowest products:")
  for (const [shapes, e] of [...byShape.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 5)) {
    console.log(`    ${shapes.padEnd(28)} ${e.ms.toFixed(1).padStart(7)} ms  ${String(e.calls).padStart(5)} calls`)
  }
  disposeTrainer(trainer)
  console.log(JSON.stringify({
    backend: backend.name, threads, P: trainer.run.layout.size, ms_per_step: Number(msPerStep.toFixed(1)), steps,
    tensors_after: tensorsAfter, rss_mb: Math.round(process.memoryUsage().rss / 2 ** 20),
    ...(backend.adapter === undefined ? {} : { adapter: describeAdapter(backend.adapter) })
  }))
  return { label, msPerStep }
})

const timings: Array<{ label: string; msPerStep: number }> = []
for (const name of backends) {
  for (const threads of name === "cpu" || name === "webgpu" ? [1] : threadCounts) {
    const r = await Effect.runPromise(Effect.result(Effect.scoped(bench(name, threads)).pipe(Effect.provide(Layer.merge(backendLayer(name), seededRngLayer(1))))))
    if (Result.isFailure(r)) {
      console.log(`\n${name}: skipped (${(r.failure as { message?: string }).message ?? String(r.failure)})`)
      break
    }
    timings.push(r.success)
  }
}
const wasm = timings.find((t) => t.label === "wasm")
if (wasm !== undefined && timings.length > 1) {
  console.log(`\nstep time over wasm's (one thread, ${wasm.msPerStep.toFixed(1)} ms): ${timings.filter((t) => t !== wasm).map((t) => `${t.label} ${(t.msPerStep / wasm.msPerStep).toFixed(2)}×`).join(", ")}`)
}
