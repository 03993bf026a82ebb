import type { summary } from '@actions/core'
import { describeSkew } from '../aws/service-clock.js'
import type { AggregateTable, Breakdown } from '../digest.js'
import { ACCESS_LOG_FIELDS, type Entry, fieldValue, firstValue } from '../entries.js'
import { count, formatBytes, formatDollars, formatDuration, isoSecond, scanCost } from '../format.js'
import type { Window } from '../insights/window.js'
import type { HelperQuery, Report } from '../report.js'
import type { SignatureFindings } from '../signatures.js'
import { noCheckpointText } from '../state/no-checkpoint.js'
import { escapeMarkdownHtml, fitEscaped, truncate } from './escape.js'
import type { WebhookStatus } from './missed-deliveries.js'
import { describeMissed } from './missed-deliveries.js'
import { baselineLine, type LineStyle, rateLines } from './rate-lines.js'

/** `core.summary`: passed in so tests read the buffer instead of writing `GITHUB_STEP_SUMMARY`. */
export type Summary = typeof summary

/**
 * GitHub rejects a step summary over 1 MiB ("Step isolation and limits", workflow-commands docs) and
 * shows nothing of it. What this module adds stays under the limit minus room for whatever the step
 * adds after it (an error note, say).
 */
const SUMMARY_LIMIT_BYTES = 1024 * 1024
const ROOM_FOR_OTHERS_BYTES = 64 * 1024

/* Caps on escaped text (escaping can grow a character up to six times, so these are output sizes). */
const MAX_CELL = 600
/** The no-checkpoint notice names a file or cache key and two times: room for a long path. */
const MAX_NOTICE = 2_000
const MAX_QUERY = 64 * 1024
const MAX_LOG_GROUPS = 100
const MAX_QUERY_IDS = 100
const MAX_BREAKDOWN_FIELDS = 20
const MAX_BREAKDOWN_VALUES = 20
const MAX_SAMPLES = 100
/** The raw `@message` in the samples table, in source characters (before escaping). */
const MAX_MESSAGE = 300

const { method: METHOD_FIELDS, path: PATH_FIELDS, requestId: REQUEST_ID_FIELDS } = ACCESS_LOG_FIELDS

type Row = Parameters<Summary['addTable']>[0][number]

/**
 * The run as a person reviews it later: what was checked, what was found, whether Slack was told
 * (`notification`), the query, breakdowns, samples. Every piece of log text is escaped, since `core.summary` writes its arguments as raw HTML.
 */
export function addJobSummary(
  report: Report,
  summary: Summary,
  notification?: string,
  /** The most this run's section may take, when it shares the summary with other rules'. */
  limitBytes?: number,
): void {
  const { digest } = report
  const before = bytes(summary.stringify())
  addOverview(report, summary, notification)

  // Breakdowns and samples get what is left, less room for the closing note and link.
  const left = SUMMARY_LIMIT_BYTES - ROOM_FOR_OTHERS_BYTES - 1024 - bytes(summary.stringify())
  const share = limitBytes === undefined ? left : limitBytes - (bytes(summary.stringify()) - before) - 1024
  const budget = new Budget(Math.max(0, Math.min(left, share)))
  // What the budget or the caps left out, in the order the note names them.
  const cut: string[] = []
  if (report.signatures) cut.push(...addNewSignatures(report.signatures, summary, budget))
  cut.push(...addBreakdowns(digest.breakdowns, summary, budget))
  if (digest.table) cut.push(...addAggregate(report, digest.table, summary, budget))
  if (digest.breakdowns.length > MAX_BREAKDOWN_FIELDS) {
    cut.push(`${digest.breakdowns.length - MAX_BREAKDOWN_FIELDS} breakdown fields`)
  }
  if (digest.samples.length > 0) cut.push(...addSamples(report, summary, budget))
  addClosing(report, summary, cut)
}

/** Bold and log text in the summary's HTML. */
const HTML_STYLE: LineStyle = {
  bold: (text) => `<b>${text}</b>`,
  route: (text) => `<code>${fitEscaped(text, MAX_CELL, escapeMarkdownHtml)}</code>`,
}

