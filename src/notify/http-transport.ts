import type { IncomingMessage } from 'node:http'
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import type { FetchFunction } from '@slack/webhook'
import type { HttpAgents } from '../net/proxy.js'

type FetchResponse = Awaited<ReturnType<FetchFunction>>

/**
 * The Slack webhook client's transport: one request over node:http(s), instead of the client's
 * default `globalThis.fetch`.
 *
 * Node's fetch is a bundled undici that loads on first use: about 45 ms of every run that can post
 * (about twice that after heap.ts has changed a V8 flag, which leaves Node's code cache unused),
 * while node:http is loaded anyway for the AWS SDK. The webhook client needs only a POST, its
 * status, headers and body; its `timeout` arrives as `init.signal` and aborts the request, body
 * included. Redirects are not followed (the client asks for `redirect: 'error'`): a 3xx is a
 * failed post, like any other non-2xx.
 */
/**
 * Slack answers with a short code (`ok`, `invalid_payload`); a webhook URL pointed elsewhere could
 * answer with anything. Only this much of an answer is kept (errors show 200 characters of it).
 */
const MAX_BODY_BYTES = 64 * 1024
/**
 * A Web API's answers are JSON to be read whole: Slack's chat.postMessage echoes the message posted
 * (up to 50 blocks of 3,000 characters), GitHub's issue carries its body (up to 65,536 characters).
 */
const MAX_API_BODY_BYTES = 8 * 1024 * 1024

/** The transport over Node's global agents. */
export const nodeHttpFetch: FetchFunction = (url, init) => httpFetch(url, init)

/** The transport over `agents` (src/net/proxy.ts: through the proxy the environment names, or direct). */
export function nodeHttpFetchWith(agents: HttpAgents): FetchFunction {
  return (url, init) => httpFetch(url, init, agents)
}

/**
 * The same transport for the Web API clients (notify/slack-bot.ts, incident/github-issue.ts), over
 * `agents` when a proxy is set, with room for their answers.
 */
export function apiHttpFetch(agents: HttpAgents | undefined): FetchFunction {
  return (url, init) => httpFetch(url, init, agents, MAX_API_BODY_BYTES)
}

async function httpFetch(
  url: string | URL,
  init: Parameters<FetchFunction>[1] = {},
  agents?: HttpAgents,
  maxBodyBytes = MAX_BODY_BYTES,
): Promise<FetchResponse> {
  const target = new URL(url)
  const plain = target.protocol === 'http:'
  const send = plain ? httpRequest : httpsRequest
  const agent = agents && (plain ? agents.httpAgent : agents.httpsAgent)
  const message = await new Promise<IncomingMessage>((resolve, reject) => {
    const request = send(
      target,
      {
        method: init.method ?? 'GET',
        headers: init.headers ?? {},
        ...(init.signal ? { signal: init.signal } : {}),
        ...(agent ? { agent } : {}),
      },
      resolve,
    )
    request.on('error', reject)
    request.end(typeof init.body === 'string' ? init.body : undefined)
  })
  const chunks: Buffer[] = []
  let kept = 0
  // Rejects when the connection drops or the signal aborts before the body has ended.
  for await (const chunk of message as AsyncIterable<Buffer>) {
    if (kept >= maxBodyBytes) continue
    chunks.push(chunk)
    kept += chunk.length
  }
  const body = Buffer.concat(chunks).subarray(0, maxBodyBytes)
  return fetchResponse(message, body, target.href)
}

function fetchResponse(message: IncomingMessage, body: Buffer, url: string): FetchResponse {
  const status = message.statusCode ?? 0
  const header = (name: string): string | null => {
    const value = message.headers[name.toLowerCase()]
    return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value
  }
  return {
    ok: status >= 200 && status <= 299,
    status,
    statusText: message.statusMessage ?? '',
    url,
    headers: {
      get: header,
      entries: () => Object.keys(message.headers).map((name): [string, string] => [name, header(name) ?? '']),
    },
    text: async () => body.toString('utf8'),
    json: async () => JSON.parse(body.toString('utf8')) as unknown,
    arrayBuffer: async () =>
      body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer,
  }
}
