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

/** Why a list of blocks is refused, or undefined when Slack would take it. */
function blocksProblem(blocks: unknown): string | undefined {
  if (!Array.isArray(blocks)) return 'invalid_blocks'
  if (blocks.length > MAX_BLOCKS) return 'invalid_blocks'
  for (const block of blocks) {
    if (!isObject(block) || typeof block.type !== 'string') return 'invalid_blocks'
    if (block.type === 'section') {
      if (block.text === undefined && block.fields === undefined) return 'invalid_blocks'
      if (block.text !== undefined && !textOk(block.text, 3000)) return 'invalid_blocks'
      if (block.fields !== undefined) {
        if (!Array.isArray(block.fields) || block.fields.length > 10) return 'invalid_blocks'
        if (!block.fields.every((f) => textOk(f, 2000))) return 'invalid_blocks'
      }
    } else if (block.type === 'header') {
      if (!textOk(block.text, 150)) return 'invalid_blocks'
    } else if (block.type === 'context') {
      if (!Array.isArray(block.elements) || block.elements.length < 1 || block.elements.length > 10) {
        return 'invalid_blocks'
      }
    }
  }
  return undefined
}

/** Slack's verdict on a parsed payload: `ok` or its error text. */
function verdict(payload: unknown): string {
  if (!isObject(payload)) return 'invalid_payload'
  const hasText = typeof payload.text === 'string' && payload.text.length > 0
  const hasBlocks = Array.isArray(payload.blocks) && payload.blocks.length > 0
  const hasAttachments = Array.isArray(payload.attachments) && payload.attachments.length > 0
  if (payload.blocks !== undefined) {
    const problem = blocksProblem(payload.blocks)
    if (problem) return problem
  }
  if (payload.attachments !== undefined) {
    if (!Array.isArray(payload.attachments)) return 'invalid_payload'
    if (payload.attachments.length > MAX_ATTACHMENTS) return 'too_many_attachments'
    for (const attachment of payload.attachments) {
      if (!isObject(attachment)) return 'invalid_payload'
      // The 50-block limit holds per container: each attachment's own blocks count separately.
      if (attachment.blocks !== undefined) {
        const problem = blocksProblem(attachment.blocks)
        if (problem) return problem
      }
    }
  }
  if (!hasText && !hasBlocks && !hasAttachments) return 'no_text'
  return 'ok'
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
