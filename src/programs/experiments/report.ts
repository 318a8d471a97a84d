import { Effect, Schema } from "effect"
import type { TopLevelSpec } from "vega-lite"
import { ablationSpec, generalizationSpec, lossCurvesSpec, orderParameterPathsSpec, orderParametersOverTrainingSpec, phaseDiagramSpec } from "../../core/report/index.js"
import type { ExperimentSettings } from "../../core/run/index.js"
import { reportHtml } from "../../core/report/index.js"
import { AblationResult, BaselineResult, type Experiment, GeneralizationResult, RunSummary, SweepResult } from "../../core/run/index.js"
import { MetricsRow, RunManifest } from "../../core/run/index.js"
import { PAPER_CONTOURS, type RunResults, summarise } from "../../core/run/index.js"
import { Progress } from "../../services/console/index.js"
import { RunStore } from "../../services/store/index.js"
import { drawConstructions, drawRun } from "./draw.js"
import { type Figure, renderSpec, writeFigure } from "./figures.js"

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

/** The command that makes each experiment's result file. */
export const experimentCommand = (experiment: Experiment, runDir: string): string =>
  `hyperlayers ${{ sweep: "sweep", ablation: "ablate", generalization: "generalize", baseline: "baseline" }[experiment]} ${runDir}`

/** Whether the hand-built constructions (ARCHITECTURE.md, "Constructions"; L1 only) apply to a run: task l1 and shape `[n, h, 1]`. */
export const constructionsApply = (task: string, shape: ReadonlyArray<number>) => task === "l1" && shape.length === 3 && shape[2] === 1

/**
 * What a run holds, read from its files: the manifest, every result file there is, and the step
 * its last checkpoint reached (a resumed run may have gone past, or a stopped one short of, the
 * manifest's `steps`; 0 before the first checkpoint).
 */
export const readRun = (runDir: string) => Effect.gen(function* () {
  const store = yield* RunStore
  const read = <A, I>(name: string, schema: Schema.Codec<A, I>) => store.readJson(store.join(runDir, name), schema)
  const readIfThere = <A, I>(name: string, schema: Schema.Codec<A, I>) =>
    Effect.flatMap(store.exists(store.join(runDir, name)), (there) => (there ? Effect.map(read(name, schema), (a): A | undefined => a) : Effect.succeed(undefined)))
  const manifest = yield* read("manifest.json", RunManifest)
  const results: RunResults = {
    ...withDefined("sweep", yield* readIfThere("sweep.json", SweepResult)),
    ...withDefined("ablation", yield* readIfThere("ablation.json", AblationResult)),
    ...withDefined("generalization", yield* readIfThere("generalization.json", GeneralizationResult)),
    ...withDefined("baseline", yield* readIfThere("baseline.json", BaselineResult))
  }
  const checkpoints = yield* store.listCheckpoints(runDir)
  const trainedSteps = checkpoints[checkpoints.length - 1]?.step ?? 0
  return { manifest, results, trainedSteps }
})

/** `summary.json` as the run's files stand now (what `report` writes), without writing it. */
export const runSummary = (runDir: string) => Effect.map(readRun(runDir), ({ manifest, results, trainedSteps }) =>
  summarise({ steps: trainedSteps, seed: manifest.rootSeed, backend: manifest.backend, task: manifest.config.task, shape: manifest.config.shape }, results))

/**
 * Build the report from whatever result files the run has: every figure those allow (SVG and PNG
 * under `figures/`), the drawings, `summary.json` and one self-contained `report.html`, which lists
 * the missing experiments with the command that makes each. Returns the report's path.
 */
export const report = (runDir: string, settings: ExperimentSettings) =>
  Effect.gen(function* () {
    const store = yield* RunStore
    const progress = yield* Progress
    const { manifest, results } = yield* readRun(runDir)
    const { shape, task } = manifest.config
    const metrics = yield* readMetrics(runDir)
    const layer = `the first weight layer W⁽¹⁾ [${shape[0]} × ${shape[1]}]`
    const specs: Array<readonly [string, string, TopLevelSpec]> = [
      ["loss-curves", `Training loss on task ${task} over all β and over β ≤ 1e−6 (batch means every logEvery steps)${results.baseline === undefined ? "" : ", the Adam baseline's loss"}, and the accumulated KL.`, lossCurvesSpec(metrics, task, results.baseline)]
    ]
    if (results.sweep !== undefined) {
      specs.push(
        ["phase-diagram", `Figure 3 analogue: the class of the generated networks (median α1, α2 of ${layer} over generation seeds) per checkpoint and β.`, phaseDiagramSpec(results.sweep)],
        ["order-parameter-paths", `Figure 2 analogue: each checkpoint's path through (α2, α1) and (α2, α3) of ${layer} as β sweeps 1e−12 → 1, points coloured by class.`, orderParameterPathsSpec(results.sweep, settings.thresholds)],
        ["order-parameters-over-training", `Loss, α1 (log10), α2, α3 and the sign agreement (not the paper's: 1 when every input's strongest path has one sign) of ${layer} over training at the lowest, a middle and the highest β of the sweep.`, orderParametersOverTrainingSpec(results.sweep)]
      )
    }
    if (results.ablation !== undefined) specs.push(["ablation", "Figure 4 analogue: loss of networks generated with the encoder (z ~ q) and decoder-only (z ~ p), same seeds.", ablationSpec(results.ablation)])
    if (results.generalization !== undefined) {
      specs.push(["generalization", `Figure 5 analogue: decoder-only loss for shapes never trained on; contours at ${PAPER_CONTOURS.inner} (red) and ${PAPER_CONTOURS.outer} (blue); the star marks the trained shape.`, generalizationSpec(results.generalization)])
    }
    const figures: Array<Figure> = []
    for (const [k, [name, caption, spec]] of specs.entries()) {
      figures.push({ name, caption, svg: yield* renderSpec(spec) })
      yield* progress.update("report", { done: k + 1, total: specs.length + 2, detail: name })
    }
    const drawings = [
      ...(yield* drawRun(runDir, settings.drawing, results.baseline?.network)),
      ...(constructionsApply(task, shape) ? yield* drawConstructions(shape[0]!, shape[1]!, settings.drawing) : [])
    ]
    yield* progress.update("report", { done: specs.length + 1, total: specs.length + 2, detail: "drawings" })
    for (const f of [...figures, ...drawings]) yield* writeFigure(runDir, f)
    const summary = yield* runSummary(runDir)
    yield* store.writeJson(store.join(runDir, "summary.json"), RunSummary, summary)
    const path = store.join(runDir, "report.html")
    const missing = summary.missing.map((e) => ({ experiment: e, command: experimentCommand(e, runDir) }))
    yield* store.writeText(path, reportHtml({ manifest, summary, results, missing, figures, drawings }))
    yield* progress.finish("report", missing.length === 0 ? path : `${path} (missing: ${summary.missing.join(", ")})`)
    return { path, summary }
  })

/** `{ key: value }` when value is defined, `{}` otherwise (for optional fields under exactOptionalPropertyTypes). */
const withDefined = <K extends string, A>(key: K, value: A | undefined): { [P in K]?: A } => (value === undefined ? {} : { [key]: value } as { [P in K]: A })
