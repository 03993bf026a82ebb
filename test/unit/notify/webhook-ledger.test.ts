import { describe, expect, it } from 'vitest'
import { buildSlackMessage } from '../../../src/notify/digest-message.js'
import {
  type MissedDeliveries,
  parseWebhookLedger,
  type WebhookLedger,
  webhookKey,
} from '../../../src/notify/missed-deliveries.js'
import { deliverWithLedger, type LedgerRun, type RunMessage } from '../../../src/notify/webhook-ledger.js'
import { parseCheckpoint } from '../../../src/state/checkpoint.js'
import { makeReport, typicalEntries } from './fixtures.js'

const URL_1 = 'https://hooks.slack.com/services/T0000/B0000/XXXXfirstXXXX'
const URL_2 = 'https://hooks.slack.com/services/T1111/B1111/YYYYsecondYYYY'
const HOUR = 3600

const runMessage = (start: number, total = 3): RunMessage => ({
  message: buildSlackMessage(makeReport({ entries: typicalEntries() })),
  what: 'alert',
  told: { total, critical: 2, warning: total - 2 },
  window: { start, end: start + 299 },
})

/** A fake Slack answering each URL with its next status and text (200 `ok` once they run out). */
function fakeSlack(replies: Record<string, [number, string][]>) {
  const posts: { url: string; text: string }[] = []
  const fetch = async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input)
    posts.push({ url, text: String(init?.body) })
    const [status, body] = replies[url]?.shift() ?? [200, 'ok']
    return new Response(body, { status })
  }
  const lines: string[] = []
  const warnings: string[] = []
  return {
    posts,
    lines,
    warnings,
    deps: {
      fetch: fetch as unknown as typeof globalThis.fetch,
      sleep: async () => {},
      log: (line: string) => lines.push(line),
    },
    context: (now: number): LedgerRun => ({
      now,
      runUrl: `https://github.com/acme/api/actions/runs/${now}`,
      consoleUrl: (window) => `https://console.example/?start=${window.start}&end=${window.end}`,
      warn: (line) => warnings.push(line),
    }),
  }
}

const settings = (urls: string[], notifyOnError = true) => ({
  monitorName: 'api-errors',
  slackWebhookUrls: urls,
  notifyOnError,
  reminderSeconds: HOUR,
})

const postedTo = (posts: { url: string; text: string }[], url: string) =>
  posts.filter((post) => post.url === url).map((post) => post.text)

