/**
 * Step 4: the query over the window, in batches of log groups, each row taken in as it comes: new
 * entries to the digest and the results file, entries an earlier run reported left out.
 */
import { AggregateBuilder } from '../aggregate.js'
import { ReportedEntries } from '../dedup.js'
import { type Digest, DigestBuilder } from '../digest.js'
import { errorMessage } from '../errors.js'
import { count, isoSecond } from '../format.js'
import { type BatchedResult, batchCount, runBatchedQuery } from '../insights/batches.js'
import { describeGroups } from '../insights/query-errors.js'
import { boundByTimestamp, queryToRun, queryWindow } from '../insights/query-rewrite.js'
import { usesFilterIndex } from '../insights/source.js'
import type { QueryRun, ResultField } from '../insights/types.js'
import { type GroupListClient, type Unanalyzed, unanalyzedGroups } from '../insights/unanalyzed.js'
import type { Window } from '../insights/window.js'
import { type IntakeSinks, RowIntake } from '../intake.js'
import { ResultsFile, resultsFilePath } from '../outputs.js'
import {
  type MatchCounts,
  MatchTally,
  type RequestCounts,
  RequestTally,
  requestCountQuery,
} from '../rates.js'
import type { StepDeps } from '../run-deps.js'
import type { Runner } from '../runner.js'
import { logGroupSource, type Settings } from '../settings.js'
import { SignatureTally, type WindowSignature } from '../signatures.js'
import type { LogsConnection } from './logs-connection.js'
import type { RunPlan } from './plan.js'

export interface QueryOutcome extends BatchedResult {
  /**
   * Every batch of log groups was checked. When one failed, "nothing found" proves nothing: the
   * checkpoint stays, no episode resolves, and the step fails once the others are reported.
   */
  complete: boolean
  /** What the run found: the new entries' digest, or an aggregate's table. */
  found: Digest
  /** Fingerprints of what this run and earlier ones reported, for the checkpoint. */
  reported: ReportedEntries
  /** Rows the query returned that an earlier run had reported (found again in the overlap). */
  alreadyReported: number
  /** Matching records not fetched (past max-results), counted from the statistics: 0 for an aggregate. */
  unfetched: number
  resultsFile: string
  /**
   * `new-signatures` on a record query: each signature of the new entries, with its count and first
   * and last time; `untracked`, entries whose signature the bounded tally could not keep.
   */
  signatures?: { found: WindowSignature[]; untracked: number }
  /** `rate-thresholds`: the window's requests, counted alongside, and its matches (record queries). */
  requests?: RequestsCounted
}

/** The request count query's answer (rates.ts), and the matches of a record query to set against it. */
interface RequestsCounted {
  counts: RequestCounts
  /** Each batch's count query, for the cost. */
  queries: QueryRun[]
  failures: BatchedResult['failures']
  /** The record query's entries in the window, new or not; undefined for an aggregate query. */
  matched?: MatchCounts
}

export async function runQuery(
  settings: Settings,
  plan: RunPlan,
  logs: LogsConnection,
  deps: StepDeps,
): Promise<QueryOutcome> {
  const { window, shape } = plan
  const sinks = intakeSinks(settings, plan, new ResultsFile(resultsFilePath(deps.env, settings.ruleKey)))
  const intake = windowIntake(settings, plan, sinks)
  let result: BatchedResult
  let requests: RequestsCounted | undefined
  try {
    ;[result, requests] = await deps.runner.group(
      `Query ${isoSecond(window.start)} – ${isoSecond(window.end)}`,
      () =>
        Promise.all([
          runBatchedQuery(
            {
              logGroups: settings.logGroups,
              ...sourceOf(settings),
              // Read again from the query run, which may carry @timestamp where the user's did not.
              queryString: queryToRun(settings.query, shape, window),
              queryLanguage: settings.queryLanguage,
              window: queryWindow(shape, window),
              maxRows: settings.maxResults,
            },
            {
              ...queryDepsOf(settings, logs, deps),
              log: deps.runner.info,
              onRows: (rows) => intake.take(rows),
            },
          ),
          settings.rates ? countRequests(settings, plan, logs, deps) : undefined,
        ]),
    )
  } finally {
    sinks.resultsFile.close()
  }
  await warnFilterIndexSkips(settings, result.queries, logs.client, deps)
  return outcomeOf(result, sinks, intake, requests)
}

/**
 * A window's rows fetched already (the backtest's one query over its whole period) taken in as
 * runQuery takes a query's: the same dedup against the plan's checkpoint, the same digest and
 * signatures, so a replayed run finds what the scheduled run would have. No results file, no rates.
 */
