import { existsSync } from "node:fs"
import { join } from "node:path"
import * as tf from "@tensorflow/tfjs"
import { fc } from "@fast-check/vitest"
import { Effect, Result, Schema } from "effect"
import { beforeAll, describe, expect, it } from "vitest"
import { checkCondition, Condition, ConditionError, conditionScale, referenceValue } from "../src/core/task/condition.js"
import { heatTask } from "../src/core/task/heatEquation.js"
import { heatFamily, sdfFamily } from "../src/core/inr/inrFamilies.js"
import { defineInrFamily, gridPoints, type InrFamily, MAX_GRID_POINTS, nearestCondition, relativeL2, trainingConditions } from "../src/core/inr/inrFamily.js"
import { inrHypernetworkSpec, inrPresets } from "../src/core/inr/inrPresets.js"
import type { InrSettings } from "../src/core/inr/inrResults.js"
import { quoteValue } from "../src/core/base/quoteValue.js"
import { defineTask, type Task } from "../src/core/task/task.js"
import { inr } from "../src/programs/inr/inr.js"
import { trainConditionedMlp, trainInrsFromScratch } from "../src/programs/inr/inrBaselines.js"
import { train } from "../src/programs/training/train.js"
import { registryLayer } from "../src/services/registry/Registry.js"
import { noLeak, useBackend } from "./helpers.js"
import { runProgram, tempDir, tinyConfig } from "./programs.js"

beforeAll(() => useBackend("cpu"))

/** A valid condition: a finite range, maybe a list of distinct training values and a reference inside it. */
const conditionArb: fc.Arbitrary<Condition> = fc.record({
  min: fc.double({ min: -100, max: 100, noNaN: true }),
  width: fc.double({ min: 0.01, max: 100, noNaN: true }),
  training: fc.option(fc.uniqueArray(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 6 }), { nil: undefined }),
  reference: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined })
}).map(({ min, width, training, reference }) => {
  const max = min + width
  const at = (u: number) => Math.min(max, min + u * width)
  const values = training === undefined ? undefined : [...new Set(training.map(at))]
  return { name: "c", min, max, ...(values === undefined ? {} : { training: values }), ...(reference === undefined ? {} : { reference: at(reference) }) }
})

const bad = fc.constantFrom(Number.NaN, Infinity, -Infinity)

/** One rule broken: the condition, the field named and the value it holds. */
const corrupted: fc.Arbitrary<{ readonly condition: Record<string, unknown>; readonly field: string; readonly value: unknown }> = fc.tuple(conditionArb, fc.nat(), bad, fc.double({ min: 1e-3, max: 50, noNaN: true })).chain(([c, k, nonFinite, d]) => {
  const training = c.training ?? [c.min]
  const j = k % training.length
  const cases = [
    { condition: { ...c, min: nonFinite }, field: "min", value: nonFinite },
    { condition: { ...c, max: nonFinite }, field: "max", value: nonFinite },
    { condition: { ...c, max: c.min - d }, field: "max", value: c.min - d },
    { condition: { ...c, max: c.min }, field: "max", value: c.min },
    { condition: { ...c, training: [] }, field: "training", value: [] },
    { condition: { ...c, training: training.map((v, i) => (i === j ? nonFinite : v)) }, field: `training[${j}]`, value: nonFinite },
    { condition: { ...c, training: training.map((v, i) => (i === j ? c.max + d : v)) }, field: `training[${j}]`, value: c.max + d },
    { condition: { ...c, training: training.map((v, i) => (i === j ? c.min - d : v)) }, field: `training[${j}]`, value: c.min - d },
    { condition: { ...c, training: [...training, training[j]!] }, field: `training[${training.length}]`, value: training[j]! },
    { condition: { ...c, training: "0.5" }, field: "training", value: "0.5" },
    { condition: { ...c, reference: nonFinite }, field: "reference", value: nonFinite },
    { condition: { ...c, reference: c.max + d }, field: "reference", value: c.max + d },
    { condition: { ...c, reference: c.min - d }, field: "reference", value: c.min - d },
    { condition: { ...c, name: "" }, field: "name", value: "" },
    { condition: { ...c, name: 7 }, field: "name", value: 7 }
  ]
  return fc.constantFrom(...cases)
})

const taskWith = (conditions: ReadonlyArray<unknown>) =>
  defineTask({ name: "t", description: "", outputs: 1, inputs: { min: 1, max: 1 }, normalisation: "none", conditions: conditions as ReadonlyArray<Condition>, target: (x) => x })

