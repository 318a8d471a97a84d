import * as tf from "@tensorflow/tfjs"
import { Effect, Layer, Result } from "effect"
import { describe, expect, it } from "vitest"
import { pudding } from "../src/core/network/constructions.js"
import { disposeNetWeights, forward } from "../src/core/network/network.js"
import { Backend, backendLayer } from "../src/services/backend/Backend.js"
import { makeSeededRng } from "../src/services/rng/Rng.js"

/** The forward pass of a fixed construction on fixed inputs, under the given backend layer. */
const forwardUnder = (layer: Layer.Layer<Backend, unknown>) =>
  Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const backend = yield* Backend
    const rng = yield* makeSeededRng(11)
    const x = yield* rng.normal("x", [64, 16])
    const net = Result.getOrThrow(pudding(16, 48, "negative"))
    const y = forward(net, x)
    const values = Float32Array.from(y.dataSync())
    tf.dispose([x, y])
    disposeNetWeights(net)
    return { name: backend.name, active: tf.getBackend(), values }
  })).pipe(Effect.provide(layer)))

const hasTensorflow = async (): Promise<boolean> => {
  for (const spec of ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"]) {
    try {
      await import(spec)
      return true
    } catch {
      // not installed here
    }
  }
  return false
}

describe("backend layers", () => {
  it("cpu and wasm both run and agree on the forward pass", async () => {
    const cpu = await forwardUnder(backendLayer("cpu"))
    const wasm = await forwardUnder(backendLayer("wasm"))
    expect([cpu.name, cpu.active, wasm.name, wasm.active]).toEqual(["cpu", "cpu", "wasm", "wasm"])
    cpu.values.forEach((v, k) => expect(Math.abs(v - wasm.values[k]!)).toBeLessThan(1e-4))
  })

  it("asking for tensorflow where it is not installed fails with a typed error saying what to install", async () => {
    const r = await Effect.runPromise(Effect.result(Effect.scoped(Effect.flatMap(Backend, (b) => Effect.succeed(b.name))).pipe(Effect.provide(backendLayer("tensorflow")))))
    if (await hasTensorflow()) {
      expect(Result.isSuccess(r) && r.success).toBe("tensorflow")
    } else {
      expect(Result.isFailure(r)).toBe(true)
      if (Result.isFailure(r)) {
        expect(r.failure._tag).toBe("BackendUnavailable")
        expect(r.failure.message).toMatch(/tfjs-node/)
        expect(r.failure.install).toMatch(/npm install @tensorflow\/tfjs-node/)
      }
    }
  })

  it("auto picks the fastest available backend and says why", async () => {
    const r = await Effect.runPromise(Effect.scoped(Effect.map(Backend, (b) => ({ ...b }))).pipe(Effect.provide(backendLayer("auto"))))
    const expected = (await hasTensorflow()) ? "tensorflow" : "wasm"
    expect(r.name).toBe(expected)
    expect(r.reason).toMatch(/^auto: /)
    if (expected === "wasm") expect(r.reason).toMatch(/tensorflow unavailable/)
  })

  it("release disposes the tensors and variables left behind in the layer's scope", async () => {
    const before = tf.memory().numTensors
    const inside = await Effect.runPromise(Effect.scoped(Effect.sync(() => {
      tf.ones([3, 3])
      tf.variable(tf.zeros([2]))
      return tf.memory().numTensors
    })).pipe(Effect.provide(backendLayer("cpu"))))
    expect(inside).toBeGreaterThan(before)
    expect(tf.memory().numTensors).toBe(before)
  })

  it("holds no dead tensors over a long scope, and still disposes the live ones it tracked when it closes", async () => {
    // the layer's engine scope used to keep every tensor made outside a tf.tidy until it closed:
    // +3.4 MB of heap per 1,000 training steps
    const { tracked, leftAlive } = await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
      const scope = tf.engine().state.activeScope
      for (let k = 0; k < 20_000; k++) tf.scalar(k).dispose()
      const alive = tf.scalar(1)
      for (let k = 0; k < 5_000; k++) tf.scalar(k).dispose()
      return { tracked: scope.track.length, leftAlive: alive }
    })).pipe(Effect.provide(backendLayer("cpu"))))
    expect(tracked).toBeLessThanOrEqual(2048)
    expect(leftAlive.isDisposed).toBe(true)
  })
})
