import { getEventListeners } from 'node:events'
import { describe, expect, it } from 'vitest'
import { runBatchedQuery } from '../../../src/insights/batches.js'
import { fetchPages } from '../../../src/insights/pages.js'
import { completeQuery } from '../../../src/insights/poll.js'
import { QueryError } from '../../../src/insights/query-errors.js'
import {
  AbortedError,
  backoffDelay,
  isThrottlingError,
  onAbort,
  Pool,
  RateLimiter,
  THROTTLE_BACKOFF_BASE_MS,
  THROTTLE_BACKOFF_CAP_MS,
  ThrottleRetry,
} from '../../../src/insights/throttle.js'
import type { InsightsQuery } from '../../../src/insights/types.js'
import { collector, type FakeEvent, FakeLogs, type FakeLogsOptions, throttle } from './fake-logs.js'
import { maxInWindow, T0, VirtualClock } from './virtual-clock.js'

const S = T0 / 1000

describe('backoffDelay', () => {
  it('is full jitter: anywhere from 0 to base · 2^attempt, capped at 20 s', () => {
    expect(backoffDelay(0, () => 0)).toBe(0)
    expect(backoffDelay(0, () => 0.999_999)).toBe(THROTTLE_BACKOFF_BASE_MS - 1)
    expect(backoffDelay(3, () => 0.5)).toBe(4000)
    expect(backoffDelay(4, () => 0.999_999)).toBe(15_999)
    expect(backoffDelay(5, () => 0.999_999)).toBe(THROTTLE_BACKOFF_CAP_MS - 1)
    expect(backoffDelay(50, () => 0.999_999)).toBe(THROTTLE_BACKOFF_CAP_MS - 1)
    for (let i = 0; i < 200; i++) {
      const delay = backoffDelay(2)
      expect(delay).toBeGreaterThanOrEqual(0)
      expect(delay).toBeLessThan(4000)
    }
  })
})

describe('isThrottlingError', () => {
  it('knows the codes that mean slow down, and nothing else', () => {
    expect(isThrottlingError(throttle('ThrottlingException'))).toBe(true)
    expect(isThrottlingError(throttle('LimitExceededException'))).toBe(true)
    expect(isThrottlingError(throttle('MalformedQueryException'))).toBe(false)
    expect(isThrottlingError(new Error('LimitExceededException'))).toBe(false)
    expect(isThrottlingError(undefined)).toBe(false)
  })
})

describe('ThrottleRetry', () => {
  it('backs off from throttling errors only, while the wait ends before the deadline, and starts again after a success', async () => {
    let now = 0
    const retry = new ThrottleRetry({ now: () => now }, 5000, () => 0.999_999)
    expect(retry.retryAfter(new Error('Service unavailable'))).toBeUndefined()
    expect(retry.throttled).toBe(0)
    expect(retry.retryAfter(throttle('ThrottlingException'))).toBe(999)
    expect(retry.retryAfter(throttle('LimitExceededException'))).toBe(1999)
    expect(retry.throttled).toBe(2)
    now = 1500
    // 1500 + 3999 would reach the deadline.
    expect(retry.retryAfter(throttle('ThrottlingException'))).toBeUndefined()
    expect(retry.throttled).toBe(3)
    await expect(retry.send(() => Promise.reject(throttle('ThrottlingException')))).rejects.toThrow()
    expect(retry.throttled).toBe(3)
    expect(await retry.send(async () => 'sent')).toBe('sent')
    expect(retry.throttled).toBe(0)
    expect(retry.retryAfter(throttle('ThrottlingException'))).toBe(999)
  })
})

describe('RateLimiter', () => {
  it('grants at most 5 in any second, first come first served', async () => {
    const clock = new VirtualClock()
    const limiter = new RateLimiter(5, 1000, clock)
    const grants: Array<[number, number]> = []
    await Promise.all(
      Array.from({ length: 12 }, (_, i) => limiter.take().then(() => grants.push([i, clock.now() - T0]))),
    )
    expect(grants.map(([i]) => i)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])
    expect(grants.map(([, at]) => at)).toEqual([0, 0, 0, 0, 0, 1000, 1000, 1000, 1000, 1000, 2000, 2000])
    expect(maxInWindow(grants.map(([, at]) => at))).toBe(5)
  })
})

