import { createHash } from "node:crypto"
import { readFileSync, writeFileSync } from "node:fs"
import * as tf from "@tensorflow/tfjs"
import "@tensorflow/tfjs-backend-wasm"
import { fc } from "@fast-check/vitest"
import { Result } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { paperHypernetworkSpec, type PaperSizes } from "../src/core/hypernetwork/paperHypernetworkSpec.js"
import type { Block } from "../src/layers/blocks/block.js"
import { activationBlock } from "../src/layers/blocks/activation.js"
import { attentionBlock } from "../src/layers/blocks/attention.js"
import { klChannelBlock } from "../src/layers/blocks/klChannel.js"
import { noiseBlock } from "../src/layers/blocks/noise.js"
import { edgeEmbeddingBlock } from "../src/layers/blocks/edgeEmbedding.js"
import { learnedBlock } from "../src/layers/blocks/learned.js"
import { positionBlock } from "../src/layers/blocks/position.js"
import { edgeGraph } from "../src/layers/blocks/edgeGraph.js"
import { fusedKernelsActive, fusedStagePlan } from "../src/layers/hypernetwork/fusedStage.js"
import { generateUnchecked, type Hypernetwork, makeHypernetwork, paramLayout, planGeneration, randomSpecs } from "../src/layers/hypernetwork/hypernetwork.js"
import type { GenerationMode } from "../src/layers/blocks/block.js"
import { replay } from "../src/programs/experiments/replay.js"
import { train } from "../src/programs/training/train.js"
import { installFastKernels, useKernels } from "../src/services/backend/fastKernels.js"
import { applyAdam } from "../src/services/backend/fusedAdam.js"
import { KERNELS_KEY, LATEST_KERNELS } from "../src/services/backend/kernelVersion.js"
import { runProgram, tempDir, tinyConfig } from "./programs.js"

/**
 * The fused hyperlayer kernels (kernel version 2, wasm) against the generic path of TensorFlow.js
 * operations (version 1, the same backend): the same generated networks, KL and gradient of θ to
 * float32 tolerance, no tensor left behind, a researcher's own block through the generic path, and
 * runs that replay with the kernels they were made with.
 */

beforeAll(async () => {
  await tf.setBackend("wasm")
  await tf.ready()
  await installFastKernels("wasm")
})
afterAll(() => { useKernels(LATEST_KERNELS) })

const sizes = (s: Partial<PaperSizes>): PaperSizes => ({ activation: 6, position: 2, noise: 2, attentionKey: 2, learned: 2, latent: 2, depth: 3, ...s })

/** Draws of a given shape and seed (TensorFlow.js's seeded normals unless a test needs others). */
type Draw = (shape: ReadonlyArray<number>, seed: number) => tf.Tensor
const normals: Draw = (shape, seed) => tf.randomNormal([...shape], 0, 1, "float32", seed)

/**
 * Draws on (−1, 1) from an integer recurrence and exact float arithmetic only, so the same values
 * on any JavaScript engine (TensorFlow.js's normals go through Math.log, whose last bit an engine
 * may choose): for pinning a kernel's bits.
 */
const portable: Draw = (shape, seed) => {
  const n = shape.reduce((a, b) => a * b, 1)
  const values = new Float32Array(n)
  let x = (seed * 2654435761) >>> 0
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0
    values[i] = (x >>> 8) / 2 ** 23 - 1
  }
  return tf.tensor(values, [...shape])
}

/**
 * Generated weights, biases, KL and the gradient of a scalar of them with respect to θ, under a
 * kernel version, from θ and random inputs that `draw` gives.
 */
