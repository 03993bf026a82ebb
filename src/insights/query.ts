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
import type { QueryStatistics } from '../report.js'
import { formatDuration, type QueryLanguage } from '../settings.js'
import { isoSecond, type Window } from './window.js'

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
}

export type QueryErrorKind =
  /** StartQuery refused the query string (MalformedQueryException). */
  | 'malformed'
  /** StartQuery did not find a log group (ResourceNotFoundException). */
  | 'not-found'
  /** StartQuery failed otherwise (access denied, throttled after retries, …). */
  | 'start'
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

  constructor(
    message: string,
    details: {
      kind: QueryErrorKind
      query: string
      logGroups: string[]
      queryId?: string | undefined
      status?: string | undefined
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

export async function runInsightsQuery(query: InsightsQuery, deps: QueryDeps): Promise<InsightsResult> {
  const { client, log, signal } = deps
  const groups = describeGroups(query.logGroups)
  const fail = (
    message: string,
    details: Omit<ConstructorParameters<typeof QueryError>[1], 'query' | 'logGroups'>,
  ) => new QueryError(message, { ...details, query: query.queryString, logGroups: query.logGroups })

  if (signal?.aborted) {
    throw fail(`Insights query not started: the run was cancelled (log groups: ${groups}).`, {
      kind: 'aborted',
    })
  }

  const startedAt = deps.now()
  let queryId: string
  try {
    const started = await client.send(new StartQueryCommand(startQueryInput(query)))
    if (!started.queryId) throw new Error('StartQuery returned no queryId')
    queryId = started.queryId
  } catch (error) {
    throw startError(error, query, groups, fail)
  }
  log(
    `Insights query ${queryId} started: ${query.queryLanguage} over ${groups}, ` +
      `${isoSecond(query.window.start)} to ${isoSecond(query.window.end)}`,
  )

  const stop = async (why: string): Promise<void> => {
    try {
      await client.send(new StopQueryCommand({ queryId }))
      log(`Insights query ${queryId} stopped (${why}).`)
    } catch (error) {
      // StopQuery errors when the query ended meanwhile ("the specified query is not running",
      // StopQuery API doc); the error being thrown matters more than this one.
      log(`Insights query ${queryId}: StopQuery failed (${why}): ${messageOf(error)}`)
    }
  }
  const abortedError = (status: string | undefined) =>
    fail(`Insights query ${queryId} was stopped: the run was cancelled (log groups: ${groups}).`, {
      kind: 'aborted',
      queryId,
      status,
    })

  // Poll until the query leaves Scheduled/Running. Rows returned while Running are partial
  // (GetQueryResults doc: "If the value of the Status field in the output is Running, this
  // operation returns only partial results"), so only the Complete response's rows are kept.
  const deadline = startedAt + deps.timeoutMs
  let delay = FIRST_POLL_DELAY_MS
  let status: string | undefined
  let complete: GetQueryResultsCommandOutput
  for (;;) {
    await pause(deps, Math.min(delay, Math.max(0, deadline - deps.now())))
    delay = Math.min(delay * POLL_BACKOFF, MAX_POLL_DELAY_MS)
    if (signal?.aborted) {
      await stop('the run was cancelled')
      throw abortedError(status)
    }

    let response: GetQueryResultsCommandOutput
    try {
      response = await client.send(new GetQueryResultsCommand({ queryId }))
    } catch (error) {
      // The SDK has retried already; left running, the query would hold one of the account's
      // concurrent-query slots for up to 60 minutes.
      await stop('GetQueryResults failed')
      throw fail(
        `GetQueryResults failed for Insights query ${queryId} (log groups: ${groups}): ${messageOf(error)}`,
        {
          kind: 'results',
          queryId,
          status,
          cause: error,
        },
      )
    }

    const elapsed = deps.now() - startedAt
    if (response.status !== status) {
      status = response.status
      log(`Insights query ${queryId}: ${status ?? 'no status'} after ${seconds(elapsed)}`)
    }
    if (status === 'Complete') {
      complete = response
      break
    }
    if (status === undefined || !PENDING.has(status)) {
      throw fail(
        `Insights query ${queryId} ended with status ${status ?? '(none)'} (log groups: ${groups})`,
        {
          kind: 'status',
          queryId,
          status,
        },
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
  }

  const statistics = toStatistics(complete.statistics)
  let rows = complete.results ?? []
  let nextToken = complete.nextToken
  let pages = 1
  let lastRequestAt = deps.now()
  // Results come in pages of up to 10,000 rows via nextToken (GetQueryResults doc, in SDKs from
  // 2026-04); older services return everything in one response with no token.
  while (nextToken && rows.length < query.maxRows) {
    await pause(deps, Math.max(0, lastRequestAt + MIN_PAGE_INTERVAL_MS - deps.now()))
    if (signal?.aborted) throw abortedError(status)
    lastRequestAt = deps.now()
    let page: GetQueryResultsCommandOutput
    try {
      page = await client.send(new GetQueryResultsCommand({ queryId, nextToken }))
    } catch (error) {
      throw fail(
        `GetQueryResults failed for page ${pages + 1} of Insights query ${queryId} (log groups: ${groups}): ` +
          messageOf(error),
        { kind: 'results', queryId, status, cause: error },
      )
    }
    pages += 1
    const pageRows = page.results ?? []
    rows = rows.concat(pageRows)
    if (page.nextToken === nextToken && pageRows.length === 0) {
      // An empty page handing back the same token would otherwise be fetched forever.
      log(`Insights query ${queryId}: page ${pages} was empty and repeated its nextToken; stopped paging.`)
      nextToken = undefined
      break
    }
    nextToken = page.nextToken
  }

  const rowsCapped = rows.length > query.maxRows || (rows.length >= query.maxRows && Boolean(nextToken))
  if (rows.length > query.maxRows) rows = rows.slice(0, query.maxRows)

  log(
    `Insights query ${queryId} complete in ${seconds(deps.now() - startedAt)}: ${rows.length} rows` +
      `${pages > 1 ? ` in ${pages} pages` : ''}${rowsCapped ? ` (capped at ${query.maxRows}; more exist)` : ''}; ` +
      `${statistics.recordsMatched} records matched, ${statistics.recordsScanned} scanned, ` +
      `${formatBytes(statistics.bytesScanned)} scanned`,
  )
  return { queryId, rows, statistics, rowsCapped }
}

function startQueryInput(query: InsightsQuery): StartQueryCommandInput {
  const input: StartQueryCommandInput = {
    startTime: query.window.start,
    endTime: query.window.end,
    queryString: query.queryString,
    queryLanguage: query.queryLanguage,
  }
  // logGroupNames takes names only; logGroupIdentifiers takes names or ARNs (and ARNs are needed
  // for cross-account queries) — StartQuery API doc.
  if (query.logGroups.some((group) => group.startsWith('arn:'))) {
    input.logGroupIdentifiers = query.logGroups
  } else {
    input.logGroupNames = query.logGroups
  }
  if (query.limit !== undefined) input.limit = query.limit
  return input
}

function startError(
  error: unknown,
  query: InsightsQuery,
  groups: string,
  fail: (message: string, details: { kind: QueryErrorKind; cause?: unknown }) => QueryError,
): QueryError {
  const name = (error as { name?: unknown } | null)?.name
  if (name === 'MalformedQueryException') {
    // queryCompileError is documented as "Reserved" but, when present, says where the error is.
    const compile = (
      error as { queryCompileError?: { message?: string; location?: { startCharOffset?: number } } }
    ).queryCompileError
    const where = compile?.location?.startCharOffset
    const detail =
      compile?.message && compile.message !== messageOf(error)
        ? ` (${compile.message}${where === undefined ? '' : ` at character ${where}`})`
        : ''
    return fail(`The query is malformed: ${messageOf(error)}${detail}\nQuery: ${query.queryString}`, {
      kind: 'malformed',
      cause: error,
    })
  }
  if (name === 'ResourceNotFoundException') {
    return fail(
      `StartQuery could not find the log groups: ${messageOf(error)}. Check the names in log-group-names ` +
        `and that aws-region is the region they are in (log groups: ${groups}).`,
      { kind: 'not-found', cause: error },
    )
  }
  return fail(`StartQuery failed for log groups ${groups}: ${messageOf(error)}`, {
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
async function pause(deps: QueryDeps, ms: number): Promise<void> {
  const { signal } = deps
  if (!signal) return deps.sleep(ms)
  if (signal.aborted) return
  let onAbort: (() => void) | undefined
  const aborted = new Promise<void>((resolve) => {
    onAbort = resolve
    signal.addEventListener('abort', onAbort, { once: true })
  })
  try {
    await Promise.race([deps.sleep(ms), aborted])
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort)
  }
}

/** Up to 10 names, so a 50-group batch does not swamp a Slack error message. */
function describeGroups(groups: string[]): string {
  const shown = groups.slice(0, 10).join(', ')
  return groups.length > 10 ? `${shown} and ${groups.length - 10} more` : shown
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`
}

function timeoutText(ms: number): string {
  return ms % 1000 === 0 ? formatDuration(ms / 1000) : `${ms} ms`
}

function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit += 1
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`
}
