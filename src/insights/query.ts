/**
 * One CloudWatch Logs Insights query: start it, poll it until it ends, fetch every page of its
 * result up to a row cap, and stop it when it runs out of time or the run is cancelled.
 */

import {
  type QueryStatistics as AwsQueryStatistics,
  GetQueryResultsCommand,
  type GetQueryResultsCommandOutput,
  type ResultField,
  StartQueryCommand,
  type StartQueryCommandInput,
  type StartQueryCommandOutput,
  StopQueryCommand,
  type StopQueryCommandOutput,
} from '@aws-sdk/client-cloudwatch-logs'
import { errorMessage } from '../errors.js'
import { formatBytes, formatDuration, isoSecond, seconds } from '../format.js'
import {
  backoffDelay,
  createRequestLimits,
  errorCode,
  isThrottlingError,
  pauseUnlessAborted,
  type RequestLimits,
} from './throttle.js'
import type { QueryLanguage, QueryStatistics } from './types.js'
import type { Window } from './window.js'

export type { ResultField }

export interface InsightsQuery {
  /** At most 50 (StartQuery's limit): names, or ARNs. */
  logGroups: string[]
  queryString: string
  queryLanguage: QueryLanguage
  window: Window
  /** Stop fetching pages once this many rows are held. */
  maxRows: number
  /**
   * StartQuery's `limit`, passed only when set. Without it (and without a `limit` command in the
   * query) the service returns at most 10,000 rows (CWL_QuerySyntax-Limit: "If you omit limit, the
   * query defaults to returning up to 10,000 log events"); up to 100,000 for CWLI only.
   */
  limit?: number
}

export interface InsightsResult {
  queryId: string
  rows: ResultField[][]
  /** From the Complete response: they count the whole result, even when rows are capped. */
  statistics: QueryStatistics
  /** More rows exist than were fetched (maxRows reached while a nextToken remained). */
  rowsCapped: boolean
}

/** The part of `CloudWatchLogsClient` this module uses; the real client satisfies it. */
export interface InsightsClient {
  send(command: StartQueryCommand): Promise<StartQueryCommandOutput>
  send(command: GetQueryResultsCommand): Promise<GetQueryResultsCommandOutput>
  send(command: StopQueryCommand): Promise<StopQueryCommandOutput>
}

export interface QueryDeps {
  client: InsightsClient
  /** Epoch milliseconds. */
  now: () => number
  sleep: (ms: number) => Promise<void>
  /** Progress lines (core.info). */
  log: (line: string) => void
  /** The query-timeout setting: the query is stopped when it is still pending after this long. */
  timeoutMs: number
  /** Aborting stops a pending query (StopQuery) and makes the call throw. */
  signal?: AbortSignal
  /**
   * Request-rate limits shared by every query of a run, so that together they stay under the
   * account's quotas; a query given none gets its own.
   */
  limits?: RequestLimits
  /** Uniform in [0, 1), for backoff jitter; Math.random when not given. */
  random?: () => number
}

export type QueryErrorKind =
  /** StartQuery refused the query string (MalformedQueryException). */
  | 'malformed'
  /** StartQuery did not find a log group (ResourceNotFoundException). */
  | 'not-found'
  /** StartQuery failed otherwise (access denied, …). */
  | 'start'
  /**
   * StartQuery refused the `limit` parameter: a service (or partition) whose maximum is still 10,000
   * rows. `acceptedLimit` holds the maximum its message names, when it names one.
   */
  | 'limit'
  /** StartQuery or GetQueryResults stayed throttled until query-timeout ran out. */
  | 'throttled'
  /** GetQueryResults failed. */
  | 'results'
  /** The query ended with a status other than Complete. */
  | 'status'
  /** The query was still pending when query-timeout ran out, and was stopped. */
  | 'timeout'
  /** The signal aborted (the run was cancelled). */
  | 'aborted'

export class QueryError extends Error {
  readonly kind: QueryErrorKind
  readonly queryId?: string
  /** The last status GetQueryResults reported, when there was one. */
  readonly status?: string
  readonly query: string
  readonly logGroups: string[]
  /** For kind 'limit': the largest `limit` the service said it accepts. */
  readonly acceptedLimit?: number

  constructor(
    message: string,
    details: {
      kind: QueryErrorKind
      query: string
      logGroups: string[]
      queryId?: string | undefined
      status?: string | undefined
      acceptedLimit?: number | undefined
      cause?: unknown
    },
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause })
    this.name = 'QueryError'
    this.kind = details.kind
    this.query = details.query
    this.logGroups = details.logGroups
    if (details.queryId !== undefined) this.queryId = details.queryId
    if (details.status !== undefined) this.status = details.status
    if (details.acceptedLimit !== undefined) this.acceptedLimit = details.acceptedLimit
  }
}

