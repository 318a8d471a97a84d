import * as tf from "@tensorflow/tfjs"
import { type Block, blockSpec, noSpecs } from "./block.js"
import { type PositionKind, positionalFeatures } from "./edgeGraph.js"

/**
 * Nothing → a sinusoidal encoding of the edge's input index (where l = 1), output index (where
 * l = N) or layer l; the same on both KL sides. Being a function of the index, it lets a trained
 * hypernetwork address networks of any shape.
 */
export const positionBlock = (kind: PositionKind, features = 4, name = `${kind}-position`): Block => ({
  name,
  spec: blockSpec("position", { axis: kind, features }, name, `${kind}-position`),
  inputs: 0,
  outputs: features,
  params: noSpecs,
  randoms: noSpecs,
  apply: (_, { context: { graph, batch, sides } }) => ({
    output: tf.tidy(() =>
      tf.broadcastTo(tf.tensor4d(positionalFeatures(graph, kind, features), [1, 1, graph.edges, features]), [batch, sides, graph.edges, features]))
  }),
  fused: { kind: "position", axis: kind }
})
