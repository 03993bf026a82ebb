import { formatDuration, isoSecond } from './format.js'
import type { Window } from './insights/window.js'
import type { WindowSignature } from './signatures.js'

/**
 * Alert only at this many new entries in a window: overall, or per severity. A window alerts when any
 * threshold that is set is met.
 */
export interface Thresholds {
  total?: number
  /** 5xx entries. */
  critical?: number
  /** 4xx entries. */
  warning?: number
  /** Entries without a 4xx or 5xx status (a query that returns no status field, say). */
  other?: number
}

/** New entries by severity. */
export interface Counts {
  total: number
  /** 5xx. */
  critical: number
  /** 4xx. */
  warning: number
}

/**
 * What `rate-thresholds` said of a window (rates.ts): the shares that reached their threshold, among
 * every request, above the `min-requests` floor.
 */
export interface RateVerdict {
  /** A share reached its threshold, overall or on a route. */
  fired: boolean
  /** A 5xx share did. */
  critical: boolean
  /** A 5xx rate threshold is set: then 5xx below it are no news of their own. */
  criticalSet: boolean
  /** Why no share fired, for the summary. */
  unmet: string
}

/** A window's new entries, and what its rates said when `rate-thresholds` is set. */
export type WindowCounts = Counts & { rates?: RateVerdict }

/**
 * What the monitor remembers between runs about its alerts (kept in the checkpoint). An alerting
 * episode is open while `failingSince` is set: from its first alerting window until the timeline
 * checked after its last one has stayed below the thresholds for `resolve-after`. Every field but
 * `pending` is optional, so checkpoints saved before a field existed still load.
 */
export interface AlertState {
  /** When the episode's last alert was posted, epoch seconds; the quiet period (`realert`) runs from it. */
  lastAlertAt?: number
  /** Entries of alerting windows inside the quiet period (`realert`), told with the next alert. */
  pending: Counts & { windows: number }
  /** Start of the first alerting window of the current episode; absent while things are fine. */
  failingSince?: number
  /** End of the latest alerting window of the current episode. */
  failingUntil?: number
  /**
   * The episode has posted an alert with 5xx in it (with the `mention`): later 5xx wait for `realert`
   * like any entry. Until then, 5xx that meet their threshold post at once, quiet period or not.
   */
  criticalAlerted?: boolean
  /**
   * Set while the episode clears when the clean stretch starts later than `failingUntil`: a stretch
   * named as not checked (a gap) is not known to be clean, so `resolve-after` counts from its end.
   */
  cleanSince?: number
}

export interface AlertSettings {
  thresholds: Thresholds
  realertSeconds: number
  resolveAfterSeconds: number
  notifyResolved: boolean
}

/** An alerting episode as a resolved notice or the summary tells it. */
export interface Episode {
  /** Start of its first alerting window, epoch seconds. */
  failingSince: number
  /** End of its last alerting window. */
  failingUntil: number
  /** Since when the timeline checked has been below the thresholds (`failingUntil`, or a gap's end). */
  cleanSince: number
}

/** What this run tells Slack, and the state the next run starts from. */
export type AlertDecision = { state: AlertState } & (
  | {
      kind: 'alert'
      /** Entries that arrived during the quiet period since the last alert, when any did. */
      sinceLastAlert?: Counts & { windows: number; lastAlertAt: number }
      /** 5xx in an episode that so far alerted for 4xx only: posted inside the quiet period. */
      escalated?: { lastAlertAt: number; quietUntil: number }
      /**
       * Posted for new error signatures (`new-signature-threshold`) where the other rules would not
       * have posted; `otherwise` says why they would not (below the thresholds, the quiet period).
       */
      newSignatures?: { signatures: WindowSignature[]; otherwise: string }
    }
  /** An alerting window inside the quiet period: nothing is posted; its counts wait for the next alert. */
  | { kind: 'quiet'; lastAlertAt: number; quietUntil: number }
  /**
   * Below the thresholds after an alerting episode, but not yet for `resolve-after`: nothing is posted.
   * `resolveAt` is the window end from which a clean window resolves it.
   */
  | ({ kind: 'clearing'; resolveAt: number; unmet?: string } & Episode)
  /**
   * Entries were found, but fewer than every threshold: nothing is posted. `closed`: an episode ended
   * here without a message (`notify-resolved: false`).
   */
  | { kind: 'below-threshold'; unmet: string; closed?: Episode }
  /** The episode has been below the thresholds for `resolve-after`: one message, and it is closed. */
  | ({ kind: 'resolved'; unreported: Counts & { windows: number } } & Episode)
  /** Nothing found, nothing to tell. */
  | { kind: 'none'; closed?: Episode }
)

const NO_PENDING = { total: 0, critical: 0, warning: 0, windows: 0 }

