import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

const made: Array<string> = []

/** A fresh temporary directory, removed when the test file that made it is done (test/setup.ts). */
export const tempDir = (prefix = "hyperlayers-test-"): string => {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  made.push(dir)
  return dir
}

/**
 * Remove every directory `tempDir` made so far. test/setup.ts calls it after each test file: a test
 * fork runs file after file (vitest `isolate: false`) and loads this module once, so a hook
 * registered here would run after the fork's first file only.
 */
export const removeTempDirs = (): void => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true })
}
