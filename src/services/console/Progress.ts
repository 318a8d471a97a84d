import { Context, Effect, Layer, Ref } from "effect"

/** A snapshot of a long task: how far along, and a short line of its own figures. */
export interface ProgressUpdate {
  readonly done: number
  readonly total: number
  readonly detail: string
  /**
   * An estimate of seconds per item from earlier work (for example the median wall time of the
   * cells an interrupted study already finished, divided by its runners), used for the ETA until
   * this task has finished an item of its own. Seconds; ignored unless finite and positive.
   */
  readonly priorSecondsPerItem?: number
}

/**
 * Progress of long work (training, sweeps, grids). The service measures rate and ETA itself, so
 * programs only say how far they are. On a terminal it redraws one status line; elsewhere (CI,
 * a log file) it prints a line at most every `intervalSeconds`.
 */
export class Progress extends Context.Service<Progress, {
  readonly update: (task: string, update: ProgressUpdate) => Effect.Effect<void>
  readonly finish: (task: string, summary: string) => Effect.Effect<void>
}>()("hyperlayers/Progress") {
  /** Progress that goes nowhere (tests, embedding): {@link silentProgressLayer}. */
  static get layerSilent(): Layer.Layer<Progress> {
    return silentProgressLayer
  }
  /** One redrawn line on a terminal, a line every 10 s elsewhere: {@link terminalProgressLayer}. */
  static get layerTerminal(): Layer.Layer<Progress> {
    return terminalProgressLayer
  }
}

/** `1h05m`, `3m07s`, `42s`; `?` for a duration that is not finite. */
export const formatDuration = (seconds: number): string => {
  if (!Number.isFinite(seconds)) return "?"
  const s = Math.round(seconds)
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  return h > 0 ? `${h}h${String(m).padStart(2, "0")}m` : m > 0 ? `${m}m${String(s % 60).padStart(2, "0")}s` : `${s}s`
}

interface TaskClock {
  readonly started: number
  readonly startDone: number
  lastPrinted: number
}

/**
 * `task 1200/5000 (24%) 3.10/s ETA 20m26s | detail`, or `study 36/57 (63%) 5m40s each ETA 1h59m` for
 * slow work; no speed before the first item. The rate is this task's own (items done since
 * it started over the seconds elapsed); before its first item the ETA comes from
 * `priorSecondsPerItem` when given, and is `?` otherwise.
 */
export const progressLine = (task: string, u: ProgressUpdate, elapsedSeconds: number, doneSinceStart: number): string => {
  const rate = elapsedSeconds > 0 ? doneSinceStart / elapsedSeconds : 0
  const prior = u.priorSecondsPerItem !== undefined && Number.isFinite(u.priorSecondsPerItem) && u.priorSecondsPerItem > 0 ? u.priorSecondsPerItem : undefined
  const eta = u.done >= u.total ? 0 : rate > 0 ? (u.total - u.done) / rate : prior !== undefined ? Math.max(0, (u.total - u.done) * prior - elapsedSeconds) : Infinity
  const pct = u.total > 0 ? Math.floor((100 * u.done) / u.total) : 0
  // slow work (a study's cells, minutes each) reads better as time per item than as items per second
  const speed = rate <= 0 ? "" : rate >= 10 ? `${rate.toFixed(0)}/s ` : rate >= 0.1 ? `${rate.toFixed(2)}/s ` : `${formatDuration(1 / rate)} each `
  return `${task} ${u.done}/${u.total} (${pct}%) ${speed}ETA ${formatDuration(eta)}${u.detail ? ` | ${u.detail}` : ""}`
}

const make = (write: (line: string, final: boolean) => void, intervalSeconds: number) =>
  Effect.gen(function* () {
    const clocks = yield* Ref.make(new Map<string, TaskClock>())
    const now = () => performance.now() / 1000
    return Progress.of({
      update: (task, u) => Effect.flatMap(Ref.get(clocks), (m) => Effect.sync(() => {
        let c = m.get(task)
        if (c === undefined) {
          c = { started: now(), startDone: u.done, lastPrinted: -Infinity }
          m.set(task, c)
        }
        const t = now()
        if (t - c.lastPrinted < intervalSeconds && u.done < u.total) return
        c.lastPrinted = t
        write(progressLine(task, u, t - c.started, u.done - c.startDone), false)
      })),
      finish: (task, summary) => Effect.flatMap(Ref.get(clocks), (m) => Effect.sync(() => {
        const c = m.get(task)
        m.delete(task)
        write(`${task} done${c === undefined ? "" : ` in ${formatDuration(now() - c.started)}`}${summary ? ` | ${summary}` : ""}`, true)
      }))
    })
  })

/** One redrawn line on a terminal (stderr), a plain line every 10 s otherwise. */
export const terminalProgressLayer: Layer.Layer<Progress> = Layer.effect(Progress, process.stderr.isTTY
  ? make((line, final) => process.stderr.write(`\r\x1b[2K${line.slice(0, (process.stderr.columns ?? 120) - 1)}${final ? "\n" : ""}`), 0.1)
  : make((line) => process.stderr.write(`${line}\n`), 10))

/** Progress that goes nowhere, for tests and embedding. */
export const silentProgressLayer: Layer.Layer<Progress> = Layer.succeed(Progress, Progress.of({ update: () => Effect.void, finish: () => Effect.void }))
