import { afterEach, describe, expect, it } from 'vitest'
import type { Emulator } from '../emulator/index.js'
import { type MonitorTimeline, startMonitorTimeline } from '../support/timeline.js'

/**
 * `rate-thresholds` and `baseline` (issue 15), the bundle against the emulator: the share of 5xx among
 * every request of the window, counted by the action's own aggregate query, overall and per route,
 * with the `min-requests` floor; and an alert set against the same window a week earlier.
 */

const GROUP = '/aws/apigateway/prod-access'
const SECOND = 1000
const MINUTE = 60 * SECOND
const WEEK = 7 * 24 * 60 * MINUTE

let timeline: MonitorTimeline
let emulator: Emulator

afterEach(async () => {
  await emulator?.stop()
})

async function start(prefix: string): Promise<void> {
  timeline = await startMonitorTimeline({
    region: 'eu-west-1',
    queryLatencyMs: 200,
    group: GROUP,
    statePrefix: prefix,
  })
  emulator = timeline.emulator
}

interface Traffic {
  method: string
  path: string
  requests: number
  /** How many of them answered 502. */
  errors: number
}

let requestId = 0

/**
 * `traffic` logged evenly from `fromMs` to `toMs` into the timeline. The 200s share a few message
 * strings (a million distinct ones would only cost memory); each 502 has its own request id, so each
 * is an entry of its own.
 */
function logTraffic(fromMs: number, toMs: number, traffic: readonly Traffic[]): void {
  const events: Array<{ timestamp: number; message: string }> = []
  const total = traffic.reduce((sum, route) => sum + route.requests, 0)
  const step = (toMs - fromMs) / total
  let at = 0
  for (const route of traffic) {
    const ok = JSON.stringify({ httpMethod: route.method, resourcePath: route.path, status: '200' })
    // Errors spread evenly among the route's requests.
    const every = route.errors > 0 ? route.requests / route.errors : Number.POSITIVE_INFINITY
    let nextError = 0
    for (let i = 0; i < route.requests; i += 1) {
      const timestamp = timeline.t0 + fromMs + Math.floor(at * step)
      at += 1
      if (i >= nextError && route.errors > 0) {
        nextError += every
        events.push({
          timestamp,
          message: JSON.stringify({
            requestId: `r${requestId++}`,
            httpMethod: route.method,
            resourcePath: route.path,
            status: '502',
          }),
        })
      } else {
        events.push({ timestamp, message: ok })
      }
    }
  }
  emulator.putLogEvents(GROUP, events)
}

/**
 * The monitor's inputs (one log group, the file state, the `alerts` webhook, and `extra`), after its
 * first run at 0, which finds no checkpoint and so starts the timeline.
 */
async function firstRun(extra: Record<string, string>): Promise<Record<string, string>> {
  const inputs = {
    'log-group-names': GROUP,
    'aws-region': 'eu-west-1',
    state: `file:${timeline.stateFile}`,
    'slack-webhook-url': emulator.slackWebhookUrl('alerts'),
    ...extra,
  }
  const first = await timeline.runAt(0, inputs)
  expect(first.exitCode, first.stdout).toBe(0)
  return inputs
}

const delivered = (name: string) => emulator.slackPosts(name).filter((post) => post.status === 200)
const startQueries = () => emulator.calls.filter((call) => call.action === 'StartQuery')

function messageText(post: { body: unknown } | undefined): string {
  const body = post?.body as { attachments: [{ blocks: { text?: { text: string } }[] }] }
  return body.attachments[0].blocks.map((block) => block.text?.text ?? '').join('\n')
}

