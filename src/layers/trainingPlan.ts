import { Result } from "effect"
import type { TrainConfig } from "../core/trainConfig.js"
import { paramLayout, planGeneration, randomSpecs } from "./hypernetwork.js"
import { defaultHidden } from "./hyperhypernetwork.js"
import { paperHypernetwork } from "./paperHypernetwork.js"

/**
 * What a training config implies: the paper's hypernetwork with the config's block widths, the
 * layout of θ for the trained shape, the generation plan, the random inputs per generation and
 * the hyperhypernetwork's size.
 */
export const trainingPlan = (config: TrainConfig) => {
  const net = paperHypernetwork(config.hypernetwork)
  const layout = paramLayout(net, config.shape)
  const plan = Result.getOrThrow(planGeneration(net, layout, config.shape, "encoder"))
  return { net, layout, plan, randoms: randomSpecs(net, config.shape), spec: { outputs: layout.size, hidden: defaultHidden } }
}
