import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startEmulator } from '../emulator/index.js'
import { freshDirectory, runInProcess, SimClock } from './in-process.js'
import { type Day, type LogLine, type ScheduledRun, simulateDay } from './scenario.js'

/**
 * A simulated day of insights-watch on a 5-minute cron (issue 4): 288 scheduled runs, most 0–15
 * minutes late, a few stalled 30–60 minutes, 3% never started, one 75-minute outage; access logs
 * reaching the service 0–150 s late, a few backdated by 5–40 minutes. `run()` goes through the real
 * AWS SDK and Slack client to the emulator, under both readings of StartQuery's inclusive end second.
 *
 * Only two kinds of miss are allowed: an entry later than query-delay + overlap ("late"), and an
 * entry in a stretch a run's job summary names as not checked ("gap"). Anything else is a bug.
 */

const GROUP = '/aws/apigateway/prod-access'
const WEBHOOK = 'alerts'
const DAY_START = Date.UTC(2026, 0, 15)
const SEED = 20260115
const QUERY_DELAY_S = 60
const OVERLAP_S = 120
/** An entry arriving later than this after it happened may be missed: no run re-checks it after that. */
const LAG_BUDGET_MS = (QUERY_DELAY_S + OVERLAP_S) * 1000

interface Window {
  start: number
  end: number
}

interface RunRecord {
  scheduled: ScheduledRun
  runId: string
  /** When it started on the simulated clock (later than `scheduled.actual` if it waited its turn). */
  startedAt: number
  window: Window
  matchCount: number
  /** Request ids in its results file. */
  ids: string[]
  /** The "Not checked:" stretch its job summary names, if any. */
  gap?: Window
  /** The overlap its job summary says it could not check again (older than max-catch-up), if any. */
  shortenedRecheck?: Window
  slackPosts: number
  /** The Slack message names the gap (only meaningful when a message was posted with a gap). */
  slackNamesGap: boolean
  warnedGap: boolean
}

interface Simulation {
  endSecond: 'instant' | 'whole'
  day: Day
  records: RunRecord[]
  /** Runs that started only after the previous one finished (the workflow's concurrency group). */
  waited: number
  wallMs: number
}

let base: string
let summaryFile: string

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'insights-watch-sim-'))
  summaryFile = join(base, 'step_summary')
})

afterAll(() => {
  rmSync(base, { recursive: true, force: true })
})

const second = (ms: number) => Math.floor(ms / 1000)
const iso = (epochSecond: number) => new Date(epochSecond * 1000).toISOString().replace('.000Z', 'Z')
const fromIso = (text: string | undefined) => {
  const ms = Date.parse(text ?? '')
  if (Number.isNaN(ms)) throw new Error(`not an ISO time: ${String(text)}`)
  return ms / 1000
}
const inside = (s: number, window: Window) => s >= window.start && s <= window.end

