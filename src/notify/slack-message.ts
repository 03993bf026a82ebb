import type { Counts } from '../alerting.js'
import type { AggregateTable, Breakdown } from '../digest.js'
import { ACCESS_LOG_FIELDS, type Entry, firstValue, type Severity } from '../entries.js'
import { count, formatBytes, formatDuration, isoSecond } from '../format.js'
import type { Window } from '../insights/window.js'
import type { Report } from '../report.js'
import { noCheckpointText } from '../state/no-checkpoint.js'
import { escapeSlack, escapeSlackPlainText, fitEscaped, truncate } from './escape.js'

/*
 * Slack limits (Block Kit reference, docs.slack.dev/reference/block-kit): 50 blocks a message, a
 * section's text 3,000 characters, a section's fields 10 × 2,000, a context block 10 elements, a
 * header 150 characters of plain text. Top-level `text` is cut by Slack past 40,000 characters; we keep
 * it short because it is the line a phone notification shows. The payload cap is ours: Slack has
 * rejected block-heavy messages well below the documented limits (`msg_blocks_too_long`, bolt-js#2509).
 */
const MAX_BLOCKS = 50
const MAX_SECTION_TEXT = 3_000
const MAX_FIELDS = 10
const MAX_FIELD_TEXT = 2_000
const MAX_CONTEXT_ELEMENTS = 10
const MAX_CONTEXT_TEXT = 2_000
const MAX_HEADER_TEXT = 150
const MAX_TOP_LEVEL_TEXT = 3_000
export const DEFAULT_MAX_PAYLOAD_CHARS = 35_000

/** Breakdown values shown per field; the rest are summed up in "and N more". */
const TOP_VALUES = 5
/** Log groups named in the message; the rest are counted. */
const SHOWN_LOG_GROUPS = 3

/* Room for each piece of log text in a sample, so 20 samples stay far below the payload cap. */
const MAX_NAME = 80
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

const COLORS: Record<Severity, string> = {
  critical: '#d00000',
  warning: '#e8a317',
  none: '#9e9e9e',
}

const RESOLVED_COLOR = '#2eb67d'

const ICONS: Record<Severity, string> = { critical: '🔴', warning: '🟠', none: '⚪' }

export interface MrkdwnText {
  type: 'mrkdwn'
  text: string
  /** true: Slack does not auto-link URLs, channel names or mentions in the text (log text holds them). */
  verbatim: boolean
}

export interface PlainText {
  type: 'plain_text'
  text: string
  emoji: boolean
}

export type SlackBlock =
  | { type: 'header'; text: PlainText }
  | { type: 'section'; text: MrkdwnText }
  | { type: 'section'; fields: MrkdwnText[] }
  | { type: 'context'; elements: MrkdwnText[] }
  | { type: 'divider' }

export interface SlackAttachment {
  /** The colour bar beside the message: the worst severity found. */
  color: string
  /** Plain-text summary for clients that cannot show blocks. */
  fallback: string
  blocks: SlackBlock[]
}

/** An incoming-webhook payload. The blocks sit in an attachment only to get the colour bar. */
export interface SlackMessage {
  text: string
  attachments: [SlackAttachment]
}

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
  const fixedTop: SlackBlock[] = [headerBlock(report), section(overviewText(report))]
  if (options.sinceLastAlert) fixedTop.push(section(sinceLastAlertText(options.sinceLastAlert)))
  if (report.gap) fixedTop.push(section(gapText(report, report.gap)))
  if (report.noCheckpoint)
    fixedTop.push(
      section(truncate(`⚠️ ${escapeSlack(noCheckpointText(report.noCheckpoint))}`, MAX_SECTION_TEXT)),
    )
  if (report.truncated) fixedTop.push(section(truncatedText(report)))
  const breakdowns = breakdownBlock(digest.breakdowns)
  if (breakdowns) fixedTop.push(breakdowns)
  if (digest.table) fixedTop.push(...aggregateBlocks(digest.table))

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
    const fallback = headline(report)
    return {
      text: topLevelText(report, options),
      // A gap is worth a warning colour even when nothing matched: part of the timeline went unchecked.
      attachments: [
        {
          color:
            COLORS[(report.gap || report.noCheckpoint) && digest.worst === 'none' ? 'warning' : digest.worst],
          fallback,
          blocks,
        },
      ],
    }
  }

  let message = assemble(shown)
  // Drop samples from the end until the payload fits; the summary still shows them all.
  while (shown > 0 && JSON.stringify(message).length > maxPayload) {
    shown -= 1
    message = assemble(shown)
  }
  return message
}