describe('Pool', () => {
  it('lets `size` holders in, then the next waiter as each leaves, in order; abort drops a waiter', async () => {
    const pool = new Pool(2)
    const order: string[] = []
    const a = await pool.acquire()
    const b = await pool.acquire()
    const controller = new AbortController()
    const c = pool.acquire().then((release) => {
      order.push('c')
      return release
    })
    const dropped = pool.acquire(controller.signal).catch((error: unknown) => error)
    const e = pool.acquire().then((release) => {
      order.push('e')
      return release
    })
    controller.abort()
    expect(await dropped).toBeInstanceOf(AbortedError)
    a()
    await c
    expect(order).toEqual(['c'])
    b()
    await e
    expect(order).toEqual(['c', 'e'])
    expect(() => new Pool(0)).toThrow()
  })

  it('keeps one abort listener on a signal however many wait, and none once they are served', async () => {
    const pool = new Pool(1)
    const controller = new AbortController()
    const listeners = () => getEventListeners(controller.signal, 'abort').length
    const first = await pool.acquire(controller.signal)
    expect(listeners()).toBe(0) // served at once: never listened
    const order: number[] = []
    const waiters = Array.from({ length: 50 }, (_, i) =>
      pool.acquire(controller.signal).then((release) => {
        order.push(i)
        release()
      }),
    )
    expect(listeners()).toBe(1)
    first()
    await Promise.all(waiters)
    expect(order).toEqual(Array.from({ length: 50 }, (_, i) => i))
    expect(listeners()).toBe(0)
  })

  it('on abort rejects every waiter on the signal, in order, and leaves no listener', async () => {
    const pool = new Pool(1)
    const controller = new AbortController()
    const held = await pool.acquire(controller.signal)
    const order: number[] = []
    const waiters = Array.from({ length: 20 }, (_, i) =>
      pool.acquire(controller.signal).catch((error: unknown) => {
        order.push(i)
        return error
      }),
    )
    const other = pool.acquire() // no signal: stays queued
    controller.abort()
    for (const error of await Promise.all(waiters)) expect(error).toBeInstanceOf(AbortedError)
    expect(order).toEqual(Array.from({ length: 20 }, (_, i) => i))
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0)
    held()
    ;(await other)()
  })
})

describe('onAbort', () => {
  it('shares one listener between waits, removes it with the last, and calls back in order', () => {
    const controller = new AbortController()
    const listeners = () => getEventListeners(controller.signal, 'abort').length
    const calls: string[] = []
    const stops = ['a', 'b', 'c'].map((name) => onAbort(controller.signal, () => calls.push(name)))
    expect(listeners()).toBe(1)
    for (const stop of stops) stop()
    expect(listeners()).toBe(0)

    const stopA = onAbort(controller.signal, () => calls.push('a'))
    onAbort(controller.signal, () => calls.push('b'))
    const stopC = onAbort(controller.signal, () => calls.push('c'))
    stopA()
    stopA() // twice is harmless
    expect(listeners()).toBe(1)
    controller.abort()
    expect(calls).toEqual(['b', 'c'])
    expect(listeners()).toBe(0)
    stopC() // after the abort: harmless

    onAbort(controller.signal, () => calls.push('late'))
    expect(calls).toEqual(['b', 'c', 'late'])
    expect(listeners()).toBe(0)
  })
})

const query = (overrides: Partial<InsightsQuery> = {}): InsightsQuery => ({
  logGroups: ['/g'],
  queryString: 'fields @timestamp, @message',
  queryLanguage: 'CWLI',
  window: { start: S, end: S + 59 },
  ...overrides,
})

function setup(options: Partial<FakeLogsOptions> = {}, events: FakeEvent[] = []) {
  const clock = new VirtualClock()
  const logs = new FakeLogs(events, clock, { reading: 'whole', latencyMs: 500, ...options })
  const lines: string[] = []
  const deps = {
    client: logs.client,
    now: clock.now,
    sleep: clock.sleep,
    log: (line: string) => lines.push(line),
    timeoutMs: 60_000,
    random: () => 0.999_999,
  }
  return { clock, logs, lines, deps }
}

describe('StartQuery throttling', () => {
  it('backs off with jitter after LimitExceededException and ThrottlingException, then starts', async () => {
    const { logs, lines, deps, clock } = setup({
      startErrors: [
        throttle('LimitExceededException', 'Account maximum query concurrency limit of [100] reached.'),
        throttle('ThrottlingException'),
        throttle('LimitExceededException'),
      ],
    })
    const completed = await completeQuery(query(), deps)
    expect(completed.queryId).toBe('q-1')
    const starts = logs.ops('StartQuery').map((call) => call.at - T0)
    // Waits of just under 1 s, 2 s, 4 s (random ≈ 1): doubling from 1 s.
    expect(starts).toEqual([0, 999, 999 + 1999, 999 + 1999 + 3999])
    expect(lines.filter((line) => line.includes('StartQuery throttled'))).toHaveLength(3)
    expect(lines.some((line) => line.includes('LimitExceededException'))).toBe(true)
    expect(completed.startedAt).toBe(T0)
    expect(completed.deadline).toBe(T0 + 60_000)
    expect(clock.now() - T0).toBeLessThan(60_000)
  })

  it('gives up before query-timeout, naming the throttling and the query-timeout input', async () => {
    const errors = Array.from({ length: 100 }, () =>
      throttle('LimitExceededException', 'concurrency limit reached'),
    )
    const { logs, deps, clock } = setup({ startErrors: errors })
    const error = await completeQuery(query(), { ...deps, timeoutMs: 30_000 }).catch((e: unknown) => e)

    expect(error).toBeInstanceOf(QueryError)
    const failure = error as QueryError
    expect(failure.kind).toBe('throttled')
    expect(failure.message).toContain('StartQuery was throttled (LimitExceededException')
    expect(failure.message).toContain('query-timeout (30s)')
    expect(failure.message).toContain('concurrent Insights queries')
    expect(failure.queryId).toBeUndefined()
    // 1 + 2 + 4 + 8 + 16 s would pass 30 s: it stops after the 4th wait instead of sleeping past it.
    expect(logs.ops('StartQuery')).toHaveLength(5)
    expect(clock.now() - T0).toBeLessThan(30_000)
    expect(logs.ops('StopQuery')).toHaveLength(0)
  })

  it('does not retry errors that are not throttling', async () => {
    const { logs, deps } = setup({ startErrors: [throttle('AccessDeniedException', 'not authorized')] })
    const error = (await completeQuery(query(), deps).catch((e: unknown) => e)) as QueryError
    expect(error.kind).toBe('start')
    expect(logs.ops('StartQuery')).toHaveLength(1)
  })

  it('stops backing off at once when the run is cancelled', async () => {
    const errors = Array.from({ length: 100 }, () => throttle('ThrottlingException'))
    const { deps, clock } = setup({ startErrors: errors })
    const controller = new AbortController()
    const running = completeQuery(query(), { ...deps, signal: controller.signal })
    await clock.sleep(2500)
    controller.abort()
    const error = (await running.catch((e: unknown) => e)) as QueryError
    expect(error.kind).toBe('aborted')
  })
})

