import type {
  ChatPostMessageArguments,
  ChatUpdateArguments,
  FetchFunction,
  Logger,
  LogLevel,
  WebClient,
} from '@slack/web-api'
import { seconds } from '../format.js'
import { pauseUnlessAborted } from '../insights/throttle.js'
import type { ProxyAgentsFactory } from '../net/proxy.js'
import type { SlackMessage } from './blocks.js'
import { apiHttpFetch } from './http-transport.js'

/**
 * The bot-token mode's Slack client: chat.postMessage, chat.update and auth.test over
 * `@slack/web-api`'s WebClient, loaded only when a run uses a bot token (a webhook run never loads it;
 * the bundle keeps it in a chunk of its own).
 *
 * Retries are ours, not WebClient's: its own wait on a 429 is a bare timer that neither the run's
 * `sleep` (tests, the cancelled job) nor the job's cancellation reaches, and its default policy retries
 * for about half an hour. So `rejectRateLimitedCalls` makes a 429 fail at once with Slack's
 * Retry-After, `retryConfig: { retries: 0 }` makes every other failure fail at once, and this module
 * waits (Retry-After, at most a minute; or a jittered backoff for a 5xx or a dropped connection) with
 * `deps.sleep` and tries again, a bounded number of times.
 *
 * The token is the caller's to mask; it never appears in a log line or an error this module writes.
 */

export interface SlackBotDeps {
  /** `INSIGHTS_WATCH_SLACK_API_URL` points the client at another Web API (the emulator); Slack's by default. */
  env: Record<string, string | undefined>
  sleep: (ms: number) => Promise<void>
  log: (line: string) => void
  /** Aborted when the job is cancelled: the call in flight is aborted, and no wait or retry follows. */
  signal?: AbortSignal
  /** Set behind a proxy (src/net/proxy.ts): the client's requests go through these agents. */
  proxyAgents?: ProxyAgentsFactory
  /** Tries per call, the first included; 5 when absent. */
  maxAttempts?: number
  /** Source of jitter in [0, 1); `Math.random` when absent. */
  random?: () => number
}

export interface PostOptions {
  /** Post as a reply in the thread of this message (the card's `ts`). */
  threadTs?: string
  /** A reply also shown in the channel (`reply_broadcast`). */
  broadcast?: boolean
}

/** Where a message is: the channel as Slack names it (an ID, even when it was given as `#name`) and its ts. */
export interface PostedMessage {
  channel: string
  ts: string
}

/** Who the token is (auth.test), and the scopes Slack says it has when it says so. */
export interface SlackBotIdentity {
  team: string
  teamId: string
  user: string
  userId: string
  botId?: string
  url: string
  scopes?: string[]
}

export interface SlackBot {
  authTest(): Promise<SlackBotIdentity>
  postMessage(channel: string, message: SlackMessage, options?: PostOptions): Promise<PostedMessage>
  update(channel: string, ts: string, message: SlackMessage): Promise<PostedMessage>
}

/** A call Slack did not take; `code` is Slack's error (`channel_not_found`) or ours (`cancelled`, `http_503`). */
export class SlackBotError extends Error {
  override name = 'SlackBotError'
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message)
  }
}

/**
 * The message to update, or to reply under, is gone (chat.update's `message_not_found`, a reply's
 * `thread_not_found`): someone deleted the card. The caller starts a new one.
 */
export class SlackMessageNotFoundError extends SlackBotError {
  override name = 'SlackMessageNotFoundError'
  constructor(
    message: string,
    code: string,
    readonly channel: string,
    readonly ts: string,
  ) {
    super(message, code)
  }
}

const SLACK_API_URL = 'https://slack.com/api/'
const API_URL_VARIABLE = 'INSIGHTS_WATCH_SLACK_API_URL'
const DEFAULT_MAX_ATTEMPTS = 5
/** A 429 whose Retry-After cannot be read waits this long. */
const DEFAULT_RETRY_AFTER_MS = 1_000
/** However long Slack asks us to wait, a scheduled job does not sit idle longer than this per try. */
const MAX_RETRY_AFTER_MS = 60_000
const BACKOFF_BASE_MS = 500
const BACKOFF_MAX_MS = 8_000
/** A hung connection must not hold the job until the runner's own timeout. */
const REQUEST_TIMEOUT_MS = 15_000
const MAX_TEXT_IN_ERROR = 300

