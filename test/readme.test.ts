import { type ExecFileSyncOptionsWithStringEncoding, execFileSync } from "node:child_process"
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import * as nodeModule from "node:module"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { checkoutModule, scratchInCheckout, TSX_LOADER } from "./cliProcess.js"

// Every runnable TypeScript block of the README and of docs/ (fenced ```ts; fragments are
// ```ts fragment and vitest files ```ts test, run by test/userProject.test.ts), run as written with
// the package name pointing at this checkout's source, so that the examples cannot rot.
const blocksOf = (file: string) => [...readFileSync(file, "utf8").matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!)
const blocks = blocksOf("README.md")
const library = blocksOf("docs/library.md")
const own = blocksOf("docs/bring-your-own-network.md")
const inr = blocksOf("docs/inr.md")
const others = ["docs/command-line.md", "docs/studies.md", "docs/reproduction.md", "docs/similarity.md", "docs/testing-kit.md", "docs/backends-and-performance.md"].flatMap(blocksOf)
// the library as a child loads it: compiled under npm test (only the example then needs its types
// stripped), else the source through tsx
const hyperlayers = checkoutModule("src/index.ts")
// the examples' directories, where their bare imports resolve to this checkout's packages
const root = scratchInCheckout("hyperlayers-readme-")
afterAll(() => rmSync(root, { recursive: true, force: true }))

// Node's own type stripping (22.13 and later): where the library is compiled, an example runs as
// plain JavaScript, without tsx's loader in the child (about 1.2 s less CPU per example)
// (a namespace import: a Node without it still loads this file)
const strip = typeof nodeModule.stripTypeScriptTypes === "function" && !hyperlayers.tsx ? nodeModule.stripTypeScriptTypes : undefined

const run = (code: string): string => {
  const dir = mkdtempSync(join(root, "example-"))
  chmodSync(dir, 0o755)
  const example = code.replace(/from "hyperlayers"/g, `from ${JSON.stringify(hyperlayers.path)}`)
  // the example's relative paths (runs/…) land in the temporary directory
  const options: ExecFileSyncOptionsWithStringEncoding = { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 120_000 }
  if (strip !== undefined) {
    const file = join(dir, "example.mjs")
    writeFileSync(file, strip(example, { mode: "strip" }))
    return execFileSync(process.execPath, [file], options)
  }
  const file = join(dir, "example.mts")
  writeFileSync(file, example)
  return execFileSync(process.execPath, [...TSX_LOADER, file], options)
}

describe("README examples", () => {
  it("has the examples this test runs, and no other", () => {
    expect([blocks.length, library.length, own.length, inr.length, others.length]).toEqual([2, 3, 1, 1, 0])
  })

  it("a construction, its order parameters, its class", () => {
    expect(run(blocks[0]!).trim()).toBe("pudding")
  })

  it("the paper's hypernetwork trained and swept with one layer for every service", () => {
    const lines = run(blocks[1]!).trim().split("\n")
    expect(lines.length).toBe(3)
    lines.forEach((l, k) => expect(l).toMatch(new RegExp(`^log β ${[-12, -6, 0][k]}: loss \\d+\\.\\d{3}, (convexity|pudding|double-sided)$`)))
  })

  it("a custom stack with two KL channels that carry information", () => {
    const out = run(library[0]!)
    expect(out).toMatch(/\[ \[ 2, 16, 48 \], \[ 2, 48, 1 \] \]/)
    const kl = /Float32Array\(2\) \[ ([\d.e+-]+), ([\d.e+-]+) \]/.exec(out)
    expect(kl).not.toBeNull()
    for (const k of [kl![1]!, kl![2]!]) expect(Number(k)).toBeGreaterThan(0)
  })

  it("a construction saved in PyTorch's layout and read back", () => {
    expect(run(own[0]!).trim()).toBe("torch [ 16, 48, 1 ]")
  })

  it("a stack and a task from code, trained, resumed and swept", () => {
    const out = run(library[1]!)
    expect(out).toContain("resuming runs/mine at step 30 of 60")
    const lines = out.trim().split("\n").filter((l) => l.startsWith("step"))
    // checkpoints 0, 30 and 60, three β each
    expect(lines.length).toBe(9)
    expect(lines[0]).toMatch(/^step 0, log β -12: loss \d+\.\d{3}, (convexity|pudding|double-sided)$/)
    expect(lines[8]).toMatch(/^step 60, log β 0: loss /)
  })

  it("a researcher's own experiment in one file, run inside a study", () => {
    const lines = run(library[2]!).trim().split("\n")
    // one line per cell (seeds 1 and 2), the drift at checkpoints 0, 20 and 40: 0 at the start, then growing
    expect(lines.map((l) => l.split(":")[0])).toEqual(["seed 1", "seed 2"])
    for (const l of lines) {
      const drifts = [...l.matchAll(/step (\d+) (\d+\.\d{3})/g)].map((m) => [Number(m[1]), Number(m[2])])
      expect(drifts.map(([step]) => step)).toEqual([0, 20, 40])
      expect(drifts[0]![1]).toBe(0)
      expect(drifts[1]![1]).toBeGreaterThan(0)
      expect(drifts[2]![1]).toBeGreaterThan(drifts[1]![1]!)
    }
  })

  it("a researcher's own family of functions through the INR experiment", () => {
    const out = run(inr[0]!).trim().split("\n")
    expect(out.slice(0, 3).map((l) => l.split(":")[0])).toEqual(["training", "interpolation", "extrapolation"])
    for (const l of out.slice(0, 3)) expect(l).toMatch(/hypernetwork \d+\.\d{3}, mlp \d+\.\d{3}, scratch \d+\.\d{3}, nearest \d+\.\d{3}$/)
    expect(out[3]).toBe("runs/sine/inr-report.html")
  })
})
