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
  it("is fresh when the last complete build is newer than every source", () => {
    expect(buildIsFresh(checkout({ source: 1_000, stamp: 2_000 }).dir)).toBe(true)
    // a source as new as the build: not older, so built again
    expect(buildIsFresh(checkout({ source: 2_000, stamp: 2_000 }).dir)).toBe(false)
  })

  // each change to a fresh checkout, alone, calls for a build
  const changes: ReadonlyArray<readonly [string, (c: ReturnType<typeof checkout>) => void]> = [
    ["an edited file deep in src", (c) => c.at("src/core/a.ts", 3_000)],
    ["a removed file, which only its folder's time tells", (c) => rmSync(join(c.dir, "test/a.test.ts"))],
    ["a changed package file", (c) => c.at("package.json", 2_500)],
    ["no complete build (the bundle's metafile, written last, is missing)", (c) => rmSync(join(c.dir, "dist/cli/meta.json"))]
  ]
  it.each(changes)("is stale after %s", (_, change) => {
    const c = checkout({ source: 1_000, stamp: 2_000 })
    change(c)
    expect(buildIsFresh(c.dir)).toBe(false)
  })
})
