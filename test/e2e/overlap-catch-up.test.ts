import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Emulator } from '../emulator/index.js'
import type { ActionRun } from '../support/run-action.js'
import { startTimeline, type Timeline } from '../support/timeline.js'

/**
 * Issue 11, item 8: the README tells users to raise `overlap` for late logs. With overlap at or past
 * `max-catch-up`, four runs on time with no errors posted three "part of the timeline was skipped"
 * messages: the overlap was called a gap. Settings now refuse what cannot work, and an overlap that
 * cannot be checked again is a note, never a gap.
 */

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
  stateFile = join(mkdtempSync(join(tmpdir(), 'insights-watch-overlap-')), 'state.json')
})

afterEach(async () => {
  await emulator.stop()
})

function logError(id: string, atMs: number, lagMs: number): void {
  const message = JSON.stringify({ requestId: id, httpMethod: 'GET', resourcePath: '/items', status: '502' })
  emulator.putLogEvents(GROUP, [{ timestamp: t0 + atMs, message, ingestionTime: t0 + atMs + lagMs }])
}

function runAt(atMs: number, inputs: Record<string, string>): Promise<ActionRun> {
  return timeline.runAt(
    atMs,
    {
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

describe('overlap close to max-catch-up', () => {
  it('refuses overlap at max-catch-up before any request, naming both inputs and the fix', async () => {
    const run = await runAt(0, { overlap: '1h', 'max-catch-up': '1h' })
    expect(run.exitCode).not.toBe(0)
    expect(run.stdout).toContain(
      '::error::Input "max-catch-up": 1h leaves no room for overlap (1h): a run reaches back overlap + query-delay + interval (1h6m)',
    )
    expect(run.stdout).toContain('raise max-catch-up to 1h16m or more, or lower overlap to 44m or less.')
    // Settings are read before credentials, the checkpoint or a query: nothing reached the emulator.
    expect(emulator.calls).toEqual([])
  })

  it('names no gap over runs on time and a run 12 minutes late, reporting every entry once', async () => {
    // The largest overlap the settings allow with a 30-minute max-catch-up: 30m − 1m − 5m − 10m.
    const inputs = { overlap: '14m', 'max-catch-up': '30m' }
    const starts = [0, 5, 10, 15, 32, 37].map((minute) => minute * MINUTE)
    // Entries all along, some arriving minutes late (within query-delay + overlap).
    const entries: Array<{ id: string; at: number; lag: number }> = []
    for (let at = -4 * MINUTE; at < 36 * MINUTE; at += 50_000) {
      const entry = { id: `e${entries.length}`, at, lag: entries.length % 4 === 0 ? 4 * MINUTE : 20_000 }
      entries.push(entry)
      logError(entry.id, entry.at, entry.lag)
    }
    const runs: ActionRun[] = []
    for (const at of starts) {
      const run = await runAt(at, inputs)
      expect(run.exitCode, run.stdout).toBe(0)
      runs.push(run)
    }
    for (const run of runs) {
      expect(run.stdout).not.toContain('part of the timeline was skipped')
      expect(run.stdout).not.toContain('Not checked')
      expect(run.summary).not.toContain('Not checked')
    }
    for (const post of emulator.slackPosts('alerts')) expect(post.raw).not.toContain('Not checked')
    // The run 12 minutes late (17 after the one before) reaches back 14m + 1m + 17m = 32m: 2 minutes of
    // the overlap are older than max-catch-up. Checked once already: a note, not a gap.
    expect(runs[4]?.summary).toContain('Re-check shortened:')
    expect(runs[4]?.stdout).toContain('Re-check shortened:')
    for (const [index, run] of runs.entries()) {
      if (index !== 4) expect(run.summary).not.toContain('Re-check shortened')
    }
    // Every entry up to the last window's end reported exactly once.
    // Every entry in the last window, in Insights by the last run, reported exactly once.
    const lastEnd = Date.parse(runs.at(-1)?.outputs['window-end'] ?? '') - t0
    const lastRun = starts.at(-1) as number
    const due = entries.filter((entry) => entry.at <= lastEnd && entry.at + entry.lag <= lastRun)
    expect(due.length).toBeGreaterThan(40)
    const reported = runs.flatMap(reportedIds)
    expect(new Set(reported).size).toBe(reported.length)
    const dueIds = due.map((entry) => entry.id)
    expect(reported.filter((id) => dueIds.includes(id)).sort()).toEqual(dueIds.sort())
  }, 120_000)
})
