import { execFileSync } from "node:child_process"
import { existsSync, readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import * as tf from "@tensorflow/tfjs"
import { Effect } from "effect"
import { KERNELS_KEY, kernelVersion } from "../../services/backend/index.js"

/** The directory of this package (the first ancestor holding a package.json). */
const packageRoot = (): string => {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, "package.json")) && dirname(dir) !== dir) dir = dirname(dir)
  return dir
}

const versionOf = (root: string, name: string): string => {
  try {
    return (JSON.parse(readFileSync(join(root, "node_modules", name, "package.json"), "utf8")) as { version: string }).version
  } catch {
    return "unknown"
  }
}

/** Versions of the pieces a result depends on, and the git commit if this is a checkout. */
export const runEnvironment: Effect.Effect<{ versions: Record<string, string>; gitCommit: string | null }> = Effect.sync(() => {
  const root = packageRoot()
  const own = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string }).version
  let gitCommit: string | null = null
  try {
    gitCommit = execFileSync("git", ["rev-parse", "HEAD"], { cwd: root, stdio: ["ignore", "pipe", "ignore"] }).toString().trim() || null
  } catch {
    gitCommit = null
  }
  return {
    versions: {
      hyperlayers: own,
      node: process.versions.node,
      "@tensorflow/tfjs": tf.version.tfjs,
      "@tensorflow/tfjs-backend-wasm": versionOf(root, "@tensorflow/tfjs-backend-wasm"),
      effect: versionOf(root, "effect"),
      // the library's own kernels (their version decides the rounding of a wasm run; `replay` re-runs with it)
      [KERNELS_KEY]: String(kernelVersion())
    },
    gitCommit
  }
})
