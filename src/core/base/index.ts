/** The public face of core/base (see ARCHITECTURE.md): other groups import this file (or schemas.ts), never the files behind it. */
export * from "./schemas.js"
export * from "./readback.js"
export * from "./tensorScope.js"
