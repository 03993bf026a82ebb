import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { type Emulator, startEmulator } from '../emulator/index.js'
import { EVERY_WINDOW_ALERTS } from '../support/alerting.js'
import { type ActionRun, runAction } from '../support/run-action.js'
import { startTimeline } from '../support/timeline.js'

/**
 * Slack delivery per webhook, on the bundle against the emulator: a webhook that fails for good does
 * not make the healthy one get entries twice, it gets a catch-up once it works; a 200 that is not
 * `ok` is a failure; a cancelled job stops posting at once and leaves the checkpoint alone.
 */

const GROUP = '/aws/apigateway/prod-access'
const MINUTE = 60_000

let emulator: Emulator | undefined

afterEach(async () => {
  await emulator?.stop()
  emulator = undefined
})

function stateFilePath(): string {
  return join(mkdtempSync(join(tmpdir(), 'insights-watch-webhooks-')), 'state.json')
}

/** Lines the run printed, other than the runner's mask commands (which carry the secrets on purpose). */
function printed(run: ActionRun): string {
  return `${run.stdout}\n${run.stderr}`
    .split('\n')
    .filter((line) => !line.startsWith('::add-mask::'))
    .join('\n')
}

/** A checkpoint as an earlier run saves it, checked up to `checked` (epoch seconds). */
function checkpointText(checked: number): string {
  return `${JSON.stringify({ version: 1, checked, reported: {}, savedAt: new Date().toISOString() })}\n`
}

let sequence = 0
/** Access-log lines with request ids of one width (`req-007`), so that no id is part of another. */
function errorEvents(atMs: number, statuses: number[]) {
  return statuses.map((status, i) => {
    const id = `req-${String(sequence++).padStart(3, '0')}`
    return {
      id,
      event: {
        timestamp: atMs + i * 1000,
        ingestionTime: atMs + i * 1000,
        message: JSON.stringify({
          requestId: id,
          httpMethod: 'POST',
          resourcePath: '/orders',
          status: String(status),
        }),
      },
    }
  })
}

