/** The public face of programs/analysis (see ARCHITECTURE.md): other groups import this file (or schemas.ts), never the files behind it. */
export * from "./analyze.js"
export * from "./loadNetwork.js"
