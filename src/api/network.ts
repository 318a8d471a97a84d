/** The target network: shapes, the forward pass, the hand-built constructions, order parameters, classes and drawings (§2.1–2.2, B.1). */
export * from "../core/network/index.js"