/** Slack errors that say "try again": the server's trouble, not the request's. */
const TRANSIENT = new Set([
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
  'ratelimited',
])
/** Slack refused the message itself: our layout, which no input can fix. */
const MESSAGE_REFUSED = new Set([
  'msg_too_long',
  'invalid_blocks',
  'invalid_blocks_format',
  'invalid_attachments',
  'too_many_attachments',
  'no_text',
  'invalid_arguments',
])
const TOKEN_FIX =
  "Put the app's Bot User OAuth Token (it starts with xoxb-, on the app's OAuth & Permissions page) in the secret the slack-bot-token input reads."

/** What a call was about, for its errors. */
interface Target {
  method: string
  channel?: string
  ts?: string
}

/** What one attempt's answer carried that WebClient's errors do not: the status (a 429 without Retry-After). */
interface LastAnswer {
  status: number
}

/** What went wrong with one attempt: the error to end with, or how long to wait before the next. */
interface Failure {
  error: SlackBotError
  retryInMs?: number
}

/** The client; loads `@slack/web-api` on first use. */
export async function createSlackBot(token: string, deps: SlackBotDeps): Promise<SlackBot> {
  const apiUrl = webApiUrl(deps.env)
  const { WebClient } = await import('@slack/web-api')
  const seen: LastAnswer = { status: 0 }
  const client = new WebClient(token, {
    slackApiUrl: apiUrl,
    fetch: watchedFetch(apiHttpFetch(deps.proxyAgents?.()), deps.signal, seen),
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: REQUEST_TIMEOUT_MS,
    logger: quietLogger(deps.log, token),
  })
  const call = <T>(target: Target, run: () => Promise<T>) => withRetries(target, run, token, seen, deps)
  return {
    authTest: () => call({ method: 'auth.test' }, () => authTest(client)),
    postMessage: (channel, message, options = {}) =>
      call(
        { method: 'chat.postMessage', channel, ...(options.threadTs ? { ts: options.threadTs } : {}) },
        () => postMessage(client, channel, message, options),
      ),
    update: (channel, ts, message) =>
      call({ method: 'chat.update', channel, ts }, () => update(client, channel, ts, message)),
  }
}

/** Slack's Web API, or the one `INSIGHTS_WATCH_SLACK_API_URL` names (the emulator's). */
function webApiUrl(env: Record<string, string | undefined>): string {
  const value = env[API_URL_VARIABLE]?.trim()
  if (!value) return SLACK_API_URL
  let url: URL | undefined
  try {
    url = new URL(value)
  } catch {}
  if (url?.protocol !== 'https:' && url?.protocol !== 'http:') {
    throw new SlackBotError(
      `${API_URL_VARIABLE} is set but is not an http(s) URL; unset it to use Slack's Web API.`,
      'bad_api_url',
    )
  }
  return value
}

async function authTest(client: WebClient): Promise<SlackBotIdentity> {
  const answer = await client.auth.test()
  const identity: SlackBotIdentity = {
    team: answer.team ?? '',
    teamId: answer.team_id ?? '',
    user: answer.user ?? '',
    userId: answer.user_id ?? '',
    url: answer.url ?? '',
  }
  if (answer.bot_id) identity.botId = answer.bot_id
  if (answer.response_metadata?.scopes) identity.scopes = answer.response_metadata.scopes
  return identity
}

async function postMessage(
  client: WebClient,
  channel: string,
  message: SlackMessage,
  options: PostOptions,
): Promise<PostedMessage> {
  const thread = options.threadTs
    ? { thread_ts: options.threadTs, reply_broadcast: options.broadcast === true }
    : {}
  const args: ChatPostMessageArguments = {
    channel,
    text: message.text,
    attachments: message.attachments,
    // Our links (the run, the console) are not worth a preview under every card and reply.
    unfurl_links: false,
    unfurl_media: false,
    ...thread,
  }
  return placed('chat.postMessage', await client.chat.postMessage(args))
}

