import { fc } from "@fast-check/vitest"
import { Result } from "effect"
import { describe, expect, it } from "vitest"
import { type Canonical, canonicalJson, cellId } from "../src/core/study/cellId.js"
import type { CellResult } from "../src/core/study/cellResult.js"
import { maskDatabaseUrl } from "../src/core/study/databaseUrl.js"
import { paperHypernetworkSpec } from "../src/core/hypernetwork/paperHypernetworkSpec.js"
import { decodePlan, describeArms, dispatchOrder, planSeeds, resolvePlan, type StudyCell } from "../src/core/study/studyPlan.js"
import { builtinComponents } from "../src/layers/blocks/components.js"
import { checkRunDefinition } from "../src/layers/hypernetwork/runPlan.js"
import { encodeStudyResults } from "../src/core/study/studyResults.js"
import { decodeStudyResults } from "../src/programs/study/study.js"
import { builtinExperiments } from "../src/programs/experiments/registry.js"

/** The same JSON value with every object's keys in another order (chosen by `seed`). */
const shuffleKeys = (value: unknown, seed: number): unknown => {
  if (Array.isArray(value)) return value.map((v, k) => shuffleKeys(v, seed + k))
  if (typeof value !== "object" || value === null) return value
  const keys = Object.keys(value)
  let s = seed
  for (let k = keys.length - 1; k > 0; k--) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0
    const j = s % (k + 1)
    ;[keys[k], keys[j]] = [keys[j]!, keys[k]!]
  }
  return Object.fromEntries(keys.map((k) => [k, shuffleKeys((value as Record<string, unknown>)[k], seed ^ k.length)]))
}

const tinyOverrides = {
  shape: [3, 4, 1], steps: 40, betasPerStep: 2, samplesPerBeta: 32, checkpointEvery: 20, logEvery: 10,
  hypernetwork: { paper: { activation: 6, position: 2, noise: 2, attentionKey: 2, learned: 2, latent: 2, depth: 3 } }
}
const plan = {
  name: "tiny",
  arms: [{ name: "a", base: "quick", overrides: tinyOverrides }, { name: "b", base: "quick", overrides: { ...tinyOverrides, learningRate: 0.01 } }],
  seeds: { count: 3, root: 5 },
  experiments: { sweep: { betas: 3, seeds: 2, samples: 64 }, ablation: true }
}
const resolve = (raw: unknown) => Result.flatMap(decodePlan(raw), (p) => resolvePlan(p, builtinExperiments, "plan", (config) => checkRunDefinition(config, builtinComponents)))
const cellsOf = (raw: unknown): ReadonlyArray<StudyCell> => Result.getOrThrow(resolve(raw))
const messageOf = (raw: unknown): string => {
  const r = resolve(raw)
  return Result.isFailure(r) ? r.failure.message : "no error"
}

/** Every leaf of a JSON value, as a path. */
const leaves = (value: unknown, path: ReadonlyArray<string | number> = []): Array<ReadonlyArray<string | number>> =>
  Array.isArray(value) ? value.flatMap((v, k) => leaves(v, [...path, k]))
    : typeof value === "object" && value !== null ? Object.entries(value).flatMap(([k, v]) => leaves(v, [...path, k]))
    : [path]
const withLeaf = (value: unknown, path: ReadonlyArray<string | number>, f: (leaf: unknown) => unknown): unknown => {
  if (path.length === 0) return f(value)
  const [head, ...rest] = path
  if (Array.isArray(value)) return value.map((v, k) => (k === head ? withLeaf(v, rest, f) : v))
  return { ...(value as object), [head!]: withLeaf((value as Record<string | number, unknown>)[head!], rest, f) }
}

