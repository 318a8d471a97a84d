/** Runs: training settings and presets, checkpoints, manifests, metrics and result Schemas, and the training programs. */
export * from "../core/run/index.js"
export * from "../programs/training/index.js"
