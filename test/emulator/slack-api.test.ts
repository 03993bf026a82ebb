import { ErrorCode, type WebAPIPlatformError, type WebAPIRateLimitedError, WebClient } from '@slack/web-api'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type Emulator, startEmulator } from './index.js'
import { fakeClock, rejection, T0 } from './test-helpers.js'

let emulator: Emulator

beforeEach(async () => {
  emulator = await startEmulator({ now: fakeClock().now })
})

afterEach(async () => {
  await emulator.stop()
})

const silent = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  setLevel() {},
  getLevel: () => 'error' as never,
  setName() {},
}

/** The real client against the emulator, failing at once (no retries of its own). */
function client(
  token: string | undefined = emulator.slackApi.token,
  options: { rejectRateLimitedCalls?: boolean } = {},
) {
  return new WebClient(token, {
    slackApiUrl: emulator.slackApi.url,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: options.rejectRateLimitedCalls ?? true,
    logger: silent,
  })
}

async function platformError(promise: Promise<unknown>): Promise<WebAPIPlatformError['data']> {
  const error = (await rejection(promise)) as unknown as WebAPIPlatformError
  expect(error.code).toBe(ErrorCode.PlatformError)
  return error.data
}

const card = (text: string) => ({
  text,
  attachments: [
    {
      color: '#d00000',
      fallback: text,
      blocks: [
        { type: 'header' as const, text: { type: 'plain_text' as const, text } },
        { type: 'section' as const, text: { type: 'mrkdwn' as const, text: `*${text}*` } },
      ],
    },
  ],
})

describe('auth.test', () => {
  it('names the team and the bot for a known token', async () => {
    const answer = await client().auth.test()
    expect(answer).toMatchObject({
      ok: true,
      team: 'Emulator',
      team_id: 'T0EMULATOR',
      user: 'insights-watch',
      user_id: 'U0BOT00001',
      bot_id: 'B0BOT00001',
      url: 'https://emulator.slack.com/',
    })
    // The token's scopes, from the x-oauth-scopes header, as Slack sends them.
    expect(answer.response_metadata?.scopes).toEqual(['chat:write'])
  })

  it('refuses no token, an unknown one and a revoked one as Slack does', async () => {
    expect((await platformError(client('').auth.test())).error).toBe('not_authed')
    expect((await platformError(client('xoxb-not-a-token').auth.test())).error).toBe('invalid_auth')
    const token = emulator.slackApi.createToken(['chat:write'])
    emulator.slackApi.revokeToken(token)
    expect((await platformError(client(token).auth.test())).error).toBe('token_revoked')
    expect(emulator.slackApi.calls.map((c) => [c.method, c.ok, c.error])).toEqual([
      ['auth.test', false, 'not_authed'],
      ['auth.test', false, 'invalid_auth'],
      ['auth.test', false, 'token_revoked'],
    ])
  })
})

