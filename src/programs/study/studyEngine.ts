import * as NodeCrypto from "@effect/platform-node/NodeCrypto"
import { PgClient } from "@effect/sql-pg"
import { Cause, Duration, Effect, Exit, Layer, Option, Redacted, Ref, References, Result, Schema } from "effect"
import { ClusterWorkflowEngine, RunnerAddress, RunnerHealth, Runners, Sharding, ShardingConfig, SqlMessageStorage, SqlRunnerStorage } from "effect/cluster"
import { PersistedQueue } from "effect/persistence"
import { SqlClient } from "effect/sql"
import { Activity, DurableDeferred, DurableQueue, Workflow } from "effect/workflow"
import { CellExecution, CellResult, noCellResults } from "../../core/study/schemas.js"
import { maskDatabaseUrl } from "../../core/study/schemas.js"
import { causeMessage } from "../../core/base/schemas.js"
import { DatabaseError } from "../../services/study/index.js"
import { StorageFault } from "../../services/store/index.js"
import { StudyCell } from "../../core/study/schemas.js"

/**
 * The study engine: every cell of a study is a durable workflow execution of Effect's own workflow
 * engine running on Effect's cluster (`effect/cluster` Sharding with SQL message and runner
 * storage), and each attempt at a cell is an item of a durable queue (`effect/workflow`
 * DurableQueue over `effect/persistence` PersistedQueue's SQL store) that runners take when they
 * are free. All state lives in one PostgreSQL database:
 *
 * - the **study process** is the single cluster runner that hosts the cells' workflows: it starts
 *   them, retries failed attempts, writes each result once and collects them;
 * - **runners** (any number, on any machine that reaches the database) are cluster clients that
 *   take queued attempts one at a time, run them with a {@link CellRunner}, and complete the
 *   workflow's durable deferred with the result.
 *
 * A runner that dies mid-cell stops renewing its claim; after the lease another runner takes the
 * attempt again. Everything is keyed by the cell id, and results are written once, so an attempt
 * that runs twice does no harm. Nothing here knows what a cell computes: that is the CellRunner.
 */

/** An attempt at a cell failed; `kind` says whether the cell itself failed or its runners kept dying. */
export class CellFailure extends Schema.TaggedError<CellFailure>()("CellFailure", {
  message: Schema.String,
  kind: Schema.Literals(["error", "runner-died"]),
  execution: Schema.NullOr(CellExecution)
}) {}

/** One attempt at a cell, as queued for the runners. */
export const CellTask = Schema.Struct({ cell: StudyCell, attempt: Schema.Int, retries: Schema.Int })
export type CellTask = typeof CellTask.Type

export const CellQueue = DurableQueue.make({
  name: "hyperlayers/cells",
  payload: CellTask,
  success: CellResult,
  error: CellFailure,
  idempotencyKey: (t) => `${t.cell.id}/${t.attempt}`
})

/** The workflow of one cell; its execution id is derived from the cell id alone. */
export const CellWorkflow = Workflow.make("hyperlayers/StudyCell", {
  payload: { cell: StudyCell, retries: Schema.Int },
  success: CellResult,
  idempotencyKey: ({ cell }) => cell.id
})

/**
 * What a runner does with a cell: compute its result, or fail with a {@link CellFailure} (the
 * cell's), or with a {@link StorageFault} when the runner cannot write its own files (a full disk:
 * no fault of the cell's; the attempt goes back to the queue and the runner stops).
 * `deliveries` is how many times this attempt has been taken (above 1 after a runner died).
 */
export type CellRunner<R> = (cell: StudyCell, context: { readonly attempt: number; readonly deliveries: number }) => Effect.Effect<CellResult, CellFailure | StorageFault, R>

/** How the engine's processes keep time; all processes of a study must agree. */
export interface EngineTiming {
  /**
   * Seconds a runner's claim on an attempt lasts without renewal: a runner that dies mid-cell
   * delays that cell by this much. Renewed every quarter of it.
   */
  readonly leaseSeconds: number
}
export const defaultTiming: EngineTiming = { leaseSeconds: 30 }

