import { readFileSync } from 'node:fs'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Emulator } from '../emulator/index.js'
import type { ActionRun } from '../support/run-action.js'
import { type MonitorTimeline, startMonitorTimeline } from '../support/timeline.js'

/** Alerts people act on: thresholds, mentions, deep links, realert, resolved, failure notices. */

const GROUP = '/aws/apigateway/prod-access'
const MINUTE = 60_000

let timeline: MonitorTimeline
let emulator: Emulator
let t0: number
let stateFile: string

beforeEach(async () => {
  timeline = await startMonitorTimeline({
    region: 'eu-west-1',
    queryLatencyMs: 200,
    group: GROUP,
    statePrefix: 'insights-watch-alerts-',
  })
  ;({ emulator, t0, stateFile } = timeline)
})

afterEach(async () => {
  await emulator.stop()
})

function logErrors(atMs: number, statuses: number[]): void {
  timeline.logAccess(
    atMs,
    statuses.map((status) => ({ status })),
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
    // No alert; a first run's only message is its "no checkpoint found" notice (state-loss.test.ts).
    expect(delivered()).toHaveLength(1)
    expect(messageText(0)).toContain('No checkpoint found')
    expect(run.outputs['match-count']).toBe('5')
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
    // Two 4xx alert only at a threshold of 1 (the default's 4xx=50 would post no alert at all).
    const run = await runAt(0, { mention: '<!channel>', thresholds: '1' })
    expect(run.exitCode, run.stdout).toBe(0)
    expect(delivered()).toHaveLength(1)
    expect(messageText(0)).toContain('2 matching entries (0 5xx, 2 4xx)')
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
      // resolve-after 0: resolved on the first clean window, as this scenario was written for.
      runs.push(await runAt(at * MINUTE, { realert: '20m', 'resolve-after': '0' }))
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
    // resolve-after 0: the clean window resolves the episode, so only notify-resolved keeps it silent.
    await runAt(0, { 'notify-resolved': 'false', 'resolve-after': '0' })
    const clean = await runAt(5 * MINUTE, { 'notify-resolved': 'false', 'resolve-after': '0' })
    expect(delivered()).toHaveLength(1)
    expect(clean.summary).toContain('notify-resolved is false, so nothing is posted')
  })
})