/** Milliseconds before the first poll: most small queries finish within a few hundred. */
export const FIRST_POLL_DELAY_MS = 100
/** Each poll waits this much longer than the one before, up to the cap. */
export const POLL_BACKOFF = 1.5
/**
 * Polls never wait longer than this. With the growth above a query makes at most 4 polls in its
 * first second and 1 a second after, under GetQueryResults' 5 TPS quota (per account; gogama/incite
 * `RPSQuotaLimits`, incite issue #14 — not on an official page retrieved).
 */
export const MAX_POLL_DELAY_MS = 1000
/** Result pages are fetched back to back; at least this far apart keeps them under 5 TPS too. */
export const MIN_PAGE_INTERVAL_MS = 200

const PENDING = new Set(['Scheduled', 'Running'])

/** A query that reached Complete: its statistics and the rows of the Complete response. */
export interface CompletedQuery {
  queryId: string
  /** From the Complete response: they count the whole result, even when rows are capped. */
  statistics: QueryStatistics
  /** The rows of the Complete response: the first page when the service pages. */
  rows: ResultField[][]
  /** Where the next page starts, when the service pages (GetQueryResults with nextToken). */
  nextToken?: string
  /** deps.now() at the first StartQuery attempt. */
  startedAt: number
  /** startedAt + query-timeout: starting, running and fetching this query end by then. */
  deadline: number
}

/** What fetchPages did. */
export interface PagesFetched {
  /** Responses read, the Complete one included. */
  pages: number
  /** Set when fetching stopped (wantMore said no) while the service had more pages. */
  nextToken?: string
}

/** Runs one query to the end and returns its rows, at most query.maxRows of them. */
export async function runInsightsQuery(query: InsightsQuery, deps: QueryDeps): Promise<InsightsResult> {
  const shared: QueryDeps = deps.limits ? deps : { ...deps, limits: createRequestLimits(deps) }
  const completed = await completeQuery(query, shared)
  let rows = completed.rows
  const fetched = await fetchPages(query, completed, shared, {
    wantMore: () => rows.length < query.maxRows,
    onPage: (page) => {
      rows = rows.concat(page)
    },
  })
  const rowsCapped =
    rows.length > query.maxRows || (rows.length >= query.maxRows && fetched.nextToken !== undefined)
  if (rows.length > query.maxRows) rows = rows.slice(0, query.maxRows)
  const { queryId, statistics } = completed
  deps.log(
    `Insights query ${queryId} complete in ${seconds(deps.now() - completed.startedAt)}: ${rows.length} rows` +
      `${fetched.pages > 1 ? ` in ${fetched.pages} pages` : ''}${rowsCapped ? ` (capped at ${query.maxRows}; more exist)` : ''}; ` +
      describeStatistics(statistics),
  )
  return { queryId, rows, statistics, rowsCapped }
}

/**
 * Starts the query (backing off while throttled) and polls it until it is Complete. Throws a
 * QueryError when it fails, ends otherwise, outlives query-timeout (stopped with StopQuery) or the
 * signal aborts (stopped too).
 */
