/**
 * The whole query of a run: any number of log groups, in batches of 50 run a few at a time, each
 * batch's window split into parts when one query cannot return all its rows, and rows handed on as
 * they arrive.
 */

import { isoSecond, seconds } from '../format.js'
import { fetchPages, type PagesFetched } from './pages.js'
import { completeQuery, describeStatistics } from './poll.js'
import { QueryError } from './query-errors.js'
import { shownGroups, withSource } from './source.js'
import {
  analyseQuery,
  canSplit,
  type Part,
  partsNeeded,
  type QueryShape,
  rowSecond,
  SplitSecondMerge,
  splitPart,
} from './split.js'
import { createRequestLimits, Pool } from './throttle.js'
import type {
  CompletedQuery,
  InsightsQuery,
  LogGroupSource,
  QueryDeps,
  QueryLanguage,
  QueryRun,
  QueryStatistics,
  ResultField,
} from './types.js'
import type { Window } from './window.js'

/** StartQuery takes at most 50 log groups (service model, since 2022-11). */
export const MAX_LOG_GROUPS_PER_QUERY = 50

/**
 * Queries running at once by default. The account allows 100 concurrent Insights queries, shared
 * with dashboards, scheduled queries and other users (StartQuery API doc); a monitor should take few
 * of them.
 */
export const DEFAULT_CONCURRENCY = 4

/**
 * StartQuery's largest `limit` (service model `EventsLimitStartQuery`, 2026-05: "The maximum limit is
 * 100,000 … paginating with the nextToken"; Logs Insights QL only). A service that still caps at
 * 10,000 refuses it; the run then uses the maximum it names.
 */
const MAX_QUERY_LIMIT = 100_000

/**
 * Rows a query returns without a `limit` (CWL_QuerySyntax-Limit: "If you omit limit, the query
 * defaults to returning up to 10,000 log events"), and the `limit` maximum before 2026-05.
 */
const DEFAULT_QUERY_ROWS = 10_000

export interface BatchedQuery {
  logGroups: readonly string[]
  /**
   * Groups selected by name prefix: one more query, after the batches, that starts with a SOURCE
   * command and names no group (source.ts).
   */
  source?: LogGroupSource
  queryString: string
  queryLanguage: QueryLanguage
  /** The shape of the query as the user wrote it; read from `queryString` when not given. */
  shape?: QueryShape
  window: Window
  /** Rows fetched across all batches at most. */
  maxRows: number
}

export interface BatchedDeps extends Omit<QueryDeps, 'signal'> {
  signal?: AbortSignal
  /** Queries of ≤ 50 groups running at once; default 4. */
  concurrency?: number
  /** A cap shared with other queries (the rules of one step); `concurrency` is then ignored. */
  pool?: Pool
  /** Called with each batch's rows as they are fetched, never the same record twice, at most maxRows in total. */
  onRows: (rows: ResultField[][]) => void
}

interface BatchFailure {
  /**
   * 0-based index in the order of log-group-names: batch i holds groups 50·i to 50·i + 49; the
   * prefix query comes after the last of them.
   */
  batch: number
  /** Its groups as shown: names or ARNs, or the prefixes' labels. */
  logGroups: string[]
  /** A QueryError (kind, queryId, status) for query failures. */
  error: Error
}

export interface BatchedResult {
  /**
   * Every query that completed (split parts included), each with its own statistics, in batch order.
   * A query that failed is named by its error in `failures` instead.
   */
  queries: QueryRun[]
  /**
   * Exact totals for the whole window: for each batch, the statistics of its whole-window query —
   * never a sum over split parts, which overlap at split seconds. A batch whose whole-window query
   * failed has none.
   */
  statistics: QueryStatistics
  /** Rows passed to onRows. */
  rowsFetched: number
  /** Some matching rows were not fetched (maxRows reached, or a query capped its rows and could not be split). */
  truncated: boolean
  /** Batches that failed; the others are still complete and reported. */
  failures: BatchFailure[]
}

