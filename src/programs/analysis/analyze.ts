import * as tf from "@tensorflow/tfjs"
import { Effect, type FileSystem, type Path, Result } from "effect"
import { analysisHtml } from "../../core/report/index.js"
import { ClassThresholds } from "../../services/settings/index.js"
import { InvalidInput } from "../../core/base/schemas.js"
import { type Activation, disposeNetWeights, forward } from "../../core/network/index.js"
import { comparable, firstLayerFindings, firstLayerSeedDependence, NetworkAnalysis, type NetworkFindings } from "../../core/weights/index.js"
import type { LoadedNetwork } from "../../core/weights/index.js"
import type { LoadNetworkError } from "../../core/weights/index.js"
import type { LayoutOption } from "../../core/weights/schemas.js"
import { drawNetworkSvg, neuronCount } from "../../core/network/index.js"
import type { StoredNetwork } from "../../core/run/index.js"
import { checkTaskShape } from "../../core/task/index.js"
import type { UnknownComponent } from "../../layers/blocks/index.js"
import { findTask } from "../../layers/blocks/index.js"
import { Registry } from "../../services/registry/index.js"
import { Rng } from "../../services/rng/index.js"
import { RunStore, type StoreError } from "../../services/store/index.js"
import { evaluationInputs } from "../training/index.js"
import { type Figure, writeFigure } from "../experiments/index.js"
import { loadNetwork, storedNetworkWeights } from "./loadNetwork.js"
import { readback } from "../../core/base/index.js"

/** How to analyse a network. */
export interface AnalyzeOptions {
  /** The registered task whose loss to measure where the shapes fit (default `l1`, the paper's). */
  readonly task?: string
  /** Hidden activation for the loss (default swish, the paper's; a weight file does not say). */
  readonly activation?: Activation
  /** Evaluation inputs for the loss (default 4096), shared by every network (stream `eval/x/<n0>`). */
  readonly samples?: number
}

/**
 * The findings of one network: α1, α2, path balance and sign agreement (through the outgoing
 * strengths: the norms of each first-layer unit's outgoing weights) and class of its first layer, and its loss on the task
 * where the task fits its shape (else `loss: null` and the reason in `lossNote`), classified under the
 * {@link ClassThresholds} (the paper's unless a caller provides others). Fails with
 * `UnknownComponent` for a task that is not registered.
 */
export const analyzeNetwork = (net: LoadedNetwork, options: AnalyzeOptions = {}): Effect.Effect<NetworkFindings, UnknownComponent | InvalidInput, Rng> =>
  Effect.gen(function* () {
    const task = yield* Effect.fromResult(findTask(yield* Registry, options.task ?? "l1"))
    const activation = options.activation ?? "swish"
    const samples = options.samples ?? 4096
    if (!Number.isInteger(samples) || samples < 1) return yield* new InvalidInput({ source: "samples", message: `samples must be a positive integer, got ${samples}` })
    const stored = net.network
    const fits = checkTaskShape(task, stored.shape)
    let loss: NetworkFindings["loss"] = null
    let lossNote: string | undefined
    if (Result.isFailure(fits)) lossNote = fits.failure.message
    else {
      const weights = yield* Effect.fromResult(storedNetworkWeights(stored))
      const x = yield* evaluationInputs(task, stored.shape[0]!, samples)
      const perSample = tf.tidy(() => {
        const flat = tf.reshape(x, [samples, stored.shape[0]!])
        return task.loss(forward(weights, flat, activation), flat)
      })
      tf.dispose(x)
      disposeNetWeights(weights)
      const [value] = yield* readback([perSample])
      loss = { task: task.name, activation, samples, value: value[0]! }
    }
    return {
      file: net.file, format: net.format, layout: net.layout, layoutFrom: net.layoutFrom, shape: stored.shape, layers: net.layers,
      ...firstLayerFindings(stored, yield* ClassThresholds),
      loss, ...(lossNote === undefined ? {} : { lossNote })
    }
  })

/** Most neurons and edges a drawing is made for: the force layout is quadratic in the neurons. */
const DRAWING_MAX_NEURONS = 1000
const DRAWING_MAX_EDGES = 50_000

/**
 * A force-directed drawing (appendix B.1) in the paper's colours, its start positions on the Rng
 * stream `drawing/analyze/<k>`; iterations shrink with the network so a drawing takes seconds.
 */
