/**
 * `npm run bench`: training-step timings.
 *
 * 1. The wasm backend's kernels before and after (kernel versions 1 and 2, see
 *    `services/kernelVersion`) on the canonical step (`[16, 48, 1]`, 8 β × 256 samples, P = 24,380)
 *    and the quick preset's (`[8, 24, 1]`): two trainers in one process, their steps alternating
 *    (v1, v2, v2, v1, …), so that the machine's drifting speed and other load fall on both alike.
 *    Medians of wall time and of the process's CPU time per step (on a loaded machine the CPU time
 *    is the steadier figure), and their ratios.
 * 2. The same steps in PyTorch (`bench/torch_step.py`, one thread), when `python3 -c "import torch"`
 *    works (Debian: `apt-get install python3-torch`), in turns with the library's, and the ratio
 *    library / PyTorch.
 * 3. Where the time of a version 2 step goes (kernels of profiled canonical steps).
 * 4. The canonical step on every available backend: per backend where the time goes (kernels of one
 *    profiled step) and a final JSON line {"backend", "P", "ms_per_step" (the median step), "steps",
 *    "tensors_after", "rss_mb"}, for webgpu with its "adapter"; at the end, each backend's step time
 *    over wasm's. webgpu runs wherever Dawn finds an adapter, a software one too (named as such: a
 *    CPU doing the GPU's work).
 *
 *     npm run bench -- [--steps N] [--backends webgpu,wasm,cpu,tensorflow] [--threads 1,2] [--rounds 2]
 */
import { execFileSync, spawnSync } from "node:child_process"
import { availableParallelism, loadavg } from "node:os"
import * as tf from "@tensorflow/tfjs"
import { Effect, Layer, Result } from "effect"
import { canonicalTrainConfig, type TrainConfig } from "../src/core/run/trainConfig.js"
import { FUSED_STAGE_SCOPE } from "../src/layers/hypernetwork/fusedStage.js"
import { disposeTrainer, initTrainer, type Trainer, trainStep } from "../src/programs/training/trainer.js"
import { startWorkerPool } from "../src/programs/training/workerPool.js"
import { Backend, backendLayer, type BackendName, describeAdapter } from "../src/services/backend/Backend.js"
import { useKernels } from "../src/services/backend/fastKernels.js"
import { type KernelVersion, LATEST_KERNELS } from "../src/services/backend/kernelVersion.js"
import { type Rng, seededRngLayer } from "../src/services/rng/Rng.js"

const arg = (name: string): string | undefined => {
  const k = process.argv.indexOf(`--${name}`)
  return k >= 0 ? process.argv[k + 1] : undefined
}
const backends = (arg("backends") ?? "webgpu,wasm,cpu,tensorflow").split(",") as Array<BackendName>
const requestedSteps = arg("steps")
const rounds = Number(arg("rounds") ?? 2)
const threadCounts = (arg("threads") ?? `1,${Math.min(2, availableParallelism())}`).split(",").map(Number).filter((n, k, all) => all.indexOf(n) === k)
const WARMUP = 3

const canonical = canonicalTrainConfig(1)
const steps = {
  canonical: { config: canonical, shape: "16,48,1", steps: 10 },
  quick: { config: { ...canonical, shape: [8, 24, 1], learningRate: 2e-3 } as TrainConfig, shape: "8,24,1", steps: 30 }
} as const
type StepName = keyof typeof steps

const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}
const cpuMs = (since: NodeJS.CpuUsage): number => {
  const d = process.cpuUsage(since)
  return (d.user + d.system) / 1000
}

/** One step, timed: wall and CPU milliseconds. */
const timed = (t: Trainer) => Effect.gen(function* () {
  const [w0, c0] = [performance.now(), process.cpuUsage()]
  yield* trainStep(t)
  return { wall: performance.now() - w0, cpu: cpuMs(c0) }
})