/** Splits log groups into StartQuery-sized batches. */
export function batchLogGroups(logGroups: readonly string[]): string[][] {
  const batches: string[][] = []
  for (let i = 0; i < logGroups.length; i += MAX_LOG_GROUPS_PER_QUERY) {
    batches.push(logGroups.slice(i, i + MAX_LOG_GROUPS_PER_QUERY))
  }
  return batches
}

/** The queries a run of `query` makes over the whole window: one per batch, and one for a source. */
export function batchCount(
  query: Pick<BatchedQuery, 'logGroups' | 'source'> & { queryLanguage?: QueryLanguage },
): number {
  const named =
    query.queryLanguage === 'SQL'
      ? Math.min(1, query.logGroups.length)
      : Math.ceil(query.logGroups.length / MAX_LOG_GROUPS_PER_QUERY)
  return named + (query.source ? 1 : 0)
}

/** One whole-window query: up to 50 named groups, or the groups a SOURCE command selects. */
interface Batch {
  logGroups: string[]
  source?: LogGroupSource
}

/**
 * Runs the query over every batch of log groups, at most `concurrency` queries at once, and hands the
 * rows to `onRows` as they arrive. A batch that fails is reported in `failures` while the others
 * complete; an aborted signal stops every query (StopQuery) and throws; an error thrown by `onRows`
 * stops every query and is rethrown.
 */
export async function runBatchedQuery(query: BatchedQuery, deps: BatchedDeps): Promise<BatchedResult> {
  return new BatchedRun(query, deps).run()
}

interface BatchState {
  statistics?: QueryStatistics
  error?: Error
  /** Rows of this batch handed to onRows. */
  delivered: number
}

class BatchedRun {
  readonly #query: BatchedQuery
  readonly #deps: BatchedDeps
  readonly #shape: QueryShape
  readonly #controller = new AbortController()
  readonly #queryDeps: QueryDeps
  readonly #pool: Pool
  /** Rows onRows may still take. */
  #remaining: number
  #rowsFetched = 0
  /**
   * Rows were left unfetched in a way only this run knows: new rows cut by max-results, or (for
   * queries whose rows are not records) pages left. For record queries the rest is counted at the end.
   */
  #truncated = false
  /** The largest StartQuery `limit` to pass; undefined: pass none. Lowered when the service refuses one. */
  #maxLimit: number | undefined
  readonly #runs: Array<{ batch: number; order: number; run: QueryRun }> = []
  #order = 0
  #fatal: { error: unknown } | undefined
  #abortError: Error | undefined

