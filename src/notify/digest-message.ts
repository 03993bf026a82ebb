import type { Counts } from '../alerting.js'
import type { AggregateTable, Breakdown } from '../digest.js'
import { ACCESS_LOG_FIELDS, type Entry, firstValue, type Severity } from '../entries.js'
import { clockTime, count, formatBytes, formatDuration } from '../format.js'
import type { Window } from '../insights/window.js'
import type { Report } from '../report.js'
import type { WindowSignature } from '../signatures.js'
import { noCheckpointText } from '../state/no-checkpoint.js'
import {
  COLORS,
  code,
  codeBlock,
  context,
  escapeOneLine,
  fieldsSection,
  header,
  MAX_BLOCKS,
  MAX_FIELD_TEXT,
  MAX_FIELDS,
  MAX_HEADER_TEXT,
  MAX_NAME,
  MAX_SECTION_TEXT,
  mrkdwn,
  nameText,
  plural,
  type SlackBlock,
  type SlackMessage,
  section,
  slackLink,
  slackMessage,
  utcSecond,
  windowText,
} from './blocks.js'
import { escapeSlack, escapeSlackPlainText, fitEscaped, truncate } from './escape.js'
import { baselineLine, type LineStyle, rateLines } from './rate-lines.js'

/**
 * The payload cap is ours: Slack has rejected block-heavy messages well below the documented limits
 * (`msg_blocks_too_long`, bolt-js#2509).
 */
const DEFAULT_MAX_PAYLOAD_CHARS = 35_000

/** Breakdown values shown per field; the rest are summed up in "and N more". */
const TOP_VALUES = 5
/** Log groups named in the message; the rest are counted. */
const SHOWN_LOG_GROUPS = 3

/* Room for each piece of log text in a sample, so 20 samples stay far below the payload cap. */
const MAX_VALUE = 80
const MAX_PATH = 200
const MAX_SHORT = 40
const MAX_REQUEST_ID = 100
const MAX_ERROR_MESSAGE = 300
const MAX_RAW_MESSAGE = 500
const MAX_LOG_GROUP = 120

const METHOD_FIELDS = ACCESS_LOG_FIELDS.method
const PATH_FIELDS = ACCESS_LOG_FIELDS.path
const LATENCY_FIELDS = ACCESS_LOG_FIELDS.latency
const REQUEST_ID_FIELDS = ACCESS_LOG_FIELDS.requestId
const ERROR_FIELDS = ['error.message', 'errorMessage', 'integrationErrorMessage', 'error.messageString']
const STATUS_FIELDS = ['status']

const ICONS: Record<Severity, string> = { critical: '🔴', warning: '🟠', none: '⚪' }

export interface SlackMessageOptions {
  /**
   * Slack syntax such as `<!here>` or `<@U012AB3CD>`, put as it is at the start of the top-level text
   * when 5xx entries were found. It is the user's own input (the `mention` input), never log text.
   */
  mention?: string
  /** A link to the query in the CloudWatch console. */
  consoleUrl?: string
  /** Cap on the JSON payload, in characters; samples are dropped from the end to stay under it. */
  maxPayloadChars?: number
  /** What arrived during the quiet period (`realert`) since the last alert, told with this one. */
  sinceLastAlert?: Counts & { windows: number; lastAlertAt: number }
}

