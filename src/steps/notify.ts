/**
 * Step 7: Slack. Which message the decision calls for (an alert, a resolved notice, a gap or
 * no-checkpoint notice, or none), posted to every webhook with what each one missed before.
 */
import { type AlertDecision, addCounts, type Counts } from '../alerting.js'
import { reminderSeconds } from '../failure-notices.js'
import { alertNote } from '../notify/alert-note.js'
import type { SlackMessage } from '../notify/blocks.js'
import { monitorConsoleUrl, workflowRunUrl } from '../notify/console-link.js'
import { buildSlackMessage } from '../notify/digest-message.js'
import type { WebhookLedger, WebhookStatus } from '../notify/missed-deliveries.js'
import { buildResolvedMessage } from '../notify/monitor-notices.js'
import { deliver } from '../notify/slack.js'
import { deliverWithLedger, deliveryError, deliveryNote } from '../notify/webhook-ledger.js'
import type { Report } from '../report.js'
import { type StepDeps, webhookDeps } from '../run-deps.js'
import type { Settings } from '../settings.js'

/** Slack did not take the message: telling Slack about it would fail the same way. */
export class SlackDeliveryError extends Error {
  override name = 'SlackDeliveryError'
}

export interface Delivery {
  notified: boolean
  /** What happened, for the job summary. */
  note: string
  error?: Error
  /** No webhook took the run's message, or the job was cancelled: the checkpoint must not move. */
  keepCheckpoint?: boolean
  /** What each failing webhook missed, for the checkpoint. */
  missedByWebhook?: WebhookLedger
  /** Each webhook's outcome, for the job summary. */
  webhooks?: WebhookStatus[]
}

/** The run's message, what it is called in notes ("alert"), and the entries it tells of. */
interface RunMessage {
  message: SlackMessage
  what: string
  told: Counts
}

/**
 * Which message the decision calls for: an alert, a resolved notice, or, when neither, a gap or
 * no-checkpoint notice (each news on its own); undefined for a window below the thresholds or inside
 * the quiet period, which the summary explains instead.
 */
function messageFor(report: Report, decision: AlertDecision, settings: Settings): RunMessage | undefined {
  const { consoleUrl } = report
  switch (decision.kind) {
    case 'alert': {
      const { sinceLastAlert } = decision
      const message = buildSlackMessage(report, {
        consoleUrl,
        ...(settings.mention ? { mention: settings.mention } : {}),
        ...(sinceLastAlert ? { sinceLastAlert } : {}),
      })
      return {
        message,
        what: 'alert',
        told: sinceLastAlert ? addCounts(report.digest, sinceLastAlert) : report.digest,
      }
    }
    case 'resolved': {
      const notice = { ...decision, resolveAfterSeconds: settings.resolveAfterSeconds }
      const message = buildResolvedMessage(report, notice, { consoleUrl })
      return { message, what: 'resolved notice', told: addCounts(report.digest, decision.unreported) }
    }
    default:
      // A gap is news on its own: part of the timeline went unchecked; so is a missing checkpoint.
      if (!report.gap && !report.noCheckpoint) return undefined
      return {
        message: buildSlackMessage(report, { consoleUrl }),
        what: report.gap ? 'gap notice' : 'no-checkpoint notice',
        told: report.digest,
      }
  }
}

/**
 * One message per webhook for what the decision calls for (messageFor). A webhook that missed earlier
 * messages gets a catch-up (webhook-ledger.ts), even in a quiet run.
 */
export async function notify(
  report: Report,
  decision: AlertDecision,
  settings: Settings,
  deps: StepDeps,
  missedByWebhook: WebhookLedger | undefined,
): Promise<Delivery> {
  const silent = (note: string): Delivery => {
    deps.runner.info(note)
    return { notified: false, note }
  }
  const run = messageFor(report, decision, settings)
  /** Why no alert (or one inside the quiet period): the summary says it, also when a notice is sent instead. */
  const quietNote = alertNote(decision, settings, report.window)
  const why = quietNote ? `${quietNote} ` : ''
  if (settings.slackWebhookUrls.length === 0) {
    return silent(
      run ? `${why}No slack-webhook-url is set: the ${run.what} is in this summary only.` : quietNote,
    )
  }
  const pending = missedByWebhook !== undefined && Object.keys(missedByWebhook).length > 0
  if (!run && (!pending || settings.dryRun)) return silent(quietNote)
  if (run && settings.dryRun) {
    await deliver(run.message, settings, webhookDeps(deps))
    return silent(`${why}dry-run: the ${run.what} was printed in the log, not sent.`)
  }
  const sent = await deliverWithLedger(
    run ? { ...run, window: report.window } : undefined,
    missedByWebhook,
    { ...settings, reminderSeconds: reminderSeconds(settings) },
    ledgerContext(settings, deps),
    webhookDeps(deps),
  )
  const delivery: Delivery = {
    notified: sent.delivered > 0,
    note: `${why}${deliveryNote(run?.what, sent)}`,
    missedByWebhook: sent.ledger,
    webhooks: sent.webhooks,
  }
  if (sent.keepCheckpoint) delivery.keepCheckpoint = true
  if (sent.failures.length > 0) delivery.error = new Error(deliveryError(run?.what, sent))
  deps.runner.info(delivery.note)
  return delivery
}

/** What a catch-up message links to: this run, and the console over each missed window. */
function ledgerContext(settings: Settings, deps: StepDeps) {
  const runUrl = workflowRunUrl(deps.env)
  return {
    now: Math.floor(deps.now() / 1000),
    ...(runUrl ? { runUrl } : {}),
    consoleUrl: (window: Report['window']) => monitorConsoleUrl(settings, window),
    warn: deps.runner.warning,
  }
}
