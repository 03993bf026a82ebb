import { count, formatDuration } from '../format.js'
import * as kit from './blocks.js'
import { escapeSlack, escapeSlackPlainText, fitEscaped } from './escape.js'
import type { MissedDeliveries } from './missed-deliveries.js'

/**
 * The two messages of the per-webhook ledger (webhook-ledger.ts): the catch-up a webhook gets once it
 * works again, and the notice the other webhooks get while it fails. Slack's answer and the monitor
 * name are escaped like log text; a webhook is named by its position, never by its URL.
 */

const MAX_PROBLEM = 200
const CATCH_UP_COLOR = '#1d9bd1'

export interface CatchUpOptions {
  monitorName: string
  /** The Logs Insights console on the query over the whole missed stretch. */
  consoleUrl?: string | undefined
}

/** What a webhook missed while it failed, told once it takes messages again. */
export function buildCatchUpMessage(missed: MissedDeliveries, options: CatchUpOptions): kit.SlackMessage {
  const name = kit.nameText(options.monitorName)
  const messages = `${count(missed.messages)} ${kit.plural(missed.messages, 'message', 'messages')}`
  const headline = `${name}: ${messages} did not reach this channel`
  const lines = [
    `*This channel missed ${messages} from ${name}* while its webhook was failing (first at ${kit.utcSecond(missed.since)}).`,
    `They told of *${count(missed.entries)}* ${kit.plural(missed.entries, 'entry', 'entries')}: *${count(missed.critical)}* 5xx, *${count(missed.warning)}* 4xx, in ${kit.windowText({ window: { start: missed.from, end: missed.to } })}.`,
    `Slack's last answer was ${problemCode(missed.problem)}.`,
    'The other webhooks got those messages; the job summary of each run and the link below show every entry.',
  ]
  const links: string[] = []
  const consoleLink =
    options.consoleUrl !== undefined
      ? kit.slackLink(options.consoleUrl, 'Open the missed stretch in Logs Insights')
      : undefined
  if (consoleLink) links.push(consoleLink)
  missed.runUrls.forEach((url, i) => {
    const label =
      i === 0 ? 'First missed run' : i === missed.runUrls.length - 1 ? 'Latest missed run' : 'A missed run'
    const link = kit.slackLink(url, label)
    if (link) links.push(link)
  })
  const blocks: kit.SlackBlock[] = [
    kit.header(
      `📬 ${fitEscaped(options.monitorName, kit.MAX_HEADER_TEXT - 40, escapeSlackPlainText)}: catch-up`,
    ),
    kit.section(lines.join('\n')),
  ]
  if (links.length > 0) blocks.push(kit.context([links.join(' · ')]))
  return kit.slackMessage(`📬 ${headline}`, { color: CATCH_UP_COLOR, fallback: headline, blocks })
}

export interface FailingWebhook {
  /** `webhook 2 of 2`. */
  name: string
  missed: MissedDeliveries
}

export interface WebhookNotice {
  monitorName: string
  failing: readonly FailingWebhook[]
  /** Webhooks that work again after the others were told they failed. */
  recovered: readonly FailingWebhook[]
  reminderSeconds: number
  runUrl?: string
}

/** `notify-on-error` for the webhooks that work: another one fails (or works again). */
export function buildWebhookNotice(notice: WebhookNotice): kit.SlackMessage {
  const name = kit.nameText(notice.monitorName)
  const lines: string[] = []
  for (const { name: webhook, missed } of notice.failing) {
    lines.push(
      `*${webhook} is failing:* since ${kit.utcSecond(missed.since)} its channel missed ${count(missed.messages)} ${kit.plural(missed.messages, 'message', 'messages')} (${count(missed.entries)} ${kit.plural(missed.entries, 'entry', 'entries')}: ${count(missed.critical)} 5xx, ${count(missed.warning)} 4xx). Slack answers ${problemCode(missed.problem)}.`,
    )
  }
  if (notice.failing.length > 0) {
    lines.push(
      `This channel still gets every message. The failing ${kit.plural(notice.failing.length, 'webhook gets', 'webhooks get')} a catch-up once ${kit.plural(notice.failing.length, 'it works', 'they work')} again; until then this reminder repeats every ${formatDuration(notice.reminderSeconds)}.`,
    )
  }
  for (const { name: webhook, missed } of notice.recovered) {
    lines.push(
      `✅ *${webhook} works again:* it got a catch-up for the ${count(missed.messages)} ${kit.plural(missed.messages, 'message', 'messages')} it missed.`,
    )
  }
  const failing = notice.failing.length > 0
  const headline = failing
    ? `${name}: ${notice.failing.map((f) => f.name).join(', ')} ${kit.plural(notice.failing.length, 'is', 'are')} failing`
    : `${name}: ${notice.recovered.map((r) => r.name).join(', ')} ${kit.plural(notice.recovered.length, 'works', 'work')} again`
  const blocks: kit.SlackBlock[] = [
    kit.header(
      `${failing ? '⚠️' : '✅'} ${fitEscaped(notice.monitorName, kit.MAX_HEADER_TEXT - 40, escapeSlackPlainText)}: ${failing ? 'a Slack webhook is failing' : 'Slack webhooks work again'}`,
    ),
    kit.section(lines.join('\n')),
  ]
  const run = notice.runUrl !== undefined ? kit.slackLink(notice.runUrl, 'View this run') : undefined
  if (run) blocks.push(kit.context([run]))
  return kit.slackMessage(`${failing ? '⚠️' : '✅'} ${headline}`, {
    color: failing ? kit.COLORS.warning : kit.COLORS.resolved,
    fallback: headline,
    blocks,
  })
}

/** Slack's answer (or whatever the URL answered) as an inline code span, escaped like log text. */
function problemCode(problem: string): string {
  return `\`${fitEscaped(problem.replace(/\s+/g, ' '), MAX_PROBLEM, escapeSlack)}\``
}
