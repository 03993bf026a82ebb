import { IncomingWebhook, IncomingWebhookHTTPError, type IncomingWebhookSendArguments } from '@slack/webhook'
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

function section(text: string) {
  return { type: 'section' as const, text: { type: 'mrkdwn' as const, text } }
}

async function httpError(promise: Promise<unknown>): Promise<IncomingWebhookHTTPError> {
  const error = await rejection(promise)
  expect(error).toBeInstanceOf(IncomingWebhookHTTPError)
  return error as unknown as IncomingWebhookHTTPError
}

describe('Slack incoming webhooks through @slack/webhook', () => {
  it('answers ok and records the parsed payload per webhook name', async () => {
    const alerts = new IncomingWebhook(emulator.slackWebhookUrl('alerts'))
    const payload: IncomingWebhookSendArguments = { text: 'fallback', blocks: [section('*3* errors')] }
    expect(await alerts.send(payload)).toEqual({ text: 'ok' })
    await new IncomingWebhook(emulator.slackWebhookUrl()).send('to the default webhook')

    expect(emulator.slackPosts('alerts')).toEqual([
      {
        name: 'alerts',
        at: T0,
        body: payload,
        raw: JSON.stringify(payload),
        status: 200,
        response: 'ok',
      },
    ])
    expect(emulator.slackPosts().map((p) => p.body)).toEqual([{ text: 'to the default webhook' }])
    expect(emulator.calls.map((c) => [c.service, c.action, c.status])).toEqual([
      ['slack', 'alerts', 200],
      ['slack', 'default', 200],
    ])
  })

  it('answers ok with text/html, as Slack does', async () => {
    const response = await fetch(emulator.slackWebhookUrl(), { method: 'POST', body: '{"text":"hi"}' })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/html')
    expect(await response.text()).toBe('ok')
  })

  it('refuses 51 blocks with invalid_blocks and takes 50', async () => {
    const webhook = new IncomingWebhook(emulator.slackWebhookUrl())
    const blocks = Array.from({ length: 51 }, (_, i) => section(`block ${i}`))
    const error = await httpError(webhook.send({ text: 't', blocks }))
    expect(error.statusCode).toBe(400)
    expect(error.body).toBe('invalid_blocks')
    expect(await webhook.send({ text: 't', blocks: blocks.slice(0, 50) })).toEqual({ text: 'ok' })
    expect(emulator.slackPosts().map((p) => p.status)).toEqual([400, 200])
  })

  it('counts blocks per attachment, each up to 50', async () => {
    const webhook = new IncomingWebhook(emulator.slackWebhookUrl())
    const fifty = Array.from({ length: 50 }, (_, i) => section(`b${i}`))
    await expect(
      webhook.send({
        attachments: [
          { color: '#d00', blocks: fifty },
          { color: '#fa0', blocks: fifty },
        ],
      }),
    ).resolves.toEqual({ text: 'ok' })
    const error = await httpError(
      webhook.send({ attachments: [{ blocks: [...fifty, section('one more')] }] }),
    )
    expect(error.body).toBe('invalid_blocks')
  })

  it('refuses a section over 3,000 characters with invalid_blocks', async () => {
    const webhook = new IncomingWebhook(emulator.slackWebhookUrl())
    await expect(webhook.send({ blocks: [section('x'.repeat(3000))] })).resolves.toEqual({ text: 'ok' })
    expect((await httpError(webhook.send({ blocks: [section('x'.repeat(3001))] }))).body).toBe(
      'invalid_blocks',
    )
  })

  it('refuses a payload without text, blocks or attachments with no_text', async () => {
    const webhook = new IncomingWebhook(emulator.slackWebhookUrl())
    const error = await httpError(webhook.send({ unfurl_links: false }))
    expect([error.statusCode, error.body]).toEqual([400, 'no_text'])
  })

  it('refuses a body that is not JSON with invalid_payload, and records it raw', async () => {
    const response = await fetch(emulator.slackWebhookUrl(), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"text": "unterminated',
    })
    expect(response.status).toBe(400)
    expect(await response.text()).toBe('invalid_payload')
    expect(emulator.slackPosts()).toMatchObject([
      { body: undefined, raw: '{"text": "unterminated', status: 400 },
    ])
  })
})

describe('Slack faults', () => {
  it('answers 429 with Retry-After for the first N posts, visible to a custom fetch', async () => {
    emulator.inject({ service: 'slack', action: 'alerts', retryAfterSeconds: 7, times: 2 })
    const seen: Array<{ status: number; retryAfter: string | null }> = []
    const webhook = new IncomingWebhook(emulator.slackWebhookUrl('alerts'), {
      fetch: async (url, init) => {
        const response = await fetch(url, init)
        seen.push({ status: response.status, retryAfter: response.headers.get('retry-after') })
        return response
      },
    })
    const first = await httpError(webhook.send('one'))
    expect([first.statusCode, first.body]).toEqual([429, 'rate_limited'])
    await httpError(webhook.send('two'))
    expect(await webhook.send('three')).toEqual({ text: 'ok' })
    expect(seen).toEqual([
      { status: 429, retryAfter: '7' },
      { status: 429, retryAfter: '7' },
      { status: 200, retryAfter: null },
    ])
    expect(emulator.slackPosts('alerts').map((p) => p.status)).toEqual([429, 429, 200])
  })

  it('answers an injected 500 or error text, only on the named webhook', async () => {
    emulator.inject({ service: 'slack', action: 'alerts', status: 500 })
    emulator.inject({ service: 'slack', action: 'ops', body: 'channel_is_archived' })
    await new IncomingWebhook(emulator.slackWebhookUrl('other')).send('unaffected')
    const server = await httpError(new IncomingWebhook(emulator.slackWebhookUrl('alerts')).send('x'))
    expect([server.statusCode, server.body]).toEqual([500, 'rollup_error'])
    const archived = await httpError(new IncomingWebhook(emulator.slackWebhookUrl('ops')).send('x'))
    expect([archived.statusCode, archived.body]).toEqual([410, 'channel_is_archived'])
  })

  it('answers 200 with an error text when asked (status: 200): the client resolves with that text', async () => {
    emulator.inject({ service: 'slack', action: 'alerts', status: 200, body: 'no_service' })
    // @slack/webhook resolves on any 2xx: only the text says the message was not taken.
    expect(await new IncomingWebhook(emulator.slackWebhookUrl('alerts')).send('x')).toEqual({
      text: 'no_service',
    })
    expect(emulator.slackPosts('alerts').map((post) => [post.status, post.response])).toEqual([
      [200, 'no_service'],
    ])
  })

  it('drops the connection: the client sees a request error and the post is recorded with status 0', async () => {
    emulator.inject({ service: 'slack', dropConnection: true })
    const error = await rejection(new IncomingWebhook(emulator.slackWebhookUrl()).send('lost'))
    expect(error).not.toBeInstanceOf(IncomingWebhookHTTPError)
    expect(error.code).toBe('slack_webhook_request_error')
    expect(emulator.slackPosts()).toMatchObject([{ body: { text: 'lost' }, status: 0 }])
    expect(emulator.calls).toMatchObject([{ service: 'slack', status: 0 }])
  })

  it('delays an answer by latencyMs (wall clock)', async () => {
    emulator.inject({ service: 'slack', latencyMs: 150 })
    const started = performance.now()
    await new IncomingWebhook(emulator.slackWebhookUrl()).send('slow')
    expect(performance.now() - started).toBeGreaterThanOrEqual(140)
    expect(emulator.slackPosts()).toMatchObject([{ status: 200 }])
  })
})
