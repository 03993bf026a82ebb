import {
  type CloudWatchLogsClient,
  DescribeLogGroupsCommand,
  type GetQueryResultsCommandOutput,
  ListLogGroupsForQueryCommand,
  StartQueryCommand,
  type StartQueryCommandInput,
} from '@aws-sdk/client-cloudwatch-logs'
import { describe, expect, it } from 'vitest'
import { completeQuery, logsEmulatorPerTest, rejection, T0 } from './test-helpers.js'

/** SOURCE logGroups(namePrefix, accountIdentifiers) across accounts, through the real SDK. */

const T0_SECONDS = T0 / 1000
const MONITORING = '123456789012'
const SOURCE_A = '111122223333'
const SOURCE_B = '444455556666'

const setup = logsEmulatorPerTest({ queryLatencyMs: 0 })

const arn = (account: string, name: string) => `arn:aws:logs:us-east-1:${account}:log-group:${name}`

async function start(c: CloudWatchLogsClient, input: Partial<StartQueryCommandInput>): Promise<string> {
  const { queryId } = await c.send(
    new StartQueryCommand({
      startTime: T0_SECONDS - 3600,
      endTime: T0_SECONDS,
      queryString: "SOURCE logGroups(namePrefix: ['/aws/apigateway/']) | fields @log, @message",
      ...input,
    }),
  )
  if (!queryId) throw new Error('no queryId')
  return queryId
}

function values(response: GetQueryResultsCommandOutput, field: string): string[] {
  return (response.results ?? []).map((row) => row.find((f) => f.field === field)?.value ?? '').sort()
}

async function seeded() {
  const context = await setup()
  const event = (message: string) => [{ timestamp: T0 - 60_000, message }]
  context.emulator.putLogEvents('/aws/apigateway/prod', event('own'))
  context.emulator.putLogEvents(arn(SOURCE_A, '/aws/apigateway/prod'), event('a'))
  context.emulator.putLogEvents(arn(SOURCE_B, '/aws/apigateway/prod'), event('b'))
  context.emulator.putLogEvents(arn(SOURCE_A, '/aws/lambda/worker'), event('lambda'))
  return context
}

