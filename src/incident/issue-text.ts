import { ACCESS_LOG_FIELDS, type Entry, fieldValue, firstValue } from '../entries.js'
import { count, formatDuration } from '../format.js'
import { plural, utcSecond, windowText } from '../notify/blocks.js'
import { escapeMarkdownHtml, fitEscaped, httpUrl } from '../notify/escape.js'
import type { Report } from '../report.js'
import type { Incident, ValueCount } from './incident.js'

/**
 * The GitHub issue that records an incident: its title, labels, body (the card's content) and the
 * comments of its windows and its resolution, in GitHub-flavoured markdown. Log text (statuses,
 * routes, samples, field names) and the monitor's name are escaped with numeric character references
 * (escapeMarkdownHtml), so nothing in them can format, link or inject HTML, and shown inside `<code>`:
 * GitHub finds mentions (`@team`) and references (`#1`) in the rendered text, where a reference is
 * decoded again, but never inside `code`. `<code>`, not backticks, inside which references would show
 * as typed.
 */

/** GitHub refuses a label name longer than this. */
const MAX_LABEL = 50
/** An issue title is cut by GitHub at 256 characters. */
const MAX_TITLE = 256
/** Characters of the monitor's name in a title. */
const MAX_TITLE_NAME = 100
/** Characters of one value (status, route, sample field) once escaped. */
const MAX_CELL = 300
/** Top values listed per table in the body; the incident keeps 20. */
const BODY_TOP_VALUES = 20
/** A window's top values and samples in its comment. */
const COMMENT_TOP_VALUES = 5
const COMMENT_SAMPLES = 5

const STATUS: Record<Incident['status'], string> = {
  firing: '🔴 Firing',
  quiet: '🟡 Quiet',
  resolved: '✅ Resolved',
}

/**
 * `api-errors: 5xx errors since 2026-11-23 10:00:00Z (incident 20261123-1000-3fa2)`. Plain text, as
 * GitHub shows titles: no references to escape with, so control characters and line breaks are
 * folded away and the name is cut.
 */
export function issueTitle(incident: Incident, monitorName: string): string {
  const name = cutText(plainText(monitorName), MAX_TITLE_NAME)
  const title = `${name}: ${severityText(incident)} since ${utcSecond(incident.firstSeen)} (incident ${plainText(incident.id)})`
  return cutText(title, MAX_TITLE)
}

/** `['insights-watch', 'monitor: api-errors', 'severity: 5xx']`: each at most 50 characters, no comma. */
export function issueLabels(monitorName: string, incident: Incident): string[] {
  const labels = ['insights-watch']
  // A comma would split the label in GitHub's `labels=a,b` filters.
  const name = plainText(monitorName).replace(/,/g, ' ').replace(/\s+/g, ' ').trim()
  if (name !== '') labels.push(cutText(`monitor: ${name}`, MAX_LABEL))
  labels.push(`severity: ${severityWord(incident)}`)
  return labels
}

interface IssueLinks {
  /** The Logs Insights console over the whole incident. */
  consoleUrl: string
  /** The latest run's page; the incident's `lastRunUrl` when not given. */
  runUrl?: string
}

