import { readFileSync } from 'node:fs'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Emulator } from '../emulator/index.js'
import type { ActionRun } from '../support/run-action.js'
import { type MonitorTimeline, startMonitorTimeline } from '../support/timeline.js'

/**
 * Bot-token mode: one card per incident and channel, edited in place, one thread reply per run, the
 * mention once when it opens and once when it escalates; and the GitHub issue that records it. The
 * bundle under Node 24 against the emulator's Slack Web API and GitHub REST API.
 */

const GROUP = '/aws/apigateway/prod-access'
const MINUTE = 60_000
const CHANNEL = '#alerts'

let timeline: MonitorTimeline
let emulator: Emulator
let stateFile: string

beforeEach(async () => {
  timeline = await startMonitorTimeline({
    region: 'eu-west-1',
    queryLatencyMs: 100,
    group: GROUP,
    statePrefix: 'insights-watch-incident-',
  })
  ;({ emulator, stateFile } = timeline)
})

afterEach(async () => {
  await emulator.stop()
})

function logErrors(atMs: number, statuses: number[], route = '/orders'): void {
  timeline.logAccess(
    atMs,
    statuses.map((status) => ({ status, resourcePath: route })),
  )
}

const inputs = (extra: Record<string, string> = {}) => ({
  'log-group-names': GROUP,
  'aws-region': 'eu-west-1',
  state: `file:${stateFile}`,
  'slack-bot-token': emulator.slackApi.token,
  'slack-channel': CHANNEL,
  thresholds: '5xx=1, 4xx=5',
  mention: '<!here>',
  'resolve-after': '8m',
  'max-catch-up': '3h',
  ...extra,
})

async function runAt(minute: number, extra: Record<string, string> = {}): Promise<ActionRun> {
  const run = await timeline.runAt(minute * MINUTE, inputs(extra))
  expect(run.exitCode, `run at +${minute} min:\n${run.stdout}`).toBe(0)
  return run
}

/** Every text of a message: its top-level text and its blocks, as JSON. */
const textOf = (message: { text: string; attachments?: unknown[] }) =>
  `${message.text} ${JSON.stringify(message.attachments ?? [])}`

/**
 * The incident of the issue: it opens on 4xx at +0, is updated at +5 (4xx), +10 (5xx: the escalation)
 * and +15 (4xx), then two clean windows; the second is 10 minutes clean, past resolve-after (8m).
 */
async function sixRuns(extra: Record<string, string> = {}): Promise<ActionRun[]> {
  logErrors(-3 * MINUTE, [404, 404, 404, 404, 404, 404])
  logErrors(2 * MINUTE, [404, 404, 404, 404, 404, 404])
  logErrors(7 * MINUTE, [502, 503], '/payments')
  logErrors(12 * MINUTE, [404, 404, 404, 404, 404, 429])
  const runs: ActionRun[] = []
  for (const minute of [0, 5, 10, 15, 20, 25]) runs.push(await runAt(minute, extra))
  return runs
}

