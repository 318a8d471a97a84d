import * as tf from "@tensorflow/tfjs"
import { type Block, blockSpec, noSpecs } from "./block.js"

/**
 * Nothing → i.i.d. N(0, 1) hyperfeatures per generation and edge, the same on both KL sides.
 * They are the generation seed's part in the weights: the only thing besides the learned block
 * that can break the symmetry between hidden units.
 */
export const noiseBlock = (features = 5, name = "noise"): Block => ({
  name,
  spec: blockSpec("noise", { features }, name, "noise"),
  inputs: 0,
  outputs: features,
  params: noSpecs,
  randoms: (graph) => [{ name: "z", shape: [graph.edges, features] }],
  apply: (_, { context: { graph, batch, sides }, random }) => ({
    output: tf.tidy(() => tf.broadcastTo(tf.expandDims(random("z"), 1), [batch, sides, graph.edges, features]))
  }),
  fused: { kind: "noise" }
})