/** The issue's body: what the card shows, as markdown. Rewritten whenever the card is edited. */
export function issueBody(incident: Incident, links: IssueLinks): string {
  const { total, critical, warning } = incident.totals
  const other = total - critical - warning
  const rows: Array<[string, string]> = [
    ['Status', statusText(incident)],
    ['Monitor', cell(incident.monitor)],
    ['First seen', utcSecond(incident.firstSeen)],
    ['Last seen', utcSecond(incident.lastSeen)],
  ]
  if (incident.status === 'resolved') rows.push(['Lasted', lastedText(incident)])
  rows.push([
    'Entries',
    `**${count(total)}**: ${count(critical)} 5xx, ${count(warning)} 4xx${other > 0 ? `, ${count(other)} other` : ''} in ${count(incident.windows)} ${plural(incident.windows, 'window', 'windows')}`,
  ])
  if (incident.escalated) rows.push(['Escalated', '5xx came after it had alerted for 4xx only'])
  if (incident.reopened > 0) {
    rows.push(['Reopened', `${count(incident.reopened)} ${plural(incident.reopened, 'time', 'times')}`])
  }
  rows.push([
    'Incident',
    `<code>${escapeMarkdownHtml(incident.id)}</code>, opened ${utcSecond(incident.openedAt)}`,
  ])
  const parts = [
    // Lets whoever looks for the incident's issue find it by id, whatever the title became.
    `<!-- insights-watch incident ${escapeMarkdownHtml(incident.id)} -->`,
    `## ${STATUS[incident.status]}`,
    rows.map(([label, value]) => `- **${label}**: ${value}`).join('\n'),
  ]
  const statuses = valueTable('Status', incident.topStatuses, BODY_TOP_VALUES)
  if (statuses) parts.push('### Top statuses', statuses)
  const routes = valueTable('Route', incident.topRoutes, BODY_TOP_VALUES)
  if (routes) parts.push('### Top routes', routes)
  const linked = [
    htmlLink(links.consoleUrl, 'Open the incident in Logs Insights'),
    incident.firstRunUrl !== undefined ? htmlLink(incident.firstRunUrl, 'First run') : undefined,
    htmlLink(links.runUrl ?? incident.lastRunUrl, 'Latest run'),
  ].filter((link) => link !== undefined)
  if (linked.length > 0) parts.push(linked.join(' · '))
  return `${parts.join('\n\n')}\n`
}

/** One window's comment: its counts, its top statuses and routes, a few new samples, its links. */
export function windowComment(report: Report, incident: Incident): string {
  const { digest } = report
  const parts = [
    `### ${STATUS[incident.status]} · window ${count(incident.windows)}: ${windowText(report)}`,
    digest.total === 0
      ? 'No matching entries in this window.'
      : `**${count(digest.total)}**${report.truncated ? '+' : ''} matching ${plural(digest.total, 'entry', 'entries')}: ${count(digest.critical)} 5xx, ${count(digest.warning)} 4xx.`,
  ]
  if (report.gap) {
    parts.push(
      `⚠️ Not checked: ${windowText({ window: report.gap })} (${formatDuration(report.gap.end - report.gap.start + 1)}), older than \`max-catch-up\`.`,
    )
  }
  for (const breakdown of digest.breakdowns) {
    const rows = valueTable(cell(breakdown.field), breakdown.counts, COMMENT_TOP_VALUES)
    if (rows) parts.push(rows)
  }
  if (digest.samples.length > 0) parts.push(samplesTable(digest.samples.slice(0, COMMENT_SAMPLES)))
  const linked = [
    htmlLink(report.runUrl, 'Workflow run'),
    htmlLink(report.consoleUrl, 'Open in Logs Insights'),
  ]
  const links = linked.filter((link) => link !== undefined)
  if (links.length > 0) parts.push(links.join(' · '))
  return `${parts.join('\n\n')}\n`
}

/** The comment that closes the record: when it resolved, how long it lasted, what it added up to. */
export function resolutionComment(incident: Incident): string {
  const when = incident.resolvedAt !== undefined ? ` at ${utcSecond(incident.resolvedAt)}` : ''
  const lines = [
    `### ✅ Resolved${when}`,
    `It lasted **${lastedText(incident)}**.`,
    `${totalsText(incident)}.`,
  ]
  if (incident.escalated) lines.push('It escalated to 5xx after alerting for 4xx only.')
  if (incident.reopened > 0) {
    lines.push(`It was reopened ${count(incident.reopened)} ${plural(incident.reopened, 'time', 'times')}.`)
  }
  return `${lines.join('\n\n')}\n`
}

function statusText(incident: Incident): string {
  if (incident.status === 'resolved' && incident.resolvedAt !== undefined) {
    return `${STATUS.resolved} at ${utcSecond(incident.resolvedAt)}`
  }
  if (incident.status === 'quiet') {
    return `${STATUS.quiet}: the latest window was below the alert thresholds; it resolves once it stays so for <code>resolve-after</code>`
  }
  return STATUS[incident.status]
}