describe('the incident card', () => {
  it('six runs of one incident: 1 card, 5 edits, a reply per run and one for the resolution, 2 mentions', async () => {
    const runs = await sixRuns()

    expect(emulator.slackApi.counts(CHANNEL)).toEqual({ posts: 1, updates: 5, replies: 7 })
    const [card, ...others] = emulator.slackApi.messages(CHANNEL)
    expect(others).toEqual([])
    if (!card) throw new Error('no card')
    expect(card.history).toHaveLength(6)
    expect(card.replies).toHaveLength(7)

    // The mention: in the card as posted (4xx opened it) and in the reply of the 5xx window, nowhere else.
    const withMention = [card.history[0], ...card.replies].filter((m) => m && textOf(m).includes('<!here>'))
    expect(withMention).toHaveLength(2)
    expect(textOf(card.replies[2] as { text: string })).toContain('<!here>')
    expect(textOf(card.replies[2] as { text: string })).toContain('502')

    // The card as it is now: resolved, with the totals of all six runs.
    const now = textOf(card)
    expect(now).toMatch(/resolved/i)
    expect(now).toContain('/payments')
    expect(now).toMatch(/20\D/)
    expect(textOf(card.replies[6] as { text: string })).toMatch(/resolved/i)

    // The outputs name the incident and the card.
    const ids = new Set(runs.map((run) => run.outputs['incident-id']))
    expect(ids.size).toBe(1)
    expect(runs.map((run) => run.outputs['incident-state'])).toEqual([
      'opened',
      'updated',
      'updated',
      'updated',
      'updated',
      'resolved',
    ])
    expect(runs[0]?.outputs['slack-ts']).toBe(card.ts)
    expect(runs[5]?.summary).toContain(`Incident ${runs[0]?.outputs['incident-id']} resolved`)
  })

  it('a recurrence 20 minutes after it resolved reopens the same card; one 2 hours later opens a new one', async () => {
    await sixRuns()
    const [card] = emulator.slackApi.messages(CHANNEL)
    for (const minute of [30, 35, 40]) expect((await runAt(minute)).outputs['incident-state']).toBe('none')

    logErrors(43 * MINUTE, [500])
    const reopened = await runAt(45)
    expect(reopened.outputs['incident-state']).toBe('opened')
    expect(reopened.outputs['slack-ts']).toBe(card?.ts)
    expect(emulator.slackApi.counts(CHANNEL).posts).toBe(1)
    expect(textOf(emulator.slackApi.messages(CHANNEL)[0]?.replies.at(-1) as { text: string })).toContain(
      '<!here>',
    )

    for (const minute of [50, 55]) await runAt(minute)
    expect(emulator.slackApi.messages(CHANNEL)[0]?.text).toMatch(/resolved/i)

    logErrors(172 * MINUTE, [503])
    const later = await runAt(175)
    expect(later.outputs['incident-state']).toBe('opened')
    expect(later.outputs['incident-id']).not.toBe(reopened.outputs['incident-id'])
    expect(emulator.slackApi.counts(CHANNEL).posts).toBe(2)
    expect(later.outputs['slack-ts']).not.toBe(card?.ts)
  })

  it('a card deleted in Slack is replaced by a new one, and the run says so', async () => {
    logErrors(-3 * MINUTE, [502])
    await runAt(0)
    const [card] = emulator.slackApi.messages(CHANNEL)
    if (!card) throw new Error('no card')
    emulator.slackApi.deleteMessage(card.channel, card.ts)
    logErrors(2 * MINUTE, [503])
    const run = await runAt(5)
    expect(run.stdout).toContain('was deleted in Slack: posting a new card')
    const cards = emulator.slackApi.messages(CHANNEL).filter((message) => !message.deleted)
    expect(cards).toHaveLength(1)
    expect(run.outputs['slack-ts']).toBe(cards[0]?.ts)
  })

  it('a channel the bot may not post in fails the step naming the channel and the fix; the other channel still gets its card', async () => {
    emulator.slackApi.addChannel({ name: 'private-ops', isPrivate: true })
    logErrors(-3 * MINUTE, [502])
    const run = await timeline.runAt(0, inputs({ 'slack-channel': `${CHANNEL}\n#private-ops` }))
    expect(run.exitCode).not.toBe(0)
    expect(run.stdout).toContain('#private-ops')
    expect(run.stdout).toMatch(/invite|chat:write\.public/)
    // #alerts got its card all the same.
    expect(emulator.slackApi.counts(CHANNEL).posts).toBe(1)
    expect(readFileSync(stateFile, 'utf8')).toContain('"incident"')
  })
})

describe('notify-on-error in bot-token mode', () => {
  it('a failing monitor says so in the channel once, as a message of its own, and says when it runs again', async () => {
    emulator.failNextQuery('Failed')
    const failed = await timeline.runAt(0, inputs())
    expect(failed.exitCode).not.toBe(0)
    const [notice] = emulator.slackApi.messages(CHANNEL)
    expect(notice && textOf(notice)).toMatch(/failed and is not checking logs/)
    expect(notice?.replies).toEqual([])

    const again = await runAt(5)
    expect(again.outputs['incident-state']).toBe('none')
    const messages = emulator.slackApi.messages(CHANNEL)
    expect(messages).toHaveLength(2)
    expect(textOf(messages[1] as { text: string })).toMatch(/running again/i)
  })
})

describe('the GitHub issue as the record', () => {
  it('six runs: 1 issue opened, one comment per run, closed at resolution with its comment', async () => {
    const runs = await sixRuns({ 'github-issue': 'true', 'github-token': emulator.github.token })
    const issues = emulator.github.issues()
    expect(issues).toHaveLength(1)
    const [issue] = issues
    expect(issue?.state).toBe('closed')
    // One comment per window, then the resolution.
    expect(issue?.comments).toHaveLength(7)
    expect(issue?.labels).toContain('severity: 5xx')
    expect(runs.every((run) => run.outputs['issue-number'] === String(issue?.number))).toBe(true)
    // The Slack card went on as before.
    expect(emulator.slackApi.counts(CHANNEL)).toEqual({ posts: 1, updates: 5, replies: 7 })
  })
})