async function simulate(endSecond: 'instant' | 'whole'): Promise<Simulation> {
  const began = performance.now()
  const day = simulateDay({ start: DAY_START, seed: SEED, name: 'req' })
  const clock = new SimClock(DAY_START - 60 * 60_000)
  const emulator = await startEmulator({
    now: clock.now,
    region: 'eu-west-1',
    endSecond,
    queryLatencyMs: 300,
  })
  const dayDir = freshDirectory(base, `${endSecond}-`)
  const records: RunRecord[] = []
  let waited = 0
  try {
    // Every line is stored up front; the emulator hides each one until its ingestion time.
    emulator.putLogEvents(
      GROUP,
      day.lines.map((line) => ({
        timestamp: line.timestamp,
        message: line.message,
        ingestionTime: line.timestamp + line.lag,
      })),
    )

    const started = day.runs
      .filter((run) => run.fate === 'late' || run.fate === 'stalled')
      .sort((a, b) => a.actual - b.actual || a.index - b.index)
    for (const [order, scheduled] of started.entries()) {
      // The concurrency group runs one at a time: a run due while another is still going starts
      // right after it.
      if (scheduled.actual < clock.now()) {
        waited += 1
        clock.advance(1000)
      } else clock.advanceTo(scheduled.actual)
      const startedAt = clock.now()
      const runId = String(8_000_000 + order)
      const postsBefore = emulator.slackPosts(WEBHOOK).length
      const result = await runInProcess({
        clock,
        inputs: {
          'log-group-names': GROUP,
          'aws-region': 'eu-west-1',
          'slack-webhook-url': emulator.slackWebhookUrl(WEBHOOK),
          state: `file:${join(dayDir, 'state.json')}`,
          'monitor-name': 'api-errors',
          interval: '5m',
          'query-delay': `${QUERY_DELAY_S / 60}m`,
          overlap: `${OVERLAP_S / 60}m`,
          'max-catch-up': '1h',
        },
        env: {
          AWS_ACCESS_KEY_ID: emulator.defaultCredentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: emulator.defaultCredentials.secretAccessKey,
          AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: emulator.env.AWS_ENDPOINT_URL_CLOUDWATCH_LOGS ?? emulator.url,
          AWS_REGION: 'eu-west-1',
          GITHUB_ACTIONS: 'true',
          GITHUB_RUN_ID: runId,
          GITHUB_RUN_ATTEMPT: '1',
          GITHUB_SERVER_URL: 'https://github.com',
          GITHUB_REPOSITORY: 'acme/api',
          GITHUB_WORKFLOW: 'api-errors',
        },
        runnerTemp: freshDirectory(dayDir, `run-${runId}-`),
        summaryFile,
      })
      const where = `run ${order + 1} (scheduled #${scheduled.index}, started ${new Date(startedAt).toISOString()})`
      if (result.failed) throw new Error(`${where} failed:\n${result.log}`)
      if (result.summary === '') throw new Error(`${where} wrote no job summary to ${summaryFile}`)

      const resultsFile = result.outputs['results-file']
      if (resultsFile === undefined) throw new Error(`${where} set no results-file output:\n${result.log}`)
      const ids = readFileSync(resultsFile, 'utf8')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => requestIdOf(line, where))
      const posts = emulator.slackPosts(WEBHOOK).slice(postsBefore)
      const gapMatch = /<b>Not checked:<\/b> (\S+) – (\S+) /.exec(result.summary)
      const record: RunRecord = {
        scheduled,
        runId,
        startedAt,
        window: {
          start: fromIso(result.outputs['window-start']),
          end: fromIso(result.outputs['window-end']),
        },
        matchCount: Number(result.outputs['match-count']),
        ids,
        slackPosts: posts.length,
        slackNamesGap: posts.some((post) => post.status === 200 && post.raw.includes('Not checked')),
        warnedGap: false,
      }
      const shortened =
        /Before it, (\S+) – (\S+) was checked once/.exec(result.summary) ??
        /Re-check shortened: (\S+) – (\S+) /.exec(result.summary)
      if (shortened) {
        record.shortenedRecheck = { start: fromIso(shortened[1]), end: fromIso(shortened[2]) }
      }
      if (gapMatch) {
        record.gap = { start: fromIso(gapMatch[1]), end: fromIso(gapMatch[2]) }
        // The annotation's message carries the same two times as the summary.
        record.warnedGap = result.log
          .split('\n')
          .some(
            (line) =>
              line.startsWith('::warning') && line.includes(`Not checked: ${gapMatch[1]} – ${gapMatch[2]}`),
          )
      }
      if (posts.some((post) => post.status !== 200)) {
        throw new Error(`${where}: Slack refused a post: ${posts.map((post) => post.response).join(', ')}`)
      }
      records.push(record)
    }
  } finally {
    await emulator.stop()
  }
  return { endSecond, day, records, waited, wallMs: performance.now() - began }
}

function requestIdOf(jsonLine: string, where: string): string {
  const entry = JSON.parse(jsonLine) as { fields?: Record<string, string> }
  const message = JSON.parse(entry.fields?.['@message'] ?? '{}') as { requestId?: unknown }
  if (typeof message.requestId !== 'string')
    throw new Error(`${where}: a result without a requestId: ${jsonLine}`)
  return message.requestId
}

interface Figures {
  scheduled: number
  ran: number
  never: number
  outage: number
  stalled: number
  lines: number
  errors: number
  backdated: number
  range: Window
  expected: LogLine[]
  reportedIds: number
  repeated: string[]
  /** Reported ids that are not 4xx/5xx lines of the expected range. */
  stray: string[]
  late: LogLine[]
  inGap: LogLine[]
  unexplained: LogLine[]
  /** Within the lag budget and outside every named gap: each must be reported exactly once. */
  owed: LogLine[]
  gaps: Window[]
  slackPosts: number
  runsWithMatches: number
  /**
   * 4xx/5xx entries on a window's last second that had arrived before that run: where the two readings
   * of StartQuery's end differ. Under 'whole' that run reports them; under 'instant' only those at
   * `.000` — the rest are reported by the next run, which checks that second again.
   */
  endSecond: { entries: number; sameRun: number; laterRun: number }
}

