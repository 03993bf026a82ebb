import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Emulator } from '../emulator/index.js'
import { EVERY_WINDOW_ALERTS } from '../support/alerting.js'
import type { ActionRun } from '../support/run-action.js'
import { startTimeline, type Timeline } from '../support/timeline.js'

/**
 * The bundle run several times in a row with `state: file:…`, its clock moved between runs the way
 * GitHub's cron moves it: late, skipped, bunched. Windows must join up with the declared overlap, and
 * every matching entry must reach exactly one run's results, late-arriving ones included.
 */

const GROUP = '/aws/apigateway/prod-access'
const MINUTE = 60_000

let timeline: Timeline
let emulator: Emulator
/** The moment the test's timeline starts (epoch ms), two hours back so credentials stay valid. */
let t0: number
let stateFile: string

beforeEach(async () => {
  timeline = await startTimeline({ region: 'eu-west-1', queryLatencyMs: 300 })
  ;({ emulator, t0 } = timeline)
  emulator.createLogGroup(GROUP)
  stateFile = join(mkdtempSync(join(tmpdir(), 'insights-watch-state-')), 'state.json')
})

afterEach(async () => {
  await emulator.stop()
})

/** An access-log error `atMs` into the timeline that reaches Insights `lagMs` later. */
function logError(id: string, atMs: number, lagMs: number, status = 502): void {
  const message = JSON.stringify({
    requestId: id,
    httpMethod: 'GET',
    resourcePath: '/items',
    status: String(status),
  })
  emulator.putLogEvents(GROUP, [{ timestamp: t0 + atMs, message, ingestionTime: t0 + atMs + lagMs }])
}

/**
 * Runs the bundle as if it started `atMs` into the timeline. These tests count a Slack message per run
 * that found something new, and expect a refused one: every window with a match alerts.
 */
function runAt(atMs: number, inputs: Record<string, string> = {}): Promise<ActionRun> {
  return timeline.runAt(
    atMs,
    {
      ...EVERY_WINDOW_ALERTS,
      'log-group-names': GROUP,
      state: `file:${stateFile}`,
      'monitor-name': 'api-errors',
      'slack-webhook-url': emulator.slackWebhookUrl('alerts'),
      ...inputs,
    },
    { AWS_REGION: 'eu-west-1' },
  )
}

function reportedIds(run: ActionRun): string[] {
  const file = run.outputs['results-file']
  if (!file || !existsSync(file)) return []
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(JSON.parse(line).fields['@message']).requestId as string)
}

const seconds = (iso: string | undefined) => Date.parse(iso ?? '') / 1000

