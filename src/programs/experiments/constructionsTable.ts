import * as tf from "@tensorflow/tfjs"
import { Effect, Result } from "effect"
import { type Algorithm, classifyFirstLayer } from "../../core/network/schemas.js"
import { ClassThresholds } from "../../services/settings/index.js"
import { convexity, doubleSided, pudding } from "../../core/network/index.js"
import type { ConstructionError } from "../../core/base/schemas.js"
import { l1Loss } from "../../core/task/index.js"
import { type Activation, disposeNetWeights, forward, type NetWeights } from "../../core/network/index.js"
import { firstLayer } from "../../core/network/index.js"
import { Rng } from "../../services/rng/index.js"
import { onCpu, readback } from "../../core/base/index.js"

export interface ConstructionRow {
  readonly construction: string
  readonly activation: Activation
  readonly loss: number
  readonly alpha1: number
  readonly alpha2: number
  /** Path balance (not the paper's; see `pathBalance`): 1 double-sided, ≤ 1/2 pudding. */
  readonly pathBalance: number
  readonly algorithm: Algorithm
}

export interface ConstructionsTableOptions {
  readonly inputs: number
  readonly hidden: number
  /** Gaussian samples on which the loss is measured. */
  readonly samples: number
}


/**
 * Every construction of §2.1 (ARCHITECTURE.md, "Constructions") for `[inputs, hidden, 1]`, with swish and with ReLU: its loss on
 * the normalised L1 task (fresh Gaussian inputs from the Rng), α1, α2, path balance and the class it gets
 * under the {@link ClassThresholds}.
 * On the cpu backend where the active one cannot read synchronously (`convexity` is cpu-only).
 */
export const constructionsTable = (options: ConstructionsTableOptions): Effect.Effect<ReadonlyArray<ConstructionRow>, ConstructionError, Rng> =>
  onCpu(Effect.gen(function* () {
    const rng = yield* Rng
    const thresholds = yield* ClassThresholds
    const { inputs: n, hidden: h } = options
    const x = yield* rng.normal("constructions/x", [options.samples, n])
    const calibration = yield* rng.normal("constructions/calibration", [4096, n])
    const W = yield* rng.uniform("constructions/convexity-W", [n, h], -1, 1)
    const rows: Array<ConstructionRow> = []
    try {
      for (const activation of ["swish", "relu"] as const) {
        const builders: ReadonlyArray<readonly [string, () => Result.Result<NetWeights, ConstructionError>]> = [
          ["double-sided", () => doubleSided(n, h, { activation })],
          ["negative pudding", () => pudding(n, h, "negative", { activation })],
          ["positive pudding", () => pudding(n, h, "positive", { activation })],
          ["convexity", () => convexity(W as tf.Tensor2D, calibration as tf.Tensor2D, { activation })]
        ]
        for (const [name, build] of builders) {
          const net = yield* Effect.fromResult(build())
          const [loss] = yield* readback([tf.tidy(() => l1Loss(forward(net, x, activation), x))])
          const layer = firstLayer(net.shape, yield* readback(net.W, { keep: true }))
          disposeNetWeights(net)
          rows.push({ construction: name, activation, loss: loss[0]!, ...classifyFirstLayer(layer, thresholds) })
        }
      }
    } finally {
      tf.dispose([x, calibration, W])
    }
    return rows
  }))
