import {
  type CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  GetQueryResultsCommand,
  type GetQueryResultsCommandOutput,
  PutLogEventsCommand,
  StartQueryCommand,
  type StartQueryCommandInput,
  StopQueryCommand,
} from '@aws-sdk/client-cloudwatch-logs'
import { afterEach, describe, expect, it } from 'vitest'
import { type Emulator, type EmulatorOptions, startEmulator } from './index.js'
import { type FakeClock, fakeClock, logsClient, rejection, T0 } from './test-helpers.js'

const GROUP = '/aws/apigateway/prod-access'
const T0_SECONDS = T0 / 1000

let emulator: Emulator | undefined
let client: CloudWatchLogsClient | undefined

afterEach(async () => {
  client?.destroy()
  await emulator?.stop()
  emulator = undefined
  client = undefined
})

async function setup(
  options: EmulatorOptions = {},
): Promise<{ emulator: Emulator; client: CloudWatchLogsClient; clock: FakeClock }> {
  const clock = fakeClock()
  emulator = await startEmulator({ now: clock.now, ...options })
  client = logsClient(emulator)
  return { emulator, client, clock }
}

function access(status: number, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    requestId: `r-${status}-${Math.random().toString(36).slice(2)}`,
    status,
    httpMethod: 'GET',
    ...extra,
  })
}

async function start(c: CloudWatchLogsClient, input: Partial<StartQueryCommandInput> = {}): Promise<string> {
  const { queryId } = await c.send(
    new StartQueryCommand({
      logGroupName: GROUP,
      startTime: T0_SECONDS - 3600,
      endTime: T0_SECONDS,
      queryString: 'fields @timestamp, @message | sort @timestamp asc',
      ...input,
    }),
  )
  if (!queryId) throw new Error('no queryId')
  return queryId
}

/** Polls GetQueryResults, moving the fake clock `stepMs` between polls, until the query ends. */
async function poll(
  c: CloudWatchLogsClient,
  clock: FakeClock,
  queryId: string,
  stepMs = 100,
): Promise<{
  statuses: string[]
  responses: GetQueryResultsCommandOutput[]
  final: GetQueryResultsCommandOutput
}> {
  const statuses: string[] = []
  const responses: GetQueryResultsCommandOutput[] = []
  for (let i = 0; i < 1000; i++) {
    const response = await c.send(new GetQueryResultsCommand({ queryId }))
    statuses.push(response.status ?? '?')
    responses.push(response)
    if (response.status !== 'Scheduled' && response.status !== 'Running')
      return { statuses, responses, final: response }
    clock.advance(stepMs)
  }
  throw new Error('query never ended')
}

function values(response: GetQueryResultsCommandOutput, field: string): string[] {
  return (response.results ?? []).map((row) => row.find((f) => f.field === field)?.value ?? '')
}

