import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"

/**
 * How to start one of this package's own entry points as a child process or worker thread
 * (`bin/hyperlayers`, `bin/serverWatchdog`, `workers/gradientWorker`, relative to `src/`): the
 * compiled JavaScript, or, when this code itself runs from source (tests), the TypeScript through
 * tsx. Under `npm test`, which compiles first, `HYPERLAYERS_CHILDREN_FROM_DIST=1` makes a process
 * running from source start the compiled JavaScript instead (a second or so less per child).
 */
export const ownScript = (entry: string): { readonly script: string; readonly execArgv: ReadonlyArray<string> } => {
  const fromSource = import.meta.url.endsWith(".ts")
  // this file is src/services/study/ownScript.ts, or dist/src/services/study/ownScript.js
  if (!fromSource) return { script: fileURLToPath(new URL(`../../${entry}.js`, import.meta.url)), execArgv: [] }
  const compiled = fileURLToPath(new URL(`../../../dist/src/${entry}.js`, import.meta.url))
  if (process.env["HYPERLAYERS_CHILDREN_FROM_DIST"] === "1" && existsSync(compiled)) return { script: compiled, execArgv: [] }
  return { script: fileURLToPath(new URL(`../../${entry}.ts`, import.meta.url)), execArgv: ["--import", "tsx"] }
}
