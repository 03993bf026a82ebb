import * as core from '@actions/core'
import { beforeEach, describe, expect, it } from 'vitest'
import { type BacktestResult, scheduleMarks } from '../../src/backtest.js'
import { addBacktestSummary, backtestMarkdown } from '../../src/notify/backtest-text.js'
import { readSettings, type Settings } from '../../src/settings.js'
import { type FetchedRow, refuseUnreplayable, replaySchedule, runBacktest } from '../../src/steps/backtest.js'
import type { LogsConnection } from '../../src/steps/logs-connection.js'

/** A five-minute mark: 2026-03-01T00:00:00Z. */
const T = Date.UTC(2026, 2, 1) / 1000
const HOUR = 3600
const DAY = 86_400

function settingsOf(inputs: Record<string, string> = {}): Settings {
  const all: Record<string, string> = {
    'log-group-names': '/aws/apigateway/prod',
    'aws-region': 'eu-west-1',
    ...inputs,
  }
  return readSettings({ getInput: (name) => all[name] ?? '', setSecret: () => {}, env: {} })
}

let sequence = 0
/** A fetched row at `second` (+ `ms`), with its status; `ingestedMs` when it arrived late. */
function row(second: number, status: number, ingestedMs?: number): FetchedRow {
  const stamp = new Date(second * 1000).toISOString().replace('T', ' ').replace('Z', '')
  const fetched: FetchedRow = {
    second,
    row: [
      { field: '@timestamp', value: stamp },
      { field: 'status', value: String(status) },
      { field: 'requestId', value: `r-${sequence++}` },
    ],
  }
  if (ingestedMs !== undefined) fetched.ingestedMs = ingestedMs
  return fetched
}

describe('the schedule a backtest replays', () => {
  it('has a run at each five-minute mark of the period: 2,016 for 7 days, whenever it starts', () => {
    for (const now of [T, T + 123, T + 299]) {
      const marks = scheduleMarks(now * 1000, 7 * DAY)
      expect(marks).toHaveLength(2016)
      expect(marks[0]).toBe(T - 7 * DAY + 300)
      expect(marks.at(-1)).toBe(T)
    }
  })

  it('plans each window as a scheduled run does: the first covers interval, each next one re-checks overlap of the last, up to now − query-delay', () => {
    const settings = settingsOf()
    const marks = scheduleMarks(T * 1000, HOUR)
    const windows = replaySchedule(settings, marks, []).runs.map((run) => run.window)
    expect(windows).toHaveLength(12)
    const [first = 0] = marks
    expect(windows[0]).toEqual({ start: first - 60 - 300, end: first - 60 })
    for (let i = 1; i < windows.length; i += 1) {
      expect(windows[i]).toEqual({ start: (windows[i - 1]?.end ?? 0) - 120, end: (marks[i] ?? 0) - 60 })
    }
  })

  it('with other interval, query-delay and overlap inputs, the windows follow them', () => {
    const settings = settingsOf({ interval: '10m', 'query-delay': '3m', overlap: '0s' })
    const marks = scheduleMarks(T * 1000, HOUR)
    const { runs } = replaySchedule(settings, marks, [])
    const [first = 0, second = 0] = marks
    expect(runs[0]?.window).toEqual({ start: first - 180 - 600, end: first - 180 })
    // overlap 0 still re-checks the checkpoint's own second (window.ts).
    expect(runs[1]?.window).toEqual({ start: first - 180, end: second - 180 })
  })
})

