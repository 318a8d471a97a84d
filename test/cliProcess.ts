import { existsSync } from "node:fs"

/**
 * The arguments that start the `hyperlayers` command line as a child process, as a user would run
 * it: the compiled `dist/` under `npm test` (which compiles first and sets
 * HYPERLAYERS_CHILDREN_FROM_DIST), the source through tsx otherwise (a single test file run alone).
 */
export const hyperlayersArgs = (...args: ReadonlyArray<string>): Array<string> =>
  process.env["HYPERLAYERS_CHILDREN_FROM_DIST"] === "1" && existsSync("dist/src/bin/hyperlayers.js")
    ? ["dist/src/bin/hyperlayers.js", ...args]
    : ["--import", "tsx", "src/bin/hyperlayers.ts", ...args]