export async function completeQuery(query: InsightsQuery, deps: QueryDeps): Promise<CompletedQuery> {
  const { client, log, signal } = deps
  const limits = deps.limits ?? createRequestLimits(deps)
  const random = deps.random ?? Math.random
  const groups = describeGroups(query.logGroups)
  const fail = failer(query)

  if (signal?.aborted) {
    throw fail(`Insights query not started: the run was cancelled (log groups: ${groups}).`, {
      kind: 'aborted',
    })
  }

  const startedAt = deps.now()
  const deadline = startedAt + deps.timeoutMs
  const queryId = await startWithBackoff(query, deps, limits, random, deadline)
  log(
    `Insights query ${queryId} started: ${query.queryLanguage} over ${groups}, ` +
      `${isoSecond(query.window.start)} to ${isoSecond(query.window.end)}` +
      (query.limit === undefined ? '' : ` (limit ${query.limit})`),
  )

  const stop = (why: string) => stopQuery(queryId, why, deps)
  const abortedError = (status: string | undefined) =>
    fail(`Insights query ${queryId} was stopped: the run was cancelled (log groups: ${groups}).`, {
      kind: 'aborted',
      queryId,
      status,
    })

  // Poll until the query leaves Scheduled/Running. Rows returned while Running are partial
  // (GetQueryResults doc: "If the value of the Status field in the output is Running, this
  // operation returns only partial results"), so only the Complete response's rows are kept.
  let delay = FIRST_POLL_DELAY_MS
  let wait = delay
  let throttled = 0
  let status: string | undefined
  for (;;) {
    await pause(deps, Math.min(wait, Math.max(0, deadline - deps.now())))
    if (signal?.aborted) {
      await stop('the run was cancelled')
      throw abortedError(status)
    }
    await limits.getQueryResults.take()
    if (signal?.aborted) {
      await stop('the run was cancelled')
      throw abortedError(status)
    }

    let response: GetQueryResultsCommandOutput
    try {
      response = await client.send(new GetQueryResultsCommand({ queryId }))
    } catch (error) {
      if (isThrottlingError(error)) {
        // Beyond the SDK's own retries: wait with jitter, as long as query-timeout allows.
        const backoff = backoffDelay(throttled, random)
        throttled += 1
        if (deps.now() + backoff < deadline) {
          log(
            `Insights query ${queryId}: GetQueryResults throttled (${errorCode(error)}); polling again in ${seconds(backoff)}.`,
          )
          wait = backoff
          continue
        }
        await stop('GetQueryResults stayed throttled')
        throw throttledError('GetQueryResults', error, throttled, deps, startedAt, fail, { queryId, status })
      }
      // The SDK has retried already; left running, the query would hold one of the account's
      // concurrent-query slots for up to 60 minutes.
      await stop('GetQueryResults failed')
      throw fail(
        `GetQueryResults failed for Insights query ${queryId} (log groups: ${groups}): ${errorMessage(error)}`,
        { kind: 'results', queryId, status, cause: error },
      )
    }
    throttled = 0

    const elapsed = deps.now() - startedAt
    if (response.status !== status) {
      status = response.status
      log(`Insights query ${queryId}: ${status ?? 'no status'} after ${seconds(elapsed)}`)
    }
    if (status === 'Complete') {
      const completed: CompletedQuery = {
        queryId,
        statistics: toStatistics(response.statistics),
        rows: response.results ?? [],
        startedAt,
        deadline,
      }
      if (response.nextToken) completed.nextToken = response.nextToken
      return completed
    }
    if (status === undefined || !PENDING.has(status)) {
      throw fail(
        `Insights query ${queryId} ended with status ${status ?? '(none)'} (log groups: ${groups})`,
        { kind: 'status', queryId, status },
      )
    }
    if (deps.now() >= deadline) {
      await stop('query-timeout ran out')
      throw fail(
        `Insights query ${queryId} was stopped after ${seconds(elapsed)}, still ${status}: it ran out of the ` +
          `query-timeout (${timeoutText(deps.timeoutMs)}). Raise the query-timeout input, or narrow the query ` +
          `or the log groups (log groups: ${groups}).`,
        { kind: 'timeout', queryId, status },
      )
    }
    delay = Math.min(delay * POLL_BACKOFF, MAX_POLL_DELAY_MS)
    wait = delay
  }
}

/**
 * Fetches the pages after the Complete response, while `wantMore()` says so, handing each page's rows
 * to `onPage` and keeping none. Results come in pages of up to 10,000 rows via nextToken
 * (GetQueryResults doc, in SDKs from 2026-04); older services return everything in one response with
 * no token, and then there is nothing to fetch.
 */
export async function fetchPages(
  query: InsightsQuery,
  completed: CompletedQuery,
  deps: QueryDeps,
  handler: { wantMore: () => boolean; onPage: (rows: ResultField[][]) => void },
): Promise<PagesFetched> {
  const { client, log, signal } = deps
  const { queryId } = completed
  const limits = deps.limits ?? createRequestLimits(deps)
  const random = deps.random ?? Math.random
  const groups = describeGroups(query.logGroups)
  const fail = failer(query)
  let nextToken = completed.nextToken
  let pages = 1
  let throttled = 0
  let lastRequestAt = deps.now()
  while (nextToken && handler.wantMore()) {
    await pause(deps, Math.max(0, lastRequestAt + MIN_PAGE_INTERVAL_MS - deps.now()))
    if (!signal?.aborted) await limits.getQueryResults.take()
    if (signal?.aborted) {
      throw fail(`Insights query ${queryId}: fetching its results stopped: the run was cancelled.`, {
        kind: 'aborted',
        queryId,
        status: 'Complete',
      })
    }
    lastRequestAt = deps.now()
    let page: GetQueryResultsCommandOutput
    try {
      page = await client.send(new GetQueryResultsCommand({ queryId, nextToken }))
    } catch (error) {
      if (isThrottlingError(error)) {
        const backoff = backoffDelay(throttled, random)
        throttled += 1
        if (deps.now() + backoff < completed.deadline) {
          log(
            `Insights query ${queryId}: page ${pages + 1} throttled (${errorCode(error)}); retrying in ${seconds(backoff)}.`,
          )
          await pause(deps, backoff)
          continue
        }
        throw throttledError('GetQueryResults', error, throttled, deps, completed.startedAt, fail, {
          queryId,
          status: 'Complete',
        })
      }
      throw fail(
        `GetQueryResults failed for page ${pages + 1} of Insights query ${queryId} (log groups: ${groups}): ` +
          errorMessage(error),
        { kind: 'results', queryId, status: 'Complete', cause: error },
      )
    }
    throttled = 0
    pages += 1
    const rows = page.results ?? []
    if (page.nextToken === nextToken && rows.length === 0) {
      // An empty page handing back the same token would otherwise be fetched forever.
      log(`Insights query ${queryId}: page ${pages} was empty and repeated its nextToken; stopped paging.`)
      nextToken = undefined
      break
    }
    nextToken = page.nextToken
    handler.onPage(rows)
  }
  return nextToken ? { pages, nextToken } : { pages }
}

