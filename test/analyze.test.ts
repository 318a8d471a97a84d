import { builtinComponents } from "../src/layers/blocks/components.js"
import { existsSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import * as tf from "@tensorflow/tfjs"
import { Effect, Result, Schema } from "effect"
import { beforeAll, describe, expect, it } from "vitest"
import { doubleSided, pudding } from "../src/core/network/constructions.js"
import { disposeNetWeights } from "../src/core/network/network.js"
import { NetworkAnalysis } from "../src/core/weights/networkAnalysis.js"
import { encodeNetworkFile } from "../src/core/weights/networkFile.js"
import { doubleSidedness, pathBalance, seedDependence, signAgreement, strongestConnection } from "../src/core/network/orderParameters.js"
import type { StoredNetwork } from "../src/core/run/results.js"
import { encodeSafetensors } from "../src/core/weights/safetensors.js"
import { analyze } from "../src/programs/analysis/analyze.js"
import { toStoredNetwork } from "../src/programs/analysis/loadNetwork.js"
import { useBackend } from "./helpers.js"
import { runProgram, tempDir } from "./programs.js"

beforeAll(() => useBackend("cpu"))

const stored = (built: ReturnType<typeof pudding>): StoredNetwork => {
  const net = Result.getOrThrow(built)
  const s = Result.getOrThrow(toStoredNetwork(net))
  disposeNetWeights(net)
  return s
}

describe("analyze", () => {
  it("finds a pudding saved from PyTorch, with its loss, α3 against a double-sided network, and writes JSON, drawings and a page", async () => {
    const dir = tempDir()
    const p = stored(pudding(16, 48, "negative"))
    const d = stored(doubleSided(16, 48))
    writeFileSync(join(dir, "pudding.safetensors"), encodeNetworkFile(p, "safetensors", "torch"))
    writeFileSync(join(dir, "double.npz"), encodeNetworkFile(d, "npz", "in-out"))
    const out = join(dir, "out")
    const { analysis, files } = await runProgram(Effect.gen(function* () {
      const before = tf.memory().numTensors
      const r = yield* analyze({ file: join(dir, "pudding.safetensors"), compare: join(dir, "double.npz"), out, html: true, samples: 1024 })
      expect(tf.memory().numTensors).toBe(before)
      return r
    }))
    const W = { rows: 16, cols: 48, data: p.W[0]! }
    const V = { rows: 16, cols: 48, data: d.W[0]! }
    const n = analysis.network
    expect([n.format, n.layout, n.layoutFrom, n.shape]).toEqual(["safetensors", "torch", "names", [16, 48, 1]])
    expect([n.alpha1, n.alpha2, n.pathBalance, n.algorithm]).toEqual([doubleSidedness(W), strongestConnection(W), pathBalance(W, Float64Array.from({ length: 48 }, (_, j) => Math.abs(p.W[1]![j]!))), "pudding"])
    expect(n.signAgreement).toBe(signAgreement(W, Float64Array.from({ length: 48 }, (_, j) => Math.abs(p.W[1]![j]!))))
    expect(n.signAgreement).toBe(1)
    expect(n.loss!.task).toBe("l1")
    expect(n.loss!.value).toBeLessThan(0.02) // the swish construction's loss is ≈ 0.007 (ARCHITECTURE.md, "Constructions")
    expect(analysis.compare!.network.algorithm).toBe("double-sided")
    expect(analysis.compare!.alpha3).toBe(seedDependence(W, V))
    expect(files.map((f) => f.slice(out.length + 1)).sort()).toEqual(["analysis.json", "figures/drawing-compare.png", "figures/drawing-compare.svg", "figures/drawing.png", "figures/drawing.svg", "report.html"])
    expect(Schema.decodeUnknownSync(NetworkAnalysis)(JSON.parse(readFileSync(join(out, "analysis.json"), "utf8")))).toEqual(analysis)
    const svg = readFileSync(join(out, "figures", "drawing.svg"), "utf8")
    expect(svg).toContain('fill="#1a9850"') // inputs green
    expect(svg).toContain('stroke="#2b6cb0"') // the pudding's strong negative weights blue
    expect(readFileSync(join(out, "figures", "drawing.png")).subarray(1, 4).toString()).toBe("PNG")
    const page = readFileSync(join(out, "report.html"), "utf8")
    expect(page).toContain('<span class="c-pudding">pudding</span>: α2 4.00 ≥ 2.00, α1 1.00 ≤ 10.0, path balance 0.00 ≤ 0.750')
    expect(page).toContain("<tr><th>path balance</th><td>0.00</td></tr>")
    // the double-sided construction: α1 says 1, the path balance decides, and the page says so
    expect(analysis.compare!.network.pathBalance).toBe(1)
    expect(page).toContain('<span class="c-double-sided">double-sided</span>: α2 4.00 ≥ 2.00, path balance 1.00 &gt; 0.750')
    expect(page).toMatch(/α3 = 1\.\d\d/)
  })

  it("says why there is no loss where the task does not fit the shape", async () => {
    const dir = tempDir()
    const { analysis } = await runProgram(analyze({ file: join(import.meta.dirname, "fixtures", "networks", "numpy-in-out.npz"), out: dir, samples: 64 }))
    expect(analysis.network.loss).toBeNull()
    expect(analysis.network.lossNote).toBe("task l1 needs a network with 1 output, but [3, 4, 2] has 2 (make the last layer size 1)")
  })

  it("writes nothing for a bad file, an unknown task or networks α3 cannot compare", async () => {
    const dir = tempDir()
    const good = join(dir, "good.safetensors")
    writeFileSync(good, encodeNetworkFile({ shape: [2, 3, 1], W: [[1, -2, 3, 4, 5, -6], [1, 1, 1]], b: [[0, 0, 0], [0]] }, "safetensors", "torch"))
    const nan = join(dir, "nan.safetensors")
    writeFileSync(nan, encodeSafetensors([{ name: "0.weight", shape: [1, 2], values: [NaN, 1] }, { name: "0.bias", shape: [1], values: [0] }]))
    const other = join(dir, "other.json")
    writeFileSync(other, encodeNetworkFile({ shape: [3, 1], W: [[1, 2, 3]], b: [[0]] }, "json"))
    const cases = [
      [{ file: nan }, "NonFiniteWeights", /the weights hold 1 NaN, first in tensor 0\.weight; a network with non-finite weights is not analysed or classified/],
      [{ file: good, task: "l3" }, "UnknownComponent", new RegExp(`no task named "l3" is registered \\(known: ${builtinComponents.tasks.map((t) => t.name).join(", ")}\\)`)],
      [{ file: good, compare: other }, "InvalidInput", /α3 compares first layers of one shape, but .*good\.safetensors has \[2, 3\] and .*other\.json \[3, 1\]/],
      [{ file: good, compare: nan }, "NonFiniteWeights", /nan\.safetensors/]
    ] as const
    for (const [request, tag, message] of cases) {
      const out = join(dir, `out-${tag}`)
      const r = await runProgram(Effect.result(analyze({ ...request, out, samples: 64 })))
      expect(Result.isFailure(r) && r.failure._tag).toBe(tag)
      expect(Result.isFailure(r) && r.failure.message).toMatch(message)
      expect(existsSync(out)).toBe(false)
    }
  })
})
