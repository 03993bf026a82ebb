import type { Window } from './insights/window.js'
import type { Thresholds } from './settings.js'

/** New entries by severity. */
export interface Counts {
  total: number
  /** 5xx. */
  critical: number
  /** 4xx. */
  warning: number
}

/** What the monitor remembers between runs about its alerts (kept in the checkpoint). */
export interface AlertState {
  /** When the last alert was posted, epoch seconds. */
  lastAlertAt?: number
  /** Entries of alerting windows inside the quiet period (`realert`), told with the next alert. */
  pending: Counts & { windows: number }
  /** Start of the first alerting window of the current episode; absent while things are fine. */
  failingSince?: number
  /** End of the latest alerting window of the current episode. */
  failingUntil?: number
}

export interface AlertSettings {
  thresholds: Thresholds
  realertSeconds: number
  notifyResolved: boolean
}

/** What this run tells Slack, and the state the next run starts from. */
export type AlertDecision = { state: AlertState } & (
  | {
      kind: 'alert'
      /** Entries that arrived during the quiet period since the last alert, when any did. */
      sinceLastAlert?: Counts & { windows: number; lastAlertAt: number }
    }
  /** An alerting window inside the quiet period: nothing is posted; its counts wait for the next alert. */
  | { kind: 'quiet'; lastAlertAt: number; quietUntil: number }
  /** Entries were found, but fewer than every threshold: nothing is posted. */
  | { kind: 'below-threshold'; unmet: string }
  /** The first window below the thresholds after alerting ones. */
  | { kind: 'resolved'; failingSince: number; failingUntil: number; unreported: Counts & { windows: number } }
  /** Nothing found, nothing to tell. */
  | { kind: 'none' }
)

const NO_PENDING = { total: 0, critical: 0, warning: 0, windows: 0 }

/**
 * Decides between an alert, silence and a resolved notice. Thresholds apply to each window's new
 * entries; `realert` silences alerts for a while after one was posted, and the next alert tells what
 * arrived in between; `notify-resolved` posts once when a window no longer alerts after alerting ones.
 */
export function decideAlert(
  counts: Counts,
  previous: AlertState | undefined,
  nowSeconds: number,
  window: Window,
  settings: AlertSettings,
): AlertDecision {
  const pending = previous?.pending ?? NO_PENDING
  const unmet = unmetThresholds(counts, settings.thresholds)
  if (unmet === undefined) {
    const failingSince = previous?.failingSince ?? window.start
    const lastAlertAt = previous?.lastAlertAt
    const quietUntil = lastAlertAt === undefined ? undefined : lastAlertAt + settings.realertSeconds
    if (lastAlertAt !== undefined && quietUntil !== undefined && nowSeconds < quietUntil) {
      return {
        kind: 'quiet',
        lastAlertAt,
        quietUntil,
        state: {
          lastAlertAt,
          failingSince,
          failingUntil: window.end,
          pending: add(pending, counts),
        },
      }
    }
    const decision: AlertDecision = {
      kind: 'alert',
      state: { lastAlertAt: nowSeconds, failingSince, failingUntil: window.end, pending: NO_PENDING },
    }
    if (pending.windows > 0 && lastAlertAt !== undefined)
      decision.sinceLastAlert = { ...pending, lastAlertAt }
    return decision
  }

  // Not alerting. The time of the last alert is kept: the quiet period runs from it whatever happens.
  const state: AlertState = { pending: NO_PENDING }
  if (previous?.lastAlertAt !== undefined) state.lastAlertAt = previous.lastAlertAt
  if (previous?.failingSince !== undefined && settings.notifyResolved) {
    return {
      kind: 'resolved',
      failingSince: previous.failingSince,
      failingUntil: previous.failingUntil ?? window.start,
      unreported: pending,
      state,
    }
  }
  if (counts.total > 0) return { kind: 'below-threshold', unmet, state }
  return { kind: 'none', state }
}

/** Undefined when a threshold is met; otherwise which thresholds were not, for the summary. */
export function unmetThresholds(counts: Counts, thresholds: Thresholds): string | undefined {
  const checks: Array<[number | undefined, number, string]> = [
    [thresholds.total, counts.total, 'matches'],
    [thresholds.critical, counts.critical, '5xx'],
    [thresholds.warning, counts.warning, '4xx'],
  ]
  const unmet: string[] = []
  for (const [threshold, count, label] of checks) {
    if (threshold === undefined) continue
    if (count >= threshold) return undefined
    unmet.push(`${count} ${label} of ${threshold}`)
  }
  return unmet.join(', ')
}

function add(pending: Counts & { windows: number }, counts: Counts): Counts & { windows: number } {
  return { ...addCounts(pending, counts), windows: pending.windows + 1 }
}

/** The two counts together. */
export function addCounts(a: Counts, b: Counts): Counts {
  return { total: a.total + b.total, critical: a.critical + b.critical, warning: a.warning + b.warning }
}
