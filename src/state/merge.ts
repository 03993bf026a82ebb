import type { AlertState } from '../alerting.js'
import type { Incident } from '../incident/incident.js'
import { mergeSeenSignatures } from '../signatures.js'
import type { Checkpoint, FailureRecord, SavedState } from './checkpoint.js'

/**
 * Two runs on one state at once (no `concurrency` group): the one saving last would drop what the
 * other recorded, and the next run would report the other's entries again, or check from an older
 * checkpoint. What this run is about to save is merged with what the other saved meanwhile:
 * the later `checked`, every fingerprint either reported (in the stretch the next run checks again),
 * the alert memory as if one run had seen both windows, every error signature either saw.
 */
export function mergeCheckpoints(ours: Checkpoint, theirs: SavedState, overlapSeconds: number): Checkpoint {
  if (!('checked' in theirs)) {
    // The other run saved only a failure record (it never completed): ours is the newer news.
    return ours
  }
  const checked = Math.max(ours.checked, theirs.checked)
  const from = checked - overlapSeconds
  const reported: Record<string, string[]> = {}
  const seconds = new Set([...Object.keys(ours.reported), ...Object.keys(theirs.reported)])
  for (const second of [...seconds].sort((a, b) => Number(a) - Number(b))) {
    if (Number(second) < from) continue
    const union = new Set([...(ours.reported[second] ?? []), ...(theirs.reported[second] ?? [])])
    if (union.size > 0) reported[second] = [...union]
  }
  const merged: Checkpoint = { ...ours, checked, reported }
  const alert = mergeAlerts(ours.alert, theirs.alert)
  if (alert) merged.alert = alert
  const failure = mergeFailures(ours.failure, theirs.failure)
  if (failure) merged.failure = failure
  else delete merged.failure
  const incident = mergeIncidents(ours.incident, theirs.incident)
  if (incident) merged.incident = incident
  // Either run's signatures are seen: forgetting one would call it new again.
  const signatures = mergeSeenSignatures(ours.signatures, theirs.signatures)
  if (signatures) merged.signatures = signatures
  return merged
}

/**
 * The incident that has seen the most: the later `lastSeen`, then the later opening (a newer
 * incident), then the more windows. Not added up: both runs advanced it from the same saved
 * incident with largely the same windows, so adding would count those twice (as with the alert's
 * pending counts). Of one incident (same id), a card or issue only the other run created is kept:
 * dropped, that card would never be edited again and the next run would post another.
 */
function mergeIncidents(ours: Incident | undefined, theirs: Incident | undefined): Incident | undefined {
  if (!ours || !theirs) return ours ?? theirs
  const later = compareIncidents(theirs, ours) > 0 ? theirs : ours
  const other = later === ours ? theirs : ours
  if (later.id !== other.id) return later
  const merged: Incident = { ...later, cards: [...later.cards] }
  for (const card of other.cards) {
    if (!merged.cards.some((kept) => kept.channel === card.channel)) merged.cards.push(card)
  }
  if (merged.issueNumber === undefined && other.issueNumber !== undefined) {
    merged.issueNumber = other.issueNumber
  }
  return merged
}

function compareIncidents(a: Incident, b: Incident): number {
  return a.lastSeen - b.lastSeen || a.openedAt - b.openedAt || a.windows - b.windows
}

/**
 * The later alert wins (it is what Slack last saw); an episode spans both runs' windows. Counts
 * held back by `realert` come from the run whose alert memory is the latest: both saw largely the
 * same entries, so adding them would count those twice.
 */
function mergeAlerts(ours: AlertState | undefined, theirs: AlertState | undefined): AlertState | undefined {
  if (!ours || !theirs) return ours ?? theirs
  const latest = (theirs.lastAlertAt ?? -1) > (ours.lastAlertAt ?? -1) ? theirs : ours
  const merged: AlertState = { ...latest, pending: { ...latest.pending } }
  const since = minDefined(ours.failingSince, theirs.failingSince)
  const until = maxDefined(ours.failingUntil, theirs.failingUntil)
  // An episode one run closed (resolved) stays closed only if neither saw it go on.
  if (ours.failingSince !== undefined || theirs.failingSince !== undefined) {
    if (since !== undefined) merged.failingSince = since
    if (until !== undefined) merged.failingUntil = until
    // Either run's 5xx alert carried the mention; a clean stretch starts after both runs' failing windows.
    if (ours.criticalAlerted || theirs.criticalAlerted) merged.criticalAlerted = true
    const cleanSince = maxDefined(ours.cleanSince, theirs.cleanSince)
    if (cleanSince !== undefined && until !== undefined && cleanSince > until) merged.cleanSince = cleanSince
    else delete merged.cleanSince
  }
  return merged
}

/**
 * This run's own outcome decides whether the monitor is failing: a run that completed ends the
 * episode. When both carry one, it is one episode, since its first failed run.
 */
function mergeFailures(
  ours: FailureRecord | undefined,
  theirs: FailureRecord | undefined,
): FailureRecord | undefined {
  if (!ours) return undefined
  if (!theirs) return ours
  const merged: FailureRecord = {
    since: Math.min(ours.since, theirs.since),
    runs: Math.max(ours.runs, theirs.runs),
  }
  const notifiedAt = maxDefined(ours.notifiedAt, theirs.notifiedAt)
  if (notifiedAt !== undefined) merged.notifiedAt = notifiedAt
  return merged
}

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b)
}

function maxDefined(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.max(a, b)
}
