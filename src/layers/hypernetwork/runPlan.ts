import { Result } from "effect"
import { checkConditions, type ConditionError } from "../../core/task/index.js"
import type { HypernetworkSpec } from "../../core/hypernetwork/index.js"
import type { NetShape } from "../../core/network/schemas.js"
import { checkTaskShape, type Task, type TaskShapeError } from "../../core/task/index.js"
import { type Components, findTask } from "../blocks/index.js"
import type { TensorSpec } from "../blocks/index.js"
import type { HypernetworkSpecError, UnknownComponent } from "../blocks/index.js"
import { type GenerationError, type GenerationPlan, type Hypernetwork, makeHypernetwork, type ParamLayout, paramLayout, planGeneration, randomSpecs } from "./hypernetwork.js"
import { hyperhypernetworkFor, type HyperhypernetworkPlan } from "./hyperhypernetwork.js"

/** What a run names: its hypernetwork spec, its task and the shape it trains. */
export interface RunDefinition {
  readonly shape: NetShape
  readonly hypernetwork: HypernetworkSpec
  readonly task: string
}

/**
 * Everything a run's definition implies, built and checked once: the hypernetwork, the task, the
 * layout of θ for the trained shape, the generation plan, the random inputs per generation and
 * the hyperhypernetwork's size.
 */
export interface RunPlan {
  readonly net: Hypernetwork
  readonly task: Task
  readonly layout: ParamLayout
  readonly plan: GenerationPlan
  readonly randoms: ReadonlyArray<TensorSpec>
  readonly hyperhypernetwork: HyperhypernetworkPlan
}

export type RunPlanError = HypernetworkSpecError | UnknownComponent | TaskShapeError | ConditionError | GenerationError

/**
 * Build a run's hypernetwork and task from their names in `components`, and check that they fit
 * the trained shape (the task's input and output widths; every block's widths) and that the task's
 * conditions keep their rules (`checkConditions`: a task value made without `defineTask` is checked
 * here). Nothing is written or trained before this succeeds.
 */
export const resolveRun = (run: RunDefinition, components: Components): Result.Result<RunPlan, RunPlanError> =>
  Result.gen(function* () {
    const task = yield* findTask(components, run.task)
    yield* checkConditions(task.conditions, task.name)
    yield* checkTaskShape(task, run.shape)
    const net = yield* makeHypernetwork(run.hypernetwork, components.blocks)
    const layout = paramLayout(net, run.shape)
    const plan = yield* planGeneration(net, layout, run.shape, "encoder")
    return { net, task, layout, plan, randoms: randomSpecs(net, run.shape), hyperhypernetwork: hyperhypernetworkFor(layout, net.hyperhypernetwork, task.conditions) }
  })

/**
 * Whether a run's definition can be planned, checked without tensors: its hypernetwork builds from
 * `components`, its task is registered, keeps the rules of conditions and fits the shape. Returns the problem, or undefined. (The
 * block widths are checked by {@link resolveRun}'s trial generation.)
 */
export const checkRunDefinition = (run: RunDefinition, components: Components): string | undefined => {
  const net = makeHypernetwork(run.hypernetwork, components.blocks)
  if (Result.isFailure(net)) return `hypernetwork: ${net.failure.message}`
  const task = findTask(components, run.task)
  if (Result.isFailure(task)) return `task: ${task.failure.message}`
  const conditions = checkConditions(task.success.conditions, task.success.name)
  if (Result.isFailure(conditions)) return conditions.failure.message
  const fits = checkTaskShape(task.success, run.shape)
  return Result.isFailure(fits) ? fits.failure.message : undefined
}
