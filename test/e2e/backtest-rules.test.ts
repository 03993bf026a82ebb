import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { Emulator } from '../emulator/index.js'
import { startTimeline, type Timeline } from '../support/timeline.js'

/**
 * `backtest` over a rules file on a pull request (issue 16), the bundle against the emulator: every
 * rule replayed from one query each, the aggregate rule shown as not replayed, one comment on the pull
 * request (updated in place by the next push), nothing to Slack, no checkpoint written.
 */

const SECOND = 1000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE

let timeline: Timeline
let emulator: Emulator
let dir: string

afterEach(async () => {
  await emulator?.stop()
})

const RULES = `defaults:
  thresholds: { 5xx: 1, 4xx: 50 }
  slack-webhook-secrets: HOOK
rules:
  - name: payments <script>
    log-group-names: /aws/apigateway/payments
  - name: search
    log-group-names: /aws/apigateway/search
  - name: totals
    log-group-names: /aws/apigateway/search
    query: stats count(*) as errors by status
`

function logAt(group: string, atMs: number, statuses: readonly number[]): void {
  emulator.putLogEvents(
    group,
    statuses.map((status, i) => ({
      timestamp: timeline.t0 + atMs + i * SECOND,
      ingestionTime: timeline.t0 + atMs + i * SECOND,
      message: JSON.stringify({
        requestId: `r-${atMs}-${i}`,
        httpMethod: 'POST',
        resourcePath: '/pay',
        status: String(status),
      }),
    })),
  )
}

describe('backtest of a rules file on a pull request', () => {
  it('replays each rule, shows the aggregate one as not replayed, and keeps one comment up to date', async () => {
    timeline = await startTimeline({ region: 'eu-west-1', queryLatencyMs: 100 })
    emulator = timeline.emulator
    emulator.createLogGroup('/aws/apigateway/payments')
    emulator.createLogGroup('/aws/apigateway/search')
    dir = mkdtempSync(join(tmpdir(), 'insights-watch-backtest-rules-'))
    const rulesFile = join(dir, 'insights-watch.yml')
    writeFileSync(rulesFile, RULES)
    const pull = emulator.github.addPullRequest({ title: 'Tighten the payments rule' })
    const eventPath = join(dir, 'event.json')
    writeFileSync(
      eventPath,
      JSON.stringify({
        pull_request: {
          number: pull,
          head: { repo: { full_name: 'acme/api' } },
          base: { repo: { full_name: 'acme/api' } },
        },
      }),
    )
    // Two 5xx episodes on payments, hours apart: two alerts, two resolved notices.
    logAt('/aws/apigateway/payments', 20 * MINUTE, [502, 503])
    logAt('/aws/apigateway/payments', 2 * HOUR, [500])
    logAt('/aws/apigateway/search', 30 * MINUTE, [404, 404])

    const inputs = {
      rules: rulesFile,
      backtest: '3h',
      'aws-region': 'eu-west-1',
      state: `file:${join(dir, 'state.json')}`,
    }
    const env = {
      HOOK: emulator.slackWebhookUrl('alerts'),
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_EVENT_PATH: eventPath,
      GITHUB_TOKEN: emulator.github.token,
    }
    const first = await timeline.runAt(3 * HOUR, inputs, env)
    expect(first.exitCode, first.stdout).toBe(0)

    const comments = () => emulator.github.issue(pull)?.comments ?? []
    expect(comments()).toHaveLength(1)
    const body = comments()[0]?.body ?? ''
    expect(body).toContain('3 rules: 2 alerts, 2 resolved notices, 4 Slack posts')
    expect(body).toContain('| payments &lt;script&gt; | 2 | 2 | 4 |')
    expect(body).toMatch(/\| search \| 0 \| 0 \| 0 \|/)
    expect(body).toMatch(/\| totals \|[^\n]*not replayed: replays record queries only/)
    expect(body).not.toContain('<script>')
    // One query per replayed rule, no Slack, no state.
    expect(emulator.calls.filter((call) => call.action === 'StartQuery')).toHaveLength(2)
    expect(emulator.slackPosts('alerts')).toEqual([])
    expect(readdirSync(dir).filter((name) => name.startsWith('state'))).toEqual([])
    expect(first.summary).toContain('insights-watch backtest')

    // The next push: the same comment, edited.
    // 120 4xx over two minutes: whichever window edge cuts them, one side holds 50 or more (one alert; the
    // other side, if over too, is inside realert).
    logAt('/aws/apigateway/search', 3 * HOUR + 10 * MINUTE, Array(120).fill(404))
    const second = await timeline.runAt(3 * HOUR + 20 * MINUTE, inputs, env)
    expect(second.exitCode, second.stdout).toBe(0)
    expect(comments()).toHaveLength(1)
    expect(comments()[0]?.body).toMatch(/\| search \| 1 \| 0 \| 1 \|/)
    expect(existsSync(join(dir, 'state.json'))).toBe(false)
  })
})
