import { describe, expect, it } from 'vitest'
import {
  type Checkpoint,
  type FailureOnlyState,
  parseCheckpoint,
  STATE_VERSION,
  serializeCheckpoint,
} from '../../../src/state/checkpoint.js'
import { makeIncident } from '../incident/fixtures.js'

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

  it('reads back the episode fields of resolve-after, and a state saved before them with the same version', () => {
    const alert = {
      lastAlertAt: 100,
      failingSince: 50,
      failingUntil: 99,
      cleanSince: 400,
      criticalAlerted: true,
      pending: { total: 0, critical: 0, warning: 0, windows: 0 },
    }
    const text = serializeCheckpoint({ version: STATE_VERSION, checked: 5, reported: {}, savedAt: '', alert })
    expect(parseCheckpoint(text)).toEqual({
      checkpoint: { version: STATE_VERSION, checked: 5, reported: {}, savedAt: '', alert },
    })
    // What the action saved before issue 12, byte for byte: it loads, without the new fields.
    const older =
      '{"version":1,"checked":5,"reported":{},"savedAt":"","alert":{"lastAlertAt":100,"pending":{"total":0,"critical":0,"warning":0,"windows":0}}}'
    expect(parseCheckpoint(older)).toEqual({
      checkpoint: {
        version: 1,
        checked: 5,
        reported: {},
        savedAt: '',
        alert: { lastAlertAt: 100, pending: { total: 0, critical: 0, warning: 0, windows: 0 } },
      },
    })
    expect(parseCheckpoint(text.replace('"criticalAlerted":true', '"criticalAlerted":"yes"'))).toEqual({
      problem: 'the saved state has a malformed alert record',
    })
    expect(parseCheckpoint(text.replace('"cleanSince":400', '"cleanSince":4.5'))).toEqual({
      problem: 'the saved state has a malformed alert record',
    })
  })
})

describe('the failure record', () => {
  const failure = { since: 1_795_478_000, runs: 4, notifiedAt: 1_795_478_100 }

  it('reads back a checkpoint with the failure record', () => {
    const checkpoint: Checkpoint = { version: STATE_VERSION, checked: 5, reported: {}, savedAt: 'x', failure }
    expect(parseCheckpoint(serializeCheckpoint(checkpoint))).toEqual({ checkpoint })
  })

  it('reads back a failure record without a checkpoint: a monitor that never completed a run', () => {
    const state: FailureOnlyState = { version: STATE_VERSION, savedAt: 'x', failure: { since: 5, runs: 1 } }
    expect(parseCheckpoint(serializeCheckpoint(state))).toEqual({ checkpoint: state })
  })

  it.each([
    ['not an object', '"broken"'],
    ['since missing', '{"runs":1}'],
    ['since not a number', '{"since":"yesterday","runs":1}'],
    ['no runs', '{"since":5,"runs":0}'],
    ['runs not a whole number', '{"since":5,"runs":1.5}'],
    ['notifiedAt not a number', '{"since":5,"runs":2,"notifiedAt":"soon"}'],
  ])('refuses a failure record with %s, with or without a checkpoint', (_, record) => {
    const problem = { problem: 'the saved state has a malformed failure record' }
    expect(parseCheckpoint(`{"version":1,"checked":5,"reported":{},"failure":${record}}`)).toEqual(problem)
    expect(parseCheckpoint(`{"version":1,"savedAt":"x","failure":${record}}`)).toEqual(problem)
  })

  it('still refuses a state with neither a checkpoint nor a failure record', () => {
    expect(parseCheckpoint('{"version":1,"savedAt":"x"}')).toEqual({
      problem: 'the saved state does not have the expected fields',
    })
  })
})

describe('the incident record', () => {
  const incident = makeIncident({ issueNumber: 42 })
  const checkpoint: Checkpoint = { version: STATE_VERSION, checked: 5, reported: {}, savedAt: 'x', incident }

  it('reads back the incident its card and issue tell', () => {
    expect(parseCheckpoint(serializeCheckpoint(checkpoint))).toEqual({ checkpoint })
  })

  it('refuses a malformed incident rather than taking it for none, which would post a second card', () => {
    const text = serializeCheckpoint(checkpoint)
    for (const broken of [
      text.replace('"status":"firing"', '"status":"burning"'),
      text.replace('"ts":"1795478730.000100"', '"ts":1795478730.0001'),
      text.replace('"issueNumber":42', '"issueNumber":"42"'),
    ]) {
      expect(parseCheckpoint(broken)).toEqual({ problem: 'the saved state has a malformed incident record' })
    }
  })

  it('loads a state saved before incidents existed, without one', () => {
    const before = '{"version":1,"checked":5,"reported":{},"savedAt":"x"}'
    expect(parseCheckpoint(before)).toEqual({
      checkpoint: { version: 1, checked: 5, reported: {}, savedAt: 'x' },
    })
  })
})
