import * as tf from "@tensorflow/tfjs"
import { Data, type Effect, Result } from "effect"
import { checkConditions, type Condition, type ConditionError } from "./condition.js"
import type { NetShape } from "../network/schemas.js"
import { quoteValue } from "../base/schemas.js"

/**
 * Random draws a task may use to sample its inputs, bound by the caller to one stream of the
 * `Rng` service: advancing it (training batches) or at a fixed position (shared evaluation inputs),
 * so the task never sees where its randomness comes from.
 */
export interface InputDraws {
  /** Standard normal draws of the given shape. */
  readonly normal: (shape: ReadonlyArray<number>) => Effect.Effect<tf.Tensor>
  /** Uniform draws on (low, high) of the given shape. */
  readonly uniform: (shape: ReadonlyArray<number>, low: number, high: number) => Effect.Effect<tf.Tensor>
}

/**
 * What a target network is trained to compute: its input distribution, its target function and
 * the loss of a prediction. The paper's task is {@link l1Task}; a researcher's own is any value of
 * this type (see {@link defineTask}), registered by name so that runs using it can be resumed.
 */
export interface Task {
  /** Unique name, stored in run manifests and checkpoints (`l1`, `l2`, …). */
  readonly name: string
  /** One line for `--help` and reports. */
  readonly description: string
  /** The output width n_N a target network must have. */
  readonly outputs: number
  /** The input widths n_0 the task accepts (inclusive). */
  readonly inputs: { readonly min: number; readonly max: number }
  /** How the target is normalised (documented like L1's: what has mean 0 and variance 1). */
  readonly normalisation: string
  /**
   * The conditions of a task *family* f_c (empty for a single function such as L1): each
   * generation draws its own c, the hyperhypernetwork reads it beside β, and `target` and `loss`
   * receive it. See {@link Condition}.
   */
  readonly conditions: ReadonlyArray<Condition>
  /** Inputs `[...dims, n0]` for `shape = [...dims, n0]`. */
  readonly sampleInputs: (draws: InputDraws, shape: ReadonlyArray<number>) => Effect.Effect<tf.Tensor>
  /**
   * The target `[..., S, n0] → [..., S, outputs]`; for a family, `condition` is `[..., C]` (one c
   * per network, in the order of `conditions`).
   */
  readonly target: (x: tf.Tensor, condition?: tf.Tensor) => tf.Tensor
  /**
   * The loss of each network: `prediction: [..., S, outputs]`, `x: [..., S, n0]` (and `condition:
   * [..., C]` for a family) → `[...]`, averaged over the S samples, and over the outputs where
   * there are several.
   */
  readonly loss: (prediction: tf.Tensor, x: tf.Tensor, condition?: tf.Tensor) => tf.Tensor
  /**
   * The same task with its target normalised as at `inputs` input widths rather than at each
   * network's own width (absent when the task cannot say). A network of another width is then
   * scored on the scale the hypernetwork was trained on: the paper trains on targets "shifted and
   * rescaled … so that they have zero mean and unit variance" (§2) at 16 inputs and does not say how
   * Figure 5 scores other widths.
   */
  readonly atReferenceInputs?: (inputs: number) => Task
}

/** A task and a target network shape do not fit. */
export class TaskShapeError extends Data.TaggedError("TaskShapeError")<{ readonly message: string; readonly task: string; readonly shape: ReadonlyArray<number> }> {}

/** A task value is malformed (an empty name, an output width below 1, …). */
export class TaskDefinitionError extends Data.TaggedError("TaskDefinitionError")<{ readonly message: string }> {}

/**
 * Mean squared error over samples and outputs: `[..., S, k]` against `[..., S, k]` → `[...]`.
 * The loss of every built-in task (§2: a constant predictor of a normalised target scores ≈ 1).
 */
export const meanSquaredError = (prediction: tf.Tensor, target: tf.Tensor): tf.Tensor =>
  tf.tidy(() => tf.mean(tf.square(tf.sub(prediction, target)), [-2, -1]))

/** Draws from N(0, I): the inputs of every built-in task. */
export const gaussianInputs = (draws: InputDraws, shape: ReadonlyArray<number>): Effect.Effect<tf.Tensor> => draws.normal(shape)

