import type { Digest } from './digest.js'
import type { Window } from './insights/window.js'
import type { QueryLanguage } from './settings.js'

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

/** Everything the Slack message and the job summary show about one run. */
export interface Report {
  monitorName: string
  window: Window
  logGroups: string[]
  query: string
  queryLanguage: QueryLanguage
  queries: QueryRun[]
  /** The statistics of every query, added up. */
  statistics: QueryStatistics
  digest: Digest
  /** True when more rows matched than were fetched: the counts cover the fetched rows only. */
  truncated: boolean
  /** Link to the workflow run that made this report, when running on GitHub. */
  runUrl?: string
}
