import { Worker } from "node:worker_threads"
import { Data, Effect, type Scope } from "effect"
import type { ShardFailure, ShardRequest, ShardResult, WorkerInit } from "./shardProtocol.js"
import { kernelVersion } from "../../services/backend/index.js"
import { ownScript } from "../../services/study/index.js"

/** A gradient worker failed or died. */
export class WorkerError extends Data.TaggedError("WorkerError")<{ readonly message: string }> {}

/** Threads that each compute one shard of a training step. */
export interface WorkerPool {
  readonly size: number
  /** Send a shard to worker `k` (0-based); resolves with its gradients. */
  readonly run: (k: number, request: Omit<ShardRequest, "type" | "id">) => Promise<ShardResult>
}

/**
 * Start `size` gradient workers on `backend` for the scope; they are terminated when it closes.
 * Each worker holds its own TensorFlow.js engine (≈ 150 MB with wasm).
 */
export const startWorkerPool = (size: number, backend: WorkerInit["backend"]): Effect.Effect<WorkerPool, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => {
      // this package's own worker: compiled JavaScript, or TypeScript through tsx under the test runner
      const { script, execArgv } = ownScript("workers/gradientWorker")
      const workers = Array.from({ length: size }, () => new Worker(script, { workerData: { backend, kernels: kernelVersion() } satisfies WorkerInit, execArgv: [...execArgv] }))
      const pending = new Map<number, { resolve: (r: ShardResult) => void; reject: (e: WorkerError) => void }>()
      let next = 0
      for (const w of workers) {
        w.on("message", (m: ShardResult | ShardFailure) => {
          const p = pending.get(m.id)
          pending.delete(m.id)
          if (m.type === "result") p?.resolve(m)
          else p?.reject(new WorkerError({ message: `gradient worker failed: ${m.message}` }))
        })
        w.on("error", (e) => {
          for (const p of pending.values()) p.reject(new WorkerError({ message: `gradient worker died: ${e.message}` }))
          pending.clear()
        })
      }
      const pool: WorkerPool & { readonly workers: ReadonlyArray<Worker> } = {
        size,
        workers,
        run: (k, request) => new Promise<ShardResult>((resolve, reject) => {
          const id = next++
          pending.set(id, { resolve, reject })
          workers[k]!.postMessage({ ...request, type: "shard", id } satisfies ShardRequest)
        })
      }
      return pool
    }),
    (pool) => Effect.promise(() => Promise.all(pool.workers.map((w) => w.terminate()))).pipe(Effect.asVoid)
  )

/** Split B items into `parts` consecutive shards, the first ones one larger when B does not divide. */
export const shardSizes = (B: number, parts: number): ReadonlyArray<number> =>
  Array.from({ length: Math.min(parts, B) }, (_, k) => Math.floor(B / Math.min(parts, B)) + (k < B % Math.min(parts, B) ? 1 : 0))
