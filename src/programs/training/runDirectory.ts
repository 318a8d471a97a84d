import { Effect } from "effect"
import { RunError } from "../../core/base/schemas.js"
import { RunStore, type StoreError } from "../../services/store/index.js"

/** Names a writer of a run leaves there on its own: its lock and the lock's break file, and its temporary files. */
const OWN_NAMES = /^(writer\.lock(\.break)?|\..+\.\d+\.\d+\.tmp)$/
/** What a run keeps in `checkpoints/`: checkpoints, and temporaries of checkpoints being written. */
const CHECKPOINT_NAMES = /^(step-\d+\.ckpt|\.step-\d+\.ckpt\.\d+\.\d+\.tmp)$/

const MENTIONED = 6

/**
 * Check that a new run may be written into `runDir`: it does not exist, is empty (but for what a
 * writer of a run leaves: its lock, temporaries, a folder of checkpoints), or holds a run of this
 * tool (a `manifest.json` whose `format` is `hyperlayers-run`). A directory that holds
 * anything else, a `manifest.json` or `metrics.jsonl` of something else included, is refused with
 * a {@link RunError} naming what is there: nothing in it is overwritten.
 */
export const checkNewRunDirectory = (runDir: string): Effect.Effect<void, RunError | StoreError, RunStore> => Effect.gen(function* () {
  const store = yield* RunStore
  const checkpoints = store.join(runDir, "checkpoints")
  // a checkpoints folder of this tool's own runs (its checkpoints are looked at next, by train)
  const ownCheckpoints = (yield* store.listDirectory(runDir)).includes("checkpoints") &&
    (yield* store.listDirectory(checkpoints).pipe(Effect.orElseSucceed((): ReadonlyArray<string> => ["?"]))).every((n) => CHECKPOINT_NAMES.test(n))
  const names = (yield* store.listDirectory(runDir)).filter((n) => !OWN_NAMES.test(n) && !(n === "checkpoints" && ownCheckpoints)).sort()
  if (names.length === 0) return
  const manifest = store.join(runDir, "manifest.json")
  const ours = yield* store.readText(manifest).pipe(
    Effect.map((text) => {
      try {
        const parsed: unknown = JSON.parse(text)
        return typeof parsed === "object" && parsed !== null && "format" in parsed && parsed.format === "hyperlayers-run"
      } catch {
        return false
      }
    }),
    Effect.orElseSucceed(() => false))
  if (ours) return
  const listed = names.slice(0, MENTIONED).join(", ") + (names.length > MENTIONED ? ` and ${names.length - MENTIONED} more` : "")
  return yield* new RunError({
    message: `${runDir} is not empty and holds no hyperlayers run (it has ${listed}): a new run is written only into a new or empty directory, ` +
      `or one of its own runs, and nothing of yours is overwritten: choose another --out`
  })
})
