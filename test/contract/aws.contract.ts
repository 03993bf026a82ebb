import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import {
  CloudWatchLogsClient,
  CreateLogStreamCommand,
  DeleteLogStreamCommand,
  GetQueryResultsCommand,
  PutLogEventsCommand,
  StartQueryCommand,
  StopQueryCommand,
} from '@aws-sdk/client-cloudwatch-logs'
import { fromNodeProviderChain, fromWebToken } from '@aws-sdk/credential-providers'
import type { AwsCredentialIdentityProvider } from '@smithy/types'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ActionRun, runAction } from '../support/run-action.js'
import { type ContractConfig, contractConfig } from './config.js'

/**
 * The end-to-end scenarios against real CloudWatch Logs (and real STS with OIDC, and real Slack when
 * a webhook is given): dist/index.js under Node 24, as a runner runs it, with no endpoint overrides.
 *
 * The suite writes its own events into a fresh log stream of the scratch group, waits until Logs
 * Insights returns them, and filters every query by that stream, so whatever else the group holds
 * does not count. The stream is deleted at the end.
 */

const config = contractConfig(process.env)

/** How long the suite waits for its events to show up in Logs Insights. */
const INGESTION_TIMEOUT_MS = 5 * 60_000
/** A wall-clock bound on one action run (its own query-timeout is shorter). */
const RUN_TIMEOUT_MS = 3 * 60_000

/** Status and API Gateway format of the events the suite writes, oldest first. */
const STATUSES: Array<[status: number, format: 'rest' | 'http']> = [
  [200, 'rest'],
  [502, 'rest'],
  [201, 'http'],
  [404, 'rest'],
  [500, 'http'],
  [200, 'rest'],
  [429, 'http'],
  [403, 'rest'],
  [204, 'rest'],
  [503, 'rest'],
]
const ERRORS = STATUSES.map(([status]) => status).filter((status) => status >= 400)
const CRITICAL = ERRORS.filter((status) => status >= 500)

