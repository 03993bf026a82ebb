/** The query layer's own vocabulary: what a query is written in and what running one gives back. */

/** The language of the `query` input, as StartQuery names it. */
export type QueryLanguage = 'CWLI' | 'SQL' | 'PPL'

/** Statistics GetQueryResults reports for the whole result, even when rows are capped. */
export interface QueryStatistics {
  recordsMatched: number
  recordsScanned: number
  bytesScanned: number
}

/** One Insights query the run made (one per batch of at most 50 log groups). */
export interface QueryRun {
  queryId: string
  logGroups: string[]
  statistics: QueryStatistics
}