/** The parts every summary has; their size is bounded by the caps above. */
function addOverview(report: Report, summary: Summary, notification: string | undefined): void {
  summary.addHeading(`insights-watch: ${cell(report.monitorName)}`, 2)
  summary.addRaw(`<p>${headline(report)}</p>`, true)
  if (report.gap) summary.addRaw(`<p>${gapNote(report, report.gap)}</p>`, true)
  if (report.noCheckpoint)
    summary.addRaw(
      `<p>⚠️ ${fitEscaped(noCheckpointText(report.noCheckpoint), MAX_NOTICE, escapeMarkdownHtml)}</p>`,
      true,
    )
  const skew = report.clock ? describeSkew(report.clock) : null
  if (skew) summary.addRaw(`<p><b>Clock:</b> ${skew}</p>`, true)
  if (report.truncated) summary.addRaw(`<p>${truncatedNote(report)}</p>`, true)
  // Slack's error text may be echoed in the note: it is escaped like log text.
  if (notification) summary.addRaw(`<p>${fitEscaped(notification, MAX_CELL, escapeMarkdownHtml)}</p>`, true)
  summary.addTable(runRows(report))
  if (report.rates) summary.addRaw(`<p>${rateLines(report.rates, HTML_STYLE).join('<br>\n')}</p>`, true)
  const baseline = baselineLine(report, HTML_STYLE)
  if (baseline) summary.addRaw(`<p>${baseline}</p>`, true)
  if (report.webhooks && showWebhooks(report.webhooks)) {
    summary.addHeading('Slack webhooks', 3)
    summary.addTable(webhookRows(report.webhooks))
  }
  if (report.pricePerGb !== undefined && report.queries.length > 0) {
    summary.addHeading('Bytes scanned and cost', 3)
    summary.addTable(costRows(report, report.pricePerGb))
  }
  summary.addHeading(`Query (${cell(report.queryLanguage)})`, 3)
  // addCodeBlock puts the text between <pre><code> as it is: unescaped, a `</code>` in it would end it.
  summary.addCodeBlock(
    fitEscaped(report.query, MAX_QUERY, (text) => escapeMarkdownHtml(text, { multiline: true })),
  )
}

/** New signatures listed at most. */
const MAX_NEW_SIGNATURES = 100

/**
 * `new-signatures`: the signatures not seen within `signature-memory`, most frequent first, or why
 * none could be (the baseline run); what the budget or the cap left out.
 */
function addNewSignatures(findings: SignatureFindings, summary: Summary, budget: Budget): string[] {
  const untracked =
    findings.untracked > 0
      ? ` ${count(findings.untracked)} entries had signatures past the 10,000 one window keeps: not counted.`
      : ''
  if (findings.baseline) {
    summary.addRaw(
      `<p><b>New signatures:</b> none remembered yet, so the ${count(findings.seen)} ${findings.seen === 1 ? 'signature of this window is' : 'signatures of this window are'} the baseline; none is called new.${untracked}</p>`,
      true,
    )
    return []
  }
  if (findings.new.length === 0) {
    if (untracked) summary.addRaw(`<p><b>New signatures:</b> none.${untracked}</p>`, true)
    return []
  }
  const header: Row = ['Signature', 'First seen (UTC)', 'Entries'].map((label) => ({
    data: label,
    header: true,
  }))
  budget.spend(rowBytes(header) + 64)
  const rows = [header]
  for (const item of findings.new.slice(0, MAX_NEW_SIGNATURES)) {
    const row: Row = [orDash(cell(item.signature)), isoSecond(item.firstSeen), count(item.count)]
    if (!budget.spend(rowBytes(row))) break
    rows.push(row)
  }
  summary.addHeading(`New error signatures (${count(findings.new.length)} of ${count(findings.seen)})`, 3)
  if (untracked) summary.addRaw(`<p>${untracked.trim()}</p>`, true)
  summary.addTable(rows)
  const hidden = findings.new.length - (rows.length - 1)
  return hidden > 0 ? [`${count(hidden)} new signatures`] : []
}

/** A table per breakdown field, while the budget lasts; what it left out. */
function addBreakdowns(breakdowns: readonly Breakdown[], summary: Summary, budget: Budget): string[] {
  for (const breakdown of breakdowns.slice(0, MAX_BREAKDOWN_FIELDS)) {
    const rows = breakdownRows(breakdown, budget)
    if (rows === undefined) return ['breakdown tables']
    summary.addHeading(`By ${cell(breakdown.field)}`, 3)
    summary.addTable(rows)
  }
  return []
}

