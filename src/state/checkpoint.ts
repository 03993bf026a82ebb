import type { AlertState } from '../alerting.js'

/**
 * What one run leaves for the next: how far it checked, and which entries it reported in the stretch
 * the next run will check again. Stored as JSON text by whichever backend `state` names.
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
  /** Alerting memory: the last alert, counts held back by `realert`, the current failing episode. */
  alert?: AlertState
}

/** A checkpoint read back, or why there is none to use. */
export type LoadedCheckpoint = { checkpoint: Checkpoint } | { checkpoint?: undefined; problem?: string }

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
    }
  }
  if (value.version !== STATE_VERSION || !Number.isSafeInteger(value.checked) || !isRecord(value.reported)) {
    return { problem: 'the saved state does not have the expected fields' }
  }
  const reported: Record<string, string[]> = {}
  for (const [second, fingerprints] of Object.entries(value.reported)) {
    if (
      !/^\d+$/.test(second) ||
      !Array.isArray(fingerprints) ||
      !fingerprints.every((f) => typeof f === 'string')
    ) {
      return { problem: 'the saved state has malformed fingerprints' }
    }
    reported[second] = fingerprints
  }
  const checkpoint: Checkpoint = {
    version: STATE_VERSION,
    checked: value.checked as number,
    reported,
    savedAt: typeof value.savedAt === 'string' ? value.savedAt : '',
  }
  if (value.alert !== undefined) {
    const alert = parseAlertState(value.alert)
    if (!alert) return { problem: 'the saved state has a malformed alert record' }
    checkpoint.alert = alert
  }
  return { checkpoint }
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
  for (const key of ['lastAlertAt', 'failingSince', 'failingUntil'] as const) {
    const time = value[key]
    if (time === undefined) continue
    if (!Number.isSafeInteger(time)) return undefined
    alert[key] = time as number
  }
  return alert
}

export function serializeCheckpoint(checkpoint: Checkpoint): string {
  return `${JSON.stringify(checkpoint)}\n`
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}