const SHARDS = 300
const STUDY_RUNNER = RunnerAddress.make("hyperlayers-study", 1)

const queueStore = (timing: EngineTiming) => PersistedQueue.layerStoreSql({
  pollInterval: Duration.millis(Math.min(1000, timing.leaseSeconds * 250)),
  lockRefreshInterval: Duration.millis(timing.leaseSeconds * 250),
  lockExpiration: Duration.seconds(timing.leaseSeconds)
})

/**
 * Sharding without sockets: messages between the study and runners go through SQL storage (the
 * study polls it every half second), so a runner needs nothing but the database.
 */
const cluster = (host: boolean) => Sharding.layer.pipe(
  Layer.provideMerge(Runners.layerNoop),
  Layer.provideMerge(SqlMessageStorage.layer),
  Layer.provide([Layer.orDie(SqlRunnerStorage.layer), RunnerHealth.layerNoop]),
  Layer.provide(ShardingConfig.layer({
    runnerAddress: host ? Option.some(STUDY_RUNNER) : Option.none(),
    shardsPerGroup: SHARDS,
    entityMessagePollInterval: Duration.millis(500),
    entityReplyPollInterval: Duration.millis(500),
    // a cell's workflow waits on the database (a durable deferred): when the study stops it is
    // suspended at once, unless the database is gone, and then waiting longer does not help
    entityTerminationTimeout: Duration.seconds(3)
  })),
  Layer.provide(NodeCrypto.layerDigest),
  // the study process hosts the workflows and nothing else: the cluster's own warnings there
  // (e.g. "No healthy runners available" as it shuts down after the last cell) say nothing to a user
  Layer.provide(host ? Layer.succeed(References.MinimumLogLevel, "Error") : Layer.empty)
)

/**
 * The workflow engine and the durable queue, for the study process (`host`, which runs the cells'
 * workflows) or a runner (a cluster client). Needs a SqlClient.
 */
export const engineLayer = (host: boolean, timing: EngineTiming = defaultTiming) => Layer.mergeAll(
  ClusterWorkflowEngine.layer.pipe(Layer.provideMerge(cluster(host))),
  PersistedQueue.layer.pipe(Layer.provide(Layer.orDie(queueStore(timing))))
)

/** A PostgreSQL client for the engine; the URL (and any password in it) stays redacted. */
export const databaseLayer = (url: Redacted.Redacted<string>, maxConnections = 8) =>
  PgClient.layer({ url, maxConnections, applicationName: "hyperlayers" })

/**
 * Connect to the study database once and run `SELECT 1`: a database that cannot be reached is a
 * {@link DatabaseError} saying which (password masked) and why, before the engine starts (whose
 * storage layers would otherwise die with "PgConnection: Failed to connect" and nothing more).
 */
export const checkDatabase = (url: Redacted.Redacted<string>): Effect.Effect<void, DatabaseError> =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    yield* sql`SELECT 1`
  }).pipe(
    Effect.provide(databaseLayer(url, 1)),
    Effect.scoped,
    Effect.catchCause((cause) => {
      // the driver's reason (e.g. ECONNREFUSED) is the last of the chain of causes
      const why = causeMessage(cause) || "no reason given"
      return Effect.fail(new DatabaseError({ message: `cannot reach the study database ${maskDatabaseUrl(Redacted.value(url))}: ${why}` }))
    })
  )

/** The result recorded for a cell whose attempts all failed. */
const failedResult = (cell: StudyCell, failure: CellFailure): CellResult => ({
  id: cell.id, study: cell.study, arm: cell.arm, seed: cell.seed, config: cell.config, experiments: cell.experiments,
  status: "failed", error: failure.message, training: null, ...noCellResults,
  execution: failure.execution
})

/**
 * Register the cell workflow in the study process: attempt the cell up to `retries + 1` times
 * (an attempt whose runners kept dying is not attempted again), then `save` the result once (an
 * activity: a replayed workflow does not save again) and return it.
 */