  constructor(query: BatchedQuery, deps: BatchedDeps) {
    this.#query = query
    this.#deps = deps
    this.#shape = query.shape ?? analyseQuery(query.queryString, query.queryLanguage)
    this.#maxLimit = this.#shape.passLimit ? MAX_QUERY_LIMIT : undefined
    this.#remaining = Math.max(0, query.maxRows)
    this.#pool = deps.pool ?? new Pool(deps.concurrency ?? DEFAULT_CONCURRENCY)
    this.#queryDeps = {
      client: deps.client,
      now: deps.now,
      sleep: deps.sleep,
      log: deps.log,
      timeoutMs: deps.timeoutMs,
      signal: this.#controller.signal,
      // One set of limits for every query of the run: the quotas are per account, not per query.
      limits: deps.limits ?? createRequestLimits(deps),
    }
    if (deps.random) this.#queryDeps.random = deps.random
  }

  get #stopped(): boolean {
    return this.#controller.signal.aborted
  }

  async run(): Promise<BatchedResult> {
    const outer = this.#deps.signal
    const onAbort = () => this.#controller.abort(outer?.reason)
    if (outer?.aborted) onAbort()
    else outer?.addEventListener('abort', onAbort, { once: true })
    try {
      // A SQL query names its groups in its FROM (at most 50, settings.ts): one query, never batches.
      const named =
        this.#query.queryLanguage === 'SQL'
          ? [[...this.#query.logGroups]]
          : batchLogGroups(this.#query.logGroups)
      const batches: Batch[] = named.map((logGroups) => ({ logGroups }))
      if (this.#query.source) batches.push({ logGroups: [], source: this.#query.source })
      if (this.#query.window.end < this.#query.window.start) {
        // An empty aggregate window (two runs in one second): nothing to query.
        return {
          queries: [],
          statistics: { recordsMatched: 0, recordsScanned: 0, bytesScanned: 0 },
          rowsFetched: 0,
          truncated: false,
          failures: [],
        }
      }
      if (named.length > 1) {
        this.#deps.log(
          `${this.#query.logGroups.length} log groups: ${named.length} queries of at most ` +
            `${MAX_LOG_GROUPS_PER_QUERY} groups, up to ${this.#pool.size} at once` +
            `${this.#query.source ? ', and one query by prefix' : ''}.`,
        )
      }
      const states = await Promise.all(batches.map((batch, index) => this.#runBatch(index, batch)))

      if (this.#fatal) throw this.#fatal.error
      if (this.#stopped) {
        throw (
          this.#abortError ??
          new QueryError('Insights queries stopped: the run was cancelled.', {
            kind: 'aborted',
            query: this.#query.queryString,
            logGroups: [...this.#query.logGroups],
          })
        )
      }

      const statistics: QueryStatistics = { recordsMatched: 0, recordsScanned: 0, bytesScanned: 0 }
      const failures: BatchFailure[] = []
      let truncated = this.#truncated
      states.forEach((state, index) => {
        if (state.statistics) {
          statistics.recordsMatched += state.statistics.recordsMatched
          statistics.recordsScanned += state.statistics.recordsScanned
          statistics.bytesScanned += state.statistics.bytesScanned
          // One row per record: the batch is complete exactly when it delivered as many rows as its
          // whole-window query matched. Counting, rather than flagging parts left unrun or pages left
          // unfetched, does not call a run truncated when max-results ran out just as the last new
          // row arrived, with only rows already delivered (shared seconds) left behind.
          if (this.#shape.records && !state.error && state.delivered < state.statistics.recordsMatched) {
            truncated = true
          }
        }
        if (state.error) {
          const batch = batches[index]
          failures.push({ batch: index, logGroups: batch ? shownGroups(batch) : [], error: state.error })
        }
      })
      const queries = this.#runs
        .sort((a, b) => a.batch - b.batch || a.order - b.order)
        .map((entry) => entry.run)
      return { queries, statistics, rowsFetched: this.#rowsFetched, truncated, failures }
    } finally {
      outer?.removeEventListener('abort', onAbort)
    }
  }

  /** One batch: its whole-window query, then the parts of any split, until done or failed. */
  async #runBatch(batch: number, groups: Batch): Promise<BatchState> {
    const state: BatchState = { delivered: 0 }
    const merge = new SplitSecondMerge()
    const runPart = async (part: Part, whole: boolean): Promise<void> => {
      // Parts left when max-results has run out are not queried (the counts tell whether rows are missing).
      if (this.#skipPart(state, whole)) return
      let release: () => void
      try {
        release = await this.#pool.acquire(this.#controller.signal)
      } catch {
        return // aborted while waiting: run() reports it
      }
      let parts: Part[] = []
      try {
        if (this.#skipPart(state, whole)) return
        parts = await this.#queryPart(batch, groups, part, whole, merge, state)
      } catch (error) {
        if (this.#stopped) {
          this.#abortError ??= asError(error)
          return
        }
        this.#partFailed(batch, part, whole, state, error)
      } finally {
        release()
      }
      // Released before the parts queue up: a batch never holds a place while waiting for another.
      await Promise.all(parts.map((child) => runPart(child, false)))
    }
    await runPart({ ...this.#query.window, sharedStart: false, sharedEnd: false }, true)
    return state
  }

  /** The batch failed, or there is nothing more to fetch: a part is not (or no longer) to be queried. */
  #skipPart(state: BatchState, whole: boolean): boolean {
    return state.error !== undefined || this.#stopped || (!whole && this.#remaining === 0)
  }

  /** A query of the batch failed: the batch's first error is what it reports. */
  #partFailed(batch: number, part: Part, whole: boolean, state: BatchState, error: unknown): void {
    state.error ??= asError(error)
    if (!whole) {
      this.#deps.log(
        `Batch ${batch + 1}: the part ${isoSecond(part.start)} – ${isoSecond(part.end)} failed; the batch is ` +
          `incomplete: ${state.error.message}`,
      )
    }
  }

  /**
   * Runs one query over `part`, and either delivers its rows or, when they are capped and the
   * window can be split, returns the parts to query instead (delivering nothing).
   */
  async #queryPart(
    batch: number,
    groups: Batch,
    part: Part,
    whole: boolean,
    merge: SplitSecondMerge,
    state: BatchState,
  ): Promise<Part[]> {
    const limit = this.#limitFor(part)
    const { source } = groups
    const insights: InsightsQuery = {
      logGroups: groups.logGroups,
      queryString: source ? withSource(this.#query.queryString, source) : this.#query.queryString,
      queryLanguage: this.#query.queryLanguage,
      window: { start: part.start, end: part.end },
    }
    if (source) insights.source = source
    if (limit !== undefined) insights.limit = limit

    let completed: CompletedQuery
    try {
      completed = await completeQuery(insights, this.#queryDeps)
    } catch (error) {
      if (this.#lowerLimit(error, limit)) return this.#queryPart(batch, groups, part, whole, merge, state)
      throw error
    }

    const { queryId, statistics } = completed
    const run: QueryRun = { queryId, logGroups: shownGroups(groups), statistics }
    if (source) run.source = source
    this.#runs.push({ batch, order: this.#order++, run })
    if (whole) state.statistics = statistics
    const parts = this.#shape.records ? this.#splitIfCapped(part, completed, limit) : undefined
    if (parts) return parts

    let returned = 0
    const take = (rows: ResultField[][]) => {
      returned += rows.length
      this.#deliver(merge.filter(part, rows), state)
    }
    take(completed.rows)
    // Delivered: not held while the later pages (up to 10,000 rows each) are fetched.
    completed.rows = []
    const fetched = await fetchPages(insights, completed, this.#queryDeps, {
      wantMore: () => this.#remaining > 0,
      onPage: take,
    })
    merge.finish(part)
    if (fetched.nextToken !== undefined && !this.#shape.records) this.#truncated = true
    this.#logComplete(completed, returned, fetched)
    return []
  }

  /** StartQuery's `limit` for a query over `part`; undefined: pass none. */
  #limitFor(part: Part): number | undefined {
    // Asking for no more rows than max-results still takes saves transfer — but only where every row
    // is new: a part's rows in its shared seconds may be the neighbour's again and dropped by the
    // merge, so a part cut to the budget could come back short of new rows. Parts ask for the
    // service's maximum, and the budget is applied to what the merge lets through.
    if (this.#maxLimit === undefined) return undefined
    if (part.sharedStart || part.sharedEnd) return this.#maxLimit
    return Math.max(1, Math.min(this.#maxLimit, this.#remaining))
  }

  /**
   * When StartQuery refused `limit` and accepts a smaller one: that maximum is used from now on, and
   * the query is to be run again (true).
   */
  #lowerLimit(error: unknown, limit: number | undefined): boolean {
    if (!(error instanceof QueryError) || error.kind !== 'limit' || limit === undefined) return false
    const accepted = error.acceptedLimit ?? DEFAULT_QUERY_ROWS
    if (!(accepted >= 1 && accepted < limit)) return false
    this.#maxLimit = Math.min(this.#maxLimit ?? accepted, accepted)
    this.#deps.log(`${error.message}. Using limit ${accepted} from now on.`)
    return true
  }

  /**
   * For a record query: the parts to query instead when `part`'s query returns fewer rows than are
   * wanted and the window can be split; undefined when its rows are to be delivered (saying so when
   * they are truncated).
   */
  #splitIfCapped(part: Part, completed: CompletedQuery, limit: number | undefined): Part[] | undefined {
    const { queryId, statistics } = completed
    const matched = statistics.recordsMatched
    const range = `${isoSecond(part.start)} – ${isoSecond(part.end)}`
    // What this one query can return: all of it is in hand when the service does not page; when it
    // pages, rows up to the limit passed (the service's default 10,000 without one).
    const capacity = completed.nextToken
      ? Math.min(matched, limit ?? DEFAULT_QUERY_ROWS)
      : completed.rows.length
    // Rows wanted: all of them — or, where every row is new (no shared second), no more than
    // max-results still takes. A part's capped rows may be mostly its neighbour's again, so
    // "capacity ≥ what max-results takes" does not mean it would deliver that many.
    const wanted = part.sharedStart || part.sharedEnd ? matched : Math.min(matched, this.#remaining)
    if (capacity >= wanted) return undefined
    const reason = this.#cannotSplit(part, completed.rows)
    if (reason !== undefined) {
      this.#deps.log(
        `Insights query ${queryId}: ${matched} records matched in ${range}, ${capacity} rows returned; ` +
          `not split (${reason}), so the result is truncated.`,
      )
      return undefined
    }
    const parts = splitPart(part, partsNeeded(matched, capacity))
    if (this.#shape.newestFirst) parts.reverse()
    this.#deps.log(
      `Insights query ${queryId}: ${matched} records matched in ${range}, but one query returns ` +
        `${capacity} rows here: fetching them in ${parts.length} parts.`,
    )
    return parts
  }

  /** The last line about a query whose rows were delivered. */
  #logComplete(completed: CompletedQuery, returned: number, fetched: PagesFetched): void {
    this.#deps.log(
      `Insights query ${completed.queryId} complete in ${seconds(this.#deps.now() - completed.startedAt)}: ` +
        `${returned} rows${fetched.pages > 1 ? ` in ${fetched.pages} pages` : ''}` +
        `${fetched.nextToken === undefined ? '' : ' (max-results reached; more exist)'}; ` +
        describeStatistics(completed.statistics),
    )
  }

  /** Why a part whose rows were capped cannot be split, or undefined when it can. */
  #cannotSplit(part: Part, rows: ResultField[][]): string | undefined {
    if (!this.#shape.splittable) {
      if (!this.#shape.records) return 'the query does not return records'
      if (this.#shape.userLimit) return 'the query has its own limit command'
      return 'the rows carry no @timestamp, which merging split parts needs'
    }
    if (!canSplit(part)) return `${part.end - part.start + 1} seconds cannot be split further`
    // Merging the parts at their shared seconds needs each row's second.
    if (rows.length === 0 || !rows.every((row) => rowSecond(row) !== undefined)) {
      return 'the rows carry no @timestamp, which merging split parts needs'
    }
    return undefined
  }

  /** Hands rows to onRows, up to maxRows in total. */
  #deliver(rows: ResultField[][], state: BatchState): void {
    // After a cancel or a failed consumer, nothing more is handed on.
    if (rows.length === 0 || this.#stopped) return
    const count = Math.min(rows.length, this.#remaining)
    if (count < rows.length) this.#truncated = true
    if (count === 0) return
    this.#remaining -= count
    this.#rowsFetched += count
    state.delivered += count
    try {
      this.#deps.onRows(count === rows.length ? rows : rows.slice(0, count))
    } catch (error) {
      // The consumer failed: nothing more can be reported, so every query is stopped.
      this.#fatal ??= { error }
      this.#controller.abort(error)
      throw error
    }
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error))
}
