/** The public face of services/settings (see ARCHITECTURE.md): other groups import this file, never the files behind it. */
export * from "./ClassThresholds.js"
