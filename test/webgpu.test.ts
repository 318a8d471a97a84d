import { spawnSync } from "node:child_process"
import { readFileSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import * as tf from "@tensorflow/tfjs"
import { Effect, Layer, Result, Schema } from "effect"
import { describe, expect, it, onTestFinished } from "vitest"
import { checkoutModule, scratchInCheckout, TSX_LOADER } from "./cliProcess.js"
import { readback } from "../src/core/base/readback.js"
import { canonicalTrainConfig, type TrainConfig } from "../src/core/run/trainConfig.js"
import { SweepResult } from "../src/core/run/results.js"
import { matMul2d } from "../src/layers/blocks/linearMap.js"
import { evaluateBetas, generateStored } from "../src/programs/training/evaluate.js"
import { disposeTrainer, initTrainer, type Trainer, trainStep } from "../src/programs/training/trainer.js"
import { Backend, backendLayer, describeAdapter } from "../src/services/backend/Backend.js"
import { gpuDevicePresent, openWebGpu } from "../src/services/backend/webgpu.js"
import { Rng, seededRngLayer } from "../src/services/rng/Rng.js"
import { runCli } from "../src/cli/main.js"
import { cliServices } from "../src/cli/shared.js"
import { tempDir, tinyConfig } from "./programs.js"

/**
 * The webgpu backend against cpu, on whatever adapter Dawn finds: in CI, Mesa's llvmpipe through
 * OpenGL ES (.ci/run installs it), on a GPU machine the GPU (bench/gpu-check.sh). Sizes stay tiny:
 * a software adapter runs a training step 12–17× slower than wasm. Where there is no adapter, the
 * tests are skipped and the reason is printed.
 */
const probe = await Effect.runPromise(Effect.result(Effect.scoped(Effect.map(Backend, (b) => b.adapter)).pipe(Effect.provide(backendLayer("webgpu")))))
const skipped = Result.isFailure(probe) ? probe.failure.message : undefined
const adapter = Result.isSuccess(probe) && probe.success !== undefined ? describeAdapter(probe.success) : "no adapter"
if (skipped !== undefined) console.warn(`webgpu tests SKIPPED: ${skipped}`)

/**
 * Float32 tolerances against cpu: an element passes when |webgpu − cpu| ≤ atol + rtol·|cpu|. The GPU
 * sums in other orders and has its own exp/log, so results differ by rounding, not more.
 */
const TOLERANCE = {
  /** single ops on O(1) inputs */
  ops: { rtol: 2e-5, atol: 2e-6 },
  /** a generated network's weights, losses and KL */
  generation: { rtol: 2e-4, atol: 1e-6 },
  /** two training steps: objective, per-β loss and KL, parameters after Adam */
  training: { rtol: 1e-3, atol: 1e-6 }
} as const

/** Every element of `actual` within tolerance of `expected`; the message names the first that is not. */
const expectClose = (what: string, actual: ArrayLike<number>, expected: ArrayLike<number>, tol: { readonly rtol: number; readonly atol: number }) => {
  expect(actual.length, `${what}: length`).toBe(expected.length)
  for (let k = 0; k < expected.length; k++) {
    const [a, e] = [actual[k]!, expected[k]!]
    if (!(Math.abs(a - e) <= tol.atol + tol.rtol * Math.abs(e))) expect.fail(`${what}[${k}]: webgpu ${a}, cpu ${e} (|Δ| ${Math.abs(a - e)} > ${tol.atol} + ${tol.rtol}·|cpu|)`)
  }
}

/** Run `program` on a backend with a seeded Rng; it returns plain values, and must leave no tensor behind. */
const on = <A, E>(backend: "cpu" | "webgpu", program: Effect.Effect<A, E, Rng | Backend>, seed = 5) =>
  Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const before = tf.memory().numTensors
    const out = yield* program
    return { out, leaked: tf.memory().numTensors - before, active: tf.getBackend() }
  })).pipe(Effect.provide(Layer.merge(backendLayer(backend), seededRngLayer(seed)))))

/** Both backends, with no tensor leaked on either and the backend asked for being the one that ran. */
const onBoth = async <A, E>(program: Effect.Effect<A, E, Rng | Backend>) => {
  const cpu = await on("cpu", program)
  const gpu = await on("webgpu", program)
  expect([cpu.active, cpu.leaked, gpu.active, gpu.leaked]).toEqual(["cpu", 0, "webgpu", 0])
  return { cpu: cpu.out, gpu: gpu.out }
}