describe('the quiet defaults (thresholds 5xx=1, 4xx=50, other=1; realert 1h; resolve-after 15m)', () => {
  /** Runs at these minutes with every alerting input at its default; Slack posts per run. */
  async function postsPerRun(minutes: number[], inputs: Record<string, string> = {}) {
    const runs: ActionRun[] = []
    const posts: number[] = []
    for (const at of minutes) {
      const before = delivered().length
      runs.push(await runAt(at * MINUTE, { mention: '<!here>', ...inputs }))
      posts.push(delivered().length - before)
    }
    for (const run of runs) expect(run.exitCode, run.stdout).toBe(0)
    return { runs, posts }
  }

  it('posts nothing for background 404s, one alert for a 5xx incident, one resolved notice after 15m clean, and alerts at once for the next incident', async () => {
    for (const minute of [-3, 2, 7, 12, 17, 22, 27, 32]) logErrors(minute * MINUTE, [404])
    logErrors(8 * MINUTE, [502, 404])
    logErrors(13 * MINUTE, [503])
    logErrors(33 * MINUTE, [500])
    const { runs, posts } = await postsPerRun([0, 5, 10, 15, 20, 25, 31, 36])
    // The first run's only message is its "no checkpoint found" notice; the 404s alert nowhere.
    expect(posts).toEqual([1, 0, 1, 0, 0, 0, 1, 1])
    expect(messageText(0)).toContain('No checkpoint found')
    expect(runs[1]?.summary).toContain(
      'Below the thresholds (0 5xx of 1, 1 4xx of 50, 0 other of 1): no alert.',
    )
    const alert = delivered()[1]?.body as { text: string }
    expect(alert.text.startsWith('<!here> 🔴')).toBe(true)
    expect(runs[3]?.summary).toContain('Quiet period: the last alert was at')
    expect(runs[4]?.summary).toMatch(
      /Clearing: clean since \S+ \(\d+m\d*s? so far\); resolved after \S+ if it stays clean \(resolve-after 15m\)/,
    )
    expect(runs[5]?.summary).toContain('Clearing: clean since')
    // Resolved: how long it failed, how long it has been clean, and the 503 the quiet period held back.
    const resolved = messageText(2)
    expect(resolved).toMatch(/resolved after 1[123]m(\d+s)? of errors/)
    expect(resolved).toMatch(/clean for \*1[56]m\d*s?\*/)
    expect(resolved).toContain('`resolve-after` is 15m')
    expect(resolved).toContain(
      '2 more entries (1 5xx, 1 4xx) arrived during the quiet period after the last alert.',
    )
    expect(resolved).not.toContain('<!here>')
    // A new episode, 26 minutes after the last alert (realert is 1h): alerted at once, with the mention.
    const next = delivered()[3]?.body as { text: string }
    expect(next.text.startsWith('<!here> 🔴')).toBe(true)
    expect(messageText(3)).not.toContain('Since the last alert')
  }, 120_000)

  it('posts a 5xx at once inside the quiet period of an episode that alerted for 4xx only', async () => {
    logErrors(-3 * MINUTE, Array(60).fill(404))
    logErrors(1 * MINUTE, Array(55).fill(401))
    logErrors(7 * MINUTE, [502])
    const { runs, posts } = await postsPerRun([0, 5, 10])
    expect(posts).toEqual([1, 0, 1])
    // The 4xx alert: no mention.
    const fourxx = delivered()[0]?.body as { text: string }
    expect(fourxx.text.startsWith('🟠')).toBe(true)
    expect(runs[1]?.summary).toContain('Quiet period')
    const escalated = delivered()[1]?.body as { text: string }
    expect(escalated.text.startsWith('<!here> 🔴')).toBe(true)
    expect(messageText(1)).toMatch(/55\D+more entries \(0 5xx, 55 4xx\)/)
    expect(runs[2]?.summary).toContain('5xx in an episode that had alerted for 4xx only: alerted at once')
  }, 60_000)
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

describe('notify-on-error: one notice per failing episode', () => {
  /** An OIDC token for an audience STS refuses: the credentials fail on every run. */
  const broken = () => ({ 'role-to-assume': emulator.roleArn, audience: 'wrong-audience' })
  const savedFailure = () => JSON.parse(readFileSync(stateFile, 'utf8')).failure

  it('posts once, reminds after an hour, says when the monitor runs again, and starts over when it breaks again', async () => {
    const posts: number[] = []
    const runs: ActionRun[] = []
    const step = async (at: number, inputs: Record<string, string>) => {
      const before = delivered().length
      runs.push(await runAt(at * MINUTE, inputs))
      posts.push(delivered().length - before)
    }
    for (const at of [0, 5, 10]) await step(at, broken())
    expect(posts).toEqual([1, 0, 0])
    const { since } = savedFailure()
    expect(since * 1000 - t0).toBeGreaterThanOrEqual(0)
    expect(since * 1000 - t0).toBeLessThan(MINUTE)
    expect(savedFailure()).toMatchObject({ runs: 3, notifiedAt: since })
    expect(runs[1]?.stdout).toMatch(/failure notice already posted at \S+; next reminder after \S+/)

    // An hour after the notice: one reminder, since the first failed run, 4 failed runs.
    await step(65, broken())
    expect(posts.at(-1)).toBe(1)
    const reminder = messageText(1)
    expect(reminder).toContain('is still failing')
    expect(reminder).toContain(
      `Failing since *${new Date(since * 1000).toISOString().replace('.000Z', 'Z').replace('T', ' ')}*`,
    )
    expect(reminder).toContain('*4* failed runs in a row')
    expect(reminder).toContain('Could not assume role')

    // Working credentials (the default chain), nothing logged: the "running again" message, after the
    // notice that no run of the monitor had completed a check (it reaches back max-catch-up).
    await step(70, {})
    expect(posts.at(-1)).toBe(2)
    expect(messageText(2)).toContain('No checkpoint found')
    expect(messageText(2)).toContain('none of its runs completed a check')
    const recovered = messageText(3)
    expect(recovered).toContain('is running again after failing for 1h')
    expect(recovered).toContain('It failed 4 runs in a row')
    expect(JSON.parse(readFileSync(stateFile, 'utf8'))).not.toHaveProperty('failure')

    // Broken again: a new episode, with a fresh notice.
    await step(75, broken())
    expect(posts).toEqual([1, 0, 0, 1, 2, 1])
    expect(messageText(4)).toContain('the monitor failed and is not checking logs')
    expect(messageText(4)).not.toContain('Failing since')
    expect(savedFailure()).toMatchObject({ runs: 1 })

    expect(runs.map((run) => run.exitCode)).toEqual([1, 1, 1, 1, 0, 1])
  }, 120_000)

  it('with state: none, posts on every failed run and says why', async () => {
    for (const at of [0, 5, 10]) {
      const run = await runAt(at * MINUTE, { ...broken(), state: 'none' })
      expect(run.exitCode).toBe(1)
    }
    expect(delivered()).toHaveLength(3)
    for (const index of [0, 1, 2]) {
      expect(messageText(index)).toContain(
        'No state is kept (state: none), so this notice repeats on every failed run.',
      )
    }
  })

  it('records the failure on top of the checkpoint a partly failed run saved (Actions cache)', async () => {
    // Two query batches (50 groups each at most), an error in each; one of the two queries fails.
    const groups = [GROUP, ...Array.from({ length: 50 }, (_, i) => `/aws/apigateway/other-${i}`)]
    for (const group of groups.slice(1)) emulator.createLogGroup(group)
    logErrors(-3 * MINUTE, [500])
    emulator.putLogEvents(groups[50] ?? '', [
      {
        timestamp: t0 - 2 * MINUTE,
        ingestionTime: t0 - 2 * MINUTE,
        message: '{"status":"502","requestId":"other"}',
      },
    ])
    emulator.failNextQuery('Failed')
    // realert 0: the second run's entry alerts, though the first run's alert opened an episode.
    const inputs = { 'log-group-names': groups.join('\n'), state: 'actions-cache', realert: '0' }
    const failed = await runAt(0, inputs)
    expect(failed.exitCode).toBe(1)
    expect(failed.stdout).toContain('1 of 2 query batches failed')
    // The digest of the batch that worked, then the failure notice.
    expect(delivered()).toHaveLength(2)
    expect(messageText(1)).toContain('is broken')
    // Two saves in one run, each under a key of its own: the checkpoint, then the failure on top of it.
    const keys = emulator.cacheEntries().map((entry) => entry.key)
    expect(keys).toHaveLength(2)
    expect(keys[1]).toBe(`${keys[0]}-2`)
    expect(failed.stdout).toContain('Failure recorded in actions cache')

    // The next run continues from that checkpoint (a first run's window would miss both entries): it
    // reports the failed batch's entry, not the one already reported, and the episode ends.
    const next = await runAt(5 * MINUTE, inputs)
    expect(next.exitCode, next.stdout).toBe(0)
    expect(next.outputs['match-count']).toBe('1')
    expect(delivered()).toHaveLength(4)
    expect(messageText(2)).toContain('1 matching entry')
    expect(messageText(3)).toContain('is running again')
  }, 120_000)
})
