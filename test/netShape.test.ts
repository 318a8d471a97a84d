import { fc } from "@fast-check/vitest"
import { Result } from "effect"
import { describe, expect, it } from "vitest"
import { decodeNetShape, MAX_EDGES, MAX_LAYER_SIZE, totalEdges } from "../src/core/network/netShape.js"

const messageOf = (input: unknown): string => {
  const r = decodeNetShape(input)
  if (Result.isSuccess(r)) throw new Error(`expected ${JSON.stringify(input)} to be rejected`)
  return r.failure.message
}

describe("NetShape schema", () => {
  it("accepts the canonical shape", () => {
    expect(Result.getOrThrow(decodeNetShape([16, 48, 1]))).toEqual([16, 48, 1])
  })

  it("rejects bad shapes with a message naming the problem", () => {
    expect(messageOf([16])).toMatch(/at least 2 layer sizes/)
    expect(messageOf([16, 0, 1])).toMatch(/at least 1[\s\S]*\[1\]/)
    expect(messageOf([-1, 2])).toMatch(/at least 1[\s\S]*\[0\]/)
    expect(messageOf([1.5, 2])).toMatch(/integer[\s\S]*\[0\]/)
    expect(messageOf([16, 1e9, 1])).toMatch(new RegExp(`at most ${MAX_LAYER_SIZE}[\\s\\S]*\\[1\\]`))
    expect(messageOf([4096, 4096, 4096])).toMatch(/at most \d+ weights/)
    expect(messageOf("16,48,1")).toMatch(/Expected array/)
    expect(messageOf({ sizes: [16, 48, 1] })).toMatch(/Expected array/)
    expect(messageOf(null)).toMatch(/Expected array/)
    expect(messageOf([16, "48"])).toMatch(/Expected number[\s\S]*\[1\]/)
    expect(messageOf(Array.from({ length: 40 }, () => 2))).toMatch(/at most 17 layer sizes/)
  })

  it("accepts every in-range shape", () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 256 }), { minLength: 2, maxLength: 6 }), (sizes) => {
      const r = decodeNetShape(sizes)
      expect(Result.isSuccess(r)).toBe(totalEdges(sizes) <= MAX_EDGES)
    }))
  })

  it("rejects a shape with any one bad size and names its index", () => {
    const bad = fc.oneof(fc.integer({ max: 0 }), fc.integer({ min: MAX_LAYER_SIZE + 1 }),
      fc.double({ min: 1.01, max: 100, noInteger: true, noNaN: true }), fc.constant(Number.NaN))
    fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 2, maxLength: 6 }), fc.nat(), bad, (sizes, k, value) => {
      const at = k % sizes.length
      const input = sizes.map((s, i) => (i === at ? value : s))
      expect(messageOf(input)).toContain(`[${at}]`)
    }))
  })
})
