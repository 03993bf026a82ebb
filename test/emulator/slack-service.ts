import type { Fault } from './faults.js'
import { type CallIdentity, headerValue, type Reply, type WireRequest } from './http-types.js'

export interface SlackPost {
  /** The webhook's last path segment (`slackWebhookUrl(name)`). */
  name: string
  /** Emulator-clock ms of arrival. */
  at: number
  /** The parsed JSON payload; undefined when it did not parse. */
  body: unknown
  raw: string
  /** What the emulator answered, and the text it answered with (`ok`, `invalid_blocks`, …). */
  status: number
  response: string
}

export const SLACK_PATH = /^\/services\/(T[^/]+)\/(B[^/]+)\/([^/?]+)$/

/**
 * Limits Slack enforces on a webhook payload (Block Kit reference: 50 blocks a message, section text
 * 3,000 characters, 10 section fields of 2,000, header 150, 10 context elements; attachments 100).
 * Texts beyond 40,000 characters are truncated by Slack, not refused, so they pass.
 */
const MAX_BLOCKS = 50
const MAX_ATTACHMENTS = 100

/** Plain-text error bodies and the statuses Slack pairs them with (api.slack.com changelog 2016-05-17). */
const STATUS_OF_ERROR: Record<string, number> = {
  invalid_payload: 400,
  user_not_found: 400,
  no_text: 400,
  invalid_blocks: 400,
  too_many_attachments: 400,
  action_prohibited: 403,
  invalid_token: 403,
  channel_not_found: 404,
  no_service: 404,
  channel_is_archived: 410,
  rate_limited: 429,
  rollup_error: 500,
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function textOk(text: unknown, max: number): boolean {
  return isObject(text) && typeof text.text === 'string' && text.text.length >= 1 && text.text.length <= max
}

/**
 * Why Slack refuses a message's content: its error code and, as the Web API says it in
 * `response_metadata.messages`, what and where (`[ERROR] … [json-pointer:/blocks/0/text]`). A webhook
 * answers only the code.
 */
export interface ContentProblem {
  error: string
  message: string
}

function problem(error: string, reason: string, pointer: string): ContentProblem {
  return { error, message: `[ERROR] ${reason} [json-pointer:${pointer}]` }
}

function textProblem(text: unknown, max: number, pointer: string): ContentProblem | undefined {
  if (textOk(text, max)) return undefined
  const length = isObject(text) && typeof text.text === 'string' ? text.text.length : -1
  const reason = length > max ? `must be less than ${max + 1} characters` : 'must be a text object with text'
  return problem('invalid_blocks', reason, `${pointer}/text`)
}

function blockProblem(block: unknown, pointer: string): ContentProblem | undefined {
  if (!isObject(block) || typeof block.type !== 'string')
    return problem('invalid_blocks', 'missing required field: type', pointer)
  if (block.type === 'section') {
    if (block.text === undefined && block.fields === undefined) {
      return problem('invalid_blocks', 'must provide either text or fields', pointer)
    }
    if (block.text !== undefined) {
      const text = textProblem(block.text, 3000, `${pointer}/text`)
      if (text) return text
    }
    if (block.fields !== undefined) {
      if (!Array.isArray(block.fields) || block.fields.length > 10) {
        return problem('invalid_blocks', 'must provide no more than 10 items', `${pointer}/fields`)
      }
      for (const [i, field] of block.fields.entries()) {
        const text = textProblem(field, 2000, `${pointer}/fields/${i}`)
        if (text) return text
      }
    }
  } else if (block.type === 'header') {
    return textProblem(block.text, 150, `${pointer}/text`)
  } else if (block.type === 'context') {
    if (!Array.isArray(block.elements) || block.elements.length < 1 || block.elements.length > 10) {
      return problem('invalid_blocks', 'must provide between 1 and 10 items', `${pointer}/elements`)
    }
  }
  return undefined
}

/** Why a list of blocks is refused, or undefined when Slack would take it. */
function blocksProblem(blocks: unknown, pointer: string): ContentProblem | undefined {
  if (!Array.isArray(blocks)) return problem('invalid_blocks', 'must be an array', pointer)
  if (blocks.length > MAX_BLOCKS) {
    return problem('invalid_blocks', `must provide no more than ${MAX_BLOCKS} items`, pointer)
  }
  for (const [i, block] of blocks.entries()) {
    const found = blockProblem(block, `${pointer}/${i}`)
    if (found) return found
  }
  return undefined
}

/**
 * What Slack makes of a message's content (`text`, `blocks`, `attachments`), webhook and Web API
 * alike: undefined when it takes it, else why not.
 */
export function contentProblem(payload: Record<string, unknown>): ContentProblem | undefined {
  const hasText = typeof payload.text === 'string' && payload.text.length > 0
  const hasBlocks = Array.isArray(payload.blocks) && payload.blocks.length > 0
  const hasAttachments = Array.isArray(payload.attachments) && payload.attachments.length > 0
  if (payload.blocks !== undefined) {
    const found = blocksProblem(payload.blocks, '/blocks')
    if (found) return found
  }
  if (payload.attachments !== undefined) {
    if (!Array.isArray(payload.attachments))
      return problem('invalid_attachments', 'must be an array', '/attachments')
    if (payload.attachments.length > MAX_ATTACHMENTS) {
      return problem(
        'too_many_attachments',
        `must provide no more than ${MAX_ATTACHMENTS} items`,
        '/attachments',
      )
    }
    for (const [i, attachment] of payload.attachments.entries()) {
      if (!isObject(attachment))
        return problem('invalid_attachments', 'must be an object', `/attachments/${i}`)
      // The 50-block limit holds per container: each attachment's own blocks count separately.
      if (attachment.blocks !== undefined) {
        const found = blocksProblem(attachment.blocks, `/attachments/${i}/blocks`)
        if (found) return found
      }
    }
  }
  if (!hasText && !hasBlocks && !hasAttachments) return { error: 'no_text', message: '[ERROR] no text' }
  return undefined
}

/** Slack's verdict on a parsed webhook payload: `ok` or its error text. */
function verdict(payload: unknown): string {
  if (!isObject(payload)) return 'invalid_payload'
  const found = contentProblem(payload)
  // A webhook answers a malformed attachment list as a payload it could not read.
  if (found?.error === 'invalid_attachments') return 'invalid_payload'
  return found ? found.error : 'ok'
}

/** Parses a webhook body as Slack does: JSON, or a form with a `payload` field holding JSON. */
function parsePayload(request: WireRequest): { ok: true; value: unknown } | { ok: false } {
  const raw = request.body.toString('utf8')
  const contentType = headerValue(request.headers, 'content-type') ?? ''
  try {
    if (contentType.includes('application/x-www-form-urlencoded')) {
      const payload = new URLSearchParams(raw).get('payload')
      if (payload === null) return { ok: false }
      return { ok: true, value: JSON.parse(payload) }
    }
    return { ok: true, value: JSON.parse(raw) }
  } catch {
    return { ok: false }
  }
}

function text(status: number, body: string, extra: Record<string, string> = {}): Reply {
  // Slack answers webhooks with text/html bodies, success and error alike.
  return { status, headers: { 'content-type': 'text/html', ...extra }, body }
}

export class SlackService {
  readonly posts: SlackPost[] = []

  constructor(private readonly now: () => number) {}

  identify(request: WireRequest): CallIdentity {
    const name = SLACK_PATH.exec(request.url)?.[3] ?? ''
    const parsed = parsePayload(request)
    return parsed.ok ? { action: name, body: parsed.value } : { action: name }
  }

  handle(request: WireRequest, identity: CallIdentity): Reply {
    const parsed = parsePayload(request)
    const answer = parsed.ok ? verdict(parsed.value) : 'invalid_payload'
    const reply = answer === 'ok' ? text(200, 'ok') : text(STATUS_OF_ERROR[answer] ?? 400, answer)
    this.record(request, identity, reply)
    return reply
  }

  faultReply(fault: Fault, request: WireRequest, identity: CallIdentity): Reply {
    const status =
      fault.status ??
      (fault.retryAfterSeconds !== undefined ? 429 : fault.body ? (STATUS_OF_ERROR[fault.body] ?? 400) : 500)
    const body =
      fault.body ?? (status === 429 ? 'rate_limited' : status >= 500 ? 'rollup_error' : 'invalid_payload')
    const extra: Record<string, string> =
      fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : {}
    const reply = text(status, body, extra)
    this.record(request, identity, reply)
    return reply
  }

  record(request: WireRequest, identity: CallIdentity, reply: Reply): void {
    this.posts.push({
      name: identity.action,
      at: this.now(),
      body: identity.body,
      raw: request.body.toString('utf8'),
      status: reply.status,
      response: reply.body,
    })
  }
}
