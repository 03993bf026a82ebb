import { lookup } from 'node:dns/promises'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type Emulator, type ReceivedRequest, startEmulator } from '../emulator/index.js'
import { EVERY_WINDOW_ALERTS } from '../support/alerting.js'
import { type ForwardProxy, startForwardProxy, TEST_DOMAIN } from '../support/forward-proxy.js'
import { type ActionRun, runAction } from '../support/run-action.js'

/**
 * The bundled action behind a proxy, as on a self-hosted runner that reaches the internet only
 * through one: HTTPS_PROXY names a real forwarding proxy (test/support/forward-proxy.ts) that
 * requires credentials, and every endpoint is an https URL under `.insights-watch.test`, a domain
 * no resolver knows, which only the proxy maps (to the emulator's TLS listener). Non-loopback
 * names matter: every client bypasses the proxy for loopback hosts.
 *
 * One run exercises the five services: the OIDC token (@actions/core → @actions/http-client), STS
 * (the AWS SDK), CloudWatch Logs with the clock probe (the AWS SDK), Slack (our node:https
 * transport) and the Actions cache (Twirp and downloads through @actions/http-client, uploads
 * through the Azure storage SDK). The emulator records the remote port of each request's
 * connection and the proxy the local port of each upstream connection it opened, so each request
 * is matched to the tunnel that carried it.
 */

const GROUP = '/aws/apigateway/prod-access'
const TLS_DIR = resolve(import.meta.dirname, '../fixtures/tls')
const TEST_HOSTS = resolve(import.meta.dirname, '../support/test-hosts.mjs')
// `%40` is `@`: the proxy must receive the decoded password from every client.
const PROXY_USER = 'watch'
const PROXY_PASSWORD = 'p@ss-w0rd'
const PROXY_PASSWORD_IN_URL = 'p%40ss-w0rd'

const HOSTS = {
  sts: `sts.${TEST_DOMAIN}`,
  logs: `logs.${TEST_DOMAIN}`,
  oidc: `token.${TEST_DOMAIN}`,
  slack: `hooks.${TEST_DOMAIN}`,
  cache: `results.${TEST_DOMAIN}`,
  slackApi: `slack.${TEST_DOMAIN}`,
  github: `github.${TEST_DOMAIN}`,
} as const

let emulator: Emulator
let proxy: ForwardProxy

beforeEach(async () => {
  emulator = await startEmulator({
    region: 'eu-west-1',
    queryLatencyMs: 300,
    tls: {
      cert: readFileSync(resolve(TLS_DIR, 'emulator.pem')),
      key: readFileSync(resolve(TLS_DIR, 'emulator-key.pem')),
    },
  })
  emulator.createLogGroup(GROUP)
  proxy = await startForwardProxy({ credentials: `${PROXY_USER}:${PROXY_PASSWORD}` })
})

afterEach(async () => {
  await proxy.stop()
  await emulator.stop()
})

/** `url` of the emulator (http://127.0.0.1:PORT/…) as https://<host>:<TLS port>/… */
function at(host: string, url: string): string {
  const moved = new URL(url)
  moved.protocol = 'https:'
  moved.hostname = host
  moved.port = new URL(emulator.tlsUrl ?? '').port
  return moved.href
}

/** The runner's environment with every endpoint under the test domain, and HTTPS_PROXY. */
function proxiedEnv(extra: Record<string, string> = {}): Record<string, string> {
  const { env } = emulator
  return {
    ...env,
    AWS_ENDPOINT_URL_STS: at(HOSTS.sts, env.AWS_ENDPOINT_URL_STS ?? ''),
    AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: at(HOSTS.logs, env.AWS_ENDPOINT_URL_CLOUDWATCH_LOGS ?? ''),
    ACTIONS_ID_TOKEN_REQUEST_URL: at(HOSTS.oidc, env.ACTIONS_ID_TOKEN_REQUEST_URL ?? ''),
    ACTIONS_RESULTS_URL: at(HOSTS.cache, env.ACTIONS_RESULTS_URL ?? ''),
    HTTPS_PROXY: `http://${PROXY_USER}:${PROXY_PASSWORD_IN_URL}@127.0.0.1:${proxy.port}`,
    NODE_EXTRA_CA_CERTS: resolve(TLS_DIR, 'ca.pem'),
    ...extra,
  }
}

function inputs(extra: Record<string, string> = {}): Record<string, string> {
  return {
    'log-group-names': GROUP,
    'aws-region': 'eu-west-1',
    'role-to-assume': emulator.roleArn,
    'slack-webhook-url': at(HOSTS.slack, emulator.slackWebhookUrl('alerts')),
    'monitor-name': 'behind-a-proxy',
    // Both runs post, so that the second one's Slack post goes through the proxy too.
    ...EVERY_WINDOW_ALERTS,
    ...extra,
  }
}

