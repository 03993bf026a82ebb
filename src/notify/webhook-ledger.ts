import type { Counts } from '../alerting.js'
import type { Window } from '../insights/window.js'
import type { SlackMessage } from './blocks.js'
import { buildCatchUpMessage, buildWebhookNotice, type FailingWebhook } from './catch-up-message.js'
import {
  describeMissed,
  MAX_PROBLEM,
  MAX_RUN_URLS,
  type MissedDeliveries,
  type WebhookLedger,
  type WebhookStatus,
  webhookKey,
} from './missed-deliveries.js'
import { postToWebhook, type SlackDeps, SlackPostError, type WebhookOutcome, webhookName } from './slack.js'

/**
 * Delivery remembered per webhook. With several webhooks, one that fails for good must neither hold
 * the others back (the checkpoint not moving, so the healthy channels get the backlog again every run)
 * nor be forgotten: the checkpoint moves once any webhook took the run's message, and what each
 * failing webhook missed is kept here until it takes a catch-up message saying so.
 */

/** The run's own message: what it is and what it tells of. */
export interface RunMessage {
  message: SlackMessage
  /** `alert`, `resolved notice`, `gap notice`: for the log and the summary. */
  what: string
  /** The entries it tells of (quiet-period ones included). */
  told: Counts
  window: Window
}

export interface LedgerSettings {
  monitorName: string
  slackWebhookUrls: readonly string[]
  notifyOnError: boolean
  /** How long after telling the other webhooks that one fails they are reminded (failure-notices.ts). */
  reminderSeconds: number
}

export interface LedgerRun {
  /** Epoch seconds. */
  now: number
  runUrl?: string
  /** The Logs Insights console on this monitor's query over a stretch of time. */
  consoleUrl: (window: Window) => string | undefined
  /** Non-fatal trouble: a notice the other webhooks did not take. */
  warn: (line: string) => void
}

export interface WebhookDelivery {
  /** The ledger to save with the checkpoint: only webhooks still in `slack-webhook-url`. */
  ledger: WebhookLedger
  webhooks: WebhookStatus[]
  /** Webhooks that took the run's message. */
  delivered: number
  /** Distinct webhooks (one listed twice counts once). */
  total: number
  /**
   * The run's message was due and no webhook took it, or the job was cancelled: the checkpoint must
   * stay where it was, so that the next run sends these entries again.
   */
  keepCheckpoint: boolean
  cancelled: boolean
  /** Why the step fails: each failing webhook by position, with Slack's answer. */
  failures: string[]
}

interface Webhook {
  index: number
  name: string
  url: string
  key: string
}

/**
 * Posts the run's message (when there is one) to every webhook, then to each webhook that missed
 * earlier messages and works now one catch-up message, and updates the ledger. With
 * `notify-on-error`, the webhooks that work are told once per failing episode (then every
 * `reminderSeconds`) that another one fails and what it missed, and once when it works again.
 */
export async function deliverWithLedger(
  run: RunMessage | undefined,
  previous: WebhookLedger | undefined,
  settings: LedgerSettings,
  context: LedgerRun,
  deps: SlackDeps,
): Promise<WebhookDelivery> {
  const webhooks = distinctWebhooks(settings.slackWebhookUrls, deps.log)
  const ledger = listedOnly(previous, webhooks)
  const forgotten = Object.keys(previous ?? {}).length - Object.keys(ledger).length
  if (forgotten > 0) {
    deps.log(
      `Slack: forgetting what ${forgotten === 1 ? 'a webhook' : `${forgotten} webhooks`} no longer in slack-webhook-url missed.`,
    )
  }
  const progress = startProgress(webhooks, ledger)
  const { delivery, statuses } = progress

  if (run) {
    const outcomes = await Promise.all(webhooks.map((webhook) => postToWebhook(run.message, webhook, deps)))
    if (stoppedByCancel(outcomes, deps)) return cancelledDelivery(delivery, outcomes, webhooks, statuses)
    recordRunOutcomes(progress, run, webhooks, outcomes, context)
    if (delivery.delivered === 0) {
      // Nobody took it: the checkpoint stays and the next run sends it again, so nothing is missed yet.
      delivery.keepCheckpoint = true
      delivery.ledger = listedOnly(previous, webhooks)
      finishStatuses(delivery, webhooks, statuses)
      return delivery
    }
  }

  // A catch-up for each webhook that missed messages and took this run's (or had none to take).
  const catchingUp = webhooks.filter(
    (webhook) => previous?.[webhook.key] && !progress.failed.has(webhook.key),
  )
  const catchUps = await Promise.all(
    catchingUp.map((webhook) => {
      const missed = previous?.[webhook.key] as MissedDeliveries
      const message = buildCatchUpMessage(missed, {
        monitorName: settings.monitorName,
        consoleUrl: context.consoleUrl({ start: missed.from, end: missed.to }),
      })
      return postToWebhook(message, webhook, deps)
    }),
  )
  if (stoppedByCancel(catchUps, deps)) return cancelledDelivery(delivery, catchUps, webhooks, statuses)
  const recovered = recordCatchUpOutcomes(progress, previous, catchingUp, catchUps, deps.log)

  if (settings.notifyOnError) {
    await tellTheOthers(webhooks, progress.failed, recovered, delivery.ledger, settings, context, deps)
  }
  finishStatuses(delivery, webhooks, statuses)
  return delivery
}

