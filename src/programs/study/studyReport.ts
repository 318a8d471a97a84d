import { Effect, type FileSystem } from "effect"
import type { TopLevelSpec } from "vega-lite"
import type { CellResult } from "../../core/study/schemas.js"
import { cellPaths, compareArms, memorisedTrend, summariseArms } from "../../core/study/index.js"
import { betaStarSpec, generalisationByPathSpec, klAgainstBetaSpec, lowBetaLossSpec, pathSharesSpec, phaseDiagramsSpec } from "../../core/study/index.js"
import { settingScore } from "../../core/study/schemas.js"
import type { Figure } from "../../core/report/index.js"
import { studyReportHtml } from "../../core/study/index.js"
import type { InvalidInput } from "../../core/base/schemas.js"
import { RunStore, type StoreError } from "../../services/store/index.js"
import { renderSpec } from "../experiments/index.js"
import { existingResults, readPlan } from "./study.js"
import type { DrawnNetwork } from "./studyDrawings.js"

/**
 * The study report: every finished cell's developmental path, per arm the share of seeds on each
 * path with its 95 % interval, the low-β loss of every seed, KL against β, every seed's phase
 * diagram as small multiples and the generalisation valley per path. Writes
 * `<studyDir>/report.html` (self-contained) and `<studyDir>/figures/*.svg`; works on a study that is
 * still running (it says how many cells are not run yet). Returns the report's path.
 */
export const studyReport = <E = never, R = never>(
  planPath: string, studyDir: string,
  drawings?: (results: ReadonlyArray<CellResult>) => Effect.Effect<{ readonly drawn: ReadonlyArray<DrawnNetwork>; readonly missing: number }, E, R>
): Effect.Effect<{ readonly path: string; readonly cells: number }, InvalidInput | StoreError | E, RunStore | FileSystem.FileSystem | R> =>
  Effect.gen(function* () {
    const store = yield* RunStore
    const { plan, cells } = yield* readPlan(planPath)
    const found = yield* existingResults(studyDir)
    const order = new Map(cells.map((c, k) => [c.id, k]))
    const results: ReadonlyArray<CellResult> = [...found.values()].filter((r) => order.has(r.id)).sort((a, b) => order.get(a.id)! - order.get(b.id)!)
    const arms = summariseArms(plan.arms.map((a) => a.name), results)
    const paths = cellPaths(results)
    const comparisons = compareArms(plan.arms.map((a) => a.name), results)
    const trends = (plan.trends ?? []).map((t) => memorisedTrend(t.name, t.arms, (arm) => settingScore(cells, arm, t.setting), results))
    const specs: Array<readonly [string, string, TopLevelSpec | undefined]> = [
      ["path-shares", "The share of each arm's seeds on each developmental path, with 95 % Wilson intervals.", pathSharesSpec(arms)],
      ["low-beta-loss", "Each seed's mean loss at β ≤ 1e−6 at its last checkpoint, coloured by its path.", lowBetaLossSpec(paths)],
      ["kl-against-beta", "KL against β at each seed's last checkpoint: case 3d sits at ≈ 0 for every β; a memorised assignment carries KL at low β.", klAgainstBetaSpec(results, paths)],
      ["beta-star", "β*(step): per checkpoint, the largest β at which the networks carry the memorised signature; the paper's β boundary rises over training and then stabilises (§2.2).", betaStarSpec(paths)],
      ["phase-diagrams", "Every seed's phase diagram (Figure 3): class by checkpoint (left to right) and β (1 at the top); a dot marks a memorised signature (KL ≥ 10 nats, α3 ≤ 0.3).", phaseDiagramsSpec(results, paths)],
      ["generalization-by-path", "Decoder-only loss over shapes never trained on, averaged over the seeds of each path (Figure 5 per path).", generalisationByPathSpec(results)]
    ]
    const figures: Array<Figure> = []
    for (const [name, caption, spec] of specs) {
      if (spec === undefined || results.length === 0) continue
      const svg = yield* renderSpec(spec)
      figures.push({ name, caption, svg })
      yield* store.writeText(store.join(studyDir, "figures", `${name}.svg`), svg)
    }
    const drawn = drawings === undefined ? undefined : yield* drawings(results)
    for (const d of drawn?.drawn ?? []) yield* store.writeText(store.join(studyDir, "figures", `${d.figure.name}.svg`), d.figure.svg)
    const path = store.join(studyDir, "report.html")
    yield* store.writeText(path, studyReportHtml({ plan, arms, comparisons, trends, paths, ...(drawn === undefined ? {} : { drawn }), pending: cells.length - results.length, figures }))
    return { path, cells: results.length }
  })
