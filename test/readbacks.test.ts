import { readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"
import { importGraph } from "./importGraph.js"

/**
 * The webgpu backend cannot read a tensor synchronously in Node, so the sources read tensors only
 * through `readback` (src/core/base/readback.ts), and call `dataSync` only inside top-level functions
 * whose doc comment says they are cpu-only (a program on webgpu runs them inside `onCpu`).
 */
const SYNC_READ = /\.(dataSync|arraySync|bufferSync)\(/
const ASYNC_READ = /\.(data|array|buffer)\(\s*\)/
const DECLARATION = /^(export\s+)?(const|let|function|async\s+function|class)\s/

/** The doc comment just above line `at` (index into `lines`), or "" if there is none. */
const docAbove = (lines: ReadonlyArray<string>, at: number): string => {
  let k = at - 1
  if (k < 0 || !lines[k]!.trimEnd().endsWith("*/")) return ""
  const end = k
  while (k >= 0 && !lines[k]!.trimStart().startsWith("/**")) k--
  return k < 0 ? "" : lines.slice(k, end + 1).join("\n")
}

/** Where the sources read a tensor in a way the webgpu backend cannot, as `file:line: why`. */
const offending = (): Array<string> => {
  const found: Array<string> = []
  for (const file of importGraph().files) {
    const lines = readFileSync(file, "utf8").split("\n")
    lines.forEach((line, k) => {
      const code = line.replace(/\/\/.*$/, "")
      if (line.trimStart().startsWith("*")) return // inside a comment
      if (ASYNC_READ.test(code) && file !== "src/core/base/readback.ts") found.push(`${file}:${k + 1}: reads a tensor without readback`)
      if (SYNC_READ.test(code)) {
        let d = k
        while (d >= 0 && !DECLARATION.test(lines[d]!)) d--
        const doc = d < 0 ? "" : docAbove(lines, d)
        if (!/cpu-only/.test(doc)) found.push(`${file}:${k + 1}: reads synchronously in ${d < 0 ? "top-level code" : lines[d]!.slice(0, 60)}, which is not documented as cpu-only`)
      }
    })
  }
  return found
}

describe("tensor readbacks", () => {
  it("go through readback, and dataSync stays in functions documented as cpu-only", () => {
    expect(offending()).toEqual([])
  })

  it("the check finds what it looks for", () => {
    // the cpu-only functions are found and accepted: the scan does see them
    const lines = readFileSync("src/core/network/constructions.ts", "utf8").split("\n")
    const at = lines.findIndex((l) => SYNC_READ.test(l))
    expect(at).toBeGreaterThan(0)
    let d = at
    while (!DECLARATION.test(lines[d]!)) d--
    expect(lines[d]).toMatch(/^export const convexity/)
    expect(docAbove(lines, d)).toMatch(/cpu-only/)
    expect(ASYNC_READ.test("const v = await t.data()")).toBe(true)
    expect(SYNC_READ.test("x.dataSync()[0]")).toBe(true)
  })
})
