import { readdirSync, readFileSync, statSync } from "node:fs"
import { dirname, join, normalize, relative } from "node:path"

/**
 * The static import graph of the sources: which files and packages each file loads when it is
 * loaded (`import type` and `export type` are erased by the compiler and left out; `import()`
 * inside a function is dynamic and left out too).
 */
export interface ImportGraph {
  /** Every source file, relative to the repository root (`src/core/network/network.ts`). */
  readonly files: ReadonlyArray<string>
  /** Per file, the source files it imports (resolved) and the packages (bare specifiers). */
  readonly imports: ReadonlyMap<string, { readonly files: ReadonlyArray<string>; readonly packages: ReadonlyArray<string> }>
  /** Per file, the source files it imports for types only (`import type`, `export type … from`). */
  readonly typeImports: ReadonlyMap<string, ReadonlyArray<string>>
}

const walk = (dir: string): Array<string> =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? walk(path) : path.endsWith(".ts") ? [path] : []
  })

const STATIC = /^\s*(?:import|export)\s+(?!type\s)(?:[^;'"]*?\sfrom\s+)?["']([^"']+)["']/gm
const TYPES = /^\s*(?:import|export)\s+type\s+[^;'"]*?\sfrom\s+["']([^"']+)["']/gm

export const importGraph = (root = "src"): ImportGraph => {
  const files = walk(root).map((f) => relative(".", f))
  const known = new Set(files)
  const imports = new Map<string, { files: Array<string>; packages: Array<string> }>()
  const typeImports = new Map<string, Array<string>>()
  for (const file of files) {
    const text = readFileSync(file, "utf8")
    typeImports.set(file, [...text.matchAll(TYPES)].map((m) => m[1]!).filter((s) => s.startsWith("."))
      .map((s) => normalize(join(dirname(file), s)).replace(/\.js$/, ".ts")).filter((t) => known.has(t)))
    const entry = { files: [] as Array<string>, packages: [] as Array<string> }
    for (const m of text.matchAll(STATIC)) {
      const spec = m[1]!
      if (spec.startsWith(".")) {
        const target = normalize(join(dirname(file), spec)).replace(/\.js$/, ".ts")
        if (known.has(target)) entry.files.push(target)
      } else {
        entry.packages.push(spec)
      }
    }
    imports.set(file, entry)
  }
  return { files, imports, typeImports }
}

/** Every file and package loaded when `start` is loaded (its static closure). */
export const closure = (graph: ImportGraph, start: string): { readonly files: ReadonlySet<string>; readonly packages: ReadonlySet<string> } => {
  const files = new Set<string>([start])
  const packages = new Set<string>()
  const stack = [start]
  while (stack.length > 0) {
    const f = stack.pop()!
    const entry = graph.imports.get(f)
    if (entry === undefined) continue
    for (const p of entry.packages) packages.add(p)
    for (const g of entry.files) if (!files.has(g)) { files.add(g); stack.push(g) }
  }
  return { files, packages }
}