/** PyTorch's step, when it is installed: the interpreter that imports torch, or undefined. */
const python = ((): string | undefined => {
  for (const exe of ["python3", "/usr/bin/python3"]) {
    const r = spawnSync(exe, ["-c", "import torch"], { stdio: "ignore" })
    if (r.status === 0) return exe
  }
  return undefined
})()

const torchStep = (name: StepName, count: number): { wall: number; cpu: number; blas: string } | undefined => {
  if (python === undefined) return undefined
  // one thread in PyTorch and in whatever BLAS it loads (OpenBLAS and OpenMP start one per core otherwise)
  const env = { ...process.env, OMP_NUM_THREADS: "1", OPENBLAS_NUM_THREADS: "1", MKL_NUM_THREADS: "1" }
  const out = execFileSync(python, ["bench/torch_step.py", "--shape", steps[name].shape, "--steps", String(count), "--threads", "1"], { encoding: "utf8", env })
  const r = JSON.parse(out.trim().split("\n").pop()!) as { ms_per_step: number; cpu_ms_per_step: number; blas: string }
  return { wall: r.ms_per_step, cpu: r.cpu_ms_per_step, blas: r.blas }
}

/** Kernel versions 1 and 2 alternating on two trainers of `name`, in rounds with PyTorch's step between. */
const versions = (name: StepName) => Effect.gen(function* () {
  const config = steps[name].config
  const count = requestedSteps === undefined ? steps[name].steps : Number(requestedSteps)
  const trainers = { 1: yield* initTrainer(config), 2: yield* initTrainer(config) }
  const times: Record<KernelVersion, Array<{ wall: number; cpu: number }>> = { 1: [], 2: [] }
  const torch: Array<{ wall: number; cpu: number; blas: string }> = []
  for (const v of [1, 2] as const) {
    useKernels(v)
    for (let s = 0; s < WARMUP; s++) yield* trainStep(trainers[v])
  }
  for (let r = 0; r < rounds; r++) {
    for (let s = 0; s < count; s++) {
      for (const v of (s % 2 === 0 ? [1, 2] : [2, 1]) as Array<KernelVersion>) {
        useKernels(v)
        times[v].push(yield* timed(trainers[v]))
      }
    }
    const t = torchStep(name, count)
    if (t !== undefined) torch.push(t)
  }
  useKernels(LATEST_KERNELS)
  disposeTrainer(trainers[1])
  disposeTrainer(trainers[2])
  const [w1, w2] = [median(times[1].map((t) => t.wall)), median(times[2].map((t) => t.wall))]
  const [c1, c2] = [median(times[1].map((t) => t.cpu)), median(times[2].map((t) => t.cpu))]
  const n = times[1].length
  console.log(`${name} [${config.shape.join(", ")}], wasm, one thread, ${n} steps per version alternating: ` +
    `before (kernels v1) ${w1.toFixed(1)} ms wall, ${c1.toFixed(1)} ms CPU; now (v2) ${w2.toFixed(1)} ms wall, ${c2.toFixed(1)} ms CPU; ` +
    `before / now ${(w1 / w2).toFixed(2)}x wall, ${(c1 / c2).toFixed(2)}x CPU`)
  if (torch.length > 0) {
    // each torch round reports its own medians: the median of those
    const [tw, tc] = [median(torch.map((t) => t.wall)), median(torch.map((t) => t.cpu))]
    console.log(`  PyTorch ${torch.length} × ${count} steps, one thread (BLAS: ${torch[0]!.blas}), in turns: ${tw.toFixed(1)} ms wall, ${tc.toFixed(1)} ms CPU; ` +
      `library / PyTorch ${(w2 / tw).toFixed(2)} wall, ${(c2 / tc).toFixed(2)} CPU (before: ${(w1 / tw).toFixed(2)}, ${(c1 / tc).toFixed(2)})`)
  } else console.log("  PyTorch: not installed (apt-get install python3-torch), no comparison")
  console.log(JSON.stringify({
    step: name, shape: config.shape, before_ms: Number(w1.toFixed(1)), now_ms: Number(w2.toFixed(1)), before_cpu_ms: Number(c1.toFixed(1)), now_cpu_ms: Number(c2.toFixed(1)),
    ...(torch.length === 0 ? {} : { torch_ms: median(torch.map((t) => t.wall)), torch_cpu_ms: median(torch.map((t) => t.cpu)) }), steps: n
  }))
})