describe('CloudWatch Logs: seeding and querying through the real SDK', () => {
  it('takes events through CreateLogGroup, CreateLogStream and PutLogEvents and finds them with a query', async () => {
    const { client, clock } = await setup({ queryLatencyMs: 1000 })
    await client.send(new CreateLogGroupCommand({ logGroupName: GROUP }))
    await client.send(new CreateLogStreamCommand({ logGroupName: GROUP, logStreamName: 'stage-prod' }))
    const put = await client.send(
      new PutLogEventsCommand({
        logGroupName: GROUP,
        logStreamName: 'stage-prod',
        logEvents: [
          { timestamp: T0 - 30_000, message: access(200) },
          { timestamp: T0 - 20_000, message: access(502) },
          { timestamp: T0 - 10_000, message: access(404) },
        ],
      }),
    )
    expect(put.rejectedLogEventsInfo).toBeUndefined()

    const queryId = await start(client, {
      queryString: 'fields @timestamp, status | filter status >= 400 | sort @timestamp asc',
    })
    const { statuses, final } = await poll(client, clock, queryId)

    expect(statuses[0]).toBe('Scheduled')
    expect(statuses).toContain('Running')
    expect(statuses.at(-1)).toBe('Complete')
    expect(values(final, 'status')).toEqual(['502', '404'])
    expect(values(final, '@timestamp')).toEqual(['2026-01-15 11:59:40.000', '2026-01-15 11:59:50.000'])
    // Every row carries @ptr besides the requested fields (GetQueryResults doc).
    expect(final.results?.[0]?.map((f) => f.field)).toEqual(['@timestamp', 'status', '@ptr'])
    expect(final.statistics).toMatchObject({ recordsMatched: 2, recordsScanned: 3 })
    expect(final.statistics?.bytesScanned).toBeGreaterThan(0)
    expect(final.nextToken).toBeUndefined()
  })

  it('answers Scheduled for the first 30% of the latency, then Running with partial rows, then Complete', async () => {
    const { emulator, client, clock } = await setup({ queryLatencyMs: 1000 })
    emulator.putLogEvents(
      GROUP,
      Array.from({ length: 100 }, (_, i) => ({ timestamp: T0 - 100_000 + i * 1000, message: access(500) })),
    )
    const queryId = await start(client)
    const { statuses, responses, final } = await poll(client, clock, queryId, 50)

    expect(statuses.filter((s) => s === 'Scheduled')).toHaveLength(6) // 0, 50 … 250 ms
    expect(statuses.filter((s) => s === 'Running')).toHaveLength(14) // 300 … 950 ms
    const running = responses.filter((r) => r.status === 'Running').map((r) => r.results?.length ?? 0)
    // Partial rows grow while Running and stay short of the full result.
    expect(running.some((n) => n > 0 && n < 100)).toBe(true)
    expect([...running].sort((a, b) => a - b)).toEqual(running)
    expect(final.results).toHaveLength(100)
  })

  it('returns at once when the latency is 0', async () => {
    const { emulator, client, clock } = await setup({ queryLatencyMs: 0 })
    emulator.putLogEvents(GROUP, [{ timestamp: T0 - 1000, message: access(500) }])
    const { statuses, final } = await poll(client, clock, await start(client))
    expect(statuses).toEqual(['Complete'])
    expect(final.results).toHaveLength(1)
  })

  it('hides an event from queries until its ingestion time has come', async () => {
    const { emulator, client, clock } = await setup({ queryLatencyMs: 0 })
    // Written at T0 - 30 s, reaching Insights 90 s later (T0 + 60 s).
    emulator.putLogEvents(GROUP, [
      { timestamp: T0 - 40_000, message: access(500, { n: 1 }) },
      { timestamp: T0 - 30_000, message: access(500, { n: 2 }), ingestionTime: T0 + 60_000 },
    ])
    const before = await poll(client, clock, await start(client, { queryString: 'fields n' }))
    expect(values(before.final, 'n')).toEqual(['1'])

    clock.advance(60_000)
    const after = await poll(client, clock, await start(client, { queryString: 'fields n' }))
    expect(values(after.final, 'n')).toEqual(['1', '2'])
  })

  it('counts only events ingested by the time the query completes', async () => {
    const { emulator, client, clock } = await setup({ queryLatencyMs: 1000 })
    emulator.createLogGroup(GROUP)
    const queryId = await start(client, { queryString: 'fields n' })
    emulator.putLogEvents(GROUP, [
      { timestamp: T0 - 5000, message: access(500, { n: 1 }), ingestionTime: T0 + 999 },
      { timestamp: T0 - 4000, message: access(500, { n: 2 }), ingestionTime: T0 + 1001 },
    ])
    const { final } = await poll(client, clock, queryId)
    expect(values(final, 'n')).toEqual(['1'])
  })

  it.each([
    ['whole', ['start', 'end', 'end+0.5s']],
    ['instant', ['start', 'end']],
  ] as const)("reads the inclusive end second as '%s'", async (endSecond, expected) => {
    const { emulator, client, clock } = await setup({ queryLatencyMs: 0, endSecond })
    const start_ = T0_SECONDS - 60
    const end = T0_SECONDS - 10
    emulator.putLogEvents(GROUP, [
      { timestamp: start_ * 1000 - 1, message: JSON.stringify({ at: 'before' }) },
      { timestamp: start_ * 1000, message: JSON.stringify({ at: 'start' }) },
      { timestamp: end * 1000, message: JSON.stringify({ at: 'end' }) },
      { timestamp: end * 1000 + 500, message: JSON.stringify({ at: 'end+0.5s' }) },
      { timestamp: (end + 1) * 1000, message: JSON.stringify({ at: 'next second' }) },
    ])
    const queryId = await start(client, {
      startTime: start_,
      endTime: end,
      queryString: 'fields at | sort @timestamp asc',
    })
    const { final } = await poll(client, clock, queryId)
    expect(values(final, 'at')).toEqual(expected)
  })

  it('queries several groups, named or by ARN, and reports @log per event', async () => {
    const { emulator, client, clock } = await setup({ queryLatencyMs: 0 })
    emulator.putLogEvents('/a', [{ timestamp: T0 - 2000, message: 'from a' }])
    emulator.putLogEvents('/b', [{ timestamp: T0 - 1000, message: 'from b' }])
    const queryId = await start(client, {
      logGroupName: undefined,
      logGroupIdentifiers: ['/a', 'arn:aws:logs:us-east-1:123456789012:log-group:/b'],
      queryString: 'fields @log, @message | sort @timestamp asc',
    })
    const { final } = await poll(client, clock, queryId)
    expect(values(final, '@log')).toEqual(['123456789012:/a', '123456789012:/b'])
    expect(final.statistics?.logGroupsScanned).toBe(2)
  })
})

