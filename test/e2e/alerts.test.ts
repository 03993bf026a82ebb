import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Emulator } from '../emulator/index.js'
import type { ActionRun } from '../support/run-action.js'
import { startTimeline, type Timeline } from '../support/timeline.js'

/** Alerts people act on: thresholds, mentions, deep links, realert, resolved, failure notices. */

const GROUP = '/aws/apigateway/prod-access'
const MINUTE = 60_000

let timeline: Timeline
let emulator: Emulator
let t0: number
let stateFile: string

beforeEach(async () => {
  timeline = await startTimeline({ region: 'eu-west-1', queryLatencyMs: 200 })
  ;({ emulator, t0 } = timeline)
  emulator.createLogGroup(GROUP)
  stateFile = join(mkdtempSync(join(tmpdir(), 'insights-watch-alerts-')), 'state.json')
})

afterEach(async () => {
  await emulator.stop()
})

let sequence = 0
function logErrors(atMs: number, statuses: number[]): void {
  emulator.putLogEvents(
    GROUP,
    statuses.map((status, i) => ({
      timestamp: t0 + atMs + i * 1000,
      ingestionTime: t0 + atMs + i * 1000,
      message: JSON.stringify({
        requestId: `req-${sequence++}`,
        httpMethod: 'POST',
        resourcePath: '/orders',
        status: String(status),
      }),
    })),
  )
}

function runAt(atMs: number, inputs: Record<string, string> = {}, env: Record<string, string> = {}) {
  return timeline.runAt(
    atMs,
    {
      'log-group-names': GROUP,
      'aws-region': 'eu-west-1',
      state: `file:${stateFile}`,
      'slack-webhook-url': emulator.slackWebhookUrl('alerts'),
      ...inputs,
    },
    env,
  )
}

const delivered = () => emulator.slackPosts('alerts').filter((post) => post.status === 200)
const messageText = (index: number) => JSON.stringify(delivered()[index]?.body ?? null)

describe('thresholds', () => {
  it('posts nothing for five 4xx under 4xx=20, and the summary says which threshold was not met', async () => {
    logErrors(-3 * MINUTE, [404, 404, 403, 400, 404])
    const run = await runAt(0, { thresholds: '5xx=1, 4xx=20' })
    expect(run.exitCode, run.stdout).toBe(0)
    expect(delivered()).toEqual([])
    expect(run.outputs['match-count']).toBe('5')
    expect(run.outputs.notified).toBe('false')
    expect(run.summary).toContain('Below the thresholds (0 5xx of 1, 5 4xx of 20)')
  })

  it('alerts with the mention and a console deep link when a 5xx arrives', async () => {
    logErrors(-3 * MINUTE, [502])
    const run = await runAt(0, { thresholds: '5xx=1, 4xx=20', mention: '<!here>' })
    expect(run.exitCode, run.stdout).toBe(0)
    const body = delivered()[0]?.body as { text: string }
    expect(body.text.startsWith('<!here> ')).toBe(true)
    const text = messageText(0)
    expect(text).toContain(
      'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:logs-insights',
    )
    expect(text).toContain('Open in Logs Insights')
    expect(run.summary).toContain('Open this query in CloudWatch Logs Insights')
  })

  it('never mentions anyone for 4xx only', async () => {
    logErrors(-3 * MINUTE, [404, 429])
    const run = await runAt(0, { mention: '<!channel>' })
    expect(run.exitCode, run.stdout).toBe(0)
    expect(delivered()).toHaveLength(1)
    expect(messageText(0)).not.toContain('<!channel>')
  })
})

describe('realert and resolved', () => {
  it('with realert 20m, runs at 0, +5, +25 and +30 (errors, errors, errors, clean) post 1, 0, 1 and 1 messages', async () => {
    logErrors(-3 * MINUTE, [500, 404])
    logErrors(2 * MINUTE, [503, 503, 404])
    logErrors(20 * MINUTE, [500])
    const runs: ActionRun[] = []
    const posts: number[] = []
    for (const at of [0, 5, 25, 30]) {
      const before = delivered().length
      runs.push(await runAt(at * MINUTE, { realert: '20m' }))
      posts.push(delivered().length - before)
    }
    for (const run of runs) expect(run.exitCode, run.stdout).toBe(0)
    expect(posts).toEqual([1, 0, 1, 1])
    expect(runs[1]?.summary).toContain('Quiet period')
    // The alert after the quiet period tells what arrived during it.
    expect(messageText(1)).toContain('Since the last alert')
    expect(messageText(1)).toMatch(/3\D+more entries \(2 5xx, 1 4xx\)/)
    // The resolved notice says how long it was failing.
    expect(messageText(2)).toMatch(/resolved after \d+m/)
    expect(messageText(2)).toContain('It was failing for')
  })

  it('stays quiet after a clean window when notify-resolved is false', async () => {
    logErrors(-3 * MINUTE, [500])
    await runAt(0, { 'notify-resolved': 'false' })
    await runAt(5 * MINUTE, { 'notify-resolved': 'false' })
    expect(delivered()).toHaveLength(1)
  })
})

describe('notify-on-error', () => {
  it('posts one failure notice when the OIDC token is refused, and fails the step', async () => {
    const run = await runAt(0, { 'role-to-assume': emulator.roleArn, audience: 'wrong-audience' })
    expect(run.exitCode).toBe(1)
    expect(delivered()).toHaveLength(1)
    const text = messageText(0)
    expect(text).toContain('is broken')
    expect(text).toContain('Could not assume role')
  })

  it('stays silent about failures when notify-on-error is false', async () => {
    const run = await runAt(0, {
      'role-to-assume': emulator.roleArn,
      audience: 'wrong-audience',
      'notify-on-error': 'false',
    })
    expect(run.exitCode).toBe(1)
    expect(emulator.slackPosts('alerts')).toEqual([])
  })
})
