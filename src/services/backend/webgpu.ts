import { existsSync, readdirSync } from "node:fs"
import * as tf from "@tensorflow/tfjs"
import { Data, Effect } from "effect"
import { errorMessage } from "../../core/base/schemas.js"

/**
 * The `webgpu` backend in Node: Dawn (npm `webgpu`, its binaries inside the package) gives the
 * WebGPU API, `@tensorflow/tfjs-backend-webgpu` runs TensorFlow.js on it. Both are optional
 * dependencies. Without a GPU, Mesa's software drivers give an adapter too (OpenGL ES through
 * llvmpipe, or Vulkan through lavapipe): correct, and slower than wasm, since the same CPU cores do
 * the work; such an adapter is marked `software`.
 */

/** The adapter a webgpu backend runs on, as Dawn names it. */
export interface GpuAdapter {
  readonly vendor: string
  readonly architecture: string
  readonly device: string
  readonly description: string
  /** A CPU implementation of the GPU (llvmpipe, lavapipe, SwiftShader…), not a GPU. */
  readonly software: boolean
  /** How Dawn reached it: its default (Vulkan, Metal, D3D12) or OpenGL ES in compatibility mode. */
  readonly route: "default" | "opengles"
}

/** One line naming an adapter, for logs and the benchmark. */
export const describeAdapter = (a: GpuAdapter): string => {
  const named = [a.description, a.device].filter((s) => s !== "")
  const parts = [`vendor ${a.vendor === "" ? "unnamed" : a.vendor}`, `architecture ${a.architecture === "" ? "unnamed" : a.architecture}`, ...(a.route === "opengles" ? ["OpenGL ES, compatibility mode"] : [])]
  return `${named.length === 0 ? "unnamed adapter" : named.join(", ")} (${parts.join("; ")})${a.software ? ", a software adapter" : ""}`
}

export const INSTALL_WEBGPU =
  "install the optional packages `webgpu` and `@tensorflow/tfjs-backend-webgpu` (`npm ci` brings them on linux, macOS and Windows), and a driver: " +
  "Vulkan (libvulkan1 with the GPU's driver; without a GPU, Mesa's lavapipe) or OpenGL ES (Debian: libegl1 libegl-mesa0 libgles2 libgl1-mesa-dri)"

/** Why webgpu is not available here; `software` is the adapter passed over when only a software one was found. */
export class WebGpuMissing extends Data.TaggedError("WebGpuMissing")<{
  readonly message: string
  readonly software?: GpuAdapter
}> {}

// The parts of the WebGPU API used here (the optional packages' own types stay out of the type checker).
interface AdapterInfoLike {
  readonly vendor: string
  readonly architecture: string
  readonly device: string
  readonly description: string
  readonly isFallbackAdapter?: boolean
}
interface DeviceLike {
  destroy(): void
}
interface AdapterLike {
  readonly info: AdapterInfoLike
  readonly features: { has(name: string): boolean }
  readonly limits: object
  requestDevice(descriptor: { requiredFeatures: Array<string>; requiredLimits: Record<string, number> }): Promise<DeviceLike>
}
interface GpuLike {
  requestAdapter(options: { powerPreference: "high-performance"; featureLevel?: "compatibility" }): Promise<AdapterLike | null>
}
interface DawnModule {
  readonly create: (options: Array<string>) => GpuLike
  readonly globals: object
}
type WebGpuBackendClass = new (device: DeviceLike, info: AdapterInfoLike) => tf.KernelBackend

// A specifier held in a variable keeps the optional packages out of the type checker's reach.
const importOptional = (specifier: string): Promise<unknown> => import(specifier)

const field = (o: unknown, key: string): unknown => (typeof o === "object" && o !== null ? (o as Record<string, unknown>)[key] : undefined)

const isDawn = (m: unknown): m is DawnModule => typeof field(m, "create") === "function" && typeof field(m, "globals") === "object"

/** The WebGPU backend class of `@tensorflow/tfjs-backend-webgpu` (a CommonJS bundle: named or default export). */
const backendClass = (m: unknown): WebGpuBackendClass | undefined => {
  const c = field(m, "WebGPUBackend") ?? field(field(m, "default"), "WebGPUBackend")
  return typeof c === "function" ? (c as WebGpuBackendClass) : undefined
}

const SOFTWARE = /llvmpipe|lavapipe|softpipe|swiftshader|software rasterizer/i

/** What Dawn reports of an adapter, and whether it is a CPU implementation. */
const adapterOf = (info: AdapterInfoLike, route: GpuAdapter["route"]): GpuAdapter => ({
  vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description, route,
  software: info.isFallbackAdapter === true || [info.vendor, info.architecture, info.device, info.description].some((s) => SOFTWARE.test(s))
})

/**
 * Whether this machine may have a GPU at all, before loading Dawn (which prints its own warnings
 * on stderr when it finds no driver): on Linux a DRM render node or an NVIDIA device; elsewhere
 * assumed. `auto` asks Dawn only then.
 */
export const gpuDevicePresent = (): boolean => {
  if (process.platform !== "linux") return true
  if (["/dev/nvidia0", "/dev/dxg"].some((p) => existsSync(p))) return true
  try {
    return readdirSync("/dev/dri").some((f) => f.startsWith("renderD"))
  } catch {
    return false
  }
}

/** A webgpu backend registered with TensorFlow.js, and how to take it down. */
export interface WebGpuHandle {
  readonly adapter: GpuAdapter
  /** Remove the backend, destroy the device (a live one keeps Node from exiting) and unset `navigator.gpu`; Dawn's GPU object stays held for the next open. */
  readonly release: () => void
}

