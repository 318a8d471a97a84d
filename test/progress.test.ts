import { fc } from "@fast-check/vitest"
import { describe, expect, it } from "vitest"
import { formatDuration, progressLine } from "../src/services/console/Progress.js"

describe("the progress line", () => {
  it("estimates the ETA from the task's own rate once it has one", () => {
    // 100 of 400 items done in 50 s since the start: 2 per second, 150 s left
    expect(progressLine("train", { done: 100, total: 400, detail: "loss 0.1" }, 50, 100)).toBe("train 100/400 (25%) 2.00/s ETA 2m30s | loss 0.1")
    // its own rate wins over a prior from earlier work
    expect(progressLine("study", { done: 40, total: 57, detail: "", priorSecondsPerItem: 1000 }, 600, 2)).toBe("study 40/57 (70%) 5m00s each ETA 1h25m")
    expect(progressLine("sweep", { done: 3, total: 30, detail: "" }, 6, 3)).toBe("sweep 3/30 (10%) 0.50/s ETA 54s")
    expect(progressLine("train", { done: 30, total: 60, detail: "" }, 2, 30)).toBe("train 30/60 (50%) 15/s ETA 2s")
  })

  it("uses the prior from earlier work before the first item of its own, and says ? without one", () => {
    // 26 cells left at 350 s each (700 s per cell, two runners), 100 s already spent on them
    expect(progressLine("study", { done: 31, total: 57, detail: "", priorSecondsPerItem: 350 }, 100, 0)).toBe("study 31/57 (54%) ETA 2h30m")
    expect(progressLine("study", { done: 31, total: 57, detail: "" }, 100, 0)).toContain("ETA ?")
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(progressLine("study", { done: 31, total: 57, detail: "", priorSecondsPerItem: bad }, 100, 0)).toContain("ETA ?")
    }
    // a prior that has run out says 0 s, never a negative time
    expect(progressLine("study", { done: 56, total: 57, detail: "", priorSecondsPerItem: 10 }, 100, 0)).toContain("ETA 0s")
  })

  it("writes every finite duration as hours and minutes, minutes and seconds, or seconds", () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 10 * 24 * 3600 }), (s) => {
      const text = formatDuration(s)
      const m = /^(?:(\d+)h(\d\d)m|(\d+)m(\d\d)s|(\d+)s)$/.exec(text)
      expect(m).not.toBeNull()
      const [, h, hm, mm, ms, ss] = m!
      const seconds = h !== undefined ? 3600 * Number(h) + 60 * Number(hm) : mm !== undefined ? 60 * Number(mm) + Number(ms) : Number(ss)
      expect(s - seconds).toBeGreaterThanOrEqual(0)
      expect(s - seconds).toBeLessThan(h !== undefined ? 60 : 1)
    }), { seed: 15 })
    expect(formatDuration(Number.NaN)).toBe("?")
  })
})

describe("the progress line at the end", () => {
  it("says ETA 0s when everything is done, even with no rate of its own", () => {
    expect(progressLine("train", { done: 3, total: 3, detail: "" }, 0, 0)).toBe("train 3/3 (100%) ETA 0s")
  })
})
