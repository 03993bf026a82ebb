import { getEventListeners } from 'node:events'
import type { ResultField } from '@aws-sdk/client-cloudwatch-logs'
import { describe, expect, it, vi } from 'vitest'
import {
  type BatchedDeps,
  type BatchedQuery,
  batchLogGroups,
  DEFAULT_CONCURRENCY,
  runBatchedQuery,
} from '../../../src/insights/batches.js'
import { QueryError } from '../../../src/insights/query-errors.js'
import { collector, expectedCounts, type FakeEvent, FakeLogs, type FakeLogsOptions } from './fake-logs.js'
import { QUERY_ID, row, type Script, scripted, query as scriptedQuery, stats } from './scripted-client.js'
import { T0, VirtualClock } from './virtual-clock.js'

const S = T0 / 1000
const WINDOW = { start: S, end: S + 299 }
const groupNames = (count: number) => Array.from({ length: count }, (_, i) => `/aws/apigateway/api-${i}`)

/** `perGroup` events in each group, spread over the window's first 299 seconds. */
function eventsIn(groups: readonly string[], perGroup: number): FakeEvent[] {
  return groups.flatMap((group, g) =>
    Array.from({ length: perGroup }, (_, i) => ({
      group,
      ms: T0 + Math.floor((i * 299_000) / perGroup) + (g % 10),
      message: `${group} #${i}`,
    })),
  )
}

function setup(
  events: FakeEvent[],
  options: Partial<FakeLogsOptions> = {},
  overrides: { query?: Partial<BatchedQuery>; deps?: Partial<BatchedDeps> } = {},
) {
  const clock = new VirtualClock()
  // maxLimit: a current service, which takes limit 100,000 (tests of the older one say so).
  const logs = new FakeLogs(events, clock, {
    reading: 'whole',
    latencyMs: 800,
    maxLimit: 100_000,
    ...options,
  })
  const sink = collector()
  const lines: string[] = []
  const groups = [...new Set(events.map((event) => event.group))]
  const query: BatchedQuery = {
    logGroups: groups,
    queryString: 'fields @timestamp, @message | filter status >= 400 | sort @timestamp desc',
    queryLanguage: 'CWLI',
    window: WINDOW,
    maxRows: 100_000,
    ...overrides.query,
  }
  const deps: BatchedDeps = {
    client: logs.client,
    now: clock.now,
    sleep: clock.sleep,
    log: (line) => lines.push(line),
    timeoutMs: 300_000,
    onRows: sink.onRows,
    ...overrides.deps,
  }
  return { clock, logs, sink, lines, query, deps, run: () => runBatchedQuery(query, deps) }
}

describe('batchLogGroups', () => {
  it('cuts any number of groups into batches of at most 50, in order', () => {
    expect(batchLogGroups(groupNames(120)).map((batch) => batch.length)).toEqual([50, 50, 20])
    expect(batchLogGroups(groupNames(50))).toHaveLength(1)
    expect(batchLogGroups(groupNames(120))[2]?.[0]).toBe('/aws/apigateway/api-100')
  })
})

