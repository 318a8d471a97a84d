import { describe, expect, it } from "vitest"
import { closure, importGraph } from "./importGraph.js"

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
})
