/**
 * `backtest`: what one monitor would have done over a past period, as a five-minute schedule would
 * have run it. The result's shape and the schedule's arithmetic; steps/backtest.ts replays the runs,
 * notify/backtest-text.ts tells the result.
 */
import type { Window } from './insights/window.js'

/** The schedule replayed: a run at each five-minute mark, as the README's workflow runs the action. */
export const SCHEDULE_SECONDS = 300
/** Runs a month at that schedule (30 days): what the cost per month is counted on. */
export const RUNS_PER_MONTH = (30 * 86_400) / SCHEDULE_SECONDS

/** One of the windows with the most matches, and what most of them were. */
export interface BusyWindow {
  window: Window
  /** New entries the run would have reported, as the digest counts them. */
  total: number
  critical: number
  warning: number
  /** The most frequent value of the first `group-by` fields found (log text: escape it). */
  top: Array<{ field: string; value: string; count: number }>
}

export interface BacktestResult {
  /** [now − backtest, now], epoch seconds. */
  period: Window
  /** Scheduled runs replayed: one at each five-minute mark inside the period. */
  runs: number
  /** Runs whose decision was an alert. */
  alerts: number
  /** Runs whose decision was a resolved notice. */
  resolved: number
  /** Alerting windows held back by `realert` (told with the next alert). */
  quiet: number
  /** Slack webhooks and bot-token channels: each alert and resolved notice is one post to each. */
  destinations: number
  /** (alerts + resolved) × destinations. */
  posts: number
  /** The windows with the most new entries, most first. */
  busiest: BusyWindow[]
  /** What the backtest itself ran: its StartQuery calls (one per batch of 50 groups, and splits). */
  queries: number
  /** Bytes the backtest's own queries scanned. */
  bytesScanned: number
  rowsFetched: number
  /**
   * Bytes one scheduled run would scan: an estimate, the period's bytes pro rata of the replayed
   * windows' mean length (overlap included) to the period fetched.
   */
  bytesPerRunEstimate: number
  /** `price-per-gb` in dollars. */
  pricePerGb: number
  /** bytesPerRunEstimate × RUNS_PER_MONTH × price-per-gb. */
  costPerMonth: number
  /** What the replay could not do as the scheduled runs would have, said to the reader. */
  notes: string[]
}

/**
 * The replayed runs' times (epoch seconds): each five-minute mark after `now − period` up to `now`, so
 * a 7-day period at any moment has 2,016 of them.
 */
export function scheduleMarks(nowMs: number, periodSeconds: number): number[] {
  const now = Math.floor(nowMs / 1000)
  const last = Math.floor(now / SCHEDULE_SECONDS) * SCHEDULE_SECONDS
  const first = (Math.floor((now - periodSeconds) / SCHEDULE_SECONDS) + 1) * SCHEDULE_SECONDS
  const marks: number[] = []
  for (let mark = first; mark <= last; mark += SCHEDULE_SECONDS) marks.push(mark)
  return marks
}

/**
 * Bytes a scheduled run scans, estimated from the one query's bytes over `fetched`: pro rata of a
 * run's mean window (overlap included). Exact only if the logs were spread evenly over the period.
 */
export function bytesPerRun(bytesScanned: number, fetched: Window, meanWindowSeconds: number): number {
  const periodSeconds = fetched.end - fetched.start + 1
  return periodSeconds > 0 ? (bytesScanned * meanWindowSeconds) / periodSeconds : 0
}
