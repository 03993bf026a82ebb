import { describe, expect, it } from 'vitest'
import { type AlertState, type Counts, decideAlert, unmetThresholds } from '../../src/alerting.js'

const MINUTE = 60
const counts = (critical: number, warning: number): Counts => ({
  total: critical + warning,
  critical,
  warning,
})
const windowAt = (minute: number) => ({ start: minute * MINUTE - 300, end: minute * MINUTE })

/** Runs decideAlert over a series of (minute, counts), carrying the state like the checkpoint does. */
function series(runs: Array<[number, Counts]>, settings: Parameters<typeof decideAlert>[4]) {
  let state: AlertState | undefined
  return runs.map(([minute, found]) => {
    const decision = decideAlert(found, state, minute * MINUTE, windowAt(minute), settings)
    state = decision.state
    return decision
  })
}

describe('decideAlert', () => {
  const base = { thresholds: { total: 1 }, realertSeconds: 0, notifyResolved: true }

  it('alerts on every alerting window without realert, and resolves once when clean', () => {
    const kinds = series(
      [
        [0, counts(1, 0)],
        [5, counts(0, 2)],
        [10, counts(0, 0)],
        [15, counts(0, 0)],
      ],
      base,
    ).map((d) => d.kind)
    expect(kinds).toEqual(['alert', 'alert', 'resolved', 'none'])
  })

  it('with realert 20m, runs at 0, +5, +25, +30 post alert, nothing, alert with what came since, resolved', () => {
    const decisions = series(
      [
        [0, counts(2, 1)],
        [5, counts(1, 4)],
        [25, counts(0, 3)],
        [30, counts(0, 0)],
      ],
      { ...base, realertSeconds: 20 * MINUTE },
    )
    expect(decisions.map((d) => d.kind)).toEqual(['alert', 'quiet', 'alert', 'resolved'])
    const third = decisions[2]
    expect(third?.kind === 'alert' && third.sinceLastAlert).toEqual({
      total: 5,
      critical: 1,
      warning: 4,
      windows: 1,
      lastAlertAt: 0,
    })
    const resolved = decisions[3]
    expect(resolved?.kind === 'resolved' && [resolved.failingSince, resolved.failingUntil]).toEqual([
      -5 * MINUTE,
      25 * MINUTE,
    ])
  })

  it('stays silent below the thresholds and says which were not met', () => {
    const decision = decideAlert(counts(0, 5), undefined, 0, windowAt(0), {
      ...base,
      thresholds: { critical: 1, warning: 20 },
    })
    expect(decision).toMatchObject({ kind: 'below-threshold', unmet: '0 5xx of 1, 5 4xx of 20' })
  })

  it('alerts when any one of the per-severity thresholds is met', () => {
    expect(unmetThresholds(counts(1, 0), { critical: 1, warning: 20 })).toBeUndefined()
    expect(unmetThresholds(counts(0, 20), { critical: 1, warning: 20 })).toBeUndefined()
    expect(unmetThresholds(counts(0, 19), { total: 20 })).toBe('19 matches of 20')
  })

  it('does not post a resolved notice when notify-resolved is off, and forgets the episode', () => {
    const decisions = series(
      [
        [0, counts(1, 0)],
        [5, counts(0, 0)],
        [10, counts(1, 0)],
      ],
      { ...base, notifyResolved: false },
    )
    expect(decisions.map((d) => d.kind)).toEqual(['alert', 'none', 'alert'])
    expect(decisions[2]?.state.failingSince).toBe(windowAt(10).start)
  })
})