export const cellWorkflowLayer = <R>(save: (result: CellResult) => Effect.Effect<void, never, R>) =>
  CellWorkflow.toLayer(Effect.fnUntraced(function* ({ cell, retries }) {
    let failure: CellFailure | undefined
    let result: CellResult | undefined
    for (let attempt = 1; attempt <= retries + 1 && result === undefined; attempt++) {
      const r = yield* Effect.result(DurableQueue.process(CellQueue, { cell, attempt, retries }))
      if (Result.isSuccess(r)) result = r.success
      else {
        failure = r.failure
        if (failure.kind === "runner-died") break
      }
    }
    const final = result ?? failedResult(cell, failure!)
    yield* Activity.make({ name: "save-result", execute: save(final) })
    return final
  }))

/** What the durable queue stores per item (DurableQueue's own item layout). */
const QueueItem = Schema.Struct({
  token: DurableDeferred.Token,
  traceId: Schema.String,
  spanId: Schema.String,
  sampled: Schema.Boolean,
  payload: CellQueue.payloadSchema
})

/**
 * A runner's loop: take one attempt at a time from the queue, run it, and complete its workflow's
 * durable deferred with the result or the failure. (DurableQueue's own worker, plus the delivery
 * count: an attempt taken more than `retries + 1` times, because its runners kept dying, is
 * reported failed instead of being run again.) Runs until interrupted; an interrupted attempt goes
 * back to the queue without counting as a delivery. An attempt that ends in a {@link StorageFault}
 * goes back the same way, uncounted and unrecorded, and the loop stops with that fault.
 */
export const runCellWorker = <R>(run: CellRunner<R>) => Effect.gen(function* () {
  const queue = yield* PersistedQueue.make({ name: `DurableQueue/${CellQueue.name}`, schema: QueueItem, maxAttempts: 1_000_000 })
  const fault = yield* Ref.make<StorageFault | undefined>(undefined)
  const takeOne = queue.take((item, { attempts }) => {
    const task = item.payload
    const outcome = attempts > task.retries + 1
      ? Effect.fail(new CellFailure({
        kind: "runner-died", execution: null,
        message: `runners died while running this cell ${attempts - 1} times (killed, or out of memory); not trying again`
      }))
      : run(task.cell, { attempt: task.attempt, deliveries: attempts })
    return outcome.pipe(Effect.exit, Effect.flatMap((exit) => {
      if (Exit.isFailure(exit)) {
        const storage = exit.cause.reasons.find((r) => Cause.isFailReason(r) && r.error instanceof StorageFault)
        // ending the take as interrupted gives the item back to the queue, its delivery uncounted
        if (storage !== undefined && Cause.isFailReason(storage)) return Effect.andThen(Ref.set(fault, storage.error as StorageFault), Effect.interrupt)
      }
      return DurableDeferred.done(CellQueue.deferred, { token: item.token, exit: exit as Exit.Exit<CellResult, CellFailure> })
    }))
  })
  const once = takeOne.pipe(
    Effect.exit,
    Effect.flatMap((exit) => Effect.gen(function* () {
      const stopped = yield* Ref.get(fault)
      if (stopped !== undefined) return yield* Effect.fail(stopped)
      if (Exit.isSuccess(exit)) return
      if (Cause.hasInterruptsOnly(exit.cause)) return yield* Effect.failCause(exit.cause as Cause.Cause<never>)
      yield* Effect.logWarning("a cell could not be taken or completed", exit.cause)
    }))
  )
  return yield* Effect.forever(once)
})

/** How many attempts runners hold right now (claimed, lease not expired); `undefined` if unknown. */
export const runningCells = (timing: EngineTiming = defaultTiming): Effect.Effect<number | undefined, never, SqlClient.SqlClient> =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{ n: number }>`
      SELECT COUNT(*)::int AS n FROM effect_queue
      WHERE queue_name = ${`DurableQueue/${CellQueue.name}`} AND state = 'pending' AND acquired_at IS NOT NULL
      AND acquired_at > NOW() - make_interval(secs => ${timing.leaseSeconds})`
    return rows[0]?.n
  }).pipe(Effect.orElseSucceed(() => undefined))
