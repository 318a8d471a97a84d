import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: ["test/setup.ts"],
    // TensorFlow.js keeps one global engine per process: isolate files in their own forks.
    pool: "forks",
    testTimeout: 120_000,
    hookTimeout: 60_000
  }
})
