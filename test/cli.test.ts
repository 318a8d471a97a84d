import { spawn, spawnSync } from "node:child_process"
import { existsSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { Effect, Result } from "effect"
import { decodeSettings, parseList } from "../src/cli/config.js"
import { joinNegativeValues, runCli } from "../src/cli/main.js"
import { GeneralizationSettings, paperExperiments } from "../src/core/run/experimentSettings.js"
import { stillDeveloping } from "../src/cli/reproduceCommand.js"
import { paperHypernetworkSpec } from "../src/core/hypernetwork/paperHypernetworkSpec.js"
import { cliServices } from "../src/cli/shared.js"
import { train } from "../src/programs/training/train.js"
import { runProgram, tempDir, tinyConfig } from "./programs.js"
import { hyperlayersArgs } from "./cliProcess.js"

/**
 * Run the command line in this process (no start-up cost): the message it fails with, as `main`
 * prints it (`hyperlayers: …` for a command's error, the parser's own for a flag it cannot read).
 */
const cliHere = async (...args: Array<string>): Promise<string> => {
  const r = await Effect.runPromise(Effect.result(runCli(args).pipe(Effect.provide(cliServices))))
  if (Result.isSuccess(r)) return "ok"
  const e = r.failure as { readonly _tag: string; readonly message: string; readonly errors?: ReadonlyArray<{ readonly message: string }> }
  return e._tag === "ShowHelp" ? (e.errors ?? []).map((x) => x.message).join("; ") : `hyperlayers: ${e.message}`
}

/** Run the command line from source (through tsx), as a user would run the built one. */
const cli = (...args: Array<string>) => {
  const r = spawnSync(process.execPath, hyperlayersArgs(...args), { encoding: "utf8", timeout: 120_000 })
  return { code: r.status, out: r.stdout, err: r.stderr }
}

describe("hyperlayers command line", () => {
  it("explains itself", () => {
    const r = cli("--help")
    expect(r.code).toBe(0)
    for (const c of ["train", "sweep", "ablate", "generalize", "baseline", "draw", "report", "reproduce", "replay"]) expect(r.out).toContain(c)
    expect(cli("reproduce", "--help").out).toMatch(/--preset choice[\s\S]*quick[\s\S]*paper/)
  })

  it("rejects bad flags and config files with a message naming the field, and exit code 1", async () => {
    // one through a real process: the exit code, and a message without a stack trace
    const steps = cli("train", "--steps", "0", "--backend", "cpu")
    expect(steps.code).toBe(1)
    expect(steps.err).toContain("hyperlayers: invalid settings: steps (--steps): steps must be at least 1")
    expect(steps.err).not.toMatch(/\n\s+at /) // no stack trace
    const dir = tempDir("hyperlayers-cli-")
    writeFileSync(join(dir, "c.json"), JSON.stringify({ steps: 10, learningrate: 0.1 }))
    expect(await cliHere("train", "--config", join(dir, "c.json"))).toMatch(/unknown setting in the config file: learningrate/)
    writeFileSync(join(dir, "s.json"), JSON.stringify({ shape: [8, 0, 1], hypernetwork: { stages: [], readout: 2, hyperhypernetwork: { hidden: [4], perEdge: "generated" } } }))
    expect(await cliHere("train", "--config", join(dir, "s.json"))).toMatch(/shape \(--shape\)\[1\]: a layer size must be at least 1.*hypernetwork \(--hypernetwork\)\[stages\]: a hypernetwork needs at least stage 0/)
    // a spec file whose block kind no one registered, and a task no one registered: named, nothing written
    writeFileSync(join(dir, "h.json"), readFileSync("examples/hypernetworks/paper.json", "utf8").replace('"kind": "attention"', '"kind": "atention"'))
    expect(await cliHere("train", "--hypernetwork", join(dir, "h.json"), "--steps", "1", "--backend", "cpu", "--out", join(dir, "run-h")))
      .toMatch(/stages\[1\]\.blocks\[6\]: no block of kind "atention" is registered \(known: activation, position, noise, attention, learned, kl, embedding\)/)
    expect(existsSync(join(dir, "run-h"))).toBe(false)
    expect(await cliHere("train", "--task", "l3", "--steps", "1", "--backend", "cpu", "--out", join(dir, "run-t"))).toMatch(/no task named "l3" is registered \(known: l1, l2, max-abs, l1-linf, heat, sdf\)/)
    expect(existsSync(join(dir, "run-t"))).toBe(false)
    expect(await cliHere("train", "--hypernetwork", join(dir, "none.json"))).toMatch(/--hypernetwork .*none\.json/)
    expect(await cliHere("train", "--shape", "16x48x1")).toContain('shape (--shape): expected a comma-separated list of numbers (e.g. 16,48,1), got "16x48x1"')
    // a setting inside the spec names its own flag, and a check of two settings names both
    expect(await cliHere("train", "--per-edge", "plain", "--per-edge-init", "normal:-1")).toMatch(/\(--per-edge-init\)\[hyperhypernetwork\]\.\[perEdgeInit\]\.\[std\]: perEdgeInit\.std must be positive/)
    expect(await cliHere("train", "--per-edge-scale", "0")).toMatch(/\(--per-edge-scale\)\[hyperhypernetwork\]\.\[perEdgeScale\]: perEdgeScale must be positive/)
    expect(await cliHere("train", "--log-beta-min", "1", "--log-beta-max", "-4")).toContain("logBetaMin must be below logBetaMax (--log-beta-min, --log-beta-max)")
    // a value the flag's parser refuses: the problem and where the flags are listed, not the whole help
    const choice = cli("train", "--noise-rounds", "sometimes")
    expect(choice.code).toBe(1)
    expect(choice.err).toContain('Invalid value for flag --noise-rounds: "sometimes". Expected: "every" | "h0"')
    expect(choice.err).toContain("(`hyperlayers train --help` lists the flags)")
    expect(choice.out + choice.err).not.toMatch(/USAGE|GLOBAL FLAGS/)
    // study-report's --out is the study directory: one without results says so instead of reporting nothing silently
    const empty = tempDir("hyperlayers-cli-")
    const report = cli("study-report", "studies/quick-paths/plan.json", "--out", empty)
    expect(report.code).toBe(0)
    expect(report.err).toContain(`hyperlayers: ${empty} holds no results of a study (no results.json, no cells/)`)
    expect(report.out).toContain("report of 0 finished cells")
    // on --resume a clash with one of the run's saved settings says where that setting came from
    const resumed = join(tempDir("hyperlayers-cli-"), "run")
    expect(await cliHere("train", "--shape", "3,4,1", "--steps", "2", "--checkpoint-every", "2", "--betas-per-step", "2", "--samples-per-beta", "8", "--per-edge", "plain",
      "--per-edge-init", "normal:1", "--out", resumed, "--seed", "1", "--backend", "cpu")).toBe("ok")
    expect(await cliHere("train", "--resume", "--out", resumed, "--per-edge", "generated", "--backend", "cpu"))
      .toMatch(/perEdgeInit sets how plain per-edge variables start: it needs perEdge "plain".*\(with --resume, the run's saved settings fill in every setting the flags do not give\)$/)
    // other list flags are no shapes: no shape as the example
    const inputs = decodeSettings(GeneralizationSettings, { defaults: paperExperiments.generalization, file: {}, flags: { inputs: parseList("0,x") } }, Object.keys(paperExperiments.generalization), { inputs: "--inputs" })
    expect(Result.isFailure(inputs) && inputs.failure.message).toBe('invalid settings: inputs (--inputs): expected a comma-separated list of numbers, got "0,x"')
    writeFileSync(join(dir, "l.json"), JSON.stringify({ shape: "8,24,1" }))
    expect(await cliHere("train", "--config", join(dir, "l.json"))).toContain('shape (--shape): expected an array of numbers (e.g. [16, 48, 1]), got "8,24,1"')
    expect(await cliHere("train", "--steps", "many")).toMatch(/Invalid value for flag --steps/)
    expect(await cliHere("sweep", join(dir, "nope"))).not.toBe("ok")
    expect(await cliHere("sweep", dir)).toMatch(/manifest\.json/)
  })

  it("prints the constructions table", () => {
    const r = cli("constructions", "--inputs", "4", "--hidden", "12", "--samples", "2000", "--seed", "1", "--backend", "cpu")
    expect(r.code).toBe(0)
    // α1 is 1 for both (every nonzero weight is κ); the path balance tells them apart: 0 (shared sum units), 1
    expect(r.out).toMatch(/negative pudding\s+swish\s+\S+\s+1\.00\s+4\.00\s+0\.00\s+pudding/)
    expect(r.out).toMatch(/double-sided\s+relu\s+\S+\s+1\.00\s+4\.00\s+1\.00\s+double-sided/)
  })

  it("tells how to train on a seed that ends above the paper's outer contour, and only then", () => {
    expect(stillDeveloping(0.149, "quick", "runs/r", 10000)).toEqual([])
    const note = stillDeveloping(0.15, "quick", "runs/r", 10000)
    expect(note).toHaveLength(2)
    expect(note[0]).toContain("above the paper's outer contour (0.15) at step 10000")
    expect(note[1]).toContain("hyperlayers reproduce --preset quick --resume --out runs/r --steps 20000")
  })

  it("reads numbers beginning with '-' as the values of their flags, and names what is wrong with them", async () => {
    expect(joinNegativeValues(["train", "--steps", "-Infinity", "--shape", "-4,8,1", "--lr", "-1e-3", "--seed", "-.5", "--resume", "-h", "--", "--x", "-5"]))
      .toEqual(["train", "--steps=-Infinity", "--shape=-4,8,1", "--lr=-1e-3", "--seed=-.5", "--resume", "-h", "--", "--x", "-5"])
    expect(await cliHere("train", "--steps", "-Infinity", "--backend", "cpu")).toBe('Invalid value for flag --steps: "-Infinity". Expected a string representing a finite number')
    expect(await cliHere("train", "--shape", "-4,8,1", "--backend", "cpu")).toBe("hyperlayers: invalid settings: shape (--shape)[0]: a layer size must be at least 1")
    expect(await cliHere("train", "--lr", "-1e-3", "--backend", "cpu")).toBe("hyperlayers: invalid settings: learningRate (--lr): learningRate must be positive")
    expect(await cliHere("constructions", "--inputs", "-1", "--samples", "10")).toBe("hyperlayers: invalid settings: inputs (--inputs): inputs must be at least 1")
    expect(await cliHere("sweep", tempDir("hyperlayers-cli-"), "--log-beta-min", "-Infinity")).toMatch(/Invalid value for flag --log-beta-min: "-Infinity"/)
  })

  it("refuses unknown and mistyped keys at every nesting level of a config file", async () => {
    const dir = tempDir("hyperlayers-cli-")
    const spec = paperHypernetworkSpec()
    writeFileSync(join(dir, "t.json"), JSON.stringify({ hypernetwork: { ...spec, readuot: 2, hyperhypernetwork: { ...spec.hyperhypernetwork, hiden: [4] } } }))
    const t = await cliHere("train", "--config", join(dir, "t.json"))
    expect(t).toContain("hypernetwork (--hypernetwork)[readuot]: unknown setting (known: stages, readout, hyperhypernetwork)")
    expect(t).toContain("hypernetwork (--hypernetwork)[hyperhypernetwork].[hiden]: unknown setting (known: hidden, perEdge)")
    writeFileSync(join(dir, "r.json"), JSON.stringify({ train: { hypernetwork: { ...spec, readuot: 2 } } }))
    expect(await cliHere("reproduce", "--config", join(dir, "r.json"), "--seed", "1")).toBe("hyperlayers: invalid settings: train.hypernetwork[readuot]: unknown setting (known: stages, readout, hyperhypernetwork)")
    writeFileSync(join(dir, "e.json"), JSON.stringify({ experiments: { sweep: { betaz: 3 }, ablation: { betas: "3" }, sweeep: {} } }))
    const e = await cliHere("reproduce", "--config", join(dir, "e.json"), "--seed", "1")
    expect(e).toContain("experiments.sweep[betaz]: unknown setting (known: betas, seeds, samples, logBetaMin, logBetaMax, everyCheckpoint)")
    expect(e).toContain('experiments.ablation[betas]: expected number, got "3"')
    // a value of the wrong type says what it was and where it came from
    writeFileSync(join(dir, "s20.json"), JSON.stringify({ steps: "20" }))
    expect(await cliHere("train", "--config", join(dir, "s20.json"))).toBe('hyperlayers: invalid settings: steps (--steps): expected number, got "20" in the config file')
    expect(e).toMatch(/experiments\.sweeep: unknown setting \(known: sweep, ablation,/)
    writeFileSync(join(dir, "n.json"), JSON.stringify({ train: 5 }))
    expect(await cliHere("reproduce", "--config", join(dir, "n.json"), "--seed", "1")).toBe('hyperlayers: --config: "train" must be an object of settings, not 5')
  })

  it("refuses --resume to fewer steps than the run has made", async () => {
    const run = tempDir("hyperlayers-cli-")
    await runProgram(train({ runDir: run, config: tinyConfig({ steps: 4 }), resume: false }), 7)
    expect(await cliHere("train", "--resume", "--out", run, "--steps", "2", "--backend", "cpu")).toMatch(/^hyperlayers: cannot resume .* to step 2: it is already at step 4 .*ask for at least 4 steps$/)
  })

  it("stops on Ctrl-C within a step, saying what it saved, and refuses a second writer meanwhile", async () => {
    const dir = tempDir("hyperlayers-cli-")
    const run = join(dir, "run")
    writeFileSync(join(dir, "tiny.json"), JSON.stringify({ ...tinyConfig(), steps: 1_000_000, checkpointEvery: 1_000_000, logEvery: 1_000_000, seed: 3 }))
    // no metrics row or checkpoint is due for a million steps: before, nothing let the signal in
    const first = spawn(process.execPath, hyperlayersArgs("train", "--config", join(dir, "tiny.json"), "--backend", "cpu", "--out", run), { stdio: ["ignore", "pipe", "pipe"] })
    let out = ""
    first.stdout.on("data", (d) => (out += String(d)))
    first.stderr.on("data", (d) => (out += String(d)))
    const exited = new Promise<number | null>((resolve) => first.on("exit", (code) => resolve(code)))
    const step0 = join(run, "checkpoints", "step-00000000.ckpt")
    for (let k = 0; k < 3000 && !existsSync(step0); k++) await new Promise((r) => setTimeout(r, 30))
    const second = cli("train", "--config", join(dir, "tiny.json"), "--backend", "cpu", "--out", run)
    expect(second.code).toBe(1)
    expect(second.err).toContain(`hyperlayers: ${run} is being written by process ${first.pid} on`)
    first.kill("SIGINT")
    expect(await exited).toBe(130)
    expect(out).toMatch(/interrupted at step (\d+) of 1000000: saved \S+step-0*\1\.ckpt \(metrics rows up to that step included\); continue with --resume/)
    expect(out).toContain("hyperlayers: interrupted")
    expect(existsSync(join(run, "writer.lock"))).toBe(false)
  })
})