export function takeFetchedRows(
  settings: Settings,
  plan: RunPlan,
  rows: readonly (readonly ResultField[])[],
): QueryOutcome {
  const sinks = intakeSinks(settings, plan, { add: () => {}, close: () => {}, path: '' })
  const intake = windowIntake(settings, plan, sinks)
  intake.take(rows)
  const statistics = { recordsMatched: rows.length, recordsScanned: 0, bytesScanned: 0 }
  return outcomeOf(
    { queries: [], statistics, rowsFetched: rows.length, truncated: false, failures: [] },
    sinks,
    intake,
    undefined,
  )
}

type Sinks = ReturnType<typeof intakeSinks>

function windowIntake(settings: Settings, plan: RunPlan, sinks: Sinks): RowIntake {
  return new RowIntake(sinks, { statusField: settings.statusField, fallbackSecond: plan.window.end })
}

/** The run's outcome once every row was taken in. */
function outcomeOf(
  result: BatchedResult,
  sinks: Sinks,
  intake: RowIntake,
  requests: RequestsCounted | undefined,
): QueryOutcome {
  const { reported, digest, aggregate, resultsFile, signatures, matches } = sinks
  if (requests && matches) requests.matched = matches.build()
  const found = aggregate ? aggregate.build(result.statistics, !result.truncated) : digest.build()
  return {
    ...(signatures ? { signatures: { found: signatures.build(), untracked: signatures.untracked } } : {}),
    ...(requests ? { requests } : {}),
    ...result,
    complete: result.failures.length === 0 && (requests?.failures.length ?? 0) === 0,
    found,
    reported,
    alreadyReported: aggregate ? 0 : intake.matched - found.total,
    // (An aggregate's total already counts records, fetched or not.)
    unfetched:
      result.truncated && !aggregate ? Math.max(0, result.statistics.recordsMatched - result.rowsFetched) : 0,
    resultsFile: resultsFile.path,
  }
}

/** Where each row of the query goes: what the intake fills, one sink per thing the run reports. */
function intakeSinks(
  settings: Settings,
  plan: RunPlan,
  resultsFile: Pick<ResultsFile, 'add' | 'close' | 'path'>,
) {
  const { window, shape, previous } = plan
  return {
    // A checkpoint saved by a record query carries fingerprints; an aggregate run has no use for them.
    reported: new ReportedEntries(shape.records ? previous?.reported : undefined),
    digest: new DigestBuilder(settings),
    aggregate: shape.records ? undefined : new AggregateBuilder(shape, settings.statusField),
    resultsFile,
    // An aggregate's rows are groups, not entries: they have no signature.
    signatures:
      settings.signatures && shape.records
        ? new SignatureTally(settings.signatures.fields, window.end)
        : undefined,
    // Every entry of the window, reported before or not, is a match of its rate.
    matches: settings.rates && shape.records ? new MatchTally(settings.rates.routeFields, window) : undefined,
  } satisfies Record<keyof IntakeSinks, unknown>
}

/** Rows of the request count query kept at most: one per route, far more than an API has. */
const MAX_ROUTE_ROWS = 10_000

/**
 * `rate-thresholds`: every request of the window, per route, by one aggregate query per batch of log
 * groups, run alongside the main query; cut by `@timestamp` to the window exactly.
 */
async function countRequests(
  settings: Settings,
  plan: RunPlan,
  logs: LogsConnection,
  deps: StepDeps,
): Promise<RequestsCounted> {
  const routeFields = settings.rates?.routeFields ?? []
  const tally = new RequestTally(routeFields)
  const result = await runOwnQuery(
    {
      queryString: requestCountQuery(routeFields),
      window: plan.window,
      maxRows: MAX_ROUTE_ROWS,
      label: 'Requests',
    },
    (row) => tally.add(row),
    settings,
    logs,
    deps,
  )
  return {
    counts: tally.build(result.statistics.recordsMatched, !result.truncated),
    queries: result.queries,
    failures: result.failures,
  }
}

/** Log groups named in a filterIndex warning at most; the rest are counted. */
const SHOWN_SKIPPED_GROUPS = 5

const FILTER_INDEX_CAVEAT =
  'filterIndex skips a log group that has no field index on its field, and says nothing about it (it also skips an indexed group with no event carrying the field, which loses nothing)'

/**
 * A query with `filterIndex` over groups chosen by prefix: the groups it did not analyze, named in a
 * warning (ListLogGroupsForQuery against DescribeLogGroups). Two more kinds of call, so only then.
 */