function seedErrors(): void {
  const now = Date.now()
  emulator.putLogEvents(
    GROUP,
    [502, 404, 503].map((status, i) => ({
      timestamp: now - (90 + i * 20) * 1000,
      message: JSON.stringify({ requestId: `r${i}-${now}`, httpMethod: 'GET', resourcePath: '/x', status }),
    })),
  )
}

/** What a request was, for messages: `logs StartQuery`, `GET /`, `cache PutBlob`. */
function what(request: ReceivedRequest): string {
  return request.call ? `${request.call.service} ${request.call.action}` : `${request.method} ${request.url}`
}

const hostOf = (request: ReceivedRequest) => (request.host ?? '').replace(/:\d+$/, '')

/** Lines the run printed, other than the runner's mask commands (which carry the secrets on purpose). */
function printedLines(run: ActionRun): string {
  return `${run.stdout}\n${run.stderr}`
    .split('\n')
    .filter((line) => !line.startsWith('::add-mask::'))
    .join('\n')
}

/**
 * Every request of the run arrived over TLS on a connection the proxy opened to the host it was
 * addressed to, and every tunnel the proxy opened carried requests for its host.
 */
function expectAllThroughProxy(requests: ReceivedRequest[]): void {
  const tunnels = new Map(proxy.carried.map((carried) => [carried.upstreamPort, carried]))
  for (const request of requests) {
    const tunnel = tunnels.get(request.remotePort)
    expect(tunnel, `${what(request)} did not come through the proxy`).toBeDefined()
    expect(tunnel?.host, what(request)).toBe(hostOf(request))
    expect(request.tls, what(request)).toBe(true)
  }
  // Counted per host both ways: tunnels the proxy opened, and connections the requests came on.
  const connections: Record<string, Set<number | undefined>> = {}
  for (const request of requests) {
    const ports = connections[hostOf(request)] ?? new Set()
    ports.add(request.remotePort)
    connections[hostOf(request)] = ports
  }
  expect(proxy.countsByHost()).toEqual(
    Object.fromEntries(Object.entries(connections).map(([host, ports]) => [host, ports.size])),
  )
  for (const carried of proxy.carried) {
    expect(carried).toMatchObject({
      kind: 'connect',
      status: 200,
      credentials: `${PROXY_USER}:${PROXY_PASSWORD}`,
    })
  }
}

const actions = (requests: ReceivedRequest[]) => new Set(requests.map(what))

