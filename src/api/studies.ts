/** Studies over seeds and settings: plans, cells, developmental paths and the memorised reading, hypothesis tests, and the engine on Effect cluster and workflow. */
export * from "../core/study/index.js"
export * from "../programs/study/index.js"
