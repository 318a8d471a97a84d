import { Context } from "effect"
import { defaultThresholds, type Thresholds } from "../../core/network/schemas.js"

/**
 * The class thresholds (§2.2; ARCHITECTURE.md, "Order parameters and classes") that every program
 * classifying a generated or trained network reads: the sweep, the ablation, generalisation, the
 * baseline and their figures, the constructions table and `analyze`. They are a setting of the
 * run (recorded in its manifest's experiment settings), not an argument: the experiment runner
 * (`runExperiment`) provides the run's recorded thresholds, and a program run on its own takes
 * these, the paper's by default, or whatever a caller provides with
 * `Effect.provideService(ClassThresholds, thresholds)`.
 */
export const ClassThresholds = Context.Reference<Thresholds>("hyperlayers/ClassThresholds", { defaultValue: () => defaultThresholds })
