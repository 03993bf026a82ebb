import { describe, expect, it } from 'vitest'
import { isoSecond } from '../../../src/format.js'
import { planWindow } from '../../../src/insights/window.js'

const settings = { intervalSeconds: 300, queryDelaySeconds: 60, overlapSeconds: 120, maxCatchUpSeconds: 3600 }
const at = (iso: string) => Date.parse(iso)
const second = (iso: string) => Date.parse(iso) / 1000

describe('planWindow after a lost checkpoint', () => {
  it('reaches back max-catch-up and names everything before it as not covered, when the store cannot date the loss', () => {
    const plan = planWindow(at('2026-11-23T12:00:30Z'), { lost: true }, settings)
    expect(isoSecond(plan.window.start)).toBe('2026-11-23T11:00:30Z')
    expect(isoSecond(plan.window.end)).toBe('2026-11-23T11:59:30Z')
    expect(plan.firstRun).toBe(false)
    expect(plan.gap).toBeUndefined()
    expect(plan.uncovered).toEqual({ end: second('2026-11-23T11:00:29Z') })
  })

  it('starts where the lost state left off when that is within max-catch-up: nothing is uncovered', () => {
    const neededFrom = second('2026-11-23T11:40:00Z')
    const plan = planWindow(at('2026-11-23T12:00:30Z'), { lost: true, neededFrom }, settings)
    expect(plan.window.start).toBe(neededFrom)
    expect(plan.uncovered).toBeUndefined()
  })

  it('names the stretch from where the lost state left off to max-catch-up', () => {
    const neededFrom = second('2026-11-23T09:00:00Z')
    const plan = planWindow(at('2026-11-23T12:00:30Z'), { lost: true, neededFrom }, settings)
    expect(isoSecond(plan.window.start)).toBe('2026-11-23T11:00:30Z')
    expect(plan.uncovered).toEqual({ start: neededFrom, end: second('2026-11-23T11:00:29Z') })
  })

  it('never checks less than the interval', () => {
    const plan = planWindow(
      at('2026-11-23T12:00:30Z'),
      { lost: true, neededFrom: second('2026-11-23T11:59:00Z') },
      settings,
    )
    expect(plan.window.end - plan.window.start).toBe(300)
  })
})
