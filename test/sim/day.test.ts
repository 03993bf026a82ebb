import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { startEmulator } from '../emulator/index.js'
import { EVERY_WINDOW_ALERTS } from '../support/alerting.js'
import {
  freshDirectory,
  fromIso,
  iso,
  runInProcess,
  SimClock,
  simRunnerEnv,
  simWorkspace,
} from './in-process.js'
import { type Day, HOUR, type LogLine, MINUTE, type ScheduledRun, simulateDay } from './scenario.js'

/**
 * A simulated day of insights-watch on a 5-minute cron (issues 4 and 11): 288 scheduled runs, most
 * 0–15 minutes late, a few stalled 30–60 minutes, 3% never started, one 75-minute outage; access logs
 * reaching the service 0–150 s late, a few backdated by 5–40 minutes. Two faults on top: the
 * checkpoint is deleted at noon (its directory stays, as when a cache entry is evicted or a file is
 * removed by hand), and from 15:00 to 16:00 the runner's clock is 4 minutes fast. `run()` goes
 * through the real AWS SDK and Slack client to the emulator, under both readings of StartQuery's
 * inclusive end second, for four query shapes: the default record query, an aggregate, a record
 * query that names its own fields (no `@timestamp`), and OpenSearch SQL.
 *
 * Only two kinds of miss are allowed: an entry later than the lag budget ("late"), and an entry in
 * a stretch a run's job summary names as not checked ("gap"). Only one kind of repeat is allowed: an
 * entry inside the stretch that the run after the lost checkpoint names as checked again without
 * any record of what was reported there. Anything else is a bug.
 */

const GROUP = '/aws/apigateway/prod-access'
const WEBHOOK = 'alerts'
const DAY_START = Date.UTC(2026, 0, 15)
const SEED = 20260115
const QUERY_DELAY_S = 60
const OVERLAP_S = 120
const QUERY_LATENCY_MS = 300
/**
 * An entry arriving later than this after it happened may be missed: no run checks it after that. Record
 * queries re-check their overlap; aggregate windows do not overlap but end `overlap` further back
 * (they wait for late logs instead of re-checking), so the budget is the same.
 */
const LAG_BUDGET_MS = (QUERY_DELAY_S + OVERLAP_S) * 1000
/** The checkpoint is deleted just before the first run that starts at or after this. */
const STATE_LOST_AT = DAY_START + 12 * HOUR
/** Runs that start in this stretch see a runner clock `offsetMs` ahead of the service's. */
const SKEW = { from: DAY_START + 15 * HOUR, to: DAY_START + 16 * HOUR, offsetMs: 4 * MINUTE }
/** The `Date` header has whole seconds; a window end may sit this much past the service's now − delay. */
const CLOCK_TOLERANCE_S = 3

/** A query shape the day is run with, and how its runs are accounted for. */
interface Variant {
  name: string
  inputs: Record<string, string>
  /** `records`: one row per entry, listed in the results file; `aggregate`: counts of entries. */
  kind: 'records' | 'aggregate'
}

const VARIANTS: Variant[] = [
  { name: 'default query', inputs: {}, kind: 'records' },
  {
    name: 'aggregate (stats count by status)',
    inputs: { query: 'filter status >= 400 | stats count(*) as requests by status' },
    kind: 'aggregate',
  },
  {
    name: 'fields without @timestamp',
    inputs: { query: 'fields requestId, status, httpMethod, resourcePath | filter status >= 400' },
    kind: 'records',
  },
  {
    name: 'OpenSearch SQL',
    inputs: {
      query: `SELECT requestId, status, httpMethod, resourcePath, \`@timestamp\` FROM \`${GROUP}\` WHERE status >= 400`,
      'query-language': 'SQL',
    },
    kind: 'records',
  },
]

interface Window {
  start: number
  end: number
}

interface RunRecord {
  scheduled: ScheduledRun
  runId: string
  /** When it started on the simulated (service) clock (later than `scheduled.actual` if it waited its turn). */
  startedAt: number
  window: Window
  /**
   * The seconds whose records it counts: its window, except that an aggregate's window-end is where
   * the next window starts (it counts [start.000, end.000), query-rewrite.ts).
   */
  counted: Window
  matchCount: number
  /** Request ids in its results file (record queries). */
  ids: string[]
  /** The emulator-clock moment by which an event must have been ingested to be seen by its last query. */
  ingestedBy: number
  /** The "Not checked:" stretch its job summary names, if any. */
  gap?: Window
  /** The overlap its summary names as checked once by the previous run but not again (older than max-catch-up). */
  shortened?: Window
  /** The run found no checkpoint where one had been (the state was lost) and said so. */
  lostState: boolean
  /** Its runner clock was off by SKEW.offsetMs. */
  skewed: boolean
  /** Its summary names a clock skew. */
  skewNamed: boolean
  slackPosts: number
  /** The Slack message names the gap (only meaningful when a message was posted with a gap). */
  slackNamesGap: boolean
  warnedGap: boolean
}

