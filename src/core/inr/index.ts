/** The public face of core/inr (see ARCHITECTURE.md): other groups import this file (or schemas.ts), never the files behind it. */
export * from "./schemas.js"
export * from "./inrFamilies.js"
export * from "./inrFamily.js"
export * from "./inrFigures.js"
export * from "./inrReport.js"
