import * as tf from "@tensorflow/tfjs"
import { Effect, Result } from "effect"
import { beforeAll, describe, expect, it } from "vitest"
import {
  activationBlock, classify, doubleSidedness, generate, klChannelBlock, makeHypernetwork, noiseBlock, paramLayout,
  planGeneration, positionBlock, pudding, randomSpecs, seededRngLayer, Rng, strongestConnection
} from "../src/index.js"
import { noLeak, useBackend } from "./helpers.js"

beforeAll(() => useBackend("cpu"))

// The README's examples, kept here so that they cannot rot.
describe("README examples", () => {
  it("a construction, its order parameters, its class", () => {
    noLeak(() => {
      const net = Result.getOrThrow(pudding(16, 48, "negative"))
      const W = { rows: 16, cols: 48, data: net.W[0]!.dataSync() }
      const alpha1 = doubleSidedness(W)
      const alpha2 = strongestConnection(W)
      expect([alpha1, alpha2, classify({ alpha1, alpha2 })]).toEqual([1, 4, "pudding"])
      tf.dispose([...net.W, ...net.b])
    })
  })

  it("a custom stack: no attention, two KL channels, a wider activation block", async () => {
    const shape = [16, 48, 1]
    const sources = [positionBlock("input"), positionBlock("output"), positionBlock("layer"), noiseBlock(5)]
    const hyperlayer = { blocks: [activationBlock(40), ...sources, klChannelBlock(4, "kl-a"), klChannelBlock(4, "kl-b")] }
    const net = Result.getOrThrow(makeHypernetwork([{ blocks: sources }, hyperlayer, hyperlayer]))
    const layout = paramLayout(net, shape)
    const plan = Result.getOrThrow(planGeneration(net, layout, shape, "encoder"))
    const { W, kl } = await Effect.runPromise(Effect.gen(function* () {
      const rng = yield* Rng
      const theta = tf.mul(yield* rng.normal("theta", [2, layout.size]), 0.1)         // 2 generations
      const randoms: Record<string, tf.Tensor> = {}
      for (const s of randomSpecs(net, shape)) randoms[s.name] = yield* rng.normal(s.name, [2, ...s.shape])
      const { weights, kl } = Result.getOrThrow(generate(plan, theta, randoms))                              // W^(1): [2, 16, 48]
      const out = { W: weights.W.map((w) => w.shape), kl: Array.from(kl.dataSync()) }
      tf.dispose([theta, ...Object.values(randoms), ...weights.W, ...weights.b, kl])
      return out
    }).pipe(Effect.provide(seededRngLayer(1))))
    // H0: 17 features; each hyperlayer reads 40 + 8 + 8 = 56 and writes 40 + 12 + 5 + 4 + 4 = 65
    expect(layout.size).toBe((17 * 56 + 56) + (65 * 56 + 56) + (65 * 2 + 2))
    expect(W).toEqual([[2, 16, 48], [2, 48, 1]])
    for (const k of kl) expect(k).toBeGreaterThanOrEqual(0)
  })
})
