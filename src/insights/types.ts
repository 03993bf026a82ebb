/**
 * The query layer's own vocabulary: what a query is written in, what running one gives back, and the
 * ports one query runs through (its client, clock and limits).
 */

import type {
  GetQueryResultsCommand,
  GetQueryResultsCommandOutput,
  ResultField,
  StartQueryCommand,
  StartQueryCommandOutput,
  StopQueryCommand,
  StopQueryCommandOutput,
} from '@aws-sdk/client-cloudwatch-logs'
import type { RequestLimits } from './throttle.js'
import type { Window } from './window.js'

export type { ResultField }

/** The language of the `query` input, as StartQuery names it. */
export type QueryLanguage = 'CWLI' | 'SQL' | 'PPL'

/**
 * Log groups selected by name prefix (`log-group-prefixes`, `source-accounts`), through a SOURCE
 * command at the start of the query string (source.ts).
 */
export interface LogGroupSource {
  /** 1 to 5 name prefixes. */
  prefixes: readonly string[]
  /** Up to 20 account ids; empty: the monitoring account and every linked source account. */
  accounts: readonly string[]
}

/** Statistics GetQueryResults reports for the whole result, even when rows are capped. */
export interface QueryStatistics {
  recordsMatched: number
  recordsScanned: number
  bytesScanned: number
}

/** One Insights query the run made (one per batch of at most 50 log groups, one for the prefixes). */
export interface QueryRun {
  queryId: string
  /** The groups it covered as shown: names or ARNs, or a prefix query's labels (source.ts). */
  logGroups: string[]
  statistics: QueryStatistics
  /** Set for the query that selected its groups by prefix. */
  source?: LogGroupSource
}

export interface InsightsQuery {
  /** At most 50 (StartQuery's limit): names, or ARNs; empty when `source` selects the groups. */
  logGroups: string[]
  /**
   * Groups selected by the SOURCE command that starts `queryString`: StartQuery then gets no log
   * group parameter.
   */
  source?: LogGroupSource
  queryString: string
  queryLanguage: QueryLanguage
  window: Window
  /**
   * StartQuery's `limit`, passed only when set. Without it (and without a `limit` command in the
   * query) the service returns at most 10,000 rows (CWL_QuerySyntax-Limit: "If you omit limit, the
   * query defaults to returning up to 10,000 log events"); up to 100,000 for CWLI only.
   */
  limit?: number
}

/** The part of `CloudWatchLogsClient` the query layer uses; the real client satisfies it. */
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
