import { createHash } from "node:crypto"
import * as fs from "node:fs"
import { tmpdir } from "node:os"
import * as path from "node:path"

/** The user a server runs as, when it is not this process's user (root runs it as `nobody`). */
export interface ServerUser {
  readonly uid: number
  readonly gid: number
  readonly name: string
}

/** Whether `user` may enter every directory on the way to `target` (and `target` itself); the first it may not enter, if any. */
export const unreachableBy = (target: string, user: ServerUser): string | undefined => {
  let dir = path.resolve(target)
  const chain: Array<string> = []
  for (;;) {
    chain.unshift(dir)
    const up = path.dirname(dir)
    if (up === dir) break
    dir = up
  }
  for (const d of chain) {
    const st = fs.statSync(d)
    const ok = (st.mode & 0o001) !== 0 || (st.uid === user.uid && (st.mode & 0o100) !== 0) || (st.gid === user.gid && (st.mode & 0o010) !== 0)
    if (!ok) return d
  }
  return undefined
}

interface LinkEntry {
  readonly source: string
  readonly target: string
}

const symlinkList = (packageDir: string): ReadonlyArray<LinkEntry> => {
  const list = path.join(packageDir, "native", "pg-symlinks.json")
  return fs.existsSync(list) ? JSON.parse(fs.readFileSync(list, "utf8")) as ReadonlyArray<LinkEntry> : []
}

/** Whether the package's library links are all in place (its install script ran). */
const symlinksComplete = (packageDir: string): boolean =>
  symlinkList(packageDir).every((l) => fs.existsSync(path.join(packageDir, l.target)))

/** Create the library links the package lists (its install script does this; it may not have run). */
const hydrateSymlinks = (dir: string, links: ReadonlyArray<LinkEntry>): void => {
  for (const { source, target } of links) {
    const at = path.join(dir, target)
    if (fs.existsSync(at)) continue
    fs.symlinkSync(path.relative(path.dirname(at), path.join(dir, source)), at)
  }
}

/**
 * A digest of a directory tree: every entry's relative path, kind, mode bits, and its contents
 * (files) or target (links), in sorted order. Two trees with the same digest hold the same programs.
 */
export const treeDigest = (root: string, skip: ReadonlySet<string> = new Set()): string => {
  const hash = createHash("sha256")
  const walk = (rel: string) => {
    for (const name of fs.readdirSync(path.join(root, rel)).sort()) {
      const r = rel === "" ? name : `${rel}/${name}`
      if (skip.has(r)) continue
      const p = path.join(root, r)
      const st = fs.lstatSync(p)
      if (st.isSymbolicLink()) hash.update(`L ${r} ${fs.readlinkSync(p)}\n`)
      else if (st.isDirectory()) {
        hash.update(`D ${r}\n`)
        walk(r)
      } else if (st.isFile()) {
        hash.update(`F ${r} ${(st.mode & 0o111).toString(8)} ${st.size}\n`)
        hash.update(fs.readFileSync(p))
      } else hash.update(`? ${r}\n`)
    }
  }
  walk("")
  return hash.digest("hex")
}

/**
 * What is wrong with `dir` as this user's own private directory: it must be a real directory (not a
 * link), owned by this process's user, and writable by no one else. `undefined` when all holds.
 */
export const notPrivate = (dir: string): string | undefined => {
  let st: fs.Stats
  try {
    st = fs.lstatSync(dir)
  } catch (e) {
    return `cannot be read (${e instanceof Error ? e.message : String(e)})`
  }
  if (st.isSymbolicLink()) return "is a symbolic link"
  if (!st.isDirectory()) return "is not a directory"
  const me = process.getuid?.()
  if (me !== undefined && st.uid !== me) return `belongs to user ${st.uid}, not to this user (${me})`
  if ((st.mode & 0o022) !== 0) return `can be written by other users (mode ${(st.mode & 0o777).toString(8)})`
  return undefined
}

/** Every entry under `dir` (itself included) is this user's and writable by no one else; links stay inside `dir`. */
const treeIsPrivate = (dir: string): string | undefined => {
  const root = path.resolve(dir)
  const top = notPrivate(root)
  if (top !== undefined) return `${root} ${top}`
  const me = process.getuid?.()
  for (const rel of fs.readdirSync(root, { recursive: true }) as Array<string>) {
    const p = path.join(root, rel)
    const st = fs.lstatSync(p)
    if (me !== undefined && st.uid !== me) return `${p} belongs to user ${st.uid}`
    if (st.isSymbolicLink()) {
      const to = path.resolve(path.dirname(p), fs.readlinkSync(p))
      if (!to.startsWith(root + path.sep)) return `${p} links outside ${root}`
    } else if ((st.mode & 0o022) !== 0) return `${p} can be written by other users`
  }
  return undefined
}