describe('CloudWatch Logs: result size', () => {
  it('pages results with nextToken and keeps statistics whole', async () => {
    const { emulator, client, clock } = await setup({ queryLatencyMs: 0, pageSize: 3 })
    emulator.putLogEvents(
      GROUP,
      Array.from({ length: 7 }, (_, i) => ({ timestamp: T0 - 10_000 + i, message: JSON.stringify({ i }) })),
    )
    const queryId = await start(client, { queryString: 'fields i | sort @timestamp asc' })
    const first = (await poll(client, clock, queryId)).final
    expect(values(first, 'i')).toEqual(['0', '1', '2'])
    expect(first.statistics?.recordsMatched).toBe(7)
    const second = await client.send(new GetQueryResultsCommand({ queryId, nextToken: first.nextToken }))
    expect(values(second, 'i')).toEqual(['3', '4', '5'])
    const third = await client.send(new GetQueryResultsCommand({ queryId, nextToken: second.nextToken }))
    expect(values(third, 'i')).toEqual(['6'])
    expect(third.nextToken).toBeUndefined()

    const bad = await rejection(client.send(new GetQueryResultsCommand({ queryId, nextToken: 'garbage' })))
    expect(bad.name).toBe('InvalidParameterException')
  })

  it("caps rows at StartQuery's limit, at the query's limit command, and at 10,000 without either", async () => {
    const { emulator, client, clock } = await setup({ queryLatencyMs: 0 })
    emulator.putLogEvents(
      GROUP,
      Array.from({ length: 10_050 }, (_, i) => ({ timestamp: T0 - 20_000 + i, message: `m${i}` })),
    )
    const byParam = (await poll(client, clock, await start(client, { limit: 5 }))).final
    expect(byParam.results).toHaveLength(5)
    expect(byParam.statistics?.recordsMatched).toBe(10_050)

    const byCommand = (
      await poll(client, clock, await start(client, { queryString: 'fields @message | limit 7' }))
    ).final
    expect(byCommand.results).toHaveLength(7)

    const byDefault = (await poll(client, clock, await start(client))).final
    expect(byDefault.results).toHaveLength(10_000)
    expect(byDefault.nextToken).toBeUndefined()

    // A limit above the default reaches past 10,000 rows, in pages of 10,000.
    const queryId = await start(client, { limit: 10_020 })
    const firstPage = (await poll(client, clock, queryId)).final
    expect(firstPage.results).toHaveLength(10_000)
    const secondPage = await client.send(
      new GetQueryResultsCommand({ queryId, nextToken: firstPage.nextToken }),
    )
    expect(secondPage.results).toHaveLength(20)
    expect(secondPage.nextToken).toBeUndefined()
  })

  it('without nextToken paging, answers in one page capped at maxRowsPerQuery', async () => {
    const { emulator, client, clock } = await setup({
      queryLatencyMs: 0,
      nextToken: false,
      maxRowsPerQuery: 4,
    })
    emulator.putLogEvents(
      GROUP,
      Array.from({ length: 9 }, (_, i) => ({ timestamp: T0 - 10_000 + i, message: `m${i}` })),
    )
    const { final } = await poll(client, clock, await start(client))
    expect(final.results).toHaveLength(4)
    expect(final.nextToken).toBeUndefined()
    expect(final.statistics?.recordsMatched).toBe(9)
    // Before paging existed the limit stopped at 10,000.
    const tooBig = await rejection(start(client, { limit: 20_000 }))
    expect(tooBig.name).toBe('InvalidParameterException')
  })
})

