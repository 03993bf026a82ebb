/**
 * Step (instead of watching, with `backtest`): one monitor's past period replayed as a five-minute
 * schedule would have run it, from ONE query over the period rather than one per scheduled run.
 *
 * Each replayed run plans its window from the previous run's checkpoint (planRun), takes the
 * window's entries through the same intake and dedup as a scheduled run (takeFetchedRows), builds
 * the same report, decides with decideRunAlert, and carries the checkpoint a scheduled run would
 * have saved (checkpointAfterRun: fingerprints, alert memory, seen signatures). So the backtest
 * agrees with the scheduled runs by construction, not by a second copy of the alerting rules.
 *
 * Aggregate queries are refused: a window's counts are computed by the service and cannot be cut
 * from one fetch of the period; the exact alternative, one StartQuery per scheduled run (2,016 for
 * 7 days), is what the backtest exists to avoid. Nothing is posted, no state is read or saved.
 */
import type { AlertDecision } from '../alerting.js'
import {
  type BacktestResult,
  type BusyWindow,
  bytesPerRun,
  RUNS_PER_MONTH,
  SCHEDULE_SECONDS,
  scheduleMarks,
} from '../backtest.js'
import { insightsTimeMs } from '../entries.js'
import { errorMessage, SettingsError } from '../errors.js'
import { count, formatBytes, formatDollars, formatDuration, isoSecond, scanCost } from '../format.js'
import { type BatchedResult, batchCount, runBatchedQuery } from '../insights/batches.js'
import { queryToRun, queryWindow, withField } from '../insights/query-rewrite.js'
import { analyseQuery } from '../insights/query-shape.js'
import { rowSecond } from '../insights/split.js'
import type { ResultField } from '../insights/types.js'
import type { Window } from '../insights/window.js'
import { addBacktestSummary, backtestMarkdown, type NamedBacktest } from '../notify/backtest-text.js'
import type { StepDeps } from '../run-deps.js'
import type { Settings } from '../settings.js'
import type { Checkpoint } from '../state/checkpoint.js'
import { decideRunAlert } from './alert.js'
import { checkpointAfterRun } from './checkpoint.js'
import { credentialsOnly } from './credentials-and-checkpoint.js'
import { connectToLogs, type LogsConnection } from './logs-connection.js'
import { planRun } from './plan.js'
import { postPullRequestComment } from './pr-comment.js'
import { describeBatchFailure, queryDepsOf, sourceOf, takeFetchedRows } from './query.js'
import { buildReport } from './report.js'

/** Replayed runs say nothing each: 2,016 "Found 0 new entries" lines would bury the result. */
const SILENT = { info: () => {}, warning: () => {} }
const BUSIEST = 5
const INGESTION = '@ingestionTime'

/** A row of the period, where the replay needs it: its second, and when the service had it. */
export interface FetchedRow {
  /** Epoch second of its @timestamp. */
  second: number
  /** @ingestionTime in epoch ms, when the query returned it: runs before it did not see the row. */
  ingestedMs?: number
  row: readonly ResultField[]
}

/** Throws, naming `backtest`, for a monitor whose query the backtest cannot replay from one fetch. */
export function refuseUnreplayable(settings: Settings): void {
  if (analyseQuery(settings.query, settings.queryLanguage).records) return
  const runs = count(Math.floor((settings.backtestSeconds ?? 0) / SCHEDULE_SECONDS))
  throw new SettingsError(
    'backtest',
    `replays record queries only (one row per log event), and this monitor's query aggregates (stats, GROUP BY or an aggregate function, PPL stats, dedup, …). Each window's counts come from the service, so they cannot be cut from one fetch of the period, and replaying them exactly would take one query per scheduled run (${runs} here). Backtest a record query with the same filter instead (e.g. "fields @timestamp, @message | filter status >= 400"), or remove backtest from this monitor.`,
  )
}

