import { availableParallelism } from "node:os"
import { defineConfig } from "vitest/config"
import { BaseSequencer, type TestSpecification } from "vitest/node"

// `npm test` compiles dist/ first (tsc -p .): child processes of the tests (the command line, a
// study's runners, the server watchdog, gradient workers) then start from dist/ instead of the
// source through tsx, a second or so less each. A test file run alone uses the source.
const compiledFirst = process.env["npm_lifecycle_event"] === "test"

// Files whose subject is a fresh process's TensorFlow.js engine (no backend chosen yet).
const freshEngine = ["test/testingBackend.test.ts"]

// On a fresh clone vitest knows no durations and starts the largest files first, so the README's
// examples (a small file, seven processes) and the study tests ran last, alone on one core while
// the other waited (measured: the README file ran its last 250 of 1,480 s by itself). These files,
// longest first by their measured wall time, start first; every other file fills in behind them.
// Once a run has recorded durations, vitest's own order (longest first) is used.
const LONGEST_FIRST = [
  "readme", "study", "studyFaults", "replay", "cli", "runFaults", "genericPrograms",
  "studyNetwork", "webgpu", "inr", "experiments", "embeddedPostgres", "routeSettings", "similarity"
].map((name) => `/test/${name}.test.ts`)

class LongestFirst extends BaseSequencer {
  override async sort(files: Array<TestSpecification>): Promise<Array<TestSpecification>> {
    const sorted = await super.sort(files)
    if (files.every((f) => this.ctx.cache.getTestSpecificationResult(f) !== undefined)) return sorted
    const rank = (f: TestSpecification) => {
      const k = LONGEST_FIRST.findIndex((end) => f.moduleId.endsWith(end))
      return k < 0 ? LONGEST_FIRST.length : k
    }
    // stable: projects keep vitest's order, and files outside the list theirs
    const projects = [...new Set(sorted.map((f) => f.project.name))]
    const key = (f: TestSpecification) => projects.indexOf(f.project.name) * (LONGEST_FIRST.length + 1) + rank(f)
    return [...sorted].sort((a, b) => key(a) - key(b))
  }
}

export default defineConfig({
  test: {
    setupFiles: ["test/setup.ts"],
    sequence: { sequencer: LongestFirst },
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
