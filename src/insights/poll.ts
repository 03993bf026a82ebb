/**
 * Starting one CloudWatch Logs Insights query and polling it until it is Complete: StartQuery
 * (backing off while throttled), then GetQueryResults until the query leaves Scheduled/Running, and
 * StopQuery when it runs out of query-timeout, polling fails or the run is cancelled.
 */

import {
  type QueryStatistics as AwsQueryStatistics,
  GetQueryResultsCommand,
  type GetQueryResultsCommandOutput,
  StartQueryCommand,
  type StartQueryCommandInput,
  StopQueryCommand,
} from '@aws-sdk/client-cloudwatch-logs'
import { errorMessage } from '../errors.js'
import { formatBytes, isoSecond, seconds } from '../format.js'
import {
  describeGroups,
  type Fail,
  failer,
  type QueryError,
  resultsError,
  startError,
  throttledError,
  timeoutText,
} from './query-errors.js'
import { shownGroups } from './source.js'
import {
  createRequestLimits,
  errorCode,
  isThrottlingError,
  pauseUnlessAborted,
  type RequestLimits,
  ThrottleRetry,
} from './throttle.js'
import type { CompletedQuery, InsightsQuery, QueryDeps, QueryStatistics } from './types.js'

/** Milliseconds before the first poll: most small queries finish within a few hundred. */
export const FIRST_POLL_DELAY_MS = 100
/** Each poll waits this much longer than the one before, up to the cap. */
const POLL_BACKOFF = 1.5
/**
 * Polls never wait longer than this. With the growth above a query makes at most 4 polls in its
 * first second and 1 a second after, under GetQueryResults' 5 TPS quota (per account; gogama/incite
 * `RPSQuotaLimits`, incite issue #14 — not on an official page retrieved).
 */
export const MAX_POLL_DELAY_MS = 1000

const PENDING = new Set(['Scheduled', 'Running'])

/** A query StartQuery accepted: what polling it needs. */
interface StartedQuery {
  queryId: string
  startedAt: number
  deadline: number
  limits: RequestLimits
  random: () => number
}

/**
 * Starts the query (backing off while throttled) and polls it until it is Complete. Throws a
 * QueryError when it fails, ends otherwise, outlives query-timeout (stopped with StopQuery) or the
 * signal aborts (stopped too).
 */
export async function completeQuery(query: InsightsQuery, deps: QueryDeps): Promise<CompletedQuery> {
  const limits = deps.limits ?? createRequestLimits(deps)
  const random = deps.random ?? Math.random
  const groups = describeGroups(shownGroups(query))

  if (deps.signal?.aborted) throw notStarted(query, groups)

  const startedAt = deps.now()
  const deadline = startedAt + deps.timeoutMs
  const queryId = await startWithBackoff(query, deps, limits, random, deadline)
  deps.log(
    `Insights query ${queryId} started: ${query.queryLanguage} over ${groups}, ` +
      `${isoSecond(query.window.start)} to ${isoSecond(query.window.end)}` +
      (query.limit === undefined ? '' : ` (limit ${query.limit})`),
  )
  return new QueryPoll(query, deps, { queryId, startedAt, deadline, limits, random }).untilComplete()
}

/** One-line statistics for the log. */
export function describeStatistics(statistics: QueryStatistics): string {
  return (
    `${statistics.recordsMatched} records matched, ${statistics.recordsScanned} scanned, ` +
    `${formatBytes(statistics.bytesScanned)} scanned`
  )
}

/** A started query, polled until it leaves Scheduled/Running; stopped when it cannot be seen through. */
class QueryPoll {
  readonly #query: InsightsQuery
  readonly #deps: QueryDeps
  readonly #started: StartedQuery
  readonly #groups: string
  readonly #fail: Fail
  readonly #retry: ThrottleRetry
  /** The last status GetQueryResults reported. */
  #status: string | undefined

  constructor(query: InsightsQuery, deps: QueryDeps, started: StartedQuery) {
    this.#query = query
    this.#deps = deps
    this.#started = started
    this.#groups = describeGroups(shownGroups(query))
    this.#fail = failer(query)
    this.#retry = new ThrottleRetry(deps, started.deadline, started.random)
  }

