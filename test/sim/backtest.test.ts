import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { type Call, startEmulator } from '../emulator/index.js'
import { random } from '../support/access-logs.js'
import { freshDirectory, runInProcess, SimClock, simRunnerEnv, simWorkspace } from './in-process.js'
import { MINUTE } from './scenario.js'

/**
 * Issue 16: "the backtest over 7 emulated days gives the same alert count as running the 2,016
 * scheduled runs one by one". Seven days of access logs with several episodes are stored in the
 * emulator; then every one of the 2,016 five-minute runs is made in-process (run() from main.ts,
 * `state: file:…`, the alerting defaults: 5xx=1, 4xx=50, realert 1h, resolve-after 15m), counting
 * the alerts, resolved notices and posts Slack actually got; then `backtest: 7d` runs once at the
 * end, and its alerts, resolved notices and posts must be the same.
 *
 * The runs start at their marks exactly (the backtest's model); the days of jitter and dropped
 * runs are day.test.ts's.
 */

const GROUP = '/aws/apigateway/prod-access'
const WEBHOOK = 'alerts'
const START = Date.UTC(2026, 2, 1)
const DAY = 24 * 60 * MINUTE
const RUNS = 2016
const SECOND = 1000

interface Line {
  at: number
  status: number
  /** Event to ingestion, ms. */
  lag?: number
  path?: string
}

/** `count` lines from `from`, `everyMs` apart. */
function burst(
  from: number,
  count: number,
  everyMs: number,
  status: number,
  more: Partial<Line> = {},
): Line[] {
  return Array.from({ length: count }, (_, i) => ({ at: from + i * everyMs, status, ...more }))
}

const at = (day: number, hour: number, minute = 0, second = 0, ms = 0) =>
  START + day * DAY + ((hour * 60 + minute) * 60 + second) * SECOND + ms

/**
 * The week, episode by episode. The run at mark M checks up to M − 60 s (query-delay) from the
 * previous run's end − 120 s (overlap); a line is visible once ingested.
 */
function week(): Line[] {
  const lines: Line[] = []
  // Day 0: a short 5xx burst (alert, resolved 15 min later).
  lines.push(...burst(at(0, 2, 0, 10), 12, 15 * SECOND, 500))
  // 60 4xx in one window (alert), 49 in one (nothing), exactly 50 (alert).
  lines.push(...burst(at(0, 5, 0, 5), 60, 2 * SECOND, 404))
  lines.push(...burst(at(0, 9, 0, 5), 49, 2 * SECOND, 404))
  lines.push(...burst(at(0, 11, 0, 5), 50, 2 * SECOND, 429))
  // Day 1: a 3-hour 5xx episode, 2 every 10 min (gaps shorter than resolve-after): one episode,
  // re-alerting each hour (realert), held in between. Then an hour of 4xx just under the threshold.
  for (let t = at(1, 10, 1, 30); t < at(1, 13); t += 10 * MINUTE) lines.push(...burst(t, 2, 10 * SECOND, 502))
  for (let t = at(1, 16, 0, 7); t < at(1, 17); t += 15 * SECOND) lines.push({ at: t, status: 403 })
  // Day 2: single 5xx 20 min apart (gaps longer than resolve-after): alert and resolved each.
  for (const minute of [0, 20, 40, 60]) lines.push({ at: at(2, 8, minute, 30), status: 500 })
  // Day 3: a 4xx alert, 4xx again inside realert (held), then a 5xx in the open episode (posted at once).
  lines.push(...burst(at(3, 10, 0, 5), 60, 2 * SECOND, 404))
  lines.push(...burst(at(3, 10, 5, 5), 55, 2 * SECOND, 404))
  lines.push({ at: at(3, 10, 10, 30), status: 500 })
  // 4xx above the threshold every 10 min for 90 min: alert, held, re-alert after realert.
  for (let t = at(3, 14, 0, 5); t < at(3, 15, 30); t += 10 * MINUTE) lines.push(...burst(t, 55, SECOND, 404))
  // Day 4: window edges. The run at 03:05 checks up to 03:04:00 (its last second, .999 included):
  // 25 4xx in that second and 25 in the next fall into two windows, 25 each, under 50 both.
  lines.push(...burst(at(4, 3, 4, 0, 999), 25, 0, 404, { path: '/edge' }))
  lines.push(...burst(at(4, 3, 4, 1, 0), 25, 0, 404, { path: '/edge' }))
  // Late within the overlap: 30 4xx of the 07:59 window arrive 100 s late, so the run at 08:00 does
  // not see them and the run at 08:05 does, with 25 on time: 55, an alert (30 + 25 in two windows
  // would be none).
  lines.push(...burst(at(4, 7, 58, 30), 30, SECOND, 404, { lag: 100 * SECOND }))
  lines.push(...burst(at(4, 8, 1, 0), 25, SECOND, 404))
  // Later than query-delay + overlap: no run ever sees them, scheduled or replayed.
  lines.push({ at: at(4, 12, 0, 30), status: 500, lag: 10 * MINUTE })
  lines.push({ at: at(5, 12, 0, 30), status: 500, lag: 10 * MINUTE })
  // Day 6: a big 5xx burst (the busiest window), and its 4xx tail.
  lines.push(...burst(at(6, 18, 0, 5), 300, SECOND, 503, { path: '/checkout' }))
  lines.push(...burst(at(6, 18, 6, 0), 20, 3 * SECOND, 400, { path: '/checkout' }))
  return [...lines, ...background(lines), ...traffic()].sort((a, b) => a.at - b.at)
}

