import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"

/**
 * How to start one of this package's own entry points as a child process or worker thread
 * (`bin/hyperlayers`, `bin/serverWatchdog`, `workers/gradientWorker`, relative to `src/`):
 * - from the command line's bundle (`dist/cli`, see `scripts/bundleCli.mjs`), the bundle's entry;
 * - from the compiled library (`dist/src`), the compiled entry;
 * - from source (tests), the TypeScript through tsx; under `npm test`, which builds first,
 *   `HYPERLAYERS_CHILDREN_FROM_DIST=1` makes it the bundle's entry instead (a process starts in
 *   about a third of the CPU time it takes through tsx).
 */
export const ownScript = (entry: string): { readonly script: string; readonly execArgv: ReadonlyArray<string> } => {
  const url = import.meta.url
  // the bundle's code sits in dist/cli/bin, dist/cli/workers or dist/cli/chunks: its entries are beside them
  const inBundle = url.lastIndexOf("/dist/cli/")
  if (inBundle >= 0) return { script: fileURLToPath(`${url.slice(0, inBundle)}/dist/cli/${entry}.js`), execArgv: [] }
  // this file is src/services/study/ownScript.ts, or dist/src/services/study/ownScript.js
  if (!url.endsWith(".ts")) return { script: fileURLToPath(new URL(`../../${entry}.js`, url)), execArgv: [] }
  const bundled = fileURLToPath(new URL(`../../../dist/cli/${entry}.js`, url))
  if (process.env["HYPERLAYERS_CHILDREN_FROM_DIST"] === "1" && existsSync(bundled)) return { script: bundled, execArgv: [] }
  return { script: fileURLToPath(new URL(`../../${entry}.ts`, url)), execArgv: ["--import", "tsx"] }
}
