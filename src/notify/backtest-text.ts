/**
 * A backtest told to people: GitHub-flavoured markdown (for a pull-request comment) and the job
 * summary's HTML. Both are made of the same cells, escaped once with escapeMarkdownHtml, whose numeric
 * references read the same in a markdown table and in HTML: a route of `a|b`, a backtick or
 * `<script>` in the logs stays text in either.
 */
import { type BacktestResult, type BusyWindow, RUNS_PER_MONTH, SCHEDULE_SECONDS } from '../backtest.js'
import { count, formatBytes, formatDollars, formatDuration, isoSecond } from '../format.js'
import { escapeMarkdownHtml, fitEscaped } from './escape.js'
import type { Summary } from './summary.js'

/**
 * One monitor's backtest and the name it is shown under (a rule's name, or `monitor-name`); or, for a
 * rule of a rules file, why it was not replayed (an aggregate query, a failed query).
 */
export type NamedBacktest = { name: string; result: BacktestResult } | { name: string; error: string }

type Replayed = Extract<NamedBacktest, { result: BacktestResult }>

function replayed(list: readonly NamedBacktest[]): Replayed[] {
  return list.filter((entry): entry is Replayed => 'result' in entry)
}

/** With more than one monitor (rules), a table of them all comes first: one row each. */
function overviewRows(list: readonly NamedBacktest[]): string[][] {
  return list.map((entry) => {
    if (!('result' in entry))
      return [text(entry.name), '—', '—', '—', '—', `not replayed: ${text(entry.error)}`]
    const { result } = entry
    const busiest = result.busiest[0]
    return [
      text(entry.name),
      count(result.alerts),
      count(result.resolved),
      count(result.posts),
      formatDollars(result.costPerMonth),
      busiest ? `${isoSecond(busiest.window.start)} (${count(busiest.total)})` : '—',
    ]
  })
}

const OVERVIEW_HEADER = ['rule', 'alerts', 'resolved', 'Slack posts', 'cost per month', 'busiest window']

function totalsLine(list: readonly NamedBacktest[]): string {
  const done = replayed(list)
  const sum = (pick: (result: BacktestResult) => number) =>
    done.reduce((total, { result }) => total + pick(result), 0)
  const counted = (n: number, one: string, many: string) => `${count(n)} ${n === 1 ? one : many}`
  const skipped = list.length - done.length
  return `${count(list.length)} rules: ${counted(
    sum((r) => r.alerts),
    'alert',
    'alerts',
  )}, ${counted(
    sum((r) => r.resolved),
    'resolved notice',
    'resolved notices',
  )}, ${counted(
    sum((r) => r.posts),
    'Slack post',
    'Slack posts',
  )}, ${formatDollars(sum((r) => r.costPerMonth))} a month (estimate)${skipped > 0 ? `; ${count(skipped)} not replayed` : ''}.`
}

/** A cell of log text or a name, escaped and capped (escaped text, so up to six times the source). */
const MAX_CELL = 600

const TITLE = 'insights-watch backtest'

function text(value: string): string {
  return fitEscaped(value, MAX_CELL, escapeMarkdownHtml)
}

/** The figures of one monitor, label and escaped value. */
function figures(result: BacktestResult): Array<[string, string]> {
  const messages = result.alerts + result.resolved
  return [
    ['Alerts', count(result.alerts)],
    ['Resolved notices', count(result.resolved)],
    ['Alerting windows held back by realert', count(result.quiet)],
    [
      'Slack posts',
      `${count(result.posts)} (${count(messages)} ${messages === 1 ? 'message' : 'messages'} × ${count(result.destinations)} ${result.destinations === 1 ? 'destination' : 'destinations'})`,
    ],
    [
      'GB scanned by this backtest',
      `${gigabytes(result.bytesScanned)} (${count(result.queries)} ${result.queries === 1 ? 'query' : 'queries'}, ${count(result.rowsFetched)} entries)`,
    ],
    ['Per scheduled run (estimate)', formatBytes(result.bytesPerRunEstimate)],
    [
      'Cost per month (estimate)',
      `${formatDollars(result.costPerMonth)} (${count(RUNS_PER_MONTH)} runs at $${result.pricePerGb}/GB)`,
    ],
  ]
}

