import * as tf from "@tensorflow/tfjs"
import { fc } from "@fast-check/vitest"
import { afterAll } from "vitest"
import { removeTempDirs } from "./tempDirs.js"

// Every property runs from a fixed seed, so a failure replays exactly; FC_SEED overrides it to
// explore further, and fast-check prints the seed and path of any counterexample it finds.
const seed = process.env["FC_SEED"] === undefined ? 20231205 : Number(process.env["FC_SEED"])
fc.configureGlobal({ seed, numRuns: Number(process.env["FC_RUNS"] ?? 50) })
tf.enableProdMode()

// setup files run before every test file, also in a shared fork: each file removes its own temporary directories
afterAll(removeTempDirs)
