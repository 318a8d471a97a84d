/** What every part shares: typed errors, quoted values, canonical JSON, tables, tensor scopes and readbacks. */
export * from "../core/base/index.js"