describe("a condition's rules", () => {
  it("accept every well-formed condition: its training grid is non-empty and inside the range, its scale finite", () => {
    fc.assert(fc.property(conditionArb, (c) => {
      expect(Result.isSuccess(checkCondition(c))).toBe(true)
      expect(Result.isSuccess(Schema.decodeUnknownResult(Condition)(c))).toBe(true)
      const grid = trainingConditions([c])
      expect(grid.length).toBeGreaterThan(0)
      for (const [v] of grid) expect(v! >= c.min && v! <= c.max).toBe(true)
      const { center, halfWidth } = conditionScale(c)
      expect(Number.isFinite(center) && halfWidth > 0).toBe(true)
      expect(referenceValue(c)).toBeGreaterThanOrEqual(c.min)
    }), { numRuns: 200 })
  })

  it("refuse every broken one with a ConditionError naming the field and the value, in defineTask and the Schema alike", () => {
    fc.assert(fc.property(corrupted, ({ condition, field, value }) => {
      const r = checkCondition(condition)
      expect(Result.isFailure(r)).toBe(true)
      const e = Result.isFailure(r) ? r.failure : undefined
      expect(e).toBeInstanceOf(ConditionError)
      expect(e!.field).toBe(field)
      expect(Object.is(e!.value, value) || JSON.stringify(e!.value) === JSON.stringify(value)).toBe(true)
      expect(e!.message).toContain(`${field} `)
      expect(e!.message).toContain(`got ${quoteValue(value)}`)
      const task = taskWith([condition])
      expect(Result.isFailure(task) && task.failure._tag).toBe("ConditionError")
      expect(Result.isFailure(task) && task.failure.message).toMatch(/^task "t": condition /)
      expect(Result.isFailure(Schema.decodeUnknownResult(Condition)(condition))).toBe(true)
      expect(() => trainingConditions([condition as Condition])).toThrow(ConditionError)
    }), { numRuns: 300 })
  })

  it("say what is wrong with the issue's examples", () => {
    const why = (c: unknown) => {
      const r = taskWith([c])
      return Result.isFailure(r) ? r.failure.message : "accepted"
    }
    expect(why({ name: "t", min: 0, max: 1, training: [] })).toBe('task "t": condition t: training needs at least one value (or leave it out to train on all of [0, 1]), got []')
    expect(why({ name: "t", min: 0, max: 1, training: [Number.NaN] })).toBe('task "t": condition t: training[0] must be a finite number, got NaN')
    expect(why({ name: "r", min: 1, max: 2, reference: 40 })).toBe(`task "t": condition r: reference must lie in the condition's range [1, 2] (a reference outside it is no condition the network was trained near), got 40`)
    expect(why({ name: "logBeta", min: 0, max: 1 })).toBe(`task "t": condition conditions[0]: name may not be logBeta (β is every run's condition), got "logBeta"`)
    const two = taskWith([{ name: "a", min: 0, max: 1 }, { name: "a", min: 0, max: 2 }])
    expect(Result.isFailure(two) && two.failure.message).toBe('task "t": condition conditions[1]: name is the name of an earlier condition, got "a"')
  })

  it("are checked again where a task made without defineTask enters a run: training refuses it before writing anything", async () => {
    const good = Result.getOrThrow(taskWith([{ name: "a", min: 0, max: 1 }]))
    const handMade: Task = { ...good, name: "hand-made", conditions: [{ name: "a", min: 0, max: 1, training: [] }] }
    const runDir = join(tempDir(), "run")
    const before = tf.memory().numTensors
    const e = await runProgram(Effect.flip(train({ runDir, config: tinyConfig({ task: "hand-made", shape: [1, 4, 1] }), resume: false }).pipe(Effect.provide(registryLayer({ tasks: [handMade] })))))
    expect(e._tag).toBe("ConditionError")
    expect(e.message).toBe('task "hand-made": condition a: training needs at least one value (or leave it out to train on all of [0, 1]), got []')
    expect(existsSync(runDir)).toBe(false)
    expect(tf.memory().numTensors).toBe(before)
  })
})

