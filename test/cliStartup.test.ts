import { readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"
import { closure, importGraph } from "./importGraph.js"
import { builtCli } from "./studyCli.js"

/** The part of esbuild's metafile read here: per output file, what it imports and which inputs it holds. */
interface Metafile {
  readonly outputs: Record<string, {
    readonly imports: ReadonlyArray<{ readonly path: string; readonly kind: string; readonly external?: boolean }>
    readonly inputs: Record<string, unknown>
  }>
}

/** A bundled file's path inside node_modules (`vega/build/vega.module.js`), or an external import's specifier. */
const moduleOf = (path: string): string => path.includes("node_modules/") ? path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length) : path

/** Whether a module is the heavy package or subpath `heavy` (a subpath `p/Name` is built as `p/dist/Name.js`). */
const isHeavy = (module: string, heavy: string): boolean => {
  const parts = heavy.split("/")
  const pkg = heavy.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!
  const sub = heavy.slice(pkg.length + 1)
  return sub === "" ? module === pkg || module.startsWith(`${pkg}/`) : module === heavy || module.startsWith(`${pkg}/dist/${sub}.`)
}

/** Packages that take seconds to load: a command loads them when it runs, never to print its help. */
const HEAVY = ["@tensorflow/tfjs", "@tensorflow/tfjs-backend-wasm", "@tensorflow/tfjs-backend-webgpu", "webgpu", "vega", "vega-lite", "@effect/sql-pg", "wabt", "@resvg/resvg-js", "fflate", "d3-contour", "@effect/platform-node/NodeCrypto"]

describe("the command line answers at once", () => {
  it("loads none of the heavy packages before it has read its arguments (they load when a command runs)", () => {
    const graph = importGraph()
    const { files, packages } = closure(graph, "src/bin/hyperlayers.ts")
    const heavy = [...packages].filter((p) => HEAVY.some((h) => p === h || p.startsWith(`${h}/`)))
    // name the file that pulls each one in, so that a regression says where to look
    const culprits = heavy.map((p) => `${p} ← ${[...files].filter((f) => graph.imports.get(f)!.packages.includes(p)).join(", ")}`)
    expect(culprits).toEqual([])
    expect(packages.has("@effect/platform-node")).toBe(false) // the barrel loads every platform module; import subpaths
  })

  it("holds to it as the bundle a user runs (dist/cli): the entry's static imports, through its chunks, load none of them", () => {
    builtCli()
    const meta = JSON.parse(readFileSync("dist/cli/meta.json", "utf8")) as Metafile
    const entry = "dist/cli/bin/hyperlayers.js"
    const seen = new Set<string>()
    const loaded = new Map<string, string>() // module → the output that loads it at start
    const visit = (output: string) => {
      if (seen.has(output)) return
      seen.add(output)
      const { imports, inputs } = meta.outputs[output]!
      for (const input of Object.keys(inputs)) if (input.includes("node_modules/")) loaded.set(moduleOf(input), output)
      for (const i of imports) {
        if (i.kind !== "import-statement") continue // import() waits for the command that needs it
        if (i.external === true) loaded.set(moduleOf(i.path), output)
        else visit(i.path)
      }
    }
    visit(entry)
    expect(seen.size).toBeGreaterThan(1) // the entry and the chunks it shares with the commands
    expect([...loaded.keys()].some((m) => isHeavy(m, "effect"))).toBe(true) // the command line's own framework: the walk reaches packages
    const heavy = [...loaded].filter(([m]) => HEAVY.some((h) => isHeavy(m, h))).map(([m, output]) => `${m} ← ${output}`)
    expect(heavy).toEqual([])
  })
})
