import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { startEmulator } from '../emulator/index.js'
import { EVERY_WINDOW_ALERTS } from '../support/alerting.js'
import {
  freshDirectory,
  fromIso,
  iso,
  runInProcess,
  SimClock,
  simRunnerEnv,
  simWorkspace,
} from './in-process.js'
import { MINUTE, type QuietDay, type Stretch, simulateQuietDay } from './scenario.js'

/**
 * The quiet defaults measured (issue 12, item 4): a simulated day of a five-minute cron with a
 * trickle of background 4xx all day and two short 5xx incidents, hours apart, the second pausing for
 * twelve minutes (scenario.ts, simulateQuietDay). With every alerting input at its default, Slack must get exactly two alerts
 * (one per incident, each with its 5xx and the mention) and two resolved notices, and nothing else
 * but the first run's "no checkpoint found" notice. The same day with the alerting of before
 * (thresholds 1, realert 0, resolve-after 0) gives the "before" figure the README quotes.
 *
 * The harness sets only what a run cannot do without (log group, region, a state file, a webhook)
 * and `mention`, which decides no post, so that the test can check where it appears.
 */

const GROUP = '/aws/apigateway/prod-access'
const WEBHOOK = 'alerts'
const MENTION = '<!here>'
const DAY_START = Date.UTC(2026, 1, 10)
const SEED = 20260210
const QUERY_LATENCY_MS = 300

type Kind = 'no-checkpoint notice' | 'alert' | 'resolved notice' | 'gap notice'

interface Post {
  kind: Kind
  /** Order of the run that posted it among the runs that ran. */
  run: number
  /** The window that run checked, epoch seconds. */
  window: { start: number; end: number }
  /** The top-level text: the line a phone notification shows. */
  text: string
  raw: string
  /** 5xx in the message's headline. */
  critical: number
}

interface DayResult {
  day: QuietDay
  ran: number
  posts: Post[]
  /** Runs whose job summary says why nothing was posted, by reason. */
  silent: { belowThreshold: number; quiet: number; clearing: number }
  gapsNamed: number
  wallMs: number
}

const workspace = simWorkspace('insights-watch-quiet-')

function kindOf(text: string, raw: string): Kind {
  if (raw.includes('No checkpoint found')) return 'no-checkpoint notice'
  if (text.startsWith('✅') && text.includes(': resolved after ')) return 'resolved notice'
  if (raw.includes('Not checked')) return 'gap notice'
  return 'alert'
}

