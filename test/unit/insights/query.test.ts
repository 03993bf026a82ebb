import {
  CloudWatchLogsClient,
  type GetQueryResultsCommand,
  type GetQueryResultsCommandInput,
  type GetQueryResultsCommandOutput,
  MalformedQueryException,
  ResourceNotFoundException,
  type ResultField,
  StartQueryCommand,
  type StartQueryCommandInput,
  StopQueryCommand,
  type StopQueryCommandInput,
} from '@aws-sdk/client-cloudwatch-logs'
import { describe, expect, it } from 'vitest'
import {
  FIRST_POLL_DELAY_MS,
  type InsightsClient,
  type InsightsQuery,
  MAX_POLL_DELAY_MS,
  MIN_PAGE_INTERVAL_MS,
  type QueryDeps,
  QueryError,
  runInsightsQuery,
} from '../../../src/insights/query.js'

const QUERY_ID = '1234-abcd-5678'
const START_MS = 1_700_000_000_000

type Response = Omit<GetQueryResultsCommandOutput, '$metadata'>
type Call =
  | { op: 'StartQuery'; input: StartQueryCommandInput; at: number }
  | { op: 'GetQueryResults'; input: GetQueryResultsCommandInput; at: number }
  | { op: 'StopQuery'; input: StopQueryCommandInput; at: number }

interface Script {
  /** Thrown by StartQuery instead of starting. */
  startError?: Error
  /** Answers to GetQueryResults without a nextToken, in order; the last one repeats. */
  polls: Array<Response | Error>
  /** Answers to GetQueryResults by nextToken. */
  pages?: Record<string, Response>
  stopError?: Error
  /** Called after each poll is answered, with its 1-based number. */
  onPoll?: (count: number) => void
}

/** A scripted CloudWatch Logs client and a clock that only moves when the code under test sleeps. */
function setup(
  script: Script,
  options: { timeoutMs?: number; signal?: AbortSignal; sleep?: QueryDeps['sleep'] } = {},
) {
  let now = START_MS
  const sleeps: number[] = []
  const calls: Call[] = []
  const lines: string[] = []
  let polls = 0

  const fake = {
    async send(command: StartQueryCommand | GetQueryResultsCommand | StopQueryCommand): Promise<unknown> {
      if (command instanceof StartQueryCommand) {
        calls.push({ op: 'StartQuery', input: command.input, at: now })
        if (script.startError) throw script.startError
        return { queryId: QUERY_ID, $metadata: {} }
      }
      if (command instanceof StopQueryCommand) {
        calls.push({ op: 'StopQuery', input: command.input, at: now })
        if (script.stopError) throw script.stopError
        return { success: true, $metadata: {} }
      }
      calls.push({ op: 'GetQueryResults', input: command.input, at: now })
      const token = command.input.nextToken
      if (token !== undefined) {
        const page = script.pages?.[token]
        if (!page) throw new Error(`unexpected nextToken ${token}`)
        return { ...page, $metadata: {} }
      }
      polls += 1
      const answer = script.polls[Math.min(polls, script.polls.length) - 1]
      script.onPoll?.(polls)
      if (answer instanceof Error) throw answer
      return { ...answer, $metadata: {} }
    },
  }

  const deps: QueryDeps = {
    client: fake as InsightsClient,
    now: () => now,
    sleep:
      options.sleep ??
      (async (ms) => {
        sleeps.push(ms)
        now += ms
      }),
    log: (line) => lines.push(line),
    timeoutMs: options.timeoutMs ?? 300_000,
  }
  if (options.signal) deps.signal = options.signal
  const ops = <Op extends Call['op']>(op: Op) =>
    calls.filter((call): call is Extract<Call, { op: Op }> => call.op === op)
  return { deps, sleeps, calls, lines, ops }
}

