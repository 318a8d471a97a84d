import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import * as tf from "@tensorflow/tfjs"
import { Effect, FileSystem, Result, Schema, SchemaIssue } from "effect"
import { InvalidInput } from "../../core/base/schemas.js"
import { argmaxRows, argsort, type LabelledData, penguinsFromJson, selectRows } from "../../core/similarity/index.js"
import { forward, netWeightsOrThrow } from "../../core/network/index.js"
import { SyntheticSettings } from "../../core/similarity/schemas.js"
import { quoteValue } from "../../core/base/schemas.js"
import { Rng } from "../../services/rng/index.js"
import { errorMessage } from "../../core/base/schemas.js"
import { readback } from "../../core/base/index.js"

/**
 * The file of the penguins table inside the installed `vega-datasets` package. The package's
 * own loader fetches from a CDN; this reads the copy it ships, so nothing goes to the network.
 */
export const penguinsPath = (): string => join(dirname(createRequire(import.meta.url).resolve("vega-datasets")), "..", "data", "penguins.json")

/** The Palmer penguins table ({@link penguinsFromJson}), read from the installed `vega-datasets`. */
export const loadPenguins: Effect.Effect<LabelledData, InvalidInput, FileSystem.FileSystem> = Effect.gen(function* () {
  const path = yield* Effect.try({
    try: penguinsPath,
    catch: (e) => new InvalidInput({ source: "vega-datasets", message: `the penguins data needs the vega-datasets package (npm ci): ${errorMessage(e)}` })
  })
  const fs = yield* FileSystem.FileSystem
  const text = yield* fs.readFileString(path).pipe(Effect.mapError((e) => new InvalidInput({ source: path, message: `could not read ${path}: ${e.message}` })))
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (e) {
    return yield* new InvalidInput({ source: path, message: `${path} is not JSON: ${errorMessage(e)}` })
  }
  return yield* Effect.fromResult(penguinsFromJson(json, path))
})

/**
 * A synthetic classification data set: `samples` inputs x ~ N(0, I_m), labelled by the argmax of a
 * random teacher MLP `[m, teacherHidden, classes]` (swish, no biases; first-layer weights
 * N(0, 9/m), so pre-activations have standard deviation 3 and the rule is far from linear). The
 * other task is a second teacher's labels. Draws from the Rng streams `<stream>/x`,
 * `<stream>/teacher/…` and `<stream>/other-teacher/…`. Fails with {@link InvalidInput} naming a
 * setting out of its domain (see {@link SyntheticSettings}).
 */
export const syntheticData = (settings: SyntheticSettings, stream = "similarity/synthetic"): Effect.Effect<LabelledData, InvalidInput, Rng> =>
  Effect.gen(function* () {
    const checked = Schema.decodeUnknownResult(SyntheticSettings)(settings, { errors: "all", onExcessProperty: "error" })
    if (Result.isFailure(checked)) {
      return yield* new InvalidInput({ source: "synthetic", message: `invalid synthetic settings ${quoteValue(settings)}: ${SchemaIssue.makeFormatterStandardSchemaV1()(checked.failure.issue).issues.map((i) => i.message).join("; ")}` })
    }
    const rng = yield* Rng
    const { inputs: m, classes: k, samples, teacherHidden: h } = checked.success
    const x = yield* rng.normal(`${stream}/x`, [samples, m])
    const teacher = (name: string) => Effect.gen(function* () {
      const w1 = yield* rng.normal(`${stream}/${name}/W1`, [m, h])
      const w2 = yield* rng.normal(`${stream}/${name}/W2`, [h, k])
      const [scores] = yield* readback([tf.tidy(() => {
        const net = netWeightsOrThrow([m, h, k], [tf.mul(w1, 3 / Math.sqrt(m)), tf.mul(w2, 1 / Math.sqrt(h))], [tf.zeros([h]), tf.zeros([k])])
        return forward(net, x)
      })])
      tf.dispose([w1, w2])
      const classes = Array.from({ length: k }, (_, c) => `class ${c}`)
      return { name, classes, labels: argmaxRows(scores, samples, k) }
    })
    const task = yield* teacher("teacher")
    const otherTask = yield* teacher("other-teacher")
    const [data] = yield* readback([x])
    return {
      name: "synthetic",
      description: `synthetic: ${samples} Gaussian inputs in R^${m}, ${k} classes from the argmax of a random teacher MLP [${m}, ${h}, ${k}]; other task a second teacher`,
      inputNames: Array.from({ length: m }, (_, j) => `x${j + 1}`),
      inputs: { rows: samples, cols: m, data },
      task, otherTask
    }
  })

/**
 * Split a data set at random (Rng stream `stream`) into the encoders' training rows and the probe
 * rows (a share `probeFraction`, at least 2 each). Fails with {@link InvalidInput} naming
 * `probeFraction` when it is not a number strictly between 0 and 1 or leaves fewer than 2 rows on
 * a side.
 */
export const splitData = (data: LabelledData, probeFraction: number, stream: string): Effect.Effect<{ train: LabelledData; probe: LabelledData }, InvalidInput, Rng> =>
  Effect.gen(function* () {
    const N = data.inputs.rows
    if (typeof probeFraction !== "number" || !(probeFraction > 0 && probeFraction < 1)) {
      return yield* new InvalidInput({ source: "probeFraction", message: `probeFraction must be a number strictly between 0 and 1, got ${quoteValue(probeFraction)}` })
    }
    const probeRows = Math.round(N * probeFraction)
    if (probeRows < 2 || N - probeRows < 2) return yield* new InvalidInput({ source: "probeFraction", message: `${data.name} has ${N} rows: a probe share of ${probeFraction} leaves fewer than 2 on a side` })
    const [u] = yield* readback([yield* (yield* Rng).uniform(stream, [N])])
    const order = argsort(u)
    return { probe: selectRows(data, order.slice(0, probeRows), `${data.name} (probe)`), train: selectRows(data, order.slice(probeRows), `${data.name} (train)`) }
  })