interface Simulation {
  variant: Variant
  endSecond: 'instant' | 'whole'
  day: Day
  records: RunRecord[]
  /** Runs that started only after the previous one finished (the workflow's concurrency group). */
  waited: number
  wallMs: number
}

const workspace = simWorkspace('insights-watch-sim-')

const second = (ms: number) => Math.floor(ms / 1000)
const inside = (s: number, window: Window) => s >= window.start && s <= window.end

async function simulate(variant: Variant, endSecond: 'instant' | 'whole'): Promise<Simulation> {
  const began = performance.now()
  const day = simulateDay({ start: DAY_START, seed: SEED, name: 'req' })
  const clock = new SimClock(DAY_START - 60 * 60_000)
  const emulator = await startEmulator({
    now: clock.now,
    region: 'eu-west-1',
    endSecond,
    queryLatencyMs: QUERY_LATENCY_MS,
  })
  const dayDir = freshDirectory(workspace.base(), `${endSecond}-`)
  const stateFile = join(dayDir, 'state', 'state.json')
  const records: RunRecord[] = []
  let waited = 0
  let stateLost = false
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
      if (!stateLost && startedAt >= STATE_LOST_AT) {
        rmSync(stateFile)
        stateLost = true
      }
      const skewed = startedAt >= SKEW.from && startedAt < SKEW.to
      const runId = String(8_000_000 + order)
      const postsBefore = emulator.slackPosts(WEBHOOK).length
      const callsBefore = emulator.calls.length
      const result = await runInProcess({
        clock,
        inputs: {
          'log-group-names': GROUP,
          'aws-region': 'eu-west-1',
          'slack-webhook-url': emulator.slackWebhookUrl(WEBHOOK),
          state: `file:${stateFile}`,
          'monitor-name': 'api-errors',
          interval: '5m',
          'query-delay': `${QUERY_DELAY_S / 60}m`,
          overlap: `${OVERLAP_S / 60}m`,
          'max-catch-up': '1h',
          // The Slack accounting below expects a post for every window with a match, and a resolved
          // notice on the first clean one after it: the alerting of before issue 12, given explicitly
          // (quiet-defaults.test.ts measures the defaults).
          ...EVERY_WINDOW_ALERTS,
          ...variant.inputs,
        },
        env: simRunnerEnv(emulator, runId),
        runnerTemp: freshDirectory(dayDir, `run-${runId}-`),
        summaryFile: workspace.summaryFile(),
        ...(skewed ? { runnerClockOffsetMs: SKEW.offsetMs } : {}),
      })
      const where = `${variant.name}, run ${order + 1} (scheduled #${scheduled.index}, started ${new Date(startedAt).toISOString()})`
      if (result.failed) throw new Error(`${where} failed:\n${result.log}`)
      if (result.summary === '')
        throw new Error(`${where} wrote no job summary to ${workspace.summaryFile()}`)

      const resultsFile = result.outputs['results-file']
      if (resultsFile === undefined) throw new Error(`${where} set no results-file output:\n${result.log}`)
      const ids =
        variant.kind === 'records'
          ? readFileSync(resultsFile, 'utf8')
              .split('\n')
              .filter((line) => line !== '')
              .map((line) => requestIdOf(line, where))
          : []
      const queries = emulator.calls
        .slice(callsBefore)
        .filter((call) => call.service === 'logs' && call.action === 'StartQuery' && call.status === 200)
      const lastQuery = queries.at(-1)
      if (!lastQuery) throw new Error(`${where} started no query`)
      const posts = emulator.slackPosts(WEBHOOK).slice(postsBefore)
      const gapMatch = /<b>Not checked:<\/b> (\S+) – (\S+) /.exec(result.summary)
      const window = {
        start: fromIso(result.outputs['window-start']),
        end: fromIso(result.outputs['window-end']),
      }
      const record: RunRecord = {
        scheduled,
        runId,
        startedAt,
        window,
        counted: variant.kind === 'aggregate' ? { start: window.start, end: window.end - 1 } : window,
        matchCount: Number(result.outputs['match-count']),
        ids,
        // The emulator answers with what was ingested by the time the query finished.
        ingestedBy: lastQuery.at + QUERY_LATENCY_MS,
        lostState: /no checkpoint found/i.test(result.summary),
        skewed,
        skewNamed: /clock/i.test(result.summary) && /ahead|behind|skew/i.test(result.summary),
        slackPosts: posts.length,
        slackNamesGap: posts.some((post) => post.status === 200 && post.raw.includes('Not checked')),
        warnedGap: false,
      }
      const shortenedMatch = /(?:Re-check shortened: |Before it, )(\S+) – (\S+) /.exec(result.summary)
      if (shortenedMatch)
        record.shortened = { start: fromIso(shortenedMatch[1]), end: fromIso(shortenedMatch[2]) }
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
  return { variant, endSecond, day, records, waited, wallMs: performance.now() - began }
}

