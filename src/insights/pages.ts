/**
 * The pages of a Complete query's result after the first: GetQueryResults with nextToken, spaced
 * under the request quota and retried while throttled, each page's rows handed on as it arrives.
 */

import { GetQueryResultsCommand, type GetQueryResultsCommandOutput } from '@aws-sdk/client-cloudwatch-logs'
import { seconds } from '../format.js'
import { type Fail, failer, resultsError } from './query-errors.js'
import {
  createRequestLimits,
  errorCode,
  pauseUnlessAborted,
  type RequestLimits,
  ThrottleRetry,
} from './throttle.js'
import type { CompletedQuery, InsightsQuery, QueryDeps, ResultField } from './types.js'

/** Result pages are fetched back to back; at least this far apart keeps them under 5 TPS too. */
export const MIN_PAGE_INTERVAL_MS = 200

/** What fetchPages did. */
export interface PagesFetched {
  /** Responses read, the Complete one included. */
  pages: number
  /** Set when fetching stopped (wantMore said no) while the service had more pages. */
  nextToken?: string
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
  const pager = new Pager(query, completed, deps)
  let nextToken = completed.nextToken
  let pages = 1
  while (nextToken && handler.wantMore()) {
    const page = await pager.fetch(nextToken, pages + 1)
    // Throttled: waited, and asks again while more is wanted.
    if (page === undefined) continue
    pages += 1
    const rows = page.results ?? []
    if (page.nextToken === nextToken && rows.length === 0) {
      // An empty page handing back the same token would otherwise be fetched forever.
      deps.log(
        `Insights query ${completed.queryId}: page ${pages} was empty and repeated its nextToken; stopped paging.`,
      )
      nextToken = undefined
      break
    }
    nextToken = page.nextToken
    handler.onPage(rows)
  }
  return nextToken ? { pages, nextToken } : { pages }
}

/** GetQueryResults for the pages of one query, at most one per MIN_PAGE_INTERVAL_MS. */
class Pager {
  readonly #query: InsightsQuery
  readonly #completed: CompletedQuery
  readonly #deps: QueryDeps
  readonly #limits: RequestLimits
  readonly #fail: Fail
  readonly #retry: ThrottleRetry
  #lastRequestAt: number

  constructor(query: InsightsQuery, completed: CompletedQuery, deps: QueryDeps) {
    this.#query = query
    this.#completed = completed
    this.#deps = deps
    this.#limits = deps.limits ?? createRequestLimits(deps)
    this.#fail = failer(query)
    this.#retry = new ThrottleRetry(deps, completed.deadline, deps.random ?? Math.random)
    this.#lastRequestAt = deps.now()
  }

  /**
   * Page number `page`, from `nextToken`; undefined when it was throttled and waited its backoff (ask
   * again). Throws a QueryError when it fails otherwise, stays throttled or the run is cancelled.
   */
  async fetch(nextToken: string, page: number): Promise<GetQueryResultsCommandOutput | undefined> {
    const { client, signal } = this.#deps
    const { queryId } = this.#completed
    await this.#pause(Math.max(0, this.#lastRequestAt + MIN_PAGE_INTERVAL_MS - this.#deps.now()))
    if (!signal?.aborted) await this.#limits.getQueryResults.take()
    if (signal?.aborted) {
      throw this.#fail(`Insights query ${queryId}: fetching its results stopped: the run was cancelled.`, {
        kind: 'aborted',
        queryId,
        status: 'Complete',
      })
    }
    this.#lastRequestAt = this.#deps.now()
    try {
      return await this.#retry.send(() => client.send(new GetQueryResultsCommand({ queryId, nextToken })))
    } catch (error) {
      const backoff = this.#retry.retryAfter(error)
      if (backoff === undefined) {
        const { startedAt } = this.#completed
        const request = {
          queryId,
          status: 'Complete',
          attempts: this.#retry.throttled,
          since: startedAt,
          page,
        }
        throw resultsError(error, request, this.#query, this.#deps)
      }
      this.#deps.log(
        `Insights query ${queryId}: page ${page} throttled (${errorCode(error)}); retrying in ${seconds(backoff)}.`,
      )
      await this.#pause(backoff)
      return undefined
    }
  }

  /** Sleeps, but wakes as soon as the signal aborts. */
  #pause(ms: number): Promise<void> {
    return pauseUnlessAborted(this.#deps.sleep, ms, this.#deps.signal)
  }
}