describe('replaying the schedule over the fetched entries', () => {
  const settings = settingsOf()
  const marks = scheduleMarks(T * 1000, 2 * HOUR)
  const [, m1 = 0] = marks

  it('counts an entry once, in the first run that saw it: the overlap drops it the second time', () => {
    const { runs } = replaySchedule(settings, marks, [row(m1 - 90, 404)])
    expect(runs.map((run) => run.found)).toEqual([0, 1, ...Array(marks.length - 2).fill(0)])
  })

  it('sees a late entry only in the run after it arrived, in that run’s overlap', () => {
    const late = row(m1 - 90, 404, (m1 + 20) * 1000)
    const { runs } = replaySchedule(settings, marks, [late])
    expect(runs.map((run) => run.found)).toEqual([0, 0, 1, ...Array(marks.length - 3).fill(0)])
  })

  it('leaves out an entry later than query-delay + overlap, as the scheduled runs would miss it', () => {
    const { runs } = replaySchedule(settings, marks, [row(m1 - 90, 500, (m1 + 600) * 1000)])
    expect(runs.every((run) => run.found === 0)).toBe(true)
  })

  it('decides with the defaults: a 5xx alerts, 49 4xx do not, 50 do, and each episode resolves after 15 min clean', () => {
    const m = (i: number) => marks[i] ?? 0
    const rows = [
      row(m(1) - 100, 500),
      ...Array.from({ length: 49 }, () => row(m(8) - 100, 404)),
      ...Array.from({ length: 50 }, () => row(m(14) - 100, 404)),
    ]
    const replay = replaySchedule(settings, marks, rows)
    const kinds = replay.runs.map((run) => run.decision)
    expect(kinds[1]).toBe('alert')
    expect(kinds[8]).toBe('below-threshold')
    expect(kinds[14]).toBe('alert')
    expect(replay.alerts).toBe(2)
    expect(replay.resolved).toBe(2)
    // Resolved on the first window ending 15 min after the alerting window's end.
    const end = (i: number) => replay.runs[i]?.window.end ?? Number.NaN
    const resolvedAt = kinds.indexOf('resolved')
    expect(end(resolvedAt)).toBeGreaterThanOrEqual(end(1) + 900)
    expect(end(resolvedAt - 1)).toBeLessThan(end(1) + 900)
    expect(replay.busiest.map((busy) => busy.total)).toEqual([50, 49, 1])
  })

  it('holds alerts inside realert and alerts again after it, carrying the alert memory run to run', () => {
    const rows = marks.map((mark) => row(mark - 100, 500))
    const replay = replaySchedule(settingsOf({ realert: '30m' }), marks, rows)
    // 24 alerting windows: an alert, five held, an alert, …
    expect(replay.alerts).toBe(4)
    expect(replay.quiet).toBe(20)
    expect(replay.resolved).toBe(0)
  })
})

describe('a backtest with state: none', () => {
  it('replays runs that keep nothing: each checks interval and alerts without memory of the last', () => {
    const marks = scheduleMarks(T * 1000, HOUR)
    const replay = replaySchedule(
      settingsOf({ state: 'none', realert: '30m' }),
      marks,
      marks.map((mark) => row(mark - 100, 500)),
    )
    expect(replay.runs.map((run) => run.window)).toEqual(
      marks.map((mark) => ({ start: mark - 360, end: mark - 60 })),
    )
    expect(replay.alerts).toBe(12)
    expect(replay.quiet).toBe(0)
  })
})

describe('a backtest of an aggregate query', () => {
  const aggregate = settingsOf({ query: 'filter status >= 400 | stats count(*) by status', backtest: '7d' })

  it('is refused, naming backtest, why, and what to do', () => {
    expect(() => refuseUnreplayable(aggregate)).toThrow(
      /^Input "backtest": replays record queries only .*one query per scheduled run \(2,016 here\).*fields @timestamp/,
    )
  })

  it('is refused before any query is sent', async () => {
    const untouchable = {
      client: {
        send: () => {
          throw new Error('no query may be sent')
        },
      },
    } as unknown as LogsConnection
    const runner = { info: () => {}, warning: () => {}, group: (_: string, fn: () => unknown) => fn() }
    await expect(runBacktest(aggregate, untouchable, { runner } as never, T * 1000)).rejects.toThrow(
      /Input "backtest"/,
    )
  })

  it('a SQL GROUP BY is refused the same way; a record query is not', () => {
    const sql = settingsOf({
      query: 'SELECT status, COUNT(*) FROM `/aws/apigateway/prod` GROUP BY status',
      'query-language': 'SQL',
      backtest: '1d',
    })
    expect(() => refuseUnreplayable(sql)).toThrow(/Input "backtest".*\(288 here\)/)
    expect(() => refuseUnreplayable(settingsOf({ backtest: '1d' }))).not.toThrow()
  })
})

const HOSTILE = '`a|b` <script>alert(1)</script>\n::error::owned | [x](http://evil) @here'