/** The one Slack message for a run: headline, window, breakdowns, samples, links. */
export function buildSlackMessage(report: Report, options: SlackMessageOptions = {}): SlackMessage {
  const maxPayload = options.maxPayloadChars ?? DEFAULT_MAX_PAYLOAD_CHARS
  const { digest } = report
  const fixedTop = topBlocks(report, options)

  // Room for the samples title, the divider, the "not shown" note and the footer.
  const sampleRoom = Math.max(0, MAX_BLOCKS - fixedTop.length - 4)
  const sampleBlocks = digest.samples.slice(0, sampleRoom).map((entry) => section(sampleText(entry)))
  const sampleCount = digest.samples.length
  let shown = sampleBlocks.length

  const assemble = (count: number): SlackMessage => {
    const blocks = [...fixedTop]
    if (sampleCount > 0) {
      blocks.push({ type: 'divider' }, section(samplesTitle(report, count)), ...sampleBlocks.slice(0, count))
      if (count < sampleCount) blocks.push(context([notShownText(sampleCount - count)]))
    }
    blocks.push(footerBlock(report, options))
    return slackMessage(topLevelText(report, options), {
      // A gap is worth a warning colour even when nothing matched: part of the timeline went unchecked.
      color:
        COLORS[(report.gap || report.noCheckpoint) && digest.worst === 'none' ? 'warning' : digest.worst],
      fallback: headline(report),
      blocks,
    })
  }

  let message = assemble(shown)
  // Drop samples from the end until the payload fits; the summary still shows them all.
  while (shown > 0 && JSON.stringify(message).length > maxPayload) {
    shown -= 1
    message = assemble(shown)
  }
  return message
}

/** Bold and log text in mrkdwn. */
const SLACK_STYLE: LineStyle = { bold: (text) => `*${text}*`, route: (text) => code(text, MAX_PATH) }

/** The blocks every message of the run has, samples aside: header, overview, notices, breakdowns, table. */
function topBlocks(report: Report, options: SlackMessageOptions): SlackBlock[] {
  const { digest } = report
  const blocks: SlackBlock[] = [headerBlock(report)]
  // Errors never seen before come first: they are what the reader most needs to know about.
  const fresh = report.signatures?.new ?? []
  if (fresh.length > 0) blocks.push(section(newSignaturesText(fresh)))
  blocks.push(section(overviewText(report)))
  // Rates are told with entries or a breach; a notice about the monitor (no checkpoint, a gap) has neither.
  if (report.rates && (digest.total > 0 || report.rates.breaches.length > 0))
    blocks.push(section(rateLines(report.rates, SLACK_STYLE).join('\n')))
  const baseline = baselineLine(report, SLACK_STYLE)
  if (baseline) blocks.push(section(baseline))
  if (options.sinceLastAlert) blocks.push(section(sinceLastAlertText(options.sinceLastAlert)))
  if (report.gap) blocks.push(section(gapText(report, report.gap)))
  if (report.noCheckpoint) blocks.push(section(`⚠️ ${escapeSlack(noCheckpointText(report.noCheckpoint))}`))
  if (report.truncated) blocks.push(section(truncatedText(report)))
  const breakdowns = breakdownBlock(digest.breakdowns)
  if (breakdowns) blocks.push(breakdowns)
  if (digest.table) blocks.push(aggregateBlock(digest.table))
  return blocks
}

/** `42 matching entries (30 5xx, 12 4xx)`: the numbers the on-call person needs first. */
function headline(report: Report): string {
  const { monitorName, digest } = report
  const name = nameText(monitorName)
  const gap = report.gap
    ? ` (${formatDuration(report.gap.end - report.gap.start + 1)} before it not checked)`
    : ''
  if (digest.total === 0) return `${name}: no matching entries in ${windowText(report)}${gap}`
  return `${name}: ${countsText(report)} in ${windowText(report)}${gap}`
}

export function countsText(report: Report): string {
  const { total, critical, warning } = report.digest
  const parts = [`${count(critical)} 5xx`, `${count(warning)} 4xx`]
  const other = total - critical - warning
  if (other > 0) parts.push(`${count(other)} other`)
  return `${count(total)}${report.truncated ? '+' : ''} ${plural(total, 'matching entry', 'matching entries')} (${parts.join(', ')})`
}

/** The mention goes first and whole: a cut mention would not notify anyone. */
function topLevelText(report: Report, options: SlackMessageOptions): string {
  const icon = report.digest.total === 0 ? '✅' : ICONS[report.digest.worst]
  const mention = options.mention && report.digest.critical > 0 ? `${options.mention} ` : ''
  return `${mention}${icon} ${headline(report)}`
}

