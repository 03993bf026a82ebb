import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs'
import { describe, expect, it } from 'vitest'
import { completeQuery, FIRST_POLL_DELAY_MS, MAX_POLL_DELAY_MS } from '../../../src/insights/poll.js'
import type { InsightsClient } from '../../../src/insights/types.js'
import {
  QUERY_ID,
  query,
  type Response,
  rejection,
  row,
  START_MS,
  scripted,
  stats,
} from './scripted-client.js'

describe('completeQuery', () => {
  it('keeps polling through Scheduled and Running and returns the Complete rows', async () => {
    const { deps, ops } = scripted({
      polls: [
        { status: 'Scheduled' },
        { status: 'Running' },
        { status: 'Complete', results: [row('a'), row('b')], statistics: stats },
      ],
    })
    const result = await completeQuery(query(), deps)

    expect(result.queryId).toBe(QUERY_ID)
    expect(result.rows).toEqual([row('a'), row('b')])
    expect(result.nextToken).toBeUndefined()
    expect(ops('GetQueryResults')).toHaveLength(3)
    expect(ops('StopQuery')).toHaveLength(0)
    expect(ops('StartQuery')[0]?.input).toEqual({
      startTime: 1_699_999_700,
      endTime: 1_699_999_999,
      queryString: 'fields @timestamp, @message | filter status >= 400',
      queryLanguage: 'CWLI',
      logGroupNames: ['/aws/apigateway/prod-access', '/aws/apigateway/staging-access'],
    })
  })

  it('ignores the partial rows returned while Running', async () => {
    const { deps } = scripted({
      polls: [
        { status: 'Running', results: [row('a')] },
        { status: 'Running', results: [row('a'), row('b')] },
        { status: 'Complete', results: [row('a'), row('b'), row('c')], statistics: stats },
      ],
    })
    const result = await completeQuery(query(), deps)
    expect(result.rows.map((fields) => fields[1]?.value)).toEqual(['a', 'b', 'c'])
  })

  it('polls first after about 100 ms, then backs off to a 1 s cap, under 5 polls a second', async () => {
    const { deps, sleeps, ops } = scripted({
      polls: [...Array.from({ length: 30 }, (): Response => ({ status: 'Running' })), { status: 'Complete' }],
    })
    await completeQuery(query(), deps)

    expect(sleeps[0]).toBe(FIRST_POLL_DELAY_MS)
    expect(sleeps).toHaveLength(31)
    for (const [index, ms] of sleeps.entries()) {
      expect(ms).toBeLessThanOrEqual(MAX_POLL_DELAY_MS)
      if (index > 0) expect(ms).toBeGreaterThanOrEqual(sleeps[index - 1] as number)
    }
    expect(sleeps.at(-1)).toBe(MAX_POLL_DELAY_MS)
    expect(sleeps.slice(0, 4).reduce((sum, ms) => sum + ms, 0)).toBeLessThan(1000)

    const times = ops('GetQueryResults').map((call) => call.at)
    for (const at of times) {
      expect(times.filter((other) => other >= at && other < at + 1000).length).toBeLessThanOrEqual(5)
    }
  })

  it.each(['Failed', 'Cancelled', 'Timeout', 'Unknown', 'SomethingNew'])(
    'throws naming the query id and the status when the query ends %s',
    async (status) => {
      const { deps, ops } = scripted({ polls: [{ status: 'Running' }, { status } as Response] })
      const error = await rejection(completeQuery(query(), deps))

      expect(error.message).toContain(QUERY_ID)
      expect(error.message).toContain(`status ${status}`)
      expect(error.message).toContain('/aws/apigateway/prod-access, /aws/apigateway/staging-access')
      expect(error.kind).toBe('status')
      expect(error.queryId).toBe(QUERY_ID)
      expect(error.status).toBe(status)
      expect(error.query).toBe(query().queryString)
      expect(ops('StopQuery')).toHaveLength(0)
    },
  )

  it('throws when a response carries no status at all', async () => {
    const { deps } = scripted({ polls: [{ results: [row('a')] }] })
    const error = await rejection(completeQuery(query(), deps))
    expect(error.kind).toBe('status')
    expect(error.message).toContain(QUERY_ID)
  })

  it('stops a query that outlives query-timeout and says which input to raise', async () => {
    const { deps, ops } = scripted({ polls: [{ status: 'Running' }] }, { timeoutMs: 5000 })
    const error = await rejection(completeQuery(query(), deps))

    expect(error.kind).toBe('timeout')
    expect(error.queryId).toBe(QUERY_ID)
    expect(error.status).toBe('Running')
    expect(error.message).toContain('query-timeout')
    expect(error.message).toContain('5s')
    expect(error.message).toContain('stopped after 5.0 s')
    const stops = ops('StopQuery')
    expect(stops).toHaveLength(1)
    expect(stops[0]?.input).toEqual({ queryId: QUERY_ID })
    expect(stops[0]?.at).toBe(START_MS + 5000)
    // The last poll lands on the deadline rather than past it.
    expect(ops('GetQueryResults').at(-1)?.at).toBe(START_MS + 5000)
  })

  it('still reports the timeout when StopQuery itself fails, and logs that failure', async () => {
    const { deps, lines } = scripted(
      { polls: [{ status: 'Scheduled' }], stopError: new Error('The query is not running') },
      { timeoutMs: 2000 },
    )
    const error = await rejection(completeQuery(query(), deps))
    expect(error.kind).toBe('timeout')
    expect(error.status).toBe('Scheduled')
    expect(lines.some((line) => line.includes('StopQuery failed') && line.includes('not running'))).toBe(true)
  })

  it('stops the query when the signal aborts while it is pending', async () => {
    const controller = new AbortController()
    const { deps, ops } = scripted(
      {
        polls: [{ status: 'Running' }],
        onPoll: (count) => {
          if (count === 3) controller.abort()
        },
      },
      { signal: controller.signal },
    )
    const error = await rejection(completeQuery(query(), deps))

    expect(error.kind).toBe('aborted')
    expect(error.queryId).toBe(QUERY_ID)
    expect(ops('GetQueryResults')).toHaveLength(3)
    expect(ops('StopQuery').map((call) => call.input)).toEqual([{ queryId: QUERY_ID }])
  })

  it('wakes from a poll delay as soon as the signal aborts', async () => {
    const controller = new AbortController()
    const { deps, ops } = scripted(
      { polls: [{ status: 'Running' }] },
      { signal: controller.signal, sleep: () => new Promise<void>(() => {}) },
    )
    const running = completeQuery(query(), deps)
    setTimeout(() => controller.abort(), 5)
    const error = await rejection(running)

    expect(error.kind).toBe('aborted')
    expect(ops('StopQuery')).toHaveLength(1)
  })

  it('does not start a query when the signal has already aborted', async () => {
    const controller = new AbortController()
    controller.abort()
    const { deps, calls } = scripted({ polls: [] }, { signal: controller.signal })
    const error = await rejection(completeQuery(query(), deps))
    expect(error.kind).toBe('aborted')
    expect(calls).toHaveLength(0)
  })

  it('stops the query when GetQueryResults keeps failing', async () => {
    const { deps, ops } = scripted({ polls: [{ status: 'Running' }, new Error('Service unavailable')] })
    const error = await rejection(completeQuery(query(), deps))
    expect(error.kind).toBe('results')
    expect(error.message).toContain('Service unavailable')
    expect(error.message).toContain(QUERY_ID)
    expect(ops('StopQuery')).toHaveLength(1)
  })

  it('uses logGroupIdentifiers when any log group is an ARN', async () => {
    const logGroups = ['/aws/apigateway/prod-access', 'arn:aws:logs:eu-west-1:123456789012:log-group:/other']
    const { deps, ops } = scripted({ polls: [{ status: 'Complete' }] })
    await completeQuery(query({ logGroups }), deps)

    const input = ops('StartQuery')[0]?.input
    expect(input?.logGroupIdentifiers).toEqual(logGroups)
    expect(input?.logGroupNames).toBeUndefined()
  })

  it('passes a limit to StartQuery only when one is given', async () => {
    const withLimit = scripted({ polls: [{ status: 'Complete' }] })
    await completeQuery(query({ limit: 100_000, queryLanguage: 'CWLI' }), withLimit.deps)
    expect(withLimit.ops('StartQuery')[0]?.input.limit).toBe(100_000)

    const without = scripted({ polls: [{ status: 'Complete' }] })
    await completeQuery(query({ queryLanguage: 'SQL' }), without.deps)
    expect(without.ops('StartQuery')[0]?.input).not.toHaveProperty('limit')
    expect(without.ops('StartQuery')[0]?.input.queryLanguage).toBe('SQL')
  })

  it('keeps the statistics of the Complete response, and zero for missing numbers', async () => {
    const { deps } = scripted({
      polls: [
        { status: 'Running', statistics: { recordsMatched: 1, recordsScanned: 10, bytesScanned: 100 } },
        { status: 'Complete', results: [], statistics: { ...stats, estimatedBytesSkipped: 5 } },
      ],
    })
    const result = await completeQuery(query(), deps)
    expect(result.statistics).toEqual(stats)

    const partial = scripted({ polls: [{ status: 'Complete', statistics: { recordsScanned: 7 } }] })
    const zeroed = await completeQuery(query(), partial.deps)
    expect(zeroed.statistics).toEqual({ recordsMatched: 0, recordsScanned: 7, bytesScanned: 0 })
    expect(zeroed.rows).toEqual([])
  })

  it('accepts the real CloudWatchLogsClient as its client', () => {
    const client: InsightsClient = new CloudWatchLogsClient({ region: 'eu-west-1' })
    expect(typeof client.send).toBe('function')
  })
})