describe('rate-thresholds', () => {
  it('1,000,000 requests at 0.5% 5xx stay quiet at 5xx=1%; a burst to 3% on one route alerts once, naming it', async () => {
    await start('insights-watch-rates-')
    const inputs = await firstRun({
      'rate-thresholds': '5xx=1%',
      baseline: 'none',
    })
    const noticesBefore = delivered('alerts').length

    // A million requests in one window, 0.5% of them 502 on both routes (before the next overlap).
    logTraffic(30 * SECOND, 110 * SECOND, [
      { method: 'GET', path: '/v2/items', requests: 900_000, errors: 4_500 },
      { method: 'POST', path: '/v2/checkout', requests: 100_000, errors: 500 },
    ])
    const calm = await timeline.runAt(5 * MINUTE, inputs)
    expect(calm.exitCode, calm.stdout).toBe(0)
    // 5,000 502s, and the default absolute thresholds (5xx=1) would have alerted: with rates they are off.
    expect(calm.outputs['match-count']).toBe('5000')
    expect(delivered('alerts')).toHaveLength(noticesBefore)
    expect(calm.summary).toContain('5xx 0.5% of 1,000,000 requests, below 1%')
    expect(calm.summary).toContain('(requests, for rate-thresholds)')
    expect(calm.stdout).toContain('rate-thresholds: 1,000,000 requests in the window')

    // The next window: one route bursts to 3% while the whole stays at 0.75%.
    const queriesBefore = startQueries().length
    logTraffic(6 * MINUTE, 8 * MINUTE, [
      { method: 'GET', path: '/v2/items', requests: 180_000, errors: 900 },
      { method: 'POST', path: '/v2/checkout', requests: 20_000, errors: 600 },
    ])
    const burst = await timeline.runAt(10 * MINUTE, inputs)
    expect(burst.exitCode, burst.stdout).toBe(0)
    // One batch of log groups: the main query and one request count, no more.
    expect(startQueries().length - queriesBefore).toBe(2)
    const posts = delivered('alerts')
    expect(posts).toHaveLength(noticesBefore + 1)
    const text = messageText(posts.at(-1))
    expect(text).toContain(
      '📈 *Error rate:* 1 route reached a rate threshold (200,000 requests in the window)\n• `POST /v2/checkout`: 5xx 3% (600 of 20,000 requests, threshold 1%)',
    )
    expect(text).not.toContain('/v2/items`: 5xx')
    expect(burst.summary).toContain(
      '<code>POST /v2/checkout</code>: 5xx 3% (600 of 20,000 requests, threshold 1%)',
    )
  }, 180_000)

  it('a window of 40 requests with 10 5xx is below min-requests: no rate alert, while an absolute threshold still fires', async () => {
    await start('insights-watch-rates-floor-')
    const base = {
      'log-group-names': GROUP,
      'aws-region': 'eu-west-1',
      'rate-thresholds': '5xx=1%',
      baseline: 'none',
    }
    const ratesOnly = {
      ...base,
      state: `file:${timeline.stateFile}`,
      'slack-webhook-url': emulator.slackWebhookUrl('rates-only'),
    }
    const withAbsolute = {
      ...base,
      thresholds: '5xx=5',
      state: `file:${timeline.stateFile}.absolute`,
      'slack-webhook-url': emulator.slackWebhookUrl('with-absolute'),
    }
    for (const inputs of [ratesOnly, withAbsolute]) {
      const first = await timeline.runAt(0, inputs)
      expect(first.exitCode, first.stdout).toBe(0)
    }
    const before = {
      ratesOnly: delivered('rates-only').length,
      withAbsolute: delivered('with-absolute').length,
    }

    logTraffic(30 * SECOND, 90 * SECOND, [{ method: 'GET', path: '/v2/items', requests: 40, errors: 10 }])
    const quiet = await timeline.runAt(5 * MINUTE, ratesOnly)
    expect(quiet.exitCode, quiet.stdout).toBe(0)
    expect(delivered('rates-only')).toHaveLength(before.ratesOnly)
    expect(quiet.summary).toContain('40 requests, below min-requests (100): not judged by rate')

    const fired = await timeline.runAt(5 * MINUTE, withAbsolute)
    expect(fired.exitCode, fired.stdout).toBe(0)
    expect(delivered('with-absolute')).toHaveLength(before.withAbsolute + 1)
    expect(messageText(delivered('with-absolute').at(-1))).toContain(
      '📈 *Error rate:* 40 requests, below min-requests (100): not judged by rate',
    )
  }, 120_000)
})

