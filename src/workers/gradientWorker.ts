/**
 * A gradient worker thread: it computes one shard of a training step (see `shardProtocol`) on its
 * own TensorFlow.js engine and returns the gradients. Started by the trainer's worker pool.
 */
import { parentPort, workerData } from "node:worker_threads"
import * as tf from "@tensorflow/tfjs"
import "@tensorflow/tfjs-backend-wasm"
import { hyperhypernetworkShapes } from "../layers/hypernetwork/index.js"
import { shardGradient } from "../layers/hypernetwork/index.js"
import { Effect, Result } from "effect"
import { builtinComponents } from "../layers/blocks/index.js"
import { resolveRun, type RunPlan } from "../layers/hypernetwork/index.js"
import { installFastKernels, useKernels } from "../services/backend/index.js"
import { readback } from "../core/base/index.js"
import type { ShardFailure, ShardRequest, ShardResult, WorkerInit } from "../programs/training/index.js"
import { errorMessage } from "../core/base/schemas.js"

const init = workerData as WorkerInit
const port = parentPort!

const ready = (async () => {
  if (init.backend === "tensorflow") await import("@tensorflow/tfjs-node-gpu" as string).catch(() => import("@tensorflow/tfjs-node" as string))
  await tf.setBackend(init.backend)
  await tf.ready()
  tf.enableProdMode()
  if (init.backend !== "tensorflow") await installFastKernels(init.backend)
  useKernels(init.kernels)
})()

// a worker thread knows the built-in blocks and tasks only (the trainer refuses threads > 1 otherwise)
const plans = new Map<string, RunPlan>()

const handle = async (r: ShardRequest): Promise<ShardResult> => {
  const key = JSON.stringify(r.config)
  let p = plans.get(key)
  if (p === undefined) {
    p = Result.getOrThrow(resolveRun(r.config, builtinComponents))
    plans.set(key, p)
  }
  const run = p
  const shapes = hyperhypernetworkShapes(run.hyperhypernetwork)
  const specs = run.randoms
  const g = tf.tidy(() => {
    const params = r.params.map((v, k) => tf.tensor(v, [...shapes[k]!.shape]))
    const logBeta = tf.tensor1d(r.logBeta)
    const x = tf.tensor(r.x, [r.size, r.config.samplesPerBeta, r.config.shape[0]!])
    const randoms = Object.fromEntries(specs.map((s) => [s.name, tf.tensor(r.randoms[s.name]!, [r.size, ...s.shape])]))
    const C = run.task.conditions.length
    const condition = r.condition === undefined || C === 0 ? undefined : tf.tensor(r.condition, [r.size, C])
    const out = shardGradient(run, params, logBeta, x, randoms, r.config.activation, r.total, condition, r.klWeight === undefined ? {} : { klWeight: r.klWeight })
    return { grads: [...out.grads], objective: out.objective, loss: out.loss, kl: out.kl }
  })
  const [objective, loss, kl, ...grads] = await Effect.runPromise(readback([g.objective, g.loss, g.kl, ...g.grads]))
  return { type: "result", id: r.id, grads, objective: objective![0]!, loss: loss!, kl: kl! }
}

port.on("message", (r: ShardRequest) => {
  ready.then(() => handle(r)).then((result) => {
    port.postMessage(result, [...result.grads.map((g) => g.buffer as ArrayBuffer), result.loss.buffer as ArrayBuffer, result.kl.buffer as ArrayBuffer])
  }).catch((e: unknown) => {
    const failure: ShardFailure = { type: "error", id: r.id, message: errorMessage(e) }
    port.postMessage(failure)
  })
})