/** Runs the day with `alerting` on top of the defaults; every Slack post, classified. */
async function simulate(alerting: Record<string, string>): Promise<DayResult> {
  const began = performance.now()
  const day = simulateQuietDay({ start: DAY_START, seed: SEED, name: 'q' })
  const clock = new SimClock(DAY_START - 60 * MINUTE)
  const emulator = await startEmulator({
    now: clock.now,
    region: 'eu-west-1',
    queryLatencyMs: QUERY_LATENCY_MS,
  })
  const dayDir = freshDirectory(workspace.base(), 'day-')
  const stateFile = join(dayDir, 'state.json')
  const posts: Post[] = []
  const silent = { belowThreshold: 0, quiet: 0, clearing: 0 }
  let gapsNamed = 0
  let ran = 0
  try {
    emulator.putLogEvents(
      GROUP,
      day.lines.map((line) => ({
        timestamp: line.timestamp,
        message: line.message,
        ingestionTime: line.timestamp + line.lag,
      })),
    )
    const started = day.runs
      .filter((run) => run.fate !== 'never')
      .sort((a, b) => a.actual - b.actual || a.index - b.index)
    for (const [order, scheduled] of started.entries()) {
      // One run at a time (the workflow's concurrency group): a run due meanwhile starts right after.
      if (scheduled.actual < clock.now()) clock.advance(1000)
      else clock.advanceTo(scheduled.actual)
      const runId = String(9_000_000 + order)
      const before = emulator.slackPosts(WEBHOOK).length
      const result = await runInProcess({
        clock,
        inputs: {
          'log-group-names': GROUP,
          'aws-region': 'eu-west-1',
          state: `file:${stateFile}`,
          'slack-webhook-url': emulator.slackWebhookUrl(WEBHOOK),
          mention: MENTION,
          ...alerting,
        },
        env: simRunnerEnv(emulator, runId),
        runnerTemp: freshDirectory(dayDir, `run-${runId}-`),
        summaryFile: workspace.summaryFile(),
      })
      const where = `run ${order + 1} (scheduled #${scheduled.index}, started ${new Date(clock.now()).toISOString()})`
      if (result.failed) throw new Error(`${where} failed:\n${result.log}`)
      ran += 1
      const window = {
        start: fromIso(result.outputs['window-start']),
        end: fromIso(result.outputs['window-end']),
      }
      if (result.summary.includes('Not checked:')) gapsNamed += 1
      if (result.summary.includes('Below the thresholds')) silent.belowThreshold += 1
      if (result.summary.includes('Quiet period:')) silent.quiet += 1
      if (result.summary.includes('Clearing: clean since')) silent.clearing += 1
      for (const post of emulator.slackPosts(WEBHOOK).slice(before)) {
        if (post.status !== 200) throw new Error(`${where}: Slack refused a post: ${post.response}`)
        const text = (post.body as { text: string }).text
        const critical = Number(/\(([\d,]+) 5xx/.exec(text)?.[1]?.replace(/,/g, '') ?? 0)
        posts.push({ kind: kindOf(text, post.raw), run: order, window, text, raw: post.raw, critical })
      }
    }
  } finally {
    await emulator.stop()
  }
  return { day, ran, posts, silent, gapsNamed, wallMs: performance.now() - began }
}

function printDay(label: string, result: DayResult): void {
  const byKind = new Map<Kind, number>()
  for (const post of result.posts) byKind.set(post.kind, (byKind.get(post.kind) ?? 0) + 1)
  const lines = result.day.lines
  const background = lines.filter((line) => line.status >= 400 && line.status < 500).length
  const incident = lines.filter((line) => line.status >= 500).length
  console.log(
    [
      `insights-watch, the quiet-defaults day — ${label}`,
      `  runs         ${result.day.runs.length} scheduled, ${result.ran} ran; gaps named: ${result.gapsNamed}`,
      `  log lines    ${lines.length} (${background} background 4xx, ${incident} 5xx in ${result.day.incidents.length} incidents)`,
      `  Slack posts  ${result.posts.length}: ${[...byKind].map(([kind, n]) => `${n} ${kind}`).join(', ')}`,
      `  silent runs  below the thresholds ${result.silent.belowThreshold}, quiet period ${result.silent.quiet}, clearing ${result.silent.clearing}`,
      ...result.posts.map(
        (post) => `    ${iso(post.window.end)}  ${post.kind.padEnd(20)} ${post.text.slice(0, 110)}`,
      ),
      `  wall time    ${(result.wallMs / 1000).toFixed(1)} s`,
    ].join('\n'),
  )
}

/** The incident whose 5xx a window holds, if any. */
const incidentIn = (window: { start: number; end: number }, incidents: Stretch[]) =>
  incidents.findIndex(
    (incident) => window.start * 1000 < incident.to + 90_000 && (window.end + 1) * 1000 > incident.from,
  )

describe('the quiet defaults over a simulated day', () => {
  it('background 4xx all day and two short 5xx incidents: exactly 2 alerts and 2 resolved notices', async () => {
    const result = await simulate({})
    printDay('every alerting input at its default', result)
    const { posts, day } = result

    // No run was so late that part of the timeline went unchecked: a gap would be news of its own.
    expect(result.gapsNamed).toBe(0)
    // Nothing reached Slack but the first run's "no checkpoint found" notice, one alert and one
    // resolved notice per incident.
    expect(posts.map((post) => post.kind)).toEqual([
      'no-checkpoint notice',
      'alert',
      'resolved notice',
      'alert',
      'resolved notice',
    ])
    expect(posts[0]?.run, 'the no-checkpoint notice comes from the first run').toBe(0)

    const alerts = posts.filter((post) => post.kind === 'alert')
    const resolved = posts.filter((post) => post.kind === 'resolved notice')
    for (const [k, alert] of alerts.entries()) {
      // The alert is about incident k: its window holds the incident's first 5xx, and it says so.
      expect(incidentIn(alert.window, day.incidents), alert.text).toBe(k)
      expect(alert.critical, alert.text).toBeGreaterThanOrEqual(1)
      expect(alert.text.startsWith(`${MENTION} 🔴`), alert.text).toBe(true)
    }
    for (const [k, notice] of resolved.entries()) {
      const incident = day.incidents[k] as Stretch
      // Resolved only once 15 minutes after the incident's last 5xx were checked clean, and before
      // the next incident.
      expect(notice.window.end * 1000).toBeGreaterThanOrEqual(incident.to + 15 * MINUTE)
      expect(notice.window.end * 1000).toBeLessThan(day.incidents[k + 1]?.from ?? Number.POSITIVE_INFINITY)
      expect(notice.raw).toContain('`resolve-after` is 15m')
      expect(notice.raw).toMatch(/It was failing for \*\d+m(\d+s)?\*/)
    }
    // The mention goes out with the alerts only.
    for (const post of posts.filter((post) => post.kind !== 'alert')) expect(post.raw).not.toContain(MENTION)

    // The quiet was earned, not vacuous: windows with background 4xx stayed below 4xx=50, later
    // windows of an incident sat in the quiet period, and each episode cleared before it resolved.
    expect(result.silent.belowThreshold).toBeGreaterThan(100)
    expect(result.silent.quiet).toBeGreaterThanOrEqual(2)
    expect(result.silent.clearing).toBeGreaterThanOrEqual(4)
  }, 300_000)

  it('the same day with the new thresholds alone (realert 0, resolve-after 0) alerts on every window of an incident', async () => {
    const result = await simulate({ realert: '0', 'resolve-after': '0' })
    printDay('the new thresholds only: realert 0, resolve-after 0', result)
    const alerts = result.posts.filter((post) => post.kind === 'alert')
    const resolved = result.posts.filter((post) => post.kind === 'resolved notice').length
    console.log(
      `thresholds only: ${result.posts.length} posts (${alerts.length} alerts, ${resolved} resolved notices)`,
    )
    expect(result.gapsNamed).toBe(0)
    // The background 4xx alert nowhere; each incident alerts on every window that holds its 5xx.
    expect(alerts.length).toBeGreaterThan(2)
    for (const alert of alerts) expect(alert.critical, alert.text).toBeGreaterThanOrEqual(1)
    // One per incident, and one more inside the second one's pause.
    expect(resolved).toBe(3)
  }, 300_000)

  it('the same day with resolve-after 0: the flapping incident resolves in its pause and alerts again', async () => {
    const result = await simulate({ 'resolve-after': '0' })
    printDay('resolve-after 0 (realert and thresholds at their defaults)', result)
    const alerts = result.posts.filter((post) => post.kind === 'alert')
    const resolved = result.posts.filter((post) => post.kind === 'resolved notice')
    expect(result.gapsNamed).toBe(0)
    // The first incident as with the defaults; the second, paused for 12 minutes, becomes two episodes:
    // resolved inside the pause and alerting again when its 5xx come back.
    const flapping = result.day.incidents[1] as Stretch & { pause: Stretch }
    expect(alerts).toHaveLength(3)
    expect(resolved).toHaveLength(3)
    expect(resolved[1]?.window.end ?? 0).toBeLessThan(flapping.pause.to / 1000)
    expect(alerts[2]?.window.end ?? 0).toBeGreaterThanOrEqual(flapping.pause.to / 1000)
  }, 300_000)

  it('the same day with the alerting of before (thresholds 1, realert 0, resolve-after 0) posts many times more', async () => {
    const result = await simulate(EVERY_WINDOW_ALERTS)
    printDay('before issue 12: thresholds 1, realert 0, resolve-after 0', result)
    const alerts = result.posts.filter((post) => post.kind === 'alert').length
    const resolved = result.posts.filter((post) => post.kind === 'resolved notice').length
    console.log(
      `before: ${result.posts.length} posts (${alerts} alerts, ${resolved} resolved notices); after: 5`,
    )
    expect(result.gapsNamed).toBe(0)
    // A window with one background 4xx alerts, the clean one after it resolves: most of the day's runs post.
    expect(alerts).toBeGreaterThan(100)
    expect(resolved).toBeGreaterThan(20)
    expect(result.posts.length).toBeGreaterThan(20 * 5)
  }, 300_000)
})
