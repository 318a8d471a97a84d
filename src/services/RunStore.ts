import { Context, Data, Effect, FileSystem, Layer, Path, Schema } from "effect"
import { type Checkpoint, CheckpointError, decodeCheckpoint, encodeCheckpoint } from "../core/checkpoint.js"

/** A file could not be read or written; `path` names it. */
export class StoreError extends Data.TaggedError("StoreError")<{ readonly message: string; readonly path: string }> {}

/** A checkpoint file on disk and its step. */
export interface CheckpointFile {
  readonly step: number
  readonly path: string
}

const CHECKPOINT_NAME = /^step-(\d+)\.ckpt$/

/**
 * A run's files. A run is a directory holding `manifest.json`, `checkpoints/step-NNNNNNNN.ckpt`,
 * `metrics.jsonl` and whatever its experiments write. Every whole-file write goes to a temporary
 * file in the same directory and is renamed over the target, so nothing is ever half-written.
 */
export class RunStore extends Context.Service<RunStore, {
  readonly writeText: (path: string, text: string) => Effect.Effect<void, StoreError>
  readonly writeBytes: (path: string, bytes: Uint8Array) => Effect.Effect<void, StoreError>
  readonly readText: (path: string) => Effect.Effect<string, StoreError>
  readonly readBytes: (path: string) => Effect.Effect<Uint8Array, StoreError>
  readonly exists: (path: string) => Effect.Effect<boolean>
  /** Decode a JSON file with a Schema; a bad file is an error naming the file and the field. */
  readonly readJson: <A, I>(path: string, schema: Schema.Codec<A, I>) => Effect.Effect<A, StoreError>
  readonly writeJson: <A, I>(path: string, schema: Schema.Codec<A, I>, value: A) => Effect.Effect<void, StoreError>
  readonly checkpointPath: (runDir: string, step: number) => string
  readonly writeCheckpoint: (runDir: string, checkpoint: Checkpoint) => Effect.Effect<string, StoreError>
  readonly readCheckpoint: (path: string) => Effect.Effect<Checkpoint, StoreError | CheckpointError>
  /** Checkpoints of a run, by step (empty when there are none). */
  readonly listCheckpoints: (runDir: string) => Effect.Effect<ReadonlyArray<CheckpointFile>, StoreError>
  readonly join: (...parts: ReadonlyArray<string>) => string
  readonly resolve: (path: string) => string
}>()("hyperlayers/RunStore") {}

export const runStoreLayer: Layer.Layer<RunStore, never, FileSystem.FileSystem | Path.Path> = Layer.effect(RunStore, Effect.gen(function* () {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const storeError = (p: string, what: string) => (e: { readonly message: string }) => new StoreError({ path: p, message: `could not ${what} ${p}: ${e.message}` })

  const atomically = (target: string, write: (tmp: string) => Effect.Effect<void, unknown>) =>
    Effect.gen(function* () {
      yield* fs.makeDirectory(path.dirname(target), { recursive: true })
      const tmp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${Date.now()}.tmp`)
      yield* write(tmp).pipe(Effect.andThen(fs.rename(tmp, target)), Effect.onError(() => Effect.ignore(fs.remove(tmp))))
    }).pipe(Effect.mapError((e) => new StoreError({ path: target, message: `could not write ${target}: ${e instanceof Error || (typeof e === "object" && e !== null && "message" in e) ? (e as { message: string }).message : String(e)}` })))

  const writeText = (p: string, text: string) => atomically(p, (tmp) => fs.writeFileString(tmp, text))
  const writeBytes = (p: string, bytes: Uint8Array) => atomically(p, (tmp) => fs.writeFile(tmp, bytes))
  const readText = (p: string) => fs.readFileString(p).pipe(Effect.mapError(storeError(p, "read")))
  const readBytes = (p: string) => fs.readFile(p).pipe(Effect.mapError(storeError(p, "read")))
  const checkpointPath = (runDir: string, step: number) => path.join(runDir, "checkpoints", `step-${String(step).padStart(8, "0")}.ckpt`)

  return RunStore.of({
    writeText,
    writeBytes,
    readText,
    readBytes,
    exists: (p) => fs.exists(p).pipe(Effect.orElseSucceed(() => false)),
    readJson: (p, schema) => Effect.gen(function* () {
      const text = yield* readText(p)
      let raw: unknown
      try {
        raw = JSON.parse(text)
      } catch (e) {
        return yield* new StoreError({ path: p, message: `${p} is not JSON: ${e instanceof Error ? e.message : String(e)}` })
      }
      return yield* Schema.decodeUnknownEffect(schema)(raw).pipe(Effect.mapError((e) => new StoreError({ path: p, message: `${p}: ${e.message}` })))
    }),
    writeJson: (p, schema, value) => Effect.gen(function* () {
      const encoded = yield* Schema.encodeEffect(schema)(value).pipe(Effect.mapError((e) => new StoreError({ path: p, message: `could not encode ${p}: ${e.message}` })))
      yield* writeText(p, JSON.stringify(encoded, null, 2) + "\n")
    }),
    checkpointPath,
    writeCheckpoint: (runDir, checkpoint) => {
      const p = checkpointPath(runDir, checkpoint.step)
      return Effect.as(writeBytes(p, encodeCheckpoint(checkpoint)), p)
    },
    readCheckpoint: (p) => Effect.flatMap(readBytes(p), (bytes) => Effect.fromResult(decodeCheckpoint(bytes, p))),
    listCheckpoints: (runDir) => Effect.gen(function* () {
      const dir = path.join(runDir, "checkpoints")
      if (!(yield* fs.exists(dir).pipe(Effect.orElseSucceed(() => false)))) return []
      const names = yield* fs.readDirectory(dir).pipe(Effect.mapError(storeError(dir, "list")))
      return names.flatMap((n) => {
        const m = CHECKPOINT_NAME.exec(n)
        return m === null ? [] : [{ step: Number(m[1]), path: path.join(dir, n) }]
      }).sort((a, b) => a.step - b.step)
    }),
    join: (...parts) => path.join(...parts),
    resolve: (p) => path.resolve(p)
  })
}))

