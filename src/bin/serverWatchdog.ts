/**
 * The watchdog of a study's PostgreSQL server: a small process started beside the server, reading
 * its standard input, which is a pipe from the study. When the study ends it writes `done` first
 * and the watchdog exits; when the pipe closes without it (the study was killed, even with kill -9)
 * the watchdog stops the server the study left: the process named in the data directory's
 * `postmaster.pid`, once checked to be a postgres on that data directory as the server's user —
 * nothing else is ever signalled — with a fast shutdown, then an immediate one, and removes the
 * study's private socket directory.
 *
 * Arguments: `<data directory> <server uid or -> <socket directory>`.
 */
import * as fs from "node:fs"
import { pidFileOwner, postmasterOf, processExists } from "../services/study/schemas.js"

const [dataDir, uidArg, socketDir] = process.argv.slice(2)
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

const stopServer = async (): Promise<void> => {
  if (dataDir === undefined) return
  const uid = uidArg === undefined || uidArg === "-" ? undefined : Number(uidArg)
  // a server that was starting when the study died writes its pid file within moments
  let pid = pidFileOwner(dataDir)
  for (let k = 0; k < 50 && pid === undefined; k++) {
    await sleep(100)
    pid = pidFileOwner(dataDir)
  }
  if (pid === undefined || postmasterOf(pid, dataDir, uid) !== "ours") return
  for (const [signal, seconds] of [["SIGINT", 20], ["SIGQUIT", 10], ["SIGKILL", 5]] as const) {
    // checked again before every signal: a pid freed meanwhile may belong to another process
    if (postmasterOf(pid, dataDir, uid) !== "ours") return
    try {
      process.kill(pid, signal)
    } catch {
      return
    }
    for (let k = 0; k < seconds * 10 && processExists(pid); k++) await sleep(100)
    if (!processExists(pid)) return
  }
}

let said = ""
process.stdin.setEncoding("utf8")
process.stdin.on("data", (chunk: string) => {
  said += chunk
})
process.stdin.on("end", () => {
  if (said.includes("done")) process.exit(0)
  void stopServer().finally(() => {
    if (socketDir !== undefined && socketDir !== "") fs.rmSync(socketDir, { recursive: true, force: true })
    process.exit(0)
  })
})
