import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { proxyAgents } from '../../../src/net/proxy.js'
import { header, type SlackMessage, section, slackMessage } from '../../../src/notify/blocks.js'
import {
  createSlackBot,
  type PostedMessage,
  type PostOptions,
  type SlackBot,
  type SlackBotDeps,
  SlackBotError,
  type SlackBotIdentity,
  SlackMessageNotFoundError,
} from '../../../src/notify/slack-bot.js'
import { type Emulator, startEmulator } from '../../emulator/index.js'
import { fakeClock, rejection } from '../../emulator/test-helpers.js'
import { startForwardProxy, TEST_DOMAIN } from '../../support/forward-proxy.js'

let emulator: Emulator
let sleeps: number[]
let logs: string[]

beforeEach(async () => {
  emulator = await startEmulator({ now: fakeClock().now })
  sleeps = []
  logs = []
})

afterEach(async () => {
  vi.unstubAllEnvs()
  await emulator.stop()
})

function deps(overrides: Partial<SlackBotDeps> = {}): SlackBotDeps {
  return {
    env: emulator.env,
    sleep: async (ms) => {
      sleeps.push(ms)
    },
    log: (line) => logs.push(line),
    random: () => 0,
    ...overrides,
  }
}

function bot(token = emulator.slackApi.token, overrides: Partial<SlackBotDeps> = {}): Promise<SlackBot> {
  return createSlackBot(token, deps(overrides))
}

function card(title: string, color = '#d00000'): SlackMessage {
  return slackMessage(title, { color, fallback: title, blocks: [header(title), section(`*${title}*`)] })
}

/** The error a call ends with, checked never to carry the token, in its message or the log. */
async function failure(promise: Promise<unknown>, token = emulator.slackApi.token): Promise<SlackBotError> {
  const error = await rejection(promise)
  expect(error).toBeInstanceOf(SlackBotError)
  expect(error.message).not.toContain(token)
  for (const line of logs) expect(line).not.toContain(token)
  return error as unknown as SlackBotError
}

const postCalls = () => emulator.slackApi.calls.filter((c) => c.method === 'chat.postMessage')

describe('posting, editing and replying', () => {
  it('posts a card to #name and answers the channel ID and ts', async () => {
    const message = card('shop-api: 3 errors')
    const posted = await (await bot()).postMessage('#alerts', message)
    const expected: PostedMessage = {
      channel: 'C0ALERTS01',
      ts: emulator.slackApi.messages('#alerts')[0]?.ts ?? '',
    }
    expect(posted).toEqual(expected)
    const [kept] = emulator.slackApi.messages('C0ALERTS01')
    expect(kept?.text).toBe(message.text)
    expect(kept?.attachments).toEqual(message.attachments)
    expect(postCalls()[0]?.params).toMatchObject({ unfurl_links: false, unfurl_media: false })
    expect(logs).toEqual([])
  })

  it('updates the card in place', async () => {
    const slack = await bot()
    const posted = await slack.postMessage('#alerts', card('3 errors'))
    const updated = await slack.update(posted.channel, posted.ts, card('resolved', '#2eb67d'))
    expect(updated).toEqual(posted)
    const kept = emulator.slackApi.message('#alerts', posted.ts)
    expect(kept?.text).toBe('resolved')
    expect(kept?.attachments).toEqual(card('resolved', '#2eb67d').attachments)
    expect(kept?.history.map((v) => v.text)).toEqual(['3 errors', 'resolved'])
    expect(emulator.slackApi.counts('#alerts')).toEqual({ posts: 1, replies: 0, updates: 1 })
  })

  it('replies in the card’s thread, and broadcasts a reply when asked', async () => {
    const slack = await bot()
    const posted = await slack.postMessage('#alerts', card('3 errors'))
    const reply = await slack.postMessage(posted.channel, card('window 12:05'), { threadTs: posted.ts })
    const broadcast: PostOptions = { threadTs: posted.ts, broadcast: true }
    await slack.postMessage(posted.channel, card('resolved'), broadcast)
    expect(reply.channel).toBe('C0ALERTS01')
    expect(reply.ts).not.toBe(posted.ts)
    expect(
      emulator.slackApi.message('#alerts', posted.ts)?.replies.map((r) => [r.text, r.broadcast]),
    ).toEqual([
      ['window 12:05', false],
      ['resolved', true],
    ])
    expect(emulator.slackApi.counts('#alerts')).toEqual({ posts: 1, replies: 2, updates: 0 })
  })

  it('checks the token early with auth.test', async () => {
    const identity = await (await bot()).authTest()
    expect(identity).toEqual<SlackBotIdentity>({
      team: 'Emulator',
      teamId: 'T0EMULATOR',
      user: 'insights-watch',
      userId: 'U0BOT00001',
      botId: 'B0BOT00001',
      url: 'https://emulator.slack.com/',
      scopes: ['chat:write'],
    })
  })
})

