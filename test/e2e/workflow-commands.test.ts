import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type Emulator, startEmulator } from '../emulator/index.js'
import { HOSTILE_LINES, hostileEvents } from '../fixtures/hostile-lines.js'
import { type ActionRun, runAction } from '../support/run-action.js'
import { type ParsedCommand, workflowCommands } from '../support/workflow-commands.js'

/**
 * Log text that spells a workflow command (`::error::`, `##[add-mask]`, `##[stop-commands]`, hidden
 * behind white space or zero-width characters) must never become one, on any path that prints log
 * text: the dry-run payload, step debug, Slack's error answer, a failed query's error and the failure
 * notice printed in dry-run. Every line the bundle prints, on stdout and stderr, goes through a model of
 * the runner's parser (test/support/workflow-commands.ts).
 */

const GROUP = '/aws/apigateway/prod-access'
/** Every hostile line that carries a workflow command, 5xx and 4xx; all fit as samples in one message. */
const COMMAND_LINES = HOSTILE_LINES.filter(
  (line) => line.label.includes('workflow') && line.matchesDefaultQuery,
)
/** What an AWS or Slack error answer could carry back: the same forms. */
const HOSTILE_ANSWER = 'bad ##[error]pwned ##[add-mask]pwned\n::stop-commands::pwned\r#\u200B#[warning]pwned'

/** The commands we issue ourselves; the data of none of them starts with log text. */
const OURS = new Set(['group', 'endgroup', 'warning', 'error', 'notice', 'debug', 'add-mask'])

/** Commands the runner would take from log text: any legacy one, any we never issue, any led by it. */
function injected(run: ActionRun): ParsedCommand[] {
  return workflowCommands(`${run.stdout}\n${run.stderr}`).filter(
    (command) =>
      command.form === 'legacy' ||
      !OURS.has(command.name.toLowerCase()) ||
      /^\s*pwned/i.test(command.data) ||
      Object.values(command.properties).some((value) => /pwned/i.test(value)) ||
      (command.name === 'add-mask' && command.data.trim() === ''),
  )
}

let emulator: Emulator

beforeEach(async () => {
  emulator = await startEmulator({ region: 'eu-west-1', queryLatencyMs: 200 })
  emulator.putLogEvents(GROUP, hostileEvents(COMMAND_LINES, { from: Date.now() - 240_000, stepMs: 1000 }))
})

afterEach(async () => {
  await emulator.stop()
})

function run(inputs: Record<string, string>, env: Record<string, string> = {}): Promise<ActionRun> {
  return runAction({
    inputs: {
      'log-group-names': GROUP,
      'slack-webhook-url': emulator.slackWebhookUrl('alerts'),
      'max-samples': '20',
      thresholds: '1',
      state: 'none',
      ...inputs,
    },
    env: {
      ...emulator.env,
      AWS_ACCESS_KEY_ID: emulator.defaultCredentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: emulator.defaultCredentials.secretAccessKey,
      ...env,
    },
  })
}

const STEP_DEBUG = { RUNNER_DEBUG: '1', ACTIONS_STEP_DEBUG: 'true' }

describe('log text never becomes a workflow command', () => {
  it('holds at least one line per form, each a command if printed as it is', () => {
    expect(COMMAND_LINES.length).toBeGreaterThanOrEqual(8)
    const raw = COMMAND_LINES.flatMap((line) => workflowCommands(JSON.parse(line.message).userAgent))
    expect(new Set(raw.map((command) => command.form))).toEqual(new Set(['v2', 'legacy']))
    expect(raw.map((command) => command.name)).toEqual(
      expect.arrayContaining(['error', 'add-mask', 'set-output', 'stop-commands', 'warning', 'notice']),
    )
  })

  it.each([
    ['dry-run', {}],
    ['dry-run with step debug on', STEP_DEBUG],
  ])(
    '%s: the printed Slack payload carries every line, inert',
    async (_, env) => {
      const printed = await run({ 'dry-run': 'true' }, env)
      expect(printed.exitCode, printed.stdout.slice(-2000)).toBe(0)
      expect(printed.stdout).toContain('dry-run: this Slack message would be posted')
      // Every line is there as a sample, its text included, but none of it acts.
      for (const line of COMMAND_LINES) expect(printed.stdout).toContain(JSON.parse(line.message).requestId)
      expect(printed.stdout).toContain('pwned')
      expect(injected(printed)).toEqual([])
      expect(emulator.slackPosts('alerts')).toEqual([])
    },
    60_000,
  )

  it('a posted run with step debug on', async () => {
    const posted = await run({}, STEP_DEBUG)
    expect(posted.exitCode, posted.stdout.slice(-2000)).toBe(0)
    expect(emulator.slackPosts('alerts')).toHaveLength(1)
    expect(injected(posted)).toEqual([])
  }, 60_000)

  it('Slack’s error answer, in the log line and the error that fails the step', async () => {
    emulator.inject({ service: 'slack', action: 'alerts', status: 400, body: HOSTILE_ANSWER })
    const failed = await run({})
    expect(failed.exitCode).toBe(1)
    expect(failed.stdout).toMatch(/::error::.*Slack rejected the message.*pwned/)
    expect(injected(failed)).toEqual([])
  }, 60_000)

  it.each([
    ['posted', 'false'],
    ['printed in dry-run', 'true'],
  ])(
    'a failed query’s error, and the failure notice %s',
    async (_, dryRun) => {
      emulator.inject({
        service: 'logs',
        action: 'StartQuery',
        errorType: 'MalformedQueryException',
        status: 400,
        body: HOSTILE_ANSWER,
      })
      const failed = await run({ 'dry-run': dryRun, 'notify-on-error': 'true' }, STEP_DEBUG)
      expect(failed.exitCode).toBe(1)
      expect(failed.stdout).toMatch(/::error::.*The query is malformed: bad.*pwned/)
      if (dryRun === 'true') expect(failed.stdout).toMatch(/would be posted[\s\S]*monitor[\s\S]*pwned/i)
      else expect(emulator.slackPosts('alerts').map((post) => post.status)).toEqual([200])
      expect(injected(failed)).toEqual([])
    },
    60_000,
  )
})