describe("an INR family's held-out conditions", () => {
  /** A one-condition family on [min, max] trained at its ends and its midpoint. */
  const family = (min: number, max: number, interpolation: ReadonlyArray<ReadonlyArray<number>>, extrapolation: ReadonlyArray<ReadonlyArray<number>>) => {
    const task = Result.getOrThrow(taskWith([{ name: "c", min, max, training: [min, (min + max) / 2, max] }]))
    return defineInrFamily({ task, domain: [{ min: 0, max: 1 }], shape: [1, 4, 1], interpolation, extrapolation })
  }
  const range = fc.tuple(fc.double({ min: -50, max: 50, noNaN: true }), fc.double({ min: 0.1, max: 50, noNaN: true })).map(([min, w]) => [min, min + w] as const)

  it("are accepted on their own side of the range and refused on the wrong one, naming the field and the value", () => {
    fc.assert(fc.property(range, fc.double({ min: -3, max: 4, noNaN: true }), ([min, max], u) => {
      const v = min + u * (max - min)
      const inside = v >= min && v <= max
      const training = [min, (min + max) / 2, max].includes(v)
      const asInterpolation = family(min, max, [[v]], [])
      const asExtrapolation = family(min, max, [], [[v]])
      expect(Result.isSuccess(asInterpolation)).toBe(inside && !training)
      expect(Result.isSuccess(asExtrapolation)).toBe(!inside)
      if (Result.isFailure(asInterpolation)) expect(asInterpolation.failure.message).toContain(`interpolation[0] ${quoteValue([v])}`)
      if (Result.isFailure(asExtrapolation)) expect(asExtrapolation.failure.message).toContain(`extrapolation[0] ${quoteValue([v])} lies inside the training range (c in [${min}, ${max}])`)
    }), { numRuns: 300 })
  })

  it("say what is wrong, for two conditions and for repeats", () => {
    const why = (d: Partial<Parameters<typeof defineInrFamily>[0]>) => {
      const r = defineInrFamily({ ...sdfFamily, ...d })
      return Result.isFailure(r) ? r.failure.message : "accepted"
    }
    expect(why({})).toBe("accepted")
    expect(why({ interpolation: [[0.6, 0]] })).toBe('INR family "sdf": interpolation[0] [0.6,0] lies beyond the training range (size 0.6 is outside [0.2, 0.5]): an interpolation condition lies inside every range; list it under extrapolation')
    expect(why({ interpolation: [[0.3, 0.2]] })).toBe('INR family "sdf": interpolation[0] [0.3,0.2] is one of the training conditions, so it is not held out')
    expect(why({ extrapolation: [[0.3, 0.1]] })).toBe('INR family "sdf": extrapolation[0] [0.3,0.1] lies inside the training range (size in [0.2, 0.5], position in [-0.4, 0.4]): an extrapolation condition lies beyond at least one range; list it under interpolation')
    expect(why({ extrapolation: [[0.6, 0], [0.6, 0]] })).toBe('INR family "sdf": extrapolation[1] [0.6,0] repeats extrapolation[0]')
    expect(why({ shape: [2, 0, 1] })).toMatch(/^INR family "sdf": invalid shape \[2,0,1\]: a layer size must be at least 1/)
    expect(why({ extrapolationLabel: "" })).toBe('INR family "sdf": extrapolationLabel must be a non-empty string, got ""')
  })
})

