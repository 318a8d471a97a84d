import { existsSync } from "node:fs"
import { availableParallelism } from "node:os"
import { defineConfig } from "vitest/config"
import { BaseSequencer, type TestSpecification } from "vitest/node"

// `npm test` builds first (`npm run build`, scripts/build.mjs: tsc -p . and the command line's
// bundle, skipped after `npm ci`, whose build is newer than every source):
// child processes of the tests (the command line, a study's runners, the server watchdog, gradient
// workers) then start from dist/cli and dist/ instead of the source through tsx, two seconds or so
// less each. A test file run alone uses the source (or rebuilds what a study test starts).
const compiledFirst = process.env["npm_lifecycle_event"] === "test"

// Files whose subject is a fresh process's TensorFlow.js engine (no backend chosen yet).
const freshEngine = ["test/testingBackend.test.ts"]

// The files that take longest (seconds of wall time in a fresh clone's `npm test` on the 2-core
// machine: child processes, PostgreSQL servers, study runners), started first. Vitest orders files
// by their last durations once it has run them, but a fresh clone has no such record and orders
// them by size in bytes: the README's examples (38 s, a small file) then started 141 s into the run
// and ran 14 s alone at its end with one core idle. The other files fill in behind these.
const longest = ["study", "studyFaults", "readme", "runFaults", "embeddedPostgres", "replay", "studyNetwork", "webgpu", "cli", "genericPrograms", "inr", "experiments", "routeSettings"]
  .map((name) => `/test/${name}.test.ts`)
// a renamed or removed file would otherwise drop out of the list without a word
const missing = longest.filter((suffix) => !existsSync(new URL(`.${suffix}`, import.meta.url)))
if (missing.length > 0) throw new Error(`vitest.config.ts names test files that do not exist: ${missing.join(", ")}`)

/** Vitest's own order (its record of durations, else size), the longest files above moved to the front. */
class LongestFirst extends BaseSequencer {
  override async sort(files: Array<TestSpecification>): Promise<Array<TestSpecification>> {
    const sorted = await super.sort(files)
    const rank = (spec: TestSpecification) => {
      const k = longest.findIndex((suffix) => spec.moduleId.endsWith(suffix))
      return k < 0 ? longest.length : k
    }
    // projects stay in vitest's order (they run one after the other); inside each, the ranks
    return sorted.map((spec, k) => ({ spec, k })).sort((a, b) =>
      a.spec.project.name !== b.spec.project.name ? a.k - b.k : rank(a.spec) - rank(b.spec) || a.k - b.k).map(({ spec }) => spec)
  }
}

export default defineConfig({
  test: {
    setupFiles: ["test/setup.ts"],
    // Many files wait on child processes and PostgreSQL more than they compute: one more fork than cores.
    pool: "forks",
    maxWorkers: availableParallelism() + 1,
    testTimeout: 120_000,
    hookTimeout: 60_000,
    env: compiledFirst ? { HYPERLAYERS_CHILDREN_FROM_DIST: "1" } : {},
    sequence: { sequencer: LongestFirst },
    projects: [
      // A fork runs file after file without loading TensorFlow.js, effect and the library again for
      // each (a third of the suite's CPU time); every file leaves the engine as it found it, which
      // its leak checks hold it to.
      { extends: true, test: { name: "shared", include: ["test/**/*.test.ts"], exclude: freshEngine, isolate: false } },
      { extends: true, test: { name: "fresh", include: freshEngine, isolate: true } }
    ]
  }
})
