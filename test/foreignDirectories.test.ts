import { createHash } from "node:crypto"
import { copyFileSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, symlinkSync, writeFileSync } from "node:fs"
import { join, relative } from "node:path"
import { Effect, Layer, Option, Result } from "effect"
import { afterEach, describe, expect, it, vi } from "vitest"
import type { CellResult } from "../src/core/study/cellResult.js"
import { withoutTiming } from "../src/core/run/metricsLog.js"
import { readPlan, runStudy, saveCellOnce } from "../src/programs/study/study.js"
import { silentProgressLayer } from "../src/services/console/Progress.js"
import { train } from "../src/programs/training/train.js"
import { RunStore } from "../src/services/store/RunStore.js"
import { runProgram, tempDir, tinyConfig } from "./programs.js"
import { services, studyDir } from "./studyCli.js"

/**
 * Directories that are not the tool's own: a run or study writes only into a directory that is
 * new, empty or its own, never over a file it did not write, and never through a symbolic link
 * (planted at a file's place, at a folder inside the run, or at the name of a temporary file).
 */

/** Every entry under `dir` (links as links, not followed) with a hash of its bytes or its target. */
const snapshot = (dir: string): Record<string, string> => {
  const out: Record<string, string> = {}
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name)
      const st = lstatSync(p)
      if (st.isSymbolicLink()) out[relative(dir, p)] = `-> ${readlinkSync(p)}`
      else if (st.isDirectory()) walk(p)
      else out[relative(dir, p)] = createHash("sha256").update(readFileSync(p)).digest("hex")
    }
  }
  walk(dir)
  return out
}