/** The aggregate's rows, how they were counted and how its windows were queried; what it left out. */
function addAggregate(report: Report, table: AggregateTable, summary: Summary, budget: Budget): string[] {
  const { rows, shown } = aggregateRows(table, budget)
  const how =
    table.countedBy === 'count-column' && table.countColumn !== undefined
      ? `records counted from the <code>${cell(table.countColumn)}</code> column`
      : 'records counted from the statistics (recordsMatched)'
  summary.addHeading(`Aggregate (${count(table.rowCount)} ${table.rowCount === 1 ? 'row' : 'rows'})`, 3)
  summary.addRaw(
    `<p>${how}. Aggregate windows do not overlap (a second look would count records twice); they end <code>query-delay</code> + <code>overlap</code> back instead, so a log that late is still counted, once.</p>`,
    true,
  )
  if (report.queryLanguage !== 'CWLI') {
    // query-rewrite.ts queryWindow: SQL and PPL cannot be bounded by @timestamp exactly.
    summary.addRaw(
      `<p>Windows do not overlap, so each record is counted once. ${cell(report.queryLanguage)} has no documented way to compare <code>@timestamp</code> with a number, so this window was queried as the whole seconds ${isoSecond(report.window.start)} – ${isoSecond(report.window.end - 1)} (StartQuery documents both ends as inclusive); should the service read the end second as an instant, the records after its first millisecond are not counted.</p>`,
      true,
    )
  }
  if (rows.length > 1) summary.addTable(rows)
  return shown < table.rowCount ? [`${count(table.rowCount - shown)} aggregate rows`] : []
}

/** The samples table, as many rows as the budget takes; what it left out. */
function addSamples(report: Report, summary: Summary, budget: Budget): string[] {
  const { samples, total } = report.digest
  const { rows, shown } = sampleRows(samples.slice(0, MAX_SAMPLES), budget)
  summary.addHeading(`Samples (${count(shown)} of ${count(total)}, 5xx first, newest first)`, 3)
  summary.addTable(rows)
  return shown < samples.length ? [`${count(samples.length - shown)} samples`] : []
}

/** What was left out, then the links to the query in the console and to the workflow run. */
function addClosing(report: Report, summary: Summary, cut: readonly string[]): void {
  if (cut.length > 0) {
    summary.addRaw(
      `<p>Not shown, to keep the summary under GitHub's 1 MiB limit: ${cut.join(', ')}. The results file has every entry.</p>`,
      true,
    )
  }
  const consoleLink = safeHref(report.consoleUrl)
  if (consoleLink !== undefined)
    summary.addRaw(`<p><a href="${consoleLink}">Open this query in CloudWatch Logs Insights</a></p>`, true)
  const runLink = report.runUrl !== undefined ? safeHref(report.runUrl) : undefined
  if (runLink !== undefined) summary.addLink('View workflow run', runLink)
}

function headline(report: Report): string {
  const { total, critical, warning } = report.digest
  if (total === 0) return 'No matching entries in this window.'
  const other = total - critical - warning
  const rest = other > 0 ? `, ${count(other)} other` : ''
  return `<b>${count(total)}</b> ${total === 1 ? 'matching entry' : 'matching entries'}: <b>${count(critical)}</b> 5xx, <b>${count(warning)}</b> 4xx${rest}.`
}

function gapNote(report: Report, gap: Window): string {
  const once = report.shortenedRecheck
    ? ` Before it, ${isoSecond(report.shortenedRecheck.start)} – ${isoSecond(report.shortenedRecheck.end)} was checked once by the previous run, but not again for logs that arrived late.`
    : ''
  return `<b>Not checked:</b> ${isoSecond(gap.start)} – ${isoSecond(gap.end)} (${formatDuration(gap.end - gap.start + 1)}). The previous run ended more than <code>max-catch-up</code> (${formatDuration(report.maxCatchUpSeconds)}) ago, so this run could not reach back that far; query that stretch by hand if it matters.${once}`
}

/** Not a gap: the previous run checked this stretch once; only its second look for late logs is lost. */
function shortenedRecheckNote(report: Report): string {
  const shortened = report.shortenedRecheck
  if (!shortened || report.gap) return ''
  return `. Re-check shortened: ${isoSecond(shortened.start)} – ${isoSecond(shortened.end)} (${formatDuration(shortened.end - shortened.start + 1)}) is older than <code>max-catch-up</code> (${formatDuration(report.maxCatchUpSeconds)}); the previous run checked it once, but not again for logs that arrived late`
}