/**
 * This user's directory for copies of the server's programs, `<base>/hyperlayers-<uid>`: created
 * private (mode 0700; 0711 when a server user must pass through it), and used only while it is a
 * real directory of this user's that no one else may write. Otherwise (someone else made it, or
 * planted a link there) a fresh directory with an unguessable name is made instead, and nothing in
 * the other one is read or run.
 */
const privateRoot = (base: string, user: ServerUser | undefined): { readonly dir: string; readonly note: string | undefined } => {
  const mode = user === undefined ? 0o700 : 0o711
  const dir = path.join(base, `hyperlayers-${process.getuid?.() ?? "user"}`)
  try {
    fs.mkdirSync(dir, { mode })
  } catch (e) {
    if (errorCodeOf(e) !== "EEXIST") throw e
  }
  const problem = notPrivate(dir)
  if (problem === undefined) {
    fs.chmodSync(dir, mode)
    return { dir, note: undefined }
  }
  const fresh = fs.mkdtempSync(path.join(base, "hyperlayers-"))
  fs.chmodSync(fresh, mode)
  return { dir: fresh, note: `${dir} ${problem}: not using it; the server's programs are copied to ${fresh} instead` }
}

const errorCodeOf = (e: unknown): unknown => (typeof e === "object" && e !== null && "code" in e ? e.code : undefined)

/** Where a copy's digest is recorded once it is complete. */
const COMPLETE = ".complete"

/**
 * A private, checked copy of the package's `native/` programs, for a server that cannot run them
 * where npm put them (the package's install script did not run, or the server's user cannot enter
 * node_modules). The copy lives in `<base>/hyperlayers-<uid>/postgres-<version>-<digest>` (see
 * {@link privateRoot}); it is made in a temporary directory beside it and renamed into place when
 * whole, and before it is reused every entry is checked to be this user's, writable by no one else,
 * and the tree's digest to equal the one recorded when it was made. A copy that fails a check is
 * replaced. Returns the copy's directory (holding `native/`) and a note when something was amiss.
 */
export const privateCopy = (packageDir: string, user: ServerUser | undefined, base: string = tmpdir()): { readonly dir: string; readonly note: string | undefined } => {
  const version = (JSON.parse(fs.readFileSync(path.join(packageDir, "package.json"), "utf8")) as { version: string }).version
  const source = treeDigest(path.join(packageDir, "native"))
  const root = privateRoot(base, user)
  const copy = path.join(root.dir, `postgres-${version}-${source.slice(0, 16)}`)
  const dirMode = user === undefined ? 0o700 : 0o755
  let note = root.note
  if (fs.existsSync(copy) || isLink(copy)) {
    const problem = treeIsPrivate(copy) ?? (recorded(copy) === treeDigest(copy, new Set([COMPLETE])) ? undefined : "its contents differ from the copy that was made")
    if (problem === undefined) return { dir: copy, note }
    note = `${note === undefined ? "" : `${note}; `}the copy of the server's programs in ${copy} was not used (${problem}): copied again`
    fs.rmSync(copy, { recursive: true, force: true })
  }
  const tmp = fs.mkdtempSync(path.join(root.dir, ".copy-"))
  try {
    fs.cpSync(path.join(packageDir, "native"), path.join(tmp, "native"), { recursive: true, verbatimSymlinks: true })
    hydrateSymlinks(tmp, symlinkList(packageDir))
    for (const rel of ["", ...fs.readdirSync(tmp, { recursive: true }) as Array<string>]) {
      const p = path.join(tmp, rel)
      const st = fs.lstatSync(p)
      if (st.isSymbolicLink()) continue
      fs.chmodSync(p, st.isDirectory() ? dirMode : (st.mode & 0o755) | (user === undefined ? 0 : 0o444))
    }
    fs.writeFileSync(path.join(tmp, COMPLETE), treeDigest(tmp, new Set([COMPLETE])), { mode: 0o644 })
    fs.renameSync(tmp, copy)
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true })
    // another process made the same copy meanwhile: use it once it checks out
    if (fs.existsSync(path.join(copy, COMPLETE)) && treeIsPrivate(copy) === undefined) return { dir: copy, note }
    throw e
  }
  return { dir: copy, note }
}

const isLink = (p: string): boolean => {
  try {
    return fs.lstatSync(p).isSymbolicLink()
  } catch {
    return false
  }
}

const recorded = (copy: string): string | undefined => {
  try {
    return fs.readFileSync(path.join(copy, COMPLETE), "utf8").trim()
  } catch {
    return undefined
  }
}

/**
 * The directory holding `native/bin/postgres` for a server running as `user`: the installed
 * package itself when it is complete and `user` can reach it, else a {@link privateCopy}.
 */
export const serverPrograms = (packageDir: string, user: ServerUser | undefined, base?: string): { readonly dir: string; readonly note: string | undefined } => {
  const blocked = user === undefined ? undefined : unreachableBy(packageDir, user)
  if (blocked === undefined && symlinksComplete(packageDir)) return { dir: packageDir, note: undefined }
  return privateCopy(packageDir, user, base)
}