function headerBlock(report: Report): SlackBlock {
  const { digest } = report
  const icon = digest.total === 0 ? '✅' : ICONS[digest.worst]
  const summary =
    digest.total === 0
      ? 'no matching entries'
      : `${count(digest.total)}${report.truncated ? '+' : ''} ${plural(digest.total, 'entry', 'entries')} · ${count(digest.critical)} 5xx · ${count(digest.warning)} 4xx`
  const room = MAX_HEADER_TEXT - summary.length - icon.length - 3
  const name = fitEscaped(report.monitorName, Math.max(room, 10), escapeSlackPlainText)
  return header(`${icon} ${name}: ${summary}`)
}

function overviewText(report: Report): string {
  const { digest, logGroups } = report
  const other = digest.total - digest.critical - digest.warning
  const lines = [
    digest.total === 0
      ? '*No matching entries* in this window.'
      : `*${count(digest.total)}* ${plural(digest.total, 'matching entry', 'matching entries')}: *${count(digest.critical)}* 5xx, *${count(digest.warning)}* 4xx${other > 0 ? `, ${count(other)} other` : ''}`,
    `*Window* ${windowText(report)} (${formatDuration(Math.max(0, report.window.end - report.window.start))})`,
  ]
  const named = logGroups.slice(0, SHOWN_LOG_GROUPS).map((group) => code(group, MAX_LOG_GROUP))
  const rest = logGroups.length - named.length
  const label = plural(logGroups.length, 'Log group', 'Log groups')
  lines.push(`*${label}* ${named.join(', ')}${rest > 0 ? ` and ${count(rest)} more` : ''}`)
  return lines.join('\n')
}

/** New signatures named in the message; the rest are counted (the job summary lists them). */
const SHOWN_NEW_SIGNATURES = 3

/**
 * `🆕 *New:* `502 POST /v2/checkout`, first seen 10:42 UTC, 17 times`, one line each for the most
 * frequent few, then `and N more`. A signature is log text: escaped, one line, fitted.
 */
function newSignaturesText(fresh: readonly WindowSignature[]): string {
  const lines = fresh
    .slice(0, SHOWN_NEW_SIGNATURES)
    .map(
      (item) =>
        `🆕 *New:* ${code(item.signature, MAX_PATH)}, first seen ${clockTime(item.firstSeen)}, ${count(item.count)} ${plural(item.count, 'time', 'times')}`,
    )
  const rest = fresh.length - SHOWN_NEW_SIGNATURES
  if (rest > 0)
    lines.push(`and ${count(rest)} more new ${plural(rest, 'signature', 'signatures')} in the job summary`)
  return lines.join('\n')
}

function sinceLastAlertText(since: Counts & { windows: number; lastAlertAt: number }): string {
  const windows = `${count(since.windows)} ${plural(since.windows, 'window', 'windows')}`
  return `⏱️ *Since the last alert* (${utcSecond(since.lastAlertAt)}): *${count(since.total)}* more ${plural(since.total, 'entry', 'entries')} (${count(since.critical)} 5xx, ${count(since.warning)} 4xx) in ${windows} held back by \`realert\`, not counted above.`
}

export function gapText(report: Report, gap: Window): string {
  const length = formatDuration(gap.end - gap.start + 1)
  const once = report.shortenedRecheck
    ? ` Before it, ${windowText({ window: report.shortenedRecheck })} was checked once, but not again for logs that arrived late.`
    : ''
  return `⚠️ *Not checked:* ${windowText({ window: gap })} (${length}). The previous run ended more than \`max-catch-up\` (${formatDuration(report.maxCatchUpSeconds)}) ago, so this run could not reach back that far; query that stretch by hand if it matters.${once}`
}

function truncatedText(report: Report): string {
  if (report.digest.table) {
    return `⚠️ *Partial result:* not every row of the aggregate was fetched (\`max-results\` or the service's row cap), so the table is incomplete; the count is the service's ${count(report.statistics.recordsMatched)} records matched.`
  }
  const { recordsMatched } = report.statistics
  const fetched = count(report.digest.total)
  const matched = recordsMatched > report.digest.total ? `${count(recordsMatched)} entries matched; ` : ''
  const unfetched =
    recordsMatched > report.digest.total
      ? ` ${count(recordsMatched - report.digest.total)} were not fetched`
      : ''
  return `⚠️ *Partial result:* ${matched}only the first ${fetched} were fetched (\`max-results\`, or the rows one query returns when its window could not be split).${unfetched ? `${unfetched}; the match count includes them.` : ''} Breakdowns and samples cover the fetched ones.`
}

