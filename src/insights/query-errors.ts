/**
 * How one Insights query fails: the kinds of QueryError, what a StartQuery error from AWS means for
 * the user (malformed query, unknown log group, refused limit, …), and the message for throttling
 * that outlasted query-timeout.
 */

import { errorMessage } from '../errors.js'
import { formatDuration, seconds } from '../format.js'
import { shownGroups } from './source.js'
import { errorCode, isThrottlingError } from './throttle.js'
import type { InsightsQuery, QueryDeps } from './types.js'

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

/** Makes the QueryErrors of one query: they all carry its query string and log groups. */
export type Fail = (
  message: string,
  details: Omit<ConstructorParameters<typeof QueryError>[1], 'query' | 'logGroups'>,
) => QueryError

export function failer(query: InsightsQuery): Fail {
  return (message, details) =>
    new QueryError(message, { ...details, query: query.queryString, logGroups: shownGroups(query) })
}

/**
 * The first `count` log groups by name, and how many more there are: up to 10 by default, so a
 * 50-group batch does not swamp a Slack error message.
 */
export function describeGroups(groups: readonly string[], count = 10): string {
  const shown = groups.slice(0, count).join(', ')
  return groups.length > count ? `${shown} and ${groups.length - count} more` : shown
}

/** query-timeout as the user wrote it: `5m`, or milliseconds when it is not whole seconds. */
export function timeoutText(ms: number): string {
  return ms % 1000 === 0 ? formatDuration(ms / 1000) : `${ms} ms`
}

/**
 * A request stayed throttled until its next wait would have passed query-timeout: `attempts` throttling
 * errors in a row, over the time since the query was first started (`since`).
 */
export function throttledError(
  fail: Fail,
  deps: QueryDeps,
  throttling: { action: 'StartQuery' | 'GetQueryResults'; error: unknown; attempts: number; since: number },
  ids: { queryId?: string; status?: string | undefined } = {},
): QueryError {
  const { action, error, attempts, since } = throttling
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

/**
 * Why GetQueryResults failed for good: it stayed throttled until its next wait would have passed
 * query-timeout (`attempts` throttling errors in a row), or the AWS SDK's own retries did not get past
 * the error. `page` is set when it was a page after the Complete response.
 */
export function resultsError(
  error: unknown,
  request: { queryId: string; status: string | undefined; attempts: number; since: number; page?: number },
  query: InsightsQuery,
  deps: QueryDeps,
): QueryError {
  const fail = failer(query)
  const { queryId, status, attempts, since, page } = request
  if (isThrottlingError(error)) {
    return throttledError(
      fail,
      deps,
      { action: 'GetQueryResults', error, attempts, since },
      { queryId, status },
    )
  }
  return fail(
    `GetQueryResults failed for ${page === undefined ? '' : `page ${page} of `}Insights query ${queryId} ` +
      `(log groups: ${describeGroups(shownGroups(query))}): ${errorMessage(error)}`,
    { kind: 'results', queryId, status, cause: error },
  )
}

/** What a StartQuery error that is not throttling means for the user, as a QueryError. */
export function startError(error: unknown, query: InsightsQuery, groups: string, fail: Fail): QueryError {
  const name = (error as { name?: unknown } | null)?.name
  if (
    query.limit !== undefined &&
    (name === 'InvalidParameterException' || name === 'ValidationException') &&
    /\blimit\b/i.test(errorMessage(error))
  ) {
    return limitRefused(error, query.limit, fail)
  }
  if (name === 'MalformedQueryException') return malformed(error, query, fail)
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

function limitRefused(error: unknown, limit: number, fail: Fail): QueryError {
  // The 100,000 maximum came in 2026-05 (service model EventsLimitStartQuery); a service without it
  // answers a validation error such as "Value '100000' at 'limit' failed to satisfy constraint:
  // Member must have value less than or equal to 10000".
  const named = /(?:less than or equal to|between 1 and)\s+([\d,]+)/i.exec(errorMessage(error))?.[1]
  const acceptedLimit = named === undefined ? undefined : Number(named.replace(/,/g, ''))
  return fail(`StartQuery refused limit ${limit}: ${errorMessage(error)}`, {
    kind: 'limit',
    cause: error,
    acceptedLimit: acceptedLimit !== undefined && Number.isInteger(acceptedLimit) ? acceptedLimit : undefined,
  })
}

function malformed(error: unknown, query: InsightsQuery, fail: Fail): QueryError {
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