async function update(
  client: WebClient,
  channel: string,
  ts: string,
  message: SlackMessage,
): Promise<PostedMessage> {
  const args: ChatUpdateArguments = { channel, ts, text: message.text, attachments: message.attachments }
  return placed('chat.update', await client.chat.update(args))
}

function placed(method: string, answer: { channel?: string; ts?: string }): PostedMessage {
  if (!answer.channel || !answer.ts) {
    throw new SlackBotError(`Slack answered ${method} without the message's channel and ts.`, 'no_ts')
  }
  return { channel: answer.channel, ts: answer.ts }
}

async function withRetries<T>(
  target: Target,
  run: () => Promise<T>,
  token: string,
  seen: LastAnswer,
  deps: SlackBotDeps,
): Promise<T> {
  const maxAttempts = Math.max(1, deps.maxAttempts ?? DEFAULT_MAX_ATTEMPTS)
  const random = deps.random ?? Math.random
  for (let attempt = 1; ; attempt += 1) {
    if (deps.signal?.aborted) throw cancelled(target)
    let failure: Failure
    try {
      const result = await run()
      if (attempt > 1) deps.log(`Slack: ${target.method} went through on attempt ${attempt}.`)
      return result
    } catch (error) {
      if (deps.signal?.aborted) throw cancelled(target)
      failure = describe(error, target, seen, () => backoffMs(attempt, random))
    }
    failure.error.message = scrub(failure.error.message, token)
    if (failure.retryInMs === undefined) throw failure.error
    if (attempt >= maxAttempts) {
      throw new SlackBotError(
        `${failure.error.message} Gave up after ${attempt} attempts.`,
        failure.error.code,
      )
    }
    deps.log(
      `Slack: ${target.method} answered ${failure.error.code}; retrying in ${seconds(failure.retryInMs)} (attempt ${attempt + 1} of ${maxAttempts}).`,
    )
    await pauseUnlessAborted(deps.sleep, failure.retryInMs, deps.signal)
  }
}

function cancelled(target: Target): SlackBotError {
  return new SlackBotError(
    `Slack: the job was cancelled before ${target.method}${where(target)} went through.`,
    'cancelled',
  )
}

/** The shape of WebClient's errors, read by their `code` (the classes live in the lazily loaded module). */
interface WebClientError {
  code?: unknown
  data?: { error?: unknown; needed?: unknown; provided?: unknown; response_metadata?: { messages?: unknown } }
  retryAfter?: unknown
  statusCode?: unknown
  body?: unknown
  original?: { message?: unknown; name?: unknown; cause?: unknown }
  message?: unknown
}

function describe(error: unknown, target: Target, seen: LastAnswer, backoff: () => number): Failure {
  const e = (typeof error === 'object' && error !== null ? error : {}) as WebClientError
  switch (e.code) {
    case 'slack_webapi_platform_error':
      return platformFailure(e.data ?? {}, target, backoff)
    case 'slack_webapi_rate_limited_error':
      return rateLimited(target, typeof e.retryAfter === 'number' ? e.retryAfter * 1000 : undefined)
    case 'slack_webapi_http_error': {
      const status = typeof e.statusCode === 'number' ? e.statusCode : 0
      const body = oneLine(typeof e.body === 'string' ? e.body : '')
      const error = new SlackBotError(
        `Slack answered ${target.method}${where(target)} with HTTP ${status}${body ? ` ${body}` : ''}.`,
        `http_${status}`,
      )
      return status >= 500 ? { error, retryInMs: backoff() } : { error }
    }
    case 'slack_webapi_request_error':
      return { error: networkError(target, e.original ?? {}), retryInMs: backoff() }
    default:
      // WebClient answers a 429 whose Retry-After it cannot read with a plain Error.
      if (seen.status === 429) return rateLimited(target, undefined)
      return {
        error: new SlackBotError(
          `Slack: ${target.method}${where(target)} failed: ${oneLine(String(e.message ?? error))}`,
          'unexpected',
        ),
      }
  }
}

