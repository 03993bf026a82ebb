import {
  type FetchFunction,
  IncomingWebhook,
  IncomingWebhookHTTPError,
  IncomingWebhookRequestError,
} from '@slack/webhook'
import { pauseUnlessAborted } from '../insights/throttle.js'
import type { SlackMessage } from './blocks.js'
import { nodeHttpFetch } from './http-transport.js'

export interface SlackDeps {
  /** Transport for the webhook client; node:http(s) when absent (http-transport.ts). */
  fetch?: FetchFunction
  sleep: (ms: number) => Promise<void>
  log: (line: string) => void
  /** Tries per webhook, the first included. */
  maxAttempts?: number
  /** Source of jitter in [0, 1); `Math.random` when absent. */
  random?: () => number
  /**
   * Aborted when the job is cancelled: the request in flight is aborted and no retry or wait follows,
   * so a hanging webhook cannot hold a cancelled job until the runner kills it.
   */
  signal?: AbortSignal
}

const DEFAULT_MAX_ATTEMPTS = 5
/** A 429 without `Retry-After` waits this long. */
const DEFAULT_RETRY_AFTER_MS = 1_000
/** However long Slack asks us to wait, a scheduled job does not sit idle longer than this per try. */
const MAX_RETRY_AFTER_MS = 60_000
const BACKOFF_BASE_MS = 500
const BACKOFF_MAX_MS = 8_000
/** Slack: "Posting messages: 1 per second" per webhook (api.slack.com/docs/rate-limits). */
const MIN_GAP_MS = 1_000
/** A hung connection must not hold the job until the runner's own timeout. */
const REQUEST_TIMEOUT_MS = 15_000
/** Slack's error bodies are short codes (`invalid_payload`); a proxy's HTML page is not worth more. */
const MAX_BODY_IN_ERROR = 200

/** What Slack's documented 4xx answers mean for the person who set the action up. */
const HINTS: Record<string, string> = {
  invalid_payload: 'Slack could not read the message; this is a bug in insights-watch, please report it.',
  invalid_blocks: 'Slack rejected the message layout; this is a bug in insights-watch, please report it.',
  channel_not_found: "The webhook's channel no longer exists; create a new webhook and update the secret.",
  channel_is_archived: "The webhook's channel is archived; unarchive it or create a new webhook.",
  action_prohibited: 'A Slack admin has restricted posting to this channel.',
  no_service: 'The webhook was revoked or its app removed; create a new webhook and update the secret.',
  no_team: 'The Slack workspace of the webhook no longer exists.',
  invalid_token: 'The webhook was revoked; create a new webhook and update the secret.',
  user_not_found: 'The user the webhook posts to no longer exists.',
}

/** What one webhook made of a message: taken, or the error that says why not (never its URL). */
export interface WebhookOutcome {
  /** Position in `slack-webhook-url`, from 0. */
  index: number
  /** `webhook 2 of 3`: how logs, errors and the summary name a webhook, since its URL is a secret. */
  name: string
  url: string
  error?: Error
  /** The job was cancelled before Slack took the message. */
  cancelled?: boolean
}

/** A post Slack did not take; `problem` is Slack's answer in one line (`HTTP 404 channel_not_found`). */
export class SlackPostError extends Error {
  override name = 'SlackPostError'
  constructor(
    message: string,
    readonly problem: string,
  ) {
    super(message)
  }
}

/** A post that stopped because the job was cancelled, not because Slack refused it. */
class SlackCancelledError extends Error {
  override name = 'SlackCancelledError'
}

/** `webhook 2 of 3`. */
export function webhookName(index: number, total: number): string {
  return `webhook ${index + 1} of ${total}`
}

/**
 * Posts the message once to every webhook, in parallel (each webhook has its own rate limit), and
 * resolves to what each made of it, in input order. A webhook listed twice is posted to once and
 * shares the first one's outcome. Webhook URLs are secrets: they never appear in a log line or an
 * error, a webhook is named `webhook 1 of 2`.
 */
export async function postEach(
  message: SlackMessage,
  webhookUrls: readonly string[],
  deps: SlackDeps,
): Promise<WebhookOutcome[]> {
  const total = webhookUrls.length
  const firstIndex = new Map<string, number>()
  const posts: Promise<WebhookOutcome>[] = []
  webhookUrls.forEach((url, index) => {
    const name = webhookName(index, total)
    const earlier = firstIndex.get(url)
    if (earlier !== undefined) {
      // One message per destination: a second post would be a duplicate in the same channel.
      deps.log(`Slack: ${name} is the same as webhook ${earlier + 1}; posting there once.`)
      return
    }
    firstIndex.set(url, index)
    posts.push(postToWebhook(message, { index, name, url }, deps))
  })
  const outcomes = await Promise.all(posts)
  const byUrl = new Map(outcomes.map((outcome) => [outcome.url, outcome]))
  return webhookUrls.flatMap((url, index) => {
    const outcome = byUrl.get(url)
    if (!outcome) return []
    return [outcome.index === index ? outcome : { ...outcome, index, name: webhookName(index, total) }]
  })
}

