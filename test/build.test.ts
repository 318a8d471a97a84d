import { mkdirSync, rmSync, utimesSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { buildIsFresh } from "../scripts/build.mjs"
import { tempDir } from "./programs.js"

/** A checkout's skeleton: a source, a test and a build stamp, each at a time of its own (seconds). */
const checkout = (times: { readonly source: number; readonly stamp: number }) => {
  const dir = tempDir("hyperlayers-build-")
  for (const d of ["src/core", "test", "dist/cli"]) mkdirSync(join(dir, d), { recursive: true })
  const at = (path: string, seconds: number) => utimesSync(join(dir, path), seconds, seconds)
  writeFileSync(join(dir, "src/core/a.ts"), "export const a = 1\n")
  writeFileSync(join(dir, "test/a.test.ts"), "\n")
  writeFileSync(join(dir, "package.json"), "{}\n")
  for (const p of ["src/core/a.ts", "src/core", "src", "test/a.test.ts", "test", "package.json"]) at(p, times.source)
  writeFileSync(join(dir, "dist/cli/meta.json"), "{}\n")
  at("dist/cli/meta.json", times.stamp)
  return { dir, at }
}

describe("npm run build skips a build that is up to date", () => {
  it("is fresh only when the last complete build is newer than every source, file or folder", () => {
    const { dir, at } = checkout({ source: 1_000, stamp: 2_000 })
    expect(buildIsFresh(dir)).toBe(true)
    // an edited file deep in src
    at("src/core/a.ts", 3_000)
    expect(buildIsFresh(dir)).toBe(false)
    at("src/core/a.ts", 1_000)
    expect(buildIsFresh(dir)).toBe(true)
    // a file removed: only its folder's time says so
    rmSync(join(dir, "test/a.test.ts"))
    expect(buildIsFresh(dir)).toBe(false)
    at("test", 1_000)
    // a changed package file
    at("package.json", 2_500)
    expect(buildIsFresh(dir)).toBe(false)
    at("package.json", 1_000)
    expect(buildIsFresh(dir)).toBe(true)
    // no complete build: the bundle's metafile, written last, is missing
    rmSync(join(dir, "dist/cli/meta.json"))
    expect(buildIsFresh(dir)).toBe(false)
  })
})
