/** The public face of services/store (see ARCHITECTURE.md): other groups import this file (or schemas.ts), never the files behind it. */
export * from "./RunLock.js"
export * from "./RunStore.js"
export * from "./fileErrors.js"
export * from "./storageFault.js"
