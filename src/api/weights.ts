/** Networks trained elsewhere: safetensors, .npz, .npy and JSON files, their layouts, and analyze. */
export * from "../core/weights/index.js"
export * from "../programs/analysis/index.js"
