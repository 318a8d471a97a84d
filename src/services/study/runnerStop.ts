/**
 * How a runner started by a study tells the study why it stopped on its own: a message over their
 * IPC channel, then this exit code. (A runner started by hand prints the message instead.)
 */

/** The exit code of a runner that stopped because it could not write its own files (EX_TEMPFAIL). */
export const EXIT_STORAGE_FAULT = 75

/** The runner could not write its own files (a full disk, a quota, a read-only file system); `detail` says which and why. */
export interface RunnerStopMessage {
  readonly type: "storage-fault"
  readonly detail: string
}

export const isRunnerStopMessage = (m: unknown): m is RunnerStopMessage =>
  typeof m === "object" && m !== null && "type" in m && m.type === "storage-fault" && "detail" in m && typeof m.detail === "string"
