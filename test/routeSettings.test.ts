import { createHash } from "node:crypto"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import * as tf from "@tensorflow/tfjs"
import { fc } from "@fast-check/vitest"
import { Effect, Result, Schema } from "effect"
import { describe, expect, it } from "vitest"
import { runCli } from "../src/cli/main.js"
import { cliServices } from "../src/cli/shared.js"
import { paperHypernetworkSpec, paperSizes } from "../src/core/hypernetwork/paperHypernetworkSpec.js"
import { decodePlan, resolvePlan } from "../src/core/study/studyPlan.js"
import { klWeightAt, type TrainConfig } from "../src/core/run/trainConfig.js"
import { presets } from "../src/core/run/presets.js"
import { builtinComponents } from "../src/layers/blocks/components.js"
import { hyperweights } from "../src/layers/hypernetwork/hyperhypernetwork.js"
import { paretoObjective } from "../src/layers/hypernetwork/paretoObjective.js"
import { checkRunDefinition, resolveRun } from "../src/layers/hypernetwork/runPlan.js"
import { initTrainer, trainStep } from "../src/programs/training/trainer.js"
import { decodeStudyResults } from "../src/programs/study/study.js"
import { Rng } from "../src/services/rng/Rng.js"
import { noLeak, useBackend } from "./helpers.js"
import { runProgram, tempDir, tinyConfig } from "./programs.js"
import { builtinExperiments, experimentsWith } from "../src/programs/experiments/registry.js"
import { defineExperiment } from "../src/programs/experiments/experiment.js"
import { type Canonical, cellId } from "../src/core/study/cellId.js"
import { encodeStudyResults } from "../src/core/study/studyResults.js"

/**
 * The open choices of issue 20 (the initial scale of the learned per-edge variables, the training
 * range of β, a KL warm-up, the noise rounds): typed settings whose defaults leave every earlier
 * run and study cell as it was, bit for bit.
 */

/** SHA-256 (16 hex digits) of the hyperhypernetwork's parameters after 4 steps on cpu, seed 7. */
const digestAfter4Steps = (config: TrainConfig) => runProgram(Effect.gen(function* () {
  const t = yield* initTrainer(config)
  for (let k = 0; k < 4; k++) yield* trainStep(t)
  const h = createHash("sha256")
  for (const p of t.params) h.update(Buffer.from((p.dataSync() as Float32Array).buffer))
  tf.dispose([...t.params])
  t.optimizer.dispose()
  return h.digest("hex").slice(0, 16)
}), 7)

const withHhn = (config: TrainConfig, hhn: Record<string, unknown>): TrainConfig =>
  ({ ...config, hypernetwork: { ...config.hypernetwork, hyperhypernetwork: { ...config.hypernetwork.hyperhypernetwork, ...hhn } } }) as TrainConfig

