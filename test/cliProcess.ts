import { chmodSync, existsSync, mkdirSync, mkdtempSync } from "node:fs"
import { resolve } from "node:path"

/**
 * A module of this checkout as a child process should load it: under `npm test` (which builds first
 * and sets HYPERLAYERS_CHILDREN_FROM_DIST) its built copy, the command line's bundle for an entry
 * point (`src/bin/…`, `src/workers/…` → `dist/cli/…`, as a user's `hyperlayers` runs) and the
 * compiled file under `dist/` for anything else; otherwise the source, which the child can only load
 * through tsx (`tsx` true). Through tsx a child transforms every source file it imports: about 2 s
 * more CPU per process.
 */
export const checkoutModule = (source: string): { readonly path: string; readonly tsx: boolean } => {
  const compiled = builtCopy(source)
  return process.env["HYPERLAYERS_CHILDREN_FROM_DIST"] === "1" && existsSync(compiled)
    ? { path: resolve(compiled), tsx: false }
    : { path: resolve(source), tsx: true }
}

/** Where `npm run build` puts a source file of this checkout: an entry point in the bundle (`dist/cli/…`), anything else under `dist/`. */
export const builtCopy = (source: string): string => {
  const js = source.replace(/\.ts$/, ".js")
  return /^src\/(bin|workers)\//.test(js) ? js.replace(/^src\//, "dist/cli/") : `dist/${js}`
}

/** The node flags that load tsx from this checkout, for a child that runs TypeScript. */
export const TSX_LOADER: ReadonlyArray<string> = ["--import", resolve("node_modules/tsx/dist/esm/index.mjs")]

/** The arguments that run a TypeScript script of this checkout (a test fixture, the command line) as a child process. */
export const scriptArgs = (script: string, ...args: ReadonlyArray<string>): Array<string> => {
  const module = checkoutModule(script)
  return [...(module.tsx ? TSX_LOADER : []), module.path, ...args]
}

/** The arguments that start the `hyperlayers` command line as a child process, as a user would run it. */
export const hyperlayersArgs = (...args: ReadonlyArray<string>): Array<string> => scriptArgs("src/bin/hyperlayers.ts", ...args)

/**
 * A fresh directory for scripts a test writes and runs, under `node_modules/.cache`, so that their
 * bare imports (`effect`, …) resolve to this checkout's packages; enterable by others (as root, a
 * study's PostgreSQL runs as nobody, who must reach it). The caller removes it.
 */
export const scratchInCheckout = (prefix: string): string => {
  mkdirSync("node_modules/.cache", { recursive: true })
  const dir = mkdtempSync(resolve("node_modules/.cache", prefix))
  chmodSync(dir, 0o755)
  return dir
}