/**
 * Decides between an alert, silence and a resolved notice. Thresholds apply to each window's new
 * entries. The first alerting window opens an episode and alerts at once; inside the episode,
 * `realert` silences further alerts for a while after each one (the next alert tells what arrived in
 * between), except that the first 5xx of an episode that alerted only for 4xx posts at once. The
 * episode is resolved, with one message (`notify-resolved`), once the timeline checked after its last
 * alerting window has stayed below the thresholds for `resolve-after`, measured on window time (the
 * runs' own times are late by minutes, at random). An alerting window before then continues it.
 * `gap`: a stretch before this window that no run checked; it does not count as clean.
 */
export function decideAlert(
  counts: WindowCounts,
  previous: AlertState | undefined,
  nowSeconds: number,
  window: Window,
  settings: AlertSettings,
  gap?: Window,
): AlertDecision {
  const open = isOpen(previous) ? previous : undefined
  const unmet = unmetThresholds(counts, settings.thresholds)
  if (unmet === undefined) {
    if (!open) {
      // A new episode alerts at once, however recent the last episode's alerts were. The alert's
      // message carries the mention when it tells 5xx (notify/digest-message.ts).
      return { kind: 'alert', state: alertState(nowSeconds, window.start, window.end, counts.critical > 0) }
    }
    return alertInEpisode(counts, open, nowSeconds, window, settings)
  }
  if (!open) return nothingToTell(counts, unmet)
  return clearEpisode(counts, unmet, open, window, settings, gap)
}

/** An alert state with an open episode: `failingSince`, its start, is the field that marks one as open. */
type OpenEpisode = AlertState & { failingSince: number }

function isOpen(state: AlertState | undefined): state is OpenEpisode {
  return state?.failingSince !== undefined
}

/**
 * An alerting window in an open episode: silent inside the quiet period (its counts wait for the next
 * alert), an alert after it, and an alert at once for the episode's first 5xx that meet their
 * threshold when it so far alerted only for 4xx.
 */
function alertInEpisode(
  counts: WindowCounts,
  open: OpenEpisode,
  nowSeconds: number,
  window: Window,
  settings: AlertSettings,
): AlertDecision {
  const { pending, lastAlertAt } = open
  const quiet = quietPeriod(lastAlertAt, nowSeconds, settings.realertSeconds)
  // The mention is for 5xx: a 4xx episode's quiet period must never hold a 5xx back.
  const escalates = meetsCritical(counts, settings.thresholds) && !open.criticalAlerted
  if (quiet && !escalates) return holdInQuietPeriod(counts, open, window, quiet)
  const decision: AlertDecision = {
    kind: 'alert',
    state: alertState(
      nowSeconds,
      open.failingSince,
      window.end,
      counts.critical > 0 || open.criticalAlerted === true,
    ),
  }
  if (pending.windows > 0 && lastAlertAt !== undefined) decision.sinceLastAlert = { ...pending, lastAlertAt }
  if (quiet) decision.escalated = quiet
  return decision
}

interface QuietPeriod {
  /** The episode's last alert, epoch seconds. */
  lastAlertAt: number
  /** When `realert` after it runs out. */
  quietUntil: number
}

/** The quiet period after the episode's last alert, when `now` is inside it. */
function quietPeriod(
  lastAlertAt: number | undefined,
  nowSeconds: number,
  realertSeconds: number,
): QuietPeriod | undefined {
  if (lastAlertAt === undefined) return undefined
  const quietUntil = lastAlertAt + realertSeconds
  return nowSeconds < quietUntil ? { lastAlertAt, quietUntil } : undefined
}

/** An alerting window inside the quiet period: nothing posted, its counts kept for the next alert. */
function holdInQuietPeriod(
  counts: Counts,
  open: OpenEpisode,
  window: Window,
  quiet: QuietPeriod,
): AlertDecision {
  const { lastAlertAt, quietUntil } = quiet
  const state: AlertState = {
    lastAlertAt,
    failingSince: open.failingSince,
    failingUntil: window.end,
    pending: add(open.pending, counts),
  }
  if (open.criticalAlerted) state.criticalAlerted = true
  return { kind: 'quiet', lastAlertAt, quietUntil, state }
}

/**
 * A window below the thresholds in an open episode: it goes on clearing until the timeline checked
 * after its last alerting window (a gap excepted) has been clean for `resolve-after`, then it is
 * closed, with a resolved notice or without one (`notify-resolved`).
 */
function clearEpisode(
  counts: Counts,
  unmet: string,
  open: OpenEpisode,
  window: Window,
  settings: AlertSettings,
  gap: Window | undefined,
): AlertDecision {
  const failingUntil = open.failingUntil ?? window.start
  let cleanSince = Math.max(failingUntil, open.cleanSince ?? failingUntil)
  if (gap) cleanSince = Math.max(cleanSince, gap.end)
  const episode: Episode = { failingSince: open.failingSince, failingUntil, cleanSince }
  const resolveAt = cleanSince + settings.resolveAfterSeconds
  if (window.end < resolveAt) return stillClearing(counts, unmet, open, episode, resolveAt)
  // Closed: the next alerting window opens a new episode, and alerts at once.
  if (settings.notifyResolved) {
    return { kind: 'resolved', ...episode, unreported: open.pending, state: { pending: NO_PENDING } }
  }
  return nothingToTell(counts, unmet, episode)
}