describe('errors name the input and the fix, never the token', () => {
  it('refuses an API URL that is not http(s)', async () => {
    await expect(
      createSlackBot(
        emulator.slackApi.token,
        deps({ env: { INSIGHTS_WATCH_SLACK_API_URL: 'slack.com/api' } }),
      ),
    ).rejects.toThrow(
      "INSIGHTS_WATCH_SLACK_API_URL is set but is not an http(s) URL; unset it to use Slack's Web API.",
    )
  })

  it('invalid_auth: slack-bot-token is not a token Slack knows', async () => {
    const token = 'xoxb-1111-2222-not-known-to-slack'
    const error = await failure((await bot(token)).authTest(), token)
    expect(error.code).toBe('invalid_auth')
    expect(error.message).toBe(
      "Slack refused auth.test: invalid_auth. The token in slack-bot-token is not one Slack knows. Put the app's Bot User OAuth Token (it starts with xoxb-, on the app's OAuth & Permissions page) in the secret the slack-bot-token input reads.",
    )
  })

  it('not_authed: slack-bot-token is empty', async () => {
    const error = await failure((await bot('')).postMessage('#alerts', card('x')))
    expect(error.code).toBe('not_authed')
    expect(error.message).toContain('slack-bot-token is empty')
  })

  it('token_revoked: reinstall the app and update the secret', async () => {
    const token = emulator.slackApi.createToken(['chat:write'])
    emulator.slackApi.revokeToken(token)
    const error = await failure((await bot(token)).postMessage('#alerts', card('x')), token)
    expect(error.code).toBe('token_revoked')
    expect(error.message).toContain('was revoked')
    expect(error.message).toContain('Reinstall the app')
    expect(error.message).toContain('slack-bot-token')
  })

  it('channel_not_found: names the channel and the slack-channel input', async () => {
    const error = await failure((await bot()).postMessage('#nowhere', card('x')))
    expect(error.code).toBe('channel_not_found')
    expect(error.message).toBe(
      'Slack refused chat.postMessage to #nowhere: channel_not_found. Slack has no channel "#nowhere" that the app can see. Check the slack-channel input: a channel name (#alerts) or ID (C0123ABCDEF). A private channel is seen only once the app is in it: invite it with /invite @<app name>.',
    )
  })

  it('not_in_channel: invite the bot, or add chat:write.public', async () => {
    emulator.slackApi.addChannel({ name: 'general' })
    const error = await failure((await bot()).postMessage('#general', card('x')))
    expect(error.code).toBe('not_in_channel')
    expect(error.message).toContain('The app is not a member of "#general"')
    expect(error.message).toContain('/invite @<app name>')
    expect(error.message).toContain('chat:write.public')
  })

  it('missing_scope: says which scope Slack needs, and which the token has', async () => {
    const token = emulator.slackApi.createToken(['channels:read'])
    const error = await failure((await bot(token)).postMessage('#alerts', card('x')), token)
    expect(error.code).toBe('missing_scope')
    expect(error.message).toContain(
      'The token in slack-bot-token lacks the chat:write scope (it has: channels:read)',
    )
    expect(error.message).toContain("Add chat:write to the app's Bot Token Scopes")

    emulator.inject({
      service: 'slack-api',
      body: '{"ok":false,"error":"missing_scope","needed":"chat:write.public","provided":"chat:write"}',
    })
    const publicScope = await failure((await bot()).postMessage('#alerts', card('x')))
    expect(publicScope.message).toContain('lacks the chat:write.public scope (it has: chat:write)')
  })

  it('is_archived: unarchive it or choose another slack-channel', async () => {
    emulator.slackApi.addChannel({ name: 'old', botIsMember: true, isArchived: true })
    const error = await failure((await bot()).postMessage('#old', card('x')))
    expect(error.message).toContain('"#old" is archived')
    expect(error.message).toContain('slack-channel')
  })

  it('invalid_blocks and msg_too_long carry Slack’s text and call it our bug', async () => {
    const slack = await bot()
    const tooLong: SlackMessage = slackMessage('x', {
      color: '#d00000',
      fallback: 'x',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'y'.repeat(3001) } }],
    })
    const blocks = await failure(slack.postMessage('#alerts', tooLong))
    expect(blocks.code).toBe('invalid_blocks')
    expect(blocks.message).toBe(
      "Slack refused chat.postMessage to #alerts: invalid_blocks. Slack says: [ERROR] must be less than 3001 characters [json-pointer:/attachments/0/blocks/0/text/text]. The message is insights-watch's own layout: this is a bug in insights-watch, please report it.",
    )
    const text = await failure(slack.postMessage('#alerts', { ...card('x'), text: 'z'.repeat(40_001) }))
    expect(text.code).toBe('msg_too_long')
    expect(text.message).toContain('this is a bug in insights-watch')
  })

  it('message_not_found on update is its own type: the card was deleted', async () => {
    const slack = await bot()
    const posted = await slack.postMessage('#alerts', card('3 errors'))
    emulator.slackApi.deleteMessage('#alerts', posted.ts)
    const error = await failure(slack.update(posted.channel, posted.ts, card('5 errors')))
    expect(error).toBeInstanceOf(SlackMessageNotFoundError)
    expect(error).toMatchObject({ code: 'message_not_found', channel: 'C0ALERTS01', ts: posted.ts })
    expect(error.message).toBe(
      `Slack has no message ${posted.ts} in C0ALERTS01 any more (message_not_found): it was deleted.`,
    )
    // A reply under the deleted card is caught the same way.
    const reply = await failure(slack.postMessage(posted.channel, card('window'), { threadTs: posted.ts }))
    expect(reply).toBeInstanceOf(SlackMessageNotFoundError)
    expect(reply.code).toBe('thread_not_found')
    // Neither is retried.
    expect(sleeps).toEqual([])
  })
})