/** What {@link defineTask} needs; `loss` defaults to the mean squared error against `target`. */
export interface TaskDefinition {
  readonly name: string
  readonly description: string
  readonly outputs: number
  readonly inputs?: { readonly min: number; readonly max: number }
  readonly normalisation: string
  readonly conditions?: ReadonlyArray<Condition>
  readonly sampleInputs?: Task["sampleInputs"]
  readonly target: Task["target"]
  readonly loss?: Task["loss"]
  /**
   * The target normalised as at `referenceInputs` inputs (`[..., S, n0] → [..., S, outputs]`
   * whatever n0 is); with it the task offers {@link Task.atReferenceInputs}, scored by the mean
   * squared error.
   */
  readonly targetAt?: (x: tf.Tensor, referenceInputs: number, condition?: tf.Tensor) => tf.Tensor
}

const MAX_INPUTS = 4096

/**
 * Check a task definition and complete it: Gaussian inputs and the mean squared error unless given,
 * any input width 1…4096 unless restricted. Fails with {@link TaskDefinitionError} naming the field,
 * or a {@link ConditionError} naming the condition, its field and value (see `checkConditions`:
 * `training: []`, `[NaN]`, a reference outside the range, two conditions of one name, …).
 */
export const defineTask = (d: TaskDefinition): Result.Result<Task, TaskDefinitionError | ConditionError> => {
  const fail = (message: string) => Result.fail(new TaskDefinitionError({ message: `task ${quoteValue(d.name)}: ${message}` }))
  if (typeof d.name !== "string" || !/^[a-z0-9][a-z0-9._-]*$/i.test(d.name)) return fail("name must be a non-empty word of letters, digits, '.', '_' or '-'")
  if (!Number.isInteger(d.outputs) || d.outputs < 1) return fail(`outputs must be an integer ≥ 1, got ${quoteValue(d.outputs)}`)
  const inputs = d.inputs ?? { min: 1, max: MAX_INPUTS }
  if (!Number.isInteger(inputs.min) || !Number.isInteger(inputs.max) || inputs.min < 1 || inputs.max < inputs.min) {
    return fail(`inputs must be integers 1 ≤ min ≤ max, got [${quoteValue(inputs.min)}, ${quoteValue(inputs.max)}]`)
  }
  const checked = checkConditions(d.conditions ?? [], d.name)
  if (Result.isFailure(checked)) return Result.fail(checked.failure)
  const conditions = checked.success
  const target = d.target
  const targetAt = d.targetAt
  const atReferenceInputs = targetAt === undefined ? undefined : (inputs: number): Task => {
    const rescaled = (x: tf.Tensor, condition?: tf.Tensor) => targetAt(x, inputs, condition)
    return {
      ...task, target: rescaled, atReferenceInputs,
      normalisation: `${d.normalisation}, with the moments of n = ${inputs} inputs whatever the network's width`,
      loss: (prediction, x, condition) => tf.tidy(() => meanSquaredError(prediction, rescaled(x, condition)))
    }
  }
  const task: Task = {
    name: d.name,
    description: d.description,
    outputs: d.outputs,
    inputs,
    normalisation: d.normalisation,
    conditions,
    sampleInputs: d.sampleInputs ?? gaussianInputs,
    target,
    loss: d.loss ?? ((prediction, x, condition) => tf.tidy(() => meanSquaredError(prediction, target(x, condition)))),
    ...(atReferenceInputs === undefined ? {} : { atReferenceInputs })
  }
  return Result.succeed(task)
}

/** Whether `shape` can be trained on `task`: its output width and its input width. */
export const checkTaskShape = (task: Task, shape: NetShape): Result.Result<void, TaskShapeError> => {
  const fail = (message: string) => Result.fail(new TaskShapeError({ task: task.name, shape, message }))
  const n0 = shape[0]!
  const out = shape[shape.length - 1]!
  const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`
  if (out !== task.outputs) {
    return fail(`task ${task.name} needs a network with ${plural(task.outputs, "output")}, but [${shape.join(", ")}] has ${out} (make the last layer size ${task.outputs})`)
  }
  if (n0 < task.inputs.min || n0 > task.inputs.max) {
    const range = task.inputs.min === task.inputs.max ? `exactly ${task.inputs.min}` : `${task.inputs.min} to ${task.inputs.max}`
    return fail(`task ${task.name} takes ${range} inputs, but [${shape.join(", ")}] has ${n0}`)
  }
  return Result.void
}