/** Aggregate rows shown in the message; the job summary shows more, the results file all. */
const TABLE_ROWS = 20
/** Columns of the aggregate shown in the message. */
const TABLE_COLUMNS = 8
/** Characters of one table cell in the message. */
const MAX_TABLE_CELL = 40

/**
 * The aggregate's rows as a monospace table in one section, fitted to Slack's 3,000 characters: rows
 * are dropped from the end (and counted) until it fits. Cells are escaped like any log text, so a
 * backtick in a value cannot close the code block.
 */
function aggregateBlock(table: AggregateTable): SlackBlock {
  const how =
    table.countedBy === 'count-column' && table.countColumn !== undefined
      ? `records counted from the ${code(table.countColumn, MAX_NAME)} column`
      : 'records counted from the statistics (the rows carry no count of every record)'
  if (table.columns.length === 0 || table.rows.length === 0) return section(`*Aggregate:* no rows; ${how}.`)
  const columns = table.columns.slice(0, TABLE_COLUMNS)
  const cell = (text: string) => fitEscaped(text, MAX_TABLE_CELL, escapeSlack)
  const header = columns.map(cell)
  const body = table.rows
    .slice(0, TABLE_ROWS)
    .map((row) => columns.map((_, index) => cell((row[index] ?? '').replace(/\s+/g, ' '))))
  const wide =
    table.columns.length > columns.length
      ? ` (${count(table.columns.length - columns.length)} more columns in the job summary)`
      : ''
  const text = (rows: number) => {
    const hidden = table.rowCount - rows
    const more =
      hidden > 0 ? `\n_${count(hidden)} more ${plural(hidden, 'row', 'rows')} in the job summary_` : ''
    return `*Aggregate* (${count(table.rowCount)} ${plural(table.rowCount, 'row', 'rows')}; ${how})${wide}\n\`\`\`${monospaceTable(header, body.slice(0, rows))}\`\`\`${more}`
  }
  let shown = body.length
  while (shown > 0 && text(shown).length > MAX_SECTION_TEXT) shown -= 1
  return section(text(shown))
}

/** The header and rows in columns as wide as their widest cell, two spaces apart. */
function monospaceTable(header: readonly string[], rows: readonly string[][]): string {
  const widths = header.map((name, index) =>
    Math.max(name.length, ...rows.map((row) => (row[index] ?? '').length)),
  )
  const line = (row: readonly string[]) =>
    row
      .map((cell, index) => cell.padEnd(widths[index] ?? 0))
      .join('  ')
      .trimEnd()
  return [line(header), ...rows.map(line)].join('\n')
}

function breakdownBlock(breakdowns: readonly Breakdown[]): SlackBlock | undefined {
  if (breakdowns.length === 0) return undefined
  const shown = breakdowns.slice(0, MAX_FIELDS)
  const fields = shown.map((breakdown, index) => {
    let text = breakdownText(breakdown)
    // Fields past the tenth cannot be shown in one section; say so in the last one.
    if (index === shown.length - 1 && breakdowns.length > shown.length) {
      const hidden = breakdowns.length - shown.length
      text += `\n_${count(hidden)} more ${plural(hidden, 'field', 'fields')} in the job summary_`
    }
    return mrkdwn(truncate(text, MAX_FIELD_TEXT))
  })
  return fieldsSection(fields)
}

function breakdownText(breakdown: Breakdown): string {
  const top = breakdown.counts.slice(0, TOP_VALUES)
  const lines = [`*${escapeSlack(truncate(breakdown.field, MAX_NAME))}*`]
  for (const { value, count: n } of top) lines.push(`${code(value, MAX_VALUE)} ${count(n)}`)
  const rest = breakdown.counts.slice(TOP_VALUES)
  if (rest.length > 0) {
    const entries = rest.reduce((sum, { count: n }) => sum + n, 0)
    lines.push(`and ${count(rest.length)} more (${count(entries)})`)
  }
  return lines.join('\n')
}

