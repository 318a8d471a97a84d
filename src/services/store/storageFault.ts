import * as fs from "node:fs"
import { Cause, Data, Effect } from "effect"
import { errorMessage } from "../../core/base/schemas.js"
import { describeFileFailure, type FileProblem, StoreError } from "./fileErrors.js"

/**
 * Problems of the disk itself rather than of what is written to it: a full disk, an exceeded
 * quota, a file system that turned read-only. No cell is at fault for them, and every write that
 * follows would fail the same way.
 */
const STORAGE_PROBLEMS: ReadonlySet<FileProblem> = new Set(["NoSpace", "QuotaExceeded", "ReadOnly"])

/** The words for a failure when it is a storage problem (naming the file and what to do), else `undefined`. */
export const storageProblem = (e: unknown): string | undefined => {
  if (e instanceof StoreError) return e.problem !== undefined && STORAGE_PROBLEMS.has(e.problem) ? e.message : undefined
  const { problem, words } = describeFileFailure(e)
  return STORAGE_PROBLEMS.has(problem) ? `${errorMessage(e)}: ${words}` : undefined
}

/** {@link storageProblem} of a Cause's failures and defects (the first that is one). */
export const storageProblemOfCause = (cause: Cause.Cause<unknown>): string | undefined => {
  for (const reason of cause.reasons) {
    const found = Cause.isFailReason(reason) ? storageProblem(reason.error) : Cause.isDieReason(reason) ? storageProblem(reason.defect) : undefined
    if (found !== undefined) return found
  }
  return undefined
}

/**
 * The study (or one of its runners) stopped because a file of its own could not be written: a
 * full disk, a quota, a read-only file system. `detail` names the file or disk and the cause;
 * nothing was recorded as a cell's failure.
 */
export class StorageFault extends Data.TaggedError("StorageFault")<{
  readonly detail: string
  /** Who stopped: the study (with its database and runners) or one runner. */
  readonly stopped: "study" | "runner"
}> {
  override get message(): string {
    return this.stopped === "study"
      ? `the study stopped: ${this.detail}. No cell was recorded as failed for it; once there is space (or the disk is writable again), run the same command: it continues where it stopped`
      : `the runner stopped: ${this.detail}. Its cell went back to the queue for another runner; start this runner again once there is space`
  }
}

/** Below this much free space on its disk a study stops, before its database or a run is cut off mid-write. */
export const MIN_FREE_BYTES = 64 * 1024 * 1024

const megabytes = (bytes: number) => `${(bytes / (1024 * 1024)).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0)} MB`

/** Bytes free to this user on the file system holding `dir` (`undefined` where the system does not say). */
export const freeBytes = (dir: string): number | undefined => {
  try {
    const s = fs.statfsSync(dir)
    return s.bavail * s.bsize
  } catch {
    return undefined
  }
}

/**
 * Fails with a {@link StorageFault} when the disk holding `dir` has less than `minimum` bytes free
 * (`free` reads it: the system's, or a test's).
 */
export const checkFreeSpace = (dir: string, minimum: number = MIN_FREE_BYTES, free: (dir: string) => number | undefined = freeBytes): Effect.Effect<void, StorageFault> =>
  Effect.suspend(() => {
    const bytes = free(dir)
    return bytes === undefined || bytes >= minimum ? Effect.void : Effect.fail(new StorageFault({
      stopped: "study",
      detail: `only ${megabytes(bytes)} are free on the disk holding ${dir} (a study needs ${megabytes(minimum)}, so that neither its database nor a run is cut off mid-write): free some space, or move the study to another disk with --out`
    }))
  })
