import * as tf from "@tensorflow/tfjs"
import "@tensorflow/tfjs-backend-wasm"
import { Context, Data, Effect, Layer, Schema } from "effect"
import { installFastKernels } from "./fastKernels.js"
import { errorMessage } from "../../core/base/schemas.js"
import { BackendRequest } from "./backendRequest.js"
import { describeAdapter, type GpuAdapter, gpuDevicePresent, INSTALL_WEBGPU, openWebGpu } from "./webgpu.js"

/** A TensorFlow.js backend this library can run on. */
export const BackendName = Schema.Literals(["wasm", "cpu", "tensorflow", "webgpu"])
export type BackendName = typeof BackendName.Type

export { BackendRequest } from "./backendRequest.js"
export { describeAdapter, type GpuAdapter } from "./webgpu.js"

/**
 * The requested backend is not installed or failed to load; `install` says what to do. For
 * webgpu, `adapter` is the software adapter that was passed over where it was the only one.
 */
export class BackendUnavailable extends Data.TaggedError("BackendUnavailable")<{
  readonly message: string
  readonly backend: BackendName
  readonly install: string
  readonly adapter?: GpuAdapter
}> {}

/** The tensor backend in use for the lifetime of the layer's scope. */
export class Backend extends Context.Service<Backend, {
  readonly name: BackendName
  /** Why this backend: the request, and for `auto` what it passed over. */
  readonly reason: string
  /** The GPU adapter, for webgpu. */
  readonly adapter?: GpuAdapter
}>()("hyperlayers/Backend") {
  /** The backend asked for (`auto` by default), for the layer's scope: {@link backendLayer}. */
  static layer(request: BackendRequest = "auto"): Layer.Layer<Backend, BackendUnavailable> {
    return backendLayer(request)
  }
}

const TENSORFLOW_PACKAGES = ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"] as const
const INSTALL_TENSORFLOW =
  "install @tensorflow/tfjs-node-gpu (CUDA 11.2, cuDNN 8.1) or @tensorflow/tfjs-node: `npm install @tensorflow/tfjs-node`; " +
  "both download libtensorflow while installing, so they need network access beyond the npm registry"

// A specifier held in a variable keeps the optional packages out of the type checker's reach.
const importOptional = (specifier: string): Promise<unknown> => import(specifier)

/** Load the native TensorFlow binding (GPU build first), which registers the `tensorflow` backend. */
const loadTensorflow = Effect.gen(function* () {
  if (tf.findBackend("tensorflow") !== null) return
  const failures: Array<string> = []
  for (const spec of TENSORFLOW_PACKAGES) {
    const loaded = yield* Effect.tryPromise({ try: () => importOptional(spec), catch: (e) => e }).pipe(
      Effect.as(true),
      Effect.catch((e) => Effect.sync(() => {
        failures.push(`${spec}: ${errorMessage(e).split("\n")[0]}`)
        return false
      }))
    )
    if (loaded && tf.findBackend("tensorflow") !== null) return
  }
  return yield* new BackendUnavailable({
    backend: "tensorflow",
    install: INSTALL_TENSORFLOW,
    message: `the tensorflow backend is not available (${failures.join("; ")}); ${INSTALL_TENSORFLOW}`
  })
})

/** What activating a backend leaves to undo when its layer closes (webgpu's device), and its adapter. */
interface Active {
  readonly adapter?: GpuAdapter
  readonly release: () => void
}

const unavailable = (name: BackendName, message: string, install = "reinstall the dependencies with `npm ci`", adapter?: GpuAdapter) =>
  new BackendUnavailable({ backend: name, install, message, ...(adapter === undefined ? {} : { adapter }) })

/**
 * Make `name` TensorFlow.js's backend and wait until it is ready. webgpu on a software adapter
 * (Mesa's llvmpipe or lavapipe) is taken only when `allowSoftware`: asked for by name, not by `auto`.
 */
const activate = (name: BackendName, allowSoftware = true): Effect.Effect<Active, BackendUnavailable> =>
  Effect.gen(function* () {
    if (name === "tensorflow") yield* loadTensorflow
    const gpu = name === "webgpu"
      ? yield* openWebGpu(allowSoftware).pipe(Effect.mapError((e) => unavailable("webgpu", `the webgpu backend is not available: ${e.message}`, INSTALL_WEBGPU, e.software)))
      : undefined
    const release = () => gpu?.release()
    const ready = Effect.gen(function* () {
      const ok = yield* Effect.tryPromise({ try: () => tf.setBackend(name), catch: (e) => e }).pipe(
        Effect.catch((e) => Effect.fail(unavailable(name, `the ${name} backend failed to initialise: ${errorMessage(e)}`)))
      )
      if (!ok) return yield* unavailable(name, `the ${name} backend failed to initialise`)
      yield* Effect.promise(() => tf.ready())
      if (name === "wasm" || name === "cpu") {
        yield* Effect.tryPromise({
          try: () => installFastKernels(name),
          catch: (e) => unavailable(name, `the ${name} backend's kernels failed to install: ${errorMessage(e)}`,
            "reinstall the dependencies with `npm ci` (the wasm kernels are assembled by the `wabt` package)")
        })
      }
    })
    yield* ready.pipe(Effect.tapError(() => Effect.sync(release)))
    return gpu === undefined ? { release } : { adapter: gpu.adapter, release }
  })

