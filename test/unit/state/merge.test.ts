import { describe, expect, it } from 'vitest'
import type { Checkpoint } from '../../../src/state/checkpoint.js'
import { mergeCheckpoints } from '../../../src/state/merge.js'

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