/** Clean, but not yet for `resolve-after`: nothing posted, and the episode stays open. */
function stillClearing(
  counts: Counts,
  unmet: string,
  open: OpenEpisode,
  episode: Episode,
  resolveAt: number,
): AlertDecision {
  const { failingSince, failingUntil, cleanSince } = episode
  const state: AlertState = { ...open, failingSince, failingUntil }
  if (cleanSince > failingUntil) state.cleanSince = cleanSince
  else delete state.cleanSince
  const clearing: AlertDecision = { kind: 'clearing', ...episode, resolveAt, state }
  if (counts.total > 0) clearing.unmet = unmet
  return clearing
}

/**
 * No episode open (or one `closed` here without a message): entries below the thresholds, or none
 * at all, post nothing.
 */
function nothingToTell(counts: Counts, unmet: string, closed?: Episode): AlertDecision {
  const state: AlertState = { pending: NO_PENDING }
  const outcome = closed ? { closed } : {}
  if (counts.total > 0) return { kind: 'below-threshold', unmet, ...outcome, state }
  return { kind: 'none', ...outcome, state }
}

function alertState(now: number, failingSince: number, failingUntil: number, critical: boolean): AlertState {
  const state: AlertState = { lastAlertAt: now, failingSince, failingUntil, pending: NO_PENDING }
  if (critical) state.criticalAlerted = true
  return state
}

/**
 * An alerting window's 5xx are news of their own: they meet the 5xx threshold or 5xx rate, or, without
 * either, the window alerted with 5xx in it (the `mention` goes out for them either way).
 */
function meetsCritical(counts: WindowCounts, thresholds: Thresholds): boolean {
  if (counts.critical === 0) return false
  if (counts.rates?.critical) return true
  if (thresholds.critical !== undefined) return counts.critical >= thresholds.critical
  return counts.rates?.criticalSet !== true
}

/**
 * A new error signature with at least `new-signature-threshold` entries is news of its own: the
 * window alerts even below the thresholds, inside the quiet period or while an episode clears. The
 * alert memory stays as the other rules left it (a new signature neither opens an episode nor
 * restarts the quiet period); inside the quiet period this window's counts are told now, not held.
 * A resolved notice is left as it is (the summary still lists the signatures).
 */
export function alertOnNewSignatures(
  decision: AlertDecision,
  signatures: readonly WindowSignature[],
  previous: AlertState | undefined,
  realertSeconds: number,
): AlertDecision {
  if (signatures.length === 0) return decision
  const alert = (otherwise: string, state: AlertState): AlertDecision => ({
    kind: 'alert',
    state,
    newSignatures: { signatures: [...signatures], otherwise },
  })
  switch (decision.kind) {
    case 'below-threshold':
      return alert(`below the thresholds (${decision.unmet})`, decision.state)
    case 'clearing':
      return alert(
        `the episode is clearing${decision.unmet ? ` (below the thresholds: ${decision.unmet})` : ''}`,
        decision.state,
      )
    case 'quiet':
      return alert(
        `inside the quiet period (the last alert was at ${isoSecond(decision.lastAlertAt)}, realert is ${formatDuration(realertSeconds)})`,
        {
          ...decision.state,
          pending: previous?.pending ?? NO_PENDING,
        },
      )
    default:
      return decision
  }
}

/**
 * Undefined when a threshold is met, absolute or rate (either can fire); otherwise which were not,
 * for the summary.
 */
export function unmetThresholds(counts: WindowCounts, thresholds: Thresholds): string | undefined {
  if (counts.rates?.fired) return undefined
  const checks: Array<[number | undefined, number, string]> = [
    [thresholds.total, counts.total, 'matches'],
    [thresholds.critical, counts.critical, '5xx'],
    [thresholds.warning, counts.warning, '4xx'],
    [thresholds.other, counts.total - counts.critical - counts.warning, 'other'],
  ]
  const unmet: string[] = []
  for (const [threshold, count, label] of checks) {
    if (threshold === undefined) continue
    if (count >= threshold) return undefined
    unmet.push(`${count} ${label} of ${threshold}`)
  }
  if (counts.rates) unmet.push(counts.rates.unmet)
  return unmet.join(', ')
}

function add(pending: Counts & { windows: number }, counts: Counts): Counts & { windows: number } {
  return { ...addCounts(pending, counts), windows: pending.windows + 1 }
}

/** The two counts together. */
export function addCounts(a: Counts, b: Counts): Counts {
  return { total: a.total + b.total, critical: a.critical + b.critical, warning: a.warning + b.warning }
}
