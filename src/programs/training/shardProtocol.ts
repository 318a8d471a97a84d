import type { KernelVersion } from "../../services/backend/index.js"
import type { TrainConfig } from "../../core/run/index.js"

/**
 * Messages between the trainer and its gradient workers. A step is split into shards of the β
 * batch; each worker takes the gradient of its shard's share of the objective,
 * `Σ_(b ∈ shard) log(L_b + β_b·KL_b) / B`, so the shards' gradients sum to the full gradient.
 */
export interface ShardRequest {
  readonly type: "shard"
  readonly id: number
  readonly config: TrainConfig
  /** Hyperhypernetwork parameters, in order. */
  readonly params: ReadonlyArray<Float32Array>
  readonly logBeta: Float32Array
  /** `[b, S, n0]` flattened. */
  readonly x: Float32Array
  /** Random inputs by name, each `[b, ...shape]` flattened. */
  readonly randoms: Readonly<Record<string, Float32Array>>
  /** A task family's conditions `[b, C]` flattened (absent for a single task). */
  readonly condition?: Float32Array
  /** β in this shard, and in the whole batch. */
  readonly size: number
  readonly total: number
  /** The KL term's weight this step (absent: 1; below 1 during a KL warm-up). */
  readonly klWeight?: number
}

export interface ShardResult {
  readonly type: "result"
  readonly id: number
  readonly grads: ReadonlyArray<Float32Array>
  readonly objective: number
  readonly loss: Float32Array
  readonly kl: Float32Array
}

export interface ShardFailure {
  readonly type: "error"
  readonly id: number
  readonly message: string
}

export interface WorkerInit {
  readonly backend: "wasm" | "cpu" | "tensorflow"
  /** The kernel version in force where the pool started (the trainer's, so that shards round alike). */
  readonly kernels: KernelVersion
}
