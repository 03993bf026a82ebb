/**
 * Staying inside CloudWatch Logs' request quotas, and backing off when the service says we did not:
 * a shared request-rate limiter, full-jitter backoff and retries for throttling errors, and a small
 * pool that caps how many queries run at once.
 */

/** The clock this module waits on: tests pass a fake one. */
export interface Clock {
  /** Epoch milliseconds. */
  now: () => number
  sleep: (ms: number) => Promise<void>
}

/**
 * GetQueryResults (and StartQuery, StopQuery) allow 5 requests a second per account; the quota cannot
 * be raised. Not on an official page retrieved: gogama/incite `RPSQuotaLimits` ("as documented in the
 * AWS service limits system") and incite issue #14 ("The service quota limit for GetQueryResults is
 * 5 TPS and this value cannot be increased").
 */
const REQUESTS_PER_SECOND = 5

/** Full-jitter backoff after a throttling error: the first wait is up to 1 s, doubling … */
export const THROTTLE_BACKOFF_BASE_MS = 1000
/** … up to 20 s, the AWS SDK's own maximum retry delay (smithy `util-retry` MAXIMUM_RETRY_DELAY). */
export const THROTTLE_BACKOFF_CAP_MS = 20_000

/**
 * Error codes that mean "slow down". The SDK's standard retry strategy already retries these (smithy
 * `service-error-classification` THROTTLING_ERROR_CODES lists them, LimitExceededException
 * included), so by the time one reaches us its own attempts are spent. For StartQuery,
 * LimitExceededException means the account's concurrent-query quota (100, dashboards and scheduled
 * queries included: StartQuery API doc) is in use.
 */
const THROTTLING_CODES = new Set([
  'ThrottlingException',
  'LimitExceededException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'Throttling',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
])

/** The AWS error code of an SDK error (`error.name` is the `__type` of the JSON error), if any. */
export function errorCode(error: unknown): string | undefined {
  const name = (error as { name?: unknown } | null)?.name
  return typeof name === 'string' ? name : undefined
}

export function isThrottlingError(error: unknown): boolean {
  const code = errorCode(error)
  return code !== undefined && THROTTLING_CODES.has(code)
}

/**
 * How long to wait before retry number `attempt + 1` after a throttling error: "full jitter", a
 * uniformly random wait between 0 and min(cap, base · 2^attempt) (AWS Architecture Blog, "Exponential
 * Backoff And Jitter", 2015). Random waits spread many throttled callers apart instead of having them
 * retry in lockstep.
 */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(THROTTLE_BACKOFF_CAP_MS, THROTTLE_BACKOFF_BASE_MS * 2 ** Math.max(0, attempt))
  return Math.floor(Math.min(Math.max(random(), 0), 1) * ceiling)
}

/**
 * Retrying a request while the service throttles it: full-jitter backoff between the tries, for as
 * long as each wait ends before `deadline`. It counts throttling errors in a row: a request sent
 * through `send` that goes through starts the count again.
 */
export class ThrottleRetry {
  #throttled = 0

  constructor(
    private readonly clock: Pick<Clock, 'now'>,
    private readonly deadline: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** Throttling errors in a row, the last one included. */
  get throttled(): number {
    return this.#throttled
  }

  /**
   * After a failed request: how long to wait before sending it again, or undefined when it is not to
   * be sent again — `error` is not a throttling error, or the wait would not end before the deadline.
   */
  retryAfter(error: unknown): number | undefined {
    if (!isThrottlingError(error)) return undefined
    const wait = backoffDelay(this.#throttled, this.random)
    this.#throttled += 1
    return this.clock.now() + wait < this.deadline ? wait : undefined
  }

  /** Sends a request; when it goes through, the next throttling error starts the backoff again. */
  async send<T>(request: () => Promise<T>): Promise<T> {
    const response = await request()
    this.#throttled = 0
    return response
  }
}

/**
 * At most `limit` requests in any `intervalMs`: a sliding-window log of the last grants, handed out
 * first come, first served. Stricter than a token bucket of the same rate (which allows a burst of
 * `limit` right after a full second of `limit`), so no window of one second ever sees more than
 * `limit` calls whatever the service's own bucket looks like.
 */
export class RateLimiter {
  readonly #grants: number[] = []
  #queue: Promise<void> = Promise.resolve()

  constructor(
    readonly limit: number,
    readonly intervalMs: number,
    private readonly clock: Clock,
  ) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`RateLimiter limit must be ≥ 1, got ${limit}`)
  }

