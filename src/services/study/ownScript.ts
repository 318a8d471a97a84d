import { fileURLToPath } from "node:url"

/**
 * How to start one of this package's own entry points (`src/bin/<name>`) as a child process:
 * the compiled JavaScript, or the TypeScript through tsx when this code itself runs from source
 * (tests).
 */
export const ownScript = (name: string): { readonly script: string; readonly execArgv: ReadonlyArray<string> } => {
  const typescript = import.meta.url.endsWith(".ts")
  return {
    script: fileURLToPath(new URL(`../../bin/${name}.${typescript ? "ts" : "js"}`, import.meta.url)),
    execArgv: typescript ? ["--import", "tsx"] : []
  }
}