const failureOf = async <A, E>(p: Promise<Result.Result<A, E>>) => {
  const r = await p
  expect(r._tag).toBe("Failure")
  return (r as Result.Failure<A, E>).failure as unknown as { readonly _tag: string; readonly message: string } & Record<string, unknown>
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe("train --out on a directory that is not a run's", () => {
  it("is refused, naming what is there, and nothing in it is touched (an unrelated manifest.json and metrics.jsonl included)", async () => {
    const dir = tempDir()
    writeFileSync(join(dir, "manifest.json"), JSON.stringify({ name: "my web app", version: 3 }))
    writeFileSync(join(dir, "metrics.jsonl"), "{\"requests\": 12}\n")
    writeFileSync(join(dir, "notes.txt"), "mine\n")
    const before = snapshot(dir)
    const e = await failureOf(runProgram(Effect.result(train({ runDir: dir, config: tinyConfig(), resume: false }))))
    expect(e._tag).toBe("RunError")
    expect(e.message).toBe(`${dir} is not empty and holds no hyperlayers run (it has manifest.json, metrics.jsonl, notes.txt): a new run is written only into a new or empty directory, ` +
      "or one of its own runs, and nothing of yours is overwritten: choose another --out")
    expect(snapshot(dir)).toEqual(before)
  })

  it("goes ahead in a new or empty directory, and in one holding a run of its own that never reached a checkpoint", async () => {
    const fresh = join(tempDir(), "new")
    await runProgram(train({ runDir: fresh, config: tinyConfig(), resume: false }))
    expect(readdirSync(join(fresh, "checkpoints")).length).toBeGreaterThan(0)
    // a run killed after its manifest, before its first checkpoint: the tool's own, written again
    const early = tempDir()
    copyFileSync(join(fresh, "manifest.json"), join(early, "manifest.json"))
    writeFileSync(join(early, "metrics.jsonl"), "")
    await runProgram(train({ runDir: early, config: tinyConfig(), resume: false }))
    const rows = (run: string) => readFileSync(join(run, "metrics.jsonl"), "utf8").split("\n").filter((l) => l !== "").map(withoutTiming)
    expect(rows(early)).toEqual(rows(fresh))
    expect(readdirSync(join(early, "checkpoints"))).toEqual(readdirSync(join(fresh, "checkpoints")))
  })
})

describe("no write through a symbolic link", () => {
  it("refuses to resume a run whose metrics.jsonl, or whose checkpoints folder, is a link to outside it: the outside is untouched", async () => {
    for (const planted of ["metrics.jsonl", "checkpoints"] as const) {
      const run = tempDir()
      await runProgram(train({ runDir: run, config: tinyConfig(), resume: false }), 7)
      // the same contents, moved outside and linked back in: only a write can tell
      const outside = tempDir("hyperlayers-outside-")
      renameSync(join(run, planted), join(outside, planted))
      symlinkSync(join(outside, planted), join(run, planted))
      const before = snapshot(outside)
      const e = await failureOf(runProgram(Effect.result(train({ runDir: run, config: tinyConfig({ steps: 12 }), resume: true })), 7))
      expect(e._tag, planted).toBe("StoreError")
      expect(e["problem"], planted).toBe("SymbolicLink")
      expect(e.message, planted).toBe(planted === "metrics.jsonl"
        ? `refusing to write ${join(run, planted)}: it is a symbolic link (to ${join(outside, planted)}), and hyperlayers writes only its own files, never through a link: remove the link`
        : `refusing to write ${join(run, planted, "step-00000009.ckpt")}: ${join(run, planted)} is a symbolic link (to ${join(outside, planted)}) inside ${run}, and a run or study writes only inside its own directory: remove the link`)
      expect(snapshot(outside), planted).toEqual(before)
    }
  })

  it("never writes through a link planted at the name of a temporary file, and leaves the link alone", async () => {
    vi.spyOn(Date, "now").mockReturnValue(1_700_000_000_000)
    const dir = tempDir()
    const outside = join(tempDir("hyperlayers-outside-"), "precious.txt")
    writeFileSync(outside, "precious\n")
    const target = join(dir, "summary.json")
    const tmp = join(dir, `.summary.json.${process.pid}.1700000000000.tmp`)
    symlinkSync(outside, tmp)
    const e = await failureOf(runProgram(Effect.result(Effect.flatMap(RunStore, (s) => s.writeText(target, "{}\n")))))
    expect(e.message).toBe(`could not write ${target}: its temporary file ${tmp} is there already (not made by this write; a link planted there?): remove it`)
    expect(readFileSync(outside, "utf8")).toBe("precious\n")
    expect(readlinkSync(tmp)).toBe(outside)
  })

  it("a study never writes a cell file through a link: planted at its temporary's name or at its own name", async () => {
    vi.spyOn(Date, "now").mockReturnValue(1_700_000_000_000)
    const dir = studyDir("links")
    const { cells } = await Effect.runPromise(readPlan(join(dir, "plan.json")).pipe(Effect.provide(services)))
    const cell = cells[0]!
    const result: CellResult = {
      id: cell.id, study: cell.study, arm: cell.arm, seed: cell.seed, config: cell.config, experiments: cell.experiments,
      status: "done", error: null, training: null, sweep: null, ablation: null, generalization: null, baseline: null, execution: null
    }
    const outside = join(tempDir("hyperlayers-outside-"), "precious.txt")
    writeFileSync(outside, "precious\n")
    mkdirSync(join(dir, "cells"))
    const tmp = join(dir, "cells", `.${cell.id}.${process.pid}.1700000000000.tmp`)
    symlinkSync(outside, tmp)
    const save = () => Effect.runPromise(Effect.result(saveCellOnce(dir, result).pipe(Effect.provide(services))))
    const viaTemporary = await failureOf(save())
    expect(viaTemporary._tag).toBe("StoreError")
    expect(readFileSync(outside, "utf8")).toBe("precious\n")
    expect(readlinkSync(tmp)).toBe(outside)
    const file = join(dir, "cells", `${cell.id}.json`)
    symlinkSync(outside, file)
    const viaFile = await failureOf(save())
    expect(viaFile.message).toBe(`refusing to save cell ${cell.id}: ${file} is a symbolic link, and a study writes only its own files, never through a link: remove the link`)
    expect(readFileSync(outside, "utf8")).toBe("precious\n")
  })

  it("a study refuses a cells/, runs/ or .postgres/ folder that is a link to outside its directory, before it writes anything", async () => {
    for (const folder of ["cells", "runs", ".postgres"]) {
      const dir = studyDir(`linked-${folder.replace(".", "")}`)
      const outside = tempDir("hyperlayers-outside-")
      symlinkSync(outside, join(dir, folder))
      const r = await Effect.runPromise(Effect.result(runStudy({
        planPath: join(dir, "plan.json"), studyDir: dir, database: Option.none(), runners: 0, retries: 0, log: () => {}
      }).pipe(Effect.provide(Layer.mergeAll(services, silentProgressLayer)))))
      const e = await failureOf(Promise.resolve(r))
      expect(e.message, folder).toBe(`refusing to use ${join(dir, folder)}: it is a symbolic link (to ${outside}) inside ${dir}, and a study writes only inside its own directory: remove the link, or pass --out to put the whole study elsewhere`)
      expect(readdirSync(outside), folder).toEqual([])
      expect(readdirSync(dir).sort(), folder).toEqual([folder, "plan.json"].sort())
    }
  })
})
