import { readFileSync } from 'node:fs'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type Emulator, startEmulator } from '../emulator/index.js'
import { type ActionRun, runAction } from '../support/run-action.js'

/**
 * The bundled action, run as a runner runs it (Node 24, INPUT_* variables, GITHUB_OUTPUT,
 * GITHUB_STEP_SUMMARY), against the emulator standing in for GitHub's OIDC endpoint, STS,
 * CloudWatch Logs and Slack.
 */

const GROUP = '/aws/apigateway/prod-access'
const OTHER_GROUP = '/aws/apigateway/prod-http'

let emulator: Emulator

beforeEach(async () => {
  emulator = await startEmulator({ region: 'eu-west-1', queryLatencyMs: 300 })
  emulator.createLogGroup(GROUP)
  emulator.createLogGroup(OTHER_GROUP)
})

afterEach(async () => {
  await emulator.stop()
})

const accessLog = (status: number, extra: Record<string, string> = {}) =>
  JSON.stringify({
    requestId: `req-${status}-${Math.random().toString(36).slice(2, 8)}`,
    httpMethod: 'GET',
    resourcePath: '/items/{id}',
    status: String(status),
    responseLatency: '42',
    ...extra,
  })

/** Seeds events `secondsAgo` before now, already ingested (ingestion time = now). */
function seed(group: string, events: Array<[secondsAgo: number, message: string]>): void {
  const now = Date.now()
  emulator.putLogEvents(
    group,
    events.map(([secondsAgo, message]) => ({ timestamp: now - secondsAgo * 1000, message })),
  )
}

function oidcInputs(extra: Record<string, string> = {}): Record<string, string> {
  return {
    'log-group-names': `${GROUP}\n${OTHER_GROUP}`,
    'aws-region': 'eu-west-1',
    'role-to-assume': emulator.roleArn,
    'slack-webhook-url': `${emulator.slackWebhookUrl('alerts')}\n${emulator.slackWebhookUrl('oncall')}`,
    ...extra,
  }
}

const defaultCredentialsEnv = () => ({
  AWS_ACCESS_KEY_ID: emulator.defaultCredentials.accessKeyId,
  AWS_SECRET_ACCESS_KEY: emulator.defaultCredentials.secretAccessKey,
})

function logsCalls(action?: string) {
  return emulator.calls.filter(
    (call) => call.service === 'logs' && (action === undefined || call.action === action),
  )
}

/** Lines the run printed, other than the runner's mask commands (which carry the secrets on purpose). */
function printedLines(run: ActionRun): string {
  return `${run.stdout}\n${run.stderr}`
    .split('\n')
    .filter((line) => !line.startsWith('::add-mask::'))
    .join('\n')
}