describe('runBatchedQuery: batches', () => {
  it('queries 120 log groups as 3 queries of at most 50 and merges their rows and totals', async () => {
    const groups = groupNames(120)
    const { logs, sink, run } = setup(eventsIn(groups, 20))
    const result = await run()

    const starts = logs.ops('StartQuery')
    expect(starts.map((call) => call.input.logGroupNames?.length)).toEqual([50, 50, 20])
    expect(starts.flatMap((call) => call.input.logGroupNames)).toEqual(groups)
    expect(sink.rows).toBe(2400)
    expect(result.rowsFetched).toBe(2400)
    expect(result.statistics.recordsMatched).toBe(2400)
    expect(result.queries.map((q) => q.logGroups.length)).toEqual([50, 50, 20])
    expect(result.queries.map((q) => q.statistics.recordsMatched)).toEqual([1000, 1000, 400])
    expect(result.truncated).toBe(false)
    expect(result.failures).toEqual([])
  })

  it('runs at most `concurrency` queries at once (4 by default)', async () => {
    const groups = groupNames(500)
    const byDefault = setup(eventsIn(groups, 2))
    await byDefault.run()
    expect(byDefault.logs.ops('StartQuery')).toHaveLength(10)
    expect(byDefault.logs.maxActive).toBe(DEFAULT_CONCURRENCY)

    const two = setup(eventsIn(groups, 2), {}, { deps: { concurrency: 2 } })
    const result = await two.run()
    expect(two.logs.maxActive).toBe(2)
    expect(result.rowsFetched).toBe(1000)
  })

  it('reports a failed batch by number and groups, and still delivers the others', async () => {
    const groups = groupNames(120)
    const { sink, run } = setup(eventsIn(groups, 10), { failGroups: new Set(['/aws/apigateway/api-77']) })
    const result = await run()

    expect(result.failures).toHaveLength(1)
    const [failure] = result.failures
    expect(failure?.batch).toBe(1) // 0-based: the second batch
    expect(failure?.logGroups).toEqual(groups.slice(50, 100))
    expect(failure?.error).toBeInstanceOf(QueryError)
    expect((failure?.error as QueryError | undefined)?.kind).toBe('status')
    expect(failure?.error.message).toContain('Failed')
    expect(sink.rows).toBe(700)
    expect(result.statistics.recordsMatched).toBe(700)
    expect(result.queries.map((q) => q.logGroups[0])).toEqual([groups[0], groups[100]])
  })

  it('on abort, stops every running query and throws', async () => {
    const { logs, clock, run, deps } = setup(eventsIn(groupNames(300), 5), { latencyMs: 60_000 })
    const controller = new AbortController()
    deps.signal = controller.signal
    const running = run()
    await clock.sleep(5000)
    const startedBefore = logs.ops('StartQuery').length
    controller.abort()
    const error = await running.catch((e: unknown) => e)

    expect(error).toBeInstanceOf(QueryError)
    expect((error as QueryError).kind).toBe('aborted')
    expect(startedBefore).toBe(DEFAULT_CONCURRENCY)
    expect(logs.ops('StartQuery')).toHaveLength(startedBefore)
    expect(
      logs
        .ops('StopQuery')
        .map((call) => call.queryId)
        .sort(),
    ).toEqual(['q-1', 'q-2', 'q-3', 'q-4'])
  })

  it('stops every query and rethrows when onRows throws', async () => {
    const { logs, run, deps } = setup(eventsIn(groupNames(300), 5), {})
    let calls = 0
    deps.onRows = () => {
      calls += 1
      throw new Error('disk full')
    }
    const error = await run().catch((e: unknown) => e)
    expect((error as Error).message).toBe('disk full')
    expect(calls).toBe(1)
    // Batches 5 and 6, waiting for a place, never start.
    expect(logs.ops('StartQuery')).toHaveLength(DEFAULT_CONCURRENCY)
  })
})