function truncatedNote(report: Report): string {
  if (report.digest.table) {
    return `<b>Partial result:</b> not every row of the aggregate was fetched (<code>max-results</code> or the service's row cap), so the table is incomplete; the count is the service's ${count(report.statistics.recordsMatched)} records matched.`
  }
  const matched = report.statistics.recordsMatched
  const fetched = report.digest.total
  const all = matched > fetched ? `${count(matched)} entries matched; ` : ''
  const unfetched =
    matched > fetched ? ` ${count(matched - fetched)} were not fetched; the match count includes them.` : ''
  return `<b>Partial result:</b> ${all}only the first ${count(fetched)} were fetched (<code>max-results</code>, or the rows one query returns when its window could not be split).${unfetched} Breakdowns and samples cover the fetched ones.`
}

/** `Log groups (3)`; with prefixes, how many are named and how many prefixes (whose groups are not counted). */
function groupsLabel(report: Report): string {
  const prefixes = report.source?.prefixes.length ?? 0
  if (prefixes > 0) {
    const named = report.logGroups.length - prefixes
    return `Log groups (${named > 0 ? `${count(named)} named, ` : ''}${count(prefixes)} ${prefixes === 1 ? 'prefix' : 'prefixes'})`
  }
  return report.logGroups.length === 1 ? 'Log group' : `Log groups (${count(report.logGroups.length)})`
}

function runRows(report: Report): Row[] {
  const { window, digest, statistics } = report
  const groups = report.logGroups.slice(0, MAX_LOG_GROUPS).map((group) => cell(group))
  if (report.logGroups.length > groups.length) {
    groups.push(`and ${count(report.logGroups.length - groups.length)} more`)
  }
  const ids = report.queries.slice(0, MAX_QUERY_IDS).map((query) => cell(query.queryId))
  if (report.queries.length > ids.length) ids.push(`and ${count(report.queries.length - ids.length)} more`)
  const row = (label: string, value: string): Row => [{ data: label, header: true }, orDash(value)]
  return [
    row('Window start (UTC)', isoSecond(window.start)),
    row(
      'Window end (UTC)',
      `${isoSecond(window.end)} (${formatDuration(Math.max(0, window.end - window.start))})`,
    ),
    row(groupsLabel(report), groups.join('<br>')),
    row(
      report.queries.length === 1 ? 'Query id' : `Query ids (${count(report.queries.length)})`,
      ids.join('<br>'),
    ),
    row(
      'Matching entries',
      `${count(digest.total)} (5xx: ${count(digest.critical)}, 4xx: ${count(digest.warning)})`,
    ),
    row('Records matched', count(statistics.recordsMatched)),
    row('Records scanned', count(statistics.recordsScanned)),
    row('Bytes scanned', `${formatBytes(statistics.bytesScanned)} (${count(statistics.bytesScanned)} bytes)`),
    row('Truncated', report.truncated ? 'yes: more entries matched than were fetched' : 'no'),
    row(
      'Re-checked (overlap)',
      (report.rechecked > 0
        ? `${formatDuration(report.rechecked)} of the previous window; ${count(report.alreadyReported)} ${report.alreadyReported === 1 ? 'entry' : 'entries'} already reported there, not counted again`
        : report.shortenedRecheck
          ? 'nothing'
          : 'nothing: no checkpoint to continue from') + shortenedRecheckNote(report),
    ),
  ]
}

/** What the action's own queries are for, in the cost table. */
const HELPER_PURPOSES: Record<HelperQuery['purpose'], string> = {
  requests: 'requests, for rate-thresholds',
  baseline: 'baseline',
}

/**
 * Each query's scan and its estimated cost at `price-per-gb`, then the run's total: what a monitor
 * costs is bytes scanned, and overlap, splits and batches each add to it.
 */
