import { type ChildProcess, spawn } from "node:child_process"
import { Effect, Exit, Redacted, type Scope } from "effect"
import { DATABASE_URL_ENV } from "../../core/study/schemas.js"
import { EXIT_STORAGE_FAULT, isRunnerStopMessage } from "./runnerStop.js"
import { ownScript } from "./ownScript.js"

/** Runner processes a study started on this machine. */
export interface RunnerProcesses {
  /** Process ids of the runners alive now. */
  readonly pids: () => ReadonlyArray<number>
  /** Runners started again after one died. */
  readonly replaced: () => number
}

/** Exits of a runner that ask for no replacement: a clean stop, or a Ctrl-C that reached it too. */
const stoppedOnPurpose = (code: number | null, signal: NodeJS.Signals | null) =>
  code === 0 || code === 130 || signal === "SIGINT" || signal === "SIGTERM"

/**
 * Start `count` runner processes (`hyperlayers runner <args>`) for the scope. Each gets the
 * database URL in its environment (never on its command line, where `ps` would show a password)
 * and an IPC channel, whose closing tells it that the study is gone. Their output lines go to `log`
 * prefixed with `[runner k]`. A runner that dies (killed, out of memory) is replaced, up to
 * `3 × count` times. When the scope closes, each runner gets SIGINT (it saves a checkpoint and
 * gives its cell back to the queue) and, after 30 s, SIGKILL.
 */
export const startRunnerProcesses = (options: {
  readonly count: number
  readonly databaseUrl: Redacted.Redacted<string>
  readonly args: ReadonlyArray<string>
  readonly log: (line: string) => void
  /**
   * A runner stopped because it could not write its own files (a full disk): `detail` says which
   * and why. It is not replaced: the disk is this machine's, and the study's.
   */
  readonly onStorageFault?: (detail: string) => void
}): Effect.Effect<RunnerProcesses, never, Scope.Scope> => Effect.acquireRelease(
  Effect.sync(() => {
    const { script, execArgv } = ownScript("bin/hyperlayers")
    const children = new Map<number, ChildProcess>()
    let stopping = false
    /** The study finished: the runners' own words on being stopped ("interrupted", no runners left in the cluster) would mislead. */
    let finished = false
    let replaced = 0
    const forward = (k: number, stream: NodeJS.ReadableStream | null) => {
      let buffer = ""
      stream?.setEncoding("utf8")
      stream?.on("data", (chunk: string) => {
        buffer += chunk
        const lines = buffer.split("\n")
        buffer = lines.pop() ?? ""
        for (const line of lines) {
          if (line.trim() === "" || (finished && (line === "hyperlayers: interrupted" || line.includes("No healthy runners available")))) continue
          options.log(`[runner ${k}] ${line}`)
        }
      })
    }
    const start = (k: number) => {
      const child = spawn(process.execPath, [...execArgv, script, "runner", ...options.args], {
        env: { ...process.env, [DATABASE_URL_ENV]: Redacted.value(options.databaseUrl) },
        stdio: ["ignore", "pipe", "pipe", "ipc"]
      })
      children.set(k, child)
      forward(k, child.stdout)
      forward(k, child.stderr)
      options.log(`[runner ${k}] started (pid ${child.pid})`)
      let told: string | undefined
      child.on("message", (m: unknown) => {
        if (isRunnerStopMessage(m)) told = m.detail
      })
      child.on("exit", (code, signal) => {
        if (children.get(k) === child) children.delete(k)
        if (code === EXIT_STORAGE_FAULT) {
          options.onStorageFault?.(`runner ${k} (pid ${child.pid}) could not write its files: ${told ?? "its disk is full or read-only"}`)
          return
        }
        if (stopping || stoppedOnPurpose(code, signal)) return
        if (replaced >= 3 * options.count) {
          options.log(`[runner ${k}] exited (${signal ?? `code ${code}`}); not starting another (${replaced} replaced already)`)
          return
        }
        replaced++
        options.log(`[runner ${k}] exited (${signal ?? `code ${code}`}); starting another`)
        setTimeout(() => {
          if (!stopping) start(k)
        }, 1000)
      })
    }
    for (let k = 1; k <= options.count; k++) start(k)
    return {
      children,
      stop: (done: boolean) => {
        stopping = true
        finished = done
      },
      pool: { pids: () => [...children.values()].flatMap((c) => (c.pid === undefined ? [] : [c.pid])), replaced: () => replaced } satisfies RunnerProcesses
    }
  }),
  ({ children, stop }, exit) => Effect.promise(async () => {
    stop(Exit.isSuccess(exit))
    const waiting = [...children.values()].filter((c) => c.exitCode === null && c.signalCode === null)
    const exited = waiting.map((c) => new Promise<void>((resolve) => c.once("exit", () => resolve())))
    for (const c of waiting) c.kill("SIGINT")
    const all = Promise.all(exited)
    let timer: ReturnType<typeof setTimeout> | undefined
    const late = new Promise<"late">((resolve) => { timer = setTimeout(() => resolve("late"), 30_000) })
    if ((await Promise.race([all, late])) === "late") {
      for (const c of waiting) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL")
      await all
    }
    clearTimeout(timer)
  })
).pipe(Effect.map(({ pool }) => pool))