/** Posts the message to one webhook, with retries; resolves to what it made of it, never rejects. */
export function postToWebhook(
  message: SlackMessage,
  webhook: { index: number; name: string; url: string },
  deps: SlackDeps,
): Promise<WebhookOutcome> {
  const { index, name, url } = webhook
  return postOne(message, url, name, deps).then(
    (): WebhookOutcome => ({ index, name, url }),
    (reason: unknown): WebhookOutcome => {
      const error = reason instanceof Error ? reason : new Error(String(reason))
      return error instanceof SlackCancelledError
        ? { index, name, url, error, cancelled: true }
        : { index, name, url, error }
    },
  )
}

/**
 * Posts the message once to every webhook (postEach); every webhook is tried even when another
 * fails, and the error then names each one that failed.
 */
export async function postToSlack(
  message: SlackMessage,
  webhookUrls: string[],
  deps: SlackDeps,
): Promise<void> {
  const outcomes = await postEach(message, webhookUrls, deps)
  // Listed twice, failed once: the error names the first position only.
  const failures = outcomes.filter(
    (outcome) => outcome.error && webhookUrls.indexOf(outcome.url) === outcome.index,
  )
  const [onlyFailure] = failures
  if (onlyFailure?.error === undefined) return
  if (failures.length === 1) throw onlyFailure.error
  const posted = new Set(webhookUrls).size
  throw new Error(
    `Slack: ${failures.length} of ${posted} webhooks failed. ${failures.map((failure) => failure.error?.message).join(' ')}`,
  )
}

/** What went wrong with one attempt, and whether (and after how long) to try again. */
interface Failure {
  problem: string
  status?: number
  retryInMs?: number
  hint?: string
}

async function postOne(message: SlackMessage, url: string, name: string, deps: SlackDeps): Promise<void> {
  const maxAttempts = Math.max(1, deps.maxAttempts ?? DEFAULT_MAX_ATTEMPTS)
  const random = deps.random ?? Math.random
  const { signal } = deps
  const seen: LastAnswer = { retryAfter: null, status: 0 }
  // Retries are ours (retries: 0): the client does not retry 429 and cannot see Retry-After.
  const webhook = new IncomingWebhook(url, {
    fetch: capturingFetch(deps.fetch ?? nodeHttpFetch, signal, seen),
    retryConfig: { retries: 0 },
    timeout: REQUEST_TIMEOUT_MS,
  })
  const cancelled = () =>
    new SlackCancelledError(`Slack: the job was cancelled before ${name} took the message; posting stopped.`)

  for (let attempt = 1; ; attempt += 1) {
    if (signal?.aborted) throw cancelled()
    let failure: Failure
    try {
      const answer = await webhook.send(message)
      failure = unlessTaken(seen.status, answer.text, url)
      if (failure.problem === '') {
        deps.log(`Slack: posted to ${name}${attempt > 1 ? ` on attempt ${attempt}` : ''}.`)
        return
      }
    } catch (error) {
      if (signal?.aborted) throw cancelled()
      failure = describe(error, seen.retryAfter, attempt, random, url)
    }
    const wait = retryWait(failure, name, attempt, maxAttempts)
    deps.log(
      `Slack: ${name} answered ${failure.problem}; retrying in ${formatSeconds(wait)} (attempt ${attempt + 1} of ${maxAttempts}).`,
    )
    // No longer than until the job is cancelled.
    await pauseUnlessAborted(deps.sleep, wait, deps.signal)
  }
}

/**
 * What the last request got that the client does not pass on: IncomingWebhookHTTPError carries status
 * and body but no headers, and a 2xx result (only `{ text }`) not even the status.
 */
interface LastAnswer {
  retryAfter: string | null
  status: number
}

/** `transport`, keeping each answer's Retry-After and status in `seen`, and aborted with the job. */
function capturingFetch(
  transport: FetchFunction,
  signal: AbortSignal | undefined,
  seen: LastAnswer,
): FetchFunction {
  return async (input, init) => {
    seen.retryAfter = null
    seen.status = 0
    // The client's own timeout arrives as `init.signal`; the job's cancellation aborts the request too.
    const signals = [init?.signal, signal].filter((s): s is AbortSignal => s instanceof AbortSignal)
    const response = await transport(input, {
      ...init,
      ...(signals.length > 0 ? { signal: signals.length === 1 ? signals[0] : AbortSignal.any(signals) } : {}),
    })
    seen.retryAfter = response.headers.get('retry-after')
    seen.status = response.status
    return response
  }
}

/**
 * How long to wait before trying `failure` again, at least Slack's one second between posts; throws
 * the SlackPostError the post ends with when it is not worth retrying or the tries are used up.
 */