/** The ops the library's layers, tasks and programs use, on seeded inputs `x: [2, 3, 4]`, `y: [2, 4, 5]`, `p > 0`. */
const OPS: ReadonlyArray<readonly [string, (x: tf.Tensor, y: tf.Tensor, p: tf.Tensor) => tf.Tensor]> = [
  ["matMul", (x, y) => tf.matMul(tf.reshape(x, [6, 4]) as tf.Tensor2D, tf.slice(tf.reshape(y, [8, 5]), [0, 0], [4, 5]) as tf.Tensor2D)],
  ["batched matMul", (x, y) => tf.matMul(x, y)],
  ["matMul transposed", (x) => tf.matMul(x, x, false, true)],
  ["matMul2d gradient", (x, y) => {
    const a = tf.reshape(x, [6, 4]) as tf.Tensor2D
    const b = tf.reshape(tf.slice(y, [0, 0, 0], [1, 4, 5]), [4, 5]) as tf.Tensor2D
    const [ga, gb] = tf.grads((u: tf.Tensor, v: tf.Tensor) => tf.sum(tf.square(matMul2d(u as tf.Tensor2D, v as tf.Tensor2D))))([a, b])
    return tf.concat([tf.reshape(ga!, [-1]), tf.reshape(gb!, [-1])])
  }],
  ["add, sub, mul, div broadcast", (x, _y, p) => tf.div(tf.sub(tf.mul(tf.add(x, tf.sum(x, -1, true)), 1.5), x), p)],
  ["square, sqrt, abs, neg, pow", (x, _y, p) => tf.add(tf.add(tf.square(x), tf.sqrt(p)), tf.add(tf.neg(tf.abs(x)), tf.pow(p, 1.5)))],
  ["log, exp, expm1", (x, _y, p) => tf.concat([tf.log(p), tf.exp(x), tf.expm1(x)])],
  ["sigmoid, relu, softplus, swish", (x) => tf.concat([tf.sigmoid(x), tf.relu(x), tf.softplus(x), tf.mul(x, tf.sigmoid(x))])],
  ["softmax, logSoftmax", (x) => tf.concat([tf.softmax(x), tf.logSoftmax(x)])],
  ["sum, mean, max, norm", (x) => tf.concat([tf.sum(x, [1, 2]), tf.reshape(tf.mean(x, 1), [-1]), tf.reshape(tf.max(x, -1), [-1]), tf.reshape(tf.norm(x, "euclidean", -1), [-1])])],
  ["argMax, equal, cast", (x) => tf.cast(tf.concat([tf.reshape(tf.argMax(x, -1), [-1]), tf.reshape(tf.cast(tf.equal(tf.argMax(x, 1), 0), "int32"), [-1])]), "float32")],
  ["concat, slice, split, stack", (x) => {
    const [a, b] = tf.split(x, [1, 3], 2)
    return tf.stack([tf.concat([b!, a!], 2), tf.slice(tf.concat([x, x], 1), [0, 2, 0], [2, 3, 4])])
  }],
  ["transpose, tile, broadcastTo, reshape, squeeze", (x) => tf.concat([
    tf.reshape(tf.transpose(x, [0, 2, 1]), [-1]), tf.reshape(tf.tile(x, [1, 2, 1]), [-1]),
    tf.reshape(tf.broadcastTo(tf.expandDims(tf.squeeze(tf.slice(x, [0, 0, 0], [1, 3, 4]), [0]), 0), [2, 3, 4]), [-1])
  ])],
  ["gather, zerosLike", (x) => tf.add(tf.gather(x, tf.tensor1d([2, 0], "int32"), 1), tf.zerosLike(tf.gather(x, tf.tensor1d([1, 1], "int32"), 1)))],
  ["gradient of a small MLP", (x, y) => {
    const loss = (w: tf.Tensor, v: tf.Tensor) => tf.add(tf.mean(tf.square(tf.sub(tf.sum(tf.softplus(tf.matMul(x, w)), -1), tf.sum(tf.abs(x), -1)))), tf.sum(tf.square(v)))
    const { value, grads } = tf.valueAndGrads(loss)([y, tf.slice(y, [0, 0, 0], [2, 4, 1])])
    return tf.concat([tf.reshape(value, [1]), ...grads.map((g) => tf.reshape(g, [-1]))])
  }]
]

/** A fresh trainer of `config` (the paper's hypernetwork, its hyperhypernetwork as initialised), disposed after `use`. */
const withTrainer = <A, E>(config: TrainConfig, use: (trainer: Trainer) => Effect.Effect<A, E, Rng>) =>
  Effect.gen(function* () {
    const trainer = yield* initTrainer(config)
    return yield* use(trainer).pipe(Effect.ensuring(Effect.sync(() => disposeTrainer(trainer))))
  })

