import { join } from "node:path"
import { NodeServices } from "@effect/platform-node"
import * as tf from "@tensorflow/tfjs"
import { Effect, Result } from "effect"
import { type Block, Hypernetworks, loadNetwork, Network, saveNetwork, Weights } from "hyperlayers"
import { checkBlockWidth, checkHiddenEquivariance, checkHypernetwork, PropertyCheckFailed, testStack } from "hyperlayers/testing"
import { beforeAll, describe, expect, it } from "vitest"
import { useBackend } from "./helpers.js"
import { tempDir } from "./programs.js"

beforeAll(() => useBackend("cpu"))

// A user's project imports the package by name; so does this file, through package.json's
// "exports" (a package may import itself by name): it runs the built dist/ (`npm test` builds it
// first), as a user would. The docs' "Bring your own network" and "Property-test your own
// block" examples, kept here so that they cannot rot.
describe("the README, from a user's project", () => {
  it("saves a construction in PyTorch's layout and loads it back", async () => {
    const dir = tempDir()
    const net = Result.getOrThrow(Weights.toStoredNetwork(Result.getOrThrow(Network.pudding(16, 48, "negative"))))
    const loaded = await Effect.runPromise(Effect.gen(function* () {
      yield* saveNetwork(join(dir, "pudding.safetensors"), net, "safetensors", { layout: "torch" })
      return yield* loadNetwork(join(dir, "pudding.safetensors"))
    }).pipe(Effect.provide(NodeServices.layer)))
    expect([loaded.layout, loaded.network.shape, loaded.layers[0]!.weight]).toEqual(["torch", [16, 48, 1], "0.weight"])
    expect(loaded.network.W[0]).toEqual(net.W[0])
  })

  /** Gated hyperfeatures: `x · sigmoid(g)` for each of `features` pairs (x, g). */
  const gateBlock = (features: number, name = "gate"): Block => ({
    name, spec: { kind: "gate", name, features },
    inputs: 2 * features, outputs: features, params: () => [], randoms: () => [],
    apply: (input) => ({ output: tf.tidy(() => { const [x, g] = tf.split(input!, 2, -1); return tf.mul(x!, tf.sigmoid(g!)) }) })
  })

  it("the gate block writes its width, leaks nothing and keeps every invariant in a stack", () => {
    checkBlockWidth(gateBlock(3))
    checkHypernetwork(Result.getOrThrow(testStack(gateBlock(3))), { numRuns: 20 })
  })

  it("the kit's runners work on the paper's hypernetwork and throw PropertyCheckFailed for a broken block", () => {
    checkHiddenEquivariance(Hypernetworks.paperHypernetwork(), { numRuns: 3, maxWidth: 3 })
    const liar: Block = { ...gateBlock(2, "liar"), outputs: 3 }
    expect(() => checkBlockWidth(liar, { numRuns: 5 })).toThrow(PropertyCheckFailed)
  })
})