describe('429 and Retry-After, and other transient failures', () => {
  it('waits Retry-After through the run’s sleep, and tries again', async () => {
    emulator.inject({ service: 'slack-api', action: 'chat.postMessage', retryAfterSeconds: 3, times: 2 })
    const posted = await (await bot()).postMessage('#alerts', card('x'))
    expect(posted.channel).toBe('C0ALERTS01')
    expect(postCalls().map((c) => c.status)).toEqual([429, 429, 200])
    expect(sleeps).toEqual([3000, 3000])
    expect(emulator.slackApi.messages('#alerts')).toHaveLength(1)
    expect(logs).toEqual([
      'Slack: chat.postMessage answered ratelimited; retrying in 3.0 s (attempt 2 of 5).',
      'Slack: chat.postMessage answered ratelimited; retrying in 3.0 s (attempt 3 of 5).',
      'Slack: chat.postMessage went through on attempt 3.',
    ])
  })

  it('waits at most a minute, and gives up after the last attempt', async () => {
    emulator.inject({ service: 'slack-api', action: 'chat.update', retryAfterSeconds: 600, times: 3 })
    const slack = await bot(emulator.slackApi.token, { maxAttempts: 3 })
    const posted = await slack.postMessage('#alerts', card('x'))
    const error = await failure(slack.update(posted.channel, posted.ts, card('y')))
    expect(error.code).toBe('ratelimited')
    expect(error.message).toMatch(
      /^Slack rate-limited chat\.update of \S+ in C0ALERTS01 \(HTTP 429, too many calls for its rate limit\)\. Gave up after 3 attempts\.$/,
    )
    expect(sleeps).toEqual([60_000, 60_000])
  })

  it('waits a second for a 429 without a readable Retry-After', async () => {
    emulator.inject({
      service: 'slack-api',
      action: 'auth.test',
      retryAfterSeconds: 'soon' as unknown as number,
    })
    await (await bot()).authTest()
    expect(sleeps).toEqual([1000])
  })

  it('backs off on a 5xx and a dropped connection', async () => {
    emulator.inject({ service: 'slack-api', action: 'chat.postMessage', status: 503 })
    emulator.inject({ service: 'slack-api', action: 'chat.postMessage', dropConnection: true })
    await (await bot()).postMessage('#alerts', card('x'))
    // Equal jitter with random() = 0: half of 500 ms × 2^attempt.
    expect(sleeps).toEqual([500, 1000])
    expect(logs.slice(0, 2)).toEqual([
      'Slack: chat.postMessage answered http_503; retrying in 0.5 s (attempt 2 of 5).',
      'Slack: chat.postMessage answered network_error; retrying in 1.0 s (attempt 3 of 5).',
    ])
  })

  it('stops when the job is cancelled, during the wait or before the call', async () => {
    const controller = new AbortController()
    emulator.inject({ service: 'slack-api', retryAfterSeconds: 30, times: 5 })
    const slack = await bot(emulator.slackApi.token, {
      signal: controller.signal,
      sleep: () => {
        controller.abort()
        return new Promise(() => {})
      },
    })
    const error = await failure(slack.postMessage('#alerts', card('x')))
    expect(error).toMatchObject({ code: 'cancelled' })
    expect(error.message).toBe(
      'Slack: the job was cancelled before chat.postMessage to #alerts went through.',
    )
    expect(postCalls()).toHaveLength(1)
    await expect(slack.authTest()).rejects.toMatchObject({ code: 'cancelled' })
  })
})

describe('behind a proxy', () => {
  it('sends every call through the proxy agents when they are set', async () => {
    const proxy = await startForwardProxy()
    try {
      vi.stubEnv('HTTP_PROXY', proxy.url)
      const agents = await proxyAgents({ log: () => {}, setSecret: () => {} })
      const port = new URL(emulator.url).port
      const slack = await bot(emulator.slackApi.token, {
        env: { ...emulator.env, INSIGHTS_WATCH_SLACK_API_URL: `http://slack.${TEST_DOMAIN}:${port}/api/` },
        ...(agents ? { proxyAgents: agents } : {}),
      })
      const posted = await slack.postMessage('#alerts', card('x'))
      await slack.update(posted.channel, posted.ts, card('y'))
      expect(proxy.carried.map((c) => [c.kind, c.host, c.path])).toEqual([
        ['forward', `slack.${TEST_DOMAIN}`, '/api/chat.postMessage'],
        ['forward', `slack.${TEST_DOMAIN}`, '/api/chat.update'],
      ])
      expect(emulator.slackApi.counts('#alerts')).toEqual({ posts: 1, replies: 0, updates: 1 })
    } finally {
      await proxy.stop()
    }
  })
})
