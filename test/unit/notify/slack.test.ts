import { describe, expect, it, vi } from 'vitest'
import { buildSlackMessage } from '../../../src/notify/digest-message.js'
import { formatDryRun, postEach, postToSlack } from '../../../src/notify/slack.js'
import { makeReport, typicalEntries } from './fixtures.js'

const SECRET = 'T0000/B0000/XXXXsecretXXXX'
const URL_1 = `https://hooks.slack.com/services/${SECRET}`
const URL_2 = 'https://hooks.slack.com/services/T1111/B1111/YYYYotherYYYY'

const message = buildSlackMessage(makeReport({ entries: typicalEntries() }))

type Reply = Response | Error

/** A fake Slack: answers each POST with the next reply (per URL) and records what was posted. */
function fakeSlack(replies: Record<string, Reply[]>) {
  const posts: { url: string; body: unknown }[] = []
  const fetch = vi.fn(async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input)
    posts.push({ url, body: JSON.parse(String(init?.body)) })
    const reply = replies[url]?.shift() ?? new Response('ok', { status: 200 })
    if (reply instanceof Error) throw reply
    return reply
  })
  const sleeps: number[] = []
  const lines: string[] = []
  const deps = {
    fetch: fetch as unknown as typeof globalThis.fetch,
    sleep: async (ms: number) => {
      sleeps.push(ms)
    },
    log: (line: string) => lines.push(line),
    random: () => 0.5,
  }
  return { posts, sleeps, lines, deps }
}

const slack = (status: number, body: string, headers: Record<string, string> = {}) =>
  new Response(body, { status, headers })

