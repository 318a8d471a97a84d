/** The public face of programs/inr (see ARCHITECTURE.md): other groups import this file (or schemas.ts), never the files behind it. */
export * from "./inr.js"
export * from "./inrBaselines.js"
export * from "./inrReport.js"
