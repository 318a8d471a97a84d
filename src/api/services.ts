/** The services: the tensor backend, the Rng, the run store, progress, the registry of blocks and tasks, the settings that travel with a run (class thresholds), the study's database, and the one layer that provides them. */
export * from "../services/backend/index.js"
export * from "../services/rng/index.js"
export * from "../services/store/index.js"
export * from "../services/console/index.js"
export * from "../services/registry/index.js"
export * from "../services/study/index.js"
export * from "../services/runtime/index.js"
export * from "../services/settings/index.js"
