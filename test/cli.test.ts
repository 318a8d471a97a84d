import { spawnSync } from "node:child_process"
import { existsSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { stillDeveloping } from "../src/cli/reproduceCommand.js"
import { tempDir } from "./programs.js"

/** Run the command line from source (through tsx), as a user would run the built one. */
const cli = (...args: Array<string>) => {
  const r = spawnSync(process.execPath, ["--import", "tsx", "src/bin/hyperlayers.ts", ...args], { encoding: "utf8", timeout: 120_000 })
  return { code: r.status, out: r.stdout, err: r.stderr }
}

describe("hyperlayers command line", () => {
  it("explains itself", () => {
    const r = cli("--help")
    expect(r.code).toBe(0)
    for (const c of ["train", "sweep", "ablate", "generalize", "baseline", "draw", "report", "reproduce", "replay"]) expect(r.out).toContain(c)
    expect(cli("reproduce", "--help").out).toMatch(/--preset choice[\s\S]*quick[\s\S]*paper/)
  })

  it("rejects bad flags and config files with a message naming the field, and exit code 1", () => {
    const steps = cli("train", "--steps", "0", "--backend", "cpu")
    expect(steps.code).toBe(1)
    expect(steps.err).toContain("hyperlayers: invalid settings: steps (--steps): steps must be at least 1")
    expect(steps.err).not.toMatch(/\n\s+at /) // no stack trace
    const dir = tempDir("hyperlayers-cli-")
    writeFileSync(join(dir, "c.json"), JSON.stringify({ steps: 10, learningrate: 0.1 }))
    const file = cli("train", "--config", join(dir, "c.json"))
    expect(file.code).toBe(1)
    expect(file.err).toMatch(/unknown setting in the config file: learningrate/)
    writeFileSync(join(dir, "s.json"), JSON.stringify({ shape: [8, 0, 1], hypernetwork: { stages: [], readout: 2, hyperhypernetwork: { hidden: [4], perEdge: "generated" } } }))
    expect(cli("train", "--config", join(dir, "s.json")).err).toMatch(/shape \(--shape\)\[1\]: a layer size must be at least 1.*hypernetwork \(--hypernetwork\)\[stages\]: a hypernetwork needs at least stage 0/)
    // a spec file whose block kind no one registered, and a task no one registered: named, nothing written
    writeFileSync(join(dir, "h.json"), readFileSync("examples/hypernetworks/paper.json", "utf8").replace('"kind": "attention"', '"kind": "atention"'))
    const spec = cli("train", "--hypernetwork", join(dir, "h.json"), "--steps", "1", "--backend", "cpu", "--out", join(dir, "run-h"))
    expect(spec.code).toBe(1)
    expect(spec.err).toMatch(/stages\[1\]\.blocks\[6\]: no block of kind "atention" is registered \(known: activation, position, noise, attention, learned, kl, embedding\)/)
    expect(existsSync(join(dir, "run-h"))).toBe(false)
    const task = cli("train", "--task", "l3", "--steps", "1", "--backend", "cpu", "--out", join(dir, "run-t"))
    expect(task.err).toMatch(/no task named "l3" is registered \(known: l1, l2, max-abs, l1-linf, heat, sdf\)/)
    expect(existsSync(join(dir, "run-t"))).toBe(false)
    expect(cli("train", "--hypernetwork", join(dir, "none.json")).err).toMatch(/--hypernetwork .*none\.json/)
    const list = cli("train", "--shape", "16x48x1")
    expect(list.code).toBe(1)
    expect(list.err).toContain('shape (--shape): expected a comma-separated list of numbers (e.g. 16,48,1), got "16x48x1"')
    writeFileSync(join(dir, "l.json"), JSON.stringify({ shape: "8,24,1" }))
    expect(cli("train", "--config", join(dir, "l.json")).err).toContain('shape (--shape): expected an array of numbers (e.g. [16, 48, 1]), got "8,24,1"')
    const parse = cli("train", "--steps", "many")
    expect(parse.code).toBe(1)
    expect(parse.err + parse.out).toMatch(/Invalid value for flag --steps/)
    const missing = cli("sweep", join(dir, "nope"))
    expect(missing.code).toBe(1)
    const norun = cli("sweep", dir)
    expect(norun.err).toMatch(/manifest\.json/)
  }, 400_000) // a dozen processes, each starting TypeScript and TensorFlow.js

  it("prints the constructions table", () => {
    const r = cli("constructions", "--inputs", "4", "--hidden", "12", "--samples", "2000", "--seed", "1", "--backend", "cpu")
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/negative pudding\s+swish\s+\S+\s+1\.00\s+4\.00\s+pudding/)
    expect(r.out).toMatch(/double-sided\s+relu\s+\S+\s+1\.00e\+6\s+4\.00\s+double-sided/)
  })

  it("tells how to train on a seed that ends above the paper's outer contour, and only then", () => {
    expect(stillDeveloping(0.149, "quick", "runs/r", 10000)).toEqual([])
    const note = stillDeveloping(0.15, "quick", "runs/r", 10000)
    expect(note).toHaveLength(2)
    expect(note[0]).toContain("above the paper's outer contour (0.15) at step 10000")
    expect(note[1]).toContain("hyperlayers reproduce --preset quick --resume --out runs/r --steps 20000")
  })
})
