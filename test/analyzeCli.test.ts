import { spawnSync } from "node:child_process"
import { existsSync, readdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { encodeSafetensors } from "../src/core/weights/safetensors.js"
import { tempDir } from "./programs.js"
import { hyperlayersArgs } from "./cliProcess.js"

/** Run the command line from source (through tsx), as a user would run the built one. */
const cli = (...args: Array<string>) => {
  const r = spawnSync(process.execPath, hyperlayersArgs(...args), { encoding: "utf8", timeout: 120_000 })
  return { code: r.status, out: r.stdout, err: r.stderr }
}

describe("hyperlayers analyze", () => {
  it("prints the class of a PyTorch nn.Sequential's safetensors file and writes its drawing", () => {
    const out = join(tempDir(), "analysis")
    const r = cli("analyze", join("test", "fixtures", "networks", "torch-sequential.safetensors"), "--out", out, "--samples", "256", "--backend", "cpu", "--alpha2-threshold", "0.5")
    expect(r.err).toBe("")
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/format\s+safetensors, PyTorch layout \[out, in\] \(from the tensor names\)/)
    expect(r.out).toMatch(/shape\s+\[3, 5, 4, 1\]/)
    // every quantity the classifier read, next to the class and the comparisons that gave it
    const value = (label: string) => Number(new RegExp(`\\n${label.replace(/[()]/g, "\\$&")}\\s+(-?[\\d.e+-]+)`).exec(r.out)![1])
    const [a1, a2, balance] = [value("α1 (double sidedness)"), value("α2 (strongest connection)"), value("path balance")]
    expect(r.out).toMatch(/\nα2 \(strongest connection\)\s+\S+ \(an absolute weight scale, the largest \|W\^\(1\)_ij\|: a network trained at another scale reads differently\)\n/)
    expect(r.out).toMatch(/\nsign agreement\s+\S+\n/)
    const klass = /\nclass\s+(convexity|pudding|double-sided): (.*)\n/.exec(r.out)!
    expect(klass[2]).toEqual(a2 < 0.5 ? `α2 ${a2.toPrecision(3)} < 0.500`
      : a1 > 10 || balance > 0.75 ? expect.stringMatching(/^α2 .* ≥ 0\.500, /) : `α2 ${a2.toPrecision(3)} ≥ 0.500, α1 ${a1.toPrecision(3)} ≤ 10.0, path balance ${balance.toPrecision(3)} ≤ 0.750`)
    expect(r.out).toMatch(/loss\s+\d\.\d+ on task l1 \(swish hidden units, 256 inputs\)/)
    expect(r.out).toContain("classes: convexity when α2 < 0.500, else double-sided when α1 > 10.0 or path balance > 0.750, else pudding (α1 and path balance are scale-free; α2 is an absolute weight scale, the largest |W^(1)_ij|: a network trained at another scale reads differently)")
    expect(readdirSync(join(out, "figures")).sort()).toEqual(["drawing.png", "drawing.svg"])
    expect(existsSync(join(out, "analysis.json"))).toBe(true)
  })

  it("reports non-finite weights as such, exits 1 and writes nothing", () => {
    const dir = tempDir()
    writeFileSync(join(dir, "nan.safetensors"), encodeSafetensors([{ name: "0.weight", shape: [1, 2], values: [Infinity, 1] }, { name: "0.bias", shape: [1], values: [0] }]))
    const r = cli("analyze", join(dir, "nan.safetensors"), "--out", join(dir, "out"), "--backend", "cpu")
    expect(r.code).toBe(1)
    expect(r.err).toMatch(/^hyperlayers: .*nan\.safetensors: the weights hold 1 \+∞, first in tensor 0\.weight; a network with non-finite weights is not analysed or classified\n$/)
    expect(r.out).not.toMatch(/class/)
    expect(existsSync(join(dir, "out"))).toBe(false)
  })
})