describe('postToSlack', () => {
  it('posts the message once, as the JSON payload Slack expects', async () => {
    const { posts, sleeps, lines, deps } = fakeSlack({})
    await postToSlack(message, [URL_1], deps)
    expect(posts).toEqual([{ url: URL_1, body: JSON.parse(JSON.stringify(message)) }])
    expect(sleeps).toEqual([])
    expect(lines).toEqual(['Slack: posted to webhook 1 of 1.'])
  })

  it('on 429 waits the seconds Retry-After asks for, then delivers once', async () => {
    const { posts, sleeps, lines, deps } = fakeSlack({
      [URL_1]: [slack(429, 'rate_limited', { 'Retry-After': '3' })],
    })
    await postToSlack(message, [URL_1], deps)
    expect(sleeps).toEqual([3_000])
    expect(posts).toHaveLength(2)
    expect(lines).toEqual([
      'Slack: webhook 1 of 1 answered HTTP 429 rate_limited; retrying in 3 s (attempt 2 of 5).',
      'Slack: posted to webhook 1 of 1 on attempt 2.',
    ])
  })

  it('waits 1 s on a 429 without Retry-After, and never more than 60 s', async () => {
    const { sleeps, deps } = fakeSlack({
      [URL_1]: [slack(429, 'rate_limited'), slack(429, 'rate_limited', { 'Retry-After': '3600' })],
    })
    await postToSlack(message, [URL_1], deps)
    expect(sleeps).toEqual([1_000, 60_000])
  })

  it('retries a 5xx with growing waits of at least a second', async () => {
    const { posts, sleeps, deps } = fakeSlack({
      [URL_1]: [slack(500, 'rollup_error'), slack(503, ''), slack(502, 'Bad Gateway')],
    })
    await postToSlack(message, [URL_1], deps)
    expect(posts).toHaveLength(4)
    expect(sleeps).toHaveLength(3)
    expect(sleeps[0]).toBeGreaterThanOrEqual(1_000)
    expect(sleeps[1]).toBeGreaterThan(sleeps[0] ?? 0)
    expect(sleeps[2]).toBeGreaterThan(sleeps[1] ?? 0)
    for (const ms of sleeps) expect(ms).toBeLessThanOrEqual(8_000)
  })

  it('retries a network error', async () => {
    const { posts, lines, deps } = fakeSlack({
      [URL_1]: [
        new TypeError('fetch failed', { cause: Object.assign(new Error('x'), { code: 'ECONNRESET' }) }),
      ],
    })
    await postToSlack(message, [URL_1], deps)
    expect(posts).toHaveLength(2)
    expect(lines[0]).toMatch(
      /^Slack: webhook 1 of 1 answered a network error: fetch failed \(ECONNRESET\); retrying/,
    )
  })

  it('fails at once on 400 invalid_payload, with Slack’s error and the status', async () => {
    const { posts, sleeps, deps } = fakeSlack({ [URL_1]: [slack(400, 'invalid_payload')] })
    await expect(postToSlack(message, [URL_1], deps)).rejects.toThrow(
      'Slack rejected the message for webhook 1 of 1: HTTP 400 invalid_payload. Slack could not read the message',
    )
    expect(posts).toHaveLength(1)
    expect(sleeps).toEqual([])
  })

  it('tells the user what to do about a deleted channel', async () => {
    const { deps } = fakeSlack({ [URL_1]: [slack(404, 'channel_not_found')] })
    await expect(postToSlack(message, [URL_1], deps)).rejects.toThrow(
      /HTTP 404 channel_not_found\. .*create a new webhook and update the secret/,
    )
  })

  it('gives up after the attempts run out, naming the last status', async () => {
    const { posts, deps } = fakeSlack({
      [URL_1]: Array.from({ length: 10 }, () => slack(503, 'service_unavailable')),
    })
    await expect(postToSlack(message, [URL_1], { ...deps, maxAttempts: 3 })).rejects.toThrow(
      'Slack: gave up on webhook 1 of 1 after 3 attempts; the last one got HTTP 503 service_unavailable.',
    )
    expect(posts).toHaveLength(3)
  })

  it('never puts the webhook URL in an error or a log line, even when Slack echoes it', async () => {
    const { deps, lines } = fakeSlack({
      [URL_1]: [
        slack(500, `upstream error posting to ${URL_1}`),
        new TypeError(`request to ${URL_1} failed`),
        slack(403, `invalid_token for /services/${SECRET}`),
      ],
    })
    const error = await postToSlack(message, [URL_1], deps).then(
      () => undefined,
      (caught: unknown) => caught,
    )
    expect(error).toBeInstanceOf(Error)
    const everything = [String(error), (error as Error).stack ?? '', ...lines].join('\n')
    expect(everything).not.toContain(SECRET)
    expect(everything).toContain('[webhook URL]')
    expect(everything).toContain('webhook 1 of 1')
  })

  it('posts one message to each webhook', async () => {
    const { posts, lines, deps } = fakeSlack({})
    await postToSlack(message, [URL_1, URL_2], deps)
    expect(posts.map((post) => post.url).sort()).toEqual([URL_1, URL_2].sort())
    expect(lines.sort()).toEqual(['Slack: posted to webhook 1 of 2.', 'Slack: posted to webhook 2 of 2.'])
  })

  it('still posts to the other webhooks when one fails, then fails naming it', async () => {
    const { posts, deps } = fakeSlack({ [URL_2]: [slack(410, 'channel_is_archived')] })
    await expect(postToSlack(message, [URL_1, URL_2], deps)).rejects.toThrow(
      /^Slack rejected the message for webhook 2 of 2: HTTP 410 channel_is_archived\./,
    )
    expect(posts.filter((post) => post.url === URL_1)).toHaveLength(1)
  })

  it('posts once when the same webhook is listed twice', async () => {
    const { posts, lines, deps } = fakeSlack({})
    await postToSlack(message, [URL_1, URL_1], deps)
    expect(posts).toHaveLength(1)
    expect(lines).toContain('Slack: webhook 2 of 2 is the same as webhook 1; posting there once.')
  })
})

