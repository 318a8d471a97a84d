import { Context, Data, Effect, FileSystem, Layer, Path, Schema } from "effect"
import { type Checkpoint, CheckpointError, decodeCheckpoint, encodeCheckpoint } from "../../core/run/index.js"
import { lineStep, logDigest } from "../../core/run/index.js"
import { checkpointAgreesWithRun, checkpointNameStep } from "../../core/run/index.js"
import { RunManifest } from "../../core/run/index.js"
import { errorCode, StoreError, storeFailure } from "./fileErrors.js"
import { heldDirectories, makeRunLocks, type RunLocked } from "./RunLock.js"
import { errorMessage } from "../../core/base/schemas.js"

export { StoreError } from "./fileErrors.js"
export { RunLocked } from "./RunLock.js"

/** A checkpoint file on disk and its step. */
export interface CheckpointFile {
  readonly step: number
  readonly path: string
}

/** `metrics.jsonl` does not match what a checkpoint recorded of it (edited, truncated, or another run's). */
export class MetricsMismatch extends Data.TaggedError("MetricsMismatch")<{ readonly message: string; readonly path: string }> {}

/**
 * A run's files. A run is a directory holding `manifest.json`, `checkpoints/step-NNNNNNNN.ckpt`,
 * `metrics.jsonl`, `writer.lock` while a process writes it, and whatever its experiments write.
 * Every whole-file write goes to a temporary file in the same directory (created anew: never one
 * that is there already, a link planted at its name included) and is renamed over the target, so
 * nothing is ever half-written; a failure names the file, the cause in words (no space left,
 * read-only, name too long, …) and what to do ({@link StoreError}). Nothing is written through a
 * symbolic link: a write whose file is a link, or, inside a run or study this process holds the
 * lock of, whose folder is reached through a link, is refused (problem `SymbolicLink`).
 *
 * Every checkpoint read through the store is checked whole (its SHA-256), against its file name,
 * and, when it sits in a run, against the run's `manifest.json` (config and seed): so `train
 * --resume`, `sweep` and every other reader refuse an edited or foreign checkpoint alike.
 */
export class RunStore extends Context.Service<RunStore, {
  readonly writeText: (path: string, text: string) => Effect.Effect<void, StoreError>
  readonly writeBytes: (path: string, bytes: Uint8Array) => Effect.Effect<void, StoreError>
  /** Append to a log file (`metrics.jsonl`); a line cut short by a crash is dropped on resume. */
  readonly appendText: (path: string, text: string) => Effect.Effect<void, StoreError>
  readonly readText: (path: string) => Effect.Effect<string, StoreError>
  readonly readBytes: (path: string) => Effect.Effect<Uint8Array, StoreError>
  readonly exists: (path: string) => Effect.Effect<boolean>
  /** Decode a JSON file with a Schema; a bad file is an error naming the file and the field. */
  /** Read a JSON file with `schema`'s JSON codec (non-finite numbers as the strings "NaN", "Infinity", "-Infinity"). */
  readonly readJson: <A, I>(path: string, schema: Schema.Codec<A, I>) => Effect.Effect<A, StoreError>
  /** Write `value` atomically with `schema`'s JSON codec, after checking that the text reads back. */
  readonly writeJson: <A, I>(path: string, schema: Schema.Codec<A, I>, value: A) => Effect.Effect<void, StoreError>
  readonly checkpointPath: (runDir: string, step: number) => string
  readonly writeCheckpoint: (runDir: string, checkpoint: Checkpoint) => Effect.Effect<string, StoreError>
  /** Read and check a checkpoint (whole-file checksum, file name, the run's manifest). */
  readonly readCheckpoint: (path: string) => Effect.Effect<Checkpoint, StoreError | CheckpointError>
  /** Checkpoints of a run, by step (empty when there are none). */
  readonly listCheckpoints: (runDir: string) => Effect.Effect<ReadonlyArray<CheckpointFile>, StoreError>
  /**
   * The lines of `<run>/metrics.jsonl` up to a checkpoint's step, checked against the row count
   * and digest the checkpoint recorded; rows after the step and a line cut short are left out.
   */
  readonly metricsAt: (runDir: string, checkpoint: Checkpoint, checkpointFile: string) => Effect.Effect<ReadonlyArray<string>, StoreError | MetricsMismatch>
  /** Run `effect` as the run's only writer (see RunLock); re-entrant within a fiber. */
  readonly withRunLock: (runDir: string) => <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | RunLocked | StoreError, R>
  /** Create a directory and its parents. */
  readonly makeDirectory: (dir: string) => Effect.Effect<void, StoreError>
  /** The names in a directory (none when it does not exist). */
  readonly listDirectory: (dir: string) => Effect.Effect<ReadonlyArray<string>, StoreError>
  readonly join: (...parts: ReadonlyArray<string>) => string
  readonly resolve: (path: string) => string
}>()("hyperlayers/RunStore") {
  /** The run store over a FileSystem and Path of the caller's: {@link runStoreLayer}. */
  static get layer(): Layer.Layer<RunStore, never, FileSystem.FileSystem | Path.Path> {
    return runStoreLayer
  }
}