function costRows(report: Report, pricePerGb: number): Row[] {
  const header: Row = ['Query', 'Log groups', 'Records scanned', 'Bytes scanned', 'Estimated cost'].map(
    (label) => ({ data: label, header: true }),
  )
  // The action's own queries named by what they are for.
  const labelled = [
    ...report.queries.map((query) => ({ query, label: cell(query.queryId) })),
    ...(report.helperQueries ?? []).map((query) => ({
      query,
      label: `${cell(query.queryId)} (${HELPER_PURPOSES[query.purpose]})`,
    })),
  ]
  const queries = labelled.map(({ query }) => query)
  const shown = labelled.slice(0, MAX_QUERY_IDS)
  const rows = shown.map(
    ({ query, label }): Row => [
      label,
      // A prefix query's groups are not known by number: it is shown by its prefixes.
      query.source ? query.logGroups.map((group) => cell(group)).join('<br>') : count(query.logGroups.length),
      count(query.statistics.recordsScanned),
      formatBytes(query.statistics.bytesScanned),
      formatDollars(scanCost(query.statistics.bytesScanned, pricePerGb)),
    ],
  )
  if (queries.length > shown.length) {
    rows.push([`and ${count(queries.length - shown.length)} more`, '', '', '', ''].map(orDash) as Row)
  }
  // Billed per query run, split parts included: the sum of the queries' scans, which can pass the
  // "Bytes scanned" above (each batch's whole window once).
  const bytes = queries.reduce((sum, query) => sum + query.statistics.bytesScanned, 0)
  const records = queries.reduce((sum, query) => sum + query.statistics.recordsScanned, 0)
  const price = `at $${pricePerGb} per GB (<code>price-per-gb</code>)`
  rows.push(
    [
      {
        data: `Total (${count(queries.length)} ${queries.length === 1 ? 'query' : 'queries'})`,
        header: true,
      },
      '',
      count(records),
      formatBytes(bytes),
      `${formatDollars(scanCost(bytes, pricePerGb))} ${price}`,
    ].map((value) => (typeof value === 'string' ? orDash(value) : value)) as Row,
  )
  return [header, ...rows]
}

/** With one webhook and nothing missed, the note above says it all. */
function showWebhooks(webhooks: readonly WebhookStatus[]): boolean {
  return webhooks.length > 1 || webhooks.some((webhook) => webhook.missed || webhook.caughtUp)
}

/** Webhook | this run | missed, not told yet: by position, never by URL; Slack's answer escaped. */
function webhookRows(webhooks: readonly WebhookStatus[]): Row[] {
  const header: Row = ['Webhook', 'This run', 'Missed, not told yet'].map((label) => ({
    data: label,
    header: true,
  }))
  return [
    header,
    ...webhooks.map((webhook): Row => {
      const thisRun =
        webhook.thisRun === 'failed'
          ? `failed: ${cell(webhook.problem ?? '')}`
          : webhook.caughtUp
            ? `${webhook.thisRun === 'delivered' ? 'delivered, and ' : ''}caught up on ${cell(describeMissed(webhook.caughtUp))}`
            : webhook.thisRun
      return [cell(webhook.name), thisRun, orDash(webhook.missed ? cell(describeMissed(webhook.missed)) : '')]
    }),
  ]
}

/** Value | count, most frequent first; `undefined` when not even the header fits the budget. */
function breakdownRows(breakdown: Breakdown, budget: Budget): Row[] | undefined {
  const header: Row = [
    { data: cell(breakdown.field), header: true },
    { data: 'Count', header: true },
  ]
  if (!budget.spend(rowBytes(header) + 64)) return undefined
  const rows = [header]
  const top = breakdown.counts.slice(0, MAX_BREAKDOWN_VALUES)
  let shown = 0
  for (const { value, count: n } of top) {
    const row: Row = [cell(value), count(n)]
    if (!budget.spend(rowBytes(row))) break
    rows.push(row)
    shown += 1
  }
  const rest = breakdown.counts.slice(shown)
  if (rest.length > 0) {
    const entries = rest.reduce((sum, { count: n }) => sum + n, 0)
    const row: Row = [
      `and ${count(rest.length)} more ${rest.length === 1 ? 'value' : 'values'}`,
      count(entries),
    ]
    budget.spend(rowBytes(row))
    rows.push(row)
  }
  return rows
}

/** Aggregate rows shown in the summary at most. */
const MAX_AGGREGATE_ROWS = 500
/** Aggregate columns shown at most. */
const MAX_AGGREGATE_COLUMNS = 20

/** The aggregate's header and rows, as many as the budget takes. */
function aggregateRows(table: AggregateTable, budget: Budget): { rows: Row[]; shown: number } {
  const columns = table.columns.slice(0, MAX_AGGREGATE_COLUMNS)
  const header: Row = columns.map((name) => ({ data: cell(name), header: true }))
  if (!budget.spend(rowBytes(header) + 64)) return { rows: [], shown: 0 }
  const rows = [header]
  let shown = 0
  for (const values of table.rows.slice(0, MAX_AGGREGATE_ROWS)) {
    const row: Row = columns.map((_, index) => orDash(cell(values[index])))
    if (!budget.spend(rowBytes(row))) break
    rows.push(row)
    shown += 1
  }
  return { rows, shown }
}

