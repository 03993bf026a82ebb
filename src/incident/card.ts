import { count, formatDuration } from '../format.js'
import * as kit from '../notify/blocks.js'
import { buildSlackMessage } from '../notify/digest-message.js'
import { escapeSlackPlainText, fitEscaped, truncate } from '../notify/escape.js'
import type { Report } from '../report.js'
import type { Incident, ValueCount } from './incident.js'

/**
 * The Slack messages of an incident in bot-token mode: the card (posted once per channel, then edited
 * in place with chat.update), the thread reply of each window, and the reply that says it resolved.
 * Same shape as the webhook's messages (`text` + one attachment of blocks), which chat.postMessage and
 * chat.update take as they are. Statuses and routes are log text: escaped like any.
 */

const STATUS: Record<Incident['status'], { icon: string; word: string; color: string }> = {
  firing: { icon: '🔴', word: 'firing', color: kit.COLORS.critical },
  quiet: { icon: '🟡', word: 'quiet', color: kit.COLORS.warning },
  resolved: { icon: '✅', word: 'resolved', color: kit.COLORS.resolved },
}

/** Top values shown per list on the card (the incident keeps 20). */
const CARD_TOP_VALUES = 10
/** Characters of one status or route on the card, inside its kit.code span. */
const MAX_VALUE = 80
/**
 * The window reply's payload cap: buildSlackMessage's own less room for the incident's line in the
 * footer, so samples are dropped before the reply could grow past what Slack takes.
 */
const REPLY_PAYLOAD_CHARS = 34_000

interface IncidentLinks {
  /**
   * The Logs Insights console over the whole incident: its query and log groups from `firstSeen` to
   * `lastSeen` (notify/console-link.ts).
   */
  consoleUrl: string
  /** The latest run's page; the incident's `lastRunUrl` when not given. */
  runUrl?: string
  /**
   * Slack mention syntax (`<!here>`, `<@U123>`), put first in the top-level text, the line that
   * notifies. Only when the caller wants it to ping: at opening, reopening or escalation.
   */
  mention?: string
}

/**
 * The incident's card: its status, monitor, first and last seen (and how long it lasted, once
 * resolved), totals by severity, the top statuses and routes so far, and links to the console over
 * the whole incident and to its first and latest run.
 */
export function buildIncidentCard(incident: Incident, links: IncidentLinks): kit.SlackMessage {
  const { icon, word, color } = STATUS[incident.status]
  const name = kit.nameText(incident.monitor)
  const headline = `${name}: incident ${word} · ${totalsText(incident)} since ${kit.utcSecond(incident.firstSeen)}`
  const room = kit.MAX_HEADER_TEXT - word.length - icon.length - 3
  const blocks: kit.SlackBlock[] = [
    kit.header(`${icon} ${fitEscaped(incident.monitor, room, escapeSlackPlainText)}: ${word}`),
    kit.section(overviewText(incident)),
  ]
  const top = topFields(incident)
  if (top) blocks.push(top)
  blocks.push(kit.context(cardFooter(incident, links)))
  return kit.slackMessage(`${mentionPrefix(links.mention)}${icon} ${headline}`, {
    color,
    fallback: headline,
    blocks,
  })
}

/** The mention goes first and whole: a cut mention would notify nobody. */
function mentionPrefix(mention: string | undefined): string {
  return mention ? `${mention} ` : ''
}

/** `1,234 entries (12 5xx, 1,222 4xx)`. */
function totalsText(incident: Incident): string {
  const { total, critical, warning } = incident.totals
  const parts = [`${count(critical)} 5xx`, `${count(warning)} 4xx`]
  const other = total - critical - warning
  if (other > 0) parts.push(`${count(other)} other`)
  return `${count(total)} ${kit.plural(total, 'entry', 'entries')} (${parts.join(', ')})`
}

function overviewText(incident: Incident): string {
  const { total, critical, warning } = incident.totals
  const other = total - critical - warning
  const lines = [
    statusLine(incident),
    `*First seen* ${kit.utcSecond(incident.firstSeen)}`,
    `*Last seen* ${kit.utcSecond(incident.lastSeen)}`,
  ]
  if (incident.status === 'resolved') lines.push(`*Lasted* ${lastedText(incident)}`)
  lines.push(
    `*Entries* *${count(total)}*: *${count(critical)}* 5xx, *${count(warning)}* 4xx${other > 0 ? `, ${count(other)} other` : ''} in ${count(incident.windows)} ${kit.plural(incident.windows, 'window', 'windows')}`,
  )
  if (incident.escalated) lines.push('⚠️ *Escalated:* 5xx came after it had alerted for 4xx only.')
  if (incident.reopened > 0) {
    lines.push(
      `↩️ *Reopened* ${count(incident.reopened)} ${kit.plural(incident.reopened, 'time', 'times')}: it came back soon after resolving.`,
    )
  }
  return lines.join('\n')
}

function statusLine(incident: Incident): string {
  switch (incident.status) {
    case 'firing':
      return '*Status* 🔴 Firing: the latest window met the alert thresholds.'
    case 'quiet':
      return '*Status* 🟡 Quiet: the latest window was below the alert thresholds; it resolves once it stays so for `resolve-after`.'
    case 'resolved':
      return `*Status* ✅ Resolved${incident.resolvedAt !== undefined ? ` at ${kit.utcSecond(incident.resolvedAt)}` : ''}.`
  }
}

/** `30m (10:00:00Z – 10:30:00Z)`: from the first window with entries to the end of the last one. */
function lastedText(incident: Incident): string {
  const lasted = formatDuration(Math.max(0, incident.lastSeen - incident.firstSeen))
  return `${lasted} (${kit.windowText({ window: { start: incident.firstSeen, end: incident.lastSeen } })})`
}

