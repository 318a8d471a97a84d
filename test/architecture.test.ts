import { describe, expect, it } from "vitest"
import { closure, importGraph } from "./importGraph.js"

/**
 * The rules of ARCHITECTURE.md, held over the import graph of `src/`: a new violation fails here,
 * naming the file and what it imports.
 */
const graph = importGraph()

/** The layer of a source file, and its group (`core/network`, …; top-level folders are their own group). */
const LAYERS = ["core", "layers", "services", "programs"] as const
const place = (file: string) => {
  const parts = file.replace(/^src\//, "").split("/")
  const layer = parts[0]!.replace(/\.ts$/, "")
  const group = LAYERS.includes(layer as typeof LAYERS[number]) && parts.length > 2 ? `${parts[0]}/${parts[1]}` : layer
  return { layer, group, name: parts[parts.length - 1]! }
}

/** What each layer may import (besides itself): the four layers in order, then the applications. */
const MAY_IMPORT: Readonly<Record<string, ReadonlyArray<string>>> = {
  core: [],
  layers: ["core"],
  services: ["core", "layers"],
  programs: ["core", "layers", "services"],
  workers: ["core", "layers", "services", "programs"],
  testing: ["core", "layers", "services", "programs"],
  cli: ["core", "layers", "services", "programs"],
  bin: ["core", "layers", "services", "programs", "cli"],
  api: ["core", "layers", "services", "programs"],
  index: ["core", "layers", "services", "programs", "api"]
}

const HEAVY = ["@tensorflow/", "vega", "@effect/sql-pg", "wabt", "@resvg/", "fflate", "d3-", "@stdlib/", "webgpu"]

const edges = () => graph.files.flatMap((from) => [
  ...graph.imports.get(from)!.files.map((to) => ({ from, to, type: false })),
  ...graph.typeImports.get(from)!.map((to) => ({ from, to, type: true }))
])

describe("the architecture (ARCHITECTURE.md)", () => {
  it("every file sits in a layer's group, and each group has its index.ts", () => {
    const groups = new Set(graph.files.map((f) => place(f).group).filter((g) => g.includes("/")))
    expect(graph.files.filter((f) => LAYERS.some((l) => f === `src/${l}/${f.split("/").pop()}`))).toEqual([]) // no loose files in a layer
    for (const g of groups) expect(graph.files).toContain(`src/${g}/index.ts`)
  })

  it("no import runs back up a layer", () => {
    const bad = edges().filter(({ from, to }) => {
      const [a, b] = [place(from), place(to)]
      return a.layer !== b.layer && !(MAY_IMPORT[a.layer] ?? []).includes(b.layer)
    }).map(({ from, to }) => `${from} → ${to}`)
    expect(bad).toEqual([])
  })

  it("another group is imported only through its face: index.ts, or schemas.ts for its light Schemas", () => {
    const bad = edges().filter(({ from, to }) => {
      const [a, b] = [place(from), place(to)]
      return a.group !== b.group && b.group.includes("/") && b.name !== "index.ts" && b.name !== "schemas.ts"
    }).map(({ from, to }) => `${from} → ${to}`)
    expect(bad).toEqual([])
  })

  it("a schemas.ts face loads no tensors and no heavy package", () => {
    const bad = graph.files.filter((f) => f.endsWith("/schemas.ts")).flatMap((face) =>
      [...closure(graph, face).packages].filter((p) => HEAVY.some((h) => p.startsWith(h))).map((p) => `${face} loads ${p}`))
    expect(bad).toEqual([])
  })

  it("no cycle of value imports, between files or between groups", () => {
    const cycles = (nodes: ReadonlyArray<string>, next: (n: string) => ReadonlyArray<string>) => {
      const state = new Map<string, "open" | "done">()
      const found: Array<string> = []
      const visit = (n: string, path: Array<string>) => {
        state.set(n, "open")
        for (const m of next(n)) {
          if (state.get(m) === "open") found.push([...path.slice(path.indexOf(m)), m].join(" → "))
          else if (state.get(m) === undefined) visit(m, [...path, m])
        }
        state.set(n, "done")
      }
      for (const n of nodes) if (state.get(n) === undefined) visit(n, [n])
      return found
    }
    expect(cycles(graph.files, (f) => graph.imports.get(f)!.files)).toEqual([])
    const groups = [...new Set(graph.files.map((f) => place(f).group))]
    const groupEdges = new Map(groups.map((g) => [g, [...new Set(graph.files.filter((f) => place(f).group === g)
      .flatMap((f) => graph.imports.get(f)!.files.map((t) => place(t).group)).filter((t) => t !== g))]]))
    expect(cycles(groups, (g) => groupEdges.get(g) ?? [])).toEqual([])
  })
})
