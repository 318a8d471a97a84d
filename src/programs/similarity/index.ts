/** The public face of programs/similarity (see ARCHITECTURE.md): other groups import this file (or schemas.ts), never the files behind it. */
export * from "./encoders.js"
export * from "./similarity.js"
export * from "./similarityData.js"
export * from "./similarityReport.js"
export * from "./transferSimilarity.js"
