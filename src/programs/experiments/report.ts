import { Effect, Schema } from "effect"
import { htmlFigure, lossCurvesSpec, reportHtml, type ReportSection } from "../../core/report/index.js"
import { MetricsRow, RunSummary, summarise } from "../../core/run/index.js"
import { Progress } from "../../services/console/index.js"
import { RunStore } from "../../services/store/index.js"
import { type Experiment, type ExperimentReport, experimentCommandLine, readManifest, runRecorded, withRunThresholds } from "./experiment.js"
import { type Figure, renderSpec, writeFigure } from "./figures.js"
import { Experiments } from "./registry.js"

/** Read `metrics.jsonl`, skipping a line cut short by a crash. */
const readMetrics = (runDir: string) => Effect.gen(function* () {
  const store = yield* RunStore
  const text = yield* store.readText(store.join(runDir, "metrics.jsonl"))
  const decode = Schema.decodeUnknownOption(MetricsRow)
  return text.split("\n").flatMap((line) => {
    try {
      const row = decode(JSON.parse(line))
      return row._tag === "Some" ? [row.value] : []
    } catch {
      return []
    }
  })
})

/**
 * What a run holds, read from its files: the manifest, the result of every registered experiment
 * whose file it has (by experiment name, decoded with the experiment's result Schema), and the step
 * its last checkpoint reached (a resumed run may have gone past, or a stopped one short of, the
 * manifest's `steps`; 0 before the first checkpoint).
 */
export const readRun = (runDir: string) => Effect.gen(function* () {
  const store = yield* RunStore
  const manifest = yield* readManifest(runDir)
  const results = new Map<string, unknown>()
  for (const e of yield* Experiments) {
    if (e.file === undefined) continue
    const path = store.join(runDir, e.file)
    if (yield* store.exists(path)) results.set(e.name, yield* store.readJson(path, e.result))
  }
  const checkpoints = yield* store.listCheckpoints(runDir)
  const trainedSteps = checkpoints[checkpoints.length - 1]?.step ?? 0
  return { manifest, results, trainedSteps }
})

/** The registered experiments with a result file that `results` lacks, in the registry's order. */
const missingOf = (experiments: ReadonlyArray<Experiment>, results: ReadonlyMap<string, unknown>): ReadonlyArray<Experiment> =>
  experiments.filter((e) => e.file !== undefined && !results.has(e.name))

/**
 * `summary.json` as the run's files stand now (what `report` writes), without writing it: the
 * run's facts, the experiments it has not run, and each present result's part.
 */
export const runSummary = (runDir: string) => Effect.gen(function* () {
  const { manifest, results, trainedSteps } = yield* readRun(runDir)
  const experiments = yield* Experiments
  const parts = experiments.flatMap((e) => (e.summary === undefined || !results.has(e.name) ? [] : [e.summary(results.get(e.name))]))
  return summarise(
    { steps: trainedSteps, seed: manifest.rootSeed, backend: manifest.backend, task: manifest.config.task, shape: manifest.config.shape },
    missingOf(experiments, results).map((e) => e.name), parts
  )
})

/**
 * Build the report from whatever results the run has: each registered experiment's part (its
 * figures as SVG and PNG under `figures/`, its sections and findings; an experiment without a
 * result file, the drawings, is run again with the run's settings), the training curves,
 * `summary.json` and one self-contained `report.html`, which lists the missing experiments with
 * the command that makes each. Classes read the run's recorded class thresholds. Returns the
 * report's path and the summary.
 */
export const report = (runDir: string) =>
  Effect.gen(function* () {
    const store = yield* RunStore
    const progress = yield* Progress
    const { manifest, results } = yield* readRun(runDir)
    const experiments = yield* Experiments
    const { task } = manifest.config
    const run = { dir: runDir, manifest }
    const parts: Array<ExperimentReport> = []
    for (const e of experiments) {
      if (e.report === undefined || (e.file !== undefined && !results.has(e.name))) continue
      const result = e.file === undefined ? yield* runRecorded(e, runDir) : results.get(e.name)
      parts.push(yield* Effect.scoped(e.report(result, run)))
    }
    const curves = parts.flatMap((p) => p.curves ?? [])
    const metrics = yield* readMetrics(runDir)
    const specs = [
      {
        name: "loss-curves", spec: lossCurvesSpec(metrics, task, curves),
        caption: `Training loss on task ${task} over all β and over β ≤ 1e−6 (batch means every logEvery steps)${curves.map((c) => `, the ${c.series}'s loss`).join("")}, and the accumulated KL.`
      },
      ...parts.flatMap((p) => p.figures ?? [])
    ]
    const rendered = new Map<string, Figure>()
    for (const [k, { name, caption, spec }] of specs.entries()) {
      rendered.set(name, { name, caption, svg: yield* renderSpec(spec) })
      yield* progress.update("report", { done: k + 1, total: specs.length + 1, detail: name })
    }
    for (const f of rendered.values()) yield* writeFigure(runDir, f)
    const sections: Array<ReportSection> = parts.flatMap((p) => (p.sections ?? []).map((s) => ({
      title: s.title,
      html: (s.figures ?? []).flatMap((name) => { const f = rendered.get(name); return f === undefined ? [] : [htmlFigure(f)] }).join("") + (s.html ?? "")
    })))
    const summary = yield* runSummary(runDir)
    yield* store.writeJson(store.join(runDir, "summary.json"), RunSummary, summary)
    const path = store.join(runDir, "report.html")
    const missing = missingOf(experiments, results).map((e) => ({ experiment: e.name, command: experimentCommandLine(e, runDir) }))
    yield* store.writeText(path, reportHtml({ manifest, summary, missing, findings: parts.flatMap((p) => p.findings ?? []), training: [rendered.get("loss-curves")!], sections }))
    yield* progress.finish("report", missing.length === 0 ? path : `${path} (missing: ${summary.missing.join(", ")})`)
    return { path, summary }
  }).pipe((program) => Effect.flatMap(readManifest(runDir), (manifest) => withRunThresholds(manifest)(program)))