/**
 * Fastest first: native TensorFlow, webgpu on a GPU (never on a software adapter), then
 * WebAssembly (25–35× the plain JavaScript `cpu` on a training step).
 */
const AUTO_ORDER: ReadonlyArray<BackendName> = ["tensorflow", "webgpu", "wasm", "cpu"]

interface Chosen extends Active {
  readonly name: BackendName
  readonly reason: string
}

const choose = (request: BackendRequest): Effect.Effect<Chosen, BackendUnavailable> =>
  request !== "auto"
    ? Effect.map(activate(request), (a) => ({ ...a, name: request, reason: `requested ${request}` }))
    : Effect.gen(function* () {
      const skipped: Array<string> = []
      for (const name of AUTO_ORDER) {
        // without a GPU device Dawn is not even loaded (it would print its driver warnings)
        if (name === "webgpu" && !gpuDevicePresent()) {
          skipped.push("webgpu: no GPU device")
          continue
        }
        const r = yield* Effect.result(activate(name, false))
        if (r._tag === "Success") {
          const reason = skipped.length === 0 ? `auto: ${name}` : `auto: ${name} (${skipped.join("; ")})`
          return { ...r.success, name, reason }
        }
        skipped.push(r.failure.adapter !== undefined ? `webgpu: only a software adapter, ${r.failure.adapter.device || r.failure.adapter.description}` : `${name} unavailable`)
      }
      return yield* unavailable("cpu", "no TensorFlow.js backend could be initialised")
    })

/**
 * The engine scope held open for a Backend layer's lifetime tracks every tensor made outside a
 * `tf.tidy` (random draws, gradients, checkpoint reads), and TensorFlow.js keeps each one in the
 * scope's `track` list until the scope ends, disposed or not: a run of 10,000 steps held 140,000
 * dead tensor objects (+3.4 MB of heap per 1,000 tiny steps). This swaps the list for one that
 * drops disposed tensors whenever it has doubled since the last sweep, so it stays within twice
 * the live tensors and `endScope` still disposes whatever the scope's programs left alive.
 */
class PruningTrack extends Array<tf.Tensor> {
  private sweepAt = 1024
  override push(...items: Array<tf.Tensor>): number {
    for (const t of items) this[this.length] = t
    if (this.length >= this.sweepAt) {
      let kept = 0
      for (let k = 0; k < this.length; k++) {
        const t = this[k]!
        if (!t.isDisposed) this[kept++] = t
      }
      this.length = kept
      this.sweepAt = Math.max(1024, 2 * kept)
    }
    return this.length
  }
}
const pruneWhenLong = (scope: { track: Array<tf.Tensor> }): void => {
  const track = new PruningTrack()
  track.push(...scope.track)
  scope.track = track
}

// said once per process: a study or `reproduce` opens the backend many times
let softwareNoted = false

/**
 * A Layer selecting a backend for its scope. Acquire sets the backend and waits until it is ready;
 * release disposes every tensor and variable created in the scope and not disposed by then. The
 * TensorFlow.js engine is global: provide one Backend layer at a time.
 */
export const backendLayer = (request: BackendRequest): Layer.Layer<Backend, BackendUnavailable> =>
  Layer.effect(Backend, Effect.gen(function* () {
    const chosen = yield* Effect.acquireRelease(
      Effect.gen(function* () {
        // the backend to return to when the layer closes, where activating this one removes itself (webgpu)
        const previous: string | null = tf.engine().backendName
        const picked = yield* choose(request)
        // Production mode turns off TensorFlow.js's debug checks and its console banner.
        tf.enableProdMode()
        const variablesBefore = new Set(Object.keys(tf.engine().registeredVariables))
        tf.engine().startScope()
        pruneWhenLong(tf.engine().state.activeScope)
        return { ...picked, variablesBefore, previous }
      }),
      ({ variablesBefore, release, name, previous }) => Effect.promise(async () => {
        tf.engine().endScope()
        for (const [n, v] of Object.entries(tf.engine().registeredVariables)) {
          if (!variablesBefore.has(n)) v.dispose()
        }
        release()
        if (name === "webgpu" && previous !== null && previous !== "webgpu" && tf.findBackend(previous) !== null) await tf.setBackend(previous)
      })
    )
    if (request === "auto") yield* Effect.logInfo(`backend ${chosen.reason}`)
    if (chosen.adapter !== undefined) yield* Effect.logInfo(`webgpu adapter: ${describeAdapter(chosen.adapter)}`)
    if (chosen.adapter?.software === true && !softwareNoted) {
      softwareNoted = true
      yield* Effect.logWarning("webgpu runs on a software adapter: the CPU does the GPU's work, more slowly than the wasm backend; use it to test, not to train")
    }
    return Backend.of({ name: chosen.name, reason: chosen.reason, ...(chosen.adapter === undefined ? {} : { adapter: chosen.adapter }) })
  }))