function rateLimited(target: Target, retryAfterMs: number | undefined): Failure {
  const wait =
    retryAfterMs === undefined || !Number.isFinite(retryAfterMs) || retryAfterMs < 0
      ? DEFAULT_RETRY_AFTER_MS
      : Math.min(MAX_RETRY_AFTER_MS, Math.max(DEFAULT_RETRY_AFTER_MS, retryAfterMs))
  return {
    error: new SlackBotError(
      `Slack rate-limited ${target.method}${where(target)} (HTTP 429, too many calls for its rate limit).`,
      'ratelimited',
    ),
    retryInMs: wait,
  }
}

function networkError(
  target: Target,
  original: { message?: unknown; name?: unknown; cause?: unknown },
): SlackBotError {
  const cause = original.cause
  const code =
    cause && typeof cause === 'object' && 'code' in cause && typeof cause.code === 'string'
      ? ` (${cause.code})`
      : ''
  const timedOut = original.name === 'TimeoutError' || original.name === 'AbortError'
  const what = timedOut
    ? `no answer within ${seconds(REQUEST_TIMEOUT_MS)}`
    : `a network error: ${oneLine(String(original.message ?? ''))}${code}`
  return new SlackBotError(
    `Slack: ${target.method}${where(target)} got ${what}.`,
    timedOut ? 'timeout' : 'network_error',
  )
}

/** Slack's `{ ok: false, error }` answer as an error that names the input to fix and how. */
function platformFailure(
  data: NonNullable<WebClientError['data']>,
  target: Target,
  backoff: () => number,
): Failure {
  const code = typeof data.error === 'string' ? data.error : 'unknown_error'
  const refused = `Slack refused ${target.method}${where(target)}: ${code}.`
  if (TRANSIENT.has(code)) {
    const error = new SlackBotError(`${refused} The trouble is on Slack's side.`, code)
    return { error, retryInMs: code === 'ratelimited' ? DEFAULT_RETRY_AFTER_MS : backoff() }
  }
  if (code === 'message_not_found' || code === 'thread_not_found') {
    const ts = target.ts ?? ''
    return {
      error: new SlackMessageNotFoundError(
        `Slack has no message ${ts} in ${target.channel ?? 'the channel'} any more (${code}): it was deleted.`,
        code,
        target.channel ?? '',
        ts,
      ),
    }
  }
  return { error: new SlackBotError(`${refused} ${platformHint(code, data, target)}`, code) }
}

function platformHint(code: string, data: NonNullable<WebClientError['data']>, target: Target): string {
  const channel = target.channel ? `"${target.channel}"` : 'the channel'
  switch (code) {
    case 'invalid_auth':
      return `The token in slack-bot-token is not one Slack knows. ${TOKEN_FIX}`
    case 'not_authed':
      return `No token reached Slack: slack-bot-token is empty. ${TOKEN_FIX}`
    case 'token_revoked':
    case 'account_inactive':
      return `The token in slack-bot-token was revoked (the app was uninstalled, or its token regenerated). Reinstall the app to the workspace, then ${TOKEN_FIX.charAt(0).toLowerCase()}${TOKEN_FIX.slice(1)}`
    case 'token_expired':
      return `The token in slack-bot-token has expired: the app rotates its tokens. Turn token rotation off for the app (a bot token then never expires) and ${TOKEN_FIX.charAt(0).toLowerCase()}${TOKEN_FIX.slice(1)}`
    case 'not_allowed_token_type':
      return `slack-bot-token holds a token of another kind. ${TOKEN_FIX}`
    case 'missing_scope':
      return missingScopeHint(data)
    case 'channel_not_found':
      return `Slack has no channel ${channel} that the app can see. Check the slack-channel input: a channel name (#alerts) or ID (C0123ABCDEF). A private channel is seen only once the app is in it: invite it with /invite @<app name>.`
    case 'not_in_channel':
      return `The app is not a member of ${channel}. Invite it (/invite @<app name> in the channel), or, for a public channel, add the chat:write.public scope to the app's Bot Token Scopes and reinstall it.`
    case 'is_archived':
    case 'channel_is_archived':
      return `${channel} is archived: unarchive it, or set the slack-channel input to another channel.`
    case 'cant_update_message':
      return `The message ${target.ts ?? ''} was not posted by this app, so it cannot edit it.`
    case 'restricted_action':
    case 'restricted_action_read_only_channel':
    case 'restricted_action_thread_only_channel':
    case 'restricted_action_non_threadable_channel':
      return `A workspace setting or admin restricts posting in ${channel}; allow the app to post there, or choose another slack-channel.`
    default:
      if (MESSAGE_REFUSED.has(code)) {
        const text = slackText(data)
        return `${text ? `Slack says: ${text}. ` : ''}The message is insights-watch's own layout: this is a bug in insights-watch, please report it.`
      }
      return `See https://docs.slack.dev/reference/methods/${target.method}#errors.`
  }
}