describe('one of two webhooks failing for several runs', () => {
  it('the healthy webhook gets every entry once, the failing one a catch-up when it works, and each failing run fails naming webhook 2 of 2', async () => {
    const timeline = await startTimeline({ region: 'eu-west-1', queryLatencyMs: 200 })
    emulator = timeline.emulator
    const emu = timeline.emulator
    emu.createLogGroup(GROUP)
    const stateFile = stateFilePath()
    const secondUrl = emu.slackWebhookUrl('second')
    const inputs = {
      // A message per run, so that the failing webhook misses one per run: every window alerts.
      ...EVERY_WINDOW_ALERTS,
      'log-group-names': GROUP,
      'aws-region': 'eu-west-1',
      state: `file:${stateFile}`,
      'slack-webhook-url': `${emu.slackWebhookUrl('first')}\n${secondUrl}`,
    }

    const idsByRun: string[][] = []
    const runs: ActionRun[] = []
    const states: string[] = []
    for (let k = 0; k < 6; k++) {
      const at = k * 5 * MINUTE
      // New errors every run, inside the window the run checks (it ends query-delay, 1 minute, back).
      const logged = errorEvents(timeline.t0 + at - 3 * MINUTE, [502, 503, 404])
      emu.putLogEvents(
        GROUP,
        logged.map((l) => l.event),
      )
      idsByRun.push(logged.map((l) => l.id))
      // The second webhook's channel is gone from run 2 to run 4, then it works again.
      if (k === 1)
        emu.inject({ service: 'slack', action: 'second', status: 404, body: 'channel_not_found', times: 3 })
      runs.push(await timeline.runAt(at, inputs))
      states.push(existsSync(stateFile) ? readFileSync(stateFile, 'utf8') : '')
    }

    expect(runs.map((run) => run.exitCode)).toEqual([0, 1, 1, 1, 0, 0])
    for (const run of runs.slice(1, 4)) {
      expect(run.stdout).toContain('webhook 2 of 2')
      expect(run.stdout).toContain('HTTP 404 channel_not_found')
      expect(run.summary).toContain('webhook 2 of 2')
      // The run's own entries reached the healthy channel, so this run counts as notified.
      expect(run.outputs.notified).toBe('true')
    }
    // The summary and the error say what the failing webhook has missed so far.
    expect(runs[3]?.stdout).toContain('webhook 2 of 2 has missed 3 messages (9 entries: 6 5xx, 3 4xx)')
    expect(runs[3]?.summary).toContain('3 messages (9 entries: 6 5xx, 3 4xx)')
    for (const [i, run] of runs.entries()) {
      for (const text of [printed(run), run.summary, states[i] ?? '']) {
        expect(text).not.toContain(secondUrl)
        expect(text).not.toContain(new URL(secondUrl).pathname)
      }
    }

    const delivered = (name: string) =>
      emu
        .slackPosts(name)
        .filter((post) => post.status === 200)
        .map((post) => JSON.stringify(post.body))
    const allIds = idsByRun.flat()
    // Every entry reached the healthy channel exactly once: the checkpoint moved on every run.
    const first = delivered('first')
    for (const id of allIds) {
      expect(first.filter((text) => text.includes(id)).length, id).toBe(1)
    }
    // It was told once that webhook 2 of 2 fails (not every five minutes), and once that it works again.
    expect(first.filter((text) => text.includes('webhook 2 of 2 is failing'))).toHaveLength(1)
    expect(first.filter((text) => text.includes('webhook 2 of 2 works again'))).toHaveLength(1)

    // The failing channel never got the missed entries twice, nor any of them once it recovered…
    const second = delivered('second')
    for (const id of [...(idsByRun[0] ?? []), ...(idsByRun[4] ?? []), ...(idsByRun[5] ?? [])]) {
      expect(second.filter((text) => text.includes(id)).length, id).toBe(1)
    }
    // …but one catch-up saying what it missed, with the counts and the stretch of time.
    const catchUps = second.filter((text) => text.includes('did not reach this channel'))
    expect(catchUps).toHaveLength(1)
    expect(catchUps[0]).toContain('3 messages')
    expect(catchUps[0]).toMatch(/\*9\* entries: \*6\* 5xx, \*3\* 4xx/)
    expect(catchUps[0]).toMatch(/HTTP 404 channel.not.found/)
    expect(catchUps[0]).toContain('Open the missed stretch in Logs Insights')

    // The checkpoint remembered it by a hash of the URL while it failed, and forgot it once told.
    const during = JSON.parse(states[3] ?? '{}') as { missedByWebhook?: Record<string, { messages: number }> }
    expect(Object.keys(during.missedByWebhook ?? {})).toEqual([expect.stringMatching(/^[0-9a-f]{12}$/)])
    expect(Object.values(during.missedByWebhook ?? {})[0]?.messages).toBe(3)
    expect(JSON.parse(states[4] ?? '{}').missedByWebhook).toBeUndefined()
  }, 120_000)
})

describe('notify-on-error with one webhook failing for good', () => {
  it('tells the working webhook once per failing episode, not on every run', async () => {
    const timeline = await startTimeline({ region: 'eu-west-1', queryLatencyMs: 200 })
    emulator = timeline.emulator
    const emu = timeline.emulator
    const stateFile = stateFilePath()
    // The monitor itself fails: its log group does not exist.
    const inputs = {
      'log-group-names': '/aws/apigateway/missing',
      'aws-region': 'eu-west-1',
      state: `file:${stateFile}`,
      'slack-webhook-url': `${emu.slackWebhookUrl('first')}\n${emu.slackWebhookUrl('second')}`,
    }
    emu.inject({ service: 'slack', action: 'second', status: 404, body: 'channel_not_found', times: 3 })
    const runs = [await timeline.runAt(0, inputs), await timeline.runAt(5 * MINUTE, inputs)]
    expect(runs.map((run) => run.exitCode)).toEqual([1, 1])
    const notices = emu.slackPosts('first').filter((post) => post.status === 200)
    expect(notices).toHaveLength(1)
    expect(JSON.stringify(notices[0]?.body)).toContain('is broken')
    expect(runs[0]?.stdout).toContain(
      'Could not tell Slack that the monitor failed: Slack rejected the message for webhook 2 of 2',
    )
  }, 60_000)
})

