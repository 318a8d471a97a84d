import { readFileSync } from "node:fs"
import * as tf from "@tensorflow/tfjs"
import { fc } from "@fast-check/vitest"
import { Result, Schema } from "effect"
import { beforeAll, describe, expect, it } from "vitest"
import { HypernetworkSpec } from "../src/core/hypernetwork/hypernetworkSpec.js"
import { paperHypernetworkSpec } from "../src/core/hypernetwork/paperHypernetworkSpec.js"
import { type Block, blockSpec, noSpecs } from "../src/layers/blocks/block.js"
import { defineBlock } from "../src/layers/blocks/blockDefinition.js"
import { builtinBlocks } from "../src/layers/blocks/builtinBlocks.js"
import { hypernetworkSpec, makeHypernetwork, paramLayout } from "../src/layers/hypernetwork/hypernetwork.js"
import { blockStack } from "../src/testing/arbitraries.js"
import { blocksInCode } from "./blocksInCode.js"
import { useBackend } from "./helpers.js"

beforeAll(() => useBackend("cpu"))

const build = (spec: unknown) => makeHypernetwork(spec as HypernetworkSpec)
const example = (name: string) => JSON.parse(readFileSync(`examples/hypernetworks/${name}.json`, "utf8")) as unknown

describe("hypernetwork specs", () => {
  it("round-trip JSON: a spec builds a stack whose spec is the same, and the same stack built in code has the same P", () => {
    fc.assert(fc.property(blockStack({ varied: true }), fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 2, maxLength: 4 }), (spec, shape) => {
      const text = JSON.stringify(spec)
      const net = Result.getOrThrow(build(JSON.parse(text)))
      expect(hypernetworkSpec(net)).toEqual(spec)
      expect(JSON.parse(JSON.stringify(Schema.encodeSync(HypernetworkSpec)(hypernetworkSpec(net))))).toEqual(JSON.parse(text))
      const inCode = Result.getOrThrow(makeHypernetwork(blocksInCode(spec), { readout: spec.readout, hyperhypernetwork: spec.hyperhypernetwork }))
      expect(hypernetworkSpec(inCode)).toEqual(spec)
      expect(paramLayout(inCode, shape).size).toBe(paramLayout(net, shape).size)
    }), { numRuns: 60 })
  })

  it("the paper's spec has P = 24,380 for [16, 48, 1], and the shipped examples build", () => {
    const paper = Result.getOrThrow(build(paperHypernetworkSpec()))
    expect(paramLayout(paper, [16, 48, 1]).size).toBe(24380)
    expect(example("paper")).toEqual(paperHypernetworkSpec())
    const noAttention = Result.getOrThrow(build(example("no-attention")))
    expect(noAttention.stages.flatMap((s) => s.blocks.map((b) => b.spec.kind))).not.toContain("attention")
    // each hyperlayer loses the attention block's 30 inputs and 10 outputs
    expect(paramLayout(noAttention, [16, 48, 1]).size).toBe(4 * 816 * 5 + (22 * 28 + 28) + 2 * (46 * 28 + 28) + (46 * 2 + 2))
    const twoKl = Result.getOrThrow(build(example("two-kl-channels")))
    for (const stage of twoKl.stages.slice(1)) expect(stage.blocks.filter((b) => b.spec.kind === "kl").map((b) => b.name)).toEqual(["kl-a", "kl-b"])
    expect(paramLayout(twoKl, [16, 48, 1]).size).toBe(4 * 816 * 5 + (22 * 66 + 66) + 2 * (60 * 66 + 66) + (60 * 2 + 2))
  })

  it("names an unknown block kind, a bad argument, an unknown argument and a name used twice", () => {
    const paper = paperHypernetworkSpec()
    const withBlock = (block: Record<string, unknown>) => ({ ...paper, stages: [paper.stages[0]!, { blocks: [...paper.stages[1]!.blocks, block] }] })
    const unknown = build(withBlock({ kind: "graph-conv", features: 4 }))
    expect(Result.isFailure(unknown) && unknown.failure._tag).toBe("UnknownComponent")
    expect(Result.isFailure(unknown) && unknown.failure.message).toMatch(/stages\[1\]\.blocks\[8\]: no block of kind "graph-conv" is registered \(known: activation, position, noise, attention, learned, kl, embedding\)/)
    const bad = build(withBlock({ kind: "activation", name: "act2", features: 0 }))
    expect(Result.isFailure(bad) && bad.failure.message).toMatch(/stages\[1\]\.blocks\[8\] \(kind "activation"\): features: features must be at least 1/)
    const extra = build(withBlock({ kind: "noise", name: "noise2", features: 2, sigma: 3 }))
    expect(Result.isFailure(extra) && extra.failure.message).toMatch(/sigma/)
    const twice = build(withBlock({ kind: "noise", features: 2 }))
    expect(Result.isFailure(twice) && twice.failure.message).toMatch(/stage 1 has two blocks named "noise"/)
    const shapeless = build({ stages: [], readout: 2, hyperhypernetwork: { hidden: [], perEdge: "generated" } })
    expect(Result.isFailure(shapeless) && shapeless.failure.message).toMatch(/at least stage 0/)
    const noKind = build({ ...paper, stages: [{ blocks: [{ features: 3 }] }] })
    expect(Result.isFailure(noKind) && noKind.failure.message).toMatch(/kind/)
  })

  it("builds a researcher's own block kind once its definition is given", () => {
    const scale = (features: number, factor: number, name = "scale"): Block => ({
      name, spec: blockSpec("scale", { features, factor }, name, "scale"), inputs: features, outputs: features, params: noSpecs, randoms: noSpecs,
      apply: (x) => ({ output: tf.mul(x!, factor) })
    })
    const definition = defineBlock({
      kind: "scale", description: "multiplies by a constant",
      args: Schema.Struct({ features: Schema.Int, factor: Schema.Number }),
      make: ({ features, factor }, name) => scale(features, factor, name)
    })
    const paper = paperHypernetworkSpec()
    const spec = { ...paper, stages: [paper.stages[0]!, { blocks: [...paper.stages[1]!.blocks, { kind: "scale", features: 3, factor: 0.5 }] }] }
    expect(Result.isFailure(makeHypernetwork(spec))).toBe(true)
    const net = Result.getOrThrow(makeHypernetwork(spec, [...builtinBlocks, definition]))
    expect(hypernetworkSpec(net)).toEqual(spec)
  })
})