export async function runBacktest(
  settings: Settings,
  logs: LogsConnection,
  deps: StepDeps,
  nowMs: number,
): Promise<BacktestResult> {
  refuseUnreplayable(settings)
  const periodSeconds = settings.backtestSeconds
  if (periodSeconds === undefined)
    throw new SettingsError('backtest', 'is not set: there is no period to replay.')
  const { runner } = deps
  const marks = scheduleMarks(nowMs, periodSeconds)
  const fetched = stretchChecked(settings, marks)
  const { rows, result, ingestion, untimed } = await fetchPeriod(settings, fetched, logs, deps)
  runner.info(
    `Backtest: ${count(rows.length)} matching entries fetched by ${count(result.queries.length)} ${result.queries.length === 1 ? 'query' : 'queries'}; replaying ${count(marks.length)} scheduled runs (every ${formatDuration(SCHEDULE_SECONDS)}) in memory.`,
  )
  const replay = replaySchedule(settings, marks, rows)
  const bytesScanned = result.queries.reduce((sum, query) => sum + query.statistics.bytesScanned, 0)
  const perRun = bytesPerRun(result.statistics.bytesScanned, fetched, replay.meanWindowSeconds)
  const destinations = settings.slackWebhookUrls.length + (settings.incidentCard?.channels.length ?? 0)
  const backtest: BacktestResult = {
    period: { start: Math.floor(nowMs / 1000) - periodSeconds, end: Math.floor(nowMs / 1000) },
    runs: marks.length,
    alerts: replay.alerts,
    resolved: replay.resolved,
    quiet: replay.quiet,
    destinations,
    posts: (replay.alerts + replay.resolved) * destinations,
    busiest: replay.busiest,
    queries: result.queries.length,
    bytesScanned,
    rowsFetched: result.rowsFetched,
    bytesPerRunEstimate: perRun,
    pricePerGb: settings.pricePerGb,
    costPerMonth: scanCost(perRun * RUNS_PER_MONTH, settings.pricePerGb),
    notes: notesOf(settings, {
      result,
      ingestion,
      untimed,
      destinations,
      meanWindow: replay.meanWindowSeconds,
    }),
  }
  runner.info(
    `Backtest of ${settings.monitorName}: ${count(backtest.alerts)} alerts, ${count(backtest.resolved)} resolved notices, ${count(backtest.posts)} Slack posts over ${count(backtest.runs)} runs; the backtest scanned ${formatBytes(bytesScanned)}; a scheduled run scans about ${formatBytes(perRun)} (${formatDollars(backtest.costPerMonth)} a month).`,
  )
  return backtest
}

/** From the first replayed window's start (its `interval`, or the next run's overlap) to the last one's end. */
function stretchChecked(settings: Settings, marks: readonly number[]): Window {
  const first = marks[0] ?? 0
  const last = marks.at(-1) ?? first
  const back = Math.max(settings.intervalSeconds, settings.overlapSeconds)
  return { start: first - settings.queryDelaySeconds - back, end: last - settings.queryDelaySeconds }
}

interface Fetched {
  rows: FetchedRow[]
  result: BatchedResult
  /** Rows carry @ingestionTime, so late logs are seen by the run that would have seen them. */
  ingestion: boolean
  /** Rows without a readable @timestamp: no window can hold them. */
  untimed: number
}

/**
 * The period's matching entries in one batched query (split where a query caps its rows, as a run's
 * is), oldest first. A Logs Insights QL query also returns @ingestionTime, so each replayed run sees
 * only what had arrived by its time; the column is taken off again before the rows are replayed.
 */
async function fetchPeriod(
  settings: Settings,
  period: Window,
  logs: LogsConnection,
  deps: StepDeps,
): Promise<Fetched> {
  const shape = analyseQuery(settings.query, settings.queryLanguage)
  const ingestion = shape.language === 'CWLI'
  const added = ingestion && !settings.query.includes(INGESTION)
  const base = queryToRun(settings.query, shape, period)
  const queryString = added ? withField(base, INGESTION) : base
  const rows: FetchedRow[] = []
  let untimed = 0
  const take = (row: ResultField[]): void => {
    const second = rowSecond(row)
    if (second === undefined) {
      untimed += 1
      return
    }
    const ingestedText = row.find((field) => field.field === INGESTION)?.value
    const fetchedRow: FetchedRow = {
      second,
      row: added ? row.filter((field) => field.field !== INGESTION) : row,
    }
    const ingestedMs = ingestedText === undefined ? Number.NaN : insightsTimeMs(ingestedText.trim())
    if (!Number.isNaN(ingestedMs)) fetchedRow.ingestedMs = ingestedMs
    rows.push(fetchedRow)
  }
  const result = await deps.runner.group(
    `Backtest query ${isoSecond(period.start)} – ${isoSecond(period.end)}`,
    () =>
      runBatchedQuery(
        {
          logGroups: settings.logGroups,
          ...sourceOf(settings),
          queryString,
          queryLanguage: settings.queryLanguage,
          window: queryWindow(shape, period),
          maxRows: settings.maxResults,
        },
        {
          ...queryDepsOf(settings, logs, deps),
          log: deps.runner.info,
          onRows: (batch) => {
            for (const row of batch) take(row)
          },
        },
      ),
  )
  if (result.failures.length > 0) {
    const batches = batchCount({ ...settings, ...sourceOf(settings) })
    throw new Error(
      `The backtest's query failed for ${result.failures.length} of ${batches} batches of log groups, so nothing was replayed (a partial period would undercount). ${result.failures.map(describeBatchFailure).join(' ')}`,
    )
  }
  // Stable: rows of one second keep the service's order, as a run's query hands them over.
  rows.sort((a, b) => a.second - b.second)
  return { rows, result, ingestion, untimed }
}

