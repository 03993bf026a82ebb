import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type Emulator, startEmulator } from '../emulator/index.js'
import { type ActionRun, runAction } from '../support/run-action.js'

/**
 * Issue 11, item 5: a runner clock off from CloudWatch Logs'. With the runner 5 minutes ahead, each
 * window ended in the service's future, the next run started from there, and 82 of 199 entries were
 * never reported, with no word. The window is now planned on the service's clock (the Date header of
 * its answers), and the skew is named in a warning and the summary.
 *
 * The emulator runs on a timeline (as test/support/timeline.ts does); the action's clock is the
 * timeline's plus the runner's skew (test/support/shifted-clock.mjs). The emulator refuses signatures
 * more than 5 minutes off its clock, as AWS does: the SDK corrects its signing clock itself.
 */

const GROUP = '/aws/apigateway/prod-access'
const MINUTE = 60_000

let emulator: Emulator
/** The timeline's start (epoch ms, whole seconds), two hours back. */
let t0: number
/** How far the emulator's clock is from real time. */
let offset = 0
let stateFile: string

beforeEach(async () => {
  t0 = Math.floor((Date.now() - 120 * MINUTE) / 1000) * 1000
  offset = 0
  emulator = await startEmulator({ region: 'eu-west-1', queryLatencyMs: 200, now: () => Date.now() + offset })
  emulator.createLogGroup(GROUP)
  stateFile = join(mkdtempSync(join(tmpdir(), 'insights-watch-skew-')), 'state.json')
})

afterEach(async () => {
  await emulator.stop()
})

/** Runs the bundle `atMs` into the timeline by the service's clock, the runner's clock `skewMs` off it. */
function runAt(atMs: number, skewMs: number): Promise<ActionRun> {
  offset = t0 + atMs - Date.now()
  return runAction({
    inputs: {
      'log-group-names': GROUP,
      state: `file:${stateFile}`,
      'monitor-name': 'api-errors',
      'slack-webhook-url': emulator.slackWebhookUrl('alerts'),
    },
    env: {
      ...emulator.env,
      AWS_ACCESS_KEY_ID: emulator.defaultCredentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: emulator.defaultCredentials.secretAccessKey,
      AWS_REGION: 'eu-west-1',
    },
    clockOffsetMs: offset + skewMs,
  })
}

function reportedIds(run: ActionRun): string[] {
  const file = run.outputs['results-file']
  if (!file || !existsSync(file)) return []
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(JSON.parse(line).fields['@message']).requestId as string)
}

interface Entry {
  id: string
  /** Timestamp, ms into the timeline. */
  at: number
  /** Ingestion lag, ms: within query-delay + overlap (3 minutes). */
  lag: number
}

/** An error every 15 s from 5 minutes before the first run (inside its first window) to past the last, arriving 2 s to 150 s late. */
function seedEntries(untilMs: number): Entry[] {
  const entries: Entry[] = []
  for (let at = -5 * MINUTE; at < untilMs; at += 15_000) {
    const entry = { id: `e${entries.length}`, at, lag: 2_000 + ((entries.length * 37_000) % 148_000) }
    entries.push(entry)
    const message = JSON.stringify({
      requestId: entry.id,
      httpMethod: 'GET',
      resourcePath: '/items',
      status: '502',
    })
    emulator.putLogEvents(GROUP, [{ timestamp: t0 + at, message, ingestionTime: t0 + at + entry.lag }])
  }
  return entries
}

/** Seven runs on a 5-minute cadence (by the service's clock), the runner's clock `skewMs` off. */
async function runDay(skewMs: number): Promise<{ runs: ActionRun[]; entries: Entry[]; lastRunAt: number }> {
  const starts = [0, 5, 10, 15, 20, 25, 30].map((minute) => minute * MINUTE + 7_000)
  const lastRunAt = starts.at(-1) as number
  const entries = seedEntries(lastRunAt + 5 * MINUTE)
  const runs: ActionRun[] = []
  for (const at of starts) {
    const run = await runAt(at, skewMs)
    expect(run.exitCode, run.stdout).toBe(0)
    runs.push(run)
  }
  return { runs, entries, lastRunAt }
}

/** Every entry the last run could see up to now − query-delay (service time) was reported exactly once. */
function expectEachReportedOnce(runs: ActionRun[], entries: Entry[], lastRunAt: number): void {
  const due = entries.filter(
    (entry) => entry.at <= lastRunAt - MINUTE - 1000 && entry.at + entry.lag <= lastRunAt,
  )
  expect(due.length).toBeGreaterThan(100)
  const reported = runs.flatMap(reportedIds)
  expect(reported.length - new Set(reported).size, 'entries reported twice').toBe(0)
  const reportedSet = new Set(reported)
  const missed = due.filter((entry) => !reportedSet.has(entry.id)).map((entry) => entry.id)
  expect(missed, `${missed.length} of ${due.length} due entries never reported`).toEqual([])
}

describe("a runner clock off from CloudWatch Logs'", () => {
  it.each([
    ['ahead', 5 * MINUTE],
    ['behind', -5 * MINUTE],
  ])(
    '5 minutes %s: every entry reported once, the skew named in a warning and the summary',
    async (direction, skewMs) => {
      const { runs, entries, lastRunAt } = await runDay(skewMs)
      expectEachReportedOnce(runs, entries, lastRunAt)
      for (const run of runs) {
        // Date has whole seconds: the measured offset is within a second of the true 5 minutes.
        const named = new RegExp(
          `The runner's clock is (4m59(\\.\\d)?s|5m0(\\.\\d)?s) ${direction === 'ahead' ? 'ahead of' : 'behind'} CloudWatch Logs'`,
        )
        expect(run.stdout).toMatch(
          new RegExp(`::warning title=insights-watch%3A the runner's clock is off::${named.source}`),
        )
        expect(run.summary).toMatch(new RegExp(`<b>Clock:</b> ${named.source}`))
        expect(run.summary).toContain("this run planned its window on the service's clock")
      }
      // The last window ends query-delay before the service's now (plus the run's start-up), not the runner's.
      const lastEnd = Date.parse(runs.at(-1)?.outputs['window-end'] ?? '') - t0
      expect(lastEnd).toBeGreaterThanOrEqual(lastRunAt - MINUTE)
      expect(lastEnd).toBeLessThanOrEqual(lastRunAt - MINUTE + 3_000)
    },
    180_000,
  )

  it('in agreement: no skew warning, no clock line in the summary', async () => {
    const { runs, entries, lastRunAt } = await runDay(0)
    expectEachReportedOnce(runs, entries, lastRunAt)
    for (const run of runs) {
      expect(run.stdout).not.toContain("the runner's clock is off")
      expect(run.summary).not.toContain('Clock:')
    }
  }, 180_000)
})
