import * as tf from "@tensorflow/tfjs"
import { type Block, blockSpec, noSpecs } from "./block.js"

/** `x → swish(x)` elementwise on a block of hyperfeatures (the hypernetwork's nonlinearity). */
export const activationBlock = (features = 20, name = "activation"): Block => ({
  name,
  spec: blockSpec("activation", { features }, name, "activation"),
  inputs: features,
  outputs: features,
  params: noSpecs,
  randoms: noSpecs,
  apply: (x) => ({ output: tf.tidy(() => tf.mul(x!, tf.sigmoid(x!))) }),
  fused: { kind: "activation" }
})