function result(overrides: Partial<BacktestResult> = {}): BacktestResult {
  return {
    period: { start: T - 7 * DAY, end: T },
    runs: 2016,
    alerts: 17,
    resolved: 13,
    quiet: 24,
    destinations: 2,
    posts: 60,
    busiest: [
      {
        window: { start: T - 420, end: T - 60 },
        total: 236,
        critical: 236,
        warning: 0,
        top: [{ field: 'resourcePath', value: HOSTILE, count: 236 }],
      },
    ],
    queries: 1,
    bytesScanned: 2_500_000_000,
    rowsFetched: 2072,
    bytesPerRunEstimate: 1_750_000,
    pricePerGb: 0.005,
    costPerMonth: 0.0756,
    notes: ['A note with `code` and <b>'],
    ...overrides,
  }
}

describe('the backtest told in markdown (the PR comment) and the job summary', () => {
  beforeEach(() => {
    core.summary.emptyBuffer()
  })

  it('has a table per monitor with alerts, resolved, posts, busiest windows, GB scanned and cost per month', () => {
    const markdown = backtestMarkdown([
      { name: 'api-errors', result: result() },
      { name: 'checkout 5xx', result: result({ alerts: 2, resolved: 1, posts: 6, busiest: [] }) },
      { name: 'totals', error: 'replays record queries only' },
    ])
    // Rules: the totals and one row per rule first, then each rule's details folded under its name.
    expect(markdown).toContain(
      '3 rules: 19 alerts, 14 resolved notices, 66 Slack posts, $0.15 a month (estimate); 1 not replayed.',
    )
    expect(markdown).toContain('| api-errors | 17 | 13 | 60 | $0.076 | 2026-02-28T23:53:00Z (236) |')
    expect(markdown).toContain('| totals | — | — | — | — | not replayed: replays record queries only |')
    expect(markdown).toContain('<details>\n<summary>api-errors</summary>')
    expect(markdown).toContain('| Alerts | 17 |')
    expect(markdown).toContain('| Resolved notices | 13 |')
    expect(markdown).toContain('| Slack posts | 60 (30 messages × 2 destinations) |')
    expect(markdown).toContain('| GB scanned by this backtest | 2.5 GB (1 query, 2,072 entries) |')
    expect(markdown).toContain('| Cost per month (estimate) | $0.076 (8,640 runs at $0.005/GB) |')
    expect(markdown).toContain('2026-02-28T23:53:00Z – 2026-02-28T23:59:00Z | 236 | 236 | 0 |')
    expect(markdown).toContain('<summary>checkout 5xx</summary>')
    expect(markdown).toContain('| Alerts | 2 |')
    expect(markdown).toContain('No window had a match.')
  })

  it('keeps hostile log text inert in the markdown: no cell split, no code span, no HTML, no workflow command', () => {
    const markdown = backtestMarkdown([{ name: 'api | <b>errors</b>', result: result() }])
    const busyRow = markdown.split('\n').find((line) => line.includes('236 | 236'))
    // Five cells: six separators, none from the log text.
    expect(busyRow?.match(/\|/g)).toHaveLength(6)
    expect(markdown).not.toMatch(/<script|<b>|`|\[x\]\(/)
    expect(markdown.split('\n').some((line) => line.startsWith('::'))).toBe(false)
    expect(markdown).toContain('&lt;script&gt;')
    expect(markdown).toContain('### api &#124; &lt;b&gt;errors&lt;/b&gt;')
  })

  it('keeps hostile log text inert in the job summary HTML', () => {
    addBacktestSummary([{ name: '<img src=x onerror=alert(1)>', result: result() }], core.summary)
    const html = core.summary.stringify()
    expect(html).toContain('<th>Alerts</th><td>17</td>')
    expect(html).toContain('<th>Cost per month (estimate)</th><td>$0.076 (8,640 runs at $0.005/GB)</td>')
    expect(html).not.toMatch(/<script|<img|`/)
    expect(html).toContain('<li>A note with &#96;code&#96; and &lt;b&gt;</li>')
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;')
    expect(html).toContain('&#96;a&#124;b&#96; &lt;script&gt;alert(1)&lt;/script&gt;<br>::error::owned')
    expect(html.split('\n').some((line) => line.startsWith('::'))).toBe(false)
  })
})
