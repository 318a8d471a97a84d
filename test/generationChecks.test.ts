import * as tf from "@tensorflow/tfjs"
import { fc } from "@fast-check/vitest"
import { Result } from "effect"
import { beforeAll, describe, expect, it } from "vitest"
import { paperHypernetworkSpec } from "../src/core/hypernetwork/paperHypernetworkSpec.js"
import { type Block, blockSpec, noSpecs } from "../src/layers/blocks/block.js"
import { edgeGraph } from "../src/layers/blocks/edgeGraph.js"
import { generate, type GenerationPlan, makeHypernetwork, paramLayout, planGeneration, randomSpecs } from "../src/layers/hypernetwork/hypernetwork.js"
import { noiseBlock } from "../src/layers/blocks/noise.js"
import { hiddenEdgePermutation } from "../src/layers/blocks/symmetry.js"
import { noLeak, useBackend } from "./helpers.js"

beforeAll(() => useBackend("cpu"))

const small = paperHypernetworkSpec({ activation: 3, position: 2, noise: 2, attentionKey: 1, learned: 2, latent: 2, depth: 3 })
const net = Result.getOrThrow(makeHypernetwork(small))
const shape = [3, 4, 1]
// planning runs a trial generation, so it needs the backend that beforeAll sets
let plan: GenerationPlan
beforeAll(() => {
  plan = Result.getOrThrow(planGeneration(net, paramLayout(net, shape), shape, "encoder"))
})
const randomsFor = (p: GenerationPlan, B: number) => Object.fromEntries(randomSpecs(p.net, p.graph.shape).map((s) => [s.name, tf.zeros([B, ...s.shape])]))
const failure = <A, E extends { readonly message: string }>(r: Result.Result<A, E>): string => (Result.isFailure(r) ? r.failure.message : "accepted")

describe("generation is total", () => {
  it("refuses θ of the wrong size, rank or type and random inputs of the wrong name, shape or batch, as a typed error", () => {
    const P = plan.layout.size
    noLeak(() => {
      const randoms = randomsFor(plan, 2)
      const [name, first] = Object.entries(randoms)[0]!
      const cases: ReadonlyArray<readonly [string, tf.Tensor, Record<string, tf.Tensor>, RegExp]> = [
        ["θ one entry short", tf.zeros([2, P - 1]), randoms, new RegExp(`θ must be \\[B, ${P}\\].*got \\[2, ${P - 1}\\]`)],
        ["rank-1 θ", tf.zeros([P]), randoms, /θ must be \[B, \d+\]/],
        ["θ of ints", tf.zeros([2, P], "int32"), randoms, /θ must be float32/],
        ["a random input missing", tf.zeros([2, P]), Object.fromEntries(Object.entries(randoms).slice(1)), new RegExp(`missing random input ${name.replace(/\./g, "\\.")}`)],
        ["an unknown random input", tf.zeros([2, P]), { ...randoms, "s9.noise.z": first }, /unknown random input s9\.noise\.z/],
        ["a random input of another batch", tf.zeros([2, P]), { ...randoms, [name]: tf.zeros([3, ...first.shape.slice(1)]) }, /\(batch 2 like θ\), got \[3,/],
        ["a random input of another shape", tf.zeros([2, P]), { ...randoms, [name]: tf.zeros([2, 1]) }, /must be \[2, .*got \[2, 1\]/]
      ]
      for (const [what, theta, rs, message] of cases) {
        const r = generate(plan, theta, rs)
        expect(Result.isFailure(r) && r.failure._tag, what).toBe("GenerationError")
        expect(failure(r), what).toMatch(message)
        tf.dispose(theta)
        if (rs[name] !== undefined && rs[name] !== first) tf.dispose(rs[name]!)
      }
      tf.dispose(Object.values(randoms))
    })
  })

  it("any θ of shape [B, P] with matching random inputs generates, for any batch", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 4 }), (B) => {
      noLeak(() => {
        const theta = tf.zeros([B, plan.layout.size])
        const randoms = randomsFor(plan, B)
        const g = Result.getOrThrow(generate(plan, theta, randoms))
        expect(g.weights.W.map((w) => w.shape)).toEqual([[B, 3, 4], [B, 4, 1]])
        tf.dispose([theta, ...Object.values(randoms), ...g.weights.W, ...g.weights.b, g.kl])
      })
    }), { numRuns: 4 })
  })

  it("a block that writes another width than it declares, or throws, fails the plan with its name", () => {
    const liar: Block = { ...noiseBlock(2, "liar"), outputs: 3 }
    const thrower: Block = {
      name: "thrower", spec: blockSpec("thrower", {}, "thrower", "thrower"), inputs: 0, outputs: 1, params: noSpecs, randoms: noSpecs,
      apply: () => { throw new Error("boom") }
    }
    for (const [block, message] of [[liar, /block "liar" of stage 0 declares 3 output features but wrote \[1, 2, \d+, 2\]/], [thrower, /block "thrower" of stage 0 failed: boom/]] as const) {
      const n = Result.getOrThrow(makeHypernetwork([{ blocks: [block] }, { blocks: [net.stages[1]!.blocks[0]!] }]))
      expect(failure(noLeak(() => planGeneration(n, paramLayout(n, shape), shape, "encoder")))).toMatch(message)
    }
  })

  it("a plan refuses a layout of another hypernetwork", () => {
    const other = Result.getOrThrow(makeHypernetwork(paperHypernetworkSpec()))
    expect(failure(planGeneration(net, paramLayout(other, shape), shape, "encoder"))).toMatch(/is not this hypernetwork's layout/)
  })

  it("hidden-unit permutations must permute each hidden layer", () => {
    const graph = edgeGraph([2, 3, 2, 1])
    expect(Result.isSuccess(hiddenEdgePermutation(graph, [[2, 0, 1], [1, 0]]))).toBe(true)
    expect(failure(hiddenEdgePermutation(graph, [[2, 0, 1]]))).toMatch(/needs 2 permutations, got 1/)
    expect(failure(hiddenEdgePermutation(graph, [[0, 1], [1, 0]]))).toMatch(/perms\[0\] must be a permutation of 0…2 \(hidden layer 1 has 3 units\), got \[0, 1\]/)
    expect(failure(hiddenEdgePermutation(graph, [[0, 0, 1], [1, 0]]))).toMatch(/perms\[0\]/)
    expect(failure(hiddenEdgePermutation(graph, [[0, 1, 2], [0, 2]]))).toMatch(/perms\[1\]/)
  })
})
