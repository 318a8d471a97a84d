/** This group's Schemas and constants, without tensors or other heavy modules: what a command line or a settings reader needs (see ARCHITECTURE.md). */
export * from "./canonicalJson.js"
export * from "./errorMessage.js"
export * from "./errors.js"
export * from "./finite.js"
export * from "./jsonKeys.js"
export * from "./quoteValue.js"
export * from "./table.js"
export * from "./threefry.js"
