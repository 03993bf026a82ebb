import {
  renderSlackThreadPreviewHtml,
  type SlackPayload,
  type SlackPreviewOptions,
} from '../../scripts/preview.js'
import type { Fault } from './faults.js'
import { type CallIdentity, headerValue, type Reply, type WireRequest } from './http-types.js'
import { contentProblem } from './slack-service.js'

/**
 * Slack's Web API, the part a bot token uses to keep one message (a "card") per incident and channel:
 * `auth.test`, `chat.postMessage` (with `thread_ts` and `reply_broadcast`) and `chat.update`, as
 * `@slack/web-api`'s WebClient calls them: `POST /api/<method>`, a form-encoded body (objects such as
 * `attachments` JSON-encoded inside it) or a JSON one, the token as `Authorization: Bearer` (or a form
 * `token` field). Errors are HTTP 200 with `{ ok: false, error }`, as Slack answers them; a rate limit
 * is HTTP 429 with `Retry-After` (a fault).
 *
 * Every message is kept with its thread and every version it had, so a test sees the card as it is
 * now, how often it was edited and what was said under it.
 */

export const SLACK_API_PATH = /^\/api\/([A-Za-z]+(?:\.[A-Za-z]+)+)$/

export interface SlackChannel {
  /** `C…` for a public channel, `G…` for a private one (any ID may be given). */
  id: string
  /** Without `#`. */
  name: string
  isPrivate: boolean
  /** Whether the app's bot user is in the channel. */
  botIsMember: boolean
  isArchived: boolean
}

interface SlackMessageVersion {
  at: number
  text: string
  attachments?: unknown[]
  blocks?: unknown[]
}

export interface SlackApiMessage {
  /** The channel's ID. */
  channel: string
  ts: string
  /** For a reply: its thread's parent ts. */
  threadTs?: string
  /** A reply also shown in the channel (`reply_broadcast`). */
  broadcast: boolean
  /** Emulator-clock ms it was posted at. */
  at: number
  /** The message as it is now. */
  text: string
  attachments?: unknown[]
  blocks?: unknown[]
  /** Every version, as posted first, as it is now last: `history.length - 1` edits. */
  history: SlackMessageVersion[]
  /** Deleted by the test (`deleteMessage`): chat.update answers message_not_found, a reply thread_not_found. */
  deleted: boolean
  /** A parent's replies, oldest first (empty for a reply). */
  replies: SlackApiMessage[]
}

/** One Web API call as the emulator took it. */
export interface SlackApiCall {
  method: string
  at: number
  /** HTTP status; 0 for a dropped connection. */
  status: number
  ok: boolean
  error?: string
  /** The channel's ID when it was found, else the `channel` as given. */
  channel?: string
  /** The message posted or updated. */
  ts?: string
  /** A reply's parent. */
  threadTs?: string
  broadcast?: boolean
  /** The parameters as the emulator read them (JSON fields parsed), without the token. */
  params: Record<string, unknown>
}

export interface SlackApiCounts {
  /** chat.postMessage calls taken that started a message in the channel (not replies). */
  posts: number
  /** chat.postMessage calls taken that replied in a thread. */
  replies: number
  /** chat.update calls taken. */
  updates: number
}

interface TokenInfo {
  scopes: string[]
  revoked: boolean
}

