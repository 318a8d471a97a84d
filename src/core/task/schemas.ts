/** This group's Schemas and constants, without tensors or other heavy modules: what a command line or a settings reader needs (see ARCHITECTURE.md). */
export * from "./taskCatalog.js"