describe.skipIf(config === undefined)('insights-watch against real AWS', () => {
  // Skipped, the body still runs to list the scenarios; nothing in it touches AWS outside the hooks and tests.
  const unconfigured: ContractConfig = { logGroup: '', region: '' }
  const { logGroup, region, roleArn, slackWebhookUrl } = config ?? unconfigured
  const runTag = `insights-watch-contract-${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(3).toString('hex')}`
  const stream = runTag
  let credentials: AwsCredentialIdentityProvider
  let logs: CloudWatchLogsClient
  let streamCreated = false
  let firstEventSecond = 0
  let lastEventSecond = 0

  /** Only this run's entries with a 4xx/5xx status. */
  const ownErrorsQuery = `fields @timestamp, @message, @log, @logStream | filter @logStream = "${stream}" and status >= 400 | sort @timestamp desc`

  beforeAll(async () => {
    try {
      credentials = roleArn
        ? await oidcRoleCredentials(roleArn, region)
        : fromNodeProviderChain({ clientConfig: { region } })
      await credentials()
    } catch (error) {
      throw new Error(
        `test:aws: no AWS credentials${roleArn ? ` for ${roleArn}` : ' from the default chain (environment, AWS_PROFILE, SSO, instance role)'}: ${String(error)}`,
        { cause: error },
      )
    }
    logs = new CloudWatchLogsClient({ region, credentials })

    try {
      await logs.send(new CreateLogStreamCommand({ logGroupName: logGroup, logStreamName: stream }))
    } catch (error) {
      if ((error as Error).name === 'ResourceNotFoundException') {
        throw new Error(
          `test:aws: the scratch log group ${logGroup} does not exist in ${region}; create it (aws logs create-log-group --log-group-name ${logGroup}).`,
          { cause: error },
        )
      }
      throw error
    }
    streamCreated = true

    // A few minutes in the past, well inside the window the runs check (the last 30 minutes).
    const now = Date.now()
    const events = STATUSES.map(([status, format], i) => {
      const timestamp = now - 5 * 60_000 + i * 15_000
      return { timestamp, message: JSON.stringify(accessLog(format, status, timestamp, `${runTag}-${i}`)) }
    })
    firstEventSecond = Math.floor((events[0]?.timestamp ?? now) / 1000)
    lastEventSecond = Math.floor((events.at(-1)?.timestamp ?? now) / 1000)
    const put = await logs.send(
      new PutLogEventsCommand({ logGroupName: logGroup, logStreamName: stream, logEvents: events }),
    )
    expect(put.rejectedLogEventsInfo ?? {}, 'PutLogEvents rejected events').toEqual({})

    await waitUntilQueryable(logs, logGroup, stream, firstEventSecond - 60, events.length)
  }, INGESTION_TIMEOUT_MS + 60_000)

  afterAll(async () => {
    if (streamCreated) {
      try {
        await logs.send(new DeleteLogStreamCommand({ logGroupName: logGroup, logStreamName: stream }))
      } catch (error) {
        console.warn(`test:aws: could not delete log stream ${stream} of ${logGroup}: ${String(error)}`)
      }
    }
    logs?.destroy()
  })

  /** Runs dist/index.js with the suite's credentials: OIDC through the runner's variables, or keys in the env. */
  async function run(inputs: Record<string, string>): Promise<ActionRun & { log: string }> {
    const env: Record<string, string> = {}
    const common: Record<string, string> = {
      'log-group-names': logGroup,
      'aws-region': region,
      interval: '30m',
      'query-delay': '0',
      'query-timeout': '2m',
      state: 'none',
      'monitor-name': `contract ${stream}`,
    }
    if (roleArn) {
      common['role-to-assume'] = roleArn
      env.ACTIONS_ID_TOKEN_REQUEST_URL = process.env.ACTIONS_ID_TOKEN_REQUEST_URL ?? ''
      env.ACTIONS_ID_TOKEN_REQUEST_TOKEN = process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN ?? ''
    } else {
      const keys = await credentials()
      env.AWS_ACCESS_KEY_ID = keys.accessKeyId
      env.AWS_SECRET_ACCESS_KEY = keys.secretAccessKey
      if (keys.sessionToken) env.AWS_SESSION_TOKEN = keys.sessionToken
    }
    const result = await runAction({ inputs: { ...common, ...inputs }, env, timeoutMs: RUN_TIMEOUT_MS })
    const secrets = [...Object.values(env), inputs['slack-webhook-url'] ?? '']
    return { ...result, log: printable(result, secrets) }
  }

  it('queries the window with real credentials and reports exactly its own 4xx and 5xx entries', async () => {
    const before = Math.floor(Date.now() / 1000)
    // dry-run with a placeholder webhook: the Slack message is built from real rows, and not sent.
    const result = await run({
      query: ownErrorsQuery,
      'dry-run': 'true',
      'slack-webhook-url': 'https://hooks.slack.com/services/T000/B000/insights-watch-contract',
    })
    const after = Math.floor(Date.now() / 1000)

    expect(result.exitCode, result.log).toBe(0)
    expect(result.log).toContain(
      roleArn ? `Assumed ${roleArn}` : 'Using AWS credentials from the default credential chain',
    )
    expect(result.outputs).toMatchObject({
      'match-count': String(ERRORS.length),
      'critical-count': String(CRITICAL.length),
      notified: 'false',
      truncated: 'false',
    })
    // The window: the last 30 minutes up to the second the run started, both ends whole seconds.
    const start = Date.parse(result.outputs['window-start'] ?? '') / 1000
    const end = Date.parse(result.outputs['window-end'] ?? '') / 1000
    expect(end - start).toBe(1800)
    expect(end).toBeGreaterThanOrEqual(before)
    expect(end).toBeLessThanOrEqual(after)
    expect(start).toBeLessThanOrEqual(firstEventSecond)
    expect(end).toBeGreaterThanOrEqual(lastEventSecond)
    const queryIds = result.outputs['query-ids'] ?? ''
    expect(queryIds).toMatch(/^[\w-]+$/)

    const lines = resultLines(result)
    expect(lines.map((line) => line.status).sort()).toEqual([...ERRORS].sort())
    for (const line of lines) {
      expect(line.severity).toBe((line.status ?? 0) >= 500 ? 'critical' : 'warning')
      expect(line.fields['@logStream']).toBe(stream)
      expect(line.fields['@log']).toMatch(new RegExp(`${escapeRegExp(logGroup)}$`))
      expect(JSON.parse(line.fields['@message'] ?? '{}').requestId).toMatch(new RegExp(`^${runTag}-\\d+$`))
    }
    // Newest first, as the query sorts.
    const times = lines.map((line) => line.fields['@timestamp'] ?? '')
    expect([...times].sort().reverse()).toEqual(times)

    expect(result.summary).toContain(logGroup)
    expect(result.summary).toContain(queryIds)
    expect(result.log).toContain('"attachments"')
    expect(result.log).toContain('502')
  })

  it('caps the rows at max-results and says the result is truncated', async () => {
    const result = await run({ query: ownErrorsQuery, 'max-results': '2' })
    expect(result.exitCode, result.log).toBe(0)
    expect(result.outputs.truncated).toBe('true')
    expect(resultLines(result)).toHaveLength(2)
    expect(result.outputs.notified).toBe('false')
  })

  it('reports nothing, and succeeds, when nothing in the window matches', async () => {
    const result = await run({
      query: `fields @timestamp, @message | filter @logStream = "${stream}" and status >= 600`,
    })
    expect(result.exitCode, result.log).toBe(0)
    expect(result.outputs).toMatchObject({ 'match-count': '0', 'critical-count': '0', notified: 'false' })
    expect(resultLines(result)).toEqual([])
    expect(result.summary).toMatch(/no matching entries/i)
  })

  it("fails with AWS's reason and the query when the query is malformed", async () => {
    const query = `fields @timestamp | filter @logStream = "${stream}" | nosuchcommand 42`
    const result = await run({ query })
    expect(result.exitCode).toBe(1)
    expect(result.log).toMatch(/The query is malformed: \S/)
    expect(result.log).toContain(query)
  })

  it('fails, naming the log group, when the log group does not exist', async () => {
    const missing = `${logGroup}-missing-${randomBytes(4).toString('hex')}`
    const result = await run({ 'log-group-names': missing, query: ownErrorsQuery })
    expect(result.exitCode).toBe(1)
    expect(result.log, 'needs logs:StartQuery on the scratch group name followed by *').not.toMatch(
      /AccessDenied/,
    )
    expect(result.log).toContain('StartQuery could not find the log groups')
    expect(result.log).toContain(missing)
  })

  it.skipIf(!slackWebhookUrl)('posts one message to a real Slack webhook', async () => {
    const result = await run({ query: ownErrorsQuery, 'slack-webhook-url': slackWebhookUrl ?? '' })
    expect(result.exitCode, result.log).toBe(0)
    expect(result.outputs.notified).toBe('true')
    expect(result.log).toContain('Slack: one message delivered')
  })
})