/** What replaying the schedule over the fetched rows decided. */
export interface Replay {
  /** Each replayed run: its time, its window, its decision and the new entries it found. */
  runs: Array<{ at: number; window: Window; decision: AlertDecision['kind']; found: number }>
  alerts: number
  resolved: number
  quiet: number
  busiest: BusyWindow[]
  /** The replayed windows' mean length in seconds, overlap included. */
  meanWindowSeconds: number
}

/**
 * The scheduled runs at `marks` (epoch seconds), one after another, over `rows` (sorted by second):
 * each run's window planned from the checkpoint the run before would have saved, its entries those
 * with @timestamp inside the window (the whole-second reading of StartQuery's end) that had arrived
 * by the run's time, and its decision the one a scheduled run makes. Pure: no query, no post.
 */
export function replaySchedule(
  settings: Settings,
  marks: readonly number[],
  rows: readonly FetchedRow[],
): Replay {
  const replay: Replay = { runs: [], alerts: 0, resolved: 0, quiet: 0, busiest: [], meanWindowSeconds: 0 }
  let checkpoint: Checkpoint | undefined
  const keepsState = settings.state.kind !== 'none'
  let windowSeconds = 0
  for (const at of marks) {
    const nowMs = at * 1000
    const plan = planRun(settings, checkpoint ? { state: checkpoint } : {}, nowMs, SILENT)
    const { window } = plan
    const outcome = takeFetchedRows(settings, plan, rowsSeen(rows, window, nowMs))
    const report = buildReport(settings, plan, outcome, { clock: undefined, env: {} }, SILENT)
    const decision = decideRunAlert(report, plan, outcome, nowMs, settings)
    // With `state: none` the scheduled runs keep nothing: each is a first run, without alert memory.
    checkpoint = keepsState
      ? checkpointAfterRun(
          { plan, outcome, decision, delivery: { notified: false, note: '' }, incident: undefined },
          { dryRun: true, nowMs, signatureMemorySeconds: settings.signatures?.memorySeconds },
        )
      : undefined
    windowSeconds += window.end - window.start + 1
    if (decision.kind === 'alert') replay.alerts += 1
    else if (decision.kind === 'resolved') replay.resolved += 1
    else if (decision.kind === 'quiet') replay.quiet += 1
    const { digest } = report
    replay.runs.push({ at, window, decision: decision.kind, found: digest.total })
    if (digest.total > 0) {
      rememberBusy(replay.busiest, {
        window,
        total: digest.total,
        critical: digest.critical,
        warning: digest.warning,
        top: digest.breakdowns
          .slice(0, 3)
          .flatMap(({ field, counts: [first] }) =>
            first ? [{ field, value: first.value, count: first.count }] : [],
          ),
      })
    }
  }
  replay.meanWindowSeconds = marks.length > 0 ? windowSeconds / marks.length : 0
  return replay
}

/** The rows a run at `nowMs` found in `window`: @timestamp inside it, and arrived by then. */
function rowsSeen(rows: readonly FetchedRow[], window: Window, nowMs: number): (readonly ResultField[])[] {
  const seen: (readonly ResultField[])[] = []
  for (let i = firstAtOrAfter(rows, window.start); i < rows.length; i += 1) {
    const fetched = rows[i] as FetchedRow
    if (fetched.second > window.end) break
    if (fetched.ingestedMs === undefined || fetched.ingestedMs <= nowMs) seen.push(fetched.row)
  }
  return seen
}

function firstAtOrAfter(rows: readonly FetchedRow[], second: number): number {
  let low = 0
  let high = rows.length
  while (low < high) {
    const middle = (low + high) >>> 1
    if ((rows[middle] as FetchedRow).second < second) low = middle + 1
    else high = middle
  }
  return low
}

/** Keeps the BUSIEST windows with the most entries (the earlier one first on a tie). */
function rememberBusy(busiest: BusyWindow[], candidate: BusyWindow): void {
  const at = busiest.findIndex((busy) => candidate.total > busy.total)
  if (at === -1) {
    if (busiest.length < BUSIEST) busiest.push(candidate)
    return
  }
  busiest.splice(at, 0, candidate)
  if (busiest.length > BUSIEST) busiest.pop()
}