  // Poll until the query leaves Scheduled/Running. Rows returned while Running are partial
  // (GetQueryResults doc: "If the value of the Status field in the output is Running, this
  // operation returns only partial results"), so only the Complete response's rows are kept.
  async untilComplete(): Promise<CompletedQuery> {
    const { queryId, startedAt, deadline } = this.#started
    let delay = FIRST_POLL_DELAY_MS
    for (;;) {
      const response = await this.#poll(delay)
      const elapsed = this.#deps.now() - startedAt
      if (response.status !== this.#status) {
        this.#status = response.status
        this.#deps.log(`Insights query ${queryId}: ${this.#status ?? 'no status'} after ${seconds(elapsed)}`)
      }
      const status = this.#status
      if (status === 'Complete') return this.#completed(response)
      if (status === undefined || !PENDING.has(status)) {
        throw this.#fail(
          `Insights query ${queryId} ended with status ${status ?? '(none)'} (log groups: ${this.#groups})`,
          { kind: 'status', queryId, status },
        )
      }
      if (this.#deps.now() >= deadline) {
        await this.#stop('query-timeout ran out')
        throw this.#fail(
          `Insights query ${queryId} was stopped after ${seconds(elapsed)}, still ${status}: it ran out of the ` +
            `query-timeout (${timeoutText(this.#deps.timeoutMs)}). Raise the query-timeout input, or narrow the query ` +
            `or the log groups (log groups: ${this.#groups}).`,
          { kind: 'timeout', queryId, status },
        )
      }
      delay = Math.min(delay * POLL_BACKOFF, MAX_POLL_DELAY_MS)
    }
  }

  /** Waits `delay` (never past the deadline), then polls once, polling again while throttled. */
  async #poll(delay: number): Promise<GetQueryResultsCommandOutput> {
    const { queryId, deadline, limits } = this.#started
    let wait = delay
    for (;;) {
      await pause(this.#deps, Math.min(wait, Math.max(0, deadline - this.#deps.now())))
      await this.#stopIfAborted()
      await limits.getQueryResults.take()
      await this.#stopIfAborted()
      try {
        return await this.#retry.send(() => this.#deps.client.send(new GetQueryResultsCommand({ queryId })))
      } catch (error) {
        wait = await this.#retryAfter(error)
      }
    }
  }

  /** After a failed poll: the wait before polling again while throttled; otherwise stops the query and throws. */
  async #retryAfter(error: unknown): Promise<number> {
    const { queryId, startedAt } = this.#started
    const backoff = this.#retry.retryAfter(error)
    if (backoff !== undefined) {
      // Beyond the SDK's own retries: wait with jitter, as long as query-timeout allows.
      this.#deps.log(
        `Insights query ${queryId}: GetQueryResults throttled (${errorCode(error)}); polling again in ${seconds(backoff)}.`,
      )
      return backoff
    }
    // Stopped either way: the AWS SDK has retried already (and so has this, while throttled); left
    // running, the query would hold one of the account's concurrent-query slots for up to 60 minutes.
    await this.#stop(isThrottlingError(error) ? 'GetQueryResults stayed throttled' : 'GetQueryResults failed')
    const request = { queryId, status: this.#status, attempts: this.#retry.throttled, since: startedAt }
    throw resultsError(error, request, this.#query, this.#deps)
  }

  async #stopIfAborted(): Promise<void> {
    if (!this.#deps.signal?.aborted) return
    const { queryId } = this.#started
    await this.#stop('the run was cancelled')
    throw this.#fail(
      `Insights query ${queryId} was stopped: the run was cancelled (log groups: ${this.#groups}).`,
      {
        kind: 'aborted',
        queryId,
        status: this.#status,
      },
    )
  }

  #completed(response: GetQueryResultsCommandOutput): CompletedQuery {
    const { queryId, startedAt, deadline } = this.#started
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

  /** Stops the query, logging (not throwing) when that fails: the error that caused it matters more. */
  async #stop(why: string): Promise<void> {
    const { queryId } = this.#started
    try {
      await this.#deps.client.send(new StopQueryCommand({ queryId }))
      this.#deps.log(`Insights query ${queryId} stopped (${why}).`)
    } catch (error) {
      // StopQuery errors when the query ended meanwhile ("the specified query is not running",
      // StopQuery API doc).
      this.#deps.log(`Insights query ${queryId}: StopQuery failed (${why}): ${errorMessage(error)}`)
    }
  }
}

function notStarted(query: InsightsQuery, groups: string): QueryError {
  return failer(query)(`Insights query not started: the run was cancelled (log groups: ${groups}).`, {
    kind: 'aborted',
  })
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
  const groups = describeGroups(shownGroups(query))
  const fail = failer(query)
  const startedAt = deps.now()
  const retry = new ThrottleRetry(deps, deadline, random)
  for (;;) {
    await limits.startQuery.take()
    if (deps.signal?.aborted) throw notStarted(query, groups)
    let error: unknown
    try {
      const started = await deps.client.send(new StartQueryCommand(startQueryInput(query)))
      if (started.queryId) return started.queryId
      error = new Error('StartQuery returned no queryId')
    } catch (thrown) {
      error = thrown
    }
    if (!isThrottlingError(error)) throw startError(error, query, groups, fail)
    const backoff = retry.retryAfter(error)
    if (backoff === undefined) {
      throw throttledError(fail, deps, {
        action: 'StartQuery',
        error,
        attempts: retry.throttled,
        since: startedAt,
      })
    }
    deps.log(
      `StartQuery throttled (${errorCode(error)}: ${errorMessage(error)}) for ${groups}; ` +
        `trying again in ${seconds(backoff)} (attempt ${retry.throttled + 1}).`,
    )
    await pause(deps, backoff)
  }
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
  // A SOURCE command in the query string selects the groups instead, with no log group parameter.
  const named = query.queryLanguage !== 'SQL' && !query.source
  if (named && query.logGroups.some((group) => group.startsWith('arn:'))) {
    input.logGroupIdentifiers = query.logGroups
  } else if (named) {
    input.logGroupNames = query.logGroups
  }
  if (query.limit !== undefined) input.limit = query.limit
  return input
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
