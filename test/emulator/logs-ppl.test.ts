import {
  type CloudWatchLogsClient,
  GetQueryResultsCommand,
  type GetQueryResultsCommandOutput,
  StartQueryCommand,
  type StartQueryCommandInput,
} from '@aws-sdk/client-cloudwatch-logs'
import { describe, expect, it } from 'vitest'
import { completeQuery, logsEmulatorPerTest, rejection, T0 } from './test-helpers.js'

/** StartQuery with queryLanguage PPL through the real SDK: log group parameters, statistics, the row cap. */

const GROUP = '/aws/apigateway/prod-access'
const OTHER = '/aws/apigateway/staging-access'
const T0_SECONDS = T0 / 1000

const setup = logsEmulatorPerTest({ queryLatencyMs: 0 })

function access(status: number): string {
  return JSON.stringify({ status, httpMethod: status >= 500 ? 'POST' : 'GET' })
}

async function startPpl(c: CloudWatchLogsClient, input: Partial<StartQueryCommandInput>): Promise<string> {
  const { queryId } = await c.send(
    new StartQueryCommand({
      queryLanguage: 'PPL',
      logGroupNames: [GROUP],
      startTime: T0_SECONDS - 3600,
      endTime: T0_SECONDS,
      queryString: 'fields `@timestamp`, status',
      ...input,
    }),
  )
  if (!queryId) throw new Error('no queryId')
  return queryId
}

function table(response: GetQueryResultsCommandOutput): Record<string, string | undefined>[] {
  return (response.results ?? []).map((row) => Object.fromEntries(row.map((f) => [f.field, f.value])))
}