function account({ day, records }: Simulation): Figures {
  const first = records[0]
  const last = records.at(-1)
  if (!first || !last) throw new Error('no run ran')
  const range = { start: first.window.start, end: last.window.end }
  const errors = day.lines.filter((line) => line.status >= 400)
  const expected = errors.filter((line) => inside(second(line.timestamp), range))
  const expectedIds = new Set(expected.map((line) => line.requestId))

  const counts = new Map<string, number>()
  for (const record of records) for (const id of record.ids) counts.set(id, (counts.get(id) ?? 0) + 1)
  const gaps = records.flatMap((record) => (record.gap ? [record.gap] : []))
  // A stretch checked once but not again (a shortened re-check) explains a late entry missed there.
  const notRechecked = records.flatMap((record) => (record.shortenedRecheck ? [record.shortenedRecheck] : []))
  const inAGap = (line: LogLine) =>
    [...gaps, ...notRechecked].some((gap) => inside(second(line.timestamp), gap))
  const missed = expected.filter((line) => !counts.has(line.requestId))
  // A miss inside a named gap counts as "gap" even when it was also late: the gap alone explains it.
  const inGap = missed.filter(inAGap)
  const late = missed.filter((line) => !inAGap(line) && line.lag > LAG_BUDGET_MS)
  const unexplained = missed.filter((line) => !inAGap(line) && line.lag <= LAG_BUDGET_MS)

  const endSecond = { entries: 0, sameRun: 0, laterRun: 0 }
  for (const record of records) {
    const reportedHere = new Set(record.ids)
    for (const line of expected) {
      if (second(line.timestamp) !== record.window.end || line.timestamp + line.lag > record.startedAt)
        continue
      endSecond.entries += 1
      if (reportedHere.has(line.requestId)) endSecond.sameRun += 1
      else if (counts.has(line.requestId)) endSecond.laterRun += 1
    }
  }

  return {
    endSecond,
    scheduled: day.runs.length,
    ran: records.length,
    never: day.runs.filter((run) => run.fate === 'never').length,
    outage: day.runs.filter((run) => run.fate === 'outage').length,
    stalled: records.filter((record) => record.scheduled.fate === 'stalled').length,
    lines: day.lines.length,
    errors: errors.length,
    backdated: day.lines.filter((line) => line.lag > 5 * 60_000).length,
    range,
    expected,
    reportedIds: counts.size,
    repeated: [...counts].filter(([, n]) => n > 1).map(([id]) => id),
    stray: [...counts.keys()].filter((id) => !expectedIds.has(id)),
    late,
    inGap,
    unexplained,
    owed: expected.filter((line) => !inAGap(line) && line.lag <= LAG_BUDGET_MS),
    gaps,
    slackPosts: records.reduce((sum, record) => sum + record.slackPosts, 0),
    runsWithMatches: records.filter((record) => record.matchCount > 0).length,
  }
}