describe('runBatchedQuery: max-results and limits', () => {
  it('stops at maxRows across batches, says truncated, and keeps every total exact', async () => {
    const groups = groupNames(150)
    const { logs, sink, run } = setup(eventsIn(groups, 40), {}, { query: { maxRows: 5000 } })
    const result = await run()

    expect(sink.rows).toBe(5000)
    expect(result.rowsFetched).toBe(5000)
    expect(result.truncated).toBe(true)
    // Every batch's whole-window query still ran: the totals are exact.
    expect(result.statistics.recordsMatched).toBe(6000)
    expect(logs.ops('StartQuery').map((call) => call.input.limit)).toEqual([5000, 5000, 5000])
  })

  it('passes StartQuery limit = min(maxRows, 100,000) where the service pages, and fetches every page', async () => {
    const events = eventsIn(['/g'], 25_000)
    const { logs, sink, run } = setup(events, { pageSize: 10_000, cap: 1_000_000 })
    const result = await run()

    expect(logs.ops('StartQuery').map((call) => call.input.limit)).toEqual([100_000])
    expect(logs.ops('GetQueryResults').filter((call) => call.nextToken !== undefined)).toHaveLength(2)
    expect(sink.rows).toBe(25_000)
    expect(result.truncated).toBe(false)
    expect(result.queries).toHaveLength(1)
  })

  it('splits where even a paging service caps: 150,000 matches over a 100,000 limit', async () => {
    const events = eventsIn(['/g'], 150_000)
    const { logs, sink, run } = setup(
      events,
      { pageSize: 10_000, cap: 1_000_000 },
      { query: { maxRows: 200_000 } },
    )
    const result = await run()

    const starts = logs.ops('StartQuery')
    expect(starts).toHaveLength(3)
    expect(starts.map((call) => call.input.limit)).toEqual([100_000, 100_000, 100_000])
    // The whole-window query's rows were not fetched: it was split at once.
    expect(logs.ops('GetQueryResults').filter((call) => call.queryId === 'q-1' && call.nextToken)).toEqual([])
    expect(sink.rows).toBe(150_000)
    expect(sink.counts).toEqual(expectedCounts(events))
    expect(result.statistics.recordsMatched).toBe(150_000)
    expect(result.truncated).toBe(false)
  })

  it('falls back to the limit a service without 100,000-row limits names, for the rest of the run', async () => {
    const events = eventsIn(groupNames(60), 100)
    const { logs, lines, sink, run } = setup(events, { maxLimit: 10_000 })
    const result = await run()

    // Both batches asked for 100,000 before the first refusal came back; then 10,000 each.
    expect(logs.ops('StartQuery').map((call) => call.input.limit)).toEqual([100_000, 100_000, 10_000, 10_000])
    expect(lines.some((line) => line.includes('StartQuery refused limit 100000'))).toBe(true)
    expect(lines.some((line) => line.includes('Using limit 10000 from now on'))).toBe(true)
    expect(sink.rows).toBe(6000)
    expect(result.failures).toEqual([])
    expect(result.queries).toHaveLength(2)
  })

  it('does not split an aggregation, and does not call it truncated', async () => {
    const events = eventsIn(['/g'], 30_000)
    const { logs, sink, run } = setup(
      events,
      {},
      { query: { queryString: 'filter status >= 500 | stats count()' } },
    )
    const result = await run()
    expect(logs.ops('StartQuery')).toHaveLength(1)
    expect(sink.rows).toBe(1)
    expect(result.truncated).toBe(false)
    expect(result.statistics.recordsMatched).toBe(30_000)
  })

  it('does not split a query with its own limit: it says truncated when rows < recordsMatched', async () => {
    const events = eventsIn(['/g'], 30_000)
    const { logs, sink, run } = setup(
      events,
      {},
      { query: { queryString: 'fields @timestamp, @message | limit 20' } },
    )
    const result = await run()
    expect(logs.ops('StartQuery')).toHaveLength(1)
    expect(sink.rows).toBe(20)
    expect(result.truncated).toBe(true)
  })

  it('does not split when rows carry no @timestamp to merge on: truncated', async () => {
    const events = eventsIn(['/g'], 30_000)
    const { logs, lines, sink, run } = setup(
      events,
      { timestamps: false },
      { query: { queryString: 'fields @message' } },
    )
    const result = await run()
    expect(logs.ops('StartQuery')).toHaveLength(1)
    expect(sink.rows).toBe(10_000)
    expect(result.truncated).toBe(true)
    expect(lines.some((line) => line.includes('no @timestamp'))).toBe(true)
  })
})