export async function warnFilterIndexSkips(
  settings: Pick<Settings, 'query' | 'logGroupPrefixes' | 'sourceAccounts'>,
  queries: readonly QueryRun[],
  client: GroupListClient,
  deps: { runner: Pick<Runner, 'info' | 'warning'>; signal?: AbortSignal | undefined },
): Promise<void> {
  const source = logGroupSource(settings)
  if (!source || !usesFilterIndex(settings.query)) return
  // The whole-window query comes first; a split's parts analyze the same groups.
  const query = queries.find((run) => run.source)
  if (!query) return // the prefix query failed, and says so itself
  const title = 'insights-watch: log groups skipped by filterIndex'
  let found: Unanalyzed
  try {
    found = await unanalyzedGroups(client, query.queryId, source, deps.signal)
  } catch (error) {
    if (deps.signal?.aborted) throw error
    deps.runner.warning(
      `${FILTER_INDEX_CAVEAT}. Whether it skipped any of the groups log-group-prefixes selects could not be checked: ListLogGroupsForQuery or DescribeLogGroups failed (${errorMessage(error)}); the role needs logs:ListLogGroupsForQuery and logs:DescribeLogGroups (in the monitoring account) for the check.`,
      { title },
    )
    return
  }
  const selected = `${count(found.selected)}${found.complete ? '' : ' (listed at most)'}`
  if (found.skipped.length === 0) {
    deps.runner.info(
      `filterIndex: Insights query ${query.queryId} analyzed every one of the ${selected} log groups log-group-prefixes selects.`,
    )
    return
  }
  const shown = found.skipped.slice(0, SHOWN_SKIPPED_GROUPS)
  const more = found.skipped.length - shown.length
  deps.runner.warning(
    `${count(found.skipped.length)} of the ${selected} log groups log-group-prefixes selects were not analyzed by Insights query ${query.queryId}: ${shown.join(', ')}${more > 0 ? ` and ${count(more)} more` : ''}. ${FILTER_INDEX_CAVEAT}: entries of an unindexed group are not in this report. Create a field index on the field in those groups, or use filter instead of filterIndex.`,
    { title },
  )
}

/** `{ source }` when log-group-prefixes selects groups, else nothing. */
export function sourceOf(settings: Settings) {
  const source = logGroupSource(settings)
  return source ? { source } : {}
}

/** What every query of the run hands runBatchedQuery: the client, the clock, the timeout, cancellation. */
export function queryDepsOf(settings: Settings, logs: LogsConnection, deps: StepDeps) {
  return {
    client: logs.client,
    now: deps.now,
    sleep: deps.sleep,
    timeoutMs: settings.queryTimeoutMs,
    limits: logs.limits,
    ...(logs.pool ? { pool: logs.pool } : {}),
    ...(deps.signal ? { signal: deps.signal } : {}),
  }
}

/**
 * One of the queries the action writes itself (the request count, the baseline): Logs Insights QL,
 * whatever `query-language` is, over every log group in batches, cut to `window` by `@timestamp`
 * exactly as an aggregate query is (query-rewrite.ts); each row handed to `take`, each log line
 * prefixed with `label`.
 */
export function runOwnQuery(
  own: { queryString: string; window: Window; maxRows: number; label: string },
  take: (row: ResultField[]) => void,
  settings: Settings,
  logs: LogsConnection,
  deps: StepDeps,
): Promise<BatchedResult> {
  return runBatchedQuery(
    {
      logGroups: settings.logGroups,
      ...sourceOf(settings),
      queryString: boundByTimestamp(own.queryString, own.window),
      queryLanguage: 'CWLI',
      window: own.window,
      maxRows: own.maxRows,
    },
    {
      ...queryDepsOf(settings, logs, deps),
      log: (line) => deps.runner.info(`${own.label}: ${line}`),
      onRows: (rows) => {
        for (const row of rows) take(row)
      },
    },
  )
}

/** Why an incomplete run fails the step, naming each failed batch; undefined when every batch was checked. */
/** A failed batch in the step's error: its number, its first log groups, and what went wrong. */
export function describeBatchFailure(failure: BatchedResult['failures'][number]): string {
  return `batch ${failure.batch + 1} (${describeGroups(failure.logGroups, 3)}): ${failure.error.message}`
}

export function incompleteQueryError(outcome: QueryOutcome, settings: Settings): Error | undefined {
  if (outcome.complete) return undefined
  const batches = batchCount({ ...settings, ...sourceOf(settings) })
  const said: string[] = []
  if (outcome.failures.length > 0) {
    said.push(
      `${outcome.failures.length} of ${batches} query batches failed; the others were reported. ${outcome.failures.map(describeBatchFailure).join(' ')}`,
    )
  }
  const countFailures = outcome.requests?.failures ?? []
  if (countFailures.length > 0) {
    said.push(
      `${countFailures.length} of ${batches} request count queries (rate-thresholds) failed, so the window's rates were not judged; the next run checks the window again. ${countFailures.map(describeBatchFailure).join(' ')}`,
    )
  }
  return new Error(said.join(' '))
}