/** Slack names the scope a call needs (`needed`) and those the token has (`provided`). */
function missingScopeHint(data: NonNullable<WebClientError['data']>): string {
  const needed = typeof data.needed === 'string' && data.needed ? data.needed : 'chat:write'
  const provided = typeof data.provided === 'string' && data.provided ? data.provided : 'none'
  return `The token in slack-bot-token lacks the ${needed} scope (it has: ${provided}). Add ${needed} to the app's Bot Token Scopes (OAuth & Permissions), reinstall the app, and update the secret slack-bot-token reads if the token changed.`
}

/** Slack's own words about a refused message (`response_metadata.messages`), in one line. */
function slackText(data: NonNullable<WebClientError['data']>): string {
  const messages = data.response_metadata?.messages
  return Array.isArray(messages) ? oneLine(messages.filter((m) => typeof m === 'string').join('; ')) : ''
}

function where(target: Target): string {
  if (!target.channel) return ''
  if (target.method === 'chat.update') return ` of ${target.ts} in ${target.channel}`
  return target.ts ? ` in the thread of ${target.ts} in ${target.channel}` : ` to ${target.channel}`
}

/**
 * The transport, aborted with the job as well as by the client's own timeout, keeping each answer's
 * status (WebClient's error for a 429 without Retry-After does not carry it).
 */
function watchedFetch(
  transport: FetchFunction,
  signal: AbortSignal | undefined,
  seen: LastAnswer,
): FetchFunction {
  return async (input, init) => {
    seen.status = 0
    const signals = [init?.signal, signal].filter((s): s is AbortSignal => s instanceof AbortSignal)
    const response = await transport(input, {
      ...init,
      ...(signals.length > 0 ? { signal: signals.length === 1 ? signals[0] : AbortSignal.any(signals) } : {}),
    })
    seen.status = response.status
    return response
  }
}

/**
 * WebClient's logger: its debug and info lines are dropped (our own lines say what happened), its
 * warnings go to the run's log, without the token. "http request failed" is said by our retry line.
 */
function quietLogger(log: (line: string) => void, token: string): Logger {
  const warn = (...parts: unknown[]) => {
    const line = parts.map(String).join(' ')
    if (line.startsWith('http request failed')) return
    log(`Slack Web API: ${scrub(oneLine(line), token)}`)
  }
  return {
    debug: () => {},
    info: () => {},
    warn,
    error: warn,
    setLevel: () => {},
    getLevel: () => 'warn' as LogLevel,
    setName: () => {},
  }
}

/** Exponential backoff with "equal jitter": half the delay fixed, half random. */
function backoffMs(attempt: number, random: () => number): number {
  const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** attempt)
  return Math.round(delay / 2 + random() * (delay / 2))
}

/** The token must never reach a log line or an error, whatever text carried it. */
function scrub(text: string, token: string): string {
  return token ? text.split(token).join('[slack-bot-token]') : text
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim()
  return line.length > MAX_TEXT_IN_ERROR ? `${line.slice(0, MAX_TEXT_IN_ERROR)}…` : line
}
