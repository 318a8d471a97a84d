/** The public face of services/runtime (see ARCHITECTURE.md): the one layer that provides every service. */
export * from "./Hyperlayers.js"
