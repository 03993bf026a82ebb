import { formatDuration, isoSecond } from '../format.js'

/**
 * A run without a checkpoint to start from says so (warning, summary, Slack): an entry older than
 * its window is not covered by any run this monitor remembers. Not with `state: none`, where every
 * run is a first run by choice.
 */
export interface NoCheckpointNotice {
  /** The first second this run checked: the monitor has no record of checking before it. */
  before: number
  /** Earlier runs saved state, and it was lost or is unusable. */
  lost?: {
    reason: string
    maxCatchUpSeconds: number
    /** What no run is known to have checked, before this run's window (open-ended without `start`). */
    uncovered?: { start?: number; end: number }
  }
}

/** The notice as plain text (unescaped: `reason` names files and cache keys). */
export function noCheckpointText(notice: NoCheckpointNotice): string {
  const text = [
    `No checkpoint found: this monitor has no record of checking before ${isoSecond(notice.before)}.`,
  ]
  const { lost } = notice
  if (!lost) {
    text.push('This is its first run (or its state is kept somewhere else), so it checks the last interval.')
    return text.join(' ')
  }
  text.push(
    `Earlier runs saved state, but ${lost.reason}; so this run reaches back up to max-catch-up (${formatDuration(lost.maxCatchUpSeconds)}) instead of the interval. Entries in its window that earlier runs reported may be reported again: the record of them was lost with the state.`,
  )
  const { uncovered } = lost
  if (uncovered) {
    text.push(
      uncovered.start === undefined
        ? `Not covered: anything before ${isoSecond(uncovered.end + 1)} that the lost state had not yet checked (when it was saved cannot be told); query that stretch by hand if it matters.`
        : `Not covered: ${isoSecond(uncovered.start)} – ${isoSecond(uncovered.end)} (${formatDuration(uncovered.end - uncovered.start + 1)}), after the lost state was saved; query that stretch by hand if it matters.`,
    )
  }
  return text.join(' ')
}