describe('a scheduled run with OIDC', () => {
  it('assumes the role, queries the window with the assumed credentials, posts one message per webhook', async () => {
    seed(GROUP, [
      [120, accessLog(502)],
      [150, accessLog(404)],
      [170, accessLog(200)], // not an error: the default query filters it out
      [30, accessLog(500)], // newer than now − query-delay: not in this window
      [900, accessLog(503)], // older than the window
    ])
    seed(OTHER_GROUP, [[200, accessLog(429, { routeKey: 'POST /orders' })]])
    const started = Math.floor(Date.now() / 1000)

    const run = await runAction({ inputs: oidcInputs(), env: emulator.env })
    const ended = Math.floor(Date.now() / 1000)

    expect(run.exitCode, run.stdout).toBe(0)
    // The OIDC token was asked for, and exchanged for the role's credentials.
    const oidc = emulator.calls.filter((call) => call.service === 'oidc')
    const sts = emulator.calls.filter((call) => call.service === 'sts')
    expect(oidc).toHaveLength(1)
    expect(sts.map((call) => [call.action, call.status])).toEqual([['AssumeRoleWithWebIdentity', 200]])
    // Every Logs call was signed with the temporary key STS issued, not with any static key. The
    // window's query, then, since it alerted, the baseline: the same window a week earlier.
    const starts = logsCalls('StartQuery')
    expect(starts).toHaveLength(2)
    for (const call of logsCalls()) {
      expect(call.accessKeyId).toBeDefined()
      expect(call.accessKeyId).not.toBe(emulator.defaultCredentials.accessKeyId)
      expect(call.status).toBe(200)
    }
    // The window: [now − 1m − 5m, now − 1m] in whole seconds.
    const body = starts[0]?.body as { startTime: number; endTime: number; queryString: string }
    expect(body.endTime).toBeGreaterThanOrEqual(started - 60)
    expect(body.endTime).toBeLessThanOrEqual(ended - 60)
    expect(body.endTime - body.startTime).toBe(300)
    expect(run.outputs['window-start']).toBe(
      new Date(body.startTime * 1000).toISOString().replace('.000Z', 'Z'),
    )
    expect(run.outputs['window-end']).toBe(new Date(body.endTime * 1000).toISOString().replace('.000Z', 'Z'))
    const baseline = starts[1]?.body as { startTime: number; endTime: number; queryString: string }
    expect([baseline.startTime, baseline.endTime]).toEqual([
      body.startTime - 7 * 86_400,
      body.endTime - 7 * 86_400,
    ])
    expect(baseline.queryString).toMatch(/\| stats count\(\*\) as requests by status$/)

    // Exactly one message per webhook, whatever the number of matches.
    expect(emulator.slackPosts('alerts')).toHaveLength(1)
    expect(emulator.slackPosts('oncall')).toHaveLength(1)
    const message = JSON.stringify(emulator.slackPosts('alerts')[0]?.body)
    expect(message).toContain('502')
    expect(message).toContain('https://github.com/acme/api/actions/runs/4242')

    expect(run.outputs).toMatchObject({
      'match-count': '3',
      'critical-count': '1',
      notified: 'true',
      truncated: 'false',
    })
    expect(run.outputs['query-ids']).toMatch(/\S+/)
    const results = readFileSync(run.outputs['results-file'] as string, 'utf8')
      .trim()
      .split('\n')
    expect(results.map((line) => JSON.parse(line).status).sort()).toEqual([404, 429, 502])
    expect(run.outputs['results-file']?.startsWith(run.runnerTemp)).toBe(true)

    expect(run.summary).toContain(GROUP)
    expect(run.summary).toContain(run.outputs['query-ids'])
  })

  it('returns the results of a query whose first polls say Scheduled', async () => {
    await emulator.stop()
    emulator = await startEmulator({ region: 'eu-west-1', queryLatencyMs: 2500 })
    emulator.createLogGroup(GROUP)
    seed(GROUP, [[120, accessLog(500)]])

    const run = await runAction({
      inputs: { ...oidcInputs(), 'log-group-names': GROUP },
      env: emulator.env,
    })

    expect(run.exitCode, run.stdout).toBe(0)
    const polls = logsCalls('GetQueryResults').map((call) => (call.response as { status?: string })?.status)
    expect(polls[0]).toBe('Scheduled')
    expect(polls.at(-1)).toBe('Complete')
    expect(run.outputs['match-count']).toBe('1')
    expect(emulator.slackPosts('alerts')).toHaveLength(1)
  })

  it('never prints the webhook URLs, the OIDC token or the AWS keys, with debug logging on', async () => {
    seed(GROUP, [[120, accessLog(500)]])
    const run = await runAction({
      inputs: oidcInputs(),
      env: { ...emulator.env, RUNNER_DEBUG: '1', ACTIONS_STEP_DEBUG: 'true' },
    })
    expect(run.exitCode, run.stdout).toBe(0)
    const token = String(
      (emulator.calls.find((call) => call.service === 'oidc')?.response as { value?: string } | undefined)
        ?.value,
    )
    const stsAnswer = String(emulator.calls.find((call) => call.service === 'sts')?.response)
    const keys = ['AccessKeyId', 'SecretAccessKey', 'SessionToken'].map(
      (name) => new RegExp(`<${name}>([^<]+)</${name}>`).exec(stsAnswer)?.[1] as string,
    )
    const secrets = [
      emulator.slackWebhookUrl('alerts'),
      new URL(emulator.slackWebhookUrl('oncall')).pathname,
      token,
      ...keys,
    ]
    const masked = run.stdout
      .split('\n')
      .filter((line) => line.startsWith('::add-mask::'))
      .map((line) => line.slice('::add-mask::'.length))
    const printed = printedLines(run)
    for (const secret of secrets) {
      expect(secret).toBeTruthy()
      expect(masked).toContain(secret)
      expect(printed).not.toContain(secret)
      expect(run.summary).not.toContain(secret)
      expect(JSON.stringify(emulator.slackPosts('alerts'))).not.toContain(secret)
      expect(JSON.stringify(run.outputs)).not.toContain(secret)
      expect(readFileSync(run.outputs['results-file'] ?? '', 'utf8')).not.toContain(secret)
    }
  })
})

