import type { ClockReading } from './aws/service-clock.js'
import type { Digest } from './digest.js'
import type { LogGroupSource, QueryLanguage, QueryRun, QueryStatistics } from './insights/types.js'
import type { Window } from './insights/window.js'
import type { WebhookStatus } from './notify/missed-deliveries.js'
import type { RateCheck } from './rates.js'
import type { SignatureFindings } from './signatures.js'
import type { NoCheckpointNotice } from './state/no-checkpoint.js'

/** A query the action wrote itself, and what it was for. */
export interface HelperQuery extends QueryRun {
  purpose: 'requests' | 'baseline'
}

/** The same window `offsetSeconds` earlier: its requests, 5xx and 4xx (baseline.ts). */
type Baseline =
  | { offsetSeconds: number; window: Window; requests: number; critical: number; warning: number }
  | { offsetSeconds: number; window: Window; error: string }

/** Everything the Slack message and the job summary show about one run. */
export interface Report {
  monitorName: string
  window: Window
  /** One label per prefix (source.ts), then the named groups. */
  logGroups: string[]
  /** log-group-prefixes and source-accounts, when the run selected groups by prefix. */
  source?: LogGroupSource
  query: string
  queryLanguage: QueryLanguage
  queries: QueryRun[]
  /** The statistics of every query, added up. */
  statistics: QueryStatistics
  digest: Digest
  /** True when more rows matched than were fetched: the counts cover the fetched rows only. */
  truncated: boolean
  /** Seconds at the start of the window that the previous run checked already (its overlap). */
  rechecked: number
  /** Entries in the re-checked stretch that an earlier run already reported: dropped, not counted. */
  alreadyReported: number
  /**
   * A stretch no run checked and this one could not, because it was older than max-catch-up: from the
   * previous checkpoint's second on. Never the overlap before it (see shortenedRecheck).
   */
  gap?: Window
  /** No checkpoint to start from (a first run, or a lost state): said in the warning, summary and Slack. */
  noCheckpoint?: NoCheckpointNotice
  /** The part of the previous run's overlap older than max-catch-up: checked once, not again. */
  shortenedRecheck?: Window
  /** The runner's clock against CloudWatch Logs', when they disagree by more than a few seconds. */
  clock?: ClockReading
  /** The last second the previous run checked, when there was a previous run. */
  previousCheckpoint?: number
  /** The `max-catch-up` setting, to explain a gap. */
  maxCatchUpSeconds: number
  /** `price-per-gb`: the Logs Insights price per GB scanned, for the cost in the summary. */
  pricePerGb?: number
  /** Link to the workflow run that made this report, when running on GitHub. */
  runUrl?: string
  /** Link to the CloudWatch Logs Insights console on this query, log groups and window. */
  consoleUrl: string
  /** `new-signatures` on a record query: this window's signatures against the seen set. */
  signatures?: SignatureFindings
  /** `rate-thresholds`: the window's error rates among all its requests, overall and per route. */
  rates?: RateCheck
  /** `baseline`: the same window a while earlier, for an alert; or why it could not be counted. */
  baseline?: Baseline
  /** The queries the action wrote besides the main one (request counts, baseline), for the cost. */
  helperQueries?: HelperQuery[]
  /** Each Slack webhook's delivery this run and what it has missed, once posted. */
  webhooks?: WebhookStatus[]
}