describe('CloudWatch Logs: OpenSearch PPL queries', () => {
  it('runs a PPL query over the StartQuery log groups within startTime/endTime, with rows and statistics', async () => {
    const { emulator, client, clock } = await setup({ queryLatencyMs: 1000 })
    emulator.putLogEvents(GROUP, [
      { timestamp: T0 - 7200_000, message: access(500) }, // before startTime
      { timestamp: T0 - 30_000, message: access(200) },
      { timestamp: T0 - 20_000, message: access(502) },
      { timestamp: T0 - 10_000, message: access(404) },
      { timestamp: T0 + 5_000, message: access(503) }, // after endTime
    ])
    emulator.putLogEvents(OTHER, [{ timestamp: T0 - 15_000, message: access(500) }])

    const queryId = await startPpl(client, {
      queryString: 'where status >= 400 | sort `@timestamp` | fields `@timestamp`, status',
    })
    const final = await completeQuery(client, clock, queryId)
    expect(final.status).toBe('Complete')
    expect(final.queryLanguage).toBe('PPL')
    // CHOICE: PPL rows carry the named fields only, no @ptr
    expect(table(final)).toEqual([
      { '@timestamp': '2026-01-15 11:59:40.000', status: '502' },
      { '@timestamp': '2026-01-15 11:59:50.000', status: '404' },
    ])
    expect(final.statistics).toMatchObject({ recordsMatched: 2, recordsScanned: 3, logGroupsScanned: 1 })

    // several groups through logGroupIdentifiers (names or ARNs), and an aggregate
    const arn = `arn:aws:logs:us-east-1:123456789012:log-group:${OTHER}`
    const both = await completeQuery(
      client,
      clock,
      await startPpl(client, {
        logGroupNames: undefined,
        logGroupIdentifiers: [GROUP, arn],
        queryString: 'where status >= 500 | stats count() as n by status | sort status',
      }),
    )
    expect(table(both)).toEqual([
      { n: '1', status: '500' },
      { n: '1', status: '502' },
    ])
    expect(both.statistics).toMatchObject({ recordsMatched: 2, recordsScanned: 4, logGroupsScanned: 2 })
  })

  it('bounds a window with a where on @timestamp inside startTime/endTime', async () => {
    const { emulator, client, clock } = await setup()
    emulator.putLogEvents(
      GROUP,
      [0, 1, 2, 3].map((minute) => ({
        timestamp: T0 - 600_000 + minute * 60_000,
        message: access(500 + minute),
      })),
    )
    const final = await completeQuery(
      client,
      clock,
      await startPpl(client, {
        queryString:
          "where `@timestamp` >= '2026-01-15 11:51:00' and `@timestamp` < '2026-01-15 11:53:00' | fields status",
      }),
    )
    expect(table(final)).toEqual([{ status: '501' }, { status: '502' }])
    expect(final.statistics?.recordsMatched).toBe(2)
  })

  it('stops at 10,000 rows with no nextToken while recordsMatched counts every match; limit and head cap lower', async () => {
    const { emulator, client, clock } = await setup()
    emulator.putLogEvents(
      GROUP,
      Array.from({ length: 12_345 }, (_, i) => ({ timestamp: T0 - 60_000 + i, message: access(500) })),
    )
    const capped = await completeQuery(
      client,
      clock,
      await startPpl(client, { queryString: 'where status >= 500' }),
    )
    expect(capped.results).toHaveLength(10_000)
    expect(capped.nextToken).toBeUndefined()
    expect(capped.statistics?.recordsMatched).toBe(12_345)

    // maxItems does not page PPL either: one answer, no nextToken
    const queryId = await startPpl(client, {})
    await completeQuery(client, clock, queryId)
    const small = await client.send(new GetQueryResultsCommand({ queryId, maxItems: 10 }))
    expect(small.results).toHaveLength(10_000)
    expect(small.nextToken).toBeUndefined()

    const limited = await completeQuery(client, clock, await startPpl(client, { limit: 25 }))
    expect(limited.results).toHaveLength(25)
    expect(limited.statistics?.recordsMatched).toBe(12_345)
    const byHead = await completeQuery(
      client,
      clock,
      await startPpl(client, { limit: 25, queryString: 'head 7' }),
    )
    expect(byHead.results).toHaveLength(7)
    expect(byHead.statistics?.recordsMatched).toBe(12_345)

    // the aggregate counts every record, past the row cap
    const counted = await completeQuery(
      client,
      clock,
      await startPpl(client, { queryString: 'stats count() as n' }),
    )
    expect(table(counted)).toEqual([{ n: '12345' }])

    // 100,000 is for Logs Insights QL only
    const tooBig = await rejection(startPpl(client, { limit: 10_001 }))
    expect(tooBig.name).toBe('InvalidParameterException')
    expect(tooBig.message).toMatch(/between 1 and 10000 for queryLanguage PPL/)
  })

  it('refuses queries without log group parameters, a source command, unknown groups and commands outside the subset', async () => {
    const { emulator, client } = await setup()
    emulator.createLogGroup(GROUP)

    const noGroups = await rejection(startPpl(client, { logGroupNames: undefined }))
    expect(noGroups.name).toBe('InvalidParameterException')
    expect(noGroups.message).toMatch(/Exactly one of logGroupName, logGroupNames or logGroupIdentifiers/)

    const source = await rejection(
      startPpl(client, { queryString: `source = \`${GROUP}\` | where status >= 500` }),
    )
    expect(source.name).toBe('MalformedQueryException')
    expect(source.message).toMatch(
      /name the log groups with StartQuery's logGroupNames or logGroupIdentifiers/,
    )

    const unknown = await rejection(startPpl(client, { logGroupNames: ['/no/such/group'] }))
    expect(unknown.name).toBe('ResourceNotFoundException')

    const evalCommand = await rejection(startPpl(client, { queryString: 'where status >= 500 | eval x = 1' }))
    expect(evalCommand.name).toBe('MalformedQueryException')
    expect(evalCommand.message).toMatch(/PPL command eval is outside the emulator's PPL subset/)
    expect((evalCommand as { queryCompileError?: unknown }).queryCompileError).toMatchObject({
      location: { startCharOffset: 22 },
    })
  })
})
