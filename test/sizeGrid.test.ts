import { fc, test } from "@fast-check/vitest"
import { describe, expect } from "vitest"
import { InvalidInput } from "../src/core/base/errors.js"
import { sizeGrid } from "../src/core/run/sizeGrid.js"

const bounds = fc.tuple(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 512 }), fc.integer({ min: 1, max: 512 }), fc.integer({ min: 1, max: 12 }))
  .map(([min, a, b, perOctave]) => {
    const [lo, hi] = a <= b ? [a, b] : [b, a]
    return { min: Math.min(min, lo), center: lo, max: hi, perOctave }
  })

describe("sizeGrid", () => {
  test.prop([bounds])("is strictly increasing, holds the centre, stays in [min, max] and steps at most one spacing at a time", ({ min, center, max, perOctave }) => {
    const grid = sizeGrid(center, min, max, perOctave)
    expect(grid).toContain(center)
    expect(grid.every((s) => Number.isInteger(s) && s >= min && s <= max)).toBe(true)
    grid.slice(1).forEach((s, k) => {
      expect(s).toBeGreaterThan(grid[k]!)
      // consecutive sizes are one geometric step apart, give or take rounding
      expect(s / grid[k]!).toBeLessThanOrEqual(2 ** (1 / perOctave) * (1 + 1 / grid[k]!) + 1e-12)
    })
    // the ends come within one step of the bounds (half a unit of rounding either side)
    const step = 2 ** (1 / perOctave)
    expect(grid[0]! - 0.5).toBeLessThan((min - 0.5) * step + 1e-9)
    expect(max - 0.5).toBeLessThan((grid.at(-1)! + 0.5) * step + 1e-9)
  })

  test("the grid of the paper's shape: 23 input sizes and 24 hidden sizes through 16 and 48", () => {
    expect(sizeGrid(16, 4, 64, 6)).toEqual([4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 16, 18, 20, 23, 25, 29, 32, 36, 40, 45, 51, 57, 64])
    expect(sizeGrid(48, 8, 128, 6)).toEqual([8, 10, 11, 12, 13, 15, 17, 19, 21, 24, 27, 30, 34, 38, 43, 48, 54, 60, 68, 76, 86, 96, 108, 121])
  })

  test("bad bounds are a RangeError naming them", () => {
    expect(() => sizeGrid(2, 4, 64, 4)).toThrow(/min ≤ center ≤ max/)
    expect(() => sizeGrid(8, 4, 64, 0)).toThrow(/perOctave/)
    expect(() => sizeGrid(8.5, 4, 64, 4)).toThrow(InvalidInput)
    expect(() => sizeGrid(8, 4, 10_000, 4)).toThrow(/max ≤ 4096/)
    expect(() => sizeGrid(8, 4, 64, 1e9)).toThrow(/perOctave ≤ 1024/)
  })
})
