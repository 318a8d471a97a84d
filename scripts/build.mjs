// `npm run build`: the TypeScript compiled (`tsc -p .`, incremental) and the command line bundled
// (`scripts/bundleCli.mjs`), skipped when the last complete build is newer than every file and
// folder it reads (src, test, bench, scripts, the tsconfig and the package files): `npm ci` builds
// (`prepare`), so `npm test` and `npm start` right after it need not build again (about 4 s of a
// fresh clone's test run). A folder's time changes when a file in it is added, removed or renamed,
// so those rebuild too. `--force` builds regardless.
import { spawnSync } from "node:child_process"
import { existsSync, readdirSync, statSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"

const root = fileURLToPath(new URL("..", import.meta.url))
const inputs = ["src", "test", "bench", "scripts", "tsconfig.json", "package.json", "package-lock.json"]

/** The newest modification time (ms) of a file, or of a folder and everything under it. */
const newest = (path) => {
  const s = statSync(path)
  if (!s.isDirectory()) return s.mtimeMs
  return readdirSync(path).reduce((t, name) => Math.max(t, newest(join(path, name))), s.mtimeMs)
}

/**
 * Whether the checkout at `dir` has a complete build newer than every input: `dist/cli/meta.json`,
 * which the bundle step writes last, is newer than each of src, test, bench, scripts (files and
 * folders, all the way down), the tsconfig and the package files that exist. Not fresh when any of
 * them cannot be read.
 */
export const buildIsFresh = (dir) => {
  const stamp = join(dir, "dist", "cli", "meta.json")
  if (!existsSync(stamp)) return false
  const built = statSync(stamp).mtimeMs
  try {
    return inputs.every((p) => !existsSync(join(dir, p)) || newest(join(dir, p)) < built)
  } catch {
    // a file that cannot be read (removed meanwhile, no permission): build, and let tsc say what is wrong
    return false
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (!process.argv.includes("--force") && buildIsFresh(root)) {
    console.log("build: dist/ is newer than every source, nothing to do (--force builds anyway)")
  } else {
    for (const step of [[join(root, "node_modules", "typescript", "bin", "tsc"), "-p", root], [join(root, "scripts", "bundleCli.mjs")]]) {
      const r = spawnSync(process.execPath, step, { cwd: root, stdio: "inherit" })
      if (r.status !== 0) process.exit(r.status ?? 1)
    }
  }
}