describe('SOURCE logGroups', () => {
  it('selects matching groups in the monitoring account and every linked account, @log naming the account', async () => {
    const { client, clock } = await seeded()
    const response = await completeQuery(client, clock, await start(client, {}))
    expect(response.status).toBe('Complete')
    expect(values(response, '@log')).toEqual([
      `${SOURCE_A}:/aws/apigateway/prod`,
      `${MONITORING}:/aws/apigateway/prod`,
      `${SOURCE_B}:/aws/apigateway/prod`,
    ])
  })

  it('keeps to accountIdentifiers, and ListLogGroupsForQuery names what it analyzed', async () => {
    const { client, clock } = await seeded()
    const queryId = await start(client, {
      queryString: `SOURCE logGroups(namePrefix: ['/aws/'], accountIdentifiers: ['${SOURCE_A}']) | fields @log`,
    })
    const response = await completeQuery(client, clock, queryId)
    expect(values(response, '@log')).toEqual([
      `${SOURCE_A}:/aws/apigateway/prod`,
      `${SOURCE_A}:/aws/lambda/worker`,
    ])
    const listed = await client.send(new ListLogGroupsForQueryCommand({ queryId }))
    expect(listed.logGroupIdentifiers?.sort()).toEqual([
      arn(SOURCE_A, '/aws/apigateway/prod'),
      arn(SOURCE_A, '/aws/lambda/worker'),
    ])
  })

  it('refuses SOURCE together with a log group parameter, and a query with neither', async () => {
    const { client } = await seeded()
    const both = await rejection(start(client, { logGroupNames: ['/aws/apigateway/prod'] }))
    expect(both.name).toBe('InvalidParameterException')
    expect(both.message).toMatch(/SOURCE/)
    const neither = await rejection(start(client, { queryString: 'fields @message' }))
    expect(neither.name).toBe('InvalidParameterException')
  })

  it('refuses more than 5 prefixes, more than 20 accounts, and log group classes', async () => {
    const { client } = await seeded()
    const prefixes = Array.from({ length: 6 }, (_, i) => `'/p${i}'`).join(', ')
    const tooMany = await rejection(
      start(client, { queryString: `SOURCE logGroups(namePrefix: [${prefixes}]) | fields @log` }),
    )
    expect(tooMany.name).toBe('InvalidParameterException')
    expect(tooMany.message).toMatch(/at most 5/)
    const accounts = Array.from({ length: 21 }, (_, i) => `'${String(100000000000 + i)}'`).join(', ')
    const tooManyAccounts = await rejection(
      start(client, {
        queryString: `SOURCE logGroups(namePrefix: ['/aws/'], accountIdentifiers: [${accounts}]) | fields @log`,
      }),
    )
    expect(tooManyAccounts.message).toMatch(/at most 20/)
    const byClass = await rejection(
      start(client, {
        queryString: "SOURCE logGroups(namePrefix: ['/aws/'], class: ['STANDARD']) | fields @log",
      }),
    )
    expect(byClass.name).toBe('MalformedQueryException')
    expect(byClass.message).toMatch(/outside the emulator/)
  })

  it('refuses a SOURCE matching more than 10,000 log groups', async () => {
    const { client, emulator } = await setup()
    for (let i = 0; i <= 10_000; i++) emulator.createLogGroup(`/many/g${i}`)
    const error = await rejection(
      start(client, { queryString: "SOURCE logGroups(namePrefix: ['/many/']) | fields @log" }),
    )
    expect(error.name).toBe('InvalidParameterException')
    expect(error.message).toMatch(/reduce the number of log groups/)
  })

  it('points a compile error after SOURCE into the whole query string', async () => {
    const { client } = await seeded()
    const queryString = "SOURCE logGroups(namePrefix: ['/aws/']) | frobnicate x"
    const error = await rejection(start(client, { queryString }))
    expect(error.name).toBe('MalformedQueryException')
    const location = (error as { queryCompileError?: { location?: { startCharOffset?: number } } })
      .queryCompileError?.location
    if (location?.startCharOffset !== undefined) {
      expect(queryString.slice(location.startCharOffset)).toMatch(/^frobnicate/)
    }
  })
})

describe('DescribeLogGroups', () => {
  it('lists by prefix in the caller account, and across linked accounts when asked', async () => {
    const { client } = await seeded()
    const own = await client.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/aws/apigateway/' }))
    expect(own.logGroups?.map((group) => group.logGroupArn)).toEqual([
      arn(MONITORING, '/aws/apigateway/prod'),
    ])
    const linked = await client.send(
      new DescribeLogGroupsCommand({
        logGroupNamePrefix: '/aws/apigateway/',
        includeLinkedAccounts: true,
        accountIdentifiers: [SOURCE_A, SOURCE_B],
      }),
    )
    expect(linked.logGroups?.map((group) => group.logGroupArn)).toEqual([
      arn(SOURCE_A, '/aws/apigateway/prod'),
      arn(SOURCE_B, '/aws/apigateway/prod'),
    ])
  })

  it('pages with nextToken', async () => {
    const { client, emulator } = await setup()
    for (let i = 0; i < 7; i++) emulator.createLogGroup(`/paged/g${i}`)
    const first = await client.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/paged/', limit: 5 }))
    expect(first.logGroups).toHaveLength(5)
    const second = await client.send(
      new DescribeLogGroupsCommand({ logGroupNamePrefix: '/paged/', limit: 5, nextToken: first.nextToken }),
    )
    expect(second.logGroups?.map((group) => group.logGroupName)).toEqual(['/paged/g5', '/paged/g6'])
    expect(second.nextToken).toBeUndefined()
  })
})