describe.skipIf(skipped !== undefined)(`webgpu against cpu (${skipped === undefined ? adapter : `skipped: ${skipped}`})`, () => {
  it("runs the ops the library uses, equal to cpu within float32 rounding", async () => {
    const program = Effect.gen(function* () {
      const rng = yield* Rng
      const x = yield* rng.normal("x", [2, 3, 4])
      const y = yield* rng.normal("y", [2, 4, 5])
      const u = yield* rng.uniform("p", [2, 3, 4], 0.1, 2)
      const outs = OPS.map(([, op]) => tf.tidy(() => op(x, y, u)))
      tf.dispose([x, y, u])
      return yield* readback(outs)
    })
    const { cpu, gpu } = await onBoth(program)
    OPS.forEach(([name], k) => expectClose(name, gpu[k]!, cpu[k]!, TOLERANCE.ops))
  })

  it("generates the paper's hypernetwork's networks (canonical sizes, [16, 48, 1]) and scores them as cpu does", async () => {
    const program = withTrainer(canonicalTrainConfig(3), (model) => Effect.gen(function* () {
      const net = yield* generateStored(model, "encoder", -6, 0)
      const [summary] = yield* evaluateBetas(model, [16, 48, 1], "encoder", [-6], [0, 1], 256)
      return { net, summary: summary! }
    }).pipe(Effect.orDie))
    const { cpu, gpu } = await onBoth(program)
    cpu.net.W.forEach((w, l) => expectClose(`W^(${l + 1})`, gpu.net.W[l]!, w, TOLERANCE.generation))
    cpu.net.b.forEach((b, l) => expectClose(`b^(${l + 1})`, gpu.net.b[l]!, b, TOLERANCE.generation))
    const read = (s: typeof cpu.summary) => [s.loss, s.kl, s.alpha1, s.alpha2, s.alpha3, s.signAgreement, s.pathBalance]
    expectClose("loss, KL, α1, α2, α3, sign agreement, path balance", read(gpu.summary), read(cpu.summary), TOLERANCE.generation)
    expect(gpu.summary.algorithm).toBe(cpu.summary.algorithm)
  })

  it("takes two training steps of a small configuration as cpu does", async () => {
    const config = tinyConfig({ samplesPerBeta: 16 })
    const program = withTrainer(config, (trainer) => Effect.gen(function* () {
      const steps = [yield* trainStep(trainer), yield* trainStep(trainer)]
      return { steps, params: yield* readback(trainer.params, { keep: true }) }
    }).pipe(Effect.orDie))
    const { cpu, gpu } = await onBoth(program)
    cpu.steps.forEach((s, k) => {
      const g = gpu.steps[k]!
      expectClose(`step ${s.step} objective`, [g.objective], [s.objective], TOLERANCE.training)
      expectClose(`step ${s.step} log β`, g.logBeta, s.logBeta, { rtol: 0, atol: 0 })
      expectClose(`step ${s.step} loss`, g.loss, s.loss, TOLERANCE.training)
      expectClose(`step ${s.step} KL`, g.kl, s.kl, TOLERANCE.training)
    })
    cpu.params.forEach((p, k) => expectClose(`parameter ${k} after 2 steps`, gpu.params[k]!, p, TOLERANCE.training))
  })

  it("trains, sweeps and reports from the command line (--backend webgpu), with cpu's classes and losses", async () => {
    const dir = tempDir("hyperlayers-webgpu-")
    const spec = join(dir, "hypernetwork.json")
    writeFileSync(spec, JSON.stringify(tinyConfig().hypernetwork))
    const cli = (...args: Array<string>) => Effect.runPromise(runCli(args).pipe(Effect.provide(cliServices)))
    const sweeps: Record<string, SweepResult> = {}
    for (const backend of ["cpu", "webgpu"] as const) {
      const run = join(dir, backend)
      await cli("train", "--backend", backend, "--seed", "5", "--shape", "3,4,1", "--steps", "2", "--betas-per-step", "2", "--samples-per-beta", "16",
        "--checkpoint-every", "2", "--log-every", "1", "--hypernetwork", spec, "--out", run)
      await cli("sweep", run, "--backend", backend, "--betas", "2", "--seeds", "2", "--samples", "64")
      sweeps[backend] = Schema.decodeUnknownSync(SweepResult)(JSON.parse(readFileSync(join(run, "sweep.json"), "utf8")))
    }
    const manifest = JSON.parse(readFileSync(join(dir, "webgpu", "manifest.json"), "utf8")) as { backend: string }
    expect(manifest.backend).toBe("webgpu")
    await cli("report", join(dir, "webgpu"), "--backend", "webgpu")
    expect(readFileSync(join(dir, "webgpu", "report.html"), "utf8")).toContain("<svg")
    const [cpu, gpu] = [sweeps["cpu"]!.rows, sweeps["webgpu"]!.rows]
    expect(gpu.map((r) => [r.step, r.logBeta, r.algorithm])).toEqual(cpu.map((r) => [r.step, r.logBeta, r.algorithm]))
    expectClose("swept loss", gpu.map((r) => r.loss), cpu.map((r) => r.loss), TOLERANCE.training)
    expectClose("swept KL", gpu.map((r) => r.kl), cpu.map((r) => r.kl), TOLERANCE.training)
  })

  it("opens and releases again and again in one process, its Dawn GPU object never collected (no crash, no hang, exits)", () => {
    // Dawn 0.6.2 crashes or hangs at the next turn of the event loop once a GPU object it made is
    // garbage-collected: open and release with nothing computed in between, collect, wait on a timer
    const dir = scratchInCheckout("hyperlayers-webgpu-")
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
    const webgpu = checkoutModule("src/services/backend/webgpu.ts")
    const file = join(dir, "reopen.mjs")
    writeFileSync(file, [
      `import { Effect } from "effect"`,
      `import { openWebGpu } from ${JSON.stringify(webgpu.path)}`,
      `for (let k = 0; k < 3; k++) {`,
      `  ;(await Effect.runPromise(openWebGpu(true))).release()`,
      `  globalThis.gc()`,
      `  await new Promise((done) => setTimeout(done, 10))`,
      `}`,
      `console.log("released and collected 3 times")`
    ].join("\n"))
    const child = spawnSync(process.execPath, ["--expose-gc", ...(webgpu.tsx ? TSX_LOADER : []), file], { encoding: "utf8", timeout: 30_000 })
    expect({ signal: child.signal, status: child.status, stdout: child.stdout.trim() }, child.stderr.split("\n").filter((l) => /fault|abort|terminate called|^\w*Error\b/i.test(l)).join("\n")).toEqual({ signal: null, status: 0, stdout: "released and collected 3 times" })
  })
})