describe('rate-thresholds when its request count fails', () => {
  it('fails the step naming the count query, keeps the checkpoint, and the next run judges the window', async () => {
    await start('insights-watch-rates-failing-')
    const inputs = await firstRun({
      'rate-thresholds': '5xx=1%',
      baseline: 'none',
    })
    logTraffic(30 * SECOND, 90 * SECOND, [{ method: 'GET', path: '/v2/items', requests: 150, errors: 30 }])

    emulator.failNextQuery('Failed', 'as requests by httpMethod')
    const failing = await timeline.runAt(5 * MINUTE, inputs)
    expect(failing.exitCode).toBe(1)
    expect(failing.stdout).toContain('1 of 1 request count queries (rate-thresholds) failed')
    const failedStart = emulator.calls.filter((call) => call.action === 'StartQuery').at(-1)?.body as {
      startTime: number
    }

    // The window is checked again, the count with it: 30 of 150 requests is 20%.
    const queriesBefore = startQueries().length
    const again = await timeline.runAt(10 * MINUTE, inputs)
    expect(again.exitCode, again.stdout).toBe(0)
    const restarted = startQueries()[queriesBefore]?.body as { startTime: number }
    expect(restarted.startTime).toBe(failedStart.startTime)
    // The alert, then the notice that the monitor runs again.
    const texts = delivered('alerts').map((post) => JSON.stringify(post.body))
    expect(texts.filter((text) => text.includes('📈'))).toHaveLength(1)
    expect(texts.at(-2)).toContain('📈 *Error rate:* 5xx 20% (30 of 150 requests, threshold 1%)')
    // The failed run posted nothing of its entries, so they are this alert's, not dropped as reported.
    expect(again.outputs['match-count']).toBe('30')
    expect(texts.at(-2)).toContain('30 matching entries (30 5xx, 0 4xx)')
    expect(texts.at(-1)).toContain('running again')
  }, 120_000)
})

describe('baseline', () => {
  it("shows the same window a week earlier with the emulator's numbers for it: 3× last week", async () => {
    await start('insights-watch-baseline-')
    const inputs = await firstRun({})
    const before = delivered('alerts').length

    // The next run checks [0 − overlap 2m, 5m − query-delay 1m): the same stretch a week earlier holds
    // 1,000 requests with 10 502s; this week 30, in 2,000 requests.
    logTraffic(-WEEK - MINUTE, -WEEK + 3 * MINUTE, [
      { method: 'GET', path: '/v2/items', requests: 1_000, errors: 10 },
    ])
    // Outside last week's window, not counted: just before it and just after it.
    logTraffic(-WEEK - 5 * MINUTE, -WEEK - 4 * MINUTE, [
      { method: 'GET', path: '/v2/items', requests: 50, errors: 50 },
    ])
    logTraffic(-WEEK + 4 * MINUTE + 10 * SECOND, -WEEK + 5 * MINUTE, [
      { method: 'GET', path: '/v2/items', requests: 50, errors: 50 },
    ])
    logTraffic(30 * SECOND, 150 * SECOND, [{ method: 'GET', path: '/v2/items', requests: 2_000, errors: 30 }])

    const queriesBefore = startQueries().length
    const alert = await timeline.runAt(5 * MINUTE, inputs)
    expect(alert.exitCode, alert.stdout).toBe(0)
    // The main query, then the baseline's one aggregate query (no rates: no request count).
    expect(startQueries().length - queriesBefore).toBe(2)
    const posts = delivered('alerts')
    expect(posts).toHaveLength(before + 1)
    expect(messageText(posts.at(-1))).toContain(
      '📅 *Against last week:* 5xx 30, 3× last week (10 of 1,000 requests, 1%)',
    )
    expect(alert.summary).toContain(
      '<b>Against last week:</b> 5xx 30, 3× last week (10 of 1,000 requests, 1%)',
    )
    expect(alert.summary).toContain('(baseline)')

    expect(alert.stdout).toContain('Baseline: 10 5xx, 0 4xx of 1000 requests.')

    // A run that does not alert does not query last week.
    const queriesAfterAlert = startQueries().length
    const quiet = await timeline.runAt(10 * MINUTE, inputs)
    expect(quiet.exitCode, quiet.stdout).toBe(0)
    expect(startQueries().length - queriesAfterAlert).toBe(1)
  }, 120_000)

  it('when the baseline query fails, the alert goes out all the same and says so', async () => {
    await start('insights-watch-baseline-failing-')
    const inputs = await firstRun({})
    const before = delivered('alerts').length
    logTraffic(30 * SECOND, 90 * SECOND, [{ method: 'GET', path: '/v2/items', requests: 100, errors: 5 }])
    emulator.failNextQuery('Failed', 'as requests by status')
    const run = await timeline.runAt(5 * MINUTE, inputs)
    expect(run.exitCode, run.stdout).toBe(0)
    expect(run.stdout).toMatch(
      /::warning title=insights-watch%3A baseline not counted::The baseline \(the same window last week\) could not be counted: Insights query \S+ ended with status Failed/,
    )
    expect(delivered('alerts')).toHaveLength(before + 1)
    expect(messageText(delivered('alerts').at(-1))).toMatch(/📅 \*Against last week:\* not counted: `[^`]+`/)
    expect(run.outputs['match-count']).toBe('5')
  }, 120_000)
})
