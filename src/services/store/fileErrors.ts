import { Data, Schema } from "effect"

/**
 * Why a file operation failed, in words a user can act on. The platform reports a few coarse
 * reasons (`NotFound`, `PermissionDenied`, `Unknown`, …); the operating system's error code under
 * them is finer (a full disk, a read-only file system and an over-long name all arrive as
 * `Unknown`), so the code is read first.
 */
export const FileProblem = Schema.Literals([
  "NoSpace", "QuotaExceeded", "ReadOnly", "PermissionDenied", "NameTooLong", "NotADirectory", "IsADirectory",
  "NotFound", "CannotCreate", "TooManyOpenFiles", "IoError", "SymbolicLink", "Other"
])
export type FileProblem = typeof FileProblem.Type

/** A run file could not be read or written; `path` names it and `problem` says why. */
export class StoreError extends Data.TaggedError("StoreError")<{
  readonly message: string
  readonly path: string
  readonly problem?: FileProblem
}> {}

const byCode: Readonly<Record<string, readonly [FileProblem, string]>> = {
  ENOSPC: ["NoSpace", "no space left on the device: free some space, or choose a directory on another disk"],
  EDQUOT: ["QuotaExceeded", "the disk quota is exceeded: free some space or raise the quota"],
  EROFS: ["ReadOnly", "the file system is read-only: choose a writable directory"],
  EACCES: ["PermissionDenied", "permission denied: check the directory's owner and mode, or choose another directory"],
  EPERM: ["PermissionDenied", "operation not permitted: check the directory's owner and mode, or choose another directory"],
  ENAMETOOLONG: ["NameTooLong", "a name in the path is too long for the file system (at most 255 bytes per name): choose a shorter path"],
  ENOTDIR: ["NotADirectory", "a part of the path is a file, not a directory: choose another path"],
  EISDIR: ["IsADirectory", "it is a directory, not a file"],
  ENOENT: ["NotFound", "it does not exist"],
  EMFILE: ["TooManyOpenFiles", "too many open files: close other programs or raise the limit (ulimit -n)"],
  ENFILE: ["TooManyOpenFiles", "too many open files on the system: close other programs"],
  EIO: ["IoError", "an input/output error (the disk or its connection may be failing)"]
}

const byReason: Readonly<Record<string, readonly [FileProblem, string]>> = {
  NotFound: byCode["ENOENT"]!,
  PermissionDenied: byCode["EACCES"]!
}

const field = (v: unknown, key: string): unknown => (typeof v === "object" && v !== null && key in v ? (v as Record<string, unknown>)[key] : undefined)

/**
 * The operating-system code of a failure (`ENOSPC`, …) where one can be found: on the error, on
 * its `cause`, or on a platform error's `reason.cause`.
 */
export const errorCode = (e: unknown): string | undefined => {
  for (const candidate of [e, field(e, "cause"), field(field(e, "reason"), "cause")]) {
    const code = field(candidate, "code")
    if (typeof code === "string") return code
  }
  return undefined
}

/** What went wrong, as a problem and a clause saying what to do. */
export const describeFileFailure = (e: unknown): { readonly problem: FileProblem; readonly words: string } => {
  const code = errorCode(e)
  const known = (code === undefined ? undefined : byCode[code]) ?? byReason[String(field(field(e, "reason"), "_tag"))]
  if (known !== undefined) return { problem: known[0], words: `${known[1]}${code === undefined ? "" : ` (${code})`}` }
  const message = field(e, "message")
  return { problem: "Other", words: typeof message === "string" && message !== "" ? message : String(e) }
}

/**
 * A {@link StoreError} for a failed `action` ("write", "read", "create the directory", …) on
 * `path`: the cause in words and what to do.
 */
export const storeFailure = (action: string, path: string) => (e: unknown): StoreError => {
  if (e instanceof StoreError) return e
  const { problem, words } = describeFileFailure(e)
  return new StoreError({ path, problem, message: `could not ${action} ${path}: ${words}` })
}