/** `42 matching entries (30 5xx, 12 4xx)`: the numbers the on-call person needs first. */
function headline(report: Report): string {
  const { monitorName, digest } = report
  const name = fitEscaped(monitorName, MAX_NAME, escapeSlack)
  const gap = report.gap
    ? ` (${formatDuration(report.gap.end - report.gap.start + 1)} before it not checked)`
    : ''
  if (digest.total === 0) return `${name}: no matching entries in ${windowText(report)}${gap}`
  return `${name}: ${countsText(report)} in ${windowText(report)}${gap}`
}

function countsText(report: Report): string {
  const { total, critical, warning } = report.digest
  const parts = [`${count(critical)} 5xx`, `${count(warning)} 4xx`]
  const other = total - critical - warning
  if (other > 0) parts.push(`${count(other)} other`)
  return `${count(total)}${report.truncated ? '+' : ''} ${plural(total, 'matching entry', 'matching entries')} (${parts.join(', ')})`
}

function topLevelText(report: Report, options: SlackMessageOptions): string {
  const icon = report.digest.total === 0 ? '✅' : ICONS[report.digest.worst]
  const mention = options.mention && report.digest.critical > 0 ? `${options.mention} ` : ''
  // The mention goes first and whole: a cut mention would not notify anyone.
  return truncate(`${mention}${icon} ${headline(report)}`, MAX_TOP_LEVEL_TEXT)
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
  const text = truncate(`${icon} ${name}: ${summary}`, MAX_HEADER_TEXT)
  return { type: 'header', text: { type: 'plain_text', text, emoji: true } }
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

function sinceLastAlertText(since: Counts & { windows: number; lastAlertAt: number }): string {
  const windows = `${count(since.windows)} ${plural(since.windows, 'window', 'windows')}`
  return `⏱️ *Since the last alert* (${isoSecond(since.lastAlertAt).replace('T', ' ')}): *${count(since.total)}* more ${plural(since.total, 'entry', 'entries')} (${count(since.critical)} 5xx, ${count(since.warning)} 4xx) in ${windows} held back by \`realert\`, not counted above.`
}

function gapText(report: Report, gap: Window): string {
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
/** Characters of one table cell in the message. */
const MAX_TABLE_CELL = 40

/**
 * The aggregate's rows as a monospace table in one section, fitted to Slack's 3,000 characters: rows
 * are dropped from the end (and counted) until it fits. Cells are escaped like any log text, so a
 * backtick in a value cannot close the code block.
 */
function aggregateBlocks(table: AggregateTable): SlackBlock[] {
  const how =
    table.countedBy === 'count-column' && table.countColumn !== undefined
      ? `records counted from the ${code(table.countColumn, MAX_NAME)} column`
      : 'records counted from the statistics (the rows carry no count of every record)'
  if (table.columns.length === 0 || table.rows.length === 0) return [section(`*Aggregate:* no rows; ${how}.`)]
  const columns = table.columns.slice(0, 8)
  const cells = (row: readonly (string | undefined)[]) =>
    columns.map((_, index) =>
      fitEscaped((row[index] ?? '').replace(/\s+/g, ' '), MAX_TABLE_CELL, escapeSlack),
    )
  const header = columns.map((name) => fitEscaped(name, MAX_TABLE_CELL, escapeSlack))
  const body = table.rows.slice(0, TABLE_ROWS).map(cells)
  const render = (rows: string[][]) => {
    const widths = header.map((name, index) =>
      Math.max(name.length, ...rows.map((row) => (row[index] ?? '').length)),
    )
    const line = (row: string[]) =>
      row
        .map((cell, index) => cell.padEnd(widths[index] ?? 0))
        .join('  ')
        .trimEnd()
    return [line(header), ...rows.map(line)].join('\n')
  }
  let shown = body.length
  const text = (rows: number) => {
    const hidden = table.rowCount - rows
    const more =
      hidden > 0 ? `\n_${count(hidden)} more ${plural(hidden, 'row', 'rows')} in the job summary_` : ''
    const wide =
      table.columns.length > columns.length
        ? ` (${count(table.columns.length - columns.length)} more columns in the job summary)`
        : ''
    return `*Aggregate* (${count(table.rowCount)} ${plural(table.rowCount, 'row', 'rows')}; ${how})${wide}\n\`\`\`${render(body.slice(0, rows))}\`\`\`${more}`
  }
  while (shown > 0 && text(shown).length > MAX_SECTION_TEXT) shown -= 1
  return [section(text(shown))]
}

/** `2026-11-23 10:00:00Z – 10:05:00Z`: both ends in UTC, the date once when both share it. */
export function windowText(report: Pick<Report, 'window'>): string {
  const start = isoSecond(report.window.start).replace('T', ' ')
  const end = isoSecond(report.window.end).replace('T', ' ')
  const sameDay = start.slice(0, 10) === end.slice(0, 10)
  return `${start} – ${sameDay ? end.slice(11) : end}`
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
  return { type: 'section', fields }
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
  const status = entry.status !== undefined ? String(entry.status) : firstValue(entry, STATUS_FIELDS)
  const method = firstValue(entry, METHOD_FIELDS)
  const path = firstValue(entry, PATH_FIELDS)
  const latency = firstValue(entry, LATENCY_FIELDS)
  const requestId = firstValue(entry, REQUEST_ID_FIELDS)
  const error = firstValue(entry, ERROR_FIELDS)
  const time = entry.fields['@timestamp']

  const head = [
    status !== undefined
      ? `${ICONS[entry.severity]} *${escapeSlack(truncate(status, MAX_SHORT))}*`
      : ICONS.none,
  ]
  if (method !== undefined || path !== undefined) {
    // An HTTP API routeKey already starts with the method (`GET /items`).
    const showMethod = method !== undefined && (path === undefined || !path.startsWith(`${method} `))
    const parts = [showMethod ? method : undefined, path].filter((part) => part !== undefined)
    // Each part is fitted on its own so a huge method cannot push the path out.
    const fitted = parts.map((part) => fitEscaped(part, part === path ? MAX_PATH : MAX_SHORT, escapeOneLine))
    head.push(`\`${fitted.join(' ')}\``)
  }
  if (latency !== undefined) head.push(latencyText(latency))
  if (time !== undefined) head.push(escapeSlack(truncate(time, MAX_SHORT)))

  const lines = [head.join(' · ')]
  if (requestId !== undefined) lines.push(`request ${code(requestId, MAX_REQUEST_ID)}`)
  if (error !== undefined) lines.push(`error ${code(error, MAX_ERROR_MESSAGE)}`)
  const message = entry.fields['@message']
  if (method === undefined && path === undefined && message !== undefined) {
    lines.push(codeBlock(message, MAX_RAW_MESSAGE))
  }
  return lines.join('\n')
}

function latencyText(value: string): string {
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return `${count(Number(trimmed))} ms`
  if (/^\d+\.\d+$/.test(trimmed)) return `${Number(trimmed).toLocaleString('en-US')} ms`
  return escapeSlack(truncate(trimmed, MAX_SHORT))
}

function footerBlock(report: Report, options: SlackMessageOptions): SlackBlock {
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

/**
 * `<url|label>` for a URL of ours (run or console link). Slack reads `|` and `>` as the end of the URL,
 * so they are percent-encoded, and `&` is escaped as in any text; anything but http(s) is left out.
 */
export function slackLink(url: string, label: string): string | undefined {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return undefined
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return undefined
  const href = parsed.href.replace(/[|<>\s]/g, (char) => encodeURIComponent(char)).replace(/&/g, '&amp;')
  return `<${href}|${escapeSlack(label)}>`
}

/** Log text as an inline code span: one line, escaped, fitted to `max` characters inside the backticks. */
function code(text: string, max: number): string {
  if (!/\S/.test(text)) return '_(empty)_'
  // Line breaks are folded inside the escaper, so only the part that can fit is ever scanned.
  return `\`${fitEscaped(text, max, escapeOneLine)}\``
}

function escapeOneLine(text: string): string {
  return escapeSlack(text.replace(/\s+/g, ' '))
}

/** Log text as a code block; the escaped backticks cannot close it early. */
function codeBlock(text: string, max: number): string {
  if (!/\S/.test(text)) return '_(empty message)_'
  return `\`\`\`${fitEscaped(text, max, escapeSlack)}\`\`\``
}

function mrkdwn(text: string): MrkdwnText {
  return { type: 'mrkdwn', text, verbatim: true }
}

/** A section whose text can never exceed Slack's 3,000 characters, whatever the parts added up to. */
export function section(text: string): SlackBlock {
  return { type: 'section', text: mrkdwn(truncate(text, MAX_SECTION_TEXT)) }
}

export function context(texts: readonly string[]): SlackBlock {
  const elements = texts
    .slice(0, MAX_CONTEXT_ELEMENTS)
    .map((text) => mrkdwn(truncate(text, MAX_CONTEXT_TEXT)))
  return { type: 'context', elements }
}

function plural(n: number, one: string, many: string): string {
  return n === 1 ? one : many
}

export interface ResolvedNotice {
  /** Start of the episode's first alerting window. */
  failingSince: number
  /** End of its last alerting window. */
  failingUntil: number
  /** Since when the timeline checked has been below the thresholds (failingUntil, or a gap's end). */
  cleanSince: number
  /** `resolve-after`: how long it had to stay clean; 0 = resolved on the first clean window. */
  resolveAfterSeconds: number
  /** Entries held back by `realert` since the last alert. */
  unreported: Counts & { windows: number }
}

/**
 * The one message when an episode is over: how long it was failing and, with `resolve-after`, for how
 * long it has been clean.
 */
export function buildResolvedMessage(
  report: Report,
  resolved: ResolvedNotice,
  options: SlackMessageOptions = {},
): SlackMessage {
  const name = fitEscaped(report.monitorName, MAX_NAME, escapeSlack)
  const failing = formatDuration(Math.max(0, resolved.failingUntil - resolved.failingSince))
  const headline = `${name}: resolved after ${failing} of errors`
  const clean = formatDuration(Math.max(0, report.window.end - resolved.cleanSince))
  const lines = [
    resolved.resolveAfterSeconds > 0
      ? `*Resolved:* clean for *${clean}*: nothing checked since ${isoSecond(resolved.cleanSince).replace('T', ' ')} met the alert thresholds (\`resolve-after\` is ${formatDuration(resolved.resolveAfterSeconds)}).`
      : `*Resolved:* ${windowText(report)} is below the alert thresholds.`,
    `It was failing for *${failing}* (${windowText({ window: { start: resolved.failingSince, end: resolved.failingUntil } })}).`,
  ]
  if (resolved.unreported.total > 0) {
    lines.push(
      `${count(resolved.unreported.total)} more ${plural(resolved.unreported.total, 'entry', 'entries')} (${count(resolved.unreported.critical)} 5xx, ${count(resolved.unreported.warning)} 4xx) arrived during the quiet period after the last alert.`,
    )
  }
  if (report.digest.total > 0) {
    lines.push(`This window still had ${countsText(report)}, fewer than the thresholds.`)
  }
  const blocks: SlackBlock[] = [
    {
      type: 'header',
      text: {
        type: 'plain_text',
        text: truncate(`✅ ${escapeSlackPlainText(headline)}`, MAX_HEADER_TEXT),
        emoji: true,
      },
    },
    section(truncate(lines.join('\n'), MAX_SECTION_TEXT)),
  ]
  if (report.gap) blocks.push(section(gapText(report, report.gap)))
  blocks.push(footerBlock(report, options))
  return {
    text: truncate(`✅ ${headline}`, MAX_TOP_LEVEL_TEXT),
    attachments: [{ color: RESOLVED_COLOR, fallback: headline, blocks }],
  }
}

export interface FailureNotice {
  monitorName: string
  /** The error that stopped the run (it may quote AWS or Slack, so it is escaped like log text). */
  reason: string
  runUrl?: string
  /** On a reminder: the first failed run of the episode, epoch seconds. */
  failingSince?: number
  /** With `failingSince`: failed runs in the episode, this one included. */
  failedRuns?: number
  /** Why the run remembers no earlier notice, so this one repeats on every failed run. */
  noMemory?: 'state-none' | 'unreadable' | 'unsaved'
}

const NO_MEMORY: Record<NonNullable<FailureNotice['noMemory']>, string> = {
  'state-none': 'No state is kept (state: none)',
  unreadable: 'The state could not be read',
  unsaved: 'The state could not be saved',
}

/** `notify-on-error`: the monitor itself failed, so it is not watching; never silent. */
export function buildFailureMessage(failure: FailureNotice): SlackMessage {
  const name = fitEscaped(failure.monitorName, MAX_NAME, escapeSlack)
  const { failingSince, failedRuns } = failure
  const reminder = failingSince !== undefined
  const headline = `${name}: the monitor ${reminder ? 'is still failing' : 'failed'} and is not checking logs`
  const lines = [`*${headline}.* Until this is fixed, errors in the logs go unreported.`]
  if (reminder) {
    const runs =
      failedRuns !== undefined
        ? `: *${count(failedRuns)}* failed ${plural(failedRuns, 'run', 'runs')} in a row`
        : ''
    lines.push(`⏱️ Failing since *${isoSecond(failingSince).replace('T', ' ')}*${runs}.`)
  }
  if (failure.noMemory)
    lines.push(`_${NO_MEMORY[failure.noMemory]}, so this notice repeats on every failed run._`)
  const blocks: SlackBlock[] = [
    {
      type: 'header',
      text: {
        type: 'plain_text',
        text: `🛑 ${fitEscaped(failure.monitorName, MAX_HEADER_TEXT - 20, escapeSlackPlainText)} is broken`,
        emoji: true,
      },
    },
    section(lines.join('\n')),
    section(codeBlock(failure.reason, MAX_SECTION_TEXT - 100)),
  ]
  const run = failure.runUrl !== undefined ? slackLink(failure.runUrl, 'View the failed run') : undefined
  if (run) blocks.push(context([run]))
  return {
    text: truncate(`🛑 ${headline}`, MAX_TOP_LEVEL_TEXT),
    attachments: [{ color: COLORS.critical, fallback: headline, blocks }],
  }
}

export interface RecoveredNotice {
  monitorName: string
  /** The first failed run of the episode, epoch seconds. */
  failingSince: number
  /** The run that worked again, epoch seconds. */
  recoveredAt: number
  /** Failed runs in the episode. */
  failedRuns: number
  runUrl?: string
}

/** `notify-on-error`: the monitor that was reported broken runs again; one short message. */
export function buildRecoveredMessage(recovered: RecoveredNotice): SlackMessage {
  const name = fitEscaped(recovered.monitorName, MAX_NAME, escapeSlack)
  const failing = formatDuration(Math.max(0, recovered.recoveredAt - recovered.failingSince))
  const headline = `${name}: the monitor is running again after failing for ${failing}`
  const blocks: SlackBlock[] = [
    {
      type: 'header',
      text: {
        type: 'plain_text',
        text: `✅ ${fitEscaped(recovered.monitorName, MAX_HEADER_TEXT - 30, escapeSlackPlainText)} is running again`,
        emoji: true,
      },
    },
    section(
      `*${headline}.* It failed ${count(recovered.failedRuns)} ${plural(recovered.failedRuns, 'run', 'runs')} in a row, from ${isoSecond(recovered.failingSince).replace('T', ' ')}.`,
    ),
  ]
  const run = recovered.runUrl !== undefined ? slackLink(recovered.runUrl, 'View this run') : undefined
  if (run) blocks.push(context([run]))
  return {
    text: truncate(`✅ ${headline}`, MAX_TOP_LEVEL_TEXT),
    attachments: [{ color: RESOLVED_COLOR, fallback: headline, blocks }],
  }
}
