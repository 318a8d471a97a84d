/** The public face of core/hypernetwork (see ARCHITECTURE.md): other groups import this file (or schemas.ts), never the files behind it. */
export * from "./hypernetworkSpec.js"
export * from "./paperHypernetworkSpec.js"
