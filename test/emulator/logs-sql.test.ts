import {
  type CloudWatchLogsClient,
  GetQueryResultsCommand,
  type GetQueryResultsCommandOutput,
  StartQueryCommand,
  type StartQueryCommandInput,
} from '@aws-sdk/client-cloudwatch-logs'
import { describe, expect, it } from 'vitest'
import { completeQuery, logsEmulatorPerTest, rejection, T0 } from './test-helpers.js'

/** StartQuery with queryLanguage SQL through the real SDK: FROM clause, statistics, the row cap. */

const GROUP = '/aws/apigateway/prod-access'
const OTHER = '/aws/apigateway/staging-access'
const T0_SECONDS = T0 / 1000

const setup = logsEmulatorPerTest({ queryLatencyMs: 0 })

function access(status: number): string {
  return JSON.stringify({ status, httpMethod: status >= 500 ? 'POST' : 'GET' })
}

async function startSql(c: CloudWatchLogsClient, input: Partial<StartQueryCommandInput>): Promise<string> {
  const { queryId } = await c.send(
    new StartQueryCommand({
      queryLanguage: 'SQL',
      startTime: T0_SECONDS - 3600,
      endTime: T0_SECONDS,
      queryString: `SELECT * FROM \`${GROUP}\``,
      ...input,
    }),
  )
  if (!queryId) throw new Error('no queryId')
  return queryId
}

function values(response: GetQueryResultsCommandOutput, field: string): string[] {
  return (response.results ?? []).map((row) => row.find((f) => f.field === field)?.value ?? '')
}

describe('CloudWatch Logs: OpenSearch SQL queries', () => {
  it('runs a SQL query over the FROM log groups within startTime/endTime, with rows and statistics', async () => {
    const { emulator, client, clock } = await setup({ queryLatencyMs: 1000 })
    emulator.putLogEvents(GROUP, [
      { timestamp: T0 - 7200_000, message: access(500) }, // before startTime
      { timestamp: T0 - 30_000, message: access(200) },
      { timestamp: T0 - 20_000, message: access(502) },
      { timestamp: T0 - 10_000, message: access(404) },
      { timestamp: T0 + 5_000, message: access(503) }, // after endTime
    ])
    emulator.putLogEvents(OTHER, [{ timestamp: T0 - 15_000, message: access(500) }])

    const queryId = await startSql(client, {
      queryString: `SELECT \`@timestamp\`, status FROM \`${GROUP}\` WHERE status >= 400 ORDER BY \`@timestamp\` ASC`,
    })
    const final = await completeQuery(client, clock, queryId)
    expect(final.status).toBe('Complete')
    expect(final.queryLanguage).toBe('SQL')
    expect(values(final, 'status')).toEqual(['502', '404'])
    expect(values(final, '@timestamp')).toEqual(['2026-01-15 11:59:40.000', '2026-01-15 11:59:50.000'])
    // CHOICE: SQL rows carry the selected columns only, no @ptr
    expect(final.results?.[0]?.map((f) => f.field)).toEqual(['@timestamp', 'status'])
    expect(final.statistics).toMatchObject({ recordsMatched: 2, recordsScanned: 3, logGroupsScanned: 1 })

    // several groups through logGroups(logGroupIdentifier: [...]), names or ARNs
    const arn = `arn:aws:logs:us-east-1:123456789012:log-group:${OTHER}`
    const both = await completeQuery(
      client,
      clock,
      await startSql(client, {
        queryString: `SELECT status, COUNT(*) AS n FROM \`logGroups(logGroupIdentifier: ['${GROUP}', '${arn}'])\` WHERE status >= 500 GROUP BY status ORDER BY status`,
      }),
    )
    expect(both.results?.map((row) => Object.fromEntries(row.map((f) => [f.field, f.value])))).toEqual([
      { status: '500', n: '1' },
      { status: '502', n: '1' },
    ])
    expect(both.statistics).toMatchObject({ recordsMatched: 2, recordsScanned: 4, logGroupsScanned: 2 })
  })

  it('stops at 10,000 rows with no nextToken while recordsMatched counts every match; limit caps lower', async () => {
    const { emulator, client, clock } = await setup()
    emulator.putLogEvents(
      GROUP,
      Array.from({ length: 12_345 }, (_, i) => ({ timestamp: T0 - 60_000 + i, message: access(500) })),
    )
    const capped = await completeQuery(client, clock, await startSql(client, {}))
    expect(capped.results).toHaveLength(10_000)
    expect(capped.nextToken).toBeUndefined()
    expect(capped.statistics?.recordsMatched).toBe(12_345)

    // maxItems does not page SQL either: one answer, no nextToken
    const queryId = await startSql(client, {})
    await completeQuery(client, clock, queryId)
    const small = await client.send(new GetQueryResultsCommand({ queryId, maxItems: 10 }))
    expect(small.results).toHaveLength(10_000)
    expect(small.nextToken).toBeUndefined()

    const limited = await completeQuery(client, clock, await startSql(client, { limit: 25 }))
    expect(limited.results).toHaveLength(25)
    expect(limited.statistics?.recordsMatched).toBe(12_345)
    const byClause = await completeQuery(
      client,
      clock,
      await startSql(client, { limit: 25, queryString: `SELECT status FROM \`${GROUP}\` LIMIT 7` }),
    )
    expect(byClause.results).toHaveLength(7)

    // 100,000 is for Logs Insights QL only
    const tooBig = await rejection(startSql(client, { limit: 10_001 }))
    expect(tooBig.name).toBe('InvalidParameterException')
    expect(tooBig.message).toMatch(/between 1 and 10000 for queryLanguage SQL/)
  })

  it('refuses log groups as StartQuery parameters, unknown FROM groups, queries outside the subset, and unknown query languages', async () => {
    const { emulator, client } = await setup()
    emulator.createLogGroup(GROUP)

    const withNames = await rejection(startSql(client, { logGroupNames: [GROUP] }))
    expect(withNames.name).toBe('InvalidParameterException')
    expect(withNames.message).toMatch(/name the log groups in the query's FROM clause/)

    const unknown = await rejection(startSql(client, { queryString: 'SELECT * FROM `/no/such/group`' }))
    expect(unknown.name).toBe('ResourceNotFoundException')

    const join = await rejection(
      startSql(client, {
        queryString: `SELECT A.status FROM \`${GROUP}\` AS A INNER JOIN \`${OTHER}\` AS B ON A.id = B.id`,
      }),
    )
    expect(join.name).toBe('MalformedQueryException')
    expect(join.message).toMatch(/JOIN is outside the emulator's SQL subset/)
    expect((join as { queryCompileError?: unknown }).queryCompileError).toMatchObject({
      location: { startCharOffset: expect.any(Number) },
    })

    // a query language the service does not have (PPL has its own module and tests: logs-ppl.test.ts)
    const unknownLanguage = await rejection(
      client.send(
        new StartQueryCommand({
          queryLanguage: 'KQL' as StartQueryCommandInput['queryLanguage'],
          logGroupName: GROUP,
          startTime: T0_SECONDS - 60,
          endTime: T0_SECONDS,
          queryString: 'fields status',
        }),
      ),
    )
    expect(unknownLanguage.name).toBe('MalformedQueryException')
    expect(unknownLanguage.message).toMatch(/queryLanguage KQL is outside the emulator/)
  })
})
