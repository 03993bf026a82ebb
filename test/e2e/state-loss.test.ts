import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Emulator } from '../emulator/index.js'
import { EVERY_WINDOW_ALERTS } from '../support/alerting.js'
import type { ActionRun } from '../support/run-action.js'
import { startTimeline, type Timeline } from '../support/timeline.js'

/**
 * A checkpoint that cannot be read, or is gone. A restore that fails is not "no checkpoint": the run
 * fails loudly and saves nothing, so the next run still finds the old checkpoint and reports everything
 * due since. A real miss is said out loud ("no checkpoint found"); where the store shows that earlier
 * runs saved state, the run reaches back max-catch-up instead of the interval.
 */

const GROUP = '/aws/apigateway/prod-access'
const MINUTE = 60_000

let timeline: Timeline
let emulator: Emulator
let t0: number
let stateDir: string

beforeEach(async () => {
  timeline = await startTimeline({ region: 'eu-west-1', queryLatencyMs: 300 })
  ;({ emulator, t0 } = timeline)
  emulator.createLogGroup(GROUP)
  stateDir = mkdtempSync(join(tmpdir(), 'insights-watch-state-'))
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

function runAt(atMs: number, inputs: Record<string, string>): Promise<ActionRun> {
  return timeline.runAt(
    atMs,
    {
      'log-group-names': GROUP,
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

/** Every request id in the Slack messages delivered so far (sample sections quote the message). */
function slackTexts(): string[] {
  return emulator
    .slackPosts('alerts')
    .filter((post) => post.status === 200)
    .map((post) => JSON.stringify(post.body))
}

const seconds = (iso: string | undefined) => Date.parse(iso ?? '') / 1000

describe('a lost or unreadable checkpoint', () => {
  it('actions-cache: a restore failing with 503 fails the run, notifies, saves nothing; the next run reports all that is due, once', async () => {
    logError('e1', -2 * MINUTE)
    // Each entry must reach Slack once, the 404 and those of a continuing episode too: every window alerts.
    const inputs = { ...EVERY_WINDOW_ALERTS, state: 'actions-cache' }
    const first = await runAt(0, inputs)
    expect(first.exitCode, first.stdout).toBe(0)
    expect(emulator.cacheEntries()).toHaveLength(1)

    logError('e2', 3 * MINUTE)
    logError('e3', 6 * MINUTE, 404)
    // The cache service answers 503 to all 5 attempts of the lookup (@actions/cache's own retries,
    // about 25 s of backoff): restoreCache alone would take that for "no entry".
    emulator.inject({ service: 'cache', action: 'GetCacheEntryDownloadURL', status: 503, times: 5 })
    const posts = emulator.slackPosts('alerts').length
    const failed = await runAt(5 * MINUTE, inputs)
    expect(failed.exitCode).not.toBe(0)
    expect(failed.stdout).toMatch(/::error::Could not read the checkpoint from actions cache .*503/)
    expect(failed.stdout).not.toContain('Checkpoint saved')
    // Nothing saved: no checkpoint, and no failure record that would become the newest entry.
    expect(emulator.cacheEntries()).toHaveLength(1)
    expect(reportedIds(failed)).toEqual([])
    // notify-on-error: the failure notice, and it says why it will repeat.
    const notice = emulator.slackPosts('alerts').slice(posts)
    expect(notice).toHaveLength(1)
    expect(JSON.stringify(notice[0]?.body)).toMatch(
      /failed and is not checking logs.*The state could not be read/,
    )

    logError('e4', 8 * MINUTE)
    const third = await runAt(10 * MINUTE, inputs)
    expect(third.exitCode, third.stdout).toBe(0)
    expect(third.stdout).toContain('Checked up to')
    expect(seconds(third.outputs['window-start'])).toBe(seconds(first.outputs['window-end']) - 120)
    expect([...reportedIds(first), ...reportedIds(third)].sort()).toEqual(['e1', 'e2', 'e3', 'e4'])
    for (const id of ['e1', 'e2', 'e3', 'e4']) {
      expect(slackTexts().filter((text) => text.includes(`request \`${id}\``))).toHaveLength(1)
    }
  }, 120_000)

  it('file: a state file deleted between runs (its directory left) reaches back max-catch-up and says what it could not cover', async () => {
    const stateFile = join(stateDir, 'state.json')
    logError('before', -2 * MINUTE)
    const first = await runAt(0, { state: `file:${stateFile}` })
    expect(first.exitCode, first.stdout).toBe(0)
    rmSync(stateFile)

    logError('e-10m', 10 * MINUTE)
    logError('e-30m', 30 * MINUTE, 503)
    const next = await runAt(40 * MINUTE, { state: `file:${stateFile}` })
    expect(next.exitCode, next.stdout).toBe(0)
    const start = seconds(next.outputs['window-start'])
    expect(start).toBe((t0 + 40 * MINUTE) / 1000 - 3600)
    expect(next.stdout).toMatch(
      /::warning title=insights-watch%3A no checkpoint found::No checkpoint found: this monitor has no record of checking before /,
    )
    expect(next.stdout).toContain('state.json is missing, though this monitor has saved state there since')
    expect(next.summary).toContain('No checkpoint found: this monitor has no record of checking before')
    expect(next.summary).toMatch(/Not covered: anything before/)
    expect(slackTexts().at(-1)).toContain('No checkpoint found')
    expect(reportedIds(next).sort()).toEqual(['before', 'e-10m', 'e-30m'])
    expect(JSON.parse(readFileSync(stateFile, 'utf8')).checked).toBe(seconds(next.outputs['window-end']))
  })

  it('a first run ever announces "no checkpoint found" in the warning, the summary and Slack', async () => {
    const run = await runAt(0, { state: `file:${join(stateDir, 'new', 'state.json')}` })
    expect(run.exitCode, run.stdout).toBe(0)
    const before = run.outputs['window-start'] ?? ''
    const notice = `No checkpoint found: this monitor has no record of checking before ${before}.`
    expect(seconds(run.outputs['window-end']) - seconds(before)).toBe(300)
    expect(run.stdout).toContain(`::warning title=insights-watch%3A no checkpoint found::${notice}`)
    expect(run.summary).toContain(notice)
    expect(slackTexts()).toHaveLength(1)
    expect(slackTexts()[0]).toContain(notice)
  })

  it('says nothing of a checkpoint with state: none, where every run is a first run by choice', async () => {
    const run = await runAt(0, { state: 'none' })
    expect(run.exitCode, run.stdout).toBe(0)
    expect(run.stdout).not.toMatch(/no checkpoint found/i)
    expect(slackTexts()).toEqual([])
  })

  it('a state saved by a newer version of the action is not overwritten: the run fails', async () => {
    const stateFile = join(stateDir, 'state.json')
    const newer = '{"version":99,"checked":1}\n'
    const { writeFileSync } = await import('node:fs')
    writeFileSync(stateFile, newer)
    logError('e1', -2 * MINUTE)
    const run = await runAt(0, { state: `file:${stateFile}` })
    expect(run.exitCode).not.toBe(0)
    expect(run.stdout).toMatch(
      /::error::The checkpoint in file .* cannot be used: the saved state has version 99/,
    )
    expect(readFileSync(stateFile, 'utf8')).toBe(newer)
    expect(reportedIds(run)).toEqual([])
  })
})
