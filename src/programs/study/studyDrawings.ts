import { Effect, FileSystem } from "effect"
import type { CellResult } from "../../core/study/schemas.js"
import { classify, defaultThresholds } from "../../core/network/schemas.js"
import type { DrawingSettings } from "../../core/run/index.js"
import { firstLayer, signAgreement, doubleSidedness, strongestConnection, pathBalance } from "../../core/network/index.js"
import { cellPaths } from "../../core/study/index.js"
import { formatNumber } from "../../core/base/schemas.js"
import { RunStore } from "../../services/store/index.js"
import { drawNetwork } from "../experiments/index.js"
import { generateStored } from "../training/index.js"
import type { Figure } from "../experiments/index.js"
import { lastModel } from "../training/index.js"

/** What to draw of a study: how many memorised seeds per arm, at which β, and runs to draw beside them. */
export interface StudyDrawingOptions {
  /** Memorised seeds drawn per arm (the lowest seeds whose run directories are on this machine). */
  readonly perArm: number
  /** Runs drawn beside them (e.g. a case-3d run of the control), each labelled by its directory. */
  readonly references: ReadonlyArray<string>
  readonly settings: DrawingSettings
}

/** One drawn network and the order parameters that say what it is. */
export interface DrawnNetwork {
  readonly label: string
  readonly figure: Figure
  readonly alpha1: number
  readonly alpha2: number
  readonly signAgreement: number
  readonly algorithm: string
}

/**
 * Force-directed drawings (appendix B.1) of the networks that memorised seeds generate at the
 * drawing's low β (encoder side, generation seed `settings.seed`, last checkpoint), `perArm` per
 * arm, and of the `references` runs: is a memorised network a clean pudding (α1 ≈ 1, sign
 * agreement 1) or closer to gradient-descent weights (an Adam-trained network reads α1 ≈ 4.6)?
 * A cell is drawn only where its run directory is on this machine (`runs/<id>` under the study
 * directory, or where its runner wrote it); the others are skipped and counted.
 */
export const drawMemorisedNetworks = (studyDir: string, results: ReadonlyArray<CellResult>, options: StudyDrawingOptions) =>
  Effect.gen(function* () {
    const store = yield* RunStore
    const fs = yield* FileSystem.FileSystem
    const runDirOf = (r: CellResult) => Effect.gen(function* () {
      for (const dir of [store.join(studyDir, "runs", r.id), ...(r.execution === null ? [] : [r.execution.runDir])]) {
        if (yield* fs.exists(store.join(dir, "checkpoints")).pipe(Effect.orElseSucceed(() => false))) return dir
      }
      return undefined
    })
    const memorised = cellPaths(results).filter((p) => p.reading.memorised)
    const byId = new Map(results.map((r) => [r.id, r]))
    const targets: Array<{ readonly label: string; readonly name: string; readonly runDir: string }> = []
    let missing = 0
    for (const arm of [...new Set(memorised.map((p) => p.arm))]) {
      let taken = 0
      for (const p of memorised.filter((m) => m.arm === arm).sort((a, b) => a.seed - b.seed)) {
        if (taken >= options.perArm) break
        const dir = yield* runDirOf(byId.get(p.id)!)
        if (dir === undefined) {
          missing++
          continue
        }
        targets.push({ label: `${arm} · seed ${p.seed} · ${p.reading.path}`, name: `${arm}-seed-${p.seed}`, runDir: dir })
        taken++
      }
    }
    options.references.forEach((dir, k) => targets.push({ label: `reference: ${dir}`, name: `reference-${k + 1}`, runDir: dir }))
    const drawn: Array<DrawnNetwork> = []
    for (const t of targets) {
      const net = yield* Effect.scoped(Effect.gen(function* () {
        const { model } = yield* lastModel(t.runDir)
        return yield* generateStored(model, "encoder", options.settings.lowLogBeta, options.settings.seed)
      }))
      const { W, out } = firstLayer(net.shape, net.W)
      const [alpha1, alpha2, agreement] = [doubleSidedness(W), strongestConnection(W), signAgreement(W, out)]
      const algorithm = classify({ alpha1, alpha2, pathBalance: pathBalance(W, out) }, defaultThresholds)
      const caption = `${t.label}: log β = ${options.settings.lowLogBeta}, α1 ${formatNumber(alpha1)}, α2 ${formatNumber(alpha2)}, sign agreement ${formatNumber(agreement)}, ${algorithm}`
      const figure = yield* drawNetwork(`memorised-${t.name}`, caption, net, options.settings)
      drawn.push({ label: t.label, figure: { ...figure, caption }, alpha1, alpha2, signAgreement: agreement, algorithm })
    }
    return { drawn, missing }
  })
