/**
 * This group's light face (see ARCHITECTURE.md): what a small process needs without loading the
 * database client, the cluster or TensorFlow.js: the identity of processes and servers (the server
 * watchdog starts with this alone, in a tenth of the CPU time the whole face takes).
 */
export * from "./processIdentity.js"
