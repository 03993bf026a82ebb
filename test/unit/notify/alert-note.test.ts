import { describe, expect, it } from 'vitest'
import { decideAlert } from '../../../src/alerting.js'
import { alertNote } from '../../../src/notify/alert-note.js'

/** The job summary's explanation of a run that posted no alert, or one inside the quiet period. */

const MINUTE = 60
const T = Date.UTC(2026, 0, 15, 10, 0, 0) / 1000
const windowAt = (minute: number) => ({ start: T + minute * MINUTE - 300, end: T + minute * MINUTE })
const settings = {
  thresholds: { critical: 1, warning: 50, other: 1 },
  realertSeconds: 60 * MINUTE,
  resolveAfterSeconds: 15 * MINUTE,
  notifyResolved: true,
}
const found = (critical: number, warning: number) => ({ total: critical + warning, critical, warning })

describe('alertNote', () => {
  const alerted = decideAlert(found(1, 0), undefined, T, windowAt(0), settings)

  it('says nothing when the Slack message says it all', () => {
    expect(alertNote(alerted, settings, windowAt(0))).toBe('')
  })

  it('explains a clearing episode: clean since when, and when it resolves if it stays clean', () => {
    const clearing = decideAlert(found(0, 3), alerted.state, T + 5 * MINUTE, windowAt(5), settings)
    expect(alertNote(clearing, settings, windowAt(5))).toBe(
      'Below the thresholds (0 5xx of 1, 3 4xx of 50, 0 other of 1). Clearing: clean since 2026-01-15T10:00:00Z (5m so far); resolved after 2026-01-15T10:15:00Z if it stays clean (resolve-after 15m). The episode began at 2026-01-15T09:55:00Z; nothing is posted while it clears.',
    )
  })

  it('explains the quiet period, and a 5xx alert inside it after 4xx ones', () => {
    const quiet = decideAlert(found(1, 0), alerted.state, T + 5 * MINUTE, windowAt(5), settings)
    expect(alertNote(quiet, settings, windowAt(5))).toBe(
      'Quiet period: the last alert was at 2026-01-15T10:00:00Z and realert is 1h; these entries are told with the next alert (after 2026-01-15T11:00:00Z) or the resolved notice.',
    )
    const fourxx = decideAlert(found(0, 60), undefined, T, windowAt(0), settings)
    const escalated = decideAlert(found(1, 0), fourxx.state, T + 5 * MINUTE, windowAt(5), settings)
    expect(alertNote(escalated, settings, windowAt(5))).toBe(
      '5xx in an episode that had alerted for 4xx only: alerted at once, inside the quiet period (the last alert was at 2026-01-15T10:00:00Z, realert is 1h).',
    )
  })

  it('says when notify-resolved false closed the episode without a message', () => {
    const silent = { ...settings, resolveAfterSeconds: 0, notifyResolved: false }
    const closed = decideAlert(found(0, 0), alerted.state, T + 5 * MINUTE, windowAt(5), silent)
    expect(alertNote(closed, silent, windowAt(5))).toBe(
      'No new matching entries: nothing to send. The episode of 2026-01-15T09:55:00Z – 2026-01-15T10:00:00Z is resolved: clean for 5m (resolve-after 0s); notify-resolved is false, so nothing is posted.',
    )
  })
})
