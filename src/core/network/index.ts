/** The public face of core/network (see ARCHITECTURE.md): other groups import this file (or schemas.ts), never the files behind it. */
export * from "./schemas.js"
export * from "./constructions.js"
export * from "./forceLayout.js"
export * from "./network.js"
export * from "./networkDrawing.js"
export * from "./orderParameters.js"
