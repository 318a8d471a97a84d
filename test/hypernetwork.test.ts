import * as tf from "@tensorflow/tfjs"
import { fc } from "@fast-check/vitest"
import { Result } from "effect"
import { beforeAll, describe, expect, it } from "vitest"
import type { NetShape } from "../src/core/network/netShape.js"
import { edgeGraph, positionalFeatures, sinusoid } from "../src/layers/blocks/edgeGraph.js"
import { generate, type GenerationPlan, paramLayout, planGeneration } from "../src/layers/hypernetwork/hypernetwork.js"
import { paperHypernetwork } from "../src/layers/hypernetwork/paperHypernetwork.js"
import {
  arbitraries, checkDecoderOnlyIgnoresLearned, checkHiddenEquivariance, checkKlNonNegative, checkNoTensorLeaked, checkSameSeedSameWeights, generationTensors
} from "../src/testing/index.js"
import { noLeak, take, useBackend } from "./helpers.js"

// on the default backend, wasm: its fused hyperlayers are what a user runs (testing.test.ts checks
// the same properties through cpu's generic path), at a third of cpu's CPU time
beforeAll(() => useBackend("wasm"))

const net = paperHypernetwork()
const shapeArb = arbitraries.netShape()

/** Seeded hyperweights (small, so activations stay moderate) and random inputs for B generations (the kit's draws). */
const inputsFor = (plan: GenerationPlan, B: number, seed: number) => generationTensors(plan, { seed, batch: B, scale: 0.15 })
const dispose = (x: { theta: tf.Tensor; randoms: Record<string, tf.Tensor> }) => tf.dispose([x.theta, ...Object.values(x.randoms)])
const plan = (shape: NetShape, mode: "encoder" | "decoder-only" = "encoder", trained: NetShape = shape) =>
  Result.getOrThrow(planGeneration(net, paramLayout(net, trained), shape, mode))
/** Generated W's and b's as plain arrays, and the KL. */
const run = (p: GenerationPlan, x: { theta: tf.Tensor; randoms: Record<string, tf.Tensor> }) => {
  const g = Result.getOrThrow(generate(p, x.theta, x.randoms))
  return { W: g.weights.W.map(take), b: g.weights.b.map(take), kl: take(g.kl), shapes: g.weights.W.map((w) => w.shape) }
}

