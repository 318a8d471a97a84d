/** The public face of services/study (see ARCHITECTURE.md): other groups import this file (or schemas.ts), never the files behind it. */
export * from "./EmbeddedPostgres.js"
export * from "./RunnerProcesses.js"
export * from "./StudyLock.js"
export * from "./ownScript.js"
export * from "./postgresBinaries.js"
export * from "./schemas.js"
export * from "./runnerStop.js"