describe("cell ids", () => {
  it("canonical JSON does not depend on key order, and is the same value", () => {
    fc.assert(fc.property(fc.jsonValue(), fc.integer({ min: 1, max: 1 << 30 }), (value, seed) => {
      const a = canonicalJson(value as Canonical)
      expect(canonicalJson(shuffleKeys(value, seed) as Canonical)).toBe(a)
      expect(JSON.parse(a)).toEqual(JSON.parse(JSON.stringify(value)))
    }))
  })

  it("a plan's cells have the same ids however its keys are ordered", () => {
    const ids = cellsOf(plan).map((c) => c.id)
    expect(ids).toHaveLength(6)
    expect(new Set(ids).size).toBe(6)
    fc.assert(fc.property(fc.integer({ min: 1, max: 1 << 30 }), (seed) => {
      expect(cellsOf(shuffleKeys(plan, seed)).map((c) => c.id)).toEqual(ids)
    }), { numRuns: 20 })
  })

  it("changes when any setting of the config or the experiments changes, or the seed", () => {
    const cell = cellsOf(plan)[0]!
    const identity = { config: cell.config, seed: cell.seed, experiments: cell.experiments } as unknown as Record<string, Canonical>
    const id = cellId(identity as never)
    expect(id).toBe(cell.id)
    expect(id).toMatch(/^[0-9a-f]{16}$/)
    const paths = leaves(identity)
    expect(paths.length).toBeGreaterThan(30)
    fc.assert(fc.property(fc.nat(), fc.integer({ min: 1, max: 1000 }), (k, delta) => {
      const path = paths[k % paths.length]!
      const changed = withLeaf(identity, path, (leaf) =>
        typeof leaf === "number" ? leaf + delta : typeof leaf === "boolean" ? !leaf : typeof leaf === "string" ? `${leaf}${delta}` : delta)
      expect(cellId(changed as never)).not.toBe(id)
    }), { numRuns: 200 })
  })

  it("an arm may have seeds of its own", () => {
    const cells = cellsOf({ ...plan, arms: [plan.arms[0], { ...plan.arms[1], seeds: [40, 41] }] })
    expect(cells.map((c) => [c.arm, c.seed])).toEqual([["a", 5], ["a", 6], ["a", 7], ["b", 40], ["b", 41]])
  })

  it("seeds as a count from a root are consecutive; a list keeps its order", () => {
    expect(planSeeds({ count: 3, root: 5 })).toEqual([5, 6, 7])
    expect(planSeeds([9, 2])).toEqual([9, 2])
    expect(cellsOf({ ...plan, seeds: [9, 2] }).map((c) => [c.arm, c.seed, c.config.seed, c.config.threads])).toEqual([["a", 9, 9, 1], ["a", 2, 2, 1], ["b", 9, 9, 1], ["b", 2, 2, 1]])
  })
})

describe("study plans", () => {
  it("take the preset's settings, then the arm's overrides, decoded with TrainConfig", () => {
    const [a, , , b] = cellsOf(plan)
    expect(a!.config.learningRate).toBe(2e-3)
    expect(b!.config.learningRate).toBe(0.01)
    expect(a!.config.hypernetwork).toEqual(paperHypernetworkSpec({ activation: 6, position: 2, noise: 2, attentionKey: 2, learned: 2, latent: 2, depth: 3 }))
    expect(a!.experiments.sweep).toEqual({ betas: 3, seeds: 2, samples: 64, logBetaMin: -12, logBetaMax: 0, everyCheckpoint: 1 })
    expect(a!.experiments.ablation).toEqual({ betas: 30, seeds: 4, samples: 2048 })
    expect(a!.experiments.generalization).toBeNull()
  })

  it("name the arm, the setting and the problem of every bad override", () => {
    const bad = { ...plan, arms: [{ name: "a", base: "quick", overrides: { ...tinyOverrides, learningrate: 0.1, steps: 0, hypernetwork: { readout: 1 } } }] }
    const message = messageOf(bad)
    expect(message).toContain('arm "a": overrides.learningrate: unknown setting')
    expect(message).toContain('arm "a": overrides.steps: steps must be at least 1')
    expect(message).toContain('arm "a": overrides.hypernetwork.readout: readout needs at least 2 features (weight, bias)')
    expect(messageOf({ ...plan, arms: [{ name: "a", base: "quick", overrides: { seed: 3 } }] })).toContain("overrides.seed: a cell's seed comes from the plan's seeds")
    expect(messageOf({ ...plan, experiments: { sweep: { betas: 0 } } })).toContain("experiments.sweep.betas: sweep.betas must be at least 1")
    expect(messageOf({ ...plan, experiments: { sweep: false } })).toContain("experiments.sweep cannot be false")
    expect(messageOf({ ...plan, arms: [plan.arms[0], plan.arms[0]] })).toContain("arm names must differ (repeated: a)")
    expect(messageOf({ ...plan, arms: [plan.arms[0], { ...plan.arms[0], name: "same" }] })).toContain('arm "same" resolves to the same settings as arm "a"')
    expect(messageOf({ ...plan, arms: [{ name: "a", base: "fast" }] })).toMatch(/arms\.0\.base: Expected "quick" \| "routes" \| "paper"/)
    expect(messageOf({ ...plan, sedes: [1] })).toContain("sedes: unknown setting")
    expect(messageOf({ ...plan, seeds: [1, 1] })).toContain("seeds must not repeat a seed")
    expect(messageOf({ ...plan, name: "../x" })).toContain("the study's name must be")
    // a task that does not fit the shape, a block no one registered, paper sizes that are not sizes
    expect(messageOf({ ...plan, arms: [{ name: "t", base: "quick", overrides: { ...tinyOverrides, task: "l1-linf" } }] })).toContain('arm "t": overrides: task l1-linf needs a network with 2 outputs')
    const spec = paperHypernetworkSpec()
    const unknownBlock = { ...spec, stages: [spec.stages[0]!, { blocks: [{ kind: "graph-conv", features: 2 }] }] }
    expect(messageOf({ ...plan, arms: [{ name: "k", base: "quick", overrides: { ...tinyOverrides, hypernetwork: unknownBlock } }] })).toMatch(/arm "k": overrides: hypernetwork: stages\[1\]\.blocks\[0\]: no block of kind "graph-conv"/)
    expect(messageOf({ ...plan, arms: [{ name: "p", base: "quick", overrides: { ...tinyOverrides, hypernetwork: { paper: { depth: 1 } } } }] })).toContain('arm "p": overrides.hypernetwork.paper.depth: depth must be at least 2')
  })
})