describe("the paper's hypernetwork", () => {
  it("has P = 24,380 hyperweights for [16, 48, 1] (4·816·5 learned + 1,334 + 2·3,306 + 114)", () => {
    const layout = paramLayout(net, [16, 48, 1])
    expect(layout.size).toBe(24380)
    expect(layout.entries.filter((e) => e.perEdge).reduce((a, e) => a + e.size, 0)).toBe(4 * 816 * 5)
    const linear = (k: number) => layout.entries.filter((e) => e.name === `M${k}` || e.name === `m${k}`).reduce((a, e) => a + e.size, 0)
    expect([linear(1), linear(2), linear(3), linear(4)]).toEqual([1334, 3306, 3306, 114])
  })

  it("generates weights and biases of the target shape, for any shape and batch", () => {
    fc.assert(fc.property(shapeArb, fc.integer({ min: 1, max: 3 }), fc.constantFrom("encoder" as const, "decoder-only" as const), (shape, B, mode) => {
      noLeak(() => {
        const p = plan(shape, mode)
        const x = inputsFor(p, B, 1)
        const g = Result.getOrThrow(generate(p, x.theta, x.randoms))
        expect(g.weights.W.map((w) => w.shape)).toEqual(shape.slice(1).map((n, l) => [B, shape[l]!, n]))
        expect(g.weights.b.map((b) => b.shape)).toEqual(shape.slice(1).map((n) => [B, n]))
        expect(g.kl.shape).toEqual([B])
        for (const t of [...g.weights.W, ...g.weights.b, g.kl]) expect(take(t).every(Number.isFinite)).toBe(true)
        dispose(x)
      })
    }), { numRuns: 25 })
  })

  // The invariants every hypernetwork must keep, checked with hyperlayers/testing (shrunk counter-examples on failure).
  it("is equivariant: permuting hidden units in every per-edge input permutes the generated weights", () => {
    checkHiddenEquivariance(net, { numRuns: 20 })
  })

  it("accumulates KL ≥ 0 in encoder mode and none decoder-only", () => {
    checkKlNonNegative(net, { numRuns: 15 })
  })

  it("decoder-only output ignores the learned variables; encoder output depends on them", () => {
    checkDecoderOnlyIgnoresLearned(net, { numRuns: 15 })
    fc.assert(fc.property(shapeArb, fc.integer({ min: 1, max: 1000 }), (shape, seed) => {
      const p = plan(shape)
      const x = inputsFor(p, 2, seed)
      const mask = new Float32Array(p.layout.size)
      for (const e of p.layout.entries) if (e.perEdge) mask.fill(1, e.offset, e.offset + e.size)
      const other = { ...x, theta: tf.tidy(() => tf.add(x.theta, tf.mul(tf.tensor1d(mask), inputsFor(p, 2, seed + 1).theta))) }
      const a = run(p, x).W[0]!
      const b = run(p, other).W[0]!
      expect(a.some((v, k) => Math.abs(v - b[k]!) > 1e-6)).toBe(true)
      tf.dispose(other.theta)
      dispose(x)
    }), { numRuns: 15 })
  })

  it("is a function of its inputs: the same seeds give identical weights, other generation seeds differ, nothing leaks", () => {
    checkSameSeedSameWeights(net, { numRuns: 10 })
    checkNoTensorLeaked(net, { numRuns: 6 })
    fc.assert(fc.property(shapeArb, fc.integer({ min: 1, max: 1000 }), (shape, seed) => {
      const p = plan(shape)
      const x = inputsFor(p, 2, seed)
      const zr = inputsFor(p, 2, seed + 1)
      const a = run(p, x)
      const c = run(p, { theta: x.theta, randoms: zr.randoms })
      expect(c.W[0]!.some((v, k) => v !== a.W[0]![k])).toBe(true)
      dispose(x)
      dispose(zr)
    }), { numRuns: 10 })
  })

  it("generates other shapes decoder-only and refuses them in encoder mode with a typed error", () => {
    const layout = paramLayout(net, [16, 48, 1])
    const bad = planGeneration(net, layout, [8, 24, 1], "encoder")
    expect(Result.isFailure(bad) && bad.failure.message).toMatch(/belong to \[16, 48, 1\]; generate \[8, 24, 1\] in decoder-only mode/)
    const ok = Result.getOrThrow(planGeneration(net, layout, [8, 24, 1], "decoder-only"))
    noLeak(() => {
      const x = inputsFor(ok, 1, 3)
      expect(run(ok, x).shapes).toEqual([[1, 8, 24], [1, 24, 1]])
      dispose(x)
    })
  })
})

describe("positional encodings", () => {
  it("encode input index on layer 1, output index on layer N, and the layer everywhere", () => {
    expect(sinusoid(0, 4)).toEqual([0, 0, 1, 1])
    expect(sinusoid(3, 4)[0]).toBeCloseTo(Math.sin(3), 12)
    expect(sinusoid(3, 4)[1]).toBeCloseTo(Math.sin(0.03), 12)
    const g = edgeGraph([2, 3, 1])
    const input = positionalFeatures(g, "input", 4)
    const output = positionalFeatures(g, "output", 4)
    const layer = positionalFeatures(g, "layer", 4)
    // edge (1, 2) of layer 1 is edge 5; edge (2, 0) of layer 2 is edge 8
    expect(Array.from(input.subarray(5 * 4, 6 * 4))).toEqual(sinusoid(1, 4).map(Math.fround))
    expect(Array.from(input.subarray(8 * 4, 9 * 4))).toEqual([0, 0, 0, 0])
    expect(Array.from(output.subarray(5 * 4, 6 * 4))).toEqual([0, 0, 0, 0])
    expect(Array.from(output.subarray(8 * 4, 9 * 4))).toEqual(sinusoid(0, 4).map(Math.fround))
    expect(Array.from(layer.subarray(8 * 4, 9 * 4))).toEqual(sinusoid(2, 4).map(Math.fround))
  })
})
