import { l1Task } from "./l1Task.js"
import { l1LinfTask, l2Task, maxAbsTask } from "./normTasks.js"
import type { Task } from "./task.js"

/** The tasks every program knows by name; `l1` (the paper's) is the default. */
export const builtinTasks: ReadonlyArray<Task> = [l1Task, l2Task, maxAbsTask, l1LinfTask]