describe('a webhook answering 200 with an error', () => {
  it('is a failure with Slack’s text: the checkpoint stays and the next run posts the entries', async () => {
    const timeline = await startTimeline({ region: 'eu-west-1', queryLatencyMs: 200 })
    emulator = timeline.emulator
    const emu = timeline.emulator
    emu.createLogGroup(GROUP)
    const stateFile = stateFilePath()
    const inputs = {
      'log-group-names': GROUP,
      'aws-region': 'eu-west-1',
      state: `file:${stateFile}`,
      'slack-webhook-url': emu.slackWebhookUrl('alerts'),
    }
    const logged = errorEvents(timeline.t0 - 3 * MINUTE, [500])
    emu.putLogEvents(
      GROUP,
      logged.map((l) => l.event),
    )
    emu.inject({ service: 'slack', action: 'alerts', status: 200, body: 'no_service' })
    const saved = checkpointText(Math.floor(timeline.t0 / 1000) - 6 * 60)
    writeFileSync(stateFile, saved)

    const refused = await timeline.runAt(0, inputs)
    expect(refused.exitCode).toBe(1)
    expect(refused.stdout).toContain('HTTP 200 no_service')
    expect(refused.stdout).toContain('The webhook was revoked or its app removed')
    expect(refused.outputs.notified).toBe('false')
    expect(readFileSync(stateFile, 'utf8')).toBe(saved)

    const next = await timeline.runAt(5 * MINUTE, inputs)
    expect(next.exitCode, next.stdout).toBe(0)
    const taken = emu.slackPosts('alerts').filter((post) => post.response === 'ok')
    expect(taken).toHaveLength(1)
    expect(JSON.stringify(taken[0]?.body)).toContain(logged[0]?.id)
  }, 60_000)
})

describe('cancelled while Slack hangs or keeps failing', () => {
  const faults = [
    { case: 'a webhook that hangs', fault: { latencyMs: 60_000, times: 10 } },
    { case: 'a webhook answering 500 again and again', fault: { status: 500, times: 10 } },
  ]
  it.each(faults)(
    '$case: posting stops, the step fails saying so, the checkpoint stays',
    async ({ fault }) => {
      emulator = await startEmulator({ region: 'eu-west-1', queryLatencyMs: 200 })
      const emu = emulator
      emu.createLogGroup(GROUP)
      const stateFile = stateFilePath()
      // A checkpoint from an earlier run, a few minutes back.
      const saved = checkpointText(Math.floor(Date.now() / 1000) - 6 * 60)
      writeFileSync(stateFile, saved)
      const logged = errorEvents(Date.now() - 3 * MINUTE, [502])
      emu.putLogEvents(
        GROUP,
        logged.map((l) => l.event),
      )
      emu.inject({ service: 'slack', action: 'alerts', ...fault })

      const signalAfterMs = 6_000
      const started = Date.now()
      const run = await runAction({
        inputs: {
          'log-group-names': GROUP,
          'aws-region': 'eu-west-1',
          state: `file:${stateFile}`,
          'slack-webhook-url': emu.slackWebhookUrl('alerts'),
        },
        env: {
          ...emu.env,
          AWS_ACCESS_KEY_ID: emu.defaultCredentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: emu.defaultCredentials.secretAccessKey,
        },
        signal: { name: 'SIGTERM', afterMs: signalAfterMs },
        timeoutMs: 40_000,
      })
      const exitedAfterSignalMs = Date.now() - started - signalAfterMs

      const slackCalls = emu.calls.filter((call) => call.service === 'slack')
      // The run was posting when the signal came, and nothing was posted after it.
      expect(slackCalls.length, run.stdout).toBeGreaterThan(0)
      expect(slackCalls.every((call) => call.at < started + signalAfterMs + 500)).toBe(true)
      expect(run.exitCode).not.toBe(0)
      expect(exitedAfterSignalMs, run.stdout).toBeLessThan(4_000)
      expect(run.stdout).toContain('Received SIGTERM')
      expect(run.stdout).toMatch(/cancelled while posting to Slack/)
      expect(readFileSync(stateFile, 'utf8')).toBe(saved)
    },
    60_000,
  )
})