/** Where a canonical step's time goes: kernels of `count` profiled steps (operations that only wrap kernels left out). */
const profile = (count: number) => Effect.gen(function* () {
  const trainer = yield* initTrainer(canonical)
  for (let s = 0; s < WARMUP; s++) yield* trainStep(trainer)
  const services = yield* Effect.context<Rng>()
  const byKernel = new Map<string, { ms: number; calls: number }>()
  const byShape = new Map<string, { ms: number; calls: number }>()
  let wall = 0
  for (let s = 0; s < count; s++) {
    const w0 = performance.now()
    const p = yield* Effect.promise(() => tf.profile(async () => {
      await Effect.runPromise(Effect.provideContext(trainStep(trainer), services))
    }))
    wall += performance.now() - w0
    for (const k of p.kernels.filter((k) => k.name !== FUSED_STAGE_SCOPE && k.name !== "unnamed scope")) {
      const e = byKernel.get(k.name) ?? { ms: 0, calls: 0 }
      byKernel.set(k.name, { ms: e.ms + Number(k.kernelTimeMs), calls: e.calls + 1 })
      if (k.name === "BatchMatMul") {
        const key = k.inputShapes.map((s) => `[${s?.join(",")}]`).join("·")
        const f = byShape.get(key) ?? { ms: 0, calls: 0 }
        byShape.set(key, { ms: f.ms + Number(k.kernelTimeMs), calls: f.calls + 1 })
      }
    }
  }
  disposeTrainer(trainer)
  const total = [...byKernel.values()].reduce((a, e) => a + e.ms, 0)
  const calls = [...byKernel.values()].reduce((a, e) => a + e.calls, 0)
  console.log(`\nwhere a canonical step's time goes now (wasm, kernels v${LATEST_KERNELS}, ${count} profiled steps): ${(wall / count).toFixed(0)} ms per step, ` +
    `${(total / count).toFixed(0)} ms of it in ${(calls / count).toFixed(0)} kernel calls (the rest: the engine's bookkeeping, random draws, JavaScript):`)
  for (const [kernel, e] of [...byKernel.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 10)) {
    console.log(`  ${kernel.padEnd(22)} ${(e.ms / count).toFixed(1).padStart(7)} ms ${((100 * e.ms) / total).toFixed(0).padStart(3)}%  ${String(e.calls / count).padStart(5)} calls`)
  }
  console.log("  slowest products:")
  for (const [shapes, e] of [...byShape.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 5)) {
    console.log(`    ${shapes.padEnd(28)} ${(e.ms / count).toFixed(1).padStart(7)} ms  ${String(e.calls / count).padStart(5)} calls`)
  }
})

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
  // operations that only wrap kernels (custom gradients, the fused stages) are left out of the totals
  for (const k of timed ? profile.kernels.filter((k) => k.name !== FUSED_STAGE_SCOPE && k.name !== "unnamed scope") : []) {
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

const [l1, l5, l15] = loadavg()
console.log(`load average ${l1!.toFixed(1)} ${l5!.toFixed(1)} ${l15!.toFixed(1)} on ${availableParallelism()} cores: timings on a loaded machine run long; the ratios of steps taken in turns hold better`)
if (backends.includes("wasm")) {
  await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    yield* versions("canonical")
    yield* versions("quick")
    yield* profile(3)
  })).pipe(Effect.provide(Layer.merge(backendLayer("wasm"), seededRngLayer(1)))))
}
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
