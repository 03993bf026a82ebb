import { describe, expect, it } from 'vitest'
import { currentWindow, isoSecond } from '../../src/insights/window.js'

describe('currentWindow', () => {
  it('ends query-delay behind the clock and spans interval, in whole seconds', () => {
    const now = Date.parse('2026-11-23T10:07:30.750Z')
    const window = currentWindow(now, { intervalSeconds: 300, queryDelaySeconds: 60 })
    expect(isoSecond(window.end)).toBe('2026-11-23T10:06:30Z')
    expect(isoSecond(window.start)).toBe('2026-11-23T10:01:30Z')
    expect(Number.isInteger(window.start) && Number.isInteger(window.end)).toBe(true)
  })
})