function printTable(simulation: Simulation, figures: Figures): void {
  const n = (value: number) => value.toLocaleString('en-US')
  const missed = figures.late.length + figures.inGap.length + figures.unexplained.length
  const rows: Array<[string, string]> = [
    [
      'runs',
      `${n(figures.scheduled)} scheduled, ${n(figures.ran)} ran, ${n(figures.scheduled - figures.ran)} dropped ` +
        `(${n(figures.never)} never started, ${n(figures.outage)} in the outage); ` +
        `${n(figures.stalled)} stalled 30–60 min; ${n(simulation.waited)} waited for the previous run`,
    ],
    [
      'log lines',
      `${n(figures.lines)} (${n(figures.errors)} 4xx/5xx; ${n(figures.backdated)} backdated 5–40 min)`,
    ],
    [
      'expected',
      `${n(figures.expected.length)} 4xx/5xx in ${iso(figures.range.start)} – ${iso(figures.range.end)}`,
    ],
    ['reported', n(figures.reportedIds)],
    [
      'end second',
      `${n(figures.endSecond.entries)} on a window's last second: ${n(figures.endSecond.sameRun)} reported by that run, ` +
        `${n(figures.endSecond.laterRun)} by a later one`,
    ],
    ['repeated', n(figures.repeated.length)],
    [
      'missed',
      `${n(missed)} (late ${n(figures.late.length)} / gap ${n(figures.inGap.length)} / unexplained ${n(figures.unexplained.length)})`,
    ],
    [
      'gaps named',
      `${n(figures.gaps.length)}${figures.gaps.length > 0 ? ` (${figures.gaps.map((gap) => `${iso(gap.start)} – ${iso(gap.end)}`).join(', ')})` : ''}`,
    ],
    [
      'Slack posts',
      `${n(figures.slackPosts)} (runs with new matches: ${n(figures.runsWithMatches)}, without: ${n(figures.ran - figures.runsWithMatches)})`,
    ],
    ['wall time', `${(simulation.wallMs / 1000).toFixed(1)} s`],
  ]
  const width = Math.max(...rows.map(([label]) => label.length))
  console.log(
    [
      `insights-watch, a simulated day — end second read as '${simulation.endSecond}'`,
      ...rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`),
    ].join('\n'),
  )
}

/** Why an entry was missed, in terms of the runs that could have seen it. */
function explainMiss(line: LogLine, records: RunRecord[]): string {
  const s = second(line.timestamp)
  const arrived = line.timestamp + line.lag
  const covering = records
    .filter((record) => inside(s, record.window))
    .map(
      (record) =>
        `run ${record.runId} at ${new Date(record.startedAt).toISOString()} ` +
        `[${iso(record.window.start)} – ${iso(record.window.end)}] started ${record.startedAt < arrived ? 'before' : 'after'} it arrived` +
        (s === record.window.end ? ' (its last second)' : ''),
    )
  const next = records.find((record) => record.startedAt >= arrived)
  return (
    `${line.requestId}${line.probe ? ' (probe)' : ''} at ${new Date(line.timestamp).toISOString()}, ` +
    `arrived ${(line.lag / 1000).toFixed(1)} s later; checked by: ${covering.join('; ') || 'no run'}; ` +
    `first run after it arrived: ${next ? `${next.runId} [${iso(next.window.start)} – ${iso(next.window.end)}]${next.gap ? ` gap ${iso(next.gap.start)} – ${iso(next.gap.end)}` : ''}` : 'none'}`
  )
}

describe('a simulated day of cron runs against the emulator', () => {
  for (const endSecond of ['instant', 'whole'] as const) {
    it(`reports every entry within the lag budget exactly once (end second read as '${endSecond}')`, async () => {
      const simulation = await simulate(endSecond)
      const figures = account(simulation)
      printTable(simulation, figures)
      const { records } = simulation

      expect(figures.repeated, 'entries reported by more than one run').toEqual([])
      expect(figures.stray, 'reported ids that are not 4xx/5xx entries of the checked range').toEqual([])
      expect(
        figures.unexplained.map((line) => explainMiss(line, records)),
        'misses neither late nor inside a named gap',
      ).toEqual([])
      const reported = new Set(records.flatMap((record) => record.ids))
      expect(
        figures.owed.filter((line) => !reported.has(line.requestId)).map((line) => line.requestId),
        'entries within the lag budget, outside gaps, not reported',
      ).toEqual([])

      // The classification is exercised, not vacuous: the outage named a gap, and some backdated
      // entries came later than any run would look.
      expect(figures.gaps.length).toBeGreaterThanOrEqual(1)
      expect(figures.late.length).toBeGreaterThanOrEqual(1)
      const outage = simulation.day.outage
      expect(
        figures.gaps.some((gap) => gap.start * 1000 < outage.from && gap.end * 1000 >= outage.from),
        'a gap covers the start of the outage',
      ).toBe(true)

      // The windows and named gaps together leave no second of the day's range unaccounted for.
      expect(holes([...records.map((record) => record.window), ...figures.gaps], figures.range)).toEqual([])

      const problems: string[] = []
      for (const [index, record] of records.entries()) {
        const name = `run ${record.runId}`
        if (record.ids.length !== record.matchCount)
          problems.push(`${name}: match-count ${record.matchCount}, results file ${record.ids.length}`)
        // One message when anything new matched (an alert: the threshold is 1), when a gap was named
        // (news on its own), or when a clean window follows an alerting one (resolved); else none.
        const resolved = record.matchCount === 0 && (records[index - 1]?.matchCount ?? 0) > 0
        const posts = record.matchCount > 0 || record.gap || resolved ? 1 : 0
        if (record.slackPosts !== posts)
          problems.push(`${name}: ${record.slackPosts} Slack posts, expected ${posts}`)
        if (record.gap && !record.warnedGap) problems.push(`${name}: gap not in a warning annotation`)
        if (record.gap && !record.slackNamesGap) problems.push(`${name}: Slack message does not name the gap`)
      }
      expect(problems).toEqual([])
    }, 120_000)
  }
})

/** Seconds of `range` covered by none of `intervals`, as ISO stretches. */
function holes(intervals: Window[], range: Window): string[] {
  const found: string[] = []
  let next = range.start
  for (const interval of [...intervals].sort((a, b) => a.start - b.start)) {
    if (interval.start > next) found.push(`${iso(next)} – ${iso(interval.start - 1)}`)
    next = Math.max(next, interval.end + 1)
  }
  if (next <= range.end) found.push(`${iso(next)} – ${iso(range.end)}`)
  return found
}