describe('CloudWatch Logs: StartQuery refusals in AWS error shapes', () => {
  it('refuses more than 50 log groups with InvalidParameterException, and takes 50', async () => {
    const { emulator, client } = await setup()
    const names = Array.from({ length: 51 }, (_, i) => `/g/${i}`)
    for (const name of names) emulator.createLogGroup(name)
    const error = await rejection(start(client, { logGroupName: undefined, logGroupNames: names }))
    expect(error.name).toBe('InvalidParameterException')
    expect(error.$metadata).toMatchObject({ httpStatusCode: 400 })
    await expect(
      start(client, { logGroupName: undefined, logGroupNames: names.slice(0, 50) }),
    ).resolves.toBeTruthy()
  })

  it('names an unknown log group in ResourceNotFoundException', async () => {
    const { client } = await setup()
    const error = await rejection(start(client, { logGroupName: '/nope' }))
    expect(error.name).toBe('ResourceNotFoundException')
    expect(error.message).toContain('/nope')
    const other = await rejection(
      start(client, {
        logGroupName: undefined,
        logGroupIdentifiers: ['arn:aws:logs:eu-west-1:123456789012:log-group:/x'],
      }),
    )
    expect(other.name).toBe('ResourceNotFoundException')
  })

  it('refuses an ARN ending in :* and an ARN in logGroupNames', async () => {
    const { emulator, client } = await setup()
    emulator.createLogGroup(GROUP)
    const arn = `arn:aws:logs:us-east-1:123456789012:log-group:${GROUP}`
    expect(
      (await rejection(start(client, { logGroupName: undefined, logGroupIdentifiers: [`${arn}:*`] }))).name,
    ).toBe('InvalidParameterException')
    expect((await rejection(start(client, { logGroupName: undefined, logGroupNames: [arn] }))).name).toBe(
      'InvalidParameterException',
    )
  })

  it('throws MalformedQueryException with the parser message through the SDK', async () => {
    const { emulator, client } = await setup()
    emulator.createLogGroup(GROUP)
    const error = await rejection(start(client, { queryString: 'fields @message | frobnicate x' }))
    expect(error.name).toBe('MalformedQueryException')
    expect(error.message).toContain('frobnicate')
    expect(error.queryCompileError).toMatchObject({ location: { startCharOffset: 18 } })
    expect(emulator.calls.at(-1)).toMatchObject({
      service: 'logs',
      action: 'StartQuery',
      status: 400,
      response: { __type: 'MalformedQueryException' },
    })
  })

  it('refuses bad times: start after end, and a fraction of a second', async () => {
    const { emulator, client } = await setup()
    emulator.createLogGroup(GROUP)
    expect((await rejection(start(client, { startTime: T0_SECONDS, endTime: T0_SECONDS - 1 }))).name).toBe(
      'InvalidParameterException',
    )
    expect((await rejection(start(client, { startTime: T0_SECONDS - 1.5 }))).name).toBe(
      'InvalidParameterException',
    )
  })

  it('refuses a query language outside the emulator', async () => {
    const { emulator, client } = await setup()
    emulator.createLogGroup(GROUP)
    // SQL and PPL have their own subsets (logs-sql.test.ts, logs-ppl.test.ts).
    const error = await rejection(
      start(client, {
        queryLanguage: 'KQL' as StartQueryCommandInput['queryLanguage'],
        queryString: 'fields status',
      }),
    )
    expect(error.name).toBe('MalformedQueryException')
    expect(error.message).toContain('queryLanguage KQL is outside the emulator')
  })

  it('throws LimitExceededException beyond the concurrent-query cap until a query ends', async () => {
    const { emulator, client, clock } = await setup({ maxConcurrentQueries: 2, queryLatencyMs: 1000 })
    emulator.createLogGroup(GROUP)
    const first = await start(client)
    await start(client)
    const error = await rejection(start(client))
    expect(error.name).toBe('LimitExceededException')
    // A stopped query frees its slot, and so does a completed one.
    await client.send(new StopQueryCommand({ queryId: first }))
    await start(client)
    expect((await rejection(start(client))).name).toBe('LimitExceededException')
    clock.advance(1000)
    await expect(start(client)).resolves.toBeTruthy()
  })
})

