import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { startEmulator } from '../emulator/index.js'
import { freshDirectory, runInProcess, SimClock, simRunnerEnv, simWorkspace } from './in-process.js'

/**
 * `new-signatures` over simulated weeks (issue 15): four runs a day (one every six hours, so the test
 * takes seconds), with a background 404 every hour all along. A 409 on `POST /v2/checkout`, which no
 * other rule alerts on (4xx=50), first appears on day 8: it must be called new exactly once (and alert,
 * 5 entries ≥ new-signature-threshold 3), not on days 9, 10 and 16 (seen within signature-memory, 7d),
 * and once more on day 24, after eight days away.
 */

const GROUP = '/aws/apigateway/prod-access'
const WEBHOOK = 'alerts'
const HOUR = 3_600_000
const DAY = 24 * HOUR
const START = Date.UTC(2026, 1, 1)
const DAYS = 25
const SIGNATURE = '409 POST /v2/checkout'

/** The days (1 = the first) the new signature's entries arrive, and how many each time. */
const CHECKOUT_DAYS: Array<[day: number, entries: number]> = [
  [8, 5],
  [9, 2],
  [10, 4],
  [16, 3],
  [24, 6],
]

const workspace = simWorkspace('insights-watch-signatures-')

function accessLine(timestamp: number, status: number, httpMethod: string, resourcePath: string, id: string) {
  return {
    timestamp,
    ingestionTime: timestamp,
    message: JSON.stringify({ requestId: id, httpMethod, resourcePath, status: String(status) }),
  }
}

describe('new-signatures over simulated weeks', () => {
  it('a signature first seen on day 8 is new once, then not until it was away for signature-memory', async () => {
    const began = performance.now()
    const clock = new SimClock(START)
    const emulator = await startEmulator({ now: clock.now, region: 'eu-west-1', queryLatencyMs: 100 })
    const dir = freshDirectory(workspace.base(), 'weeks-')
    const stateFile = join(dir, 'state.json')
    const lines = []
    for (let hour = 0; hour < DAYS * 24; hour += 1)
      lines.push(accessLine(START + hour * HOUR + 30 * 60_000, 404, 'GET', '/favicon.ico', `bg-${hour}`))
    for (const [day, entries] of CHECKOUT_DAYS) {
      for (let i = 0; i < entries; i += 1) {
        const at = START + (day - 1) * DAY + 10 * HOUR + 42 * 60_000 + i * 7_000
        lines.push(accessLine(at, 409, 'POST', '/v2/checkout', `co-${day}-${i}`))
      }
    }
    emulator.putLogEvents(GROUP, lines)

    /** Per run that named the signature new: its day, whether Slack got the callout, whether it alerted. */
    const calledNew: Array<{ day: number; posted: boolean; alerted: boolean }> = []
    let baselineRuns = 0
    let runs = 0
    try {
      for (let at = START + 6 * HOUR; at <= START + DAYS * DAY; at += 6 * HOUR) {
        clock.advanceTo(at)
        const before = emulator.slackPosts(WEBHOOK).length
        const result = await runInProcess({
          clock,
          inputs: {
            'log-group-names': GROUP,
            'aws-region': 'eu-west-1',
            state: `file:${stateFile}`,
            'slack-webhook-url': emulator.slackWebhookUrl(WEBHOOK),
            interval: '6h',
            'max-catch-up': '7h',
            'new-signatures': 'true',
          },
          env: simRunnerEnv(emulator, String(7_000_000 + runs)),
          runnerTemp: freshDirectory(dir, 'run-'),
          summaryFile: workspace.summaryFile(),
        })
        runs += 1
        const day = Math.floor((at - 1 - START) / DAY) + 1
        if (result.failed) throw new Error(`the run at ${new Date(at).toISOString()} failed:\n${result.log}`)
        if (result.summary.includes('the baseline; none is called new')) baselineRuns += 1
        const posts = emulator.slackPosts(WEBHOOK).slice(before)
        const callout = posts.some((post) => post.raw.includes(`New:* \`${SIGNATURE}\``))
        if (result.summary.includes('New error signatures')) {
          expect(result.summary, `day ${day}`).toContain(SIGNATURE)
          calledNew.push({
            day,
            posted: callout,
            alerted: result.summary.includes('Alerted for a new error signature with at least 3 entries'),
          })
        } else {
          expect(callout, `day ${day}: a callout without the summary's list`).toBe(false)
        }
      }
    } finally {
      await emulator.stop()
    }
    console.log(
      `new-signatures: ${runs} runs over ${DAYS} days in ${((performance.now() - began) / 1000).toFixed(1)} s; called new: ${JSON.stringify(calledNew)}`,
    )
    // Only the first run learned the baseline (the background 404): nothing was called new then.
    expect(baselineRuns).toBe(1)
    // Day 8: new, in Slack, alerting below the thresholds. Days 9, 10 and 16: seen within 7d.
    // Day 24: eight days after day 16, new once more.
    expect(calledNew).toEqual([
      { day: 8, posted: true, alerted: true },
      { day: 24, posted: true, alerted: true },
    ])
    // After the last run, every signature it saw is in the seen set with its last-seen time.
    const saved = JSON.parse(readFileSync(stateFile, 'utf8')) as { signatures: Record<string, number> }
    const lastCheckout = START + 23 * DAY + 10 * HOUR + 42 * 60_000 + 5 * 7_000
    expect(saved.signatures).toEqual({
      [SIGNATURE]: lastCheckout / 1000,
      '404 GET /favicon.ico': (START + (DAYS * 24 - 1) * HOUR + 30 * 60_000) / 1000,
    })
  }, 120_000)
})
