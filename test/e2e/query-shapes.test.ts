import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { Emulator, EmulatorOptions } from '../emulator/index.js'
import { formatTimestamp } from '../emulator/query-language.js'
import type { ActionRun } from '../support/run-action.js'
import { startTimeline, type Timeline } from '../support/timeline.js'

/**
 * Query shapes off the default path, each run several times along a timeline with a checkpoint:
 * an aggregate (`stats`), a record query whose rows do not carry `@timestamp`. Every matching record
 * must be counted exactly once over the runs, under both readings of StartQuery's inclusive end second.
 */

const GROUP = '/aws/apigateway/prod-access'
const MINUTE = 60_000

let timeline: Timeline
let emulator: Emulator
let t0: number
let stateFile: string

async function start(options: Omit<EmulatorOptions, 'now'> = {}): Promise<void> {
  timeline = await startTimeline({ region: 'eu-west-1', queryLatencyMs: 200, ...options })
  ;({ emulator, t0 } = timeline)
  emulator.createLogGroup(GROUP)
  stateFile = join(mkdtempSync(join(tmpdir(), 'insights-watch-shapes-')), 'state.json')
}

afterEach(async () => {
  await emulator?.stop()
})

function runAt(atMs: number, inputs: Record<string, string>): Promise<ActionRun> {
  return timeline.runAt(
    atMs,
    {
      'log-group-names': GROUP,
      state: `file:${stateFile}`,
      'monitor-name': 'api-errors',
      'slack-webhook-url': emulator.slackWebhookUrl('alerts'),
      ...inputs,
    },
    { AWS_REGION: 'eu-west-1' },
  )
}

function resultsFields(run: ActionRun): Record<string, string>[] {
  const file = run.outputs['results-file']
  if (!file || !existsSync(file)) return []
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line).fields as Record<string, string>)
}

const STATUSES = ['502', '404', '200', '500', '403', '200', '503']

interface Seeded {
  /** Matching (status ≥ 400) records by status. */
  byStatus: Map<string, number>
  /**
   * Matching records by `@timestamp` and resourcePath. Paths repeat (the same status, method and path
   * at different times are different entries), and every 50th line is logged twice in one millisecond.
   */
  byTimeAndPath: Map<string, number>
  matching: number
  critical: number
}

/**
 * Access-log lines every 250 ms from `fromMs` to `toMs` into the timeline, so every second (every
 * window boundary) holds several, one of them at .000; each reaches Insights up to 40 s late: after
 * the window end, within query-delay. Every 50th line is logged twice in the same millisecond.
 */
function seed(fromMs: number, toMs: number): Seeded {
  const seeded: Seeded = { byStatus: new Map(), byTimeAndPath: new Map(), matching: 0, critical: 0 }
  const events: { timestamp: number; message: string; ingestionTime: number }[] = []
  let n = 0
  for (let at = fromMs; at <= toMs; at += 250) {
    const status = STATUSES[n % STATUSES.length] as string
    const path = `/items/${n % 3}`
    const message = JSON.stringify({ httpMethod: 'GET', resourcePath: path, status })
    const copies = n % 50 === 0 ? 2 : 1
    for (let copy = 0; copy < copies; copy++) {
      events.push({ timestamp: t0 + at, message, ingestionTime: t0 + at + ((n * 7919) % 40_000) })
      if (Number(status) >= 400) {
        seeded.matching += 1
        if (Number(status) >= 500) seeded.critical += 1
        seeded.byStatus.set(status, (seeded.byStatus.get(status) ?? 0) + 1)
        const key = `${formatTimestamp(t0 + at)} ${path}`
        seeded.byTimeAndPath.set(key, (seeded.byTimeAndPath.get(key) ?? 0) + 1)
      }
    }
    n += 1
  }
  emulator.putLogEvents(GROUP, events)
  return seeded
}

/** The entries the runs reported, by `@timestamp` and resourcePath. */
function byTimeAndPath(runs: ActionRun[]): Map<string, number> {
  const reported = new Map<string, number>()
  for (const row of runs.flatMap(resultsFields)) {
    const key = `${row['@timestamp']} ${row.resourcePath}`
    reported.set(key, (reported.get(key) ?? 0) + 1)
  }
  return reported
}