describe('CloudWatch Logs: query lifecycle', () => {
  it('cancels a running query with StopQuery, and refuses to stop it twice', async () => {
    const { emulator, client, clock } = await setup({ queryLatencyMs: 1000 })
    emulator.createLogGroup(GROUP)
    const queryId = await start(client)
    clock.advance(400)
    const stopped = await client.send(new StopQueryCommand({ queryId }))
    expect(stopped.success).toBe(true)
    clock.advance(5000)
    const after = await client.send(new GetQueryResultsCommand({ queryId }))
    expect(after.status).toBe('Cancelled')
    expect(after.results).toEqual([])
    expect((await rejection(client.send(new StopQueryCommand({ queryId })))).name).toBe(
      'InvalidParameterException',
    )
  })

  it('times a query out after 60 minutes of running', async () => {
    const { emulator, client, clock } = await setup({ queryLatencyMs: 2 * 3_600_000 })
    emulator.createLogGroup(GROUP)
    const queryId = await start(client)
    clock.advance(3_600_000 - 1)
    expect((await client.send(new GetQueryResultsCommand({ queryId }))).status).toBe('Running')
    clock.advance(1)
    expect((await client.send(new GetQueryResultsCommand({ queryId }))).status).toBe('Timeout')
  })

  it('refuses an unknown query id with ResourceNotFoundException', async () => {
    const { client } = await setup()
    const error = await rejection(client.send(new GetQueryResultsCommand({ queryId: 'no-such-query' })))
    expect(error.name).toBe('ResourceNotFoundException')
  })

  it.each(['Failed', 'Timeout', 'Unknown', 'Cancelled'] as const)(
    'ends the next query %s when asked to, and the one after normally',
    async (status) => {
      const { emulator, client, clock } = await setup({ queryLatencyMs: 500 })
      emulator.putLogEvents(GROUP, [{ timestamp: T0 - 1000, message: 'x' }])
      emulator.failNextQuery(status)
      const failed = await poll(client, clock, await start(client))
      expect(failed.statuses).toContain('Running')
      expect(failed.final.status).toBe(status)
      expect(failed.final.results).toEqual([])
      const next = await poll(client, clock, await start(client))
      expect(next.final.status).toBe('Complete')
      expect(next.final.results).toHaveLength(1)
    },
  )

  it('ends only the next query whose text holds a given string, when asked to', async () => {
    const { emulator, client, clock } = await setup({ queryLatencyMs: 500 })
    emulator.putLogEvents(GROUP, [{ timestamp: T0 - 1000, message: 'x' }])
    emulator.failNextQuery('Failed', 'stats count(*)')
    const other = await poll(client, clock, await start(client))
    expect(other.final.status).toBe('Complete')
    const counted = await poll(client, clock, await start(client, { queryString: 'stats count(*) as n' }))
    expect(counted.final.status).toBe('Failed')
    const again = await poll(client, clock, await start(client, { queryString: 'stats count(*) as n' }))
    expect(again.final.status).toBe('Complete')
  })
})