/** An API Gateway access-log line in the JSON formats AWS documents (values are strings). */
function accessLog(
  format: 'rest' | 'http',
  status: number,
  timestamp: number,
  requestId: string,
): Record<string, string> {
  const requestTime = new Date(timestamp).toISOString()
  if (format === 'rest') {
    return {
      requestId,
      ip: '203.0.113.7',
      requestTime,
      httpMethod: status === 502 ? 'POST' : 'GET',
      resourcePath: status === 502 ? '/orders' : '/items/{id}',
      path: status === 502 ? '/prod/orders' : '/prod/items/1234',
      status: String(status),
      protocol: 'HTTP/1.1',
      responseLength: status >= 400 ? '36' : '512',
      responseLatency: '42',
      integrationLatency: '38',
    }
  }
  return {
    requestId,
    ip: '203.0.113.8',
    requestTime,
    httpMethod: 'POST',
    routeKey: 'POST /v2/checkout',
    path: '/v2/checkout',
    status: String(status),
    protocol: 'HTTP/1.1',
    responseLength: status >= 400 ? '36' : '512',
    integrationLatency: '51',
  }
}

/**
 * Polls a count of the stream's events with Logs Insights itself (not GetLogEvents: Insights can lag
 * behind it) until all of them are there, or fails after INGESTION_TIMEOUT_MS.
 */