describe('GetQueryResults throttling', () => {
  it('polls again after a jittered wait while throttled, then completes', async () => {
    const { logs, deps, lines } = setup(
      { resultErrors: [throttle('ThrottlingException'), throttle('ThrottlingException')] },
      [{ group: '/g', ms: T0 + 5000, message: 'm' }],
    )
    const result = await completeQuery(query(), deps)
    expect(result.rows).toHaveLength(1)
    const polls = logs.ops('GetQueryResults').map((call) => call.at - T0)
    expect(polls.slice(0, 3)).toEqual([100, 100 + 999, 100 + 999 + 1999])
    expect(lines.filter((line) => line.includes('GetQueryResults throttled'))).toHaveLength(2)
  })

  it('stops the query and says so when throttling outlasts query-timeout', async () => {
    const errors = Array.from({ length: 100 }, () => throttle('ThrottlingException'))
    const { logs, deps } = setup({ resultErrors: errors })
    const error = (await completeQuery(query(), { ...deps, timeoutMs: 20_000 }).catch(
      (e: unknown) => e,
    )) as QueryError
    expect(error.kind).toBe('throttled')
    expect(error.queryId).toBe('q-1')
    expect(error.message).toContain('GetQueryResults was throttled (ThrottlingException')
    expect(error.message).toContain('query-timeout (20s)')
    expect(logs.ops('StopQuery').map((call) => call.queryId)).toEqual(['q-1'])
  })

  it('retries a throttled page', async () => {
    const events = Array.from({ length: 25 }, (_, i) => ({
      group: '/g',
      ms: T0 + i * 1000,
      message: `m${i}`,
    }))
    const { logs, deps } = setup({ pageSize: 10 }, events)
    const completed = await completeQuery(query(), deps)
    logs.options.resultErrors = [throttle('ThrottlingException')]
    let rows = completed.rows.length
    const fetched = await fetchPages(query(), completed, deps, {
      wantMore: () => true,
      onPage: (page) => {
        rows += page.length
      },
    })
    expect(rows).toBe(25)
    expect(fetched.pages).toBe(3)
    expect(logs.ops('GetQueryResults').filter((call) => call.nextToken === '10')).toHaveLength(2)
  })
})

describe('the shared GetQueryResults rate', () => {
  it('stays at or under 5 calls in any second across concurrent batches and split parts', async () => {
    const groups = Array.from({ length: 200 }, (_, i) => `/g/${i}`)
    const events: FakeEvent[] = []
    for (let i = 0; i < 4000; i++) {
      events.push({
        group: groups[i % groups.length] as string,
        ms: T0 + (i % 300) * 1000 + (i % 7),
        message: `e${i}`,
      })
    }
    const clock = new VirtualClock()
    const logs = new FakeLogs(events, clock, { reading: 'instant', latencyMs: 300, cap: 200 })
    const sink = collector()
    const result = await runBatchedQuery(
      {
        logGroups: groups,
        queryString: 'fields @timestamp, @message',
        queryLanguage: 'CWLI',
        window: { start: S, end: S + 300 },
        maxRows: 100_000,
      },
      {
        client: logs.client,
        now: clock.now,
        sleep: clock.sleep,
        log: () => {},
        timeoutMs: 600_000,
        concurrency: 8,
        onRows: sink.onRows,
      },
    )
    expect(result.failures).toEqual([])
    expect(result.truncated).toBe(false)
    expect(sink.rows).toBe(4000)
    expect(result.queries.length).toBeGreaterThan(4)
    const polls = logs.ops('GetQueryResults').map((call) => call.at)
    expect(polls.length).toBeGreaterThan(20)
    expect(maxInWindow(polls)).toBeLessThanOrEqual(5)
    expect(maxInWindow(logs.ops('StartQuery').map((call) => call.at))).toBeLessThanOrEqual(5)
    expect(logs.maxActive).toBeLessThanOrEqual(8)
  })
})
