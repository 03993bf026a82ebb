/**
 * runBatchedQuery against the emulator: the real AWS SDK client over HTTP, the emulator's query
 * engine, its row caps, its two readings of StartQuery's end second, its faults. One simulated clock
 * drives both sides, so query latencies, poll delays and backoff cost no wall time.
 */
import type { ResultField } from '@aws-sdk/client-cloudwatch-logs'
import { afterEach, describe, expect, it } from 'vitest'
import { type BatchedDeps, type BatchedQuery, runBatchedQuery } from '../../../src/insights/batches.js'
import { QueryError } from '../../../src/insights/query-errors.js'
import { partsNeeded, splitWindow } from '../../../src/insights/split.js'
import { type Emulator, type EmulatorOptions, startEmulator } from '../../emulator/index.js'
import { logsClient } from '../../emulator/test-helpers.js'
import { maxInWindow, T0, VirtualClock } from './virtual-clock.js'

const QUERY = 'fields @timestamp, @message, @log | filter status >= 400 | sort @timestamp desc'
/** Ten minutes before the emulator clock's start: a 300-second window, ending at S + 299. */
const S = T0 / 1000 - 600
const WINDOW = { start: S, end: S + 299 }
const GROUP = '/aws/apigateway/prod-access'

let emulator: Emulator | undefined
afterEach(async () => {
  await emulator?.stop()
  emulator = undefined
})

async function setup(options: EmulatorOptions = {}) {
  const clock = new VirtualClock()
  emulator = await startEmulator({ now: clock.now, queryLatencyMs: 2000, ...options })
  // maxAttempts 1 (the helper's default) unless a test wants the SDK's own retries too.
  const client = clock.client(logsClient(emulator))
  return { clock, emulator, client }
}

/** An access-log line whose requestId identifies the record. */
function line(requestId: string, status = 502): string {
  return JSON.stringify({ requestId, httpMethod: 'GET', routeKey: 'GET /items', status: String(status) })
}

/**
 * `count` matching events in the window, as the whole window covers them under either reading (from
 * S.000 to E.000), among them four on each of the given split seconds: at .000, .001, .500 and .999.
 */
function seed(target: Emulator, group: string, count: number, splitSeconds: readonly number[] = []) {
  const events: Array<{ timestamp: number; message: string }> = []
  for (const second of splitSeconds) {
    for (const offset of [0, 1, 500, 999]) {
      events.push({ timestamp: second * 1000 + offset, message: line(`${group}:split:${second}.${offset}`) })
    }
  }
  const spread = count - events.length
  for (let i = 0; i < spread; i++) {
    const timestamp = S * 1000 + Math.floor((i * (WINDOW.end - S) * 1000) / (spread - 1))
    events.push({ timestamp, message: line(`${group}:${i}`) })
  }
  // And some that do not match: 2xx lines, and lines outside the window.
  for (let i = 0; i < 500; i++) {
    events.push({ timestamp: S * 1000 + i * 500, message: line(`ok:${i}`, 200) })
  }
  events.push(
    { timestamp: S * 1000 - 1, message: line('before') },
    { timestamp: (WINDOW.end + 1) * 1000, message: line('after') },
  )
  target.putLogEvents(group, events)
}

/** Counts rows by the requestId in @message: every record must come back exactly once. */
function byRequestId() {
  const seen = new Map<string, number>()
  let rows = 0
  return {
    onRows: (page: ResultField[][]) => {
      for (const row of page) {
        rows += 1
        const message = row.find((field) => field.field === '@message')?.value ?? '{}'
        const id = (JSON.parse(message) as { requestId: string }).requestId
        seen.set(id, (seen.get(id) ?? 0) + 1)
      }
    },
    seen,
    get rows() {
      return rows
    },
    get repeated() {
      return [...seen.values()].filter((n) => n > 1).length
    },
  }
}

function run(
  env: Awaited<ReturnType<typeof setup>>,
  query: Partial<BatchedQuery>,
  deps: Partial<BatchedDeps> & Pick<BatchedDeps, 'onRows'>,
) {
  const lines: string[] = []
  const result = runBatchedQuery(
    {
      logGroups: [GROUP],
      queryString: QUERY,
      queryLanguage: 'CWLI',
      window: WINDOW,
      maxRows: 100_000,
      ...query,
    },
    {
      client: env.client,
      now: env.clock.now,
      sleep: env.clock.sleep,
      log: (text) => lines.push(text),
      timeoutMs: 300_000,
      ...deps,
    },
  )
  return { result, lines }
}