async function waitUntilQueryable(
  logs: CloudWatchLogsClient,
  logGroup: string,
  stream: string,
  fromSecond: number,
  expected: number,
): Promise<void> {
  const deadline = Date.now() + INGESTION_TIMEOUT_MS
  let seen = 0
  for (let attempt = 1; ; attempt++) {
    seen = await countEvents(logs, logGroup, stream, fromSecond, deadline)
    if (seen >= expected) {
      console.log(`test:aws: ${seen} events of ${stream} visible to Logs Insights after ${attempt} queries.`)
      return
    }
    if (Date.now() + 10_000 > deadline) break
    await sleep(10_000)
  }
  throw new Error(
    `test:aws: after ${INGESTION_TIMEOUT_MS / 60_000} minutes Logs Insights shows ${seen} of the ${expected} events written to ${logGroup} / ${stream}.`,
  )
}

async function countEvents(
  logs: CloudWatchLogsClient,
  logGroup: string,
  stream: string,
  fromSecond: number,
  deadline: number,
): Promise<number> {
  const { queryId } = await logs.send(
    new StartQueryCommand({
      logGroupName: logGroup,
      startTime: fromSecond,
      endTime: Math.floor(Date.now() / 1000),
      queryString: `filter @logStream = "${stream}" | stats count(*) as events`,
    }),
  )
  if (!queryId) throw new Error('StartQuery returned no queryId')
  while (Date.now() < deadline) {
    await sleep(1000)
    const results = await logs.send(new GetQueryResultsCommand({ queryId }))
    if (results.status === 'Complete') {
      const value = results.results?.[0]?.find((field) => field.field === 'events')?.value
      return Number(value ?? 0)
    }
    if (results.status !== 'Scheduled' && results.status !== 'Running') {
      throw new Error(`test:aws: the ingestion check query ${queryId} ended ${results.status}`)
    }
  }
  await logs.send(new StopQueryCommand({ queryId })).catch(() => {})
  return 0
}

/** On a runner with `id-token: write`: the role's credentials for the suite's own calls. */
async function oidcRoleCredentials(roleArn: string, region: string): Promise<AwsCredentialIdentityProvider> {
  const url = new URL(process.env.ACTIONS_ID_TOKEN_REQUEST_URL ?? '')
  url.searchParams.set('audience', 'sts.amazonaws.com')
  const response = await fetch(url, {
    headers: {
      authorization: `Bearer ${process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN}`,
      accept: 'application/json',
    },
  })
  if (!response.ok) {
    throw new Error(`test:aws: the runner refused an OIDC token: ${response.status} ${await response.text()}`)
  }
  const { value } = (await response.json()) as { value?: string }
  if (!value) throw new Error('test:aws: the runner answered without an OIDC token')
  const provider = fromWebToken({
    roleArn,
    webIdentityToken: value,
    roleSessionName: 'insights-watch-contract',
    clientConfig: { region },
  })
  // Once: the token expires within minutes, the credentials it buys last an hour.
  const credentials = await provider()
  return async () => credentials
}

interface ResultLine {
  severity: string
  status: number | null
  fields: Record<string, string>
}

function resultLines(result: ActionRun): ResultLine[] {
  const file = result.outputs['results-file']
  if (!file) throw new Error(`no results-file output\n${printable(result, [])}`)
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as ResultLine)
}

/** The run's output without the runner's mask commands (they carry the secrets) or any secret passed in. */
function printable(result: ActionRun, secrets: string[]): string {
  let text = `${result.stdout}\n${result.stderr}`
    .split('\n')
    .filter((line) => !line.startsWith('::add-mask::'))
    .join('\n')
  for (const secret of secrets) if (secret.length >= 8) text = text.replaceAll(secret, '***')
  return text
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
