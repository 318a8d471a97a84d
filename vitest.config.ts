import { availableParallelism } from "node:os"
import { defineConfig } from "vitest/config"

// `npm test` compiles dist/ first (tsc -p ., incremental: after `npm ci`, whose build compiled the
// same project, it only checks that nothing changed): child processes of the tests (the command line, a
// study's runners, the server watchdog, gradient workers) then start from dist/ instead of the
// source through tsx, a second or so less each. A test file run alone uses the source.
const compiledFirst = process.env["npm_lifecycle_event"] === "test"

// Files whose subject is a fresh process's TensorFlow.js engine (no backend chosen yet).
const freshEngine = ["test/testingBackend.test.ts"]

export default defineConfig({
  test: {
    setupFiles: ["test/setup.ts"],
    // Many files wait on child processes and PostgreSQL more than they compute: one more fork than cores.
    pool: "forks",
    maxWorkers: availableParallelism() + 1,
    testTimeout: 120_000,
    hookTimeout: 60_000,
    env: compiledFirst ? { HYPERLAYERS_CHILDREN_FROM_DIST: "1" } : {},
    projects: [
      // A fork runs file after file without loading TensorFlow.js, effect and the library again for
      // each (a third of the suite's CPU time); every file leaves the engine as it found it, which
      // its leak checks hold it to.
      { extends: true, test: { name: "shared", include: ["test/**/*.test.ts"], exclude: freshEngine, isolate: false } },
      { extends: true, test: { name: "fresh", include: freshEngine, isolate: true } }
    ]
  }
})