describe("the INR programs' numeric arguments", () => {
  it("grids, nearest conditions and relative errors refuse degenerate arguments by name", () => {
    const thrown = (f: () => unknown) => {
      try {
        f()
        return "no error"
      } catch (e) {
        return `${(e as { _tag?: string })._tag}: ${(e as Error).message}`
      }
    }
    expect(thrown(() => gridPoints([{ min: 0, max: 1 }], 0))).toBe("InvalidInput: gridPoints: points must be a positive integer, got 0")
    expect(thrown(() => gridPoints([{ min: 0, max: 1 }], 2.5))).toBe("InvalidInput: gridPoints: points must be a positive integer, got 2.5")
    expect(thrown(() => gridPoints([{ min: 0, max: Number.NaN }], 3))).toBe("InvalidInput: gridPoints: domain[0] must be finite with min ≤ max, got [0, NaN]")
    expect(thrown(() => gridPoints([], 3))).toBe("InvalidInput: gridPoints: domain needs at least one interval")
    expect(thrown(() => gridPoints([{ min: 0, max: 1 }, { min: 0, max: 1 }], 4096))).toBe(`InvalidInput: gridPoints: points 4096 on 2 axes makes 16777216 rows, more than ${MAX_GRID_POINTS}`)
    const c = heatTask.conditions
    expect(nearestCondition(c, [], [0.5])).toBe(-1)
    expect(thrown(() => nearestCondition(c, [[0]], [Number.NaN]))).toBe("InvalidInput: nearestCondition: c must be 1 finite number (one per condition), got [NaN]")
    expect(thrown(() => nearestCondition(c, [[0, 1]], [0.5]))).toBe("InvalidInput: nearestCondition: candidates[0] must be 1 finite number (one per condition), got [0,1]")
    noLeak(() => {
      const [a, b] = [tf.ones([2, 3, 1]), tf.ones([1, 3, 1])]
      expect(thrown(() => relativeL2(a, b))).toBe("InvalidInput: relativeL2: prediction and truth must both be [K, G, outputs] of one shape, got [2, 3, 1] and [1, 3, 1]")
      tf.dispose([a, b])
    })
  })

  it("the baselines' trainers refuse steps, samples, rates and conditions out of their domain, where they trained before", async () => {
    const before = tf.memory().numTensors
    const adam = { steps: 2, samples: 4, learningRate: 0.01 }
    const scratch = (over: Partial<typeof adam>, conditions: ReadonlyArray<ReadonlyArray<number>> = [[0.5]]) =>
      runProgram(Effect.flip(trainInrsFromScratch(heatTask, [1, 4, 1], "swish", conditions, { ...adam, ...over })))
    // steps 0 used to train nothing and report a final loss of 0
    expect((await scratch({ steps: 0 })).message).toBe("trainInrsFromScratch: settings.steps must be a positive integer, got 0")
    expect((await scratch({ samples: Number.NaN })).message).toBe("trainInrsFromScratch: settings.samples must be a positive integer, got NaN")
    expect((await scratch({ learningRate: -1 })).message).toBe("trainInrsFromScratch: settings.learningRate must be a finite number above 0, got -1")
    expect((await scratch({}, [])).message).toBe("trainInrsFromScratch: conditions needs at least one condition (one network is trained per condition), got []")
    expect((await scratch({}, [[Infinity]])).message).toBe("trainInrsFromScratch: conditions[0] must be 1 finite number (t), got [Infinity]")
    const mlp = (n0: number, hidden: ReadonlyArray<number>, perStep: number) => runProgram(Effect.flip(trainConditionedMlp(heatTask, n0, hidden, "swish", perStep, adam)))
    expect((await mlp(0, [4], 2)).message).toBe("trainConditionedMlp: n0 must be a positive integer, got 0")
    expect((await mlp(1, [4], 0.5)).message).toBe("trainConditionedMlp: conditionsPerStep must be a positive integer, got 0.5")
    expect((await mlp(1, [-4], 2)).message).toMatch(/^trainConditionedMlp: hidden does not make a network's shape \(invalid shape \[2,-4,1\]: a layer size must be at least 1/)
    expect(tf.memory().numTensors).toBe(before) // refused before any variable is made
  })

  it("inr checks a family built by hand and grids too fine for its domain before writing anything", async () => {
    const settings: InrSettings = {
      ...inrPresets.quick.settings(heatFamily), steps: 2, conditionsPerStep: 2, samples: 8, checkpointEvery: 1, logEvery: 1, mlpHidden: [4], gridPoints: 5, figurePoints: 5, seeds: 1,
      hypernetwork: inrHypernetworkSpec({ embedding: 2, scale: 10, activation: 4, depth: 2, hidden: [4] })
    }
    const runDir = join(tempDir(), "run")
    const before = tf.memory().numTensors
    const handMade: InrFamily = { ...heatFamily, task: { ...heatFamily.task, conditions: [{ name: "t", min: 1, max: 2, reference: 40 }] } }
    const e = await runProgram(Effect.flip(inr({ runDir, family: handMade, settings, resume: false })))
    expect([e._tag, e.message]).toEqual(["InrFamilyError", `INR family "heat": task "heat": condition t: reference must lie in the condition's range [1, 2] (a reference outside it is no condition the network was trained near), got 40`])
    const wrongSide: InrFamily = { ...heatFamily, interpolation: [[1.5]] }
    expect((await runProgram(Effect.flip(inr({ runDir, family: wrongSide, settings, resume: false })))).message).toMatch(/interpolation\[0\] \[1\.5\] lies beyond the training range \(t 1\.5 is outside \[0, 1\]\)/)
    const fine = await runProgram(Effect.flip(inr({ runDir, family: sdfFamily, settings: { ...settings, shape: [2, 4, 1], gridPoints: 4096 }, resume: false })))
    expect([fine._tag, fine.message]).toEqual(["InvalidInput", `gridPoints 4096 on the 2-dimensional domain of sdf makes 16777216 grid points; at most ${MAX_GRID_POINTS} (1024 per axis)`])
    const nan = await runProgram(Effect.flip(inr({ runDir, family: heatFamily, settings: { ...settings, learningRate: Number.NaN }, resume: false })))
    expect([nan._tag, nan.message]).toEqual(["InvalidInput", "invalid INR settings: learningRate: learningRate must be positive"])
    expect(existsSync(runDir)).toBe(false)
    expect(tf.memory().numTensors).toBe(before)
  })
})