describe('deliverWithLedger', () => {
  it('when every webhook fails, keeps the checkpoint and changes nothing', async () => {
    const slack = fakeSlack({ [URL_1]: [[404, 'channel_not_found']], [URL_2]: [[403, 'invalid_token']] })
    const previous: WebhookLedger = {}
    const sent = await deliverWithLedger(
      runMessage(1000),
      previous,
      settings([URL_1, URL_2]),
      slack.context(2000),
      slack.deps,
    )
    expect(sent.keepCheckpoint).toBe(true)
    expect(sent.delivered).toBe(0)
    expect(sent.ledger).toEqual({})
    expect(sent.failures.join(' ')).toMatch(
      /webhook 1 of 2: HTTP 404 channel_not_found.*webhook 2 of 2: HTTP 403/,
    )
  })

  it('when one fails, moves on and remembers what it missed by a hash of its URL, telling the other once', async () => {
    const slack = fakeSlack({
      [URL_2]: [
        [404, 'channel_not_found'],
        [404, 'channel_not_found'],
      ],
    })
    const first = await deliverWithLedger(
      runMessage(1000),
      undefined,
      settings([URL_1, URL_2]),
      slack.context(1400),
      slack.deps,
    )
    expect(first.keepCheckpoint).toBe(false)
    expect(first.delivered).toBe(1)
    const key = webhookKey(URL_2)
    expect(first.ledger).toEqual({
      [key]: {
        since: 1400,
        messages: 1,
        entries: 3,
        critical: 2,
        warning: 1,
        from: 1000,
        to: 1299,
        runUrls: ['https://github.com/acme/api/actions/runs/1400'],
        problem: 'HTTP 404 channel_not_found',
        notifiedAt: 1400,
      },
    })
    expect(JSON.stringify(first.ledger)).not.toContain('YYYYsecondYYYY')
    expect(first.failures).toEqual([
      expect.stringMatching(/^Slack rejected the message for webhook 2 of 2: HTTP 404/),
    ])
    // The healthy webhook got the alert and one notice naming the failing one by position.
    const toFirst = postedTo(slack.posts, URL_1)
    expect(toFirst).toHaveLength(2)
    expect(toFirst[1]).toContain('webhook 2 of 2 is failing')
    expect(toFirst[1]).not.toContain('YYYYsecondYYYY')

    const second = await deliverWithLedger(
      runMessage(1300, 5),
      first.ledger,
      settings([URL_1, URL_2]),
      slack.context(1700),
      slack.deps,
    )
    expect(second.ledger[key]).toMatchObject({ since: 1400, messages: 2, entries: 8, from: 1000, to: 1599 })
    // Inside the reminder period: no second notice.
    expect(postedTo(slack.posts, URL_1)).toHaveLength(3)
  })

  it('reminds the working webhooks once the reminder period is over', async () => {
    const slack = fakeSlack({ [URL_2]: [[404, 'channel_not_found']] })
    const previous: WebhookLedger = { [webhookKey(URL_2)]: missed({ notifiedAt: 1000 }) }
    const sent = await deliverWithLedger(
      runMessage(5000),
      previous,
      settings([URL_1, URL_2]),
      slack.context(1000 + HOUR),
      slack.deps,
    )
    expect(postedTo(slack.posts, URL_1).filter((text) => text.includes('is failing'))).toHaveLength(1)
    expect(sent.ledger[webhookKey(URL_2)]?.notifiedAt).toBe(1000 + HOUR)
  })

  it('sends a webhook that works again one catch-up after the run’s message, and clears its record only then', async () => {
    const slack = fakeSlack({})
    const previous: WebhookLedger = { [webhookKey(URL_2)]: missed({ notifiedAt: 1000 }) }
    const sent = await deliverWithLedger(
      runMessage(5000),
      previous,
      settings([URL_1, URL_2]),
      slack.context(6000),
      slack.deps,
    )
    expect(sent.ledger).toEqual({})
    expect(sent.failures).toEqual([])
    const toSecond = postedTo(slack.posts, URL_2)
    expect(toSecond).toHaveLength(2)
    expect(toSecond[1]).toContain('4 messages did not reach this channel')
    expect(toSecond[1]).toContain('https://console.example/?start=100&amp;end=900')
    expect(sent.webhooks[1]).toMatchObject({
      name: 'webhook 2 of 2',
      thisRun: 'delivered',
      caughtUp: previous[webhookKey(URL_2)],
    })
    // The others were told it failed, so they hear that it works again.
    expect(
      postedTo(slack.posts, URL_1).filter((text) => text.includes('webhook 2 of 2 works again')),
    ).toHaveLength(1)
  })

  it('keeps the record when the catch-up is refused, and fails naming the webhook', async () => {
    const slack = fakeSlack({
      [URL_2]: [
        [200, 'ok'],
        [400, 'invalid_blocks'],
      ],
    })
    const previous: WebhookLedger = { [webhookKey(URL_2)]: missed() }
    const sent = await deliverWithLedger(
      runMessage(5000),
      previous,
      settings([URL_1, URL_2]),
      slack.context(6000),
      slack.deps,
    )
    expect(sent.keepCheckpoint).toBe(false)
    expect(sent.ledger[webhookKey(URL_2)]).toMatchObject({ messages: 4, problem: 'HTTP 400 invalid_blocks' })
    expect(sent.failures).toEqual([expect.stringContaining('webhook 2 of 2: HTTP 400 invalid_blocks')])
  })

  it('tries the catch-up in a run with nothing else to send', async () => {
    const slack = fakeSlack({})
    const previous: WebhookLedger = { [webhookKey(URL_2)]: missed() }
    const sent = await deliverWithLedger(
      undefined,
      previous,
      settings([URL_1, URL_2]),
      slack.context(6000),
      slack.deps,
    )
    expect(slack.posts.map((post) => post.url)).toEqual([URL_2])
    expect(sent.ledger).toEqual({})
    expect(sent.webhooks.map((w) => w.thisRun)).toEqual(['nothing to send', 'caught up'])
  })

  it('forgets a webhook that is no longer in slack-webhook-url', async () => {
    const slack = fakeSlack({})
    const previous: WebhookLedger = { [webhookKey(URL_2)]: missed() }
    const sent = await deliverWithLedger(
      runMessage(5000),
      previous,
      settings([URL_1]),
      slack.context(6000),
      slack.deps,
    )
    expect(sent.ledger).toEqual({})
    expect(slack.posts).toHaveLength(1)
    expect(slack.lines).toContain('Slack: forgetting what a webhook no longer in slack-webhook-url missed.')
  })

  it('tells nobody without notify-on-error', async () => {
    const slack = fakeSlack({ [URL_2]: [[404, 'channel_not_found']] })
    const sent = await deliverWithLedger(
      runMessage(5000),
      undefined,
      settings([URL_1, URL_2], false),
      slack.context(6000),
      slack.deps,
    )
    expect(postedTo(slack.posts, URL_1)).toHaveLength(1)
    expect(sent.ledger[webhookKey(URL_2)]?.notifiedAt).toBeUndefined()
  })
})

describe('the ledger in the checkpoint', () => {
  const checkpoint = (missedByWebhook: unknown) =>
    JSON.stringify({ version: 1, checked: 100, reported: {}, savedAt: '', missedByWebhook })

  it('reads back what was saved, and states without it', () => {
    const ledger = { [webhookKey(URL_2)]: missed({ notifiedAt: 5 }) }
    expect(parseCheckpoint(checkpoint(ledger)).checkpoint).toMatchObject({ missedByWebhook: ledger })
    const older = parseCheckpoint(JSON.stringify({ version: 1, checked: 100, reported: {}, savedAt: '' }))
    expect(older.checkpoint).toBeDefined()
    expect(older.checkpoint && 'missedByWebhook' in older.checkpoint).toBe(false)
  })

  it('calls a malformed record a problem, like any other malformed field', () => {
    for (const bad of [
      [],
      { [URL_2]: missed() },
      { [webhookKey(URL_2)]: { ...missed(), messages: -1 } },
      { [webhookKey(URL_2)]: { ...missed(), runUrls: 'x' } },
    ]) {
      expect(parseWebhookLedger(bad)).toBeUndefined()
      const parsed = parseCheckpoint(checkpoint(bad))
      expect('problem' in parsed ? parsed.problem : parsed).toBe(
        'the saved state has a malformed record of missed Slack deliveries',
      )
    }
  })
})

function missed(extra: Partial<MissedDeliveries> = {}): MissedDeliveries {
  return {
    since: 200,
    messages: 4,
    entries: 12,
    critical: 5,
    warning: 7,
    from: 100,
    to: 900,
    runUrls: ['https://github.com/acme/api/actions/runs/1'],
    problem: 'HTTP 404 channel_not_found',
    ...extra,
  }
}
