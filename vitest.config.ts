import { availableParallelism } from "node:os"
import { defineConfig } from "vitest/config"

// `npm test` compiles dist/ first (tsc -p .): child processes of the tests (the command line, a
// study's runners, the server watchdog, gradient workers) then start from dist/ instead of the
// source through tsx, a second or so less each. A test file run alone uses the source.
const compiledFirst = process.env["npm_lifecycle_event"] === "test"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: ["test/setup.ts"],
    // TensorFlow.js keeps one global engine per process: isolate files in their own forks. Many
    // files wait on child processes and PostgreSQL more than they compute: run one more fork than cores.
    pool: "forks",
    maxWorkers: availableParallelism() + 1,
    testTimeout: 120_000,
    hookTimeout: 60_000,
    env: compiledFirst ? { HYPERLAYERS_CHILDREN_FROM_DIST: "1" } : {}
  }
})
