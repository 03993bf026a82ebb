import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Emulator } from '../emulator/index.js'
import { EVERY_WINDOW_ALERTS } from '../support/alerting.js'
import type { ActionRun } from '../support/run-action.js'
import { startTimeline, type Timeline } from '../support/timeline.js'

/**
 * Two runs at once on the same state (a workflow without a `concurrency` group, a manual run during
 * a scheduled one). A `file:` state is locked from load to save: the second run waits for the first
 * and starts from its checkpoint. The Actions cache has no lock: a run restores the newest entry when
 * it starts and reads the newest again just before saving, merging what another run saved meanwhile.
 */

const GROUP = '/aws/apigateway/prod-access'
const MINUTE = 60_000

let timeline: Timeline
let emulator: Emulator
let t0: number

beforeEach(async () => {
  timeline = await startTimeline({ region: 'eu-west-1', queryLatencyMs: 300 })
  ;({ emulator, t0 } = timeline)
  emulator.createLogGroup(GROUP)
})

afterEach(async () => {
  await emulator.stop()
})

function logError(id: string, atMs: number, status = 502): void {
  const message = JSON.stringify({
    requestId: id,
    httpMethod: 'GET',
    resourcePath: '/items',
    status: String(status),
  })
  emulator.putLogEvents(GROUP, [{ timestamp: t0 + atMs, message, ingestionTime: t0 + atMs }])
}

/** Each entry must reach Slack once: every window with a match (a 404 too) alerts. */
function runAt(atMs: number, state: string): Promise<ActionRun> {
  return timeline.runAt(
    atMs,
    {
      ...EVERY_WINDOW_ALERTS,
      'log-group-names': GROUP,
      state,
      'monitor-name': 'api-errors',
      'slack-webhook-url': emulator.slackWebhookUrl('alerts'),
    },
    { AWS_REGION: 'eu-west-1' },
  )
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** How many delivered Slack messages show the entry (its sample names the request id). */
function postsNaming(id: string): number {
  return emulator
    .slackPosts('alerts')
    .filter((post) => post.status === 200 && JSON.stringify(post.body).includes(`request \`${id}\``)).length
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

/** Resolves once the emulator has seen `count` calls of a cache action. */
async function cacheCalls(action: string, count: number): Promise<void> {
  const deadline = Date.now() + 30_000
  while (
    emulator.calls.filter((c) => c.service === 'cache' && c.action === action && c.status === 200).length <
    count
  ) {
    if (Date.now() > deadline) throw new Error(`no ${count} ${action} calls within 30 s`)
    await sleep(50)
  }
}

describe('two runs at once on one state', () => {
  it('file state: the second run, started 2 s after a slow first one, waits for its lock; each entry reaches Slack once', async () => {
    const state = `file:${join(mkdtempSync(join(tmpdir(), 'insights-watch-state-')), 'state.json')}`
    logError('e1', -2 * MINUTE)
    const first = await runAt(0, state)
    expect(first.exitCode, first.stdout).toBe(0)

    logError('e2', 2 * MINUTE)
    logError('e3', 3 * MINUTE, 404)
    logError('e4', 4 * MINUTE - 30_000)
    // The first of the two runs is slow (its StartQuery answers after 5 s): without the lock the second
    // would load the same checkpoint meanwhile and report e2…e4 again.
    emulator.inject({ service: 'logs', action: 'StartQuery', latencyMs: 5_000 })
    const slow = runAt(5 * MINUTE, state)
    await sleep(2_000)
    const second = runAt(5 * MINUTE + 2_000, state)
    const [a, b] = await Promise.all([slow, second])
    for (const run of [a, b]) expect(run.exitCode, run.stdout).toBe(0)
    for (const id of ['e1', 'e2', 'e3', 'e4']) expect(postsNaming(id), id).toBe(1)
    // The second run waited, then started from the first's checkpoint.
    expect(b.stdout).toMatch(/Waiting for another run that holds the state lock .*state\.json\.lock/)
    expect(seconds(b.outputs['window-start'])).toBe(seconds(a.outputs['window-end']) - 120)
    expect([...reportedIds(first), ...reportedIds(a), ...reportedIds(b)].sort()).toEqual([
      'e1',
      'e2',
      'e3',
      'e4',
    ])
  }, 60_000)

  it('actions-cache, the second run started once the first has saved: each entry reaches Slack once', async () => {
    // The guarantee needs this spacing: the second run restores the newest entry when it starts, so it
    // must start after the first run saved (its restore-to-save time: a few seconds on GitHub, about
    // one here). Started sooner, both report what both checked, and the merge before saving (next test)
    // only keeps later runs from reporting it a third time.
    logError('e1', -2 * MINUTE)
    logError('e2', -1 * MINUTE - 30_000, 404)
    const a = runAt(0, 'actions-cache')
    await cacheCalls('FinalizeCacheEntryUpload', 1)
    const b = runAt(0 + 1_000, 'actions-cache')
    const runs = await Promise.all([a, b])
    for (const run of runs) expect(run.exitCode, run.stdout).toBe(0)
    for (const id of ['e1', 'e2']) expect(postsNaming(id), id).toBe(1)
  }, 60_000)

  it('actions-cache, overlapping runs: the one saving last merges the other checkpoint, so the next run repeats nothing', async () => {
    const first = await runAt(0, 'actions-cache')
    expect(first.exitCode, first.stdout).toBe(0)
    logError('both-windows', 3 * MINUTE)
    // After the slow run's window end (about 5m − 60 s) and within the fast run's (about 5m + 4 s − 60 s).
    logError('fast-window-only', 5 * MINUTE - 57_000, 503)
    // The run started first is slow (StartQuery answers after 8 s); the one started 4 s later saves first.
    emulator.inject({ service: 'logs', action: 'StartQuery', latencyMs: 8_000 })
    const slow = runAt(5 * MINUTE, 'actions-cache')
    await sleep(4_000)
    const fast = runAt(5 * MINUTE + 4_000, 'actions-cache')
    const [s, f] = await Promise.all([slow, fast])
    for (const run of [s, f]) expect(run.exitCode, run.stdout).toBe(0)
    expect(reportedIds(f)).toContain('fast-window-only')
    expect(reportedIds(s)).not.toContain('fast-window-only')
    // Without the merge the newest entry (the slow run's) would end earlier than the fast run's window
    // and lack its fingerprints: the next run would report `fast-window-only` again.
    const next = await runAt(10 * MINUTE, 'actions-cache')
    expect(next.exitCode, next.stdout).toBe(0)
    expect(seconds(next.outputs['window-start'])).toBe(seconds(f.outputs['window-end']) - 120)
    expect(reportedIds(next)).toEqual([])
    expect(postsNaming('fast-window-only')).toBe(1)
    // Both restored the same entry, so both report `both-windows`: the merge cannot unsend a message.
    expect(s.stdout).toMatch(
      /::warning title=insights-watch%3A two runs at once::Another run saved a checkpoint \(Actions cache entry .*\) while this one ran: merged/,
    )
    expect(s.summary).toContain('Another run saved a checkpoint')
  }, 90_000)
})
