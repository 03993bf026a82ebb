import type { InsightsClient } from '../../../src/insights/types.js'

/** 2026-01-15T12:00:00Z, as the emulator's tests use. */
export const T0 = Date.UTC(2026, 0, 15, 12, 0, 0)

/**
 * Simulated time for code with several concurrent tasks: `sleep` registers a timer, and the clock jumps
 * to the earliest timer only once every task is waiting — no request in flight (wrap the client with
 * `client()`) and no promise continuation left to run (checked with setImmediate, which runs after
 * the microtask queue drains). Time stands still while the emulator answers, as it would for a fast
 * network, so the emulator (given `now`) and the code under test see the same clock.
 */
export class VirtualClock {
  #now: number
  readonly #timers: Array<{ at: number; seq: number; resolve: () => void }> = []
  #seq = 0
  #inFlight = 0
  #scheduled = false
  /** Every sleep asked for, in order: [time asked, ms]. */
  readonly sleeps: Array<[number, number]> = []

  constructor(start = T0) {
    this.#now = start
  }

  readonly now = (): number => this.#now

  readonly sleep = (ms: number): Promise<void> => {
    this.sleeps.push([this.#now, ms])
    return new Promise<void>((resolve) => {
      this.#timers.push({ at: this.#now + Math.max(0, ms), seq: this.#seq++, resolve })
      this.#kick()
    })
  }

  /** The client, with time held still while each of its requests is in flight. */
  client(inner: InsightsClient): InsightsClient {
    const send = (command: unknown): Promise<unknown> => {
      this.#inFlight += 1
      const sent = (inner.send as (c: unknown) => Promise<unknown>)(command)
      return sent.finally(() => {
        this.#inFlight -= 1
        this.#kick()
      })
    }
    return { send } as InsightsClient
  }

  #kick(): void {
    if (this.#scheduled) return
    this.#scheduled = true
    setImmediate(() => {
      this.#scheduled = false
      this.#advance()
    })
  }

  #advance(): void {
    if (this.#inFlight > 0 || this.#timers.length === 0) return
    const at = Math.min(...this.#timers.map((timer) => timer.at))
    this.#now = Math.max(this.#now, at)
    const due = this.#timers.filter((timer) => timer.at <= this.#now).sort((a, b) => a.seq - b.seq)
    for (const timer of due) this.#timers.splice(this.#timers.indexOf(timer), 1)
    for (const timer of due) timer.resolve()
    this.#kick()
  }
}

/** The largest number of `times` inside any window [t, t + windowMs). */
export function maxInWindow(times: readonly number[], windowMs = 1000): number {
  const sorted = [...times].sort((a, b) => a - b)
  let best = 0
  let from = 0
  for (let to = 0; to < sorted.length; to++) {
    while ((sorted[to] as number) - (sorted[from] as number) >= windowMs) from += 1
    best = Math.max(best, to - from + 1)
  }
  return best
}