function sampleRows(samples: readonly Entry[], budget: Budget): { rows: Row[]; shown: number } {
  const header: Row = ['Time', 'Status', 'Method', 'Path', 'Request id', 'Message'].map((label) => ({
    data: label,
    header: true,
  }))
  budget.spend(rowBytes(header) + 64)
  const rows = [header]
  let shown = 0
  for (const entry of samples) {
    const status = entry.status !== undefined ? String(entry.status) : fieldValue(entry, 'status')
    const message = entry.fields['@message']
    const row: Row = [
      orDash(cell(entry.fields['@timestamp'])),
      orDash(cell(status)),
      orDash(cell(firstValue(entry, METHOD_FIELDS))),
      orDash(cell(firstValue(entry, PATH_FIELDS))),
      orDash(cell(firstValue(entry, REQUEST_ID_FIELDS))),
      orDash(message === undefined ? '' : escapeMarkdownHtml(truncate(message, MAX_MESSAGE))),
    ]
    if (!budget.spend(rowBytes(row))) break
    rows.push(row)
    shown += 1
  }
  return { rows, shown }
}

/** Log text for a table cell or heading: escaped, one line, at most `MAX_CELL` characters. */
function cell(text: string | undefined): string {
  return text === undefined ? '' : fitEscaped(text, MAX_CELL, escapeMarkdownHtml)
}

/** core.summary writes `<td>` without a closing tag for an empty cell; a dash keeps the table whole. */
function orDash(html: string): string {
  return html === '' ? '—' : html
}

/** An http(s) URL safe inside `href="…"`; anything else (`javascript:`) is left out. */
function safeHref(url: string): string | undefined {
  try {
    const parsed = new URL(url)
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return undefined
    return parsed.href.replace(/[&"'<>]/g, (char) => `&#${char.charCodeAt(0)};`)
  } catch {
    return undefined
  }
}

function rowBytes(row: Row): number {
  let total = 9 // <tr></tr>
  for (const item of row) total += bytes(typeof item === 'string' ? item : item.data) + 9
  return total
}

function bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8')
}

/** Bytes left for the optional parts of the summary (breakdowns, samples). */
class Budget {
  constructor(private remaining: number) {}

  /** Takes `amount` from the budget; false (and nothing taken) when it does not fit. */
  spend(amount: number): boolean {
    if (amount > this.remaining) return false
    this.remaining -= amount
    return true
  }
}

/** One rule of a rules file, as the overview table at the top of the summary shows it. */
export interface RuleOverview {
  name: string
  window?: Window
  matches?: number
  critical?: number
  /** What the rule did, in words (log text may be in it: escaped here). */
  outcome: string
}

/** The table at the top of a rules run's summary: one row per rule, in the file's order. */
export function addRulesOverview(file: string, rules: readonly RuleOverview[], summary: Summary): void {
  const failed = rules.filter((rule) => rule.outcome.startsWith('failed')).length
  summary.addHeading(`insights-watch: ${count(rules.length)} rules from ${cell(file)}`, 2)
  if (failed > 0) summary.addRaw(`<p>❌ <b>${count(failed)}</b> failed: see their sections.</p>`, true)
  summary.addTable([
    [
      { data: 'Rule', header: true },
      { data: 'Window', header: true },
      { data: 'Matches', header: true },
      { data: '5xx', header: true },
      { data: 'Outcome', header: true },
    ],
    ...rules.map((rule) => [
      cell(rule.name),
      rule.window ? `${isoSecond(rule.window.start)} – ${isoSecond(rule.window.end)}` : '—',
      rule.matches === undefined ? '—' : count(rule.matches),
      rule.critical === undefined ? '—' : count(rule.critical),
      orDash(cell(rule.outcome)),
    ]),
  ])
}

/** Why a rule failed; with `heading`, for a rule that failed before it had a report (and a section). */
export function addRuleFailure(name: string, failure: string, heading: boolean, summary: Summary): void {
  if (heading) summary.addHeading(`insights-watch: ${cell(name)}`, 2)
  summary.addRaw(`<p>❌ <b>Failed:</b> ${fitEscaped(failure, MAX_NOTICE, escapeMarkdownHtml)}</p>`, true)
}