const generation = (net: Hypernetwork, shape: ReadonlyArray<number>, mode: GenerationMode, thetaScale: number, seed: number, version: 1 | 2, draw: Draw = normals) => {
  useKernels(version)
  expect(fusedKernelsActive()).toBe(version === 2)
  const layout = paramLayout(net, shape)
  const plan = Result.getOrThrow(planGeneration(net, layout, shape, mode))
  const B = 2
  return tf.tidy(() => {
    const theta = tf.mul(draw([B, layout.size], seed), thetaScale)
    const randoms = Object.fromEntries(randomSpecs(net, shape).map((r, k) => [r.name, draw([B, ...r.shape], seed + 1 + k)]))
    const scalar = (th: tf.Tensor) => {
      const g = generateUnchecked(plan, th, randoms)
      const w = g.W.reduce((acc, x) => tf.add(acc, tf.sum(tf.sin(x))), tf.scalar(0))
      return tf.add(tf.add(w, tf.sum(tf.cos(g.bias[0]!))), tf.mul(tf.sum(g.kl), 1e-3))
    }
    const g = generateUnchecked(plan, theta, randoms)
    const values = [...g.W, ...g.bias, g.kl].map((t) => Array.from(t.dataSync()))
    const grad = Array.from(tf.grad(scalar)(theta).dataSync())
    return { values, grad }
  })
}

/** |a − b| ≤ tol·(1 + |b|), the largest such ratio. */
const worst = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): number =>
  a.reduce((w, x, k) => Math.max(w, Math.abs(x - b[k]!) / (1 + Math.abs(b[k]!))), 0)

describe("the fused hyperlayer kernels", () => {
  it("generate what the generic path generates, and the same gradient of θ, to float32 tolerance", () => {
    const shapes = fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 2, maxLength: 4 })
    fc.assert(fc.property(shapes, fc.constantFrom<GenerationMode>("encoder", "decoder-only"), fc.constantFrom(0.02, 0.3), fc.integer({ min: 1, max: 1000 }),
      fc.record({ attentionKey: fc.integer({ min: 1, max: 5 }), latent: fc.integer({ min: 1, max: 6 }), activation: fc.integer({ min: 1, max: 9 }) }),
      (shape, mode, scale, seed, widths) => {
        const net = Result.getOrThrow(makeHypernetwork(paperHypernetworkSpec(sizes(widths))))
        const before = tf.memory().numTensors
        const generic = generation(net, shape, mode, scale, seed, 1)
        const fused = generation(net, shape, mode, scale, seed, 2)
        expect(tf.memory().numTensors).toBe(before)
        generic.values.forEach((v, k) => expect(worst(fused.values[k]!, v)).toBeLessThan(2e-4))
        // the gradient's scale is its largest entry's
        const gmax = Math.max(1, ...generic.grad.map(Math.abs))
        expect(worst(fused.grad.map((g) => g / gmax), generic.grad.map((g) => g / gmax))).toBeLessThan(2e-5)
      }), { numRuns: 30, seed: 24 })
  })

  it("agree at the paper's widths on [16, 48, 1], where the KL channels are nearly closed", () => {
    const net = Result.getOrThrow(makeHypernetwork(paperHypernetworkSpec()))
    const generic = generation(net, [16, 48, 1], "encoder", 0.01, 5, 1)
    const fused = generation(net, [16, 48, 1], "encoder", 0.01, 5, 2)
    generic.values.forEach((v, k) => expect(worst(fused.values[k]!, v)).toBeLessThan(1e-4))
    const kl = generic.values[generic.values.length - 1]!
    expect(Math.max(...kl)).toBeLessThan(1)
    kl.forEach((x, b) => expect(fused.values[fused.values.length - 1]![b]!).toBeCloseTo(x, 4))
    const gmax = Math.max(...generic.grad.map(Math.abs))
    expect(worst(fused.grad.map((g) => g / gmax), generic.grad.map((g) => g / gmax))).toBeLessThan(1e-5)
  })

  it("run every built-in block, and leave a stage with a researcher's own block to the generic path", () => {
    const graph = edgeGraph([3, 4, 1])
    const context = { graph, batch: 2, sides: 2 as const, mode: "encoder" as const }
    const builtins: ReadonlyArray<Block> = [activationBlock(3), positionBlock("input", 2), noiseBlock(2), learnedBlock(2), edgeEmbeddingBlock(2, "e", 0.5), attentionBlock(1), klChannelBlock(1)]
    expect(fusedStagePlan(builtins, context, 3 + 6 + 2)).toBeDefined()
    const own: Block = { ...activationBlock(3, "own"), fused: undefined }
    expect(fusedStagePlan([own, attentionBlock(1)], context, 3 + 6)).toBeUndefined()
    // a whole stack with the researcher's block in its middle stage: generated as the generic path does
    const stages = [
      { blocks: [positionBlock("input", 2), noiseBlock(2), learnedBlock(2), edgeEmbeddingBlock(2, "e", 0.5)] },
      { blocks: [own, attentionBlock(1), klChannelBlock(2)] },
      { blocks: [activationBlock(2), noiseBlock(1), attentionBlock(2), klChannelBlock(1)] }
    ]
    const net = Result.getOrThrow(makeHypernetwork(stages))
    const generic = generation(net, [3, 4, 1], "encoder", 0.3, 9, 1)
    const fused = generation(net, [3, 4, 1], "encoder", 0.3, 9, 2)
    generic.values.forEach((v, k) => expect(worst(fused.values[k]!, v)).toBeLessThan(2e-4))
    const gmax = Math.max(1, ...generic.grad.map(Math.abs))
    expect(worst(fused.grad.map((g) => g / gmax), generic.grad.map((g) => g / gmax))).toBeLessThan(2e-5)
  })
})