describe('behind a proxy (HTTPS_PROXY)', () => {
  it('the test domain resolves nowhere: only the proxy reaches it', async () => {
    await expect(lookup(HOSTS.logs)).rejects.toMatchObject({ code: 'ENOTFOUND' })
  })

  it('sends every request of a run through the proxy: OIDC, STS, Logs and its clock probe, Slack, the Actions cache', async () => {
    seedErrors()
    // The first run saves a checkpoint to the cache (upload: Azure SDK); the second restores it
    // (download: @actions/http-client) and saves its own.
    const first = await runAction({ inputs: inputs({ state: 'actions-cache' }), env: proxiedEnv() })
    expect(first.exitCode, first.stdout).toBe(0)
    const firstRequests = [...emulator.requests]
    const firstCarried = proxy.carried.length
    // With step debug logging on: nothing may print the proxy's password there either.
    const second = await runAction({
      inputs: inputs({ state: 'actions-cache' }),
      env: proxiedEnv({ RUNNER_DEBUG: '1', ACTIONS_STEP_DEBUG: 'true' }),
    })
    expect(second.exitCode, second.stdout).toBe(0)
    expect(second.stdout).toContain('Restored the state from the Actions cache entry')

    for (const run of [first, second]) {
      expect(run.stdout).toContain(
        `Proxy: https through http://127.0.0.1:${proxy.port} (HTTPS_PROXY, credentials masked); http direct (no HTTP_PROXY); no NO_PROXY; loopback hosts direct.`,
      )
      // The password is masked, and printed nowhere but in the runner's mask command.
      expect(run.stdout).toContain(`::add-mask::${PROXY_PASSWORD}`)
      expect(printedLines(run)).not.toContain(PROXY_PASSWORD)
      expect(printedLines(run)).not.toContain(PROXY_PASSWORD_IN_URL)
    }

    expect(proxy.carried.length).toBeGreaterThan(firstCarried)
    expectAllThroughProxy(emulator.requests)

    // Every service was exercised, each at its own name.
    const firstActions = actions(firstRequests)
    const secondActions = actions(emulator.requests.slice(firstRequests.length))
    for (const expected of [
      'oidc IdToken',
      'sts AssumeRoleWithWebIdentity',
      'GET /',
      'logs StartQuery',
      'logs GetQueryResults',
      'slack alerts',
      'cache GetCacheEntryDownloadURL',
      'cache CreateCacheEntry',
      'cache FinalizeCacheEntryUpload',
    ]) {
      expect(firstActions, expected).toContain(expected)
      expect(secondActions, expected).toContain(expected)
    }
    const uploads = [...firstActions].filter((action) => /^cache Put(Blob|Block|BlockList)$/.test(action))
    expect(uploads.length, [...firstActions].join(', ')).toBeGreaterThan(0)
    expect(secondActions).toContain('cache GetBlob')
    const hostsByService: Record<string, string> = {
      oidc: HOSTS.oidc,
      sts: HOSTS.sts,
      logs: HOSTS.logs,
      slack: HOSTS.slack,
      cache: HOSTS.cache,
    }
    for (const request of emulator.requests) {
      const host = request.call ? hostsByService[request.call.service] : HOSTS.logs
      expect(hostOf(request), what(request)).toBe(host)
    }

    // Kept alive through the tunnel: the clock probe's connection is the one StartQuery reused.
    const probe = firstRequests.find((request) => request.method === 'GET' && request.url === '/')
    const start = firstRequests.find((request) => request.call?.action === 'StartQuery')
    expect(probe?.remotePort).toBeDefined()
    expect(start?.remotePort).toBe(probe?.remotePort)
    // Every Logs request of a run on one tunnel: one per run.
    expect(proxy.countsByHost()[HOSTS.logs]).toBe(2)
    // The alert, then the resolved notice.
    expect(emulator.slackPosts('alerts').map((post) => post.status)).toEqual([200, 200])
  })

  it('sends a host NO_PROXY names direct, and the rest through the proxy', async () => {
    seedErrors()
    // With test-hosts.mjs the test domain resolves to 127.0.0.1, as an /etc/hosts entry would, so a
    // request that skips the proxy arrives, on a connection the proxy did not open.
    const run = await runAction({
      inputs: inputs({ state: 'none' }),
      env: proxiedEnv({ NO_PROXY: `example.org, ${HOSTS.slack}` }),
      imports: [TEST_HOSTS],
    })
    expect(run.exitCode, run.stdout).toBe(0)
    expect(run.stdout).toContain(`NO_PROXY: example.org, ${HOSTS.slack}; loopback hosts direct.`)
    const slack = emulator.requests.filter((request) => request.call?.service === 'slack')
    const others = emulator.requests.filter((request) => request.call?.service !== 'slack')
    // The post arrived, on a connection the proxy did not open.
    expect(slack.map(what)).toEqual(['slack alerts'])
    expect(slack[0]?.remotePort).toBeDefined()
    expect(proxy.upstreamPorts()).not.toContain(slack[0]?.remotePort)
    expect(proxy.countsByHost()[HOSTS.slack]).toBeUndefined()
    expectAllThroughProxy(others)
    expect(actions(others)).toEqual(
      new Set([
        'oidc IdToken',
        'sts AssumeRoleWithWebIdentity',
        'GET /',
        'logs StartQuery',
        'logs GetQueryResults',
      ]),
    )
  })

  it('bot-token mode and github-issue: the Slack Web API and GitHub calls go through the proxy too', async () => {
    seedErrors()
    const run = await runAction({
      inputs: inputs({
        state: 'none',
        'slack-webhook-url': '',
        'slack-bot-token': emulator.slackApi.token,
        'slack-channel': '#alerts',
        'github-issue': 'true',
        'github-token': emulator.github.token,
      }),
      env: proxiedEnv({
        INSIGHTS_WATCH_SLACK_API_URL: at(HOSTS.slackApi, emulator.env.INSIGHTS_WATCH_SLACK_API_URL ?? ''),
        GITHUB_API_URL: at(HOSTS.github, emulator.env.GITHUB_API_URL ?? ''),
      }),
    })
    expect(run.exitCode, run.stdout).toBe(0)
    expect(emulator.slackApi.counts('#alerts')).toEqual({ posts: 1, updates: 0, replies: 1 })
    expect(emulator.github.issues()).toHaveLength(1)
    const services = new Set(emulator.requests.map((request) => request.call?.service))
    expect(services).toContain('slack-api')
    expect(services).toContain('github')
    expectAllThroughProxy(emulator.requests)
  })
})