function samplesTitle(report: Report, shown: number): string {
  const { total } = report.digest
  return `*${plural(shown, 'Sample', 'Samples')}*: ${count(shown)} of ${count(total)}, 5xx first, newest first`
}

function notShownText(hidden: number): string {
  return `${count(hidden)} more ${plural(hidden, 'sample', 'samples')} not shown to keep the message within Slack's size limits; the job summary lists them.`
}

/**
 * One sample as the on-call person reads it:
 * `🔴 *502* `GET /items/{id}` · 1,234 ms · 2026-11-23 10:01:02.123` then the request id, the error
 * message if the log has one, and the raw message when there is no method or path to show.
 */
function sampleText(entry: Entry): string {
  const method = firstValue(entry, METHOD_FIELDS)
  const path = firstValue(entry, PATH_FIELDS)
  const requestId = firstValue(entry, REQUEST_ID_FIELDS)
  const error = firstValue(entry, ERROR_FIELDS)
  const lines = [sampleHead(entry, method, path)]
  if (requestId !== undefined) lines.push(`request ${code(requestId, MAX_REQUEST_ID)}`)
  if (error !== undefined) lines.push(`error ${code(error, MAX_ERROR_MESSAGE)}`)
  const message = entry.fields['@message']
  if (method === undefined && path === undefined && message !== undefined) {
    lines.push(codeBlock(message, MAX_RAW_MESSAGE))
  }
  return lines.join('\n')
}

/** `🔴 *502* · `GET /items/{id}` · 1,234 ms · 2026-11-23 10:01:02.123`, each part when the entry has it. */
function sampleHead(entry: Entry, method: string | undefined, path: string | undefined): string {
  const status = entry.status !== undefined ? String(entry.status) : firstValue(entry, STATUS_FIELDS)
  const latency = firstValue(entry, LATENCY_FIELDS)
  const time = entry.fields['@timestamp']
  const head = [
    status !== undefined
      ? `${ICONS[entry.severity]} *${escapeSlack(truncate(status, MAX_SHORT))}*`
      : ICONS.none,
  ]
  if (method !== undefined || path !== undefined) head.push(routeText(method, path))
  if (latency !== undefined) head.push(latencyText(latency))
  if (time !== undefined) head.push(escapeSlack(truncate(time, MAX_SHORT)))
  return head.join(' · ')
}

/** `` `GET /items/{id}` ``: an HTTP API routeKey already starts with the method (`GET /items`), shown once. */
function routeText(method: string | undefined, path: string | undefined): string {
  const showMethod = method !== undefined && (path === undefined || !path.startsWith(`${method} `))
  const parts = [showMethod ? method : undefined, path].filter((part) => part !== undefined)
  // Each part is fitted on its own so a huge method cannot push the path out.
  const fitted = parts.map((part) => fitEscaped(part, part === path ? MAX_PATH : MAX_SHORT, escapeOneLine))
  return `\`${fitted.join(' ')}\``
}

function latencyText(value: string): string {
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return `${count(Number(trimmed))} ms`
  if (/^\d+\.\d+$/.test(trimmed)) return `${Number(trimmed).toLocaleString('en-US')} ms`
  return escapeSlack(truncate(trimmed, MAX_SHORT))
}

/** What the queries scanned, then the links to the workflow run and to the query in the console. */
export function footerBlock(report: Report, options: SlackMessageOptions): SlackBlock {
  const { statistics, queries } = report
  const elements = [
    `Scanned ${formatBytes(statistics.bytesScanned)} in ${count(statistics.recordsScanned)} records · ${count(statistics.recordsMatched)} matched · ${count(queries.length)} ${plural(queries.length, 'query', 'queries')}`,
  ]
  const links: string[] = []
  const run = report.runUrl !== undefined ? slackLink(report.runUrl, 'View workflow run') : undefined
  if (run) links.push(run)
  const consoleLink =
    options.consoleUrl !== undefined ? slackLink(options.consoleUrl, 'Open in Logs Insights') : undefined
  if (consoleLink) links.push(consoleLink)
  if (links.length > 0) elements.push(links.join(' · '))
  return context(elements)
}
