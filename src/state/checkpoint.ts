import type { AlertState } from '../alerting.js'
import { isoSecond } from '../format.js'
import { type Incident, parseIncident } from '../incident/incident.js'
import { parseWebhookLedger, type WebhookLedger } from '../notify/missed-deliveries.js'
import type { SeenSignatures } from '../signatures.js'

/**
 * What one run leaves for the next: how far it checked, which entries it reported in the stretch the
 * next run will check again, and whether the monitor's own runs are failing. Stored as JSON text by
 * whichever backend `state` names.
 */

/** Bumped when the shape changes; a newer version than this code knows is not guessed at. */
export const STATE_VERSION = 1

export interface Checkpoint {
  version: typeof STATE_VERSION
  /** The last second checked, epoch seconds, inclusive. */
  checked: number
  /**
   * Fingerprints of reported entries, by the epoch second of their timestamp, only for the seconds the
   * next run checks again (the overlap), so the state stays small.
   */
  reported: Record<string, string[]>
  /** When it was saved (ISO 8601), for people reading the state. */
  savedAt: string
  /**
   * Alerting memory: the current episode (failing since, until, clean since), its last alert, counts
   * held back by `realert`, whether it has told 5xx yet.
   */
  alert?: AlertState
  /** Present while the monitor's own runs are failing. */
  failure?: FailureRecord
  /** What each failing Slack webhook missed, by a hash of its URL (notify/webhook-ledger.ts). */
  missedByWebhook?: WebhookLedger
  /**
   * The incident its Slack card and GitHub issue tell (bot-token mode): open, or resolved and kept
   * for a while to be reopened (incident/incident.ts).
   */
  incident?: Incident
  /**
   * `new-signatures`: each error signature seen within `signature-memory`, with when it was last seen
   * (epoch seconds), at most 10,000 (signatures.ts). Absent until a run with new-signatures saved one:
   * that run's signatures are the baseline.
   */
  signatures?: SeenSignatures
}

/**
 * The monitor's own failing runs (credentials, query, state), so that `notify-on-error` posts once per
 * failing episode with bounded reminders, and once when the monitor runs again.
 */
export interface FailureRecord {
  /** The first failed run of the episode, epoch seconds. */
  since: number
  /** Failed runs in the episode. */
  runs: number
  /** When the last failure notice was posted, epoch seconds; absent while none was. */
  notifiedAt?: number
}

/**
 * What a monitor that has never completed a run saves: no checkpoint, only its failures. A wrong role
 * at setup is the commonest failure, and its notices must not repeat every run either.
 */
export interface FailureOnlyState {
  version: typeof STATE_VERSION
  savedAt: string
  failure: FailureRecord
}

export type SavedState = Checkpoint | FailureOnlyState

/** A saved state read back, or why there is none to use. */
export type LoadedCheckpoint =
  | { checkpoint: SavedState }
  /** `tooNew`: saved by a newer version of the action, which this one must not overwrite. */
  | { checkpoint?: undefined; problem?: string; tooNew?: true }

export function parseCheckpoint(text: string | undefined): LoadedCheckpoint {
  if (text === undefined) return {}
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return { problem: 'the saved state is not valid JSON' }
  }
  if (!isRecord(value)) return { problem: 'the saved state is not a JSON object' }
  if (typeof value.version === 'number' && value.version > STATE_VERSION) {
    return {
      problem: `the saved state has version ${value.version}, newer than this action understands (${STATE_VERSION})`,
      tooNew: true,
    }
  }
  return parseSavedState(value)
}

/** A state of this version, field by field. */
function parseSavedState(value: Record<string, unknown>): LoadedCheckpoint {
  const savedAt = typeof value.savedAt === 'string' ? value.savedAt : ''
  let failure: FailureRecord | undefined
  if (value.failure !== undefined) {
    failure = parseFailureRecord(value.failure)
    if (!failure) return { problem: 'the saved state has a malformed failure record' }
  }
  // A monitor that has never completed a run: its failures, and no checkpoint yet.
  if (
    value.version === STATE_VERSION &&
    failure &&
    value.checked === undefined &&
    value.reported === undefined
  ) {
    return { checkpoint: { version: STATE_VERSION, savedAt, failure } }
  }
  if (value.version !== STATE_VERSION || !Number.isSafeInteger(value.checked) || !isRecord(value.reported)) {
    return { problem: 'the saved state does not have the expected fields' }
  }
  const reported = parseReported(value.reported)
  if (!reported) return { problem: 'the saved state has malformed fingerprints' }
  const checkpoint: Checkpoint = {
    version: STATE_VERSION,
    checked: value.checked as number,
    reported,
    savedAt,
  }
  const problem = addRecords(checkpoint, value, failure)
  return problem ? { problem } : { checkpoint }
}