/** Parameters Slack reads as JSON when they come form-encoded. */
const JSON_PARAMS = new Set(['attachments', 'blocks', 'metadata'])
const BOOLEAN_PARAMS = new Set(['reply_broadcast', 'unfurl_links', 'unfurl_media', 'mrkdwn', 'as_user'])
/** CHOICE: text beyond this is refused (`msg_too_long`); Slack documents the error and this length. */
const MAX_TEXT = 40_000
const TEAM = { id: 'T0EMULATOR', name: 'Emulator', url: 'https://emulator.slack.com/' }
const BOT = { userId: 'U0BOT00001', user: 'insights-watch', botId: 'B0BOT00001', appId: 'A0APP00001' }

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** The parameters of a call, from a form (JSON fields decoded) or a JSON body, and the token it carried. */
function readParams(request: WireRequest): { params: Record<string, unknown>; token?: string } {
  const contentType = headerValue(request.headers, 'content-type') ?? ''
  const raw = request.body.toString('utf8')
  const params: Record<string, unknown> = {}
  let bodyToken: string | undefined
  if (contentType.includes('application/json')) {
    try {
      const parsed: unknown = JSON.parse(raw)
      if (isObject(parsed)) Object.assign(params, parsed)
    } catch {
      params.__invalid_json = true
    }
  } else {
    for (const [key, value] of new URLSearchParams(raw)) {
      if (key === 'token') bodyToken = value
      else params[key] = formValue(key, value)
    }
  }
  const bearer = /^Bearer\s+(\S+)$/i.exec(headerValue(request.headers, 'authorization') ?? '')?.[1]
  const token = bearer ?? bodyToken
  return token === undefined ? { params } : { params, token }
}

function formValue(key: string, value: string): unknown {
  if (JSON_PARAMS.has(key)) {
    try {
      return JSON.parse(value)
    } catch {
      return value
    }
  }
  if (BOOLEAN_PARAMS.has(key)) return value === 'true' || value === '1'
  return value
}

function json(status: number, data: Record<string, unknown>, headers: Record<string, string> = {}): Reply {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(data),
    data,
  }
}

/** Slack's refusal of a call: 200 `{ ok: false, error, … }`. */
class Refusal extends Error {
  constructor(
    readonly error: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(error)
  }
}

export class SlackApiService {
  readonly calls: SlackApiCall[] = []
  readonly #channels: SlackChannel[] = []
  readonly #messages = new Map<string, SlackApiMessage[]>()
  readonly #tokens = new Map<string, TokenInfo>()
  #lastMicros = 0
  #tokenCount = 0
  readonly token: string

  constructor(private readonly now: () => number) {
    this.token = this.createToken(['chat:write'])
    this.addChannel({ id: 'C0ALERTS01', name: 'alerts', botIsMember: true })
  }

  /** A bot token with these scopes (the default token has `chat:write`). */
  createToken(scopes: readonly string[]): string {
    this.#tokenCount += 1
    const token = `xoxb-0000000000-${String(this.#tokenCount).padStart(10, '0')}-emulator${this.#tokenCount}Bot`
    this.#tokens.set(token, { scopes: [...scopes], revoked: false })
    return token
  }

  /** The app was uninstalled: the token answers token_revoked from now on. */
  revokeToken(token: string): void {
    const info = this.#tokens.get(token)
    if (info) info.revoked = true
  }

