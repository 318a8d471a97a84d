/** The public face of core/study (see ARCHITECTURE.md): other groups import this file (or schemas.ts), never the files behind it. */
export * from "./schemas.js"
export * from "./developmentalPath.js"
export * from "./hypothesisTests.js"
export * from "./studyAnalysis.js"
export * from "./studyFigures.js"
export * from "./studyReportHtml.js"
