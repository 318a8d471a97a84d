/** The public face of programs/study (see ARCHITECTURE.md): other groups import this file (or schemas.ts), never the files behind it. */
export * from "./cellAdapter.js"
export * from "./runner.js"
export * from "./study.js"
export * from "./studyDrawings.js"
export * from "./studyEngine.js"
export * from "./studyReport.js"