  addChannel(channel: {
    name: string
    id?: string
    isPrivate?: boolean
    botIsMember?: boolean
    isArchived?: boolean
  }): string {
    const name = channel.name.replace(/^#/, '')
    const isPrivate = channel.isPrivate ?? false
    const id = channel.id ?? `${isPrivate ? 'G' : 'C'}0${String(this.#channels.length + 1).padStart(8, '0')}`
    if (this.#channels.some((c) => c.id === id || c.name === name)) {
      throw new Error(`The emulator already has a channel ${id} or #${name}`)
    }
    this.#channels.push({
      id,
      name,
      isPrivate,
      botIsMember: channel.botIsMember ?? false,
      isArchived: channel.isArchived ?? false,
    })
    return id
  }

  /** A channel by ID, `#name` or name. */
  channel(given: string): SlackChannel | undefined {
    const name = given.replace(/^#/, '')
    return this.#channels.find((c) => c.id === given) ?? this.#channels.find((c) => c.name === name)
  }

  /** The messages started in a channel (ID, `#name` or name), oldest first, each with its replies. */
  messages(channel: string): SlackApiMessage[] {
    const id = this.channel(channel)?.id
    return id ? (this.#messages.get(id) ?? []) : []
  }

  /** One message or reply by channel and ts. */
  message(channel: string, ts: string): SlackApiMessage | undefined {
    for (const parent of this.messages(channel)) {
      if (parent.ts === ts) return parent
      const reply = parent.replies.find((r) => r.ts === ts)
      if (reply) return reply
    }
    return undefined
  }

  /** Someone deleted the message in Slack. */
  deleteMessage(channel: string, ts: string): void {
    const message = this.message(channel, ts)
    if (!message) throw new Error(`The emulator has no message ${ts} in ${channel}`)
    message.deleted = true
  }

  /** Calls taken (ok) per kind, in one channel. */
  counts(channel: string): SlackApiCounts {
    const id = this.channel(channel)?.id ?? channel
    const taken = this.calls.filter((c) => c.ok && c.channel === id)
    return {
      posts: taken.filter((c) => c.method === 'chat.postMessage' && c.threadTs === undefined).length,
      replies: taken.filter((c) => c.method === 'chat.postMessage' && c.threadTs !== undefined).length,
      updates: taken.filter((c) => c.method === 'chat.update').length,
    }
  }

  /** The card as it is now, with its replies under it, as an HTML page (scripts/preview.ts). */
  previewHtml(channel: string, ts: string, options: SlackPreviewOptions = {}): string {
    const card = this.message(channel, ts)
    if (!card) throw new Error(`The emulator has no message ${ts} in ${channel}`)
    const payload = (m: SlackApiMessage): SlackPayload & { at: number } => ({
      text: m.text,
      ...(m.blocks ? { blocks: m.blocks as NonNullable<SlackPayload['blocks']> } : {}),
      ...(m.attachments ? { attachments: m.attachments as NonNullable<SlackPayload['attachments']> } : {}),
      at: m.at,
    })
    return renderSlackThreadPreviewHtml(
      {
        channel: this.channel(channel)?.name ?? channel,
        card: { ...payload(card), edited: card.history.length > 1, deleted: card.deleted },
        replies: card.replies.map((reply) => ({
          ...payload(reply),
          broadcast: reply.broadcast,
          edited: reply.history.length > 1,
        })),
      },
      options,
    )
  }

  identify(request: WireRequest): CallIdentity {
    const method = SLACK_API_PATH.exec(request.url.split('?')[0] ?? '')?.[1] ?? ''
    return { action: method, body: readParams(request).params }
  }

  handle(request: WireRequest, identity: CallIdentity): Reply {
    const { params, token } = readParams(request)
    const call: SlackApiCall = { method: identity.action, at: this.now(), status: 200, ok: false, params }
    if (typeof params.channel === 'string') call.channel = params.channel
    this.calls.push(call)
    const scopes = (this.#tokens.get(token ?? '')?.scopes ?? []).join(',')
    const headers = { 'x-oauth-scopes': scopes, 'x-accepted-oauth-scopes': acceptedScopes(identity.action) }
    try {
      const data = this.#answer(identity.action, params, token, call)
      call.ok = true
      return json(200, { ok: true, ...data }, headers)
    } catch (error) {
      if (!(error instanceof Refusal)) throw error
      call.error = error.error
      return json(200, { ok: false, error: error.error, ...error.extra }, headers)
    }
  }

  faultReply(fault: Fault, request: WireRequest, identity: CallIdentity): Reply {
    const call: SlackApiCall = {
      method: identity.action,
      at: this.now(),
      status: 0,
      ok: false,
      params: readParams(request).params,
    }
    if (typeof call.params.channel === 'string') call.channel = call.params.channel
    this.calls.push(call)
    const reply = faultAnswer(fault)
    call.status = reply.status
    const data = reply.data
    if (isObject(data) && typeof data.error === 'string') call.error = data.error
    return reply
  }

  /** A dropped connection, for the record. */
  dropped(request: WireRequest, identity: CallIdentity): void {
    this.calls.push({
      method: identity.action,
      at: this.now(),
      status: 0,
      ok: false,
      params: readParams(request).params,
    })
  }

  #answer(
    method: string,
    params: Record<string, unknown>,
    token: string | undefined,
    call: SlackApiCall,
  ): Record<string, unknown> {
    if (params.__invalid_json) throw new Refusal('invalid_json')
    const info = this.#authenticate(token)
    switch (method) {
      case 'auth.test':
        return {
          url: TEAM.url,
          team: TEAM.name,
          user: BOT.user,
          team_id: TEAM.id,
          user_id: BOT.userId,
          bot_id: BOT.botId,
          is_enterprise_install: false,
        }
      case 'chat.postMessage':
        needScope(info, 'chat:write')
        return this.#postMessage(params, info, call)
      case 'chat.update':
        needScope(info, 'chat:write')
        return this.#update(params, call)
      default:
        throw new Refusal('unknown_method', { req_method: method })
    }
  }

  #authenticate(token: string | undefined): TokenInfo {
    if (token === undefined || token === '') throw new Refusal('not_authed')
    const info = this.#tokens.get(token)
    if (!info) throw new Refusal('invalid_auth')
    if (info.revoked) throw new Refusal('token_revoked')
    return info
  }

  #postMessage(
    params: Record<string, unknown>,
    info: TokenInfo,
    call: SlackApiCall,
  ): Record<string, unknown> {
    const channel = this.#postableChannel(params.channel, info)
    call.channel = channel.id
    const content = checkedContent(params)
    const threadTs =
      typeof params.thread_ts === 'string' && params.thread_ts !== '' ? params.thread_ts : undefined
    const parent = threadTs === undefined ? undefined : this.#threadParent(channel.id, threadTs)
    const at = this.now()
    const message: SlackApiMessage = {
      channel: channel.id,
      ts: this.#nextTs(at),
      broadcast: parent !== undefined && params.reply_broadcast === true,
      at,
      ...content,
      history: [{ at, ...content }],
      deleted: false,
      replies: [],
    }
    if (parent) {
      message.threadTs = parent.ts
      parent.replies.push(message)
      call.threadTs = parent.ts
      call.broadcast = message.broadcast
    } else {
      const list = this.#messages.get(channel.id) ?? []
      list.push(message)
      this.#messages.set(channel.id, list)
    }
    call.ts = message.ts
    return { channel: channel.id, ts: message.ts, message: echo(message) }
  }

  #update(params: Record<string, unknown>, call: SlackApiCall): Record<string, unknown> {
    // CHOICE: chat.update takes the channel's ID only (the one chat.postMessage answered); a name is
    // channel_not_found, so a caller that keeps `#name` is caught here.
    const channel = this.#channels.find((c) => c.id === params.channel)
    if (!channel) throw new Refusal('channel_not_found')
    call.channel = channel.id
    const ts = typeof params.ts === 'string' ? params.ts : ''
    call.ts = ts
    const message = this.message(channel.id, ts)
    if (!message || message.deleted) throw new Refusal('message_not_found')
    if (message.threadTs !== undefined) call.threadTs = message.threadTs
    // Slack keeps the attachments and blocks a chat.update leaves out; [] removes them.
    const next: Record<string, unknown> = {
      text: typeof params.text === 'string' ? params.text : message.text,
      attachments: Array.isArray(params.attachments) ? params.attachments : message.attachments,
      blocks: Array.isArray(params.blocks) ? params.blocks : message.blocks,
    }
    const content = checkedContent(next)
    const version: SlackMessageVersion = { at: this.now(), ...content }
    message.text = content.text
    delete message.attachments
    delete message.blocks
    if (content.attachments) message.attachments = content.attachments
    if (content.blocks) message.blocks = content.blocks
    message.history.push(version)
    return { channel: channel.id, ts: message.ts, text: message.text, message: echo(message) }
  }

  /** The channel a chat.postMessage names, if the app may post there. */
  #postableChannel(given: unknown, info: TokenInfo): SlackChannel {
    const channel = typeof given === 'string' && given !== '' ? this.channel(given) : undefined
    // A private channel the app is not in does not exist, for the app.
    if (!channel || (channel.isPrivate && !channel.botIsMember)) throw new Refusal('channel_not_found')
    if (channel.isArchived) throw new Refusal('is_archived')
    if (!channel.botIsMember && !info.scopes.includes('chat:write.public'))
      throw new Refusal('not_in_channel')
    return channel
  }

  /**
   * The message a reply goes under: a reply's ts means its parent's thread, as in Slack. CHOICE: an
   * unknown or deleted parent is `thread_not_found` (what Slack does there is not documented).
   */
  #threadParent(channel: string, threadTs: string): SlackApiMessage {
    for (const parent of this.#messages.get(channel) ?? []) {
      if (parent.ts === threadTs || parent.replies.some((r) => r.ts === threadTs)) {
        if (parent.deleted) break
        return parent
      }
    }
    throw new Refusal('thread_not_found')
  }

  /** Slack's ts: seconds and microseconds, unique and increasing in the workspace. */
  #nextTs(at: number): string {
    this.#lastMicros = Math.max(this.#lastMicros + 1, at * 1000)
    return `${Math.floor(this.#lastMicros / 1e6)}.${String(this.#lastMicros % 1e6).padStart(6, '0')}`
  }
}