/** This run's posting so far: the delivery, each webhook's status by ledger key, the keys that failed. */
interface Progress {
  delivery: WebhookDelivery
  statuses: Map<string, WebhookStatus>
  failed: Set<string>
}

/** A webhook that took its catch-up, and what that told it of. */
interface Recovered {
  webhook: Webhook
  missed: MissedDeliveries
}

/** The records of `previous` for the webhooks still in `slack-webhook-url`. */
function listedOnly(previous: WebhookLedger | undefined, webhooks: readonly Webhook[]): WebhookLedger {
  const ledger: WebhookLedger = {}
  for (const webhook of webhooks) {
    const missed = previous?.[webhook.key]
    if (missed) ledger[webhook.key] = missed
  }
  return ledger
}

/** Nothing delivered yet, nothing to send yet; each webhook with what it missed before this run. */
function startProgress(webhooks: readonly Webhook[], ledger: WebhookLedger): Progress {
  const delivery: WebhookDelivery = {
    ledger,
    webhooks: [],
    delivered: 0,
    total: webhooks.length,
    keepCheckpoint: false,
    cancelled: false,
    failures: [],
  }
  const statuses = new Map<string, WebhookStatus>()
  for (const webhook of webhooks) {
    const missed = ledger[webhook.key]
    statuses.set(webhook.key, {
      name: webhook.name,
      thisRun: 'nothing to send',
      ...(missed ? { missed } : {}),
    })
  }
  return { delivery, statuses, failed: new Set<string>() }
}

/** The job was cancelled while these posts were made (or before they answered). */
function stoppedByCancel(outcomes: readonly WebhookOutcome[], deps: SlackDeps): boolean {
  return outcomes.some((outcome) => outcome.cancelled) || deps.signal?.aborted === true
}

/** A webhook did not take a message: its status says so and Slack's answer joins the step's failures. */
function markFailed(progress: Progress, webhook: Webhook, outcome: WebhookOutcome): void {
  const status = progress.statuses.get(webhook.key)
  progress.failed.add(webhook.key)
  if (status) {
    status.thisRun = 'failed'
    status.problem = problemOf(outcome)
  }
  progress.delivery.failures.push(outcome.error?.message ?? `Slack: ${webhook.name} failed.`)
}

/** Each webhook's answer to the run's message: delivered, or the message added to what it missed. */
function recordRunOutcomes(
  progress: Progress,
  run: RunMessage,
  webhooks: readonly Webhook[],
  outcomes: readonly WebhookOutcome[],
  context: LedgerRun,
): void {
  const { delivery, statuses } = progress
  outcomes.forEach((outcome, i) => {
    const webhook = webhooks[i] as Webhook
    if (outcome.error) {
      markFailed(progress, webhook, outcome)
      delivery.ledger[webhook.key] = addMissed(delivery.ledger[webhook.key], run, problemOf(outcome), context)
    } else {
      delivery.delivered += 1
      const status = statuses.get(webhook.key)
      if (status) status.thisRun = 'delivered'
    }
  })
}

/**
 * Each webhook's answer to its catch-up: taken, and its record leaves the ledger; or not, and the record
 * stays with Slack's latest answer. Resolves to the webhooks that took theirs.
 */