describe('what counts as taken', () => {
  it('fails on a 200 whose answer is not `ok`, with Slack’s text and what to do, without retrying', async () => {
    const { posts, sleeps, deps } = fakeSlack({ [URL_1]: [slack(200, 'no_service')] })
    await expect(postToSlack(message, [URL_1], deps)).rejects.toThrow(
      'Slack rejected the message for webhook 1 of 1: HTTP 200 no_service. The webhook was revoked',
    )
    expect(posts).toHaveLength(1)
    expect(sleeps).toEqual([])
  })

  it('fails on an empty or foreign 2xx answer, saying a Slack webhook answers `ok`', async () => {
    const { deps } = fakeSlack({
      [URL_1]: [slack(202, '')],
      [URL_2]: [slack(200, '<html>\n##[error]Welcome to our proxy</html>')],
    })
    const outcomes = await postEach(message, [URL_1, URL_2], deps)
    expect(outcomes[0]?.error?.message).toBe(
      'Slack rejected the message for webhook 1 of 2: HTTP 202 (an empty answer). A Slack incoming webhook answers `ok` when it takes a message; check that slack-webhook-url holds a Slack incoming-webhook URL.',
    )
    // One line (workflow-log.ts makes it inert where it is printed; test/e2e/workflow-commands.test.ts).
    expect(outcomes[1]?.error?.message).toContain('HTTP 200 <html> ##[error]Welcome to our proxy</html>')
    expect(outcomes[1]?.error?.message).not.toContain('\n')
  })

  it('takes `ok` with surrounding whitespace as delivered', async () => {
    const { deps } = fakeSlack({ [URL_1]: [slack(200, 'ok\n')] })
    await expect(postToSlack(message, [URL_1], deps)).resolves.toBeUndefined()
  })
})

describe('postEach', () => {
  it('resolves to each webhook’s outcome in input order, a duplicate sharing the first one’s', async () => {
    const { posts, deps } = fakeSlack({ [URL_2]: [slack(404, 'channel_not_found')] })
    const outcomes = await postEach(message, [URL_1, URL_2, URL_2], deps)
    expect(posts).toHaveLength(2)
    expect(outcomes.map((o) => [o.name, o.error?.message.slice(0, 46)])).toEqual([
      ['webhook 1 of 3', undefined],
      ['webhook 2 of 3', 'Slack rejected the message for webhook 2 of 3:'],
      ['webhook 3 of 3', 'Slack rejected the message for webhook 2 of 3:'],
    ])
  })
})

describe('cancellation', () => {
  it('aborts the request in flight and does not retry', async () => {
    const controller = new AbortController()
    const seen: (AbortSignal | undefined)[] = []
    const fetch = vi.fn(
      (_url: string | URL | Request, init?: RequestInit) =>
        new Promise<Response>((_resolve, reject) => {
          seen.push(init?.signal ?? undefined)
          init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')))
        }),
    )
    const lines: string[] = []
    const posting = postEach(message, [URL_1], {
      fetch: fetch as unknown as typeof globalThis.fetch,
      sleep: async () => {},
      log: (line) => lines.push(line),
      signal: controller.signal,
    })
    await vi.waitFor(() => expect(fetch).toHaveBeenCalledTimes(1))
    controller.abort(new Error('cancelled'))
    const [outcome] = await posting
    expect(outcome?.cancelled).toBe(true)
    expect(outcome?.error?.message).toMatch(/cancelled before webhook 1 of 1 took the message/)
    expect(fetch).toHaveBeenCalledTimes(1)
    expect(lines.filter((line) => line.includes('retrying'))).toEqual([])
  })

  it('stops waiting between retries when the job is cancelled', async () => {
    const controller = new AbortController()
    const { posts, deps } = fakeSlack({
      [URL_1]: [slack(500, 'rollup_error'), slack(500, 'rollup_error'), slack(500, 'rollup_error')],
    })
    const never = () => new Promise<void>(() => {})
    const posting = postEach(message, [URL_1], {
      ...deps,
      sleep: () => {
        controller.abort()
        return never()
      },
      signal: controller.signal,
    })
    const [outcome] = await posting
    expect(outcome?.cancelled).toBe(true)
    expect(posts).toHaveLength(1)
  })
})

describe('formatDryRun', () => {
  it('prints the payload and how many webhooks would get it, without any URL', () => {
    const printed = formatDryRun(message, 2)
    const [first, ...rest] = printed.split('\n')
    expect(first).toBe('dry-run: this Slack message would be posted to 2 webhooks (not sent):')
    expect(JSON.parse(rest.join('\n'))).toEqual(JSON.parse(JSON.stringify(message)))
    expect(printed).not.toContain('hooks.slack.com')
  })

  it('says when no webhook is configured', () => {
    expect(formatDryRun(message, 0)).toMatch(/^No slack-webhook-url is set/)
  })
})
