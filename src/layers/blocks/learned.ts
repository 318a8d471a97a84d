import * as tf from "@tensorflow/tfjs"
import { type Block, blockSpec, noSpecs } from "./block.js"

/**
 * Nothing → learned per-edge hyperfeatures on the encoder side, zeros on the decoder side. They
 * let plain gradient descent store weights, at the price of passing them through a KL channel.
 * They belong to the trained shape; a decoder-only generation never reads them.
 */
export const learnedBlock = (features = 5, name = "learned"): Block => ({
  name,
  spec: blockSpec("learned", { features }, name, "learned"),
  inputs: 0,
  outputs: features,
  params: (graph) => [{ name: "v", shape: [graph.edges, features], perEdge: true }],
  randoms: noSpecs,
  apply: (_, { context: { graph, batch, sides }, param }) => ({
    output: sides === 1
      ? tf.zeros([batch, 1, graph.edges, features])
      : tf.tidy(() => {
        const v = param("v")
        return tf.stack([v, tf.zerosLike(v)], 1)
      })
  }),
  fused: { kind: "learned" }
})
