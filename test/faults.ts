import { NodeServices } from "@effect/platform-node"
import { Effect, FileSystem, Layer, PlatformError } from "effect"
import { backendLayer } from "../src/services/backend/Backend.js"
import { silentProgressLayer } from "../src/services/console/Progress.js"
import { seededRngLayer } from "../src/services/rng/Rng.js"
import { runStoreLayer } from "../src/services/store/RunStore.js"

/** A file operation a fault can hit. */
export type FileOperation = "writeFile" | "rename" | "makeDirectory" | "link" | "remove"

/**
 * An operating-system failure as Node's file system layer reports it: a `PlatformError` whose
 * reason is as coarse as the platform makes it (`Unknown` for a full disk) and whose cause carries
 * the errno `code`.
 */
export const osError = (code: string, method: string, path: string) => {
  const cause = Object.assign(new Error(`${code}: simulated, ${method} '${path}'`), { code, syscall: method, path })
  const tag = code === "ENOENT" ? "NotFound" : code === "EACCES" || code === "EPERM" ? "PermissionDenied" : code === "EEXIST" ? "AlreadyExists" : code === "ENOTDIR" ? "BadResource" : "Unknown"
  return PlatformError.systemError({ _tag: tag, module: "FileSystem", method, pathOrDescriptor: path, syscall: method, cause })
}

/**
 * The real file system with faults injected: `fault(operation, path, data)` returns an errno code to
 * fail that call with, or an Effect to run instead of it (to stall, or write part and stop), or
 * undefined to let it through.
 */
export const faultyFileSystem = (
  fault: (operation: FileOperation, path: string, data?: Uint8Array, flag?: string) => string | Effect.Effect<void, PlatformError.PlatformError> | undefined
): Layer.Layer<FileSystem.FileSystem> =>
  Layer.effect(FileSystem.FileSystem, Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const inject = <A>(operation: FileOperation, path: string, real: Effect.Effect<A, PlatformError.PlatformError>, data?: Uint8Array, flag?: string) =>
      Effect.suspend(() => {
        const f = fault(operation, path, data, flag)
        return f === undefined ? real : typeof f === "string" ? Effect.fail(osError(f, operation, path)) : Effect.andThen(f, real)
      })
    return FileSystem.make({
      ...fs,
      writeFile: (path, data, options) => inject("writeFile", path, fs.writeFile(path, data, options), data, options?.flag),
      rename: (from, to) => inject("rename", to, fs.rename(from, to)),
      makeDirectory: (path, options) => inject("makeDirectory", path, fs.makeDirectory(path, options)),
      link: (from, to) => inject("link", to, fs.link(from, to)),
      remove: (path, options) => inject("remove", path, fs.remove(path, options))
    })
  })).pipe(Layer.provide(NodeServices.layer))

/** Every service a program needs, with files through `files`. */
export const layerWithFiles = (files: Layer.Layer<FileSystem.FileSystem>, seed = 1, backend: "cpu" | "wasm" = "cpu") =>
  Layer.mergeAll(backendLayer(backend), seededRngLayer(seed), silentProgressLayer, runStoreLayer.pipe(Layer.provide(files), Layer.provide(NodeServices.layer)), files)
