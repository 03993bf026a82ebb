import { describe, expect, it } from 'vitest'
import {
  type Checkpoint,
  parseCheckpoint,
  STATE_VERSION,
  serializeCheckpoint,
} from '../../src/state/checkpoint.js'

describe('parseCheckpoint', () => {
  const checkpoint: Checkpoint = {
    version: STATE_VERSION,
    checked: 1_795_478_400,
    reported: { '1795478399': ['abc'] },
    savedAt: 'x',
  }

  it('reads back what was saved', () => {
    expect(parseCheckpoint(serializeCheckpoint(checkpoint))).toEqual({ checkpoint })
  })

  it('has nothing, and no problem, when nothing was saved', () => {
    expect(parseCheckpoint(undefined)).toEqual({})
  })

  it.each([
    ['{"version":1,"checked":', 'not valid JSON'],
    ['[1,2]', 'not a JSON object'],
    ['{"version":2,"checked":1,"reported":{}}', 'version 2, newer than this action understands'],
    ['{"version":1,"checked":"yesterday","reported":{}}', 'expected fields'],
    ['{"version":1,"checked":5,"reported":{"abc":["x"]}}', 'malformed fingerprints'],
    ['{"version":1,"checked":5,"reported":{"5":[1]}}', 'malformed fingerprints'],
  ])('refuses %s, saying why', (text, problem) => {
    const loaded = parseCheckpoint(text)
    expect(loaded.checkpoint).toBeUndefined()
    expect('problem' in loaded && loaded.problem).toContain(problem)
  })
})

describe('the alert record', () => {
  it('reads back the alert memory, and refuses a malformed one', () => {
    const alert = {
      lastAlertAt: 100,
      failingSince: 50,
      failingUntil: 99,
      pending: { total: 3, critical: 1, warning: 2, windows: 1 },
    }
    const text = serializeCheckpoint({ version: STATE_VERSION, checked: 5, reported: {}, savedAt: '', alert })
    expect(parseCheckpoint(text)).toMatchObject({ checkpoint: { alert } })
    const broken = text.replace('"windows":1', '"windows":-1')
    expect(parseCheckpoint(broken)).toEqual({ problem: 'the saved state has a malformed alert record' })
  })
})