describe('a run with the default credential chain', () => {
  it('signs with the credentials from the environment and makes no OIDC or STS call', async () => {
    seed(GROUP, [[120, accessLog(503)]])
    const run = await runAction({
      inputs: { 'log-group-names': GROUP, 'slack-webhook-url': emulator.slackWebhookUrl('alerts') },
      env: { ...emulator.env, ...defaultCredentialsEnv() },
    })
    expect(run.exitCode, run.stdout).toBe(0)
    expect(emulator.calls.filter((call) => call.service === 'oidc' || call.service === 'sts')).toEqual([])
    expect(logsCalls('StartQuery')[0]?.accessKeyId).toBe(emulator.defaultCredentials.accessKeyId)
    expect(run.outputs['critical-count']).toBe('1')
  })

  it("shows the bytes each query scanned and the run's estimated cost at price-per-gb", async () => {
    seed(GROUP, [[120, accessLog(503)]])
    const run = await runAction({
      inputs: { 'log-group-names': GROUP, 'price-per-gb': '0.0076' },
      env: { ...emulator.env, ...defaultCredentialsEnv() },
    })
    expect(run.exitCode, run.stdout).toBe(0)
    expect(run.summary).toContain('<h3>Bytes scanned and cost</h3>')
    expect(run.summary).toContain(`<td>${run.outputs['query-ids']}</td>`)
    // The window's query and, as it alerted, the baseline's: both billed.
    expect(run.summary).toMatch(/<td>[^<]+ \(baseline\)<\/td>/)
    expect(run.summary).toMatch(/<th>Total \(2 queries\)<\/th>.*\$[0-9.]+ at \$0\.0076 per GB/)
  })
})

