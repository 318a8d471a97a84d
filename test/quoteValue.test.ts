import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { fc } from "@fast-check/vitest"
import { Effect, Result } from "effect"
import { describe, expect, it } from "vitest"
import { runCli } from "../src/cli/main.js"
import { cliServices } from "../src/cli/shared.js"
import { decodeNetworkFile } from "../src/core/weights/networkFile.js"
import { decodePlan, resolvePlan } from "../src/core/study/studyPlan.js"
import { decodeSimilaritySettings, similarityPresets } from "../src/core/similarity/similaritySettings.js"
import { cutList, cutText, quoteValue } from "../src/core/base/quoteValue.js"
import { tempDir } from "./programs.js"
import { builtinExperiments } from "../src/programs/experiments/registry.js"

const TEN_MB = 10 * 2 ** 20
const huge = "a".repeat(TEN_MB)

/** The command line run in this process: the message it fails with, as `main` prints it. */
const cliHere = async (...args: Array<string>): Promise<string> => {
  const r = await Effect.runPromise(Effect.result(runCli(args).pipe(Effect.provide(cliServices))))
  if (Result.isSuccess(r)) return "ok"
  const e = r.failure as { readonly _tag: string; readonly message: string; readonly errors?: ReadonlyArray<{ readonly message: string }> }
  return e._tag === "ShowHelp" ? (e.errors ?? []).map((x) => x.message).join("; ") : `hyperlayers: ${e.message}`
}

describe("quoteValue", () => {
  it("quotes a small value as JSON.stringify does, and non-finite numbers and undefined by name", () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 3 }), (v) => {
      const json = JSON.stringify(v)
      if (json.length <= 80) expect(quoteValue(v)).toBe(json)
    }), { numRuns: 300 })
    expect([quoteValue(NaN), quoteValue(-Infinity), quoteValue(undefined), quoteValue([1, NaN]), quoteValue(2n), quoteValue(() => 1)])
      .toEqual(["NaN", "-Infinity", "undefined", "[1,NaN]", "2n", "a function"])
  })

  it("cuts a long value to the length asked, saying its size, whatever its kind", () => {
    expect(quoteValue(huge)).toBe(`"${"a".repeat(80)}…" (10485760 characters)`)
    expect(quoteValue(Array.from({ length: 1_000_000 }, (_, k) => k), 20)).toBe("[0,1,2,3,4,5,6,7,8,9… (1000000 entries)")
    expect(quoteValue({ a: huge, b: 1 }, 12)).toBe('{"a":"aaaaaa… (2 keys)')
    expect(quoteValue({ [huge]: 1 }, 12)).toBe('{"aaaaaaaaaa… (1 key)')
    expect(cutText(huge, 5)).toBe("aaaaa… (10485760 characters)")
    expect(cutText("short")).toBe("short")
    expect(cutList(["a", "b", "c"], "; ", 2)).toBe("a; b; … (3 in all)")
    const cycle: Record<string, unknown> = { x: 1 }
    cycle["self"] = cycle
    expect(quoteValue(cycle)).toBe('{"x":1,"self":[circular]}')
    expect(quoteValue(new Proxy({}, { ownKeys: () => { throw new Error("no") } }))).toBe("{… (unreadable)")
  })

  it("is bounded by the length asked for any value, never the value's size", () => {
    const values = fc.oneof(fc.string({ maxLength: 500 }), fc.array(fc.string({ maxLength: 100 }), { maxLength: 50 }), fc.dictionary(fc.string({ maxLength: 200 }), fc.anything(), { maxKeys: 20 }), fc.anything())
    fc.assert(fc.property(values, fc.integer({ min: 1, max: 100 }), (v, max) => {
      // the text kept (at most max, each character escaped to at most 6), the ellipsis, the note
      expect(quoteValue(v, max).length).toBeLessThanOrEqual(6 * max + 8 + 40)
    }), { numRuns: 300 })
  })
})

describe("values quoted in errors are cut to a readable length", () => {
  it("a 10 MB string in a train config field gives a one-line message naming the field", async () => {
    const dir = tempDir()
    const file = join(dir, "c.json")
    writeFileSync(file, JSON.stringify({ learningRate: huge }))
    const message = await cliHere("train", "--config", file, "--out", join(dir, "run"))
    expect(message).toBe(`hyperlayers: invalid settings: learningRate (--lr): expected number, got "${"a".repeat(80)}…" (10485760 characters) in the config file`)
    // as a key, and as a shape where a list belongs
    writeFileSync(file, JSON.stringify({ [huge]: 1 }))
    expect(await cliHere("train", "--config", file)).toMatch(/^hyperlayers: unknown setting in the config file: a{80}… \(10485760 characters\) \(known: [^)]*\)$/)
    writeFileSync(file, JSON.stringify({ shape: huge }))
    expect((await cliHere("train", "--config", file)).length).toBeLessThan(300)
    // a hundred thousand bad entries: the first ten are named, and the count
    writeFileSync(file, JSON.stringify({ shape: new Array<number>(100_000).fill(-1) }))
    const many = await cliHere("train", "--config", file)
    expect(many.length).toBeLessThan(1000)
    expect(many).toMatch(/^hyperlayers: invalid settings: shape \(--shape\)\[0\]: a layer size must be at least 1; (shape \(--shape\)\[\d\]: a layer size must be at least 1; ){9}… \(100000 in all\)$/)
  })

  it("a 10 MB name or key in a study plan", () => {
    const plan = { name: "p", arms: [{ name: huge, base: "quick" }], seeds: [1], experiments: { sweep: true } }
    const named = decodePlan(plan)
    expect(Result.isFailure(named) && named.failure.message).toBe(`invalid study plan plan: arms.0.name: an arm's name must be 1–64 letters, digits, '.', '_' or '-', starting with a letter or digit (got "${"a".repeat(80)}…" (10485760 characters))`)
    const keyed = Result.flatMap(decodePlan({ ...plan, arms: [{ name: "a", base: "quick", overrides: { [huge]: 1 } }] }), (p) => resolvePlan(p, builtinExperiments))
    expect(Result.isFailure(keyed) && keyed.failure.message).toBe(`invalid study plan plan: arm "a": overrides.${"a".repeat(80)}… (10485760 characters): unknown setting`)
  })

  it("a 10 MB key in similarity settings and in a network's JSON", () => {
    const s = decodeSimilaritySettings({ ...similarityPresets.quick, zoo: { ...similarityPresets.quick.zoo, [huge]: 1 } })
    expect(Result.isFailure(s) && s.failure.message).toBe(`invalid similarity settings: zoo.${"a".repeat(80)}… (10485760 characters): Expected no excess property`)
    const net = decodeNetworkFile(new TextEncoder().encode(JSON.stringify({ W: [[[1]]], b: [[0]], layout: huge })), "n.json")
    expect(Result.isFailure(net) && net.failure.message).toBe(`n.json: layout must be "in-out" or "torch", got "${"a".repeat(80)}…" (10485760 characters)`)
    const value = decodeNetworkFile(new TextEncoder().encode(JSON.stringify({ "0.weight": [[huge]], "0.bias": [0] })), "v.json")
    expect(Result.isFailure(value) && value.failure.message).toBe(`v.json: 0.weight[0][0] is "${"a".repeat(40)}…" (10485760 characters), not a number`)
  })
})