function recordCatchUpOutcomes(
  progress: Progress,
  previous: WebhookLedger | undefined,
  catchingUp: readonly Webhook[],
  outcomes: readonly WebhookOutcome[],
  log: (line: string) => void,
): Recovered[] {
  const { delivery, statuses } = progress
  const recovered: Recovered[] = []
  outcomes.forEach((outcome, i) => {
    const webhook = catchingUp[i] as Webhook
    const missed = previous?.[webhook.key] as MissedDeliveries
    if (outcome.error) {
      markFailed(progress, webhook, outcome)
      delivery.ledger[webhook.key] = { ...missed, problem: problemOf(outcome) }
      return
    }
    log(
      `Slack: ${webhook.name} took the catch-up for the ${missed.messages === 1 ? 'message' : `${missed.messages} messages`} it missed.`,
    )
    delete delivery.ledger[webhook.key]
    recovered.push({ webhook, missed })
    const status = statuses.get(webhook.key)
    if (status) {
      if (status.thisRun === 'nothing to send') status.thisRun = 'caught up'
      status.caughtUp = missed
    }
  })
  return recovered
}

/**
 * `notify-on-error` for a failing webhook: the webhooks that work this run hear of it once per
 * episode (the webhook's ledger record), then every reminder period, so a five-minute cron does not
 * flood them; and once when it works again. The failing one cannot be told: Slack refuses it.
 */
async function tellTheOthers(
  webhooks: readonly Webhook[],
  failed: ReadonlySet<string>,
  recovered: readonly Recovered[],
  ledger: WebhookLedger,
  settings: LedgerSettings,
  context: LedgerRun,
  deps: SlackDeps,
): Promise<void> {
  const working = webhooks.filter((webhook) => !failed.has(webhook.key))
  const due: FailingWebhook[] = []
  const dueKeys: string[] = []
  for (const webhook of webhooks) {
    const missed = ledger[webhook.key]
    if (!failed.has(webhook.key) || !missed) continue
    if (missed.notifiedAt !== undefined && context.now < missed.notifiedAt + settings.reminderSeconds)
      continue
    due.push({ name: webhook.name, missed })
    dueKeys.push(webhook.key)
  }
  const back = recovered.filter(({ missed }) => missed.notifiedAt !== undefined)
  if (due.length === 0 && back.length === 0) return
  if (working.length === 0) return
  const notice = buildWebhookNotice({
    monitorName: settings.monitorName,
    failing: due,
    recovered: back.map(({ webhook, missed }) => ({ name: webhook.name, missed })),
    reminderSeconds: settings.reminderSeconds,
    ...(context.runUrl ? { runUrl: context.runUrl } : {}),
  })
  const outcomes = await Promise.all(
    working
      .filter((webhook) => !back.some((r) => r.webhook.key === webhook.key))
      .map((webhook) => postToWebhook(notice, webhook, deps)),
  )
  for (const outcome of outcomes) {
    if (outcome.error)
      context.warn(`Could not tell ${outcome.name} about the failing webhooks: ${problemOf(outcome)}.`)
  }
  if (!outcomes.some((outcome) => !outcome.error)) return
  const told = [...due.map((f) => f.name), ...back.map((r) => r.webhook.name)].join(', ')
  deps.log(`Slack: the working webhooks were told about ${told} (notify-on-error).`)
  for (const key of dueKeys) {
    const missed = ledger[key]
    if (missed) ledger[key] = { ...missed, notifiedAt: context.now }
  }
}

/** One line for the summary; the per-webhook table (summary.ts) has the details. */
export function deliveryNote(what: string | undefined, sent: WebhookDelivery): string {
  if (sent.cancelled) return `Slack: the job was cancelled while posting; posting stopped.`
  if (what === undefined) {
    return `Slack: ${sent.failures.length > 0 ? 'a catch-up for missed messages was not delivered' : 'catch-up sent for missed messages'} (see Slack webhooks below).`
  }
  if (sent.delivered === sent.total) {
    return `Slack: the ${what} was delivered to ${sent.total === 1 ? 'the webhook' : `each of ${sent.total} webhooks`}.`
  }
  if (sent.delivered === 0) return `Slack: the ${what} was not delivered to any webhook.`
  return `Slack: the ${what} was delivered to ${sent.delivered} of ${sent.total} webhooks (see Slack webhooks below).`
}