function retryWait(failure: Failure, name: string, attempt: number, maxAttempts: number): number {
  if (failure.retryInMs === undefined) {
    const hint = failure.hint ? ` ${failure.hint}` : ''
    throw new SlackPostError(
      `Slack rejected the message for ${name}: ${failure.problem}.${hint}`,
      failure.problem,
    )
  }
  if (attempt >= maxAttempts) {
    const attempts = `${attempt} ${attempt === 1 ? 'attempt' : 'attempts'}`
    throw new SlackPostError(
      `Slack: gave up on ${name} after ${attempts}; the last one got ${failure.problem}.`,
      `${failure.problem} (${attempts})`,
    )
  }
  return Math.max(MIN_GAP_MS, failure.retryInMs)
}

/**
 * A 2xx is not enough: a Slack incoming webhook answers the text `ok` when it takes a message, and
 * answers some refusals with 200 and the error as the body (`no_service` from a disabled webhook, seen
 * in slackapi/slack-github-action#249 and other clients' bug reports). Anything but `ok` is a failure
 * carrying Slack's text; `problem` is empty when the message was taken.
 */
function unlessTaken(status: number, body: string, url: string): Failure {
  const answer = body.trim()
  if (answer === 'ok') return { problem: '' }
  const text = scrub(oneLine(body), url)
  const problem = `HTTP ${status || 200} ${text || '(an empty answer)'}`
  const hint =
    HINTS[answer] ??
    'A Slack incoming webhook answers `ok` when it takes a message; check that slack-webhook-url holds a Slack incoming-webhook URL.'
  return { problem, status, hint }
}

function describe(
  error: unknown,
  retryAfter: string | null,
  attempt: number,
  random: () => number,
  url: string,
): Failure {
  if (error instanceof IncomingWebhookHTTPError) {
    const status = error.statusCode
    const body = scrub(oneLine(error.body), url)
    const problem = `HTTP ${status}${body ? ` ${body}` : ''}`
    if (status === 429) return { problem, status, retryInMs: retryAfterMs(retryAfter) }
    if (status >= 500) return { problem, status, retryInMs: backoffMs(attempt, random) }
    const hint = HINTS[error.body.trim()]
    return hint ? { problem, status, hint } : { problem, status }
  }
  if (error instanceof IncomingWebhookRequestError) {
    const cause = error.original.cause
    const code =
      cause && typeof cause === 'object' && 'code' in cause && typeof cause.code === 'string'
        ? ` (${cause.code})`
        : ''
    const problem = `a network error: ${scrub(oneLine(error.original.message), url)}${code}`
    return { problem, retryInMs: backoffMs(attempt, random) }
  }
  const text = error instanceof Error ? error.message : String(error)
  return { problem: `an unexpected error: ${scrub(oneLine(text), url)}` }
}

/** `Retry-After` in seconds (the form Slack sends), 1 s when absent or unreadable, at most 60 s. */
function retryAfterMs(header: string | null): number {
  const seconds = header === null ? Number.NaN : Number(header.trim())
  if (!Number.isFinite(seconds) || seconds < 0) return DEFAULT_RETRY_AFTER_MS
  return Math.min(MAX_RETRY_AFTER_MS, Math.ceil(seconds * 1000))
}

/** Exponential backoff with "equal jitter": half the delay fixed, half random, so retries spread out. */
function backoffMs(attempt: number, random: () => number): number {
  const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** attempt)
  return Math.round(delay / 2 + random() * (delay / 2))
}

/** A webhook URL must never reach a log: the URL and its path (the secret part) are replaced wherever seen. */
function scrub(text: string, url: string): string {
  let result = text.split(url).join('[webhook URL]')
  try {
    const { pathname } = new URL(url)
    if (pathname.length > 1) result = result.split(pathname).join('[webhook URL]')
  } catch {
    // Not a URL: only the whole string could leak, and it is already replaced.
  }
  return result
}

/**
 * An answer as one short line. (It may come from anything the URL points at: what it could do in the
 * workflow log, workflow-log.ts undoes, as for every line printed.)
 */
function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim()
  return line.length > MAX_BODY_IN_ERROR ? `${line.slice(0, MAX_BODY_IN_ERROR)}…` : line
}

function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)} s`
}

/**
 * The message to every webhook (postToSlack), or with `dry-run` printed through `deps.log` instead.
 * Resolves to which of the two happened; a failed post throws as postToSlack does.
 */
export async function deliver(
  message: SlackMessage,
  settings: { slackWebhookUrls: string[]; dryRun: boolean },
  deps: SlackDeps,
): Promise<'posted' | 'printed'> {
  if (settings.dryRun) {
    deps.log(formatDryRun(message, settings.slackWebhookUrls.length))
    return 'printed'
  }
  await postToSlack(message, settings.slackWebhookUrls, deps)
  return 'posted'
}

/**
 * The payload as `dry-run` prints it: what would be posted and to how many webhooks, never where.
 */
export function formatDryRun(message: SlackMessage, webhookCount: number): string {
  const destination =
    webhookCount === 0
      ? 'No slack-webhook-url is set; this is the Slack message a run would post if one were:'
      : `dry-run: this Slack message would be posted to ${webhookCount} ${webhookCount === 1 ? 'webhook' : 'webhooks'} (not sent):`
  return `${destination}\n${JSON.stringify(message, null, 2)}`
}