/** One-line statistics for the log. */
export function describeStatistics(statistics: QueryStatistics): string {
  return (
    `${statistics.recordsMatched} records matched, ${statistics.recordsScanned} scanned, ` +
    `${formatBytes(statistics.bytesScanned)} scanned`
  )
}

/** Stops a query, logging (not throwing) when that fails: the error that caused it matters more. */
async function stopQuery(queryId: string, why: string, deps: QueryDeps): Promise<void> {
  try {
    await deps.client.send(new StopQueryCommand({ queryId }))
    deps.log(`Insights query ${queryId} stopped (${why}).`)
  } catch (error) {
    // StopQuery errors when the query ended meanwhile ("the specified query is not running",
    // StopQuery API doc).
    deps.log(`Insights query ${queryId}: StopQuery failed (${why}): ${errorMessage(error)}`)
  }
}

type Fail = (
  message: string,
  details: Omit<ConstructorParameters<typeof QueryError>[1], 'query' | 'logGroups'>,
) => QueryError

function failer(query: InsightsQuery): Fail {
  return (message, details) =>
    new QueryError(message, { ...details, query: query.queryString, logGroups: query.logGroups })
}

/**
 * StartQuery, retried with full-jitter backoff while the service throttles it, for as long as
 * query-timeout allows counting from the first attempt. The SDK's standard retry strategy has already
 * made its own attempts (3 by default) for each call that reaches here.
 */
async function startWithBackoff(
  query: InsightsQuery,
  deps: QueryDeps,
  limits: RequestLimits,
  random: () => number,
  deadline: number,
): Promise<string> {
  const groups = describeGroups(query.logGroups)
  const fail = failer(query)
  const startedAt = deps.now()
  let attempts = 0
  for (;;) {
    await limits.startQuery.take()
    if (deps.signal?.aborted) {
      throw fail(`Insights query not started: the run was cancelled (log groups: ${groups}).`, {
        kind: 'aborted',
      })
    }
    attempts += 1
    let error: unknown
    try {
      const started = await deps.client.send(new StartQueryCommand(startQueryInput(query)))
      if (started.queryId) return started.queryId
      error = new Error('StartQuery returned no queryId')
    } catch (thrown) {
      error = thrown
    }
    if (!isThrottlingError(error)) throw startError(error, query, groups, fail)
    const backoff = backoffDelay(attempts - 1, random)
    if (deps.now() + backoff >= deadline) {
      throw throttledError('StartQuery', error, attempts, deps, startedAt, fail, {})
    }
    deps.log(
      `StartQuery throttled (${errorCode(error)}: ${errorMessage(error)}) for ${groups}; ` +
        `trying again in ${seconds(backoff)} (attempt ${attempts + 1}).`,
    )
    await pause(deps, backoff)
  }
}

function throttledError(
  action: 'StartQuery' | 'GetQueryResults',
  error: unknown,
  attempts: number,
  deps: QueryDeps,
  since: number,
  fail: Fail,
  ids: { queryId?: string; status?: string | undefined },
): QueryError {
  const code = errorCode(error) ?? 'throttled'
  const why =
    code === 'LimitExceededException' && action === 'StartQuery'
      ? "the account's concurrent Insights queries (100 per account and region, dashboards and scheduled " +
        'queries included) stayed in use'
      : `the account's ${action} request rate (about 5 a second) stayed exceeded`
  return fail(
    `${action} was throttled (${code}: ${errorMessage(error)}) ${attempts} times over ` +
      `${seconds(deps.now() - since)}, beyond the AWS SDK's own retries: ${why}. Gave up before the ` +
      `query-timeout (${timeoutText(deps.timeoutMs)}) ran out. Raise the query-timeout input, or run this ` +
      `monitor when fewer queries run in the account.`,
    { kind: 'throttled', ...ids, cause: error },
  )
}

