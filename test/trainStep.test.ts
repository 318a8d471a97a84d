import * as tf from "@tensorflow/tfjs"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { disposeTrainer, initTrainer, trainStep } from "../src/programs/training/trainer.js"
import type { Rng } from "../src/services/rng/Rng.js"
import { useBackend } from "./helpers.js"
import { runProgram, tinyConfig } from "./programs.js"

describe("a training step on one thread", () => {
  it("hands its draws to the gradient as drawn: no whole-batch copy (a Slice whose output is its input's shape)", async () => {
    await useBackend("cpu")
    const copies = await runProgram(Effect.gen(function* () {
      const t = yield* initTrainer(tinyConfig({}))
      yield* trainStep(t)
      const services = yield* Effect.context<Rng>()
      yield* Effect.addFinalizer(() => Effect.sync(() => disposeTrainer(t)))
      const profile = yield* Effect.promise(() => tf.profile(async () => {
        await Effect.runPromise(Effect.provideContext(trainStep(t), services))
      }))
      const B = t.config.betasPerStep
      // the draws (log β, inputs, random features) lead with the β axis; the hypernetwork's own slices do not copy whole [B, …] tensors
      return profile.kernels.filter((k) => k.name === "Slice" && k.inputShapes[0]?.[0] === B && JSON.stringify(k.inputShapes[0]) === JSON.stringify(k.outputShapes[0])).length
    }), 9)
    expect(copies).toBe(0)
  })
})