/** `5xx` once any entry of it had a 5xx status, `4xx` once any a 4xx, `other` otherwise. */
function severityWord(incident: Incident): string {
  if (incident.totals.critical > 0) return '5xx'
  if (incident.totals.warning > 0) return '4xx'
  return 'other'
}

function severityText(incident: Incident): string {
  const word = severityWord(incident)
  return word === 'other' ? 'matching entries' : `${word} errors`
}

function totalsText(incident: Incident): string {
  const { total, critical, warning } = incident.totals
  const other = total - critical - warning
  const windows = `${count(incident.windows)} ${plural(incident.windows, 'window', 'windows')}`
  return `${count(total)} ${plural(total, 'entry', 'entries')} in ${windows}: ${count(critical)} 5xx, ${count(warning)} 4xx${other > 0 ? `, ${count(other)} other` : ''}`
}

function lastedText(incident: Incident): string {
  const lasted = formatDuration(Math.max(0, incident.lastSeen - incident.firstSeen))
  return `${lasted} (${windowText({ window: { start: incident.firstSeen, end: incident.lastSeen } })})`
}

/** Value | Count, most frequent first; undefined when there is none. `title` is markdown already. */
function valueTable(title: string, values: readonly ValueCount[], max: number): string | undefined {
  if (values.length === 0) return undefined
  const rows: Array<[string, string]> = values
    .slice(0, max)
    .map(({ value, count: n }) => [cell(value), count(n)])
  const rest = values.slice(max)
  if (rest.length > 0) {
    rows.push([`and ${count(rest.length)} more`, count(rest.reduce((sum, { count: n }) => sum + n, 0))])
  }
  return table([title, 'Count'], rows)
}

function samplesTable(samples: readonly Entry[]): string {
  const rows = samples.map((entry) => {
    const status = entry.status !== undefined ? String(entry.status) : fieldValue(entry, 'status')
    return [
      entry.fields['@timestamp'],
      status,
      firstValue(entry, ACCESS_LOG_FIELDS.method),
      firstValue(entry, ACCESS_LOG_FIELDS.path),
      firstValue(entry, ACCESS_LOG_FIELDS.requestId),
    ].map((value) => (value === undefined ? '—' : cell(value)))
  })
  return table(['Time', 'Status', 'Method', 'Route', 'Request id'], rows)
}

/** A markdown table; every cell is escaped (or ours) already, so `|` in it is a reference, not a border. */
function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n')
}

/** Log text in a table cell: one line, escaped, in `<code>`, at most MAX_CELL characters inside. */
function cell(text: string): string {
  if (!/\S/.test(text)) return '<i>(empty)</i>'
  return `<code>${fitEscaped(text, MAX_CELL, escapeMarkdownHtml)}</code>`
}

/**
 * `<a href="…">label</a>` for a URL of ours, http(s) only. HTML rather than `[label](url)`: a console
 * URL is full of `(`, `)` and `~`, which a markdown link destination would need changed.
 */
function htmlLink(url: string | undefined, label: string): string | undefined {
  const parsed = url === undefined ? undefined : httpUrl(url)
  if (!parsed) return undefined
  const href = parsed.href.replace(/[&"'<>]/g, (char) => `&#${char.charCodeAt(0)};`)
  return `<a href="${href}">${label}</a>`
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSHOWN = /[\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/g
/** Half of a surrogate pair on its own: no UTF-8 can carry it, and GitHub's API would refuse the text. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

/**
 * Text for a place GitHub shows as typed (a title, a label): C0/C1 controls, bidi overrides and
 * isolates and line breaks become spaces, runs of white space one space, a lone surrogate `�`.
 */
function plainText(text: string): string {
  return text.replace(UNSHOWN, ' ').replace(LONE_SURROGATE, '\uFFFD').replace(/\s+/g, ' ').trim()
}

/** At most `max` UTF-16 code units, `…` at the end when cut, never half a surrogate pair. */
function cutText(text: string, max: number): string {
  if (text.length <= max) return text
  let end = max - 1
  const last = text.charCodeAt(end - 1)
  if (last >= 0xd800 && last <= 0xdbff) end -= 1
  return `${text.slice(0, end)}…`
}
