import { existsSync } from "node:fs"

/**
 * The arguments that run a TypeScript script of this checkout (a test fixture, the command line) as
 * a child process: its compiled copy under `dist/` under `npm test` (which compiles first and sets
 * HYPERLAYERS_CHILDREN_FROM_DIST), the source through tsx otherwise (a single test file run alone).
 * Through tsx, a child transforms every source file it imports: about 2 s more CPU per process.
 */
export const scriptArgs = (script: string, ...args: ReadonlyArray<string>): Array<string> => {
  const compiled = `dist/${script.replace(/\.ts$/, ".js")}`
  return process.env["HYPERLAYERS_CHILDREN_FROM_DIST"] === "1" && existsSync(compiled) ? [compiled, ...args] : ["--import", "tsx", script, ...args]
}

/** The arguments that start the `hyperlayers` command line as a child process, as a user would run it. */
export const hyperlayersArgs = (...args: ReadonlyArray<string>): Array<string> => scriptArgs("src/bin/hyperlayers.ts", ...args)