function gigabytes(bytes: number): string {
  return bytes === 0 ? '0 GB' : `${Number((bytes / 1e9).toPrecision(2))} GB`
}

function intro(result: BacktestResult): string {
  const { period } = result
  return `Replayed ${count(result.runs)} scheduled runs (one every ${formatDuration(SCHEDULE_SECONDS)}) over ${isoSecond(period.start)} – ${isoSecond(period.end)} (${formatDuration(period.end - period.start)}), dry: nothing was posted and no checkpoint moved.`
}

/** A busy window's cells: when, matches, 5xx, 4xx, and what most of them were (log text, escaped). */
function busyCells(busy: BusyWindow): [string, string, string, string, string] {
  const most = busy.top.map(({ field, value, count: n }) => `${text(field)} ${text(value)} (${count(n)})`)
  return [
    `${isoSecond(busy.window.start)} – ${isoSecond(busy.window.end)}`,
    count(busy.total),
    count(busy.critical),
    count(busy.warning),
    most.join(', ') || '—',
  ]
}

/** The backtests as one markdown body: a table per monitor, its busiest windows, its notes. */
export function backtestMarkdown(list: readonly NamedBacktest[]): string {
  const lines = [`## ${TITLE}`, '']
  const many = list.length > 1
  if (many) {
    lines.push(
      totalsLine(list),
      '',
      `| ${OVERVIEW_HEADER.join(' | ')} |`,
      '| --- | ---: | ---: | ---: | ---: | --- |',
    )
    for (const row of overviewRows(list)) lines.push(`| ${row.join(' | ')} |`)
    lines.push('')
  }
  for (const entry of list) {
    if (!('result' in entry)) {
      if (!many) lines.push(`### ${text(entry.name)}`, '', `Not replayed: ${text(entry.error)}`, '')
      continue
    }
    const { name, result } = entry
    // Many rules: each rule's details fold away under its name.
    if (many) lines.push('<details>', `<summary>${text(name)}</summary>`, '')
    else lines.push(`### ${text(name)}`, '')
    lines.push(intro(result), '', '| | |', '| --- | ---: |')
    for (const [label, value] of figures(result)) lines.push(`| ${label} | ${value} |`)
    lines.push('')
    if (result.busiest.length > 0) {
      lines.push(
        'Busiest windows:',
        '',
        '| window | matches | 5xx | 4xx | most |',
        '| --- | ---: | ---: | ---: | --- |',
      )
      for (const busy of result.busiest) lines.push(`| ${busyCells(busy).join(' | ')} |`)
      lines.push('')
    } else lines.push('No window had a match.', '')
    for (const note of result.notes) lines.push(`- ${text(note)}`)
    lines.push('')
    if (many) lines.push('</details>', '')
  }
  return `${lines.join('\n').trimEnd()}\n`
}

/** The backtests in the job summary (HTML through core.summary, which escapes nothing itself). */
export function addBacktestSummary(list: readonly NamedBacktest[], summary: Summary): void {
  summary.addHeading(TITLE, 2)
  if (list.length > 1) {
    summary.addRaw(`<p>${totalsLine(list)}</p>`, true)
    summary.addTable([OVERVIEW_HEADER.map((data) => ({ data, header: true })), ...overviewRows(list)])
  }
  for (const entry of list) {
    if (!('result' in entry)) {
      summary.addHeading(text(entry.name), 3)
      summary.addRaw(`<p>Not replayed: ${text(entry.error)}</p>`, true)
      continue
    }
    const { name, result } = entry
    summary.addHeading(text(name), 3)
    summary.addRaw(`<p>${intro(result)}</p>`, true)
    summary.addTable(figures(result).map(([label, value]) => [{ data: label, header: true }, value]))
    if (result.busiest.length > 0) {
      summary.addRaw('<p><b>Busiest windows</b></p>', true)
      summary.addTable([
        ['window', 'matches', '5xx', '4xx', 'most'].map((data) => ({ data, header: true })),
        ...result.busiest.map((busy) => busyCells(busy)),
      ])
    }
    summary.addRaw(`<ul>${result.notes.map((note) => `<li>${text(note)}</li>`).join('')}</ul>`, true)
  }
}
