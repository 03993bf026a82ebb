import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type Emulator, startEmulator } from '../emulator/index.js'
import {
  HOSTILE_LINES,
  hostileEvents,
  rawAmpersands,
  slackControls,
  unexpectedHtml,
} from '../fixtures/hostile-lines.js'
import { EVERY_WINDOW_ALERTS } from '../support/alerting.js'
import { type ActionRun, runAction } from '../support/run-action.js'
import { workflowCommands } from '../support/workflow-commands.js'

/**
 * Log text is chosen by whoever sends the request. Through the bundle: it must reach Slack and the job
 * summary inert and bounded; faults must never move the checkpoint past an entry not yet reported.
 */

let emulator: Emulator

beforeEach(async () => {
  emulator = await startEmulator({ region: 'eu-west-1', queryLatencyMs: 200 })
})

afterEach(async () => {
  await emulator.stop()
})

const credentials = () => ({
  ...emulator.env,
  AWS_ACCESS_KEY_ID: emulator.defaultCredentials.accessKeyId,
  AWS_SECRET_ACCESS_KEY: emulator.defaultCredentials.secretAccessKey,
})

/** Every string inside a JSON value. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value]
  if (Array.isArray(value)) return value.flatMap(strings)
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(strings)
  return []
}

describe('hostile log lines', () => {
  // max-samples is at most 20, so the corpus goes through in slices, each its own run and log group,
  // so that every line is shown as a sample somewhere.
  const slices: (typeof HOSTILE_LINES)[] = []
  for (let i = 0; i < HOSTILE_LINES.length; i += 18) slices.push(HOSTILE_LINES.slice(i, i + 18))

  it.each(slices.map((slice, index) => [index, slice] as const))(
    'slice %i reaches Slack and the summary inert and within limits',
    async (index, slice) => {
      const group = `/aws/apigateway/hostile-${index}`
      emulator.putLogEvents(group, hostileEvents(slice, { from: Date.now() - 240_000, stepMs: 1000 }))
      const run = await runAction({
        inputs: {
          'log-group-names': group,
          'slack-webhook-url': emulator.slackWebhookUrl('alerts'),
          'group-by': 'status, httpMethod, resourcePath, routeKey, path, userAgent, errorMessage',
          'max-samples': '20',
          mention: '<!here>',
          state: 'none',
          // Every slice with a match must reach Slack, whatever its statuses.
          thresholds: '1',
        },
        env: credentials(),
      })
      expect(run.exitCode, run.stdout.slice(-3000)).toBe(0)
      const matching = slice.filter((line) => line.matchesDefaultQuery).length
      expect(run.outputs['match-count']).toBe(String(matching))

      // Slack: no live mention, link or control sequence other than ours; every & an entity.
      const [post] = emulator.slackPosts('alerts')
      expect(post?.status).toBe(matching > 0 ? 200 : undefined)
      const ours = [
        ...(post?.raw.match(/<https:\/\/github\.com\/acme\/api\/actions\/runs\/4242[^<>]*>/g) ?? []),
        ...(post?.raw.match(/<https:\/\/eu-west-1\.console\.aws\.amazon\.com\/[^<>|]*\|[^<>]*>/g) ?? []),
        '<!here>',
      ]
      for (const text of strings(post?.body)) {
        expect(slackControls(text, ours), text.slice(0, 300)).toEqual([])
        expect(rawAmpersands(text)).toEqual([])
        expect(text.length).toBeLessThanOrEqual(3000)
      }
      expect(post?.raw.length ?? 0).toBeLessThanOrEqual(35_000)

      // The job summary: only its own tags, under GitHub's 1 MiB.
      expect(unexpectedHtml(run.summary)).toEqual([])
      expect(Buffer.byteLength(run.summary)).toBeLessThan(1024 * 1024)
      if (slice.some((line) => line.message.length > 250_000)) {
        expect(run.summary).toMatch(/cut|…/)
        expect(run.summary.length).toBeLessThan(300_000)
      }

      // Workflow commands inside log text never reach the runner as commands (the model of its parser
      // finds none led by log text, and no legacy `##[` form at all).
      const commands = workflowCommands(`${run.stdout}\n${run.stderr}`)
      expect(
        commands.filter((command) => command.form === 'legacy' || /^\s*pwn/i.test(command.data)),
      ).toEqual([])
      // The results file keeps every matching line as it was.
      const results = readFileSync(run.outputs['results-file'] ?? '', 'utf8')
        .split('\n')
        .filter((line) => line !== '')
      expect(results).toHaveLength(matching)
    },
    60_000,
  )
})

describe('faults', () => {
  const GROUP = '/aws/apigateway/prod-access'
  const MINUTE = 60_000
  let t0: number
  let stateFile: string

  beforeEach(async () => {
    t0 = Math.floor((Date.now() - 120 * MINUTE) / 1000) * 1000
    await emulator.stop()
    emulator = await startEmulator({
      region: 'eu-west-1',
      queryLatencyMs: 200,
      now: () => Date.now() + offset,
    })
    emulator.createLogGroup(GROUP)
    stateFile = join(mkdtempSync(join(tmpdir(), 'insights-watch-faults-')), 'state.json')
  })

  let offset = 0
  function logError(id: string, atMs: number): void {
    const message = JSON.stringify({
      requestId: id,
      httpMethod: 'GET',
      resourcePath: '/items',
      status: '503',
    })
    emulator.putLogEvents(GROUP, [{ timestamp: t0 + atMs, message, ingestionTime: t0 + atMs }])
  }

  async function runAt(atMs: number): Promise<ActionRun> {
    offset = t0 + atMs - Date.now()
    return runAction({
      inputs: {
        // A fault while posting needs a run that posts: every window with a match alerts.
        ...EVERY_WINDOW_ALERTS,
        'log-group-names': GROUP,
        state: `file:${stateFile}`,
        'slack-webhook-url': emulator.slackWebhookUrl('alerts'),
        'notify-on-error': 'false',
      },
      env: credentials(),
      clockOffsetMs: offset,
    })
  }

  const state = () => (existsSync(stateFile) ? readFileSync(stateFile, 'utf8') : '')
  const ids = (run: ActionRun) =>
    run.exitCode === 0
      ? readFileSync(run.outputs['results-file'] ?? '', 'utf8')
          .split('\n')
          .filter((line) => line !== '')
          .map((line) => JSON.parse(JSON.parse(line).fields['@message']).requestId as string)
      : []

  it.each([
    [
      'StartQuery answering 503 past the SDK retries',
      {
        service: 'logs',
        action: 'StartQuery',
        errorType: 'ServiceUnavailableException',
        status: 503,
        times: 3,
      },
    ],
    [
      'GetQueryResults answering 503 past the SDK retries',
      {
        service: 'logs',
        action: 'GetQueryResults',
        errorType: 'ServiceUnavailableException',
        status: 503,
        times: 3,
      },
    ],
    ['Slack answering 500 past our retries', { service: 'slack', action: 'alerts', status: 500, times: 5 }],
  ] as const)(
    '%s: the run fails, the checkpoint stays, the next run reports the entry',
    async (_, fault) => {
      logError('before', -3 * MINUTE)
      const first = await runAt(0)
      expect(first.exitCode, first.stdout).toBe(0)
      const saved = state()

      logError('during', 2 * MINUTE)
      emulator.inject(fault)
      const failed = await runAt(5 * MINUTE)
      expect(failed.exitCode).toBe(1)
      // The checkpoint does not move: a failed query may save what it did report, never further.
      expect(JSON.parse(state() || '{}').checked).toBe(JSON.parse(saved).checked)

      const recovered = await runAt(10 * MINUTE)
      expect(recovered.exitCode, recovered.stdout).toBe(0)
      expect([...ids(first), ...ids(failed), ...ids(recovered)]).toEqual(['before', 'during'])
    },
    90_000,
  )

  it.each([
    [
      'dropped connections to CloudWatch Logs',
      { service: 'logs', action: 'GetQueryResults', dropConnection: true, times: 2 },
    ],
    [
      'a slow CloudWatch Logs answer',
      { service: 'logs', action: 'GetQueryResults', latencyMs: 2000, times: 1 },
    ],
    ['a dropped connection to Slack', { service: 'slack', action: 'alerts', dropConnection: true, times: 1 }],
    ['a burst of Slack 500s', { service: 'slack', action: 'alerts', status: 500, times: 2 }],
  ] as const)(
    '%s: retried, bounded, and every entry reported once',
    async (_, fault) => {
      logError('e1', -3 * MINUTE)
      emulator.inject(fault)
      const run = await runAt(0)
      expect(run.exitCode, run.stdout).toBe(0)
      expect(ids(run)).toEqual(['e1'])
      expect(emulator.slackPosts('alerts').filter((post) => post.status === 200)).toHaveLength(1)
      expect(JSON.parse(state()).checked).toBe(Date.parse(run.outputs['window-end'] ?? '') / 1000)
    },
    60_000,
  )
})
