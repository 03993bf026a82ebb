import { describe, expect, it } from 'vitest'
import { isoSecond } from '../../../src/format.js'
import { nextCheckpoint, planWindow } from '../../../src/insights/window.js'

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
    // From the checkpoint's own second (the previous run may have seen only its first instant) to the
    // first second this run checks.
    expect(plan.gap).toEqual({ start: second('2026-11-23T10:06:30Z'), end: second('2026-11-23T11:59:59Z') })
    // The overlap before it was checked once: not a gap, but a re-check this run could not make.
    expect(plan.shortenedRecheck).toEqual({
      start: second('2026-11-23T10:04:30Z'),
      end: second('2026-11-23T10:06:29Z'),
    })
    expect(plan.rechecked).toBe(0)
  })

  it('names every second it cannot check again, however far behind the checkpoint is', () => {
    const now = 1_800_000_000
    for (let behind = 3300; behind <= 3700; behind += 1) {
      const checkpoint = now - 60 - behind
      const plan = planWindow(now * 1000, checkpoint, settings)
      // Seconds after checkpoint − overlap are checked again, named as a shortened re-check (the overlap,
      // checked once) or named as a gap (never checked), in that order back from the window.
      const firstAccounted = plan.shortenedRecheck?.start ?? plan.gap?.start ?? plan.window.start
      expect(firstAccounted).toBe(checkpoint - 120)
      if (plan.gap) {
        expect(plan.gap.start).toBe(checkpoint)
        expect(plan.gap.end + 1).toBe(plan.window.start)
        expect(plan.shortenedRecheck?.end).toBe(checkpoint - 1)
      } else if (plan.shortenedRecheck) {
        expect(plan.shortenedRecheck.end + 1).toBe(plan.window.start)
        expect(plan.window.start).toBeLessThanOrEqual(checkpoint)
      }
    }
  })

  it('never calls an overlap it cannot check again a gap: a run on time with overlap near max-catch-up', () => {
    // 40m max-catch-up with 24m overlap, as settings allow: a run 20 minutes late still has no gap.
    const close = { ...settings, overlapSeconds: 24 * 60, maxCatchUpSeconds: 40 * 60 }
    const checkpoint = second('2026-11-23T10:06:30Z')
    const onTime = planWindow(at('2026-11-23T10:12:30Z'), checkpoint, close)
    expect(onTime.gap).toBeUndefined()
    expect(onTime.shortenedRecheck).toBeUndefined()
    const late = planWindow(at('2026-11-23T10:32:30Z'), checkpoint, close)
    expect(late.gap).toBeUndefined()
    expect(late.shortenedRecheck).toEqual({
      start: checkpoint - 24 * 60,
      end: second('2026-11-23T09:52:29Z'),
    })
    expect(late.window.start).toBe(second('2026-11-23T09:52:30Z'))
  })

  it('checks the end second again even when the clock went backwards', () => {
    const checkpoint = second('2026-11-23T10:06:30Z')
    const plan = planWindow(at('2026-11-23T10:01:00Z'), checkpoint, settings)
    expect(plan.window.start).toBeLessThanOrEqual(plan.window.end)
    expect(nextCheckpoint(checkpoint, plan.window)).toBe(checkpoint)
  })
})
