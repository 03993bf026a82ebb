import type { ResultField } from '@aws-sdk/client-cloudwatch-logs'
import type { QueryRun, QueryStatistics } from '../report.js'
import type { QueryLanguage } from '../settings.js'
import { type QueryDeps, runInsightsQuery } from './query.js'
import type { Window } from './window.js'

/** StartQuery takes at most 50 log groups (service model, since 2022-11). */
export const MAX_LOG_GROUPS_PER_QUERY = 50

export interface BatchedQuery {
  logGroups: readonly string[]
  queryString: string
  queryLanguage: QueryLanguage
  window: Window
  /** Rows fetched across all batches at most. */
  maxRows: number
}

export interface BatchedResult {
  queries: QueryRun[]
  rows: ResultField[][]
  statistics: QueryStatistics
  /** More rows matched than were fetched. */
  truncated: boolean
}

/** Splits log groups into StartQuery-sized batches. */
export function batchLogGroups(logGroups: readonly string[]): string[][] {
  const batches: string[][] = []
  for (let i = 0; i < logGroups.length; i += MAX_LOG_GROUPS_PER_QUERY) {
    batches.push(logGroups.slice(i, i + MAX_LOG_GROUPS_PER_QUERY))
  }
  return batches
}

/** Runs the query once per batch of log groups, one after the other, and merges what they return. */
export async function runBatchedQuery(query: BatchedQuery, deps: QueryDeps): Promise<BatchedResult> {
  const merged: BatchedResult = {
    queries: [],
    rows: [],
    statistics: { recordsMatched: 0, recordsScanned: 0, bytesScanned: 0 },
    truncated: false,
  }
  for (const logGroups of batchLogGroups(query.logGroups)) {
    const result = await runInsightsQuery(
      {
        logGroups,
        queryString: query.queryString,
        queryLanguage: query.queryLanguage,
        window: query.window,
        maxRows: Math.max(0, query.maxRows - merged.rows.length),
      },
      deps,
    )
    merged.queries.push({ queryId: result.queryId, logGroups, statistics: result.statistics })
    for (const row of result.rows) merged.rows.push(row)
    merged.statistics.recordsMatched += result.statistics.recordsMatched
    merged.statistics.recordsScanned += result.statistics.recordsScanned
    merged.statistics.bytesScanned += result.statistics.bytesScanned
    merged.truncated ||= result.rowsCapped
  }
  return merged
}