/** SHA-256 of float32 values, for pinning a kernel's bits. */
const bits = (values: ReadonlyArray<ReadonlyArray<number>>): string =>
  createHash("sha256").update(Buffer.from(Float32Array.from(values.flat()).buffer)).digest("hex").slice(0, 16)

describe("the fused kernels' bits", () => {
  // Kernel version 2's numbers are what every run made with it replays: a change to how its kernels
  // compute (the attention pools' products, their sums' order, exp, the KL channels) must leave
  // every bit as it was, or be a new kernel version. The pins are the SHA-256 (first 16 hex digits)
  // of the values version 2 computed at 25711bb, before its kernels were rewritten to fewer
  // instructions (the rewritten ones give the same digests). The inputs are `portable` draws, so the
  // pins do not hang on an engine's Math.log. Key widths below, at and above one SIMD vector
  // (1, 3, 4, 5, 8, 9), pools of 3 to 24 members (whole vectors and remainders), both modes.
  it.each([
    [1, [3, 5, 1], "encoder", "b72a50002ad22182"],
    [3, [4, 9, 2], "encoder", "8cdacbeae8cd6f72"],
    [4, [4, 9, 2], "decoder-only", "28cfaf858bb1195a"],
    [5, [8, 24, 1], "encoder", "065d14ad4e7c84f1"],
    [8, [4, 9, 2], "encoder", "fd525f36a3f7ec9a"],
    [9, [5, 3, 6, 1], "encoder", "dc6ef8785487203f"]
  ] as const)("attention key %i on %j (%s): generated networks, KL and gradient of θ as version 2 first computed them", (key, shape, mode, pinned) => {
    const net = Result.getOrThrow(makeHypernetwork(paperHypernetworkSpec(sizes({ attentionKey: key, latent: 3, activation: 5 }))))
    const { values, grad } = generation(net, shape, mode, 0.3, 7 + key, 2, portable)
    expect(bits([...values, grad])).toBe(pinned)
  })
})