const logsCalls = (target: Emulator, action: string) =>
  target.calls.filter((call) => call.service === 'logs' && call.action === action)

const startBodies = (target: Emulator) =>
  logsCalls(target, 'StartQuery').map(
    (call) => call.body as { startTime: number; endTime: number; limit?: number; logGroupNames?: string[] },
  )

describe.each(['instant', 'whole'] as const)(
  '100,000 matches, a service capping at 10,000 rows without nextToken (end second: %s)',
  (endSecond) => {
    // The window's first split: 16 parts (100,000 / 10,000 rounded up to a power of two).
    const splitSeconds = splitWindow(WINDOW, partsNeeded(100_000, 10_000))
      .slice(1)
      .map((part) => part.start)

    it('delivers every record exactly once, with the exact total', async () => {
      const env = await setup({ nextToken: false, maxRowsPerQuery: 10_000, endSecond })
      seed(env.emulator, GROUP, 100_000, splitSeconds)
      const sink = byRequestId()
      const started = Date.now()
      const { result: running, lines } = run(env, {}, { onRows: sink.onRows })
      const result = await running
      const wallMs = Date.now() - started

      expect(sink.seen.size).toBe(100_000)
      expect(sink.repeated).toBe(0)
      expect(sink.rows).toBe(100_000)
      for (const second of splitSeconds) {
        for (const offset of [0, 1, 500, 999])
          expect(sink.seen.get(`${GROUP}:split:${second}.${offset}`)).toBe(1)
      }
      expect(result.statistics.recordsMatched).toBe(100_000)
      expect(result.rowsFetched).toBe(100_000)
      expect(result.truncated).toBe(false)
      expect(result.failures).toEqual([])

      // The service refused limit 100,000 (it predates 2026-05); from then on 10,000.
      const [refused, whole, ...parts] = startBodies(env.emulator)
      expect(refused?.limit).toBe(100_000)
      expect(logsCalls(env.emulator, 'StartQuery')[0]?.status).toBe(400)
      expect(lines.some((text) => text.includes('StartQuery refused limit 100000'))).toBe(true)
      expect([whole?.startTime, whole?.endTime, whole?.limit]).toEqual([WINDOW.start, WINDOW.end, 10_000])
      expect(parts).toHaveLength(16)
      // Every split second is shared: the end of one part and the start of the next.
      const starts = new Set(parts.map((part) => part.startTime))
      const ends = new Set(parts.map((part) => part.endTime))
      for (const second of splitSeconds) {
        expect(starts.has(second)).toBe(true)
        expect(ends.has(second)).toBe(true)
      }
      expect(result.queries).toHaveLength(17)
      expect(result.queries[0]?.statistics.recordsMatched).toBe(100_000)

      const polls = logsCalls(env.emulator, 'GetQueryResults').map((call) => call.at)
      expect(maxInWindow(polls)).toBeLessThanOrEqual(5)
      expect(wallMs).toBeLessThan(20_000)
    })

    it('stops at maxRows 25,000: truncated, 25,000 distinct rows, the total still 100,000', async () => {
      const env = await setup({ nextToken: false, maxRowsPerQuery: 10_000, endSecond })
      seed(env.emulator, GROUP, 100_000, splitSeconds)
      const sink = byRequestId()
      const result = await run(env, { maxRows: 25_000 }, { onRows: sink.onRows }).result

      expect(sink.rows).toBe(25_000)
      expect(sink.seen.size).toBe(25_000)
      expect(result.rowsFetched).toBe(25_000)
      expect(result.truncated).toBe(true)
      expect(result.statistics.recordsMatched).toBe(100_000)
      // Newest first (the query sorts @timestamp desc): the newest records are the ones delivered.
      expect(sink.seen.has(`${GROUP}:${100_000 - 60 - 1}`)).toBe(true)
      expect(sink.seen.has(`${GROUP}:0`)).toBe(false)
      // Parts past max-results were never started.
      expect(startBodies(env.emulator).length).toBeLessThan(2 + 16)
    })
  },
)

