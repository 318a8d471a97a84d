/** The public face of services/registry (see ARCHITECTURE.md): other groups import this file (or schemas.ts), never the files behind it. */
export * from "./Registry.js"