interface NavigatorHolder { navigator?: { gpu?: unknown } }

/**
 * Dawn's GPU object for each route, made once and held for the life of the process. Dawn (npm
 * `webgpu` 0.6.2) must never see one collected: its event-loop callback keeps a raw pointer to the
 * instance, and once the GPU object is garbage-collected the next turn of the loop crashes the
 * process (SIGSEGV or abort) or hangs it (measured on Mesa's llvmpipe: open, release, `gc()`, a
 * timer). Held without a live device it keeps nothing running: Node still exits.
 */
const instances = new Map<GpuAdapter["route"], GpuLike>()
const instanceOf = (dawn: DawnModule, route: GpuAdapter["route"]): GpuLike => {
  const held = instances.get(route)
  if (held !== undefined) return held
  const made = dawn.create(route === "opengles" ? ["backend=opengles"] : [])
  instances.set(route, made)
  return made
}

/**
 * Find an adapter (Dawn's default backends first, then OpenGL ES in compatibility mode, as Mesa's
 * llvmpipe offers), refuse a software one unless `allowSoftware`, open a device and register it
 * as TensorFlow.js's `webgpu` backend. The registration has priority 0, below cpu's: it never
 * becomes the backend of code that sets none or sets another (the package's own registration,
 * priority 3, would: it is kept out by importing the package before `navigator.gpu` exists).
 * The caller sets the backend; `release` undoes all of it.
 */
export const openWebGpu = (allowSoftware: boolean): Effect.Effect<WebGpuHandle, WebGpuMissing> =>
  Effect.gen(function* () {
    const load = (spec: string) => Effect.tryPromise({
      try: () => importOptional(spec),
      catch: (e) => new WebGpuMissing({ message: `${spec} is not installed or failed to load (${errorMessage(e).split("\n")[0]}); ${INSTALL_WEBGPU}` })
    })
    const holder = globalThis as NavigatorHolder
    // imported while navigator.gpu is unset, the package registers no backend by itself (where
    // someone set it first, that registration is replaced below)
    const WebGPUBackend = backendClass(yield* load("@tensorflow/tfjs-backend-webgpu"))
    const dawn = yield* load("webgpu")
    if (WebGPUBackend === undefined || !isDawn(dawn)) return yield* new WebGpuMissing({ message: `webgpu or @tensorflow/tfjs-backend-webgpu does not export what this library uses; ${INSTALL_WEBGPU}` })

    const request = (route: GpuAdapter["route"]) =>
      Effect.tryPromise({
        try: async () => {
          const gpu = instanceOf(dawn, route)
          const adapter = await gpu.requestAdapter(route === "opengles" ? { powerPreference: "high-performance", featureLevel: "compatibility" } : { powerPreference: "high-performance" })
          // Dawn's null backend answers where nothing else does: it computes nothing
          return adapter === null || adapter.info.device === "null-backend" ? undefined : { gpu, adapter, route }
        },
        catch: (e) => new WebGpuMissing({ message: `the WebGPU adapter request failed: ${errorMessage(e)}` })
      })
    let found = yield* request("default")
    if (found === undefined) {
      // Mesa's EGL needs no display this way; set only when the user has not chosen a platform
      if (process.env["EGL_PLATFORM"] === undefined) process.env["EGL_PLATFORM"] = "surfaceless"
      found = yield* request("opengles")
    }
    if (found === undefined) return yield* new WebGpuMissing({ message: `no WebGPU adapter on this machine (Dawn found neither Vulkan nor OpenGL ES); ${INSTALL_WEBGPU}` })
    const { gpu, adapter: raw } = found
    const adapter = adapterOf(raw.info, found.route)
    if (adapter.software && !allowSoftware) return yield* new WebGpuMissing({ message: `only a software adapter: ${describeAdapter(adapter)}`, software: adapter })

    // the device tfjs-backend-webgpu itself would ask for: the adapter's limits for the sizes it uses
    const limits = raw.limits as Readonly<Record<string, number>>
    const requiredLimits: Record<string, number> = {}
    for (const k of ["maxComputeWorkgroupStorageSize", "maxComputeWorkgroupsPerDimension", "maxStorageBufferBindingSize", "maxBufferSize", "maxComputeWorkgroupSizeX", "maxComputeInvocationsPerWorkgroup"]) {
      const v = limits[k]
      if (typeof v === "number") requiredLimits[k] = v
    }
    const device = yield* Effect.tryPromise({
      try: () => raw.requestDevice({ requiredFeatures: raw.features.has("timestamp-query") ? ["timestamp-query"] : [], requiredLimits }),
      catch: (e) => new WebGpuMissing({ message: `the WebGPU device on ${describeAdapter(adapter)} could not be opened: ${errorMessage(e)}` })
    })

    // tfjs-backend-webgpu reads navigator.gpu and the GPU* constants (GPUBufferUsage…) as globals
    const globals = globalThis as unknown as Record<string, unknown>
    for (const [k, v] of Object.entries(dawn.globals)) if (!(k in globals)) globals[k] = v
    const madeNavigator = holder.navigator === undefined
    if (madeNavigator) holder.navigator = {}
    holder.navigator!.gpu = gpu
    if (tf.findBackendFactory("webgpu") !== null) tf.removeBackend("webgpu")
    tf.registerBackend("webgpu", () => new WebGPUBackend(device, raw.info), 0)
    return {
      adapter,
      release: () => {
        if (tf.findBackendFactory("webgpu") !== null) tf.removeBackend("webgpu")
        device.destroy()
        if (madeNavigator) delete holder.navigator
        else delete holder.navigator!.gpu
      }
    }
  })