function query(overrides: Partial<InsightsQuery> = {}): InsightsQuery {
  return {
    logGroups: ['/aws/apigateway/prod-access', '/aws/apigateway/staging-access'],
    queryString: 'fields @timestamp, @message | filter status >= 400',
    queryLanguage: 'CWLI',
    window: { start: 1_699_999_700, end: 1_699_999_999 },
    maxRows: 100_000,
    ...overrides,
  }
}

function row(id: string): ResultField[] {
  return [
    { field: '@timestamp', value: '2023-11-14 22:13:20.000' },
    { field: '@ptr', value: id },
  ]
}

const stats = { recordsMatched: 3, recordsScanned: 1000, bytesScanned: 204_800 }

async function rejection(promise: Promise<unknown>): Promise<QueryError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  )
  expect(error).toBeInstanceOf(QueryError)
  return error as QueryError
}

describe('runInsightsQuery', () => {
  it('keeps polling through Scheduled and Running and returns the Complete rows', async () => {
    const { deps, ops } = setup({
      polls: [
        { status: 'Scheduled' },
        { status: 'Running' },
        { status: 'Complete', results: [row('a'), row('b')], statistics: stats },
      ],
    })
    const result = await runInsightsQuery(query(), deps)

    expect(result.queryId).toBe(QUERY_ID)
    expect(result.rows).toEqual([row('a'), row('b')])
    expect(result.rowsCapped).toBe(false)
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
    const { deps } = setup({
      polls: [
        { status: 'Running', results: [row('a')] },
        { status: 'Running', results: [row('a'), row('b')] },
        { status: 'Complete', results: [row('a'), row('b'), row('c')], statistics: stats },
      ],
    })
    const result = await runInsightsQuery(query(), deps)
    expect(result.rows.map((fields) => fields[1]?.value)).toEqual(['a', 'b', 'c'])
  })

  it('polls first after about 100 ms, then backs off to a 1 s cap, under 5 polls a second', async () => {
    const { deps, sleeps, ops } = setup({
      polls: [...Array.from({ length: 30 }, (): Response => ({ status: 'Running' })), { status: 'Complete' }],
    })
    await runInsightsQuery(query(), deps)

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

  it('fetches every nextToken page in order, spaced under 5 requests a second', async () => {
    const { deps, ops } = setup({
      polls: [{ status: 'Running' }, { status: 'Complete', results: [row('a'), row('b')], nextToken: 't1' }],
      pages: {
        t1: { status: 'Complete', results: [row('c')], nextToken: 't2' },
        t2: { status: 'Complete', results: [row('d'), row('e')] },
      },
    })
    const result = await runInsightsQuery(query(), deps)

    expect(result.rows.map((fields) => fields[1]?.value)).toEqual(['a', 'b', 'c', 'd', 'e'])
    expect(result.rowsCapped).toBe(false)
    const requests = ops('GetQueryResults')
    expect(requests.map((call) => call.input)).toEqual([
      { queryId: QUERY_ID },
      { queryId: QUERY_ID },
      { queryId: QUERY_ID, nextToken: 't1' },
      { queryId: QUERY_ID, nextToken: 't2' },
    ])
    for (let index = 2; index < requests.length; index++) {
      const gap = (requests[index]?.at as number) - (requests[index - 1]?.at as number)
      expect(gap).toBeGreaterThanOrEqual(MIN_PAGE_INTERVAL_MS)
    }
  })

  it('stops fetching at maxRows, truncates, and says rows were capped', async () => {
    const { deps, ops } = setup({
      polls: [{ status: 'Complete', results: [row('a'), row('b')], nextToken: 't1', statistics: stats }],
      pages: {
        t1: { status: 'Complete', results: [row('c'), row('d')], nextToken: 't2' },
        t2: { status: 'Complete', results: [row('e')] },
      },
    })
    const result = await runInsightsQuery(query({ maxRows: 3 }), deps)

    expect(result.rows.map((fields) => fields[1]?.value)).toEqual(['a', 'b', 'c'])
    expect(result.rowsCapped).toBe(true)
    expect(ops('GetQueryResults').map((call) => call.input.nextToken)).toEqual([undefined, 't1'])
    expect(result.statistics).toEqual(stats)
  })

  it('caps a single response larger than maxRows, but not one of exactly maxRows', async () => {
    const larger = setup({ polls: [{ status: 'Complete', results: [row('a'), row('b'), row('c')] }] })
    const capped = await runInsightsQuery(query({ maxRows: 2 }), larger.deps)
    expect(capped.rows).toHaveLength(2)
    expect(capped.rowsCapped).toBe(true)

    const exact = setup({ polls: [{ status: 'Complete', results: [row('a'), row('b')] }] })
    const whole = await runInsightsQuery(query({ maxRows: 2 }), exact.deps)
    expect(whole.rows).toHaveLength(2)
    expect(whole.rowsCapped).toBe(false)
  })

  it('says rows were capped when maxRows is reached exactly and a nextToken remains', async () => {
    const { deps, ops } = setup({
      polls: [{ status: 'Complete', results: [row('a'), row('b')], nextToken: 't1' }],
    })
    const result = await runInsightsQuery(query({ maxRows: 2 }), deps)
    expect(result.rows).toHaveLength(2)
    expect(result.rowsCapped).toBe(true)
    expect(ops('GetQueryResults')).toHaveLength(1)
  })

  it('does not loop on an empty page that repeats its nextToken', async () => {
    const { deps, ops, lines } = setup({
      polls: [{ status: 'Complete', results: [row('a')], nextToken: 't1' }],
      pages: { t1: { status: 'Complete', results: [], nextToken: 't1' } },
    })
    const result = await runInsightsQuery(query(), deps)
    expect(result.rows).toHaveLength(1)
    expect(result.rowsCapped).toBe(false)
    expect(ops('GetQueryResults')).toHaveLength(2)
    expect(lines.some((line) => line.includes('repeated its nextToken'))).toBe(true)
  })

  it.each(['Failed', 'Cancelled', 'Timeout', 'Unknown', 'SomethingNew'])(
    'throws naming the query id and the status when the query ends %s',
    async (status) => {
      const { deps, ops } = setup({ polls: [{ status: 'Running' }, { status } as Response] })
      const error = await rejection(runInsightsQuery(query(), deps))

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
    const { deps } = setup({ polls: [{ results: [row('a')] }] })
    const error = await rejection(runInsightsQuery(query(), deps))
    expect(error.kind).toBe('status')
    expect(error.message).toContain(QUERY_ID)
  })

  it("reports a malformed query with AWS's message and the query string", async () => {
    const aws = new MalformedQueryException({
      message: 'unexpected symbol found > at line 1 and position 40',
      $metadata: {},
    })
    const { deps, ops } = setup({ startError: aws, polls: [] })
    const error = await rejection(
      runInsightsQuery(query({ queryString: 'fields @message | filter >> 1' }), deps),
    )

    expect(error.kind).toBe('malformed')
    expect(error.message).toContain('unexpected symbol found > at line 1 and position 40')
    expect(error.message).toContain('Query: fields @message | filter >> 1')
    expect(error.query).toBe('fields @message | filter >> 1')
    expect(error.queryId).toBeUndefined()
    expect(error.cause).toBe(aws)
    expect(ops('GetQueryResults')).toHaveLength(0)
  })

  it('adds the compile error location of a malformed query when AWS gives one', async () => {
    const aws = new MalformedQueryException({
      message: 'Query is malformed',
      queryCompileError: {
        message: 'mismatched input',
        location: { startCharOffset: 25, endCharOffset: 27 },
      },
      $metadata: {},
    })
    const { deps } = setup({ startError: aws, polls: [] })
    const error = await rejection(runInsightsQuery(query(), deps))
    expect(error.message).toContain('Query is malformed (mismatched input at character 25)')
  })

  it('names the log groups and the region when one is not found', async () => {
    const aws = new ResourceNotFoundException({ message: 'Log group does not exist', $metadata: {} })
    const { deps } = setup({ startError: aws, polls: [] })
    const error = await rejection(runInsightsQuery(query(), deps))

    expect(error.kind).toBe('not-found')
    expect(error.message).toContain('Log group does not exist')
    expect(error.message).toContain('/aws/apigateway/prod-access, /aws/apigateway/staging-access')
    expect(error.message).toContain('aws-region')
    expect(error.message).toContain('log-group-names')
  })

  it('wraps other StartQuery errors with the log groups and keeps the cause', async () => {
    const aws = Object.assign(new Error('User is not authorized to perform: logs:StartQuery'), {
      name: 'AccessDeniedException',
    })
    const { deps } = setup({ startError: aws, polls: [] })
    const error = await rejection(runInsightsQuery(query(), deps))

    expect(error.kind).toBe('start')
    expect(error.message).toContain('not authorized to perform: logs:StartQuery')
    expect(error.message).toContain('/aws/apigateway/prod-access')
    expect(error.cause).toBe(aws)
  })

  it('says when StartQuery refused the limit parameter, and the maximum the service named', async () => {
    const refusal = Object.assign(
      new Error(
        "1 validation error detected: Value '100000' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 10000",
      ),
      { name: 'InvalidParameterException' },
    )
    const { deps } = setup({ startError: refusal, polls: [] })
    const error = await rejection(runInsightsQuery(query({ limit: 100_000 }), deps))
    expect(error.kind).toBe('limit')
    expect(error.acceptedLimit).toBe(10_000)
    expect(error.message).toContain('StartQuery refused limit 100000')

    // Without a limit passed, the same error is an ordinary StartQuery failure.
    const other = setup({ startError: refusal, polls: [] })
    expect((await rejection(runInsightsQuery(query(), other.deps))).kind).toBe('start')
  })

  it('abbreviates a long list of log groups in messages', async () => {
    const logGroups = Array.from({ length: 50 }, (_, index) => `/group/${index}`)
    const { deps } = setup({ polls: [{ status: 'Failed' }] })
    const error = await rejection(runInsightsQuery(query({ logGroups }), deps))
    expect(error.message).toContain('/group/9 and 40 more')
    expect(error.message).not.toContain('/group/10')
    expect(error.logGroups).toEqual(logGroups)
  })

  it('stops a query that outlives query-timeout and says which input to raise', async () => {
    const { deps, ops } = setup({ polls: [{ status: 'Running' }] }, { timeoutMs: 5000 })
    const error = await rejection(runInsightsQuery(query(), deps))

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
    const { deps, lines } = setup(
      { polls: [{ status: 'Scheduled' }], stopError: new Error('The query is not running') },
      { timeoutMs: 2000 },
    )
    const error = await rejection(runInsightsQuery(query(), deps))
    expect(error.kind).toBe('timeout')
    expect(error.status).toBe('Scheduled')
    expect(lines.some((line) => line.includes('StopQuery failed') && line.includes('not running'))).toBe(true)
  })

  it('stops the query when the signal aborts while it is pending', async () => {
    const controller = new AbortController()
    const { deps, ops } = setup(
      {
        polls: [{ status: 'Running' }],
        onPoll: (count) => {
          if (count === 3) controller.abort()
        },
      },
      { signal: controller.signal },
    )
    const error = await rejection(runInsightsQuery(query(), deps))

    expect(error.kind).toBe('aborted')
    expect(error.queryId).toBe(QUERY_ID)
    expect(ops('GetQueryResults')).toHaveLength(3)
    expect(ops('StopQuery').map((call) => call.input)).toEqual([{ queryId: QUERY_ID }])
  })

  it('wakes from a poll delay as soon as the signal aborts', async () => {
    const controller = new AbortController()
    const { deps, ops } = setup(
      { polls: [{ status: 'Running' }] },
      { signal: controller.signal, sleep: () => new Promise<void>(() => {}) },
    )
    const running = runInsightsQuery(query(), deps)
    setTimeout(() => controller.abort(), 5)
    const error = await rejection(running)

    expect(error.kind).toBe('aborted')
    expect(ops('StopQuery')).toHaveLength(1)
  })

  it('does not start a query when the signal has already aborted', async () => {
    const controller = new AbortController()
    controller.abort()
    const { deps, calls } = setup({ polls: [] }, { signal: controller.signal })
    const error = await rejection(runInsightsQuery(query(), deps))
    expect(error.kind).toBe('aborted')
    expect(calls).toHaveLength(0)
  })

  it('stops the query when GetQueryResults keeps failing', async () => {
    const { deps, ops } = setup({ polls: [{ status: 'Running' }, new Error('Service unavailable')] })
    const error = await rejection(runInsightsQuery(query(), deps))
    expect(error.kind).toBe('results')
    expect(error.message).toContain('Service unavailable')
    expect(error.message).toContain(QUERY_ID)
    expect(ops('StopQuery')).toHaveLength(1)
  })

  it('uses logGroupIdentifiers when any log group is an ARN', async () => {
    const logGroups = ['/aws/apigateway/prod-access', 'arn:aws:logs:eu-west-1:123456789012:log-group:/other']
    const { deps, ops } = setup({ polls: [{ status: 'Complete' }] })
    await runInsightsQuery(query({ logGroups }), deps)

    const input = ops('StartQuery')[0]?.input
    expect(input?.logGroupIdentifiers).toEqual(logGroups)
    expect(input?.logGroupNames).toBeUndefined()
  })

  it('passes a limit to StartQuery only when one is given', async () => {
    const withLimit = setup({ polls: [{ status: 'Complete' }] })
    await runInsightsQuery(query({ limit: 100_000, queryLanguage: 'CWLI' }), withLimit.deps)
    expect(withLimit.ops('StartQuery')[0]?.input.limit).toBe(100_000)

    const without = setup({ polls: [{ status: 'Complete' }] })
    await runInsightsQuery(query({ queryLanguage: 'SQL' }), without.deps)
    expect(without.ops('StartQuery')[0]?.input).not.toHaveProperty('limit')
    expect(without.ops('StartQuery')[0]?.input.queryLanguage).toBe('SQL')
  })

  it('keeps the statistics of the Complete response, and zero for missing numbers', async () => {
    const { deps } = setup({
      polls: [
        { status: 'Running', statistics: { recordsMatched: 1, recordsScanned: 10, bytesScanned: 100 } },
        { status: 'Complete', results: [], statistics: { ...stats, estimatedBytesSkipped: 5 } },
      ],
    })
    const result = await runInsightsQuery(query(), deps)
    expect(result.statistics).toEqual(stats)

    const partial = setup({ polls: [{ status: 'Complete', statistics: { recordsScanned: 7 } }] })
    const zeroed = await runInsightsQuery(query(), partial.deps)
    expect(zeroed.statistics).toEqual({ recordsMatched: 0, recordsScanned: 7, bytesScanned: 0 })
    expect(zeroed.rows).toEqual([])
  })

  it('logs the query id, each status change once, and the final count and statistics', async () => {
    const { deps, lines } = setup({
      polls: [
        { status: 'Scheduled' },
        { status: 'Running' },
        { status: 'Running' },
        { status: 'Complete', results: [row('a')], statistics: stats },
      ],
    })
    await runInsightsQuery(query(), deps)

    expect(lines[0]).toContain(`Insights query ${QUERY_ID} started`)
    expect(lines[0]).toContain('2023-11-14T22:08:20Z')
    expect(lines.filter((line) => line.includes(': Running after'))).toHaveLength(1)
    expect(lines.filter((line) => line.includes(': Scheduled after'))).toHaveLength(1)
    expect(lines.at(-1)).toContain('1 rows')
    expect(lines.at(-1)).toContain('3 records matched, 1000 scanned, 205 kB scanned')
  })

  it('accepts the real CloudWatchLogsClient as its client', () => {
    const client: InsightsClient = new CloudWatchLogsClient({ region: 'eu-west-1' })
    expect(typeof client.send).toBe('function')
  })
})