  /** Resolves when one more request fits; callers are served in the order they asked. */
  take(): Promise<void> {
    const turn = this.#queue.then(() => this.#next())
    this.#queue = turn.catch(() => undefined)
    return turn
  }

  async #next(): Promise<void> {
    for (;;) {
      const now = this.clock.now()
      while (this.#grants.length > 0 && (this.#grants[0] as number) <= now - this.intervalMs) {
        this.#grants.shift()
      }
      if (this.#grants.length < this.limit) {
        this.#grants.push(now)
        return
      }
      await this.clock.sleep((this.#grants[0] as number) + this.intervalMs - now)
    }
  }
}

/** The per-account request quotas one run shares between all of its queries. */
export interface RequestLimits {
  startQuery: RateLimiter
  getQueryResults: RateLimiter
}

export function createRequestLimits(clock: Clock): RequestLimits {
  return {
    startQuery: new RateLimiter(REQUESTS_PER_SECOND, 1000, clock),
    getQueryResults: new RateLimiter(REQUESTS_PER_SECOND, 1000, clock),
  }
}

/** Thrown by `Pool.acquire` when the signal aborts while waiting. */
export class AbortedError extends Error {
  constructor() {
    super('aborted')
    this.name = 'AbortedError'
  }
}

/** The waits pending on one signal, and the one abort listener that serves them all. */
interface AbortWaits {
  callbacks: Set<() => void>
  listener: () => void
}

const abortWaits = new WeakMap<AbortSignal, AbortWaits>()

/**
 * Sleeps `ms` with `sleep`, but wakes as soon as `signal` aborts, so a cancelled run stops waiting
 * at once (a query's poll, Slack's retry pause). One listener per signal serves every pause (onAbort).
 */
export async function pauseUnlessAborted(
  sleep: (ms: number) => Promise<void>,
  ms: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  if (!signal) return sleep(ms)
  if (signal.aborted) return
  let stopWaiting = () => {}
  const aborted = new Promise<void>((resolve) => {
    stopWaiting = onAbort(signal, resolve)
  })
  try {
    await Promise.race([sleep(ms), aborted])
  } finally {
    stopWaiting()
  }
}

/**
 * Calls `callback` when `signal` aborts (at once if it already has); the returned function ends the
 * wait, and must be called when whatever waited is over, aborted or not. However many waits are
 * pending on a signal, it carries one abort listener, added with the first wait and removed with the
 * last: a run's queries, their poll delays and the pool's waiters all share one signal, and one
 * listener per wait would have dozens on it when a split queues many parts (Node warns past 10,
 * MaxListenersExceededWarning). Callbacks run in the order their waits began.
 */
export function onAbort(signal: AbortSignal, callback: () => void): () => void {
  if (signal.aborted) {
    callback()
    return () => {}
  }
  let waits = abortWaits.get(signal)
  if (!waits) {
    const callbacks = new Set<() => void>()
    const listener = () => {
      abortWaits.delete(signal)
      for (const pending of [...callbacks]) pending()
      callbacks.clear()
    }
    waits = { callbacks, listener }
    abortWaits.set(signal, waits)
    signal.addEventListener('abort', listener, { once: true })
  }
  const entry = () => callback()
  const { callbacks, listener } = waits
  callbacks.add(entry)
  return () => {
    if (!callbacks.delete(entry) || callbacks.size > 0) return
    if (abortWaits.get(signal)?.callbacks === callbacks) abortWaits.delete(signal)
    signal.removeEventListener('abort', listener)
  }
}

/** At most `size` holders at once; waiters are served first come, first served. */
export class Pool {
  #free: number
  readonly #waiting: Array<{ grant: () => void }> = []

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1)
      throw new Error(`Pool size must be a whole number ≥ 1, got ${size}`)
    this.#free = size
  }

  /** Resolves with the release function once a place is free; rejects if the signal aborts first. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(new AbortedError())
    return new Promise((resolve, reject) => {
      let released = false
      const release = () => {
        if (released) return
        released = true
        const next = this.#waiting.shift()
        if (next) next.grant()
        else this.#free += 1
      }
      if (this.#free > 0) {
        this.#free -= 1
        resolve(release)
        return
      }
      let stopWaiting = () => {}
      const waiter = {
        grant: () => {
          stopWaiting()
          resolve(release)
        },
      }
      this.#waiting.push(waiter)
      // Only a waiter listens for the abort, and stops listening once granted.
      if (signal) {
        stopWaiting = onAbort(signal, () => {
          const index = this.#waiting.indexOf(waiter)
          if (index >= 0) this.#waiting.splice(index, 1)
          reject(new AbortedError())
        })
      }
    })
  }
}