/** The request id of a results-file line: a field the query named, or the one inside `@message`. */
function requestIdOf(jsonLine: string, where: string): string {
  const entry = JSON.parse(jsonLine) as { fields?: Record<string, string> }
  const named = entry.fields?.requestId
  if (named !== undefined) return named
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
  /** Entries counted: distinct ids reported (records), or the sum of match-count (aggregate). */
  reported: number
  /** Entries counted more than once, outside the stretch the lost-state run named. */
  repeated: string[]
  /** Entries counted more than once inside that stretch: the price of a lost checkpoint, named. */
  repeatedAfterLoss: number
  /** Reported ids that are not 4xx/5xx lines of the expected range. */
  stray: string[]
  late: LogLine[]
  inGap: LogLine[]
  /** Missed in a stretch a run named as checked once but not again: they arrived after that one look. */
  checkedOnce: LogLine[]
  unexplained: LogLine[]
  gaps: Window[]
  /** Windows of the runs that found their checkpoint lost. */
  relooked: Window[]
  slackPosts: number
  runsWithMatches: number
  /**
   * 4xx/5xx entries on a window's last second that had arrived before that run: where the two readings
   * of StartQuery's end differ. Under 'whole' that run reports them; under 'instant' only those at
   * `.000` — the rest are reported by the next run, which checks that second again.
   */
  endSecond: { entries: number; sameRun: number; laterRun: number }
}

/** Which runs counted each line: from the results files, or for an aggregate from its windows. */
function countsOf({ variant, day, records }: Simulation): Map<string, RunRecord[]> {
  const counted = new Map<string, RunRecord[]>()
  const add = (id: string, record: RunRecord) => counted.set(id, [...(counted.get(id) ?? []), record])
  if (variant.kind === 'records') {
    for (const record of records) for (const id of record.ids) add(id, record)
    return counted
  }
  // An aggregate names no entry: each run counted the 4xx/5xx lines of its window that the emulator
  // had ingested by the time its query finished. Whether the run's match-count is exactly that is
  // checked run by run (aggregateProblems).
  for (const record of records) {
    for (const line of day.lines) {
      if (line.status >= 400 && inside(second(line.timestamp), record.counted)) {
        if (line.timestamp + line.lag <= record.ingestedBy) add(line.requestId, record)
      }
    }
  }
  return counted
}

