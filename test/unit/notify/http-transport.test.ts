import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { IncomingWebhook } from '@slack/webhook'
import { afterEach, describe, expect, it } from 'vitest'
import { nodeHttpFetch } from '../../../src/notify/http-transport.js'

let server: Server | undefined

/** A local HTTP server answering with `handler`; resolves to its base URL. */
async function serve(handler: (request: IncomingMessage, body: string, response: ServerResponse) => void) {
  server = createServer((request, response) => {
    let body = ''
    request.on('data', (chunk) => {
      body += chunk
    })
    request.on('end', () => handler(request, body, response))
  })
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

afterEach(async () => {
  server?.closeAllConnections()
  await new Promise((resolve) => server?.close(resolve))
  server = undefined
})

describe('nodeHttpFetch', () => {
  it('posts the body and headers and hands back status, headers and body', async () => {
    let seen: { method?: string | undefined; type?: string | undefined; body?: string } = {}
    const base = await serve((request, body, response) => {
      seen = { method: request.method, type: request.headers['content-type'], body }
      response.writeHead(429, 'Too Many Requests', { 'retry-after': '7', 'content-type': 'text/plain' })
      response.end('rate_limited')
    })
    const response = await nodeHttpFetch(`${base}/services/T/B/x`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"text":"hi ✓"}',
    })
    expect(seen).toEqual({ method: 'POST', type: 'application/json', body: '{"text":"hi ✓"}' })
    expect(response.ok).toBe(false)
    expect(response.status).toBe(429)
    expect(response.statusText).toBe('Too Many Requests')
    expect(response.headers.get('Retry-After')).toBe('7')
    expect(response.headers.get('x-absent')).toBeNull()
    expect(await response.text()).toBe('rate_limited')
  })

  it('does not follow a redirect: a 3xx is not a delivered message', async () => {
    let posts = 0
    const base = await serve((request, _body, response) => {
      posts += 1
      if (request.url === '/moved') response.writeHead(302, { location: '/elsewhere' }).end()
      else response.writeHead(200).end('ok')
    })
    const response = await nodeHttpFetch(`${base}/moved`, { method: 'POST', body: '{}' })
    expect(response.status).toBe(302)
    expect(response.ok).toBe(false)
    expect(posts).toBe(1)
  })

  it('gives up when the signal aborts, even after the headers have arrived', async () => {
    const base = await serve((_request, _body, response) => {
      response.writeHead(200)
      response.write('o') // and never ends
    })
    const started = Date.now()
    await expect(
      nodeHttpFetch(base, { method: 'POST', body: '{}', signal: AbortSignal.timeout(200) }),
    ).rejects.toThrow()
    expect(Date.now() - started).toBeLessThan(5_000)
  })

  it('keeps only the start of an answer that is far too long', async () => {
    const base = await serve((_request, _body, response) => {
      response.writeHead(500)
      for (let i = 0; i < 64; i++) response.write('x'.repeat(16 * 1024))
      response.end()
    })
    const response = await nodeHttpFetch(base, { method: 'POST', body: '{}' })
    expect(response.status).toBe(500)
    expect((await response.text()).length).toBe(64 * 1024)
  })

  it('rejects when the connection drops mid-answer', async () => {
    const base = await serve((_request, _body, response) => {
      response.writeHead(200, { 'content-length': '100' })
      response.write('partial')
      response.socket?.destroy()
    })
    await expect(nodeHttpFetch(base, { method: 'POST', body: '{}' })).rejects.toThrow()
  })

  it("is a transport the Slack webhook client accepts: 2xx is sent, 4xx is Slack's error text", async () => {
    const base = await serve((request, body, response) => {
      if (request.url === '/ok') response.writeHead(200).end('ok')
      else response.writeHead(404).end(JSON.parse(body).text === 'x' ? 'channel_not_found' : 'other')
    })
    await expect(
      new IncomingWebhook(`${base}/ok`, { fetch: nodeHttpFetch }).send({ text: 'x' }),
    ).resolves.toEqual({
      text: 'ok',
    })
    await expect(
      new IncomingWebhook(`${base}/gone`, { fetch: nodeHttpFetch }).send({ text: 'x' }),
    ).rejects.toMatchObject({ statusCode: 404, body: 'channel_not_found' })
  })
})