describe("the webgpu backend's registration", () => {
  it("never becomes the backend of code that sets none or another, and leaves the one before it active", async () => {
    await tf.setBackend("cpu")
    // the engine gives code that never set a backend the registered one of highest priority
    const priorities = () => Object.fromEntries(Object.entries((tf.engine() as unknown as { registryFactory: Record<string, { priority: number }> }).registryFactory).map(([k, v]) => [k, v.priority]))
    const inside = await Effect.runPromise(Effect.scoped(Effect.sync(() => ({ active: tf.getBackend(), priority: priorities() }))).pipe(Effect.provide(backendLayer("webgpu")), Effect.result))
    if (Result.isSuccess(inside)) {
      expect(inside.success.active).toBe("webgpu")
      const p = inside.success.priority
      expect(Object.entries(p).filter(([name, v]) => name !== "webgpu" && v <= p["webgpu"]!)).toEqual([])
    }
    expect(tf.getBackend()).toBe("cpu")
    expect(tf.findBackendFactory("webgpu")).toBeNull()
  })

  it("is not taken by auto on a software adapter, which webgpu by name runs on", async () => {
    const passed = await Effect.runPromise(Effect.result(openWebGpu(false)))
    const asked = await Effect.runPromise(Effect.result(Effect.map(openWebGpu(true), (h) => {
      h.release()
      return h.adapter
    })))
    if (Result.isSuccess(asked) && asked.success.software) {
      // refused without allowSoftware, naming the adapter; nothing left registered
      expect(Result.isFailure(passed) && passed.failure.software).toEqual(asked.success)
      expect(Result.isFailure(passed) && passed.failure.message).toMatch(/^only a software adapter: .*a software adapter$/)
    }
    expect(tf.findBackendFactory("webgpu")).toBeNull()
    const auto = await Effect.runPromise(Effect.scoped(Effect.map(Backend, (b) => b)).pipe(Effect.provide(backendLayer("auto"))))
    const hardware = Result.isSuccess(asked) && !asked.success.software
    if (!hardware) expect(auto.name).not.toBe("webgpu")
    if (!gpuDevicePresent()) expect(auto.reason).toContain("webgpu: no GPU device")
  })
})
