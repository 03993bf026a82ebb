import { describe, expect, it } from 'vitest'
import {
  type AlertState,
  alertOnNewSignatures,
  type Counts,
  decideAlert,
  unmetThresholds,
} from '../../src/alerting.js'
import { alertingSignatures, type SignatureFindings, type WindowSignature } from '../../src/signatures.js'

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
  // The behaviour before resolve-after and the quiet defaults, given explicitly: these tests are about
  // realert, thresholds and notify-resolved, not about the defaults (see 'with the default settings').
  const base = { thresholds: { total: 1 }, realertSeconds: 0, resolveAfterSeconds: 0, notifyResolved: true }

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

  it('counts entries without a 4xx/5xx status against the other threshold', () => {
    const unknown: Counts = { total: 2, critical: 0, warning: 0 }
    expect(unmetThresholds(unknown, { critical: 1, warning: 50, other: 1 })).toBeUndefined()
    expect(unmetThresholds(counts(0, 3), { critical: 1, warning: 50, other: 1 })).toBe(
      '0 5xx of 1, 3 4xx of 50, 0 other of 1',
    )
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

describe('decideAlert with the default settings (5xx=1, 4xx=50, other=1; realert 1h; resolve-after 15m)', () => {
  const defaults = {
    thresholds: { critical: 1, warning: 50, other: 1 },
    realertSeconds: 60 * MINUTE,
    resolveAfterSeconds: 15 * MINUTE,
    notifyResolved: true,
  }

  it('posts nothing for a trickle of 404s, and keeps no episode', () => {
    const decisions = series(
      [0, 5, 10, 15].map((minute): [number, Counts] => [minute, counts(0, 2)]),
      defaults,
    )
    expect(decisions.map((d) => d.kind)).toEqual(Array(4).fill('below-threshold'))
    expect(decisions.at(-1)?.state).toEqual({ pending: { total: 0, critical: 0, warning: 0, windows: 0 } })
  })

  it('alerts once for a short 5xx incident and resolves once the timeline after it is clean for 15m', () => {
    const decisions = series(
      [
        [0, counts(2, 1)],
        [5, counts(1, 3)],
        [10, counts(0, 2)],
        [15, counts(0, 0)],
        [20, counts(0, 1)],
        [25, counts(0, 0)],
      ],
      defaults,
    )
    expect(decisions.map((d) => d.kind)).toEqual([
      'alert',
      'quiet',
      'clearing',
      'clearing',
      'resolved',
      'none',
    ])
    // Clean since the end of the last alerting window (minute 5), resolved at the window ending 15m later.
    expect(decisions[2]).toMatchObject({
      kind: 'clearing',
      failingSince: -5 * MINUTE,
      failingUntil: 5 * MINUTE,
      cleanSince: 5 * MINUTE,
      resolveAt: 20 * MINUTE,
      unmet: '0 5xx of 1, 2 4xx of 50, 0 other of 1',
    })
    expect(decisions[4]).toMatchObject({
      kind: 'resolved',
      failingSince: -5 * MINUTE,
      failingUntil: 5 * MINUTE,
      cleanSince: 5 * MINUTE,
      // The quiet window's entries, told in the resolved notice.
      unreported: { total: 4, critical: 1, warning: 3, windows: 1 },
    })
    expect(decisions[4]?.state).toEqual({ pending: { total: 0, critical: 0, warning: 0, windows: 0 } })
  })

  it('continues the episode when an alerting window comes while it clears: no new alert inside realert', () => {
    const decisions = series(
      [
        [0, counts(1, 0)],
        [5, counts(0, 0)],
        [10, counts(0, 0)],
        [15, counts(1, 0)],
        [20, counts(0, 0)],
        [25, counts(0, 0)],
        [30, counts(0, 0)],
      ],
      defaults,
    )
    expect(decisions.map((d) => d.kind)).toEqual([
      'alert',
      'clearing',
      'clearing',
      'quiet',
      'clearing',
      'clearing',
      'resolved',
    ])
    expect(decisions[6]).toMatchObject({ failingSince: -5 * MINUTE, failingUntil: 15 * MINUTE })
  })

  it('after a resolved notice, the next alerting window alerts at once, though within realert of the last alert', () => {
    const decisions = series(
      [
        [0, counts(1, 0)],
        [5, counts(0, 0)],
        [10, counts(0, 0)],
        [15, counts(0, 0)],
        [20, counts(1, 0)],
      ],
      defaults,
    )
    expect(decisions.map((d) => d.kind)).toEqual(['alert', 'clearing', 'clearing', 'resolved', 'alert'])
    const last = decisions[4]
    expect(last?.kind === 'alert' && last.sinceLastAlert).toBeUndefined()
    expect(last?.state.failingSince).toBe(windowAt(20).start)
  })

  it('reminds once realert has passed inside a long episode, with what arrived since', () => {
    const minutes = Array.from({ length: 14 }, (_, i) => i * 5)
    const decisions = series(
      minutes.map((minute): [number, Counts] => [minute, counts(1, 0)]),
      defaults,
    )
    expect(decisions.map((d) => d.kind)).toEqual(['alert', ...Array(11).fill('quiet'), 'alert', 'quiet'])
    const reminder = decisions[12]
    expect(reminder?.kind === 'alert' && reminder.sinceLastAlert).toEqual({
      total: 11,
      critical: 11,
      warning: 0,
      windows: 11,
      lastAlertAt: 0,
    })
  })

  it('posts a 5xx at once in an episode that alerted for 4xx only, quiet period or not; then waits for realert', () => {
    const decisions = series(
      [
        [0, counts(0, 60)],
        [5, counts(0, 70)],
        [10, counts(1, 55)],
        [15, counts(2, 0)],
      ],
      defaults,
    )
    expect(decisions.map((d) => d.kind)).toEqual(['alert', 'quiet', 'alert', 'quiet'])
    expect(decisions[0]?.state.criticalAlerted).toBeUndefined()
    expect(decisions[2]).toMatchObject({
      kind: 'alert',
      escalated: { lastAlertAt: 0, quietUntil: 60 * MINUTE },
      sinceLastAlert: { total: 70, critical: 0, warning: 70, windows: 1, lastAlertAt: 0 },
    })
    expect(decisions[2]?.state.criticalAlerted).toBe(true)
  })

  it('does not escalate for 5xx below their own threshold', () => {
    const decisions = series(
      [
        [0, counts(0, 60)],
        [5, counts(1, 60)],
      ],
      { ...defaults, thresholds: { critical: 3, warning: 50 } },
    )
    expect(decisions.map((d) => d.kind)).toEqual(['alert', 'quiet'])
  })

  it('with realert 0, posts every alerting window', () => {
    const decisions = series(
      [
        [0, counts(1, 0)],
        [5, counts(1, 0)],
        [10, counts(0, 60)],
      ],
      { ...defaults, realertSeconds: 0 },
    )
    expect(decisions.map((d) => d.kind)).toEqual(['alert', 'alert', 'alert'])
  })

  it('with notify-resolved false, closes the episode after resolve-after without a message', () => {
    const decisions = series(
      [
        [0, counts(1, 0)],
        [5, counts(0, 0)],
        [10, counts(0, 3)],
        [15, counts(0, 0)],
        [20, counts(1, 0)],
      ],
      { ...defaults, notifyResolved: false },
    )
    expect(decisions.map((d) => d.kind)).toEqual(['alert', 'clearing', 'clearing', 'none', 'alert'])
    expect(decisions[3]).toMatchObject({
      closed: { failingSince: -5 * MINUTE, failingUntil: 0, cleanSince: 0 },
    })
    expect(decisions[4]?.state.failingSince).toBe(windowAt(20).start)
  })

  it('does not count a stretch no run checked (a gap) as clean', () => {
    const hour = 60 * MINUTE
    const settings = { ...defaults, resolveAfterSeconds: hour }
    const alerted = decideAlert(counts(1, 0), undefined, 0, windowAt(0), settings)
    // The next run comes 80 minutes later: 0:00 – 0:30 went unchecked, then 0:30 – 1:20 is clean,
    // 50 minutes of the hour resolve-after asks for (counted from the alert, it would be 80).
    const gap = { start: 1, end: 30 * MINUTE }
    const afterGap = decideAlert(
      counts(0, 0),
      alerted.state,
      80 * MINUTE,
      { start: 30 * MINUTE + 1, end: 80 * MINUTE },
      settings,
      gap,
    )
    expect(afterGap).toMatchObject({ kind: 'clearing', cleanSince: 30 * MINUTE, resolveAt: 90 * MINUTE })
    expect(afterGap.state.cleanSince).toBe(30 * MINUTE)
    const next = decideAlert(
      counts(0, 0),
      afterGap.state,
      90 * MINUTE,
      { start: 80 * MINUTE - 119, end: 90 * MINUTE },
      settings,
    )
    expect(next).toMatchObject({ kind: 'resolved', failingUntil: 0, cleanSince: 30 * MINUTE })
  })

  it('reads the alert memory of a checkpoint saved before resolve-after', () => {
    // An open episode as the older action saved it: no criticalAlerted, no cleanSince.
    const older: AlertState = {
      lastAlertAt: 0,
      failingSince: -5 * MINUTE,
      failingUntil: 0,
      pending: { total: 0, critical: 0, warning: 0, windows: 0 },
    }
    // Its 5xx alert is not known to have gone out: the first 5xx posts (at most one extra alert).
    expect(decideAlert(counts(1, 0), older, 5 * MINUTE, windowAt(5), defaults).kind).toBe('alert')
    expect(decideAlert(counts(0, 0), older, 5 * MINUTE, windowAt(5), defaults).kind).toBe('clearing')
    // A closed episode whose lastAlertAt the older action kept after resolving: a new episode alerts at once.
    const closed: AlertState = { lastAlertAt: 0, pending: { total: 0, critical: 0, warning: 0, windows: 0 } }
    expect(decideAlert(counts(1, 0), closed, 10 * MINUTE, windowAt(10), defaults).kind).toBe('alert')
  })
})

describe('alertOnNewSignatures: a new error signature alerts on its own', () => {
  const defaults = {
    thresholds: { critical: 1, warning: 50, other: 1 },
    realertSeconds: 3600,
    resolveAfterSeconds: 900,
    notifyResolved: true,
  }
  const THRESHOLD = 3
  const window = windowAt(60)
  const newSignature = (entries: number): WindowSignature => ({
    signature: '404 GET /v2/export',
    count: entries,
    firstSeen: window.start + 10,
    lastSeen: window.start + 20,
  })
  /** The decision as steps/alert.ts makes it: the thresholds', then the new signatures'. */
  const decide = (found: Counts, entries: number, previous?: AlertState) => {
    const findings: SignatureFindings = {
      new: [newSignature(entries)],
      seen: 1,
      untracked: 0,
      baseline: false,
    }
    const thresholds = decideAlert(found, previous, 60 * MINUTE, window, defaults)
    return alertOnNewSignatures(
      thresholds,
      alertingSignatures(findings, THRESHOLD),
      previous,
      defaults.realertSeconds,
    )
  }

  it('at the threshold, below every other threshold: an alert that says why', () => {
    const decision = decide(counts(0, THRESHOLD), THRESHOLD)
    expect(decision.kind).toBe('alert')
    if (decision.kind !== 'alert') return
    expect(decision.newSignatures?.signatures.map((item) => item.signature)).toEqual(['404 GET /v2/export'])
    expect(decision.newSignatures?.otherwise).toBe(
      'below the thresholds (0 5xx of 1, 3 4xx of 50, 0 other of 1)',
    )
    // It opens no episode: the next clean window is simply quiet.
    expect(decision.state).toEqual({ pending: { total: 0, critical: 0, warning: 0, windows: 0 } })
  })

  it('at threshold − 1: no alert, as without new-signatures', () => {
    const decision = decide(counts(0, THRESHOLD - 1), THRESHOLD - 1)
    expect(decision.kind).toBe('below-threshold')
    expect(decision).toEqual(decideAlert(counts(0, THRESHOLD - 1), undefined, 60 * MINUTE, window, defaults))
  })

  it('inside the quiet period: posted, without restarting it, and the window is not held for the next alert', () => {
    const previous: AlertState = {
      lastAlertAt: 60 * MINUTE - 600,
      failingSince: 60 * MINUTE - 900,
      failingUntil: 60 * MINUTE - 300,
      pending: { total: 2, critical: 2, warning: 0, windows: 1 },
      criticalAlerted: true,
    }
    const decision = decide(counts(1, 3), THRESHOLD, previous)
    expect(decision.kind).toBe('alert')
    if (decision.kind !== 'alert') return
    expect(decision.newSignatures?.otherwise).toContain('inside the quiet period')
    expect(decision.state).toEqual({ ...previous, failingUntil: window.end })
  })

  it('leaves an alert the thresholds made as it was, and changes nothing without an alerting signature', () => {
    const alert = decideAlert(counts(1, 3), undefined, 60 * MINUTE, window, defaults)
    expect(decide(counts(1, 3), THRESHOLD)).toEqual(alert)
    const below = decideAlert(counts(0, 3), undefined, 60 * MINUTE, window, defaults)
    expect(alertOnNewSignatures(below, [], undefined, 3600)).toBe(below)
  })
})
