import type { Effect } from "effect"
import { describe, expectTypeOf, it } from "vitest"
import { ablation } from "../src/programs/experiments/ablation.js"
import { baseline } from "../src/programs/experiments/baseline.js"
import { drawRun } from "../src/programs/experiments/draw.js"
import { generalize } from "../src/programs/experiments/generalize.js"
import { replay } from "../src/programs/experiments/replay.js"
import { report } from "../src/programs/experiments/report.js"
import { reproduce } from "../src/programs/experiments/reproduce.js"
import { sweep } from "../src/programs/experiments/sweep.js"
import { train } from "../src/programs/training/train.js"
import { initTrainer, trainStep } from "../src/programs/training/trainer.js"

/** The error channel of a program, checked by the type checker (`npm test` runs tsc first). */
type ErrorOf<F extends (...args: never) => Effect.Effect<unknown, unknown, unknown>> = Effect.Error<ReturnType<F>>

describe("error channels", () => {
  it("are typed unions of tagged errors, never unknown", () => {
    expectTypeOf<ErrorOf<typeof train>>().not.toBeUnknown()
    expectTypeOf<ErrorOf<typeof train>["_tag"]>().toEqualTypeOf<"RunError" | "StoreError" | "CheckpointError" | "MetricsMismatch" | "RunLocked" | "HypernetworkSpecError" | "UnknownComponent" | "TaskShapeError" | "ConditionError" | "GenerationError" | "Diverged" | "WorkerError">()
    expectTypeOf<ErrorOf<typeof initTrainer>["_tag"]>().toEqualTypeOf<"HypernetworkSpecError" | "UnknownComponent" | "TaskShapeError" | "ConditionError" | "GenerationError">()
    expectTypeOf<ErrorOf<typeof trainStep>["_tag"]>().toEqualTypeOf<"Diverged" | "WorkerError">()
    expectTypeOf<ErrorOf<typeof sweep>["_tag"]>().toBeString()
    expectTypeOf<ErrorOf<typeof ablation>["_tag"]>().toBeString()
    expectTypeOf<ErrorOf<typeof generalize>["_tag"]>().toBeString()
    expectTypeOf<ErrorOf<typeof baseline>["_tag"]>().toBeString()
    expectTypeOf<ErrorOf<typeof drawRun>["_tag"]>().toBeString()
    expectTypeOf<ErrorOf<typeof report>["_tag"]>().toBeString()
    expectTypeOf<ErrorOf<typeof reproduce>["_tag"]>().toBeString()
    expectTypeOf<ErrorOf<typeof replay>["_tag"]>().toBeString()
  })
})