function startQueryInput(query: InsightsQuery): StartQueryCommandInput {
  const input: StartQueryCommandInput = {
    startTime: query.window.start,
    endTime: query.window.end,
    queryString: query.queryString,
    queryLanguage: query.queryLanguage,
  }
  // logGroupNames takes names only; logGroupIdentifiers takes names or ARNs (and ARNs are needed
  // for cross-account queries) — StartQuery API doc. SQL takes neither: its FROM names the groups
  // (checked against log-group-names in settings.ts): "The exception is queries using the OpenSearch
  // Service SQL query language, where you specify the log group names inside the querystring instead
  // of here" (StartQuery, logGroupNames).
  const sql = query.queryLanguage === 'SQL'
  if (!sql && query.logGroups.some((group) => group.startsWith('arn:'))) {
    input.logGroupIdentifiers = query.logGroups
  } else if (!sql) {
    input.logGroupNames = query.logGroups
  }
  if (query.limit !== undefined) input.limit = query.limit
  return input
}

function startError(error: unknown, query: InsightsQuery, groups: string, fail: Fail): QueryError {
  const name = (error as { name?: unknown } | null)?.name
  if (
    query.limit !== undefined &&
    (name === 'InvalidParameterException' || name === 'ValidationException') &&
    /\blimit\b/i.test(errorMessage(error))
  ) {
    // The 100,000 maximum came in 2026-05 (service model EventsLimitStartQuery); a service without it
    // answers a validation error such as "Value '100000' at 'limit' failed to satisfy constraint:
    // Member must have value less than or equal to 10000".
    const named = /(?:less than or equal to|between 1 and)\s+([\d,]+)/i.exec(errorMessage(error))?.[1]
    const acceptedLimit = named === undefined ? undefined : Number(named.replace(/,/g, ''))
    return fail(`StartQuery refused limit ${query.limit}: ${errorMessage(error)}`, {
      kind: 'limit',
      cause: error,
      acceptedLimit:
        acceptedLimit !== undefined && Number.isInteger(acceptedLimit) ? acceptedLimit : undefined,
    })
  }
  if (name === 'MalformedQueryException') {
    // queryCompileError is documented as "Reserved" but, when present, says where the error is.
    const compile = (
      error as { queryCompileError?: { message?: string; location?: { startCharOffset?: number } } }
    ).queryCompileError
    const where = compile?.location?.startCharOffset
    const detail =
      compile?.message && compile.message !== errorMessage(error)
        ? ` (${compile.message}${where === undefined ? '' : ` at character ${where}`})`
        : ''
    return fail(`The query is malformed: ${errorMessage(error)}${detail}\nQuery: ${query.queryString}`, {
      kind: 'malformed',
      cause: error,
    })
  }
  if (name === 'ResourceNotFoundException') {
    return fail(
      `StartQuery could not find the log groups: ${errorMessage(error)}. Check the names in log-group-names ` +
        `and that aws-region is the region they are in (log groups: ${groups}).`,
      { kind: 'not-found', cause: error },
    )
  }
  return fail(`StartQuery failed for log groups ${groups}: ${errorMessage(error)}`, {
    kind: 'start',
    cause: error,
  })
}

function toStatistics(statistics: AwsQueryStatistics | undefined): QueryStatistics {
  return {
    recordsMatched: statistics?.recordsMatched ?? 0,
    recordsScanned: statistics?.recordsScanned ?? 0,
    bytesScanned: statistics?.bytesScanned ?? 0,
  }
}

/** Sleeps, but wakes as soon as the signal aborts, so a cancelled run stops its query at once. */
function pause(deps: QueryDeps, ms: number): Promise<void> {
  return pauseUnlessAborted(deps.sleep, ms, deps.signal)
}

/** Up to 10 names, so a 50-group batch does not swamp a Slack error message. */
/** The first `count` log groups by name, and how many more there are. */
export function describeGroups(groups: readonly string[], count = 10): string {
  const shown = groups.slice(0, count).join(', ')
  return groups.length > count ? `${shown} and ${groups.length - count} more` : shown
}

function timeoutText(ms: number): string {
  return ms % 1000 === 0 ? formatDuration(ms / 1000) : `${ms} ms`
}