function account(simulation: Simulation): Figures {
  const { day, records, variant } = simulation
  const first = records[0]
  const last = records.at(-1)
  if (!first || !last) throw new Error('no run ran')
  const range = { start: first.counted.start, end: last.counted.end }
  const errors = day.lines.filter((line) => line.status >= 400)
  const expected = errors.filter((line) => inside(second(line.timestamp), range))
  const expectedIds = new Set(expected.map((line) => line.requestId))
  const byId = new Map(day.lines.map((line) => [line.requestId, line]))

  const counts = countsOf(simulation)
  const gaps = records.flatMap((record) => (record.gap ? [record.gap] : []))
  const relooked = records.filter((record) => record.lostState && record !== first).map((r) => r.counted)
  const inAGap = (line: LogLine) => gaps.some((gap) => inside(second(line.timestamp), gap))
  const missed = expected.filter((line) => !counts.has(line.requestId))
  // A miss inside a named gap counts as "gap" even when it was also late: the gap alone explains it.
  const inGap = missed.filter(inAGap)
  const shortened = records.flatMap((record) => (record.shortened ? [record.shortened] : []))
  const once = (line: LogLine) =>
    !inAGap(line) && shortened.some((stretch) => inside(second(line.timestamp), stretch))
  const checkedOnce = missed.filter(once)
  const late = missed.filter((line) => !inAGap(line) && !once(line) && line.lag > LAG_BUDGET_MS)
  const unexplained = missed.filter((line) => !inAGap(line) && !once(line) && line.lag <= LAG_BUDGET_MS)

  const repeated: string[] = []
  let repeatedAfterLoss = 0
  for (const [id, runs] of counts) {
    if (runs.length < 2) continue
    const line = byId.get(id)
    // Counted again only by runs that had lost the record of what was reported, inside their window.
    const again = runs.slice(1)
    if (line && again.every((run) => run.lostState && inside(second(line.timestamp), run.counted)))
      repeatedAfterLoss += again.length
    else repeated.push(id)
  }

  const endSecond = { entries: 0, sameRun: 0, laterRun: 0 }
  for (const record of records) {
    for (const line of expected) {
      if (second(line.timestamp) !== record.counted.end || line.timestamp + line.lag > record.startedAt)
        continue
      endSecond.entries += 1
      const by = counts.get(line.requestId) ?? []
      if (by.includes(record)) endSecond.sameRun += 1
      else if (by.length > 0) endSecond.laterRun += 1
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
    reported:
      variant.kind === 'records'
        ? counts.size
        : records.reduce((sum, record) => sum + record.matchCount, 0) - repeatedAfterLoss,
    repeated,
    repeatedAfterLoss,
    stray: [...counts.keys()].filter((id) => !expectedIds.has(id)),
    late,
    inGap,
    checkedOnce,
    unexplained,
    gaps,
    relooked,
    slackPosts: records.reduce((sum, record) => sum + record.slackPosts, 0),
    runsWithMatches: records.filter((record) => record.matchCount > 0).length,
  }
}

/**
 * An aggregate's counts are checked run by run: match-count is exactly the 4xx/5xx records of the
 * window that had arrived, and consecutive windows neither overlap nor leave a second out (a named
 * gap, or a run that lost its checkpoint and says so, excepted).
 */
function aggregateProblems({ day, records }: Simulation): string[] {
  const problems: string[] = []
  for (const [index, record] of records.entries()) {
    const name = `run ${record.runId} [${iso(record.counted.start)} – ${iso(record.counted.end)}]`
    const arrived = day.lines.filter(
      (line) =>
        line.status >= 400 &&
        inside(second(line.timestamp), record.counted) &&
        line.timestamp + line.lag <= record.ingestedBy,
    ).length
    if (record.matchCount !== arrived)
      problems.push(`${name}: match-count ${record.matchCount}, ${arrived} matching records had arrived`)
    const previous = records[index - 1]
    if (previous && !record.lostState) {
      const expectedStart = record.gap ? record.gap.end + 1 : previous.counted.end + 1
      if (record.counted.start !== expectedStart)
        problems.push(
          `${name}: starts at ${iso(record.counted.start)}, expected ${iso(expectedStart)} (previous ended ${iso(previous.counted.end)})`,
        )
    }
  }
  return problems
}

function printTable(simulation: Simulation, figures: Figures): void {
  const n = (value: number) => value.toLocaleString('en-US')
  const missed =
    figures.late.length + figures.inGap.length + figures.checkedOnce.length + figures.unexplained.length
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
    ['counted', n(figures.reported)],
    [
      'end second',
      `${n(figures.endSecond.entries)} on a window's last second: ${n(figures.endSecond.sameRun)} counted by that run, ` +
        `${n(figures.endSecond.laterRun)} by a later one`,
    ],
    [
      'repeated',
      `${n(figures.repeated.length)} (and ${n(figures.repeatedAfterLoss)} again after the lost checkpoint, in the stretch it named)`,
    ],
    [
      'missed',
      `${n(missed)} (late ${n(figures.late.length)} / gap ${n(figures.inGap.length)} / checked once, not again ${n(figures.checkedOnce.length)} / unexplained ${n(figures.unexplained.length)})`,
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
      `insights-watch, a simulated day — ${simulation.variant.name}, end second read as '${simulation.endSecond}'`,
      ...rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`),
    ].join('\n'),
  )
}

/** Why an entry was missed, in terms of the runs that could have seen it. */
function explainMiss(line: LogLine, records: RunRecord[]): string {
  const s = second(line.timestamp)
  const arrived = line.timestamp + line.lag
  const covering = records
    .filter((record) => inside(s, record.counted))
    .map(
      (record) =>
        `run ${record.runId} at ${new Date(record.startedAt).toISOString()} ` +
        `[${iso(record.counted.start)} – ${iso(record.counted.end)}] queried ${record.ingestedBy < arrived ? 'before' : 'after'} it arrived` +
        (s === record.counted.end ? ' (its last second)' : ''),
    )
  const next = records.find((record) => record.startedAt >= arrived)
  return (
    `${line.requestId}${line.probe ? ' (probe)' : ''} at ${new Date(line.timestamp).toISOString()}, ` +
    `arrived ${(line.lag / 1000).toFixed(1)} s later; checked by: ${covering.join('; ') || 'no run'}; ` +
    `first run after it arrived: ${next ? `${next.runId} [${iso(next.window.start)} – ${iso(next.window.end)}]${next.gap ? ` gap ${iso(next.gap.start)} – ${iso(next.gap.end)}` : ''}` : 'none'}`
  )
}

describe('a simulated day of cron runs against the emulator', () => {
  for (const variant of VARIANTS) {
    for (const endSecond of ['instant', 'whole'] as const) {
      it(`${variant.name}: counts every entry within the lag budget exactly once (end second read as '${endSecond}')`, async () => {
        const simulation = await simulate(variant, endSecond)
        const figures = account(simulation)
        printTable(simulation, figures)
        const { records } = simulation

        expect(figures.repeated, 'entries counted by more than one run').toEqual([])
        expect(figures.stray, 'counted ids that are not 4xx/5xx entries of the checked range').toEqual([])
        expect(
          figures.unexplained.map((line) => explainMiss(line, records)),
          'misses neither late nor inside a named gap',
        ).toEqual([])
        if (variant.kind === 'aggregate') expect(aggregateProblems(simulation)).toEqual([])

        // The classification is exercised, not vacuous: the outage named a gap, some backdated entries
        // came later than any run would look, and the lost checkpoint was found and named.
        expect(figures.gaps.length).toBeGreaterThanOrEqual(1)
        expect(figures.late.length).toBeGreaterThanOrEqual(1)
        const outage = simulation.day.outage
        expect(
          figures.gaps.some((gap) => gap.start * 1000 < outage.from && gap.end * 1000 >= outage.from),
          'a gap covers the start of the outage',
        ).toBe(true)
        const afterLoss = records.find((record) => record.startedAt >= STATE_LOST_AT)
        expect(afterLoss?.lostState, 'the run after the checkpoint was deleted says it found none').toBe(true)
        expect(
          records.filter((record) => record.lostState).map((record) => record.runId),
          'only the first run and the run after the deletion found no checkpoint',
        ).toEqual([records[0]?.runId, afterLoss?.runId])

        // The windows and named gaps together leave no second of the day's range unaccounted for.
        expect(holes([...records.map((record) => record.counted), ...figures.gaps], figures.range)).toEqual(
          [],
        )

        const problems: string[] = []
        for (const [index, record] of records.entries()) {
          const name = `run ${record.runId}`
          if (variant.kind === 'records' && record.ids.length !== record.matchCount)
            problems.push(`${name}: match-count ${record.matchCount}, results file ${record.ids.length}`)
          // One message when anything new matched (an alert: the threshold is 1), when a gap or a lost
          // checkpoint was named (news on its own), or when a clean window follows an alerting one
          // (resolved); else none.
          const resolved = record.matchCount === 0 && (records[index - 1]?.matchCount ?? 0) > 0
          const posts = record.matchCount > 0 || record.gap || record.lostState || resolved ? 1 : 0
          if (record.slackPosts !== posts)
            problems.push(`${name}: ${record.slackPosts} Slack posts, expected ${posts}`)
          if (record.gap && !record.warnedGap) problems.push(`${name}: gap not in a warning annotation`)
          if (record.gap && !record.slackNamesGap)
            problems.push(`${name}: Slack message does not name the gap`)
          // A runner clock ahead of the service must not move the window into the service's future,
          // and the skew is named; a clock in agreement names none.
          const serviceEnd = second(record.startedAt) - QUERY_DELAY_S
          if (record.window.end > serviceEnd + CLOCK_TOLERANCE_S)
            problems.push(
              `${name}: window ends ${iso(record.window.end)}, past the service's ${iso(serviceEnd)}`,
            )
          if (record.skewed !== record.skewNamed)
            problems.push(
              `${name}: clock ${record.skewed ? 'off, not named' : 'right, but a skew was named'}`,
            )
        }
        expect(problems).toEqual([])
        expect(records.some((record) => record.skewed)).toBe(true)
      }, 120_000)
    }
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