/** Why the step fails: each failing webhook by position, what it missed, and Slack's answer. */
export function deliveryError(what: string | undefined, sent: WebhookDelivery): string {
  if (sent.cancelled) return sent.failures.join(' ')
  const missing = sent.webhooks.flatMap((webhook) =>
    webhook.thisRun === 'failed' && webhook.missed
      ? [
          `${webhook.name} has missed ${describeMissed(webhook.missed)}; it gets a catch-up once it works again.`,
        ]
      : [],
  )
  const failed = sent.webhooks
    .filter((webhook) => webhook.thisRun === 'failed')
    .map((webhook) => webhook.name)
  let lead: string
  if (what !== undefined && sent.delivered === 0) {
    lead = `Slack: no webhook took the ${what}, so the checkpoint was not moved: the next run sends these entries again.`
  } else if (what !== undefined) {
    lead = `Slack: ${failed.join(', ')} did not take the ${what}; ${sent.delivered === 1 ? 'the other webhook' : `the other ${sent.delivered} webhooks`} did, so the checkpoint moved on.`
  } else {
    lead = `Slack: ${failed.join(', ')} did not take the catch-up for the messages ${failed.length === 1 ? 'it' : 'they'} missed.`
  }
  return [lead, ...sent.failures, ...missing].join(' ')
}

function cancelledDelivery(
  delivery: WebhookDelivery,
  outcomes: readonly WebhookOutcome[],
  webhooks: readonly Webhook[],
  statuses: Map<string, WebhookStatus>,
): WebhookDelivery {
  delivery.cancelled = true
  delivery.keepCheckpoint = true
  const stopped = outcomes.filter((outcome) => outcome.cancelled).map((outcome) => outcome.name)
  delivery.failures = [
    `The job was cancelled while posting to Slack${stopped.length > 0 ? ` (${stopped.join(', ')} had not taken the message)` : ''}; posting stopped and the checkpoint was not moved.`,
  ]
  finishStatuses(delivery, webhooks, statuses)
  return delivery
}

function finishStatuses(
  delivery: WebhookDelivery,
  webhooks: readonly Webhook[],
  statuses: Map<string, WebhookStatus>,
): void {
  delivery.webhooks = webhooks.flatMap((webhook) => {
    const status = statuses.get(webhook.key)
    if (!status) return []
    // What it has missed after this run, not before it.
    const missed = delivery.ledger[webhook.key]
    if (missed) status.missed = missed
    else delete status.missed
    return [status]
  })
}

/** The record with this run's message added to what the webhook missed. */
function addMissed(
  missed: MissedDeliveries | undefined,
  run: RunMessage,
  problem: string,
  context: LedgerRun,
): MissedDeliveries {
  const runUrls = [...(missed?.runUrls ?? [])]
  if (context.runUrl && !runUrls.includes(context.runUrl)) {
    runUrls.push(context.runUrl)
    // The first missed run, and the latest ones.
    if (runUrls.length > MAX_RUN_URLS) runUrls.splice(1, runUrls.length - MAX_RUN_URLS)
  }
  const next: MissedDeliveries = {
    since: missed?.since ?? context.now,
    messages: (missed?.messages ?? 0) + 1,
    entries: (missed?.entries ?? 0) + run.told.total,
    critical: (missed?.critical ?? 0) + run.told.critical,
    warning: (missed?.warning ?? 0) + run.told.warning,
    from: Math.min(missed?.from ?? run.window.start, run.window.start),
    to: Math.max(missed?.to ?? run.window.end, run.window.end),
    runUrls,
    problem: problem.slice(0, MAX_PROBLEM),
  }
  if (missed?.notifiedAt !== undefined) next.notifiedAt = missed.notifiedAt
  return next
}

function problemOf(outcome: WebhookOutcome): string {
  const { error } = outcome
  const problem = error instanceof SlackPostError ? error.problem : (error?.message ?? 'an unknown error')
  return problem.slice(0, MAX_PROBLEM)
}

/** Each URL once, named by its first position; the ledger key ties it to its record. */
function distinctWebhooks(urls: readonly string[], log: (line: string) => void): Webhook[] {
  const seen = new Set<string>()
  const webhooks: Webhook[] = []
  urls.forEach((url, index) => {
    if (seen.has(url)) {
      // One message per destination: a second post would be a duplicate in the same channel.
      log(`Slack: ${webhookName(index, urls.length)} is listed twice; posting there once.`)
      return
    }
    seen.add(url)
    webhooks.push({ index, name: webhookName(index, urls.length), url, key: webhookKey(url) })
  })
  return webhooks
}
