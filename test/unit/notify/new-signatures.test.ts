import * as core from '@actions/core'
import { beforeEach, describe, expect, it } from 'vitest'
import { alertNote } from '../../../src/notify/alert-note.js'
import { buildSlackMessage } from '../../../src/notify/digest-message.js'
import { addJobSummary } from '../../../src/notify/summary.js'
import type { SignatureFindings, WindowSignature } from '../../../src/signatures.js'
import { accessLog, HOSTILE, makeReport, typicalEntries, WINDOW_START } from './fixtures.js'
import { sectionTexts } from './message-texts.js'

/** `new-signatures` as a person reads it: the callout atop the Slack digest, the summary's list, the note. */

const signature = (text: string, count: number, offset = 42 * 60): WindowSignature => ({
  signature: text,
  count,
  firstSeen: WINDOW_START + offset,
  lastSeen: WINDOW_START + offset + 60,
})

const findings = (fresh: WindowSignature[], seen = fresh.length + 3): SignatureFindings => ({
  new: fresh,
  seen,
  untracked: 0,
  baseline: false,
})

describe('the callout atop the Slack digest', () => {
  it('names a new signature first, with its first-seen time and its count', () => {
    const report = makeReport({
      entries: typicalEntries(),
      signatures: findings([signature('502 POST /v2/checkout', 17)]),
    })
    const blocks = buildSlackMessage(report).attachments[0].blocks
    // Right under the header, above the overview.
    expect(blocks[1]).toEqual(
      expect.objectContaining({
        text: expect.objectContaining({
          text: '🆕 *New:* `502 POST /v2/checkout`, first seen 10:42 UTC, 17 times',
        }),
      }),
    )
    expect(sectionTexts(buildSlackMessage(report))[1]).toContain('*Window*')
  })

  it('names a few at most, then "and N more"', () => {
    const fresh = Array.from({ length: 12 }, (_, i) => signature(`500 GET /route-${i}`, 20 - i))
    const [callout] = sectionTexts(buildSlackMessage(makeReport({ signatures: findings(fresh) })))
    expect(callout?.match(/🆕 \*New:\*/g)).toHaveLength(3)
    expect(callout).toContain('`500 GET /route-0`')
    expect(callout).not.toContain('route-3')
    expect(callout).toContain('and 9 more new signatures in the job summary')
  })

  it('escapes a signature as log text: no mention, link or formatting, one line, bounded', () => {
    const hostile = `500 POST ${HOSTILE.channel} ${HOSTILE.link} ${HOSTILE.formatting}\n${'x'.repeat(5000)}`
    const [callout] = sectionTexts(
      buildSlackMessage(makeReport({ signatures: findings([signature(hostile, 1)]) })),
    )
    expect(callout).not.toContain('<!channel>')
    expect(callout).toContain('&lt;!channel&gt;')
    expect(callout).not.toContain('<https://evil')
    expect(callout).not.toMatch(/\*bold\*|`code`/)
    expect(callout?.split('\n')).toHaveLength(1)
    expect(callout).toContain('1 time')
    expect(callout?.length).toBeLessThan(400)
  })

  it('is not there without new signatures, nor on the baseline run', () => {
    const plain = sectionTexts(buildSlackMessage(makeReport({ entries: typicalEntries() })))
    const none = sectionTexts(buildSlackMessage(makeReport({ signatures: findings([]) })))
    const baseline = sectionTexts(
      buildSlackMessage(makeReport({ signatures: { new: [], seen: 40, untracked: 0, baseline: true } })),
    )
    for (const texts of [plain, none, baseline]) expect(texts.join('\n')).not.toContain('New:')
  })
})

describe('the job summary', () => {
  beforeEach(() => {
    core.summary.emptyBuffer()
  })
  const render = (report: ReturnType<typeof makeReport>): string => {
    addJobSummary(report, core.summary)
    return core.summary.stringify()
  }

  it('lists every new signature, escaped, with its first-seen time and count', () => {
    const html = render(
      makeReport({
        entries: [accessLog({ status: '502' })],
        signatures: findings([
          signature('502 POST /v2/checkout', 17),
          signature(`404 GET ${HOSTILE.script}`, 2),
        ]),
      }),
    )
    expect(html).toContain('New error signatures (2 of 5)')
    expect(html).toContain('<td>502 POST /v2/checkout</td><td>2026-11-23T10:42:00Z</td><td>17</td>')
    expect(html).not.toContain('<script>')
    expect(html).toContain('&lt;script&gt;')
  })

  it('says that the first run learns its signatures as the baseline', () => {
    const html = render(makeReport({ signatures: { new: [], seen: 40, untracked: 0, baseline: true } }))
    expect(html).toContain('the 40 signatures of this window are the baseline; none is called new')
  })
})

describe('the note on an alert for a new signature', () => {
  it('says which signature alerted, at which threshold, and why the other rules would not have posted', () => {
    const note = alertNote(
      {
        kind: 'alert',
        state: { pending: { total: 0, critical: 0, warning: 0, windows: 0 } },
        newSignatures: {
          signatures: [signature('404 GET /v2/export', 3)],
          otherwise: 'below the thresholds (0 5xx of 1, 3 4xx of 50)',
        },
      },
      {
        realertSeconds: 3600,
        resolveAfterSeconds: 900,
        signatures: { fields: ['status'], memorySeconds: 604_800, threshold: 3 },
      },
      { start: WINDOW_START, end: WINDOW_START + 300 },
    )
    expect(note).toBe(
      'Alerted for a new error signature with at least 3 entries (new-signature-threshold): "404 GET /v2/export" (3); the other rules would not have posted: below the thresholds (0 5xx of 1, 3 4xx of 50).',
    )
  })
})
