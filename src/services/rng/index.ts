/** The public face of services/rng (see ARCHITECTURE.md): other groups import this file (or schemas.ts), never the files behind it. */
export * from "./schemas.js"
export * from "./Rng.js"
export * from "./inputDraws.js"
