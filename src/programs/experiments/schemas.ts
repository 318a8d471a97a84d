/**
 * This group's light face (see ARCHITECTURE.md): the experiments as values and their registry,
 * without TensorFlow.js, vega or the figures (each experiment loads its program when it runs), so
 * that a command line can build its commands from the registry before it loads anything heavy.
 */
export * from "./ablation.js"
export * from "./baseline.js"
export * from "./drawing.js"
export * from "./experiment.js"
export * from "./generalize.js"
export * from "./registry.js"
export * from "./sweep.js"
