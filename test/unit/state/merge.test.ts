import { describe, expect, it } from 'vitest'
import type { Incident } from '../../../src/incident/incident.js'
import type { Checkpoint } from '../../../src/state/checkpoint.js'
import { mergeCheckpoints } from '../../../src/state/merge.js'
import { makeIncident } from '../incident/fixtures.js'

const base = { version: 1 as const, savedAt: '2026-11-23T10:00:00Z' }

describe('mergeCheckpoints (two runs saved one state at once)', () => {
  it('takes the later checked and the union of fingerprints the next run still needs', () => {
    const ours: Checkpoint = {
      ...base,
      checked: 1000,
      reported: { '700': ['old'], '900': ['a'], '950': ['b'] },
    }
    const theirs: Checkpoint = { ...base, checked: 1010, reported: { '900': ['a', 'c'], '1005': ['d'] } }
    const merged = mergeCheckpoints(ours, theirs, 120)
    expect(merged.checked).toBe(1010)
    expect(merged.reported).toEqual({ '900': ['a', 'c'], '950': ['b'], '1005': ['d'] })
  })

  it('keeps the later alert and one failing episode spanning both', () => {
    const ours: Checkpoint = {
      ...base,
      checked: 1000,
      reported: {},
      alert: {
        lastAlertAt: 990,
        pending: { total: 0, critical: 0, warning: 0, windows: 0 },
        failingSince: 800,
        failingUntil: 990,
      },
    }
    const theirs: Checkpoint = {
      ...base,
      checked: 995,
      reported: {},
      alert: {
        lastAlertAt: 995,
        pending: { total: 3, critical: 1, warning: 2, windows: 1 },
        failingSince: 700,
        failingUntil: 995,
      },
    }
    expect(mergeCheckpoints(ours, theirs, 120).alert).toEqual({
      lastAlertAt: 995,
      pending: { total: 3, critical: 1, warning: 2, windows: 1 },
      failingSince: 700,
      failingUntil: 995,
    })
  })

  it('keeps a 5xx alert of either run, and a clean stretch only where it starts after both failing windows', () => {
    const pending = { total: 0, critical: 0, warning: 0, windows: 0 }
    const ours: Checkpoint = {
      ...base,
      checked: 1000,
      reported: {},
      alert: { lastAlertAt: 900, pending, failingSince: 800, failingUntil: 900, cleanSince: 950 },
    }
    const theirs: Checkpoint = {
      ...base,
      checked: 990,
      reported: {},
      alert: { lastAlertAt: 880, pending, failingSince: 800, failingUntil: 880, criticalAlerted: true },
    }
    expect(mergeCheckpoints(ours, theirs, 120).alert).toEqual({
      lastAlertAt: 900,
      pending,
      failingSince: 800,
      failingUntil: 900,
      criticalAlerted: true,
      cleanSince: 950,
    })
    // The other run saw the episode go on past our clean stretch's start: that stretch is not clean.
    const later: Checkpoint = {
      ...theirs,
      alert: { lastAlertAt: 880, pending, failingSince: 800, failingUntil: 960 },
    }
    expect(mergeCheckpoints(ours, later, 120).alert).toEqual({
      lastAlertAt: 900,
      pending,
      failingSince: 800,
      failingUntil: 960,
    })
  })

  it('a completed run ends the failing episode; a failure-only state of the other run changes nothing', () => {
    const ours: Checkpoint = { ...base, checked: 1000, reported: {} }
    const theirs: Checkpoint = { ...base, checked: 900, reported: {}, failure: { since: 800, runs: 2 } }
    expect(mergeCheckpoints(ours, theirs, 120).failure).toBeUndefined()
    expect(mergeCheckpoints(ours, { ...base, failure: { since: 1, runs: 1 } }, 120)).toBe(ours)
  })
})

describe('mergeCheckpoints: the incident', () => {
  const at = (incident: Incident | undefined): Checkpoint => ({
    ...base,
    checked: 1000,
    reported: {},
    ...(incident ? { incident } : {}),
  })

  it('keeps the incident that saw the later entries, not the two added up', () => {
    const earlier = makeIncident({
      lastSeen: 2_000,
      windows: 8,
      totals: { total: 100, critical: 0, warning: 100 },
    })
    const later = makeIncident({
      lastSeen: 2_300,
      windows: 9,
      totals: { total: 130, critical: 0, warning: 130 },
    })
    expect(mergeCheckpoints(at(earlier), at(later), 120).incident).toEqual(later)
    expect(mergeCheckpoints(at(later), at(earlier), 120).incident).toEqual(later)
  })

  it('keeps a card or issue of the same incident that only the other run created', () => {
    const ours = makeIncident({ lastSeen: 2_300, cards: [{ channel: 'C1', ts: '1.1', requested: 'C1' }] })
    const theirs = makeIncident({
      lastSeen: 2_000,
      cards: [
        { channel: 'C1', ts: '9.9', requested: 'C1' },
        { channel: 'C2', ts: '2.2', requested: 'C2' },
      ],
      issueNumber: 7,
    })
    const merged = mergeCheckpoints(at(ours), at(theirs), 120).incident
    expect(merged?.cards).toEqual([
      { channel: 'C1', ts: '1.1', requested: 'C1' },
      { channel: 'C2', ts: '2.2', requested: 'C2' },
    ])
    expect(merged?.issueNumber).toBe(7)
  })

  it('keeps the newer incident of two, and either when only one run has one', () => {
    const old = makeIncident({
      id: 'old',
      openedAt: 1_000,
      lastSeen: 2_000,
      status: 'resolved',
      resolvedAt: 2_100,
    })
    const fresh = makeIncident({ id: 'fresh', openedAt: 3_000, lastSeen: 3_300, cards: [] })
    expect(mergeCheckpoints(at(old), at(fresh), 120).incident).toEqual(fresh)
    expect(mergeCheckpoints(at(undefined), at(fresh), 120).incident).toEqual(fresh)
    expect(mergeCheckpoints(at(fresh), at(undefined), 120).incident).toEqual(fresh)
    expect(mergeCheckpoints(at(undefined), at(undefined), 120).incident).toBeUndefined()
  })
})