describe("Adam in one kernel", () => {
  it("updates parameters, moments and accumulators bit for bit as TensorFlow.js's AdamOptimizer does", async () => {
    useKernels(LATEST_KERNELS)
    const shapes = [[10, 37], [5], [3, 4, 2]]
    const make = () => shapes.map((s, k) => tf.variable(tf.randomNormal(s, 0, 1, "float32", k + 1), true, `adam-test-${Math.random()}`))
    const [mine, theirs] = [make(), make()]
    const [a, b] = [tf.train.adam(2e-3), tf.train.adam(2e-3)]
    let before = 0
    for (let step = 0; step < 6; step++) {
      // from the second step on (the optimizers have made their moments), no step adds a tensor
      if (step === 1) before = tf.memory().numTensors
      const grads = tf.tidy(() => shapes.map((s, k) => tf.mul(tf.randomNormal(s, 0, 1, "float32", 100 * step + k + 1), step === 3 ? 0 : 10 ** (k - 1))))
      applyAdam(a, mine, grads)
      b.applyGradients(theirs.map((p, k) => ({ name: p.name, tensor: grads[k]! })))
      tf.dispose(grads)
      mine.forEach((p, k) => expect(Array.from(p.dataSync())).toEqual(Array.from(theirs[k]!.dataSync())))
    }
    expect(tf.memory().numTensors).toBe(before)
    // the optimizer's own state: moments, iterations and accumulators
    const [wa, wb] = [await a.getWeights(), await b.getWeights()]
    wa.forEach((w, k) => expect(Array.from(w.tensor.dataSync())).toEqual(Array.from(wb[k]!.tensor.dataSync())))
    tf.dispose([...wa, ...wb].map((w) => w.tensor))
    tf.dispose([...mine, ...theirs])
    a.dispose()
    b.dispose()
  })
})

describe("kernel versions of runs", () => {
  const config = tinyConfig({ steps: 2, checkpointEvery: 1 })

  it("a run records its kernel version and replays with it; a run made before versions replays on version 1", async () => {
    useKernels(LATEST_KERNELS)
    const runDir = tempDir()
    await runProgram(train({ runDir, config, resume: false }), 3, "wasm")
    const manifest = JSON.parse(readFileSync(`${runDir}/manifest.json`, "utf8"))
    expect(manifest.versions[KERNELS_KEY]).toBe(String(LATEST_KERNELS))
    const latest = await runProgram(replay(runDir, `${runDir}/replay`), 3, "wasm")
    expect(latest.differences).toEqual([])
    expect(latest.notes).toEqual([])

    // a run made by the code before kernel versions: version 1, no version recorded
    useKernels(1)
    const oldDir = tempDir()
    await runProgram(train({ runDir: oldDir, config, resume: false }), 3, "wasm")
    useKernels(LATEST_KERNELS)
    const old = JSON.parse(readFileSync(`${oldDir}/manifest.json`, "utf8"))
    delete old.versions[KERNELS_KEY]
    writeFileSync(`${oldDir}/manifest.json`, JSON.stringify(old))
    const replayed = await runProgram(replay(oldDir, `${oldDir}/replay`), 3, "wasm")
    expect(replayed.differences).toEqual([])
    expect(replayed.identical).toBe(true)
    expect(replayed.notes).toEqual([`replayed with kernel version 1, the one the run was made with (new runs use version ${LATEST_KERNELS}, whose float rounding differs)`])
    // the two versions round differently: the old run's parameters are not the new run's
    expect(readFileSync(`${oldDir}/checkpoints/step-00000002.ckpt`).equals(readFileSync(`${runDir}/checkpoints/step-00000002.ckpt`))).toBe(false)

    // a version this code does not have
    old.versions[KERNELS_KEY] = "99"
    writeFileSync(`${oldDir}/manifest.json`, JSON.stringify(old))
    const unknown = await runProgram(replay(oldDir, `${oldDir}/replay2`), 3, "wasm")
    expect(unknown.identical).toBe(false)
    expect(unknown.differences).toEqual([`the run was made with kernel version 99, which this code does not have (it has versions 1 to ${LATEST_KERNELS}): its numbers cannot be reproduced here`])
  })
})
