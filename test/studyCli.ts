import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { NodeServices } from "@effect/platform-node"
import { Layer, Result } from "effect"
import { decodeStudyResults } from "../src/programs/study/study.js"
import { runStoreLayer } from "../src/services/store/RunStore.js"
import { builtCopy } from "./cliProcess.js"
import { tempDir } from "./programs.js"

/** Helpers of the study tests: a tiny plan, study directories, and the built command line as a child process. */

export const services = Layer.provideMerge(runStoreLayer, NodeServices.layer)

/** Three cells of 40 steps on a [3, 4, 1] network, swept: a study of a few seconds per cell. */
export const plan = {
  name: "loopback",
  arms: [{
    name: "tiny", base: "quick",
    overrides: { shape: [3, 4, 1], steps: 40, betasPerStep: 2, samplesPerBeta: 32, checkpointEvery: 20, logEvery: 10, hypernetwork: { paper: { activation: 6, position: 2, noise: 2, attentionKey: 2, learned: 2, latent: 2, depth: 3 } } }
  }],
  seeds: [11, 12, 13],
  experiments: { sweep: { betas: 3, seeds: 2, samples: 64 } }
}

/**
 * A study directory holding the plan (with `seeds`, the plan's three by default), under `parent` (a
 * fresh temporary directory by default); enterable by others, for the server that runs as nobody
 * under root.
 */
export const studyDir = (name: string, parent?: string, seeds: ReadonlyArray<number> = plan.seeds) => {
  const root = parent ?? tempDir("hyperlayers-study-")
  chmodSync(root, 0o755)
  const dir = join(root, name)
  mkdirSync(dir)
  writeFileSync(join(dir, "plan.json"), JSON.stringify({ ...plan, seeds }, null, 2))
  return dir
}

export interface Cli {
  readonly child: ChildProcess
  readonly lines: Array<string>
  readonly exit: Promise<number | null>
  /** Resolves with the first line matching `pattern`. */
  readonly waitFor: (pattern: RegExp) => Promise<RegExpMatchArray>
}

/**
 * The built command line (its bundle, `dist/cli/bin/hyperlayers.js`), as a user runs it (`npm ci`
 * builds it), built first by `npm run build`'s script when a source is newer than the last build
 * (checked once per process): the study and its runners start several processes, and the bundle
 * starts in a third of the time TypeScript through tsx does.
 */
export const builtCli = (): string => {
  if (checked) return CLI
  const r = spawnSync(process.execPath, ["scripts/build.mjs"], { encoding: "utf8" })
  if (r.status !== 0) throw new Error(`the build failed (scripts/build.mjs): ${r.stdout}${r.stderr}`)
  checked = true
  return CLI
}

const CLI = builtCopy("src/bin/hyperlayers.ts")
let checked = false

/**
 * `hyperlayers <args>` (the built command line) as a child process, its output collected line by
 * line; `prefix` runs it through another command (`ip netns exec <ns>`), `env` adds to its environment.
 */
export const cli = (args: ReadonlyArray<string>, options: { readonly prefix?: ReadonlyArray<string>; readonly env?: Record<string, string> } = {}): Cli => {
  const command = [...(options.prefix ?? []), process.execPath, builtCli(), ...args]
  const child = spawn(command[0]!, command.slice(1), { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...options.env } })
  const lines: Array<string> = []
  const waiters: Array<{ pattern: RegExp; resolve: (m: RegExpMatchArray) => void }> = []
  for (const stream of [child.stdout!, child.stderr!]) {
    let buffer = ""
    stream.setEncoding("utf8")
    stream.on("data", (chunk: string) => {
      buffer += chunk
      const parts = buffer.split("\n")
      buffer = parts.pop() ?? ""
      for (const line of parts) {
        lines.push(line)
        for (const w of [...waiters]) {
          const m = line.match(w.pattern)
          if (m !== null) {
            waiters.splice(waiters.indexOf(w), 1)
            w.resolve(m)
          }
        }
      }
    })
  }
  const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
  const waitFor = (pattern: RegExp) => {
    const seen = lines.map((l) => l.match(pattern)).find((m) => m !== null)
    return seen != null ? Promise.resolve(seen) : new Promise<RegExpMatchArray>((resolve) => waiters.push({ pattern, resolve }))
  }
  return { child, lines, exit, waitFor }
}

export const readResults = (dir: string) => Result.getOrThrow(decodeStudyResults(readFileSync(join(dir, "results.json"), "utf8")))

/** Every file under a directory (the database's own files excepted: they hold the data, not settings). */
export const filesUnder = (dir: string): Array<string> => readdirSync(dir).flatMap((name) => {
  const p = join(dir, name)
  if (name === "data") return []
  return statSync(p).isDirectory() ? filesUnder(p) : [p]
})
