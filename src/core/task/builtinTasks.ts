import { boxSdfTask } from "./boxSdf.js"
import { heatTask } from "./heatEquation.js"
import { l1Task } from "./l1Task.js"
import { l1LinfTask, l2Task, maxAbsTask } from "./normTasks.js"
import type { Task } from "./task.js"

/** The tasks every program knows by name; `l1` (the paper's) is the default. */
export const builtinTasks: ReadonlyArray<Task> = [l1Task, l2Task, maxAbsTask, l1LinfTask]

/**
 * The task families every program also knows by name (conditions beyond β, for implicit neural
 * representations; see `hyperlayers inr`): `heat` (the 1-D heat equation, condition t) and
 * `sdf` (a square's signed distance field, conditions size and position).
 */
export const builtinFamilies: ReadonlyArray<Task> = [heatTask, boxSdfTask]