describe('runs in a row with a checkpoint', () => {
  it('joins windows with the overlap across a run 17 minutes late, reporting every entry once', async () => {
    logError('e1-ordinary', -4 * MINUTE, 5_000)
    logError('e2-late-100s', -70_000, 100_000) // not yet in Insights when run 1 looks at its second
    logError('e3-late-170s', 3 * MINUTE, 170_000) // arrives after run 2, within query-delay + overlap
    logError('e4-during-stall', 15 * MINUTE, 10_000, 404)
    logError('e5-in-two-windows', 25 * MINUTE + 30_000, 0) // checked by run 3 and again by run 4
    logError('e6', 28 * MINUTE, 30_000, 503)
    logError('e7', 33 * MINUTE, 0)
    logError('e8-too-late', 20 * MINUTE, 15 * MINUTE) // 15 minutes late: beyond query-delay + overlap
    emulator.putLogEvents(GROUP, [
      { timestamp: t0 + 2 * MINUTE, message: JSON.stringify({ requestId: 'ok', status: '200' }) },
    ])

    // Due every 5 minutes; the run due at +10 starts 17 minutes late, those due at +15…+25 never run.
    const schedule = [0, 5, 27, 30, 35].map((minutes) => minutes * MINUTE)
    const runs: ActionRun[] = []
    for (const at of schedule) runs.push(await runAt(at))

    for (const run of runs) expect(run.exitCode, run.stdout).toBe(0)
    // Each window starts `overlap` (2 minutes) before the previous one ended, and ends query-delay behind.
    runs.forEach((run, i) => {
      const start = seconds(run.outputs['window-start'])
      const end = seconds(run.outputs['window-end'])
      expect(end).toBeCloseTo((t0 + (schedule[i] as number)) / 1000 - 60, -1)
      if (i === 0) expect(end - start).toBe(300)
      else expect(start).toBe(seconds(runs[i - 1]?.outputs['window-end']) - 120)
    })

    const ids = runs.flatMap(reportedIds)
    expect(ids.sort()).toEqual(
      [
        'e1-ordinary',
        'e2-late-100s',
        'e3-late-170s',
        'e4-during-stall',
        'e5-in-two-windows',
        'e6',
        'e7',
      ].sort(),
    )
    // match-count counts what each run reports for the first time, and the results file holds exactly that.
    expect(runs.map((run) => Number(run.outputs['match-count']))).toEqual(
      runs.map((run) => reportedIds(run).length),
    )
    expect(runs[3]?.summary).toMatch(/1 entry already reported there/)
    // One Slack message per run that found something new.
    const withNews = runs.filter((run) => Number(run.outputs['match-count']) > 0).length
    expect(emulator.slackPosts('alerts').filter((post) => post.status === 200)).toHaveLength(withNews)
  })

  it('names a stretch older than max-catch-up as a gap, in a warning, the summary and Slack', async () => {
    logError('before', -2 * MINUTE, 0)
    logError('lost-in-gap', 20 * MINUTE, 0)
    logError('after', 95 * MINUTE, 0)
    const first = await runAt(0)
    const late = await runAt(100 * MINUTE) // the checkpoint is 101 minutes old: 41 minutes are beyond 1h
    expect(late.exitCode, late.stdout).toBe(0)
    expect(late.stdout).toMatch(
      /::warning title=insights-watch%3A part of the timeline was skipped::Not checked: /,
    )
    expect(late.summary).toContain('Not checked:')
    expect(JSON.stringify(emulator.slackPosts('alerts').at(-1)?.body)).toContain('Not checked')
    expect([...reportedIds(first), ...reportedIds(late)].sort()).toEqual(['after', 'before'])
  })

  it('treats a corrupt state file as a lost checkpoint: a warning, and a run reaching back max-catch-up', async () => {
    writeFileSync(stateFile, '{"version":1,"checked":')
    logError('e0-50-minutes-ago', -50 * MINUTE, 0)
    logError('e1', -2 * MINUTE, 0)
    const run = await runAt(0)
    expect(run.exitCode, run.stdout).toBe(0)
    expect(run.stdout).toMatch(/::warning::Ignoring the checkpoint in file .*not valid JSON/)
    expect(run.stdout).toMatch(/::warning title=insights-watch%3A no checkpoint found::No checkpoint found/)
    expect(seconds(run.outputs['window-end']) - seconds(run.outputs['window-start'])).toBe(3600 - 60)
    expect(reportedIds(run).sort()).toEqual(['e0-50-minutes-ago', 'e1'])
    expect(JSON.parse(readFileSync(stateFile, 'utf8')).checked).toBe(seconds(run.outputs['window-end']))
  })

  it('keeps the checkpoint when Slack refuses the message, so the next run reports the entries again', async () => {
    logError('e1', -2 * MINUTE, 0)
    logError('e2', 3 * MINUTE, 0)
    await runAt(0)
    const saved = readFileSync(stateFile, 'utf8')

    emulator.inject({ service: 'slack', action: 'alerts', status: 404, body: 'channel_not_found' })
    const refused = await runAt(5 * MINUTE)
    expect(refused.exitCode).toBe(1)
    expect(readFileSync(stateFile, 'utf8')).toBe(saved)

    const retried = await runAt(10 * MINUTE)
    expect(retried.exitCode, retried.stdout).toBe(0)
    expect(reportedIds(retried)).toEqual(['e2'])
    expect(seconds(retried.outputs['window-start'])).toBe(seconds(refused.outputs['window-start']))
  })

  it('leaves the checkpoint alone on a dry run', async () => {
    logError('e1', -2 * MINUTE, 0)
    await runAt(0)
    const saved = readFileSync(stateFile, 'utf8')
    logError('e2', 3 * MINUTE, 0)
    const dry = await runAt(5 * MINUTE, { 'dry-run': 'true' })
    expect(dry.exitCode, dry.stdout).toBe(0)
    expect(reportedIds(dry)).toEqual(['e2'])
    expect(readFileSync(stateFile, 'utf8')).toBe(saved)
  })

  it.each([
    ['the default credential chain', false],
    ['OIDC, the cache restored while the role is assumed', true],
  ])(
    'keeps the checkpoint in the Actions cache by default, through the real @actions/cache, with %s',
    async (_, oidc) => {
      const credentials = oidc ? { 'role-to-assume': emulator.roleArn } : {}
      logError('e1', -2 * MINUTE, 0)
      logError('e2', 3 * MINUTE, 0)
      const first = await runAt(0, { state: 'actions-cache', ...credentials })
      const second = await runAt(5 * MINUTE, { state: 'actions-cache', ...credentials })
      for (const run of [first, second]) expect(run.exitCode, run.stdout).toBe(0)
      expect(second.stdout).toContain('Checked up to')
      expect(seconds(second.outputs['window-start'])).toBe(seconds(first.outputs['window-end']) - 120)
      expect([...reportedIds(first), ...reportedIds(second)]).toEqual(['e1', 'e2'])
      // A new entry per run under the monitor's prefix; the newest one was restored.
      const keys = emulator.cacheEntries().map((entry) => entry.key)
      expect(keys).toHaveLength(2)
      for (const key of keys) expect(key).toMatch(/^insights-watch-api-errors-[0-9a-f]{8}-/)
      expect(new Set(keys).size).toBe(2)
    },
  )

  it('warns that the next run re-checks the stretch when the cache refuses the save', async () => {
    emulator.inject({ service: 'cache', action: 'CreateCacheEntry', status: 200 }) // the service's own refusal, not retried
    logError('e1', -2 * MINUTE, 0)
    const run = await runAt(0, { state: 'actions-cache' })
    expect(run.exitCode, run.stdout).toBe(0)
    expect(run.stdout).toMatch(
      /::warning::Could not save the checkpoint to actions cache.*The next run will check this stretch again/,
    )
    expect(emulator.cacheEntries()).toEqual([])
    expect(reportedIds(run)).toEqual(['e1'])
  })
})