describe("defaults keep every earlier run as it was", () => {
  // recorded with the code before these settings existed (commit 78aba0d), cpu backend
  const before = { default: "93ca3e63fabc2191", plain: "406c9ced45c9bd8b", narrowBeta: "2b0d2624d9854ff3" }

  it("training bits: absent settings and their explicit defaults both equal the recorded digests", async () => {
    await useBackend("cpu")
    const base = tinyConfig()
    expect(await digestAfter4Steps(base)).toBe(before.default)
    expect(await digestAfter4Steps(withHhn(base, { perEdge: "plain" }))).toBe(before.plain)
    expect(await digestAfter4Steps({ ...base, logBetaMax: -6 })).toBe(before.narrowBeta)
    expect(await digestAfter4Steps({ ...withHhn(base, { perEdgeScale: 1 }), klWarmupSteps: 0 })).toBe(before.default)
    const everyRound = { ...base, hypernetwork: paperHypernetworkSpec({ activation: 6, position: 2, noise: 2, attentionKey: 2, learned: 2, latent: 2, depth: 3, noiseRounds: "every" }) }
    expect(await digestAfter4Steps(everyRound)).toBe(before.default)
  })

  // each committed study read and decoded once for the tests below, which only read it (the
  // memorised-route study's results are 33 MB: decoding them took about a second each time)
  const studies = new Map<string, ReturnType<typeof readCommitted>>()
  const readCommitted = (study: string) => {
    const plan = Result.getOrThrow(decodePlan(JSON.parse(readFileSync(`studies/${study}/plan.json`, "utf8"))))
    const cells = Result.getOrThrow(resolvePlan(plan, builtinExperiments, "plan", (c) => checkRunDefinition(c, builtinComponents)))
    const text = readFileSync(`studies/${study}/results.json`, "utf8")
    return { plan, cells, text, results: Result.getOrThrow(decodeStudyResults(text)).cells }
  }
  const committed = (study: string) => {
    const known = studies.get(study)
    if (known !== undefined) return known
    const read = readCommitted(study)
    studies.set(study, read)
    return read
  }

  it("the routes preset is the memorised-route study's unit-plain-b4 arm, setting for setting", () => {
    const { cells } = committed("memorised-route")
    const arm = cells.find((c) => c.arm === "unit-plain-b4" && c.seed === 3)!
    expect(presets.routes.train(3, 1)).toEqual(arm.config)
    expect(presets.routes.experiments).toEqual(presets.quick.experiments)
  })

  it("the first study's plan resolves to the cell ids of its committed results", () => {
    const { cells, results } = committed("quick-paths")
    expect(cells.map((c) => c.id).sort()).toEqual(results.map((c) => c.id).sort())
  })

  it("the second study's and its paper-shape plan's cells are all committed, each id resolving to its arm and seed (both studies are complete)", () => {
    for (const study of ["memorised-route", "memorised-route-paper-shape"]) {
      const { cells, results } = committed(study)
      expect(results.map((r) => r.id).sort(), study).toEqual(cells.map((c) => c.id).sort())
      expect(results.every((r) => r.status === "done"), study).toBe(true)
    }
    const { cells, results } = committed("memorised-route")
    const byId = new Map(cells.map((c) => [c.id, c]))
    for (const r of results) {
      expect(byId.get(r.id), r.id).toMatchObject({ arm: r.arm, seed: r.seed })
      // the experiments a cell recorded are the ones its plan resolves to today, and hash to its id
      expect(byId.get(r.id)!.experiments).toEqual(r.experiments)
      expect(cellId({ config: r.config as unknown as Canonical, seed: r.seed, experiments: r.experiments as unknown as Canonical })).toBe(r.id)
    }
    // the control arm's cells are the first study's, by id (the plan reuses them)
    const first = new Set(committed("quick-paths").cells.map((c) => c.id))
    expect(cells.filter((c) => c.arm === "quick").every((c) => first.has(c.id))).toBe(true)
  })

  it("every committed study's results decode and encode back to the very same text", () => {
    for (const study of ["quick-paths", "memorised-route", "memorised-route-paper-shape"]) {
      const { plan, cells, text, results } = committed(study)
      expect(results.every((r) => r.extra === undefined && r.experiments.extra === undefined)).toBe(true)
      expect(encodeStudyResults(plan.name, cells, results) === text, study).toBe(true)
    }
  })

  it("registering an experiment of one's own leaves every built-in cell id as it was", () => {
    const own = Result.getOrThrow(defineExperiment({
      name: "noop", settings: Schema.Struct({}), defaults: {}, result: Schema.Struct({}),
      run: () => Effect.succeed({}), cell: { schema: Schema.Struct({}), keep: () => ({}) }
    }))
    const { plan, cells } = committed("quick-paths")
    const withOwn = Result.getOrThrow(resolvePlan(plan, experimentsWith([own]), "plan", (c) => checkRunDefinition(c, builtinComponents)))
    expect(withOwn.map((c) => c.id)).toEqual(cells.map((c) => c.id))
  })
})