describe("results files", () => {
  it("list cells in plan order whatever order they finished in, and read back equal (NaN included)", () => {
    const cells = cellsOf(plan)
    const result = (c: StudyCell, k: number): CellResult => ({
      id: c.id, study: c.study, arm: c.arm, seed: c.seed, config: c.config, experiments: c.experiments, status: k === 2 ? "failed" : "done",
      error: k === 2 ? "diverged" : null, training: k === 2 ? null : { step: 40, objective: -1, loss: 0.5, kl: 0, lossLowBeta: Number.NaN },
      sweep: [], ablation: null, generalization: null, baseline: null, execution: null
    })
    const all = cells.map(result)
    fc.assert(fc.property(fc.shuffledSubarray(all, { minLength: 1 }), (some) => {
      const text = encodeStudyResults("tiny", cells, [...some].reverse())
      const back = Result.getOrThrow(decodeStudyResults(text))
      expect(back.cells.map((c) => c.id)).toEqual(cells.filter((c) => some.some((s) => s.id === c.id)).map((c) => c.id))
      expect(back.cells).toEqual(cells.flatMap((c, k) => (some.some((s) => s.id === c.id) ? [all[k]] : [])))
    }), { numRuns: 30 })
  })
})

describe("database URLs", () => {
  it("are shown without their password", () => {
    fc.assert(fc.property(fc.stringMatching(/^[A-Za-z0-9]{6,20}$/), (secret) => {
      const password = `pw${secret}`
      for (const url of [`postgres://alice:${password}@db.example:5432/study`, `postgresql://alice@db.example/study?password=${password}&sslmode=require`]) {
        const shown = maskDatabaseUrl(url)
        expect(shown).not.toContain(password)
        expect(shown).toContain("db.example")
      }
    }))
    expect(maskDatabaseUrl("not a url with pw123")).toBe("<database URL>")
  })
})

describe("dispatch order", () => {
  /** Cells arm by arm, as resolvePlan lists them: arm k has counts[k] seeds. */
  const armCells = (counts: ReadonlyArray<number>) =>
    counts.flatMap((n, k) => Array.from({ length: n }, (_, s) => ({ arm: `arm${k}`, seed: s + 1 })))

  it("hands out the arms in turn: a permutation, each arm's seeds in order, no arm two seeds ahead of one that has cells left", () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 5 }), (counts) => {
      const cells = armCells(counts)
      const order = dispatchOrder(cells)
      expect([...order].sort((a, b) => a.arm.localeCompare(b.arm) || a.seed - b.seed)).toEqual(cells)
      const taken = new Map<string, number>()
      for (const cell of order) {
        const k = (taken.get(cell.arm) ?? 0) + 1
        expect(cell.seed).toBe(k) // each arm's cells in their plan order
        taken.set(cell.arm, k)
        counts.forEach((n, a) => {
          const other = taken.get(`arm${a}`) ?? 0
          if (other < n) expect(k - other).toBeLessThanOrEqual(1)
        })
      }
    }), { seed: 415, numRuns: 300 })
  })

  it("a study part-way through hands out the arms that are behind first", () => {
    // quick seeds 1–12 done: the other arms' first seeds come before quick's 13th
    const todo = dispatchOrder(armCells([33, 12, 12])).filter((c) => !(c.arm === "arm0" && c.seed <= 12))
    expect(todo.slice(0, 5).map((c) => `${c.arm}/${c.seed}`)).toEqual(["arm1/1", "arm2/1", "arm1/2", "arm2/2", "arm1/3"])
    expect(todo.slice(24, 27).map((c) => `${c.arm}/${c.seed}`)).toEqual(["arm0/13", "arm0/14", "arm0/15"])
  })

  it("describes the arms with their own seed counts", () => {
    expect(describeArms(armCells([33, 12, 12]))).toBe("3 arms: arm0 × 33 seeds, arm1 × 12, arm2 × 12")
    expect(describeArms(armCells([1]))).toBe("1 arm: arm0 × 1 seed")
  })
})