describe('runBatchedQuery: splitting', () => {
  it('fetches 100,000 matches from a service capping at 10,000 without paging, in 16 parts, newest first', async () => {
    const events = eventsIn(['/g'], 100_000)
    // A service before 2026-05: refuses limit 100,000, returns ≤ 10,000 rows, no nextToken.
    const { logs, sink, run } = setup(events, { cap: 10_000, maxLimit: 10_000 }, { deps: { concurrency: 1 } })
    const result = await run()

    const [refused, ...starts] = logs.ops('StartQuery')
    expect(refused?.input.limit).toBe(100_000)
    expect(refused?.queryId).toBeUndefined()
    expect(starts).toHaveLength(17)
    // Limit 10,000 from then on. Parts never ask for less, even when max-results has fewer rows left:
    // their rows in shared seconds may be dropped by the merge.
    expect(starts.map((call) => call.input.limit)).toEqual(Array(17).fill(10_000))
    const parts = starts.slice(1).map((call) => [call.input.startTime ?? 0, call.input.endTime ?? 0] as const)
    // Newest first (the query sorts @timestamp desc), each part sharing its boundary with the next.
    expect(parts[0]?.[1]).toBe(WINDOW.end)
    expect(parts.at(-1)?.[0]).toBe(WINDOW.start)
    for (let i = 1; i < parts.length; i++) expect(parts[i]?.[1]).toBe(parts[i - 1]?.[0])
    expect(sink.counts).toEqual(expectedCounts(events))
    expect(result.rowsFetched).toBe(100_000)
    expect(result.truncated).toBe(false)
    expect(result.queries).toHaveLength(17)
    expect(result.statistics.recordsMatched).toBe(100_000)
  })

  it('takes totals from the whole-window query, not the parts, which overlap at split seconds', async () => {
    // Under the whole reading every event on a split second is counted by both parts.
    const events = eventsIn(['/g'], 30_000)
    for (let s = S; s <= WINDOW.end; s++) events.push({ group: '/g', ms: s * 1000 + 500, message: `on ${s}` })
    const { sink, run } = setup(events, { cap: 10_000 })
    const result = await run()
    const partsMatched = result.queries.slice(1).reduce((sum, q) => sum + q.statistics.recordsMatched, 0)
    expect(partsMatched).toBeGreaterThan(events.length)
    expect(result.statistics.recordsMatched).toBe(events.length)
    expect(result.queries[0]?.statistics.recordsMatched).toBe(events.length)
    expect(sink.counts).toEqual(expectedCounts(events))
  })

  it('splits a part again when the records are not spread evenly', async () => {
    const events = eventsIn(['/g'], 12_000)
    // 15,000 more in 10 seconds near the end.
    for (let i = 0; i < 15_000; i++)
      events.push({ group: '/g', ms: (S + 280) * 1000 + (i % 10_000), message: `burst ${i}` })
    const { logs, sink, run } = setup(events, { cap: 10_000, reading: 'instant' })
    const result = await run()
    expect(logs.ops('StartQuery').length).toBeGreaterThan(5)
    expect(sink.counts).toEqual(expectedCounts(logs.covered(['/g'], WINDOW.start, WINDOW.end)))
    expect(result.truncated).toBe(false)
  })

  it('says truncated when two seconds hold more than one query returns: it cannot split them', async () => {
    const events: FakeEvent[] = []
    for (let i = 0; i < 12_000; i++)
      events.push({ group: '/g', ms: (S + 100) * 1000 + (i % 1000), message: `same second ${i}` })
    const { sink, lines, run } = setup(events, { cap: 10_000 })
    const result = await run()
    expect(result.truncated).toBe(true)
    expect(sink.rows).toBe(10_000)
    expect(new Set(sink.counts.values())).toEqual(new Set([1]))
    expect(lines.some((line) => line.includes('cannot be split further'))).toBe(true)
    expect(result.statistics.recordsMatched).toBe(12_000)
  })

  it('marks the batch failed when a split part fails, and keeps the rows delivered so far', async () => {
    const events = eventsIn(['/g'], 30_000)
    const { logs } = setup(events, { cap: 10_000 }, { deps: { concurrency: 1 } })
    // From the fourth query on (the third part), queries end Failed.
    const original = logs.client
    let started = 0
    const client = {
      send: async (command: unknown) => {
        const answer = (await (original.send as (c: unknown) => Promise<unknown>)(command)) as {
          queryId?: string
        }
        if (answer.queryId && ++started === 3) logs.options.failGroups = new Set(['/g'])
        return answer
      },
    }
    const sink = collector()
    const result = await runBatchedQuery(
      {
        logGroups: ['/g'],
        queryString: 'fields @timestamp, @message',
        queryLanguage: 'CWLI',
        window: WINDOW,
        maxRows: 100_000,
      },
      {
        client: client as BatchedDeps['client'],
        now: logs.clock.now,
        sleep: logs.clock.sleep,
        log: () => {},
        timeoutMs: 300_000,
        concurrency: 1,
        onRows: sink.onRows,
      },
    )
    expect(result.failures).toHaveLength(1)
    expect(result.failures[0]?.batch).toBe(0)
    expect(result.statistics.recordsMatched).toBe(30_000)
    expect(sink.rows).toBeGreaterThan(0)
    expect(sink.rows).toBeLessThan(30_000)
  })
})

