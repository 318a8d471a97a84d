import * as tf from "@tensorflow/tfjs"
import { describe, expect, it } from "vitest"
import { BackendNotReady, checkBlockWidth } from "../src/testing/index.js"
import type { Block } from "../src/layers/blocks/block.js"

// A block that writes one feature fewer than it declares: the kit must name that, not the backend.
const lying: Block = {
  name: "short", spec: { kind: "short", name: "short" }, inputs: 4, outputs: 5, params: () => [], randoms: () => [],
  apply: (input) => ({ output: tf.clone(input!) })
}

describe("the testing kit before a backend is ready", () => {
  // this file's first test: nothing has chosen a backend in this worker yet
  it("says that no backend is ready instead of failing the property on the backend's error", () => {
    expect(tf.getBackend()).toBeFalsy()
    expect(() => checkBlockWidth(lying, { numRuns: 5 })).toThrow(BackendNotReady)
    expect(() => checkBlockWidth(lying, { numRuns: 5 })).toThrow(/no TensorFlow\.js backend is ready yet; call `await tf\.ready\(\)`/)
  })

  it("once a backend is ready, names the block's real fault", async () => {
    await tf.setBackend("cpu")
    expect(() => checkBlockWidth(lying, { numRuns: 5 })).toThrow(/declares 5 output features but wrote/)
  })
})
