/** What a Slack webhook missed while it failed, as the checkpoint keeps it (see webhook-ledger.ts). */

import { createHash } from 'node:crypto'
import { isoSecond } from '../format.js'

/** What one webhook has missed since it started failing. */
export interface MissedDeliveries {
  /** When the first missed message was due, epoch seconds. */
  since: number
  /** Run messages (alerts, resolved and gap notices) it did not take. */
  messages: number
  /** Entries those messages told of, and the 5xx and 4xx among them. */
  entries: number
  critical: number
  warning: number
  /** First second of the first missed message's window, last second of the latest one's. */
  from: number
  to: number
  /** The workflow runs whose message it missed: the first and the latest (at most MAX_RUN_URLS). */
  runUrls: string[]
  /** Slack's latest answer, one line, never the URL (`HTTP 404 channel_not_found`). */
  problem: string
  /** When the other webhooks were last told that this one fails (`notify-on-error`), epoch seconds. */
  notifiedAt?: number
}

/**
 * Missed deliveries by webhook, keyed by webhookKey(url): the URL is a secret and the state is not
 * (a cache entry or a file anyone with the repository can read).
 */
export type WebhookLedger = Record<string, MissedDeliveries>

export const MAX_RUN_URLS = 3
export const MAX_PROBLEM = 300

/**
 * 12 hex digits of the URL's SHA-256: enough to tell a handful of webhooks apart, and the secret part
 * of a Slack webhook URL (24 random characters) cannot be recovered from it.
 */
export function webhookKey(url: string): string {
  return createHash('sha256').update(url).digest('hex').slice(0, 12)
}

/** The checkpoint's `webhooks` field read back; undefined when any part is malformed. */
export function parseWebhookLedger(value: unknown): WebhookLedger | undefined {
  if (!isRecord(value)) return undefined
  const ledger: WebhookLedger = {}
  for (const [key, entry] of Object.entries(value)) {
    if (!/^[0-9a-f]{12}$/.test(key) || !isRecord(entry)) return undefined
    const numbers = ['since', 'messages', 'entries', 'critical', 'warning', 'from', 'to'] as const
    if (!numbers.every((name) => Number.isSafeInteger(entry[name]) && (entry[name] as number) >= 0)) {
      return undefined
    }
    const { runUrls, problem, notifiedAt } = entry
    if (
      !Array.isArray(runUrls) ||
      runUrls.length > MAX_RUN_URLS ||
      !runUrls.every((url) => typeof url === 'string' && url.length <= 2000) ||
      typeof problem !== 'string' ||
      problem.length > MAX_PROBLEM
    ) {
      return undefined
    }
    const missed: MissedDeliveries = {
      since: entry.since as number,
      messages: entry.messages as number,
      entries: entry.entries as number,
      critical: entry.critical as number,
      warning: entry.warning as number,
      from: entry.from as number,
      to: entry.to as number,
      runUrls: runUrls as string[],
      problem,
    }
    if (notifiedAt !== undefined) {
      if (!Number.isSafeInteger(notifiedAt)) return undefined
      missed.notifiedAt = notifiedAt as number
    }
    ledger[key] = missed
  }
  return ledger
}

/** `3 messages (12 entries: 5 5xx, 7 4xx) since 2026-11-23T10:05:00Z`. */
export function describeMissed(missed: MissedDeliveries): string {
  const messages = `${missed.messages} ${missed.messages === 1 ? 'message' : 'messages'}`
  const entries = `${missed.entries} ${missed.entries === 1 ? 'entry' : 'entries'}: ${missed.critical} 5xx, ${missed.warning} 4xx`
  return `${messages} (${entries}) since ${isoSecond(missed.since)}, covering ${isoSecond(missed.from)} – ${isoSecond(missed.to)}`
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/** One webhook as the job summary shows it. */
export interface WebhookStatus {
  name: string
  /** What this run did with it. */
  thisRun: 'delivered' | 'caught up' | 'failed' | 'nothing to send'
  /** Slack's answer when it failed. */
  problem?: string
  /** What it has missed and not been told of yet, after this run. */
  missed?: MissedDeliveries
  /** What it was told of by this run's catch-up message. */
  caughtUp?: MissedDeliveries
}