/**
 * The checkpoint's optional records (alert memory, failure, incident, missed deliveries) read into
 * it; the problem when one is malformed. A malformed record is never taken for none: no alert memory
 * would alert again at once, no incident would post a second card.
 */
function addRecords(
  checkpoint: Checkpoint,
  value: Record<string, unknown>,
  failure: FailureRecord | undefined,
): string | undefined {
  if (value.alert !== undefined) {
    const alert = parseAlertState(value.alert)
    if (!alert) return 'the saved state has a malformed alert record'
    checkpoint.alert = alert
  }
  if (failure) checkpoint.failure = failure
  if (value.incident !== undefined) {
    const incident = parseIncident(value.incident)
    if (!incident) return 'the saved state has a malformed incident record'
    checkpoint.incident = incident
  }
  if (value.missedByWebhook !== undefined) {
    const missed = parseWebhookLedger(value.missedByWebhook)
    if (!missed) return 'the saved state has a malformed record of missed Slack deliveries'
    if (Object.keys(missed).length > 0) checkpoint.missedByWebhook = missed
  }
  if (value.signatures !== undefined) {
    const signatures = parseSignatures(value.signatures)
    if (!signatures) return 'the saved state has a malformed record of error signatures'
    checkpoint.signatures = signatures
  }
  return undefined
}

/** Signature → last seen (epoch seconds), or undefined when any value is not a whole number. */
function parseSignatures(value: unknown): SeenSignatures | undefined {
  if (!isRecord(value)) return undefined
  const entries = Object.entries(value)
  if (!entries.every(([, last]) => Number.isSafeInteger(last))) return undefined
  // fromEntries defines each key as its own property: a signature `__proto__` stays a key.
  return Object.fromEntries(entries) as SeenSignatures
}

/** Fingerprints by epoch second, or undefined when any key or list is malformed. */
function parseReported(value: Record<string, unknown>): Record<string, string[]> | undefined {
  const reported: Record<string, string[]> = {}
  for (const [second, fingerprints] of Object.entries(value)) {
    if (
      !/^\d+$/.test(second) ||
      !Array.isArray(fingerprints) ||
      !fingerprints.every((f) => typeof f === 'string')
    ) {
      return undefined
    }
    reported[second] = fingerprints
  }
  return reported
}

function parseFailureRecord(value: unknown): FailureRecord | undefined {
  if (!isRecord(value)) return undefined
  const { since, runs, notifiedAt } = value
  if (!Number.isSafeInteger(since) || !Number.isSafeInteger(runs) || (runs as number) < 1) return undefined
  const failure: FailureRecord = { since: since as number, runs: runs as number }
  if (notifiedAt !== undefined) {
    if (!Number.isSafeInteger(notifiedAt)) return undefined
    failure.notifiedAt = notifiedAt as number
  }
  return failure
}

function parseAlertState(value: unknown): AlertState | undefined {
  if (!isRecord(value) || !isRecord(value.pending)) return undefined
  const { pending } = value
  const counts = [pending.total, pending.critical, pending.warning, pending.windows]
  if (!counts.every((n) => Number.isSafeInteger(n) && (n as number) >= 0)) return undefined
  const alert: AlertState = {
    pending: {
      total: pending.total as number,
      critical: pending.critical as number,
      warning: pending.warning as number,
      windows: pending.windows as number,
    },
  }
  // cleanSince and criticalAlerted came with resolve-after; a state saved before has neither, and
  // loads as it is (an older action reading a newer state leaves them out in turn).
  for (const key of ['lastAlertAt', 'failingSince', 'failingUntil', 'cleanSince'] as const) {
    const time = value[key]
    if (time === undefined) continue
    if (!Number.isSafeInteger(time)) return undefined
    alert[key] = time as number
  }
  if (value.criticalAlerted !== undefined) {
    if (typeof value.criticalAlerted !== 'boolean') return undefined
    if (value.criticalAlerted) alert.criticalAlerted = true
  }
  return alert
}

export function serializeCheckpoint(checkpoint: SavedState): string {
  return `${JSON.stringify(checkpoint)}\n`
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/** `3 failed runs in a row since 2026-11-23T10:00:00Z, Slack told at 2026-11-23T10:00:00Z` */
export function describeFailure(failure: FailureRecord): string {
  const told =
    failure.notifiedAt !== undefined ? `, Slack told at ${isoSecond(failure.notifiedAt)}` : ', Slack not told'
  return `${failure.runs} failed ${failure.runs === 1 ? 'run' : 'runs'} in a row since ${isoSecond(failure.since)}${told}`
}
