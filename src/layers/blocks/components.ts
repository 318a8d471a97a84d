import { Result } from "effect"
import { builtinFamilies, builtinTasks } from "../../core/task/index.js"
import type { Task } from "../../core/task/index.js"
import { type BlockDefinition, UnknownComponent } from "./blockDefinition.js"
import { builtinBlocks } from "./builtinBlocks.js"
import { quoteValue } from "../../core/base/schemas.js"

/** The block kinds and tasks a program can build from their names. */
export interface Components {
  readonly blocks: ReadonlyArray<BlockDefinition>
  readonly tasks: ReadonlyArray<Task>
}

/** The library's own: the paper's blocks, the tasks l1, l2, max-abs and l1-linf, and the families heat and sdf. */
export const builtinComponents: Components = { blocks: builtinBlocks, tasks: [...builtinTasks, ...builtinFamilies] }

/** Later entries of the same name replace earlier ones. */
const byName = <A>(items: ReadonlyArray<A>, name: (a: A) => string): ReadonlyArray<A> => [...new Map(items.map((a) => [name(a), a])).values()]

/** The built-in components plus `extra`; an extra entry with a built-in's name replaces it. */
export const componentsWith = (extra: Partial<Components>): Components => ({
  blocks: byName([...builtinBlocks, ...(extra.blocks ?? [])], (b) => b.kind),
  tasks: byName([...builtinComponents.tasks, ...(extra.tasks ?? [])], (t) => t.name)
})

/** The task called `name`, or an {@link UnknownComponent} error listing the known ones. */
export const findTask = (components: Components, name: string): Result.Result<Task, UnknownComponent> => {
  const task = components.tasks.find((t) => t.name === name)
  if (task !== undefined) return Result.succeed(task)
  const known = components.tasks.map((t) => t.name)
  return Result.fail(new UnknownComponent({
    component: "task", name, known,
    message: `no task named ${quoteValue(name)} is registered (known: ${known.join(", ")}); register it to train, resume or evaluate runs that use it`
  }))
}

/** Whether every component a run names is built in (a gradient worker thread knows only those). */
export const usesOnlyBuiltins = (blockKinds: ReadonlyArray<string>, task: string): boolean =>
  blockKinds.every((k) => builtinBlocks.some((b) => b.kind === k)) && builtinComponents.tasks.some((t) => t.name === task)