export const runStoreLayer: Layer.Layer<RunStore, never, FileSystem.FileSystem | Path.Path> = Layer.effect(RunStore, Effect.gen(function* () {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path

  /**
   * `mkdir -p`, one level at a time. Node's recursive mkdir loops forever where the kernel answers
   * ENOENT for a directory whose parent exists (under /proc, say); here that is an error.
   */
  const makeDirectory = (dir: string): Effect.Effect<void, StoreError> => {
    const target = path.resolve(dir)
    const fail = storeFailure("create the directory", target)
    const isDirectory = fs.stat(target).pipe(Effect.map((s) => s.type === "Directory"), Effect.orElseSucceed(() => false))
    const mkdir = fs.makeDirectory(target)
    return mkdir.pipe(Effect.catch((e) => Effect.gen(function* () {
      const code = errorCode(e)
      if (code === "EEXIST" || e.reason._tag === "AlreadyExists") {
        if (yield* isDirectory) return
        return yield* new StoreError({ path: target, problem: "NotADirectory", message: `could not create the directory ${target}: a file of that name is in the way: choose another path` })
      }
      const parent = path.dirname(target)
      if ((code === "ENOENT" || e.reason._tag === "NotFound") && parent !== target) {
        yield* makeDirectory(parent)
        return yield* mkdir.pipe(Effect.catch((e2) => Effect.gen(function* () {
          if (errorCode(e2) === "EEXIST" && (yield* isDirectory)) return
          if (errorCode(e2) === "ENOENT") {
            return yield* new StoreError({ path: target, problem: "CannotCreate", message: `could not create the directory ${target}: the file system does not allow it (under /proc or /sys?): choose another directory` })
          }
          return yield* Effect.fail(fail(e2))
        })))
      }
      return yield* Effect.fail(fail(e))
    })))
  }

  const isLink = (p: string) => fs.lstat(p).pipe(Effect.map((s) => s.type === "SymbolicLink"), Effect.orElseSucceed(() => false))
  const linkRefused = (target: string, link: string, inside: string | undefined) => Effect.gen(function* () {
    const to = yield* fs.readLink(link).pipe(Effect.orElseSucceed(() => "?"))
    return yield* new StoreError({
      path: target, problem: "SymbolicLink",
      message: link === target
        ? `refusing to write ${target}: it is a symbolic link (to ${to}), and hyperlayers writes only its own files, never through a link: remove the link`
        : `refusing to write ${target}: ${link} is a symbolic link (to ${to}) inside ${inside}, and a run or study writes only inside its own directory: remove the link`
    })
  })

  /**
   * Refuse a write through a link: `target` itself must not be one, and inside a directory whose
   * lock this fiber holds (a run's, a study's), neither may any folder between it and `target`.
   */
  const guardWrite = (target: string): Effect.Effect<void, StoreError> => Effect.gen(function* () {
    const file = path.resolve(target)
    if (yield* isLink(file)) return yield* linkRefused(file, file, undefined)
    for (const root of yield* heldDirectories) {
      if (!file.startsWith(root + path.sep)) continue
      const parts = path.relative(root, path.dirname(file)).split(path.sep).filter((p) => p !== "")
      let at = root
      for (const part of parts) {
        at = path.join(at, part)
        if (yield* isLink(at)) return yield* linkRefused(file, at, root)
      }
    }
  })

  const atomically = (target: string, write: (tmp: string) => Effect.Effect<void, unknown>): Effect.Effect<void, StoreError> =>
    Effect.gen(function* () {
      yield* makeDirectory(path.dirname(target))
      yield* guardWrite(target)
      const tmp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${Date.now()}.tmp`)
      yield* write(tmp).pipe(
        // something at the temporary's name was not made here: it is left alone
        Effect.catch((e) => errorCode(e) === "EEXIST"
          ? Effect.fail(new StoreError({ path: target, problem: "Other", message: `could not write ${target}: its temporary file ${tmp} is there already (not made by this write; a link planted there?): remove it` }))
          : Effect.andThen(Effect.ignore(fs.remove(tmp)), Effect.fail(storeFailure("write", target)(e)))),
        Effect.andThen(fs.rename(tmp, target).pipe(
          Effect.mapError(storeFailure("write", target)),
          Effect.onError(() => Effect.ignore(fs.remove(tmp))))))
    })

  // "wx": the temporary is created here and now, or the write fails (nothing planted at its name is followed)
  const writeText = (p: string, text: string) => atomically(p, (tmp) => fs.writeFileString(tmp, text, { flag: "wx" }))
  const writeBytes = (p: string, bytes: Uint8Array) => atomically(p, (tmp) => fs.writeFile(tmp, bytes, { flag: "wx" }))
  const readText = (p: string) => fs.readFileString(p).pipe(Effect.mapError(storeFailure("read", p)))
  const readBytes = (p: string) => fs.readFile(p).pipe(Effect.mapError(storeFailure("read", p)))
  const exists = (p: string) => fs.exists(p).pipe(Effect.orElseSucceed(() => false))
  const checkpointPath = (runDir: string, step: number) => path.join(runDir, "checkpoints", `step-${String(step).padStart(8, "0")}.ckpt`)

  const readJson = <A, I>(p: string, schema: Schema.Codec<A, I>) => Effect.gen(function* () {
    const text = yield* readText(p)
    let raw: unknown
    try {
      raw = JSON.parse(text)
    } catch (e) {
      return yield* new StoreError({ path: p, problem: "Other", message: `${p} is not JSON: ${errorMessage(e)}` })
    }
    return yield* Schema.decodeUnknownEffect(Schema.toCodecJson(schema))(raw).pipe(Effect.mapError((e) => new StoreError({ path: p, problem: "Other", message: `${p}: ${e.message}` })))
  })

  /** The manifest of the run a checkpoint file sits in (`<run>/checkpoints/…`), if it sits in one. */
  const manifestOf = (checkpointFile: string) => Effect.gen(function* () {
    const dir = path.dirname(path.resolve(checkpointFile))
    if (path.basename(dir) !== "checkpoints") return undefined
    const manifest = path.join(path.dirname(dir), "manifest.json")
    return (yield* exists(manifest)) ? yield* readJson(manifest, RunManifest) : undefined
  })

  const locks = makeRunLocks(fs, path, makeDirectory)

  return RunStore.of({
    writeText,
    writeBytes,
    appendText: (p, text) => makeDirectory(path.dirname(p)).pipe(
      Effect.andThen(guardWrite(p)),
      Effect.andThen(fs.writeFileString(p, text, { flag: "a" }).pipe(Effect.mapError(storeFailure("append to", p))))),
    readText,
    readBytes,
    exists,
    readJson,
    writeJson: (p, schema, value) => Effect.gen(function* () {
      // JSON has no NaN or ±∞ (JSON.stringify writes null): the JSON codec writes them as the
      // strings "NaN", "Infinity", "-Infinity", and a file that would not read back is not written
      const json = Schema.toCodecJson(schema)
      const encoded = yield* Schema.encodeEffect(json)(value).pipe(Effect.mapError((e) => new StoreError({ path: p, problem: "Other", message: `could not encode ${p}: ${e.message}` })))
      const text = JSON.stringify(encoded, null, 2) + "\n"
      yield* Schema.decodeUnknownEffect(json)(JSON.parse(text)).pipe(Effect.mapError((e) => new StoreError({
        path: p, problem: "Other", message: `refusing to write ${p}: it would not read back (${e.message})`
      })))
      yield* writeText(p, text)
    }),
    checkpointPath,
    writeCheckpoint: (runDir, checkpoint) => {
      const p = checkpointPath(runDir, checkpoint.step)
      return Effect.as(writeBytes(p, encodeCheckpoint(checkpoint)), p)
    },
    readCheckpoint: (p) => Effect.gen(function* () {
      const checkpoint = yield* Effect.fromResult(decodeCheckpoint(yield* readBytes(p), p))
      const manifest = yield* manifestOf(p)
      return yield* Effect.fromResult(checkpointAgreesWithRun(checkpoint, { path: p, nameStep: checkpointNameStep(path.basename(p)), manifest }))
    }),
    listCheckpoints: (runDir) => Effect.gen(function* () {
      const dir = path.join(runDir, "checkpoints")
      if (!(yield* exists(dir))) return []
      const names = yield* fs.readDirectory(dir).pipe(Effect.mapError(storeFailure("list", dir)))
      return names.flatMap((n) => {
        const step = checkpointNameStep(n)
        return step === undefined ? [] : [{ step, path: path.join(dir, n) }]
      }).sort((a, b) => a.step - b.step)
    }),
    metricsAt: (runDir, checkpoint, checkpointFile) => Effect.gen(function* () {
      const file = path.join(runDir, "metrics.jsonl")
      const text = (yield* exists(file)) ? yield* readText(file) : ""
      const lines: Array<string> = []
      for (const line of text.split("\n")) {
        const step = lineStep(line)
        if (step === undefined || step > checkpoint.step) break
        lines.push(line)
      }
      const log = checkpoint.log
      if (log !== undefined && (lines.length !== log.rows || logDigest(lines) !== log.digest)) {
        return yield* new MetricsMismatch({
          path: file,
          message: `${file} does not match ${checkpointFile}: the checkpoint recorded ${log.rows} row${log.rows === 1 ? "" : "s"} up to step ${checkpoint.step}, ` +
            `the file has ${lines.length}${lines.length === log.rows ? " with other contents" : ""} (edited, truncated or another run's): restore it, or start a new run`
        })
      }
      return lines
    }),
    withRunLock: locks.withRunLock,
    makeDirectory,
    listDirectory: (dir) => Effect.gen(function* () {
      if (!(yield* exists(dir))) return []
      return yield* fs.readDirectory(dir).pipe(Effect.mapError(storeFailure("list", dir)))
    }),
    join: (...parts) => path.join(...parts),
    resolve: (p) => path.resolve(p)
  })
}))