describe("the initial scale of the learned per-edge variables", () => {
  const planFor = (hhn: Record<string, unknown>) => Result.getOrThrow(resolveRun(withHhn(tinyConfig({ shape: [8, 24, 1] }), hhn), builtinComponents))

  it("plain variables start from the distribution and std asked for", async () => {
    await useBackend("cpu")
    for (const [distribution, std] of [["normal", 1], ["uniform", 0.5], ["normal", 3]] as const) {
      const values = await runProgram(Effect.gen(function* () {
        const t = yield* initTrainer(withHhn(tinyConfig({ shape: [8, 24, 1] }), { perEdge: "plain", perEdgeInit: { distribution, std } }))
        const plain = t.params[t.paramNames.indexOf("plain")]!
        const v = Array.from(plain.dataSync())
        tf.dispose([...t.params])
        t.optimizer.dispose()
        return v
      }), 11)
      const mean = values.reduce((a, b) => a + b, 0) / values.length
      const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length)
      expect(values.length).toBeGreaterThan(1000)
      expect(Math.abs(mean)).toBeLessThan(0.1 * std)
      expect(sd / std).toBeGreaterThan(0.95)
      expect(sd / std).toBeLessThan(1.05)
      if (distribution === "uniform") expect(Math.max(...values.map(Math.abs))).toBeLessThanOrEqual(std * Math.sqrt(3) + 1e-6)
    }
  })

  it("perEdgeScale multiplies the per-edge hyperweights by s and leaves every other one exactly as it was", async () => {
    await useBackend("cpu")
    const plain = planFor({})
    await runProgram(Effect.gen(function* () {
      const t = yield* initTrainer(tinyConfig({ shape: [8, 24, 1] }))
      const params = t.params
      fc.assert(fc.property(fc.double({ min: 0.1, max: 100, noNaN: true }), fc.boolean(), (s, twoBetas) => {
        const logBeta = tf.tensor1d(twoBetas ? [-12, -3] : [-6])
        const [a, b] = noLeak(() => tf.tidy(() => [
          hyperweights(plain.layout, plain.hyperhypernetwork, params, logBeta).arraySync() as Array<Array<number>>,
          hyperweights(plain.layout, { ...plain.hyperhypernetwork, perEdgeScale: s }, params, logBeta).arraySync() as Array<Array<number>>
        ]))
        logBeta.dispose()
        let at = 0
        for (const e of plain.layout.entries) {
          for (let i = at; i < at + e.size; i++) {
            for (let r = 0; r < a.length; r++) {
              if (e.perEdge) expect(b[r]![i]).toBeCloseTo(Math.fround(a[r]![i]! * s), 5)
              else expect(b[r]![i]).toBe(a[r]![i])
            }
          }
          at += e.size
        }
      }), { numRuns: 5 })
      tf.dispose([...params])
      t.optimizer.dispose()
    }), 3)
  })
})

describe("KL warm-up", () => {
  it("the KL weight ramps from 0 to 1 over the warm-up and is 1 without one", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 100_000 }), fc.integer({ min: 0, max: 200_000 }), fc.integer({ min: 0, max: 1000 }), (k, t, dt) => {
      const w = klWeightAt({ klWarmupSteps: k }, t)
      expect(w).toBeGreaterThanOrEqual(0)
      expect(w).toBeLessThanOrEqual(1)
      expect(klWeightAt({ klWarmupSteps: k }, t + dt)).toBeGreaterThanOrEqual(w)
      expect(w === 1).toBe(t >= k)
      expect(klWeightAt({ klWarmupSteps: k }, 0)).toBe(0)
      expect(klWeightAt({}, t)).toBe(1)
      expect(klWeightAt({ klWarmupSteps: 0 }, t)).toBe(1)
    }))
  })

  it("the objective is the mean of log(L + w·β·KL)", async () => {
    await useBackend("cpu")
    const config = tinyConfig()
    const run = Result.getOrThrow(resolveRun(config, builtinComponents))
    await runProgram(Effect.gen(function* () {
      const rng = yield* Rng
      const t = yield* initTrainer(config)
      const logBeta = tf.tensor1d([-1, -0.5])
      const x = yield* rng.normal("x", [2, 16, 3])
      const randoms: Record<string, tf.Tensor> = {}
      for (const s of run.randoms) randoms[s.name] = yield* rng.normal(s.name, [2, ...s.shape])
      for (const w of [0, 0.25, 1]) {
        const terms = paretoObjective(run, t.params, logBeta, x, randoms, "swish", undefined, { klWeight: w })
        const [L, KL] = [terms.loss.arraySync() as Array<number>, terms.kl.arraySync() as Array<number>]
        const expected = (Math.log(L[0]! + w * 0.1 * KL[0]!) + Math.log(L[1]! + w * Math.sqrt(0.1) * KL[1]!)) / 2
        expect(KL[0]).toBeGreaterThan(0)
        expect(terms.objective.dataSync()[0]).toBeCloseTo(expected, 4)
        tf.dispose([terms.objective, terms.loss, terms.kl])
      }
      tf.dispose([logBeta, x, ...Object.values(randoms), ...t.params])
      t.optimizer.dispose()
    }))
  })
})

