/** The public face of programs/experiments (see ARCHITECTURE.md): other groups import this file (or schemas.ts), never the files behind it. */
export * from "./schemas.js"
export * from "./constructionsTable.js"
export * from "./draw.js"
export * from "./figures.js"
export * from "./replay.js"
export * from "./report.js"
export * from "./reproduce.js"
