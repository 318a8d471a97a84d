import { hostname } from "node:os"
import { Data, Effect, FileSystem, Path } from "effect"
import { type LockInfo, makeRunLocks } from "../store/index.js"
import { RunStore, type StoreError } from "../store/index.js"

/** The lock of a study directory, held by the `study` process for as long as it runs. */
export const STUDY_LOCK = "study.lock"

/** Another `study` process runs on this study directory; `holder` says which. */
export class StudyLocked extends Data.TaggedError("StudyLocked")<{
  readonly studyDir: string
  readonly lock: string
  readonly holder: LockInfo
}> {
  override get message(): string {
    const { pid, host, command, since } = this.holder
    const who = `process ${pid}${host === hostname() ? "" : ` on ${host}`}${command === "" ? "" : ` (${command})`}, since ${since}`
    return host === hostname()
      ? `another study is running on ${this.studyDir}: ${who}. One study per directory: wait for it to finish, or stop it with Ctrl-C ` +
        `(its PostgreSQL and runners stop with it), or pass --out <another directory>`
      : `another study is running on ${this.studyDir}: ${who}, on another host (its lock was touched within the last minute). One study per ` +
        `directory: wait for it, or if no study runs there, remove ${this.lock}`
  }
}

class Inner<E> {
  constructor(readonly error: E) {}
}

/**
 * Run `effect` as the only study on `studyDir`: `<studyDir>/study.lock` names this process (pid,
 * host, the kernel's start time of the process, command) for as long as it runs, touched every
 * 5 s. A second study on the directory is refused with {@link StudyLocked}, and touches nothing
 * (neither the first's database nor its files). A lock left by a study that was killed is taken
 * over only once its process is gone: no such pid, or a pid now held by a process that started
 * later; another host's, once it went untouched for a minute. Taking the lock also removes the
 * temporary files dead study processes left in the study directory, `cells/` and `figures/`.
 */
export const withStudyLock = (studyDir: string) => <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | StudyLocked | StoreError, R | RunStore | FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const store = yield* RunStore
    const locks = makeRunLocks(fs, path, store.makeDirectory, STUDY_LOCK, ["", "cells", "figures"])
    // the effect's own failures travel boxed, so that only this lock's refusal becomes StudyLocked
    return yield* locks.withRunLock(studyDir)(Effect.mapError(effect, (error) => new Inner(error))).pipe(
      Effect.catch((e): Effect.Effect<never, E | StudyLocked | StoreError> =>
        e instanceof Inner ? Effect.fail(e.error) : e._tag === "RunLocked" ? Effect.fail(new StudyLocked({ studyDir, lock: e.path, holder: e.holder })) : Effect.fail(e))
    )
  })
