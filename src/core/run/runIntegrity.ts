import { Result } from "effect"
import { type Checkpoint, CheckpointError } from "./checkpoint.js"
import type { RunManifest } from "./runManifest.js"
import { RESUMABLE_FIELDS } from "./trainConfig.js"

/**
 * Whether a checkpoint belongs where it sits: its step agrees with its file name, and its config
 * and root seed agree with the run's manifest. Generic over the config: every field is compared,
 * at every nesting level, but the resumable ones (`RESUMABLE_FIELDS`: how far and how often, which
 * a resumed run may change), so fields added to the config later are covered without more code.
 */

/** One place where two JSON-like values differ: a dotted path (`hypernetwork.depth`, `shape[1]`). */
export interface ValueDifference {
  readonly path: string
  readonly left: unknown
  readonly right: unknown
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v)

/** Every path where `left` and `right` differ (numbers by `Object.is`, so NaN equals NaN). */
export const valueDifferences = (left: unknown, right: unknown, path = ""): ReadonlyArray<ValueDifference> => {
  if (Array.isArray(left) && Array.isArray(right)) {
    if (left.length !== right.length) return [{ path, left, right }]
    return left.flatMap((v, k) => valueDifferences(v, right[k], `${path}[${k}]`))
  }
  if (isRecord(left) && isRecord(right)) {
    const keys = [...new Set([...Object.keys(left), ...Object.keys(right)])].sort()
    return keys.flatMap((k) => valueDifferences(left[k], right[k], path === "" ? k : `${path}.${k}`))
  }
  return Object.is(left, right) ? [] : [{ path, left, right }]
}

/** `step-00000012.ckpt` → 12; undefined for a name that is not a checkpoint's. */
export const checkpointNameStep = (fileName: string): number | undefined => {
  const m = /^step-(\d+)\.ckpt$/.exec(fileName)
  return m === null ? undefined : Number(m[1])
}

const show = (v: unknown): string => {
  if (v === undefined) return "absent"
  const text = JSON.stringify(v)
  return text.length <= 60 ? text : Array.isArray(v) ? `${v.length} items` : "another object"
}

/**
 * Check a decoded checkpoint against its file name and its run.
 *
 * @param checkpoint the decoded checkpoint (already checked whole by its SHA-256)
 * @param where `path` of the file, `nameStep` the step its name gives (if it is named like one),
 *   `manifest` the run's manifest (if the file sits in a run)
 * @returns the checkpoint, or a {@link CheckpointError} naming the file and the first field at fault
 */
export const checkpointAgreesWithRun = (
  checkpoint: Checkpoint,
  where: { readonly path: string; readonly nameStep?: number | undefined; readonly manifest?: RunManifest | undefined }
): Result.Result<Checkpoint, CheckpointError> => {
  const fail = (field: string, why: string) => Result.fail(new CheckpointError({ path: where.path, field, message: `${where.path} does not belong here: ${why}` }))
  if (where.nameStep !== undefined && where.nameStep !== checkpoint.step) {
    return fail("step", `it holds step ${checkpoint.step} but its name says step ${where.nameStep} (renamed, or its header edited)`)
  }
  if (where.manifest === undefined) return Result.succeed(checkpoint)
  if (checkpoint.rng.rootSeed !== where.manifest.rootSeed) {
    return fail("rng.rootSeed", `its root seed is ${checkpoint.rng.rootSeed}, the run's manifest says ${where.manifest.rootSeed} (a checkpoint of another run?)`)
  }
  const resumable = new Set<string>(RESUMABLE_FIELDS)
  const diffs = valueDifferences(where.manifest.config, checkpoint.config).filter((d) => !resumable.has(d.path.split(/[.[]/)[0]!))
  if (diffs.length > 0) {
    const listed = diffs.slice(0, 4).map((d) => `config.${d.path}: manifest ${show(d.left)}, checkpoint ${show(d.right)}`).join("; ")
    return fail(`config.${diffs[0]!.path}`, `its config differs from the run's manifest (${listed}${diffs.length > 4 ? `; ${diffs.length - 4} more` : ""}): a checkpoint of another run?`)
  }
  return Result.succeed(checkpoint)
}
