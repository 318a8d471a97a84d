/** The public face of core/similarity (see ARCHITECTURE.md): other groups import this file (or schemas.ts), never the files behind it. */
export * from "./schemas.js"
export * from "./cka.js"
export * from "./encoderVariants.js"
export * from "./labelledData.js"
export * from "./rankCorrelation.js"
export * from "./similarityFigures.js"
export * from "./similarityReportHtml.js"
