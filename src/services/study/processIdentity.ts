import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"

/**
 * What this machine says about a running process: who runs it, its command line, its working
 * directory and when it started. On Linux from `/proc/<pid>`; elsewhere from `ps` (no working
 * directory there). Fields the system does not show this user are `undefined`.
 */
export interface ProcessInfo {
  readonly pid: number
  readonly uid: number | undefined
  readonly args: ReadonlyArray<string>
  readonly cwd: string | undefined
  /** The kernel's start time (`/proc/<pid>/stat` field 22, or `ps`'s lstart): a pid reused by a later process has another. */
  readonly startTime: string | undefined
}

const errorCodeOf = (e: unknown): unknown => (typeof e === "object" && e !== null && "code" in e ? e.code : undefined)

/** Whether a process of this pid exists (one of another user's included). */
export const processExists = (pid: number): boolean => {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return errorCodeOf(e) === "EPERM"
  }
}

const readProc = (pid: number): ProcessInfo | undefined => {
  let cmdline: string
  try {
    cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8")
  } catch {
    return undefined
  }
  const args = cmdline.split("\0")
  if (args[args.length - 1] === "") args.pop()
  let uid: number | undefined
  try {
    const line = fs.readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("Uid:"))
    const real = Number(line?.split(/\s+/)[1])
    uid = Number.isInteger(real) ? real : undefined
  } catch {
    uid = undefined
  }
  let cwd: string | undefined
  try {
    cwd = fs.readlinkSync(`/proc/${pid}/cwd`)
  } catch {
    cwd = undefined
  }
  let startTime: string | undefined
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8")
    startTime = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]
  } catch {
    startTime = undefined
  }
  return { pid, uid, args, cwd, startTime }
}

const readPs = (pid: number): ProcessInfo | undefined => {
  const r = spawnSync("ps", ["-o", "uid=", "-o", "lstart=", "-o", "command=", "-p", String(pid)], { encoding: "utf8" })
  const line = r.status === 0 ? r.stdout.trim() : ""
  // uid, then lstart (five words: "Mon Jan  1 00:00:00 2024"), then the command
  const m = /^(\d+)\s+(\S+\s+\S+\s+\d+\s+[\d:]+\s+\d+)\s+(.*)$/.exec(line)
  if (m === null) return undefined
  return { pid, uid: Number(m[1]), args: m[3]!.split(" "), cwd: undefined, startTime: m[2] }
}

/** The process of this pid as the system describes it; `undefined` when there is none (or it cannot be seen). */
export const processInfo = (pid: number): ProcessInfo | undefined => {
  if (!processExists(pid)) return undefined
  return fs.existsSync("/proc/self/cmdline") ? readProc(pid) : readPs(pid)
}

const realpathOrSelf = (p: string): string => {
  try {
    return fs.realpathSync(p)
  } catch {
    return path.resolve(p)
  }
}

/**
 * Whether `pid` is a PostgreSQL server (postmaster) running on `dataDir` as `uid`:
 *
 * - `"ours"`: its executable is `postgres`, its `-D` argument (resolved against its working
 *   directory) is `dataDir`, and it runs as `uid`;
 * - `"other"`: no such process, or a process that is certainly not that (another program, another
 *   data directory, another user);
 * - `"unknown"`: a postgres whose data directory cannot be told from here (relative `-D` and a
 *   working directory this user may not read). Nothing is signalled on `"unknown"`.
 *
 * The command-line name alone says nothing (every study's server is called postgres).
 */
export const postmasterOf = (pid: number, dataDir: string, uid: number | undefined): "ours" | "other" | "unknown" => {
  const info = processInfo(pid)
  if (info === undefined) return processExists(pid) ? "unknown" : "other"
  if (uid !== undefined && info.uid !== undefined && info.uid !== uid) return "other"
  const exe = info.args[0]
  if (exe === undefined || path.basename(exe) !== "postgres") return "other"
  const k = info.args.indexOf("-D")
  const given = k >= 0 ? info.args[k + 1] : undefined
  if (given === undefined) return "unknown"
  if (!path.isAbsolute(given) && info.cwd === undefined) return "unknown"
  const resolved = path.isAbsolute(given) ? given : path.resolve(info.cwd!, given)
  return realpathOrSelf(resolved) === realpathOrSelf(dataDir) ? "ours" : "other"
}

/** The pid written on the first line of a data directory's `postmaster.pid`, if there is one. */
export const pidFileOwner = (dataDir: string): number | undefined => {
  let text: string
  try {
    text = fs.readFileSync(path.join(dataDir, "postmaster.pid"), "utf8")
  } catch {
    return undefined
  }
  const pid = Number(text.split("\n")[0])
  return Number.isInteger(pid) && pid > 0 ? pid : undefined
}