/** The API's good requests, evenly all week: what a scheduled run mostly scans (and pays for). */
function traffic(): Line[] {
  const rand = random(20260302)
  const lines: Line[] = []
  for (let t = START; t < START + 7 * DAY; t += 20 * SECOND)
    lines.push({ at: t + Math.floor(rand() * 20_000), status: 200, lag: Math.floor(rand() * 30_000) })
  return lines
}

/**
 * A 4xx now and then all week, arriving up to 30 s late, kept 20 minutes clear of the episodes so
 * that each episode is what its comment says (49 stays 49).
 */
function background(episodes: readonly Line[]): Line[] {
  const rand = random(20260301)
  const lines: Line[] = []
  for (let t = START + 30 * MINUTE; t < START + 7 * DAY; t += 7 * MINUTE) {
    const line = { at: t + Math.floor(rand() * 60_000), status: 404, lag: Math.floor(rand() * 30_000) }
    if (rand() < 0.4 && !episodes.some((episode) => Math.abs(episode.at - line.at) < 20 * MINUTE))
      lines.push(line)
  }
  return lines
}

const INPUTS = {
  'log-group-names': GROUP,
  'aws-region': 'eu-west-1',
  'monitor-name': 'api-errors',
}

const workspace = simWorkspace('insights-watch-backtest-')

type Kind = 'no-checkpoint notice' | 'alert' | 'resolved notice' | 'gap notice'

function kindOf(text: string, raw: string): Kind {
  if (raw.includes('No checkpoint found')) return 'no-checkpoint notice'
  if (text.startsWith('✅') && text.includes(': resolved after ')) return 'resolved notice'
  if (raw.includes('Not checked')) return 'gap notice'
  return 'alert'
}

/** A figure of the backtest's job summary table, by its label. */
function figure(summary: string, label: string): number {
  const match = new RegExp(`<th>${label}</th><td>([\\d,]+)`).exec(summary)
  if (!match?.[1]) throw new Error(`no "${label}" in the backtest's summary:\n${summary}`)
  return Number(match[1].replace(/,/g, ''))
}