describe('CloudWatch Logs: PutLogEvents rules', () => {
  it('refuses events out of chronological order, and an unknown stream or group', async () => {
    const { client } = await setup()
    await client.send(new CreateLogGroupCommand({ logGroupName: GROUP }))
    await client.send(new CreateLogStreamCommand({ logGroupName: GROUP, logStreamName: 's' }))
    const unordered = await rejection(
      client.send(
        new PutLogEventsCommand({
          logGroupName: GROUP,
          logStreamName: 's',
          logEvents: [
            { timestamp: T0, message: 'b' },
            { timestamp: T0 - 1, message: 'a' },
          ],
        }),
      ),
    )
    expect(unordered.name).toBe('InvalidParameterException')
    const noStream = await rejection(
      client.send(
        new PutLogEventsCommand({
          logGroupName: GROUP,
          logStreamName: 'x',
          logEvents: [{ timestamp: T0, message: 'a' }],
        }),
      ),
    )
    expect(noStream.name).toBe('ResourceNotFoundException')
    const again = await rejection(client.send(new CreateLogGroupCommand({ logGroupName: GROUP })))
    expect(again.name).toBe('ResourceAlreadyExistsException')
  })

  it('drops events over 14 days old or 2 hours ahead and reports them', async () => {
    const { client, clock } = await setup({ queryLatencyMs: 0 })
    await client.send(new CreateLogGroupCommand({ logGroupName: GROUP }))
    await client.send(new CreateLogStreamCommand({ logGroupName: GROUP, logStreamName: 's' }))
    const day = 86_400_000
    // One batch may span 24 hours at most, so each batch tests one end.
    const old = await client.send(
      new PutLogEventsCommand({
        logGroupName: GROUP,
        logStreamName: 's',
        logEvents: [
          { timestamp: T0 - 14 * day - 1000, message: 'too old' },
          { timestamp: T0 - 14 * day + 60_000, message: 'old but fine' },
        ],
      }),
    )
    expect(old.rejectedLogEventsInfo).toEqual({ tooOldLogEventEndIndex: 1 })
    const ahead = await client.send(
      new PutLogEventsCommand({
        logGroupName: GROUP,
        logStreamName: 's',
        logEvents: [
          { timestamp: T0 + 3_600_000, message: 'an hour ahead' },
          { timestamp: T0 + 3 * 3_600_000, message: 'too new' },
        ],
      }),
    )
    expect(ahead.rejectedLogEventsInfo).toEqual({ tooNewLogEventStartIndex: 1 })
    const queryId = await start(client, {
      startTime: T0_SECONDS - 15 * 86_400,
      endTime: T0_SECONDS + 4 * 3600,
    })
    const { final } = await poll(client, clock, queryId)
    expect(values(final, '@message')).toEqual(['old but fine', 'an hour ahead'])
  })
})

describe('CloudWatch Logs: endpoint and call log', () => {
  it('is reached through AWS_ENDPOINT_URL_CLOUDWATCH_LOGS by a client without an endpoint option', async () => {
    const clock = fakeClock()
    emulator = await startEmulator({ now: clock.now })
    const saved = { ...process.env }
    try {
      Object.assign(process.env, emulator.env)
      const { CloudWatchLogsClient } = await import('@aws-sdk/client-cloudwatch-logs')
      client = new CloudWatchLogsClient({
        credentials: emulator.defaultCredentials,
        maxAttempts: 1,
        // Signs on the emulator's clock, which refuses signatures 5 minutes off as AWS does.
        systemClockOffset: clock.now() - Date.now(),
      })
      await client.send(new CreateLogGroupCommand({ logGroupName: GROUP }))
    } finally {
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key]
      Object.assign(process.env, saved)
    }
    expect(emulator.calls).toEqual([
      {
        service: 'logs',
        action: 'CreateLogGroup',
        at: T0,
        accessKeyId: emulator.defaultCredentials.accessKeyId,
        status: 200,
        body: { logGroupName: GROUP },
        response: '',
      },
    ])
  })
})