/** The top statuses and routes side by side; undefined when the logs gave neither. */
function topFields(incident: Incident): kit.SlackBlock | undefined {
  const fields = [
    topText('Top statuses', incident.topStatuses),
    topText('Top routes', incident.topRoutes),
  ].filter((text) => text !== undefined)
  return fields.length > 0 ? kit.fieldsSection(fields.map((text) => kit.mrkdwn(text))) : undefined
}

function topText(title: string, values: readonly ValueCount[]): string | undefined {
  if (values.length === 0) return undefined
  const lines = [`*${title}*`]
  for (const { value, count: n } of values.slice(0, CARD_TOP_VALUES)) {
    lines.push(`${kit.code(value, MAX_VALUE)} ${count(n)}`)
  }
  const rest = values.length - CARD_TOP_VALUES
  if (rest > 0) lines.push(`and ${count(rest)} more`)
  return truncate(lines.join('\n'), kit.MAX_FIELD_TEXT)
}

/** The incident's id, then the links: the console over the whole incident, the first and latest run. */
function cardFooter(incident: Incident, links: IncidentLinks): string[] {
  const linked = [
    kit.slackLink(links.consoleUrl, 'Open the incident in Logs Insights'),
    incident.firstRunUrl !== undefined ? kit.slackLink(incident.firstRunUrl, 'First run') : undefined,
    latestRun(incident, links),
  ].filter((link) => link !== undefined)
  const texts = [`Incident ${kit.code(incident.id, 40)} · opened ${kit.utcSecond(incident.openedAt)}`]
  if (linked.length > 0) texts.push(linked.join(' · '))
  return texts
}

function latestRun(incident: Incident, links: IncidentLinks): string | undefined {
  const url = links.runUrl ?? incident.lastRunUrl
  if (url === undefined || url === incident.firstRunUrl) return undefined
  return kit.slackLink(url, 'Latest run')
}

interface WindowReplyOptions {
  /** The Logs Insights console on this window's query. */
  consoleUrl: string
  /** Mention syntax put first in the top-level text (at opening, reopening or escalation). */
  mention?: string
  /**
   * While the incident clears (decision `clearing`): the window end from which a clean window resolves
   * it (`resolveAt`), said in the reply.
   */
  resolveAt?: number
}

/**
 * The thread reply for one window of the incident: the window's own digest (counts, breakdowns, new
 * samples, as the webhook's message shows them), with the incident's status and window number in its
 * footer. A clean window says so, and when the incident resolves if it stays clean.
 */
export function buildWindowReply(
  report: Report,
  incident: Incident,
  options: WindowReplyOptions,
): kit.SlackMessage {
  // The mention is the caller's decision (incident.ts), not buildSlackMessage's (5xx found).
  const digest = buildSlackMessage(report, {
    consoleUrl: options.consoleUrl,
    maxPayloadChars: REPLY_PAYLOAD_CHARS,
  })
  const [attachment] = digest.attachments
  const blocks = [...attachment.blocks]
  const footer = blocks.pop()
  const clean = report.digest.total === 0
  // A clean window has no samples: room for a kit.section of its own, right after the overview.
  if (clean && options.resolveAt !== undefined) blocks.splice(2, 0, kit.section(cleanText(options.resolveAt)))
  const footerTexts = footer?.type === 'context' ? footer.elements.map((element) => element.text) : []
  const line = `${STATUS[incident.status].icon} Window ${count(incident.windows)} of incident ${kit.code(incident.id, 40)}, ${STATUS[incident.status].word}`
  const notes = [line]
  if (!clean && options.resolveAt !== undefined) notes.push(belowText(options.resolveAt))
  blocks.push(kit.context([...notes, ...footerTexts]))
  return kit.slackMessage(`${mentionPrefix(options.mention)}${digest.text}`, { ...attachment, blocks })
}

/** The digest's overview says the window had no entries; this says what that means for the incident. */
function cleanText(resolveAt: number): string {
  return `✅ If it stays clean, the incident resolves with the window that ends at ${kit.utcSecond(resolveAt)} (\`resolve-after\`).`
}

function belowText(resolveAt: number): string {
  return `Below the alert thresholds: if it stays so, the incident resolves with the window that ends at ${kit.utcSecond(resolveAt)}.`
}

/** The one reply that says the incident resolved: after how long, and what it added up to. */
export function buildResolvedReply(incident: Incident, resolveAfterSeconds: number): kit.SlackMessage {
  const lasted = formatDuration(Math.max(0, incident.lastSeen - incident.firstSeen))
  const headline = `${kit.nameText(incident.monitor)}: incident resolved after ${lasted}`
  const lines = [
    resolveAfterSeconds > 0
      ? `✅ *Resolved:* no window met the alert thresholds for ${formatDuration(resolveAfterSeconds)} (\`resolve-after\`).`
      : '✅ *Resolved:* the latest window was below the alert thresholds.',
    `It lasted *${lasted}*: first seen ${kit.utcSecond(incident.firstSeen)}, last seen ${kit.utcSecond(incident.lastSeen)}.`,
    `*${totalsText(incident)}* in ${count(incident.windows)} ${kit.plural(incident.windows, 'window', 'windows')}.`,
  ]
  if (incident.escalated) lines.push('It escalated to 5xx after alerting for 4xx only.')
  const blocks: kit.SlackBlock[] = [
    kit.section(lines.join('\n')),
    kit.context([`Incident ${kit.code(incident.id, 40)} · opened ${kit.utcSecond(incident.openedAt)}`]),
  ]
  return kit.slackMessage(`✅ ${headline}`, { color: kit.COLORS.resolved, fallback: headline, blocks })
}