describe('a service with nextToken paging', () => {
  it('fetches 100,000 matches with one query and limit 100,000, page by page', async () => {
    const env = await setup()
    seed(env.emulator, GROUP, 100_000)
    const sink = byRequestId()
    const pages: number[] = []
    const result = await run(
      env,
      {},
      {
        onRows: (rows) => {
          pages.push(rows.length)
          sink.onRows(rows)
        },
      },
    ).result

    expect(startBodies(env.emulator).map((body) => body.limit)).toEqual([100_000])
    expect(pages).toEqual(Array(10).fill(10_000))
    expect(sink.seen.size).toBe(100_000)
    expect(sink.repeated).toBe(0)
    expect(result.truncated).toBe(false)
    expect(result.statistics.recordsMatched).toBe(100_000)
    expect(
      maxInWindow(logsCalls(env.emulator, 'GetQueryResults').map((call) => call.at)),
    ).toBeLessThanOrEqual(5)
  })
})

describe('more than 50 log groups', () => {
  const groups = Array.from({ length: 120 }, (_, i) => `/aws/apigateway/api-${String(i).padStart(3, '0')}`)

  it('runs 120 log groups as 3 queries of at most 50 and merges their rows, under 5 polls a second', async () => {
    const env = await setup({ queryLatencyMs: 1500 })
    for (const group of groups) seed(env.emulator, group, 25)
    const sink = byRequestId()
    const result = await run(env, { logGroups: groups }, { onRows: sink.onRows }).result

    const bodies = startBodies(env.emulator)
    expect(bodies.map((body) => body.logGroupNames?.length)).toEqual([50, 50, 20])
    expect(bodies.flatMap((body) => body.logGroupNames)).toEqual(groups)
    expect(sink.seen.size).toBe(3000)
    expect(sink.repeated).toBe(0)
    expect(result.statistics.recordsMatched).toBe(3000)
    expect(result.queries.map((query) => query.statistics.recordsMatched)).toEqual([1250, 1250, 500])
    expect(result.failures).toEqual([])
    const polls = logsCalls(env.emulator, 'GetQueryResults').map((call) => call.at)
    expect(polls.length).toBeGreaterThan(10)
    expect(maxInWindow(polls)).toBeLessThanOrEqual(5)
  })

  it('names the failed batch and its groups; the other batches are delivered', async () => {
    const env = await setup()
    for (const group of groups) seed(env.emulator, group, 10)
    const withMissing = [...groups.slice(0, 110), '/aws/apigateway/does-not-exist', ...groups.slice(110)]
    const sink = byRequestId()
    const result = await run(env, { logGroups: withMissing }, { onRows: sink.onRows }).result

    expect(result.failures).toHaveLength(1)
    const [failure] = result.failures
    expect(failure?.batch).toBe(2) // 0-based: the third batch
    expect(failure?.logGroups).toEqual(withMissing.slice(100))
    expect((failure?.error as QueryError | undefined)?.kind).toBe('not-found')
    expect(failure?.error.message).toContain('does-not-exist')
    expect(sink.seen.size).toBe(1000)
    expect(result.statistics.recordsMatched).toBe(1000)
  })

  it('reports a batch whose query ends Failed, naming its groups; the others complete', async () => {
    const env = await setup()
    for (const group of groups) seed(env.emulator, group, 10)
    env.emulator.failNextQuery('Failed')
    const sink = byRequestId()
    const result = await run(env, { logGroups: groups }, { onRows: sink.onRows }).result

    expect(result.failures).toHaveLength(1)
    const failed = result.failures[0]
    const firstStarted = startBodies(env.emulator)[0]
    expect(failed?.logGroups).toEqual(firstStarted?.logGroupNames)
    expect((failed?.error as QueryError | undefined)?.kind).toBe('status')
    expect(failed?.error.message).toContain('status Failed')
    expect(sink.seen.size).toBe(1200 - (failed?.logGroups.length ?? 0) * 10)
    expect(result.queries).toHaveLength(2)
  })
})