describe('chat.postMessage', () => {
  it('posts to #name and answers the channel ID, the ts and the message, as Slack does', async () => {
    const answer = await client().chat.postMessage({ channel: '#alerts', ...card('3 errors') })
    expect(answer).toMatchObject({
      ok: true,
      channel: 'C0ALERTS01',
      ts: `${T0 / 1000}.000000`,
      message: { type: 'message', text: '3 errors', bot_id: 'B0BOT00001', ts: `${T0 / 1000}.000000` },
    })
    const [message] = emulator.slackApi.messages('#alerts')
    expect(message).toMatchObject({
      channel: 'C0ALERTS01',
      ts: answer.ts,
      text: '3 errors',
      attachments: card('3 errors').attachments,
      broadcast: false,
      replies: [],
      deleted: false,
    })
    expect(message?.history).toHaveLength(1)
    // The form body's JSON fields are read back as objects, the token is not kept.
    expect(emulator.slackApi.calls[0]?.params).toMatchObject({
      channel: '#alerts',
      attachments: card('3 errors').attachments,
    })
    expect(JSON.stringify(emulator.calls)).not.toContain(emulator.slackApi.token)
  })

  it('gives each message its own increasing ts, even when the clock stands still', async () => {
    const a = await client().chat.postMessage({ channel: 'C0ALERTS01', text: 'a' })
    const b = await client().chat.postMessage({ channel: 'alerts', text: 'b' })
    expect(a.ts).toBe(`${T0 / 1000}.000000`)
    expect(b.ts).toBe(`${T0 / 1000}.000001`)
    expect(emulator.slackApi.messages('C0ALERTS01').map((m) => m.text)).toEqual(['a', 'b'])
  })

  it('replies in a thread, broadcast or not, and a reply to a reply joins its parent', async () => {
    const parent = await client().chat.postMessage({ channel: '#alerts', ...card('card') })
    const ts = parent.ts ?? ''
    const first = await client().chat.postMessage({
      channel: 'C0ALERTS01',
      thread_ts: ts,
      text: 'still failing',
    })
    await client().chat.postMessage({
      channel: '#alerts',
      thread_ts: ts,
      text: 'resolved',
      reply_broadcast: true,
    })
    await client().chat.postMessage({ channel: '#alerts', thread_ts: first.ts ?? '', text: 'nested' })
    expect(first.message?.thread_ts).toBe(ts)
    const [message] = emulator.slackApi.messages('#alerts')
    expect(message?.replies.map((r) => [r.text, r.threadTs, r.broadcast])).toEqual([
      ['still failing', ts, false],
      ['resolved', ts, true],
      ['nested', ts, false],
    ])
    expect(emulator.slackApi.counts('#alerts')).toEqual({ posts: 1, replies: 3, updates: 0 })
  })

  it('refuses a thread it does not know, or whose parent was deleted', async () => {
    expect(
      (
        await platformError(
          client().chat.postMessage({ channel: '#alerts', thread_ts: '1.000001', text: 'x' }),
        )
      ).error,
    ).toBe('thread_not_found')
    const parent = await client().chat.postMessage({ channel: '#alerts', text: 'card' })
    emulator.slackApi.deleteMessage('#alerts', parent.ts ?? '')
    expect(
      (
        await platformError(
          client().chat.postMessage({ channel: '#alerts', thread_ts: parent.ts ?? '', text: 'x' }),
        )
      ).error,
    ).toBe('thread_not_found')
  })

  it('answers channel_not_found, not_in_channel and is_archived by the channel table', async () => {
    const general = emulator.slackApi.addChannel({ name: 'general' })
    emulator.slackApi.addChannel({ name: 'secret', isPrivate: true })
    const team = emulator.slackApi.addChannel({ name: 'team', isPrivate: true, botIsMember: true })
    expect([general, team]).toEqual(['C000000002', 'G000000004'])
    emulator.slackApi.addChannel({ name: 'old', botIsMember: true, isArchived: true })
    const post = (channel: string, token?: string) => client(token).chat.postMessage({ channel, text: 'x' })
    expect((await platformError(post('#nowhere'))).error).toBe('channel_not_found')
    // A private channel the app is not in does not exist, for the app.
    expect((await platformError(post('#secret'))).error).toBe('channel_not_found')
    expect((await platformError(post('#general'))).error).toBe('not_in_channel')
    expect((await platformError(post('#old'))).error).toBe('is_archived')
    await expect(post('#team')).resolves.toMatchObject({ ok: true, channel: team })
    // chat:write.public posts in any public channel, still not in a private one.
    const publicToken = emulator.slackApi.createToken(['chat:write', 'chat:write.public'])
    await expect(post('#general', publicToken)).resolves.toMatchObject({ ok: true, channel: general })
    expect((await platformError(post('#secret', publicToken))).error).toBe('channel_not_found')
  })

  it('answers missing_scope with the scope needed and those provided', async () => {
    const token = emulator.slackApi.createToken(['channels:read', 'users:read'])
    const data = await platformError(client(token).chat.postMessage({ channel: '#alerts', text: 'x' }))
    expect(data).toMatchObject({
      error: 'missing_scope',
      needed: 'chat:write',
      provided: 'channels:read,users:read',
    })
  })

  it('refuses blocks Slack would refuse, saying what and where', async () => {
    const long = 'x'.repeat(3001)
    const data = await platformError(
      client().chat.postMessage({
        channel: '#alerts',
        text: 't',
        attachments: [{ blocks: [{ type: 'section', text: { type: 'mrkdwn', text: long } }] }],
      }),
    )
    expect(data.error).toBe('invalid_blocks')
    expect(data.response_metadata?.messages).toEqual([
      '[ERROR] must be less than 3001 characters [json-pointer:/attachments/0/blocks/0/text/text]',
    ])
    expect(
      (await platformError(client().chat.postMessage({ channel: '#alerts', text: 'y'.repeat(40_001) })))
        .error,
    ).toBe('msg_too_long')
    expect((await platformError(client().chat.postMessage({ channel: '#alerts', text: '' }))).error).toBe(
      'no_text',
    )
    expect(emulator.slackApi.messages('#alerts')).toEqual([])
  })

  it('takes a JSON body with a Bearer token, as Slack does', async () => {
    const response = await fetch(`${emulator.slackApi.url}chat.postMessage`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${emulator.slackApi.token}`,
        'content-type': 'application/json; charset=utf-8',
      },
      body: JSON.stringify({
        channel: '#alerts',
        text: 'json',
        attachments: [{ color: '#2eb67d', fallback: 'f' }],
      }),
    })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8')
    expect(await response.json()).toMatchObject({ ok: true, channel: 'C0ALERTS01' })
    expect(emulator.slackApi.messages('#alerts')[0]?.attachments).toEqual([
      { color: '#2eb67d', fallback: 'f' },
    ])
  })
})

describe('chat.update', () => {
  it('edits the message, keeps every version, and answers as Slack does', async () => {
    const posted = await client().chat.postMessage({ channel: '#alerts', ...card('3 errors') })
    const ts = posted.ts ?? ''
    const answer = await client().chat.update({ channel: 'C0ALERTS01', ts, ...card('5 errors') })
    expect(answer).toMatchObject({
      ok: true,
      channel: 'C0ALERTS01',
      ts,
      text: '5 errors',
      message: { text: '5 errors' },
    })
    await client().chat.update({ channel: 'C0ALERTS01', ts, text: 'resolved' })
    const message = emulator.slackApi.message('#alerts', ts)
    // Attachments left out of an update are kept, as Slack keeps them.
    expect(message?.text).toBe('resolved')
    expect(message?.attachments).toEqual(card('5 errors').attachments)
    expect(message?.history.map((v) => v.text)).toEqual(['3 errors', '5 errors', 'resolved'])
    expect(emulator.slackApi.counts('#alerts')).toEqual({ posts: 1, replies: 0, updates: 2 })
  })

  it('answers message_not_found for an unknown ts and a deleted message', async () => {
    expect(
      (await platformError(client().chat.update({ channel: 'C0ALERTS01', ts: '1.000001', text: 'x' }))).error,
    ).toBe('message_not_found')
    const posted = await client().chat.postMessage({ channel: '#alerts', text: 'card' })
    emulator.slackApi.deleteMessage('C0ALERTS01', posted.ts ?? '')
    expect(
      (await platformError(client().chat.update({ channel: 'C0ALERTS01', ts: posted.ts ?? '', text: 'x' })))
        .error,
    ).toBe('message_not_found')
    expect(emulator.slackApi.message('#alerts', posted.ts ?? '')?.deleted).toBe(true)
  })

  it('takes the channel ID only (a name is channel_not_found)', async () => {
    const posted = await client().chat.postMessage({ channel: '#alerts', text: 'card' })
    expect(
      (await platformError(client().chat.update({ channel: '#alerts', ts: posted.ts ?? '', text: 'x' })))
        .error,
    ).toBe('channel_not_found')
  })
})

describe('faults', () => {
  it('answers 429 with Retry-After: the client rejects it with the wait when told to', async () => {
    emulator.inject({ service: 'slack-api', action: 'chat.postMessage', retryAfterSeconds: 7 })
    const error = (await rejection(
      client().chat.postMessage({ channel: '#alerts', text: 'x' }),
    )) as unknown as WebAPIRateLimitedError
    expect(error.code).toBe(ErrorCode.RateLimitedError)
    expect(error.retryAfter).toBe(7)
    expect(emulator.slackApi.calls.map((c) => [c.status, c.error])).toEqual([[429, 'ratelimited']])
    expect(emulator.slackApi.messages('#alerts')).toEqual([])
  })

  it('answers 429 that WebClient waits out by itself when configured to', async () => {
    emulator.inject({ service: 'slack-api', action: 'chat.postMessage', retryAfterSeconds: 0, times: 2 })
    const webClient = new WebClient(emulator.slackApi.token, {
      slackApiUrl: emulator.slackApi.url,
      retryConfig: { retries: 2, minTimeout: 0, maxTimeout: 0 },
      logger: silent,
    })
    await expect(webClient.chat.postMessage({ channel: '#alerts', text: 'x' })).resolves.toMatchObject({
      ok: true,
    })
    expect(emulator.slackApi.calls.map((c) => c.status)).toEqual([429, 429, 200])
  })

  it('answers a body fault as a platform error, or as the JSON given', async () => {
    emulator.inject({ service: 'slack-api', body: 'fatal_error' })
    expect((await platformError(client().auth.test())).error).toBe('fatal_error')
    emulator.inject({
      service: 'slack-api',
      body: '{"ok":false,"error":"missing_scope","needed":"chat:write.public","provided":"chat:write"}',
    })
    expect(await platformError(client().chat.postMessage({ channel: '#alerts', text: 'x' }))).toMatchObject({
      needed: 'chat:write.public',
    })
  })
})

describe('previewHtml', () => {
  it('renders the card as it is now, with its replies under it', async () => {
    const posted = await client().chat.postMessage({ channel: '#alerts', ...card('3 errors') })
    const ts = posted.ts ?? ''
    await client().chat.update({ channel: 'C0ALERTS01', ts, ...card('5 errors') })
    await client().chat.postMessage({ channel: '#alerts', thread_ts: ts, text: 'window 12:05: *2* more' })
    await client().chat.postMessage({
      channel: '#alerts',
      thread_ts: ts,
      text: 'resolved',
      reply_broadcast: true,
    })
    const html = emulator.slackApi.previewHtml('#alerts', ts, { time: '9:41 AM' })
    expect(html).toContain('<span class="hash">#</span> alerts')
    expect(html).toContain('<div class="header">5 errors</div>')
    expect(html).not.toContain('3 errors')
    expect(html).toContain('<span class="edited">(edited)</span>')
    expect(html).toContain('<span class="reply-count">2 replies</span>')
    expect(html).toContain('window 12:05: <b>2</b> more')
    expect(html).toContain('Also sent to <span class="hash">#</span>alerts')
    // The card shows in the channel and again at the top of its thread, then the replies in order.
    expect(html.indexOf('window 12:05')).toBeGreaterThan(html.lastIndexOf('5 errors'))
    expect(html.indexOf('resolved')).toBeGreaterThan(html.indexOf('window 12:05'))
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none';`)
  })
})