const seconds = (iso: string | undefined) => Date.parse(iso ?? '') / 1000
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0)

/** On time, on time, 7 minutes late, then on time again: cron's usual wobble. */
const SCHEDULE = [0, 5, 17, 20, 25].map((minutes) => minutes * MINUTE)
/**
 * Seeded strictly inside what the runs check together (the first window starts about 6 minutes
 * before 0, the last ends about 24 minutes after, or 22 for an aggregate, whose windows end
 * `overlap` further back), so every boundary between runs falls among them.
 */
const SEED_FROM = -5 * MINUTE
const SEED_TO = 21 * MINUTE

async function runSchedule(inputs: Record<string, string>): Promise<ActionRun[]> {
  const runs: ActionRun[] = []
  for (const at of SCHEDULE) runs.push(await runAt(at, inputs))
  for (const run of runs) expect(run.exitCode, run.stdout + run.stderr).toBe(0)
  expect(seconds(runs[0]?.outputs['window-start'])).toBeLessThan((t0 + SEED_FROM) / 1000)
  expect(seconds(runs.at(-1)?.outputs['window-end'])).toBeGreaterThan((t0 + SEED_TO) / 1000)
  return runs
}

describe.each(['instant', 'whole'] as const)('StartQuery end second read as %s', (endSecond) => {
  it('counts every matching record of an aggregate query exactly once over late and on-time runs', async () => {
    await start({ endSecond })
    const seeded = seed(SEED_FROM, SEED_TO)
    const runs = await runSchedule({ query: 'filter status >= 400 | stats count(*) by status' })

    // Windows join end to start: no overlap is counted again.
    for (let i = 1; i < runs.length; i++) {
      expect(seconds(runs[i]?.outputs['window-start'])).toBe(seconds(runs[i - 1]?.outputs['window-end']))
    }
    // match-count counts records, not rows; severity from the status column, weighted by the count.
    expect(sum(runs.map((run) => Number(run.outputs['match-count'])))).toBe(seeded.matching)
    expect(sum(runs.map((run) => Number(run.outputs['critical-count'])))).toBe(seeded.critical)
    // The results file holds the aggregate rows; their counts add up the same way.
    const perStatus = new Map<string, number>()
    for (const row of runs.flatMap(resultsFields)) {
      perStatus.set(
        row.status as string,
        (perStatus.get(row.status as string) ?? 0) + Number(row['count(*)']),
      )
    }
    expect(perStatus).toEqual(seeded.byStatus)

    // The message and the summary show the table.
    const post = JSON.stringify(emulator.slackPosts('alerts')[0]?.body)
    expect(post).toContain('*Aggregate*')
    // (Log text in Slack has `*` as a look-alike, so it cannot format the message.)
    expect(post).toMatch(/status\s+count\(∗\)\\n502\s+\d+/)
    expect(runs[0]?.summary).toContain('Aggregate (')
    expect(runs[0]?.summary).toMatch(
      /<th>status<\/th><th>count\(&#42;\)<\/th><\/tr><tr><td>502<\/td><td>\d+<\/td>/,
    )
    // No fingerprints in an aggregate checkpoint.
    expect(JSON.parse(readFileSync(stateFile, 'utf8')).reported).toEqual({})
  })

  it('reports every entry of a query whose fields leave out @timestamp exactly once', async () => {
    await start({ endSecond })
    const seeded = seed(SEED_FROM, SEED_TO)
    const runs = await runSchedule({
      query: 'fields status, httpMethod, resourcePath | filter status >= 400',
    })

    // Windows overlap (2 minutes by default); the fingerprints drop what an earlier run reported.
    expect(byTimeAndPath(runs)).toEqual(seeded.byTimeAndPath)
    expect(sum(runs.map((run) => Number(run.outputs['match-count'])))).toBe(seeded.matching)
    // What the user asked for is what the message shows: their query, their fields.
    expect(runs[0]?.summary).toContain(
      '<pre><code>fields status, httpMethod, resourcePath &#124; filter status &gt;= 400</code></pre>',
    )
  })
})

describe('OpenSearch SQL', () => {
  const sqlQuery = `SELECT * FROM \`${GROUP}\` WHERE status >= 400`

  it('fetches every one of 20,000 matches past the 10,000-row SQL cap by splitting the window', async () => {
    await start()
    // 20,000 matching lines (and 2,000 others) over the 5 minutes the first run checks.
    const events: { timestamp: number; message: string; ingestionTime: number }[] = []
    for (let i = 0; i < 22_000; i++) {
      const status = i % 11 === 0 ? '200' : i % 2 === 0 ? '502' : '404'
      const timestamp = t0 - 6 * MINUTE + 30_000 + Math.floor((i * 4 * MINUTE) / 22_000)
      events.push({
        timestamp,
        message: JSON.stringify({ requestId: `r${i}`, resourcePath: `/items/${i}`, status }),
        ingestionTime: timestamp + 1_000,
      })
    }
    emulator.putLogEvents(GROUP, events)
    const run = await runAt(0, { query: sqlQuery, 'query-language': 'SQL' })
    expect(run.exitCode, run.stdout + run.stderr).toBe(0)
    expect(run.outputs['match-count']).toBe('20000')
    expect(run.outputs.truncated).toBe('false')
    const ids = new Set(resultsFields(run).map((row) => row.requestId))
    expect(ids.size).toBe(20_000)
    expect(resultsFields(run)).toHaveLength(20_000)
    // The log groups are in the query's FROM, never StartQuery's parameters; no limit over 10,000.
    // (The alert's baseline, a week earlier, is the action's own Logs Insights QL query.)
    const starts = emulator.calls.filter(
      (call) =>
        call.action === 'StartQuery' && (call.body as { queryLanguage?: string }).queryLanguage === 'SQL',
    )
    expect(starts.length).toBeGreaterThan(1)
    for (const call of starts) {
      const body = call.body as Record<string, unknown>
      expect(body.logGroupNames).toBeUndefined()
      expect(body.logGroupIdentifiers).toBeUndefined()
      expect((body.limit as number | undefined) ?? 0).toBeLessThanOrEqual(10_000)
    }
  })

  it.each(['instant', 'whole'] as const)(
    'reports every entry of a SQL record query once over overlapping runs (end second %s)',
    async (endSecond) => {
      await start({ endSecond })
      const seeded = seed(SEED_FROM, SEED_TO)
      const runs = await runSchedule({
        query: `SELECT \`@timestamp\`, status, resourcePath FROM \`${GROUP}\` WHERE status >= 400`,
        'query-language': 'SQL',
      })
      expect(byTimeAndPath(runs)).toEqual(seeded.byTimeAndPath)
      expect(sum(runs.map((run) => Number(run.outputs['match-count'])))).toBe(seeded.matching)
    },
  )

  it('counts every matching record of a SQL aggregate once over runs, and names how its windows are cut', async () => {
    // SQL cannot be bounded by @timestamp (see query-rewrite.ts): exact when the end second is whole.
    await start({ endSecond: 'whole' })
    const seeded = seed(SEED_FROM, SEED_TO)
    const runs = await runSchedule({
      query: `SELECT status, COUNT(*) AS n FROM \`${GROUP}\` WHERE status >= 400 GROUP BY status`,
      'query-language': 'SQL',
    })
    expect(sum(runs.map((run) => Number(run.outputs['match-count'])))).toBe(seeded.matching)
    expect(sum(runs.map((run) => Number(run.outputs['critical-count'])))).toBe(seeded.critical)
    expect(runs[1]?.summary).toContain('records counted from the <code>n</code> column')
    expect(runs[1]?.summary).toContain('should the service read the end second as an instant')
    // The SQL queries' windows (an alert's baseline a week earlier is a query of the action's own).
    const starts = emulator.calls
      .filter(
        (call) =>
          call.action === 'StartQuery' && (call.body as { queryLanguage?: string }).queryLanguage === 'SQL',
      )
      .map((call) => call.body as { startTime: number; endTime: number })
    expect(starts.length).toBe(runs.length)
    for (let i = 1; i < starts.length; i++)
      expect(starts[i]?.startTime).toBe((starts[i - 1]?.endTime ?? 0) + 1)
  })

  it('refuses, before any call, a SQL query whose FROM does not name log-group-names', async () => {
    await start()
    const run = await runAt(0, { query: 'SELECT * FROM `/other`', 'query-language': 'SQL' })
    expect(run.exitCode).not.toBe(0)
    expect(run.stdout).toContain(
      "log-group-names has /aws/apigateway/prod-access that the query's FROM does not name",
    )
    expect(emulator.calls.filter((call) => call.service === 'logs')).toHaveLength(0)
  })
})

describe('OpenSearch PPL', () => {
  it('fetches every one of 20,000 matches past the 10,000-row PPL cap by splitting the window', async () => {
    await start()
    const events: { timestamp: number; message: string; ingestionTime: number }[] = []
    for (let i = 0; i < 22_000; i++) {
      const status = i % 11 === 0 ? '200' : i % 2 === 0 ? '503' : '404'
      const timestamp = t0 - 6 * MINUTE + 30_000 + Math.floor((i * 4 * MINUTE) / 22_000)
      events.push({
        timestamp,
        message: JSON.stringify({ requestId: `p${i}`, resourcePath: `/items/${i}`, status }),
        ingestionTime: timestamp + 1_000,
      })
    }
    emulator.putLogEvents(GROUP, events)
    const run = await runAt(0, {
      query: 'fields `@timestamp`, requestId, status | where status >= 400',
      'query-language': 'PPL',
    })
    expect(run.exitCode, run.stdout + run.stderr).toBe(0)
    expect(run.outputs['match-count']).toBe('20000')
    expect(run.outputs.truncated).toBe('false')
    expect(new Set(resultsFields(run).map((row) => row.requestId)).size).toBe(20_000)
    expect(resultsFields(run)).toHaveLength(20_000)
    // PPL takes its log groups as StartQuery parameters, and no limit over 10,000.
    const starts = emulator.calls.filter((call) => call.action === 'StartQuery')
    expect(starts.length).toBeGreaterThan(1)
    for (const call of starts) {
      const body = call.body as Record<string, unknown>
      expect(body.logGroupNames).toEqual([GROUP])
      expect((body.limit as number | undefined) ?? 0).toBeLessThanOrEqual(10_000)
    }
  })

  it('reports every entry of a PPL record query once over overlapping runs', async () => {
    await start()
    const seeded = seed(SEED_FROM, SEED_TO)
    const runs = await runSchedule({
      query: 'fields `@timestamp`, status, resourcePath | where status >= 400',
      'query-language': 'PPL',
    })
    expect(byTimeAndPath(runs)).toEqual(seeded.byTimeAndPath)
    expect(sum(runs.map((run) => Number(run.outputs['match-count'])))).toBe(seeded.matching)
  })

  it('counts every matching record of a PPL aggregate once over runs (end second whole)', async () => {
    // Like SQL, PPL cannot be bounded by @timestamp (query-rewrite.ts): exact when the end second is whole.
    await start({ endSecond: 'whole' })
    const seeded = seed(SEED_FROM, SEED_TO)
    const runs = await runSchedule({
      query: 'where status >= 400 | stats count() as n by status',
      'query-language': 'PPL',
    })
    expect(sum(runs.map((run) => Number(run.outputs['match-count'])))).toBe(seeded.matching)
    expect(sum(runs.map((run) => Number(run.outputs['critical-count'])))).toBe(seeded.critical)
  })

  it('refuses, before any call, a PPL record query that does not return @timestamp', async () => {
    await start()
    const run = await runAt(0, { query: 'fields status | where status >= 400', 'query-language': 'PPL' })
    expect(run.exitCode).not.toBe(0)
    expect(run.stdout).toContain('add `@timestamp` to its fields command')
    expect(emulator.calls.filter((call) => call.service === 'logs')).toHaveLength(0)
  })
})