describe('throttling', () => {
  it('backs off through LimitExceededException from StartQuery, beyond the SDK, and succeeds', async () => {
    const env = await setup()
    seed(env.emulator, GROUP, 100)
    env.emulator.inject({
      service: 'logs',
      action: 'StartQuery',
      errorType: 'LimitExceededException',
      times: 3,
    })
    const sink = byRequestId()
    const { result, lines } = run(env, {}, { onRows: sink.onRows, timeoutMs: 60_000 })
    expect((await result).failures).toEqual([])

    expect(sink.seen.size).toBe(100)
    const starts = logsCalls(env.emulator, 'StartQuery')
    expect(starts.map((call) => call.status)).toEqual([400, 400, 400, 200])
    const waits = lines.filter((text) => text.includes('StartQuery throttled (LimitExceededException'))
    expect(waits).toHaveLength(3)
    // Full jitter, doubling from 1 s: the three waits together stay under 1 + 2 + 4 s.
    expect((starts[3]?.at ?? 0) - (starts[0]?.at ?? 0)).toBeLessThan(7000)
  })

  it('with the SDK retrying too (3 attempts each), still backs off beyond it', async () => {
    const clock = new VirtualClock()
    emulator = await startEmulator({ now: clock.now, queryLatencyMs: 500 })
    seed(emulator, GROUP, 10)
    emulator.inject({ service: 'logs', action: 'StartQuery', errorType: 'ThrottlingException', times: 4 })
    const client = clock.client(logsClient(emulator, { maxAttempts: 3 }))
    const sink = byRequestId()
    const { result, lines } = run({ clock, emulator, client }, {}, { onRows: sink.onRows })
    expect((await result).failures).toEqual([])
    expect(sink.seen.size).toBe(10)
    // 3 SDK attempts failed, one backoff of ours, then the SDK's first attempt succeeded.
    expect(logsCalls(emulator, 'StartQuery').map((call) => call.status)).toEqual([400, 400, 400, 400, 200])
    expect(lines.filter((text) => text.includes('StartQuery throttled'))).toHaveLength(1)
  })

  it('waits for free query slots when the account is at its concurrent-query limit', async () => {
    const env = await setup({ maxConcurrentQueries: 2 })
    const groups = Array.from({ length: 250 }, (_, i) => `/g/${i}`)
    for (const group of groups) seed(env.emulator, group, 4)
    const sink = byRequestId()
    const result = await run(env, { logGroups: groups }, { onRows: sink.onRows, concurrency: 4 }).result

    expect(result.failures).toEqual([])
    expect(sink.seen.size).toBe(1000)
    const refused = logsCalls(env.emulator, 'StartQuery').filter((call) => call.status === 400)
    expect(refused.length).toBeGreaterThan(0)
    expect(
      refused.every((call) => (call.response as { __type?: string }).__type === 'LimitExceededException'),
    ).toBe(true)
  })

  it('gives up when throttling outlasts query-timeout, naming it; backoff never passes the timeout', async () => {
    const env = await setup()
    seed(env.emulator, GROUP, 10)
    env.emulator.inject({
      service: 'logs',
      action: 'StartQuery',
      errorType: 'LimitExceededException',
      times: 1000,
    })
    const sink = byRequestId()
    const result = await run(env, {}, { onRows: sink.onRows, timeoutMs: 20_000 }).result

    expect(result.failures).toHaveLength(1)
    const error = result.failures[0]?.error as QueryError
    expect(error.kind).toBe('throttled')
    expect(error.message).toContain('LimitExceededException')
    expect(error.message).toContain('query-timeout (20s)')
    const starts = logsCalls(env.emulator, 'StartQuery')
    expect((starts.at(-1)?.at ?? 0) - (starts[0]?.at ?? 0)).toBeLessThan(20_000)
    expect(env.clock.now() - T0).toBeLessThan(20_000)
    expect(result.statistics.recordsMatched).toBe(0)
  })
})

describe('cancellation', () => {
  it('stops every running query with StopQuery when the signal aborts, and throws', async () => {
    const env = await setup({ queryLatencyMs: 120_000 })
    const groups = Array.from({ length: 300 }, (_, i) => `/g/${i}`)
    for (const group of groups) seed(env.emulator, group, 2)
    const controller = new AbortController()
    const sink = byRequestId()
    const running = run(env, { logGroups: groups }, { onRows: sink.onRows, signal: controller.signal }).result
    await env.clock.sleep(10_000)
    controller.abort()
    const error = await running.catch((thrown: unknown) => thrown)

    expect(error).toBeInstanceOf(QueryError)
    expect((error as QueryError).kind).toBe('aborted')
    const started = logsCalls(env.emulator, 'StartQuery').map(
      (call) => (call.response as { queryId: string }).queryId,
    )
    expect(started).toHaveLength(4)
    const stopped = logsCalls(env.emulator, 'StopQuery')
    expect(stopped.map((call) => (call.body as { queryId: string }).queryId).sort()).toEqual(
      [...started].sort(),
    )
    expect(stopped.every((call) => call.status === 200)).toBe(true)
  })
})