/** `118 B`, `1.2 kB` (format.ts's decimal units) in the backtest's summary, by its label. */
function bytesFigure(summary: string, label: string): number {
  const match = new RegExp(`<th>${label}</th><td>([\\d.]+) (B|kB|MB|GB)<`).exec(summary)
  if (!match?.[1] || !match[2]) throw new Error(`no "${label}" in the backtest's summary:\n${summary}`)
  return Number(match[1]) * 1000 ** ['B', 'kB', 'MB', 'GB'].indexOf(match[2])
}

/** Bytes the completed queries among `calls` scanned, each query once. */
function bytesScanned(calls: readonly Call[]): number {
  const byQuery = new Map<string, number>()
  for (const call of calls) {
    const response = call.response as { status?: string; statistics?: { bytesScanned?: number } } | undefined
    const queryId = (call.body as { queryId?: string } | undefined)?.queryId
    if (call.action !== 'GetQueryResults' || response?.status !== 'Complete' || !queryId) continue
    byQuery.set(queryId, response.statistics?.bytesScanned ?? 0)
  }
  return [...byQuery.values()].reduce((sum, bytes) => sum + bytes, 0)
}

describe('backtest: 7d against the 2,016 scheduled runs it replays', () => {
  it('gives the same alerts, resolved notices and Slack posts as the runs made one by one', async () => {
    const began = performance.now()
    const clock = new SimClock(START)
    const emulator = await startEmulator({ now: clock.now, region: 'eu-west-1', queryLatencyMs: 200 })
    const dir = freshDirectory(workspace.base(), 'week-')
    const stateFile = join(dir, 'state.json')
    let sequence = 0
    const lines = week()
    emulator.putLogEvents(
      GROUP,
      lines.map((line) => ({
        timestamp: line.at,
        ingestionTime: line.at + (line.lag ?? 0),
        message: JSON.stringify({
          requestId: `w-${sequence++}`,
          httpMethod: 'POST',
          resourcePath: line.path ?? '/orders',
          status: String(line.status),
        }),
      })),
    )
    const inputs = {
      ...INPUTS,
      state: `file:${stateFile}`,
      'slack-webhook-url': emulator.slackWebhookUrl(WEBHOOK),
    }
    const scheduled: Record<Kind, number> = {
      'no-checkpoint notice': 0,
      alert: 0,
      'resolved notice': 0,
      'gap notice': 0,
    }
    let quiet = 0
    try {
      for (let k = 1; k <= RUNS; k += 1) {
        clock.advanceTo(START + k * 5 * MINUTE)
        const before = emulator.slackPosts(WEBHOOK).length
        const result = await runInProcess({
          clock,
          inputs,
          env: simRunnerEnv(emulator, String(7_000_000 + k)),
          runnerTemp: freshDirectory(dir, 'run-'),
          summaryFile: workspace.summaryFile(),
        })
        if (result.failed) throw new Error(`scheduled run ${k} failed:\n${result.log}`)
        if (result.summary.includes('Quiet period:')) quiet += 1
        for (const post of emulator.slackPosts(WEBHOOK).slice(before)) {
          if (post.status !== 200) throw new Error(`run ${k}: Slack refused a post: ${post.response}`)
          const kind = kindOf((post.body as { text: string }).text, post.raw)
          if (kind === 'no-checkpoint notice') expect(k, 'only the first run has no checkpoint').toBe(1)
          scheduled[kind] += 1
        }
      }
      const scheduledMs = performance.now() - began
      const scheduledBytesPerRun = bytesScanned(emulator.calls) / RUNS

      // The backtest, at the end of the week: one query, no post, the state left as it was.
      clock.advance(30 * SECOND)
      const stateBefore = readFileSync(stateFile, 'utf8')
      const postsBefore = emulator.slackPosts(WEBHOOK).length
      const callsBefore = emulator.calls.length
      const backtestBegan = performance.now()
      const backtest = await runInProcess({
        clock,
        inputs: { ...inputs, backtest: '7d' },
        env: simRunnerEnv(emulator, '7999999'),
        runnerTemp: freshDirectory(dir, 'backtest-'),
        summaryFile: workspace.summaryFile(),
      })
      const backtestMs = performance.now() - backtestBegan
      if (backtest.failed) throw new Error(`the backtest failed:\n${backtest.log}`)
      const starts = emulator.calls.slice(callsBefore).filter((call) => call.action === 'StartQuery')
      const replayed = {
        alerts: figure(backtest.summary, 'Alerts'),
        resolved: figure(backtest.summary, 'Resolved notices'),
        posts: figure(backtest.summary, 'Slack posts'),
        quiet: figure(backtest.summary, 'Alerting windows held back by realert'),
      }
      const made = {
        alerts: scheduled.alert,
        resolved: scheduled['resolved notice'],
        posts: scheduled.alert + scheduled['resolved notice'],
        quiet,
      }
      const estimate = bytesFigure(backtest.summary, 'Per scheduled run \\(estimate\\)')
      console.log(
        [
          'backtest: 7d against 2,016 scheduled runs',
          `  log lines        ${lines.length}`,
          `  scheduled runs   ${made.alerts} alerts, ${made.resolved} resolved, ${made.posts} posts (+ ${scheduled['no-checkpoint notice']} no-checkpoint notice), ${quiet} held by realert; ${(scheduledMs / 1000).toFixed(1)} s`,
          `  backtest         ${replayed.alerts} alerts, ${replayed.resolved} resolved, ${replayed.posts} posts, ${replayed.quiet} held; ${starts.length} StartQuery; ${backtestMs.toFixed(0)} ms`,
          `  bytes per run    scheduled ${scheduledBytesPerRun.toFixed(0)} (mean), backtest's estimate ${estimate}`,
        ].join('\n'),
      )

      expect(scheduled['gap notice'], 'a regular schedule leaves no gap').toBe(0)
      expect(replayed).toEqual(made)
      // The week is not trivial: several episodes alerted and resolved, and realert held some back.
      expect(made.alerts).toBeGreaterThanOrEqual(10)
      expect(made.resolved).toBeGreaterThanOrEqual(8)
      expect(made.quiet).toBeGreaterThan(0)

      expect(starts.length, 'one query for the period, not one per run').toBe(1)
      // The cost per month rests on this estimate: within 10% of what the scheduled runs scanned (the
      // good requests, spread evenly, are most of it, as on a real API).
      expect(Math.abs(estimate - scheduledBytesPerRun) / scheduledBytesPerRun).toBeLessThan(0.1)
      expect(emulator.slackPosts(WEBHOOK).length, 'the backtest posts nothing').toBe(postsBefore)
      expect(readFileSync(stateFile, 'utf8'), 'the backtest leaves the state alone').toBe(stateBefore)
      expect(backtest.summary).toContain('2,016 scheduled runs')
      // The busiest window is the day-6 burst (the run at 18:05 checks up to 18:04), named with its route.
      expect(backtest.summary).toContain(
        '<td>2026-03-07T17:57:00Z – 2026-03-07T18:04:00Z</td><td>236</td><td>236</td><td>0</td><td>status 503 (236), httpMethod POST (236), resourcePath /checkout (236)</td>',
      )
    } finally {
      await emulator.stop()
    }
  }, 600_000)

  it('of an aggregate query fails the step before any request, naming backtest and the fix', async () => {
    const clock = new SimClock(START)
    const emulator = await startEmulator({ now: clock.now, region: 'eu-west-1' })
    try {
      const result = await runInProcess({
        clock,
        inputs: { ...INPUTS, query: 'filter status >= 400 | stats count(*) by status', backtest: '7d' },
        env: simRunnerEnv(emulator, '7999998'),
        runnerTemp: freshDirectory(workspace.base(), 'aggregate-'),
        summaryFile: workspace.summaryFile(),
      })
      expect(result.failed).toBe(true)
      expect(result.log).toMatch(/::error::Input "backtest": replays record queries only.*\(2,016 here\)/)
      expect(emulator.calls).toEqual([])
    } finally {
      await emulator.stop()
    }
  })
})