function acceptedScopes(method: string): string {
  return method === 'auth.test' ? '' : 'chat:write'
}

function needScope(info: TokenInfo, scope: string): void {
  if (!info.scopes.includes(scope)) {
    throw new Refusal('missing_scope', { needed: scope, provided: info.scopes.join(',') })
  }
}

/** The content a post or update leaves the message with, refused as Slack refuses it. */
function checkedContent(params: Record<string, unknown>): Omit<SlackMessageVersion, 'at'> {
  const found = contentProblem(params)
  if (found) throw new Refusal(found.error, { response_metadata: { messages: [found.message] } })
  const text = typeof params.text === 'string' ? params.text : ''
  if (text.length > MAX_TEXT) throw new Refusal('msg_too_long')
  return {
    text,
    ...(Array.isArray(params.attachments) ? { attachments: params.attachments } : {}),
    ...(Array.isArray(params.blocks) ? { blocks: params.blocks } : {}),
  }
}

/** The message as Slack echoes it in chat.postMessage's and chat.update's answer. */
function echo(message: SlackApiMessage): Record<string, unknown> {
  return {
    type: 'message',
    subtype: 'bot_message',
    text: message.text,
    user: BOT.userId,
    bot_id: BOT.botId,
    app_id: BOT.appId,
    team: TEAM.id,
    ts: message.ts,
    ...(message.threadTs !== undefined ? { thread_ts: message.threadTs } : {}),
    ...(message.attachments
      ? { attachments: message.attachments.map((a, i) => (isObject(a) ? { id: i + 1, ...a } : a)) }
      : {}),
    ...(message.blocks ? { blocks: message.blocks } : {}),
    ...(message.history.length > 1 ? { edited: { user: BOT.userId, ts: message.ts } } : {}),
  }
}

/**
 * A fault as Slack's Web API answers it: `retryAfterSeconds` → 429 `ratelimited` with Retry-After;
 * `body` → 200 `{ ok: false, error: body }`, or, when it starts with `{`, exactly that JSON (Slack's
 * extra fields, `needed`, `response_metadata`); `status` alone → that status with a text body.
 */
function faultAnswer(fault: Fault): Reply {
  if (fault.retryAfterSeconds !== undefined) {
    return json(
      fault.status ?? 429,
      { ok: false, error: 'ratelimited' },
      { 'retry-after': String(fault.retryAfterSeconds) },
    )
  }
  if (fault.body !== undefined) {
    const data: unknown = fault.body.trim().startsWith('{')
      ? JSON.parse(fault.body)
      : { ok: false, error: fault.body }
    return json(fault.status ?? 200, isObject(data) ? data : {})
  }
  const status = fault.status ?? 500
  return {
    status,
    headers: { 'content-type': 'text/plain' },
    body: status >= 500 ? 'Internal Server Error' : 'Error',
    data: undefined,
  }
}