describe('failures', () => {
  it('refuses bad inputs before any network call, naming the input', async () => {
    const run = await runAction({ inputs: oidcInputs({ interval: '5' }), env: emulator.env })
    expect(run.exitCode).toBe(1)
    expect(run.stdout).toContain('Input "interval"')
    expect(emulator.calls).toEqual([])
  })

  it('refuses a plain-http webhook off loopback before any network call, never printing it', async () => {
    const url = 'http://hooks.slack.com/services/T0/B0/SECRETPART'
    const run = await runAction({ inputs: oidcInputs({ 'slack-webhook-url': url }), env: emulator.env })
    expect(run.exitCode).toBe(1)
    expect(run.stdout).toMatch(/::error::Input "slack-webhook-url": holds an http:\/\/ URL .*https:\/\//)
    expect(`${run.stdout}${run.stderr}`).not.toContain('SECRETPART')
    expect(emulator.calls).toEqual([])
  })

  it('says to add id-token: write when the runner offers no OIDC token', async () => {
    const { ACTIONS_ID_TOKEN_REQUEST_URL, ACTIONS_ID_TOKEN_REQUEST_TOKEN, ...withoutOidc } = emulator.env
    const run = await runAction({ inputs: oidcInputs(), env: withoutOidc })
    expect(run.exitCode).toBe(1)
    expect(run.stdout).toContain('permissions: id-token: write')
    // Nothing reached AWS; the failure was recorded in the Actions cache (the state), and Slack got the
    // one notice that the monitor is broken (notify-on-error).
    expect(emulator.calls.filter((call) => call.service !== 'slack' && call.service !== 'cache')).toEqual([])
    expect(emulator.cacheEntries()).toHaveLength(1)
    expect(emulator.slackPosts('alerts').map((post) => JSON.stringify(post.body))).toEqual([
      expect.stringContaining('id-token: write'),
    ])
  })

  it('names the role and the trust policy conditions when STS refuses the token', async () => {
    const run = await runAction({ inputs: oidcInputs({ audience: 'not-sts' }), env: emulator.env })
    expect(run.exitCode).toBe(1)
    expect(run.stdout).toContain(`Could not assume role ${emulator.roleArn}`)
    expect(run.stdout).toContain(':sub')
    expect(run.stdout).toContain(':aud')
    expect(logsCalls()).toEqual([])
  })

  it.each(['Failed', 'Cancelled', 'Timeout', 'Unknown'] as const)(
    'fails the step naming the query and its status when the query ends %s',
    async (status) => {
      emulator.failNextQuery(status)
      const run = await runAction({ inputs: oidcInputs(), env: emulator.env })
      expect(run.exitCode).toBe(1)
      expect(run.stdout).toContain(status)
      const queryId =
        (logsCalls('StartQuery')[0]?.response as { queryId?: string } | undefined)?.queryId ?? 'no StartQuery'
      expect(run.stdout).toContain(queryId)
      // No digest: only the notice that the monitor failed, naming the status.
      const posts = emulator.slackPosts('alerts').map((post) => JSON.stringify(post.body))
      expect(posts).toEqual([expect.stringContaining('is broken')])
      expect(posts[0]).toContain(status)
    },
  )

  it('waits out throttling of StartQuery beyond the SDK retries, then reports', async () => {
    seed(GROUP, [[120, accessLog(502)]])
    // The SDK makes 3 attempts; the 4th and 5th throttles are the action's own jittered backoff.
    emulator.inject({ service: 'logs', action: 'StartQuery', errorType: 'ThrottlingException', times: 5 })
    const run = await runAction({ inputs: { ...oidcInputs(), 'log-group-names': GROUP }, env: emulator.env })
    expect(run.exitCode, run.stdout).toBe(0)
    const starts = logsCalls('StartQuery').map((call) => call.status)
    expect(starts.filter((status) => status !== 200)).toHaveLength(5)
    expect(starts.at(-1)).toBe(200)
    expect(run.outputs['match-count']).toBe('1')
  }, 60_000)

  it("shows AWS's reason and the query when the query is malformed", async () => {
    const run = await runAction({
      inputs: oidcInputs({ query: 'fields @message | parse @message "* *" as a, b' }),
      env: emulator.env,
    })
    expect(run.exitCode).toBe(1)
    expect(run.stdout).toMatch(/parse/)
    expect(run.stdout).toContain('fields @message | parse @message')
  })

  it('stops the query with StopQuery when query-timeout runs out', async () => {
    await emulator.stop()
    emulator = await startEmulator({ region: 'eu-west-1', queryLatencyMs: 60_000 })
    emulator.createLogGroup(GROUP)
    const run = await runAction({
      inputs: { ...oidcInputs(), 'log-group-names': GROUP, 'query-timeout': '2s' },
      env: emulator.env,
    })
    expect(run.exitCode).toBe(1)
    expect(run.stdout).toContain('query-timeout')
    expect(logsCalls('StopQuery')).toHaveLength(1)
  })
})

describe('Slack delivery', () => {
  it('waits out a 429 for Retry-After and delivers the message once', async () => {
    seed(GROUP, [[120, accessLog(500)]])
    emulator.inject({ service: 'slack', action: 'alerts', status: 429, retryAfterSeconds: 1, times: 1 })
    const started = Date.now()
    const run = await runAction({
      inputs: { ...oidcInputs(), 'slack-webhook-url': emulator.slackWebhookUrl('alerts') },
      env: emulator.env,
    })
    expect(run.exitCode, run.stdout).toBe(0)
    const posts = emulator.slackPosts('alerts')
    expect(posts.map((post) => post.status)).toEqual([429, 200])
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000)
    expect(run.outputs.notified).toBe('true')
  })

  it("fails with Slack's error text on a 400, still writing the summary and outputs", async () => {
    seed(GROUP, [[120, accessLog(500)]])
    emulator.inject({ service: 'slack', action: 'alerts', status: 400, body: 'invalid_payload', times: 5 })
    const run = await runAction({
      inputs: { ...oidcInputs(), 'slack-webhook-url': emulator.slackWebhookUrl('alerts') },
      env: emulator.env,
    })
    expect(run.exitCode).toBe(1)
    expect(run.stdout).toContain('invalid_payload')
    expect(emulator.slackPosts('alerts')).toHaveLength(1) // a 400 is not retried
    expect(run.outputs.notified).toBe('false')
    expect(run.outputs['match-count']).toBe('1')
    expect(run.summary).not.toBe('')
  })

  it('dry-run prints the payload and sends nothing', async () => {
    seed(GROUP, [[120, accessLog(500)]])
    const run = await runAction({ inputs: oidcInputs({ 'dry-run': 'true' }), env: emulator.env })
    expect(run.exitCode, run.stdout).toBe(0)
    expect(emulator.calls.filter((call) => call.service === 'slack')).toEqual([])
    expect(run.stdout).toContain('"attachments"')
    expect(run.outputs.notified).toBe('false')
  })

  it('posts nothing when nothing matched, and says so in the summary', async () => {
    seed(GROUP, [[120, accessLog(200)]])
    // A first run posts its "no checkpoint found" notice (state-loss.test.ts); the run after it is the case.
    await runAction({ inputs: oidcInputs(), env: emulator.env })
    const before = emulator.calls.filter((call) => call.service === 'slack').length
    const run = await runAction({ inputs: oidcInputs(), env: emulator.env })
    expect(run.exitCode, run.stdout).toBe(0)
    expect(emulator.calls.filter((call) => call.service === 'slack').slice(before)).toEqual([])
    expect(run.outputs['match-count']).toBe('0')
    expect(run.summary).toMatch(/no matching entries/i)
  })

  it('fail-on-match fails the step after delivering', async () => {
    seed(GROUP, [[120, accessLog(404)]])
    // One 404 alerts only at a threshold of 1 (the default's 4xx=50 would not alert at all).
    const run = await runAction({
      inputs: oidcInputs({ 'fail-on-match': 'true', thresholds: '1' }),
      env: emulator.env,
    })
    expect(run.exitCode).toBe(1)
    expect(run.stdout).toContain('fail-on-match')
    expect(emulator.slackPosts('alerts')).toHaveLength(1)
    expect(run.outputs.notified).toBe('true')
  })
})
