import { readFileSync } from 'node:fs'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Emulator } from '../emulator/index.js'
import { type MonitorTimeline, startMonitorTimeline } from '../support/timeline.js'

/**
 * `new-signatures` (issue 15), the bundle against the emulator: the first run learns the background
 * signatures; a signature never seen before, with three 4xx (far below 4xx=50), is called out at the
 * top of the Slack message and alerts on its own; its hostile path arrives as text.
 */

const GROUP = '/aws/apigateway/prod-access'
const MINUTE = 60_000

let timeline: MonitorTimeline
let emulator: Emulator
let stateFile: string

beforeEach(async () => {
  timeline = await startMonitorTimeline({
    region: 'eu-west-1',
    queryLatencyMs: 200,
    group: GROUP,
    statePrefix: 'insights-watch-signatures-',
  })
  ;({ emulator, stateFile } = timeline)
})

afterEach(async () => {
  await emulator.stop()
})

function log(atMs: number, status: number, httpMethod: string, resourcePath: string, times: number): void {
  timeline.logAccess(
    atMs,
    Array.from({ length: times }, () => ({ status, httpMethod, resourcePath })),
  )
}

const runAt = (atMs: number) =>
  timeline.runAt(atMs, {
    'log-group-names': GROUP,
    'aws-region': 'eu-west-1',
    state: `file:${stateFile}`,
    'slack-webhook-url': emulator.slackWebhookUrl('alerts'),
    'new-signatures': 'true',
  })

const delivered = () => emulator.slackPosts('alerts').filter((post) => post.status === 200)

describe('new-signatures', () => {
  it('calls out a signature never seen before at the top of the Slack message, and alerts below the thresholds', async () => {
    log(-3 * MINUTE, 404, 'GET', '/favicon.ico', 4)
    const first = await runAt(0)
    expect(first.exitCode, first.stdout).toBe(0)
    // The first run learns: the background 404 is the baseline, not news (its only post is the
    // "no checkpoint found" notice).
    expect(first.summary).toContain('the 1 signature of this window is the baseline')
    expect(delivered()).toHaveLength(1)

    log(2 * MINUTE, 404, 'GET', '/favicon.ico', 2)
    log(2 * MINUTE + 10_000, 409, 'POST', '/v2/<!channel>_checkout', 3)
    const second = await runAt(5 * MINUTE)
    expect(second.exitCode, second.stdout).toBe(0)
    expect(delivered()).toHaveLength(2)
    const message = delivered()[1]?.body as { attachments: [{ blocks: { text?: { text: string } }[] }] }
    const blocks = message.attachments[0].blocks
    // Under the header, before anything else: the new signature, escaped as log text.
    const callout = blocks[1]?.text?.text ?? ''
    expect(callout).toMatch(
      /^🆕 \*New:\* `409 POST \/v2\/&lt;!channel&gt;ˍcheckout`, first seen \d\d:\d\d UTC, 3 times$/,
    )
    expect(JSON.stringify(message)).not.toContain('<!channel>')
    expect(JSON.stringify(message)).not.toContain('favicon.ico`, first seen')
    // 5 4xx are far below 4xx=50: the new signature alerted on its own, and the summary says why.
    expect(second.summary).toContain('New error signatures (1 of 2)')
    expect(second.summary).toContain('Alerted for a new error signature with at least 3 entries')
    expect(second.summary).toContain('below the thresholds (0 5xx of 1, 5 4xx of 50, 0 other of 1)')

    // The same signature again: seen, so below the thresholds nothing is posted.
    log(7 * MINUTE, 409, 'POST', '/v2/<!channel>_checkout', 3)
    const third = await runAt(10 * MINUTE)
    expect(third.exitCode, third.stdout).toBe(0)
    expect(delivered()).toHaveLength(2)
    expect(third.summary).toContain('Below the thresholds')
    const saved = JSON.parse(readFileSync(stateFile, 'utf8')) as { signatures: Record<string, number> }
    expect(Object.keys(saved.signatures).sort()).toEqual([
      '404 GET /favicon.ico',
      '409 POST /v2/<!channel>_checkout',
    ])
  })
})
