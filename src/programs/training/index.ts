/** The public face of programs/training (see ARCHITECTURE.md): other groups import this file (or schemas.ts), never the files behind it. */
export * from "./evaluate.js"
export * from "./runDirectory.js"
export * from "./runEnvironment.js"
export * from "./runModel.js"
export * from "./train.js"
export * from "./trainer.js"
export * from "./workerPool.js"
export * from "./shardProtocol.js"