describe('runBatchedQuery: abort listeners', () => {
  // One query at a time: dozens of parts wait for the pool. Twelve: as many poll delays at once too.
  it.each([1, 12])(
    'keeps one abort listener per signal however many parts and polls wait, and none after (concurrency %i)',
    async (concurrency) => {
      // Every signal the run listens on, and the most listeners any of them held at once, sampled at
      // each sleep (a poll delay or a backoff: the parts queued behind the pool are waiting then).
      const signals = new Set<AbortSignal>()
      const addEventListener = EventTarget.prototype.addEventListener
      const spy = vi.spyOn(EventTarget.prototype, 'addEventListener').mockImplementation(function (
        this: EventTarget,
        ...args: Parameters<EventTarget['addEventListener']>
      ) {
        if (this instanceof AbortSignal && args[0] === 'abort') signals.add(this)
        return Reflect.apply(addEventListener, this, args)
      })
      const warnings: Error[] = []
      const onWarning = (warning: Error) => warnings.push(warning)
      process.on('warning', onWarning)
      try {
        // 3 batches split into many parts each (a service capping at 1,000 rows without paging), all
        // waiting on the run's one signal.
        const events = eventsIn(groupNames(120), 250)
        const { logs, sink, deps, run, clock } = setup(events, { cap: 1000, maxLimit: 10_000 })
        const outer = new AbortController()
        deps.signal = outer.signal
        deps.concurrency = concurrency
        let most = 0
        deps.sleep = (ms) => {
          for (const signal of signals) most = Math.max(most, getEventListeners(signal, 'abort').length)
          return clock.sleep(ms)
        }
        const result = await run()
        await new Promise((resolve) => setImmediate(resolve)) // warnings are emitted on the next tick

        expect(sink.rows).toBe(events.length)
        expect(result.truncated).toBe(false)
        expect(logs.ops('StartQuery').length).toBeGreaterThan(30)
        expect(signals.size).toBe(2) // the caller's and the run's own
        expect(most).toBe(1)
        for (const signal of signals) expect(getEventListeners(signal, 'abort')).toHaveLength(0)
        expect(warnings.filter((warning) => warning.name === 'MaxListenersExceededWarning')).toEqual([])
      } finally {
        process.off('warning', onWarning)
        spy.mockRestore()
      }
    },
  )
})

describe('runBatchedQuery: one scripted query', () => {
  /** The query of scripted-client.ts run as main.ts runs it, keeping the rows handed on. */
  async function runScripted(script: Script, maxRows: number) {
    const { deps, ...scriptedLogs } = scripted(script)
    const rows: ResultField[][] = []
    const result = await runBatchedQuery(
      { ...scriptedQuery(), maxRows },
      { ...deps, onRows: (page) => rows.push(...page) },
    )
    return { ...scriptedLogs, result, rows }
  }

  it('stops fetching at maxRows, truncates, and says rows were capped', async () => {
    const { result, rows, ops } = await runScripted(
      {
        polls: [{ status: 'Complete', results: [row('a'), row('b')], nextToken: 't1', statistics: stats }],
        pages: {
          t1: { status: 'Complete', results: [row('c'), row('d')], nextToken: 't2' },
          t2: { status: 'Complete', results: [row('e')] },
        },
      },
      3,
    )

    expect(rows.map((fields) => fields[1]?.value)).toEqual(['a', 'b', 'c'])
    expect(result.truncated).toBe(true)
    expect(ops('GetQueryResults').map((call) => call.input.nextToken)).toEqual([undefined, 't1'])
    expect(result.statistics).toEqual(stats)
  })

  it('caps a single response larger than maxRows, but not one of exactly maxRows', async () => {
    const capped = await runScripted(
      { polls: [{ status: 'Complete', results: [row('a'), row('b'), row('c')] }] },
      2,
    )
    expect(capped.rows).toHaveLength(2)
    expect(capped.result.truncated).toBe(true)

    const whole = await runScripted({ polls: [{ status: 'Complete', results: [row('a'), row('b')] }] }, 2)
    expect(whole.rows).toHaveLength(2)
    expect(whole.result.truncated).toBe(false)
  })

  it('logs the query id, each status change once, and the final count and statistics', async () => {
    // max-results 1: StartQuery is asked for one row (limit 1), so one row of the 3 matched is the result.
    const { lines } = await runScripted(
      {
        polls: [
          { status: 'Scheduled' },
          { status: 'Running' },
          { status: 'Running' },
          { status: 'Complete', results: [row('a')], statistics: stats },
        ],
      },
      1,
    )

    expect(lines[0]).toContain(`Insights query ${QUERY_ID} started`)
    expect(lines[0]).toContain('2023-11-14T22:08:20Z')
    expect(lines.filter((line) => line.includes(': Running after'))).toHaveLength(1)
    expect(lines.filter((line) => line.includes(': Scheduled after'))).toHaveLength(1)
    expect(lines.at(-1)).toContain('1 rows')
    expect(lines.at(-1)).toContain('3 records matched, 1000 scanned, 205 kB scanned')
  })
})