describe("noise rounds", () => {
  it("noiseRounds h0 keeps the noise block in H0 only: the canonical P loses the noise rows of three linear maps", () => {
    const spec = paperHypernetworkSpec({ ...paperSizes, noiseRounds: "h0" })
    expect(spec.stages[0]!.blocks.filter((b) => b.kind === "noise")).toHaveLength(1)
    for (const stage of spec.stages.slice(1)) expect(stage.blocks.some((b) => b.kind === "noise")).toBe(false)
    const P = (s: typeof spec) => Result.getOrThrow(resolveRun({ shape: [16, 48, 1], hypernetwork: s, task: "l1" }, builtinComponents)).layout.size
    expect(P(paperHypernetworkSpec())).toBe(24_380)
    // M2, M3 (58 outputs) and the read-out M4 (2 outputs) each read 5 fewer features
    expect(P(spec)).toBe(24_380 - 5 * 58 - 5 * 58 - 5 * 2)
  })
})

describe("the settings are decoded from plans and flags, and bad values are named", () => {
  const tiny = { shape: [3, 4, 1], steps: 4, betasPerStep: 2, samplesPerBeta: 16, checkpointEvery: 2 }
  const resolve = (overrides: Record<string, unknown>) => Result.flatMap(
    decodePlan({ name: "p", arms: [{ name: "a", base: "quick", overrides: { ...tiny, ...overrides } }], seeds: [1], experiments: { sweep: true } }),
    (p) => resolvePlan(p, builtinExperiments, "plan", (c) => checkRunDefinition(c, builtinComponents)))
  const messageOf = (overrides: Record<string, unknown>) => {
    const r = resolve(overrides)
    return Result.isFailure(r) ? r.failure.message : "no error"
  }

  it("plan overrides reach the cell's config, and change its id", () => {
    const plain = Result.getOrThrow(resolve({}))[0]!
    const cell = Result.getOrThrow(resolve({
      logBetaMax: -6, klWarmupSteps: 2000,
      hypernetwork: { hyperhypernetwork: { perEdge: "plain", perEdgeInit: { distribution: "normal", std: 1 }, perEdgeScale: 2 } }
    }))[0]!
    expect(cell.config.logBetaMax).toBe(-6)
    expect(cell.config.klWarmupSteps).toBe(2000)
    expect(cell.config.hypernetwork.hyperhypernetwork).toEqual({ hidden: [100, 10], perEdge: "plain", perEdgeInit: { distribution: "normal", std: 1 }, perEdgeScale: 2 })
    expect(cell.id).not.toBe(plain.id)
    const h0 = Result.getOrThrow(resolve({ hypernetwork: { paper: { noiseRounds: "h0" } } }))[0]!
    expect(h0.config.hypernetwork.stages[1]!.blocks.some((b) => b.kind === "noise")).toBe(false)
  })

  it("bad values are errors naming the setting", () => {
    expect(messageOf({ hypernetwork: { hyperhypernetwork: { perEdgeInit: { distribution: "normal", std: 1 } } } })).toContain("perEdgeInit sets how plain per-edge variables start: it needs perEdge \"plain\"")
    expect(messageOf({ hypernetwork: { hyperhypernetwork: { perEdgeScale: 0 } } })).toContain("perEdgeScale must be positive")
    expect(messageOf({ hypernetwork: { hyperhypernetwork: { perEdge: "plain", perEdgeInit: { distribution: "cauchy", std: 1 } } } })).toMatch(/hyperhypernetwork\.perEdgeInit\.distribution/)
    expect(messageOf({ hypernetwork: { hyperhypernetwork: { perEdge: "plain", perEdgeInit: { distribution: "normal", std: -1 } } } })).toContain("perEdgeInit.std must be positive")
    expect(messageOf({ klWarmupSteps: 1.5 })).toContain("klWarmupSteps must be an integer")
    expect(messageOf({ klWarmupSteps: -1 })).toContain("klWarmupSteps must be in [0, 10,000,000]")
    expect(messageOf({ hypernetwork: { paper: { noiseRounds: "sometimes" } } })).toMatch(/overrides\.hypernetwork\.paper\.noiseRounds/)
    expect(messageOf({ logBetaMin: -4, logBetaMax: -6 })).toContain("logBetaMin must be below logBetaMax")
  })

  const cliHere = async (...args: Array<string>): Promise<string> => {
    const r = await Effect.runPromise(Effect.result(runCli(args).pipe(Effect.provide(cliServices))))
    if (Result.isSuccess(r)) return "ok"
    const e = r.failure as { readonly _tag: string; readonly message: string; readonly errors?: ReadonlyArray<{ readonly message: string }> }
    return e._tag === "ShowHelp" ? (e.errors ?? []).map((x) => x.message).join("; ") : e.message
  }

  it("train flags set them, the manifest and checkpoints keep them, and a resume that changes one is refused", async () => {
    const dir = tempDir()
    const common = ["--shape", "3,4,1", "--betas-per-step", "2", "--samples-per-beta", "16", "--checkpoint-every", "2", "--seed", "3", "--backend", "cpu", "--out", dir]
    expect(await cliHere("train", "--steps", "2", ...common, "--per-edge", "plain", "--per-edge-init", "normal:1", "--per-edge-scale", "2",
      "--kl-warmup", "5", "--log-beta-min", "-12", "--log-beta-max", "-6", "--noise-rounds", "h0")).toBe("ok")
    const config = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")).config
    expect(config.klWarmupSteps).toBe(5)
    expect(config.logBetaMax).toBe(-6)
    expect(config.hypernetwork.hyperhypernetwork).toEqual({ hidden: [100, 10], perEdge: "plain", perEdgeInit: { distribution: "normal", std: 1 }, perEdgeScale: 2 })
    expect(config.hypernetwork.stages[2].blocks.some((b: { kind: string }) => b.kind === "noise")).toBe(false)
    expect(await cliHere("train", "--steps", "4", "--resume", "--out", dir, "--backend", "cpu")).toBe("ok")
    expect(await cliHere("train", "--steps", "6", "--resume", "--out", dir, "--backend", "cpu", "--kl-warmup", "50")).toContain("klWarmupSteps: checkpoint 5, requested 50")
    expect(await cliHere("train", "--steps", "2", ...common, "--per-edge-init", "gaussian")).toContain("--per-edge-init: expected <uniform|normal>:<std>, e.g. normal:1, got \"gaussian\"")
    expect(await cliHere("train", "--steps", "2", ...common, "--per-edge-init", "normal:1")).toContain("perEdgeInit sets how plain per-edge variables start")
    expect(await cliHere("train", "--steps", "2", ...common, "--kl-warmup", "-3")).toContain("klWarmupSteps (--kl-warmup): klWarmupSteps must be in [0, 10,000,000]")
    expect(await cliHere("train", "--steps", "2", ...common, "--log-beta-min", "-2", "--log-beta-max", "-6")).toContain("logBetaMin must be below logBetaMax")
  })
})
