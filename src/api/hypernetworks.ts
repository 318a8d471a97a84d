/** Hypernetworks: specs as data, the blocks, building and generating, the hyperhypernetwork and the Pareto objective (B.2). */
export * from "../core/hypernetwork/index.js"
export * from "../layers/blocks/index.js"
export * from "../layers/hypernetwork/index.js"