/** What the reader must know about how far the replay is the scheduled runs. */
function notesOf(
  settings: Settings,
  facts: {
    result: BatchedResult
    ingestion: boolean
    untimed: number
    destinations: number
    meanWindow: number
  },
): string[] {
  const { result } = facts
  const notes = [
    `Each run is replayed at its five-minute mark; scheduled runs start late by minutes, which can move a re-alert after realert (${formatDuration(settings.realertSeconds)}) by one run.`,
    settings.state.kind === 'none'
      ? `state: none: like the scheduled runs, no replayed run has a checkpoint, so each checks interval (${formatDuration(settings.intervalSeconds)}) and alerts without memory of the run before.`
      : `The first replayed run has no checkpoint and checks interval (${formatDuration(settings.intervalSeconds)}); its "no checkpoint found" notice is not counted as a post.`,
    `Cost per month is an estimate: the backtest query's bytes pro rata of a run's mean window (${formatDuration(Math.round(facts.meanWindow))}, overlap included) to the period, × ${count(RUNS_PER_MONTH)} runs at price-per-gb $${settings.pricePerGb}.`,
  ]
  if (!facts.ingestion) {
    notes.push(
      `${settings.queryLanguage} has no @ingestionTime column the backtest can add: each entry is taken as arrived in time for the first run whose window holds it (a late log counts one run earlier than it did).`,
    )
  }
  if (analyseQuery(settings.query, settings.queryLanguage).userLimit) {
    notes.push(
      "The query's own row limit applied to the whole period here, not to each window as in a scheduled run: the counts may be low.",
    )
  }
  if (result.truncated) {
    notes.push(
      `Only ${count(result.rowsFetched)} of ${count(result.statistics.recordsMatched)} matching entries were fetched (max-results): the counts are low. Raise max-results for the backtest.`,
    )
  }
  if (facts.untimed > 0)
    notes.push(
      `${count(facts.untimed)} entries had no readable @timestamp: no window holds them, so they were left out.`,
    )
  if (settings.rates) {
    notes.push(
      "rate-thresholds were not replayed: a window's request count is an aggregate query of its own. Only thresholds were judged (none, unless set).",
    )
  }
  if (settings.incidentCard)
    notes.push(
      "Bot-token mode: posts count each alert and resolved notice once per channel; the card's edits and thread replies are not counted.",
    )
  if (facts.destinations === 0)
    notes.push(
      'No slack-webhook-url or slack-channel is set: the alerts would have been in the job summary only.',
    )
  return notes
}

/** The backtests in the job summary (one monitor now; each rule of a rules file later). */
/**
 * `backtest` for a single monitor or every rule of a rules file (`key`: the file, or the monitor's
 * name): one connection, the rules replayed side by side under `concurrency`, one job summary, and on a
 * pull request one comment (steps/pr-comment.ts). A single monitor whose query cannot be replayed is
 * refused before any network call; a rule's is shown as not replayed while the others are. A failed
 * replay or comment fails the step at the end, after the summary.
 */
export async function backtestMonitors(
  key: string,
  monitors: readonly Settings[],
  deps: StepDeps,
  concurrency?: number,
): Promise<void> {
  const { runner } = deps
  const stepWide = monitors[0] as Settings
  if (monitors.length === 1) refuseUnreplayable(stepWide)
  const credentials = await credentialsOnly(stepWide, deps)
  const logs = await connectToLogs(stepWide, credentials, deps, concurrency)
  const failures: string[] = []
  const list = await Promise.all(
    monitors.map(async (settings): Promise<NamedBacktest> => {
      const name = settings.monitorName
      try {
        refuseUnreplayable(settings)
      } catch (error) {
        return { name, error: errorMessage(error).replace(/^Input "backtest": /, '') }
      }
      try {
        return { name, result: await runBacktest(settings, logs, deps, logs.clock.now()) }
      } catch (error) {
        if (monitors.length === 1) throw error
        failures.push(`rule "${name}": ${errorMessage(error)}`)
        return { name, error: `failed: ${errorMessage(error)}` }
      }
    }),
  ).finally(() => logs.client.destroy())
  addBacktestSummary(list, runner.summary)
  await runner.summary.write()
  try {
    await postPullRequestComment({ body: backtestMarkdown(list), key }, stepWide, deps)
  } catch (error) {
    failures.push(errorMessage(error))
  }
  if (failures.length > 0) runner.setFailed(`The backtest did not complete: ${failures.join('; ')}`)
}