const drawStored = (net: StoredNetwork, title: string, k: number): Effect.Effect<Figure | string, never, Rng> =>
  Effect.gen(function* () {
    const count = neuronCount(net.shape)
    let edges = 0
    for (let l = 1; l < net.shape.length; l++) edges += net.shape[l - 1]! * net.shape[l]!
    if (count > DRAWING_MAX_NEURONS || edges > DRAWING_MAX_EDGES) {
      return `no drawing: [${net.shape.join(", ")}] has ${count} neurons and ${edges} weights (drawings are made up to ${DRAWING_MAX_NEURONS} neurons and ${DRAWING_MAX_EDGES} weights)`
    }
    const rng = yield* Rng
    const [start] = yield* readback([yield* rng.normalAt(`drawing/analyze/${k}`, 0, [count * 4])])
    const initial = Float64Array.from(start, (v) => 0.5 * v)
    const iterations = Math.round(Math.min(3000, Math.max(200, 2e7 / (count * count))))
    const svg = drawNetworkSvg(net, { title, iterations, initial })
    return Result.isSuccess(svg) ? { name: k === 0 ? "drawing" : "drawing-compare", caption: title, svg: svg.success } : `no drawing: ${svg.failure.message}`
  })

/** The last part of a path, for titles. */
const baseName = (file: string): string => file.replace(/[/\\]+$/, "").split(/[/\\]/).pop() ?? file

/** What `analyze` reads and where it writes. */
export interface AnalyzeRequest extends AnalyzeOptions {
  readonly file: string
  /** A second network: α3 between the two first layers (which must have one shape). */
  readonly compare?: string
  readonly layout?: LayoutOption
  /** Folder for `analysis.json`, `figures/drawing.{svg,png}` and, with `html`, `report.html`. */
  readonly out: string
  readonly html?: boolean
}

/**
 * `hyperlayers analyze`: read a network trained elsewhere (and optionally a second one), analyse
 * it, and write `analysis.json`, its drawing (SVG and PNG) and optionally a one-page
 * `report.html` into `out`. Everything is read and checked before anything is written, so a bad
 * file leaves nothing behind. Fails with a `LoadNetworkError` (a bad or non-finite file),
 * `UnknownComponent` (an unregistered task), `InvalidInput` (two networks α3 cannot compare) or
 * `StoreError` (the output cannot be written). The classes use the {@link ClassThresholds}
 * (recorded in `analysis.json`).
 */
export const analyze = (request: AnalyzeRequest): Effect.Effect<
  { readonly analysis: NetworkAnalysis; readonly files: ReadonlyArray<string> },
  LoadNetworkError | UnknownComponent | InvalidInput | StoreError,
  FileSystem.FileSystem | Path.Path | RunStore | Rng
> =>
  Effect.gen(function* () {
    const store = yield* RunStore
    const layout = request.layout ?? "auto"
    const net = yield* loadNetwork(request.file, { layout })
    const other = request.compare === undefined ? undefined : yield* loadNetwork(request.compare, { layout })
    if (other !== undefined && !comparable(net.network, other.network)) {
      return yield* new InvalidInput({
        source: "compare",
        message: `α3 compares first layers of one shape, but ${net.file} has [${net.network.shape.slice(0, 2).join(", ")}] and ${other.file} [${other.network.shape.slice(0, 2).join(", ")}]`
      })
    }
    const thresholds = yield* ClassThresholds
    const findings = yield* analyzeNetwork(net, request)
    const otherFindings = other === undefined ? undefined : yield* analyzeNetwork(other, request)
    const drawings: Array<Figure> = []
    const notes: Array<string> = []
    for (const [k, n] of [net, other].entries()) {
      if (n === undefined) continue
      const f = k === 0 ? findings : otherFindings!
      const d = yield* drawStored(n.network, `${baseName(n.file)}: ${f.algorithm} (α1 ${f.alpha1.toPrecision(3)}, α2 ${f.alpha2.toPrecision(3)}, path balance ${f.pathBalance.toPrecision(3)})`, k)
      if (typeof d === "string") notes.push(d)
      else drawings.push(d)
    }
    const files: Array<string> = []
    for (const d of drawings) {
      yield* writeFigure(request.out, d)
      files.push(store.join(request.out, "figures", `${d.name}.svg`), store.join(request.out, "figures", `${d.name}.png`))
    }
    const analysis: NetworkAnalysis = {
      network: findings,
      thresholds,
      ...(other === undefined ? {} : { compare: { network: otherFindings!, alpha3: firstLayerSeedDependence(net.network, other.network) } }),
      drawing: { files: [...files], ...(notes.length === 0 ? {} : { note: notes.join("; ") }) }
    }
    const json = store.join(request.out, "analysis.json")
    yield* store.writeJson(json, NetworkAnalysis, analysis)
    files.push(json)
    if (request.html === true) {
      const page = store.join(request.out, "report.html")
      yield* store.writeText(page, analysisHtml(analysis, drawings))
      files.push(page)
    }
    return { analysis, files }
  })
