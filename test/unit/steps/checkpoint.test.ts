import { describe, expect, it } from 'vitest'
import type { Checkpoint } from '../../../src/state/checkpoint.js'
import type { StateSession } from '../../../src/state/session.js'
import { saveCheckpointAfterRun } from '../../../src/steps/checkpoint.js'

/** The seen set of `new-signatures` in the checkpoint a run saves. */

const T = 1_790_000_000
const WEEK = 7 * 86_400
const previous: Checkpoint = {
  version: 1,
  checked: T - 1,
  reported: {},
  savedAt: '2026-09-21T00:00:00.000Z',
  signatures: { 'old 404': T - WEEK - 10, 'kept 404': T - 60 },
}

async function saved(options: { complete: boolean; records: boolean; memory?: number }): Promise<Checkpoint> {
  let checkpoint: Checkpoint | undefined
  const session = {
    saveCheckpoint: async (next: Checkpoint) => {
      checkpoint = next
      return { ok: true, note: 'saved', checkpoint: next }
    },
  } as unknown as StateSession
  const found = [{ signature: '409 POST /v2/checkout', count: 3, firstSeen: T + 10, lastSeen: T + 40 }]
  await saveCheckpointAfterRun(
    {
      plan: {
        window: { start: T - 120, end: T + 240 },
        previous,
        loaded: previous,
        overlapSeconds: options.records ? 120 : 0,
        shape: { records: options.records },
      } as never,
      outcome: {
        complete: options.complete,
        reported: { since: () => ({}) },
        ...(options.records ? { signatures: { found, untracked: 0 } } : {}),
      } as never,
      decision: { kind: 'none', state: { pending: { total: 0, critical: 0, warning: 0, windows: 0 } } },
      delivery: { notified: false, note: '' },
      incident: undefined,
    },
    { dryRun: false, nowMs: (T + 300) * 1000, signatureMemorySeconds: options.memory },
    session,
  )
  if (!checkpoint) throw new Error('nothing saved')
  return checkpoint
}

describe('the seen set the checkpoint step saves', () => {
  it("holds this window's signatures at their last-seen time, and drops what signature-memory let go", async () => {
    const checkpoint = await saved({ complete: true, records: true, memory: WEEK })
    expect(checkpoint.signatures).toEqual({ 'kept 404': T - 60, '409 POST /v2/checkout': T + 40 })
  })

  it('records what a run saw even when a batch of log groups failed (the checkpoint itself stays)', async () => {
    const checkpoint = await saved({ complete: false, records: true, memory: WEEK })
    expect(checkpoint.checked).toBe(T - 1)
    expect(checkpoint.signatures).toEqual({ 'kept 404': T - 60, '409 POST /v2/checkout': T + 40 })
  })

  it('an aggregate run has no signatures and keeps the set as it was; with new-signatures off there is none', async () => {
    expect((await saved({ complete: true, records: false, memory: WEEK })).signatures).toEqual(
      previous.signatures,
    )
    expect(await saved({ complete: true, records: true })).not.toHaveProperty('signatures')
  })
})
