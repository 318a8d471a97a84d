/** The public face of services/console (see ARCHITECTURE.md): other groups import this file (or schemas.ts), never the files behind it. */
export * from "./Logging.js"
export * from "./Progress.js"
