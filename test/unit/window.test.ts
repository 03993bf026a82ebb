import { describe, expect, it } from 'vitest'
import { isoSecond, nextCheckpoint, planWindow } from '../../src/insights/window.js'

const settings = { intervalSeconds: 300, queryDelaySeconds: 60, overlapSeconds: 120, maxCatchUpSeconds: 3600 }
const at = (iso: string) => Date.parse(iso)
const second = (iso: string) => Date.parse(iso) / 1000

describe('planWindow', () => {
  it('covers interval up to now − query-delay on a first run, in whole seconds', () => {
    const plan = planWindow(at('2026-11-23T10:07:30.750Z'), undefined, settings)
    expect(plan.firstRun).toBe(true)
    expect(isoSecond(plan.window.start)).toBe('2026-11-23T10:01:30Z')
    expect(isoSecond(plan.window.end)).toBe('2026-11-23T10:06:30Z')
    expect(plan.rechecked).toBe(0)
  })

  it('continues from the checkpoint, checking its last second and the overlap again', () => {
    const plan = planWindow(at('2026-11-23T10:12:30Z'), second('2026-11-23T10:06:30Z'), settings)
    expect(isoSecond(plan.window.start)).toBe('2026-11-23T10:04:30Z')
    expect(isoSecond(plan.window.end)).toBe('2026-11-23T10:11:30Z')
    expect(plan.rechecked).toBe(121) // 10:04:30 … 10:06:30, both included
    expect(plan.gap).toBeUndefined()
  })

  it('reaches back across a late run of 17 minutes without losing anything', () => {
    const plan = planWindow(at('2026-11-23T10:29:30Z'), second('2026-11-23T10:06:30Z'), settings)
    expect(isoSecond(plan.window.start)).toBe('2026-11-23T10:04:30Z')
    expect(isoSecond(plan.window.end)).toBe('2026-11-23T10:28:30Z')
  })

  it('names what lies beyond max-catch-up as a gap instead of skipping it silently', () => {
    const plan = planWindow(at('2026-11-23T13:00:00Z'), second('2026-11-23T10:06:30Z'), settings)
    expect(isoSecond(plan.window.start)).toBe('2026-11-23T12:00:00Z')
    expect(isoSecond(plan.window.end)).toBe('2026-11-23T12:59:00Z')
    // From the overlap the previous run left to be checked again, to the first second this run checks.
    expect(plan.gap).toEqual({ start: second('2026-11-23T10:04:30Z'), end: second('2026-11-23T11:59:59Z') })
    expect(plan.rechecked).toBe(0)
  })

  it('names every second it cannot check again, however far behind the checkpoint is', () => {
    const now = 1_800_000_000
    for (let behind = 3300; behind <= 3700; behind += 1) {
      const checkpoint = now - 60 - behind
      const plan = planWindow(now * 1000, checkpoint, settings)
      // The overlap before the checkpoint is either checked again or named, never dropped silently.
      const firstCovered = plan.gap ? plan.gap.start : plan.window.start
      expect(firstCovered).toBe(checkpoint - 120)
      if (plan.gap) expect(plan.gap.end + 1).toBe(plan.window.start)
    }
  })

  it('checks the end second again even when the clock went backwards', () => {
    const checkpoint = second('2026-11-23T10:06:30Z')
    const plan = planWindow(at('2026-11-23T10:01:00Z'), checkpoint, settings)
    expect(plan.window.start).toBeLessThanOrEqual(plan.window.end)
    expect(nextCheckpoint(checkpoint, plan.window)).toBe(checkpoint)
  })
})
