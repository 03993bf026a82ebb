import { describe, expect, it } from 'vitest'
import {
  buildFailureMessage,
  buildRecoveredMessage,
  buildResolvedMessage,
} from '../../../src/notify/monitor-notices.js'
import { accessLog, makeReport, WINDOW_START } from './fixtures.js'
import { sectionTexts, visibleTexts } from './message-texts.js'

describe('buildResolvedMessage: the episode is over', () => {
  const pending = { total: 0, critical: 0, warning: 0, windows: 0 }
  // The report's window is 10:00 – 10:05; the episode failed 09:30 – 09:48, clean since 09:48.
  const episode = {
    failingSince: WINDOW_START - 30 * 60,
    failingUntil: WINDOW_START - 12 * 60,
    cleanSince: WINDOW_START - 12 * 60,
    unreported: pending,
  }

  it('says how long the episode lasted and for how long it has been clean (resolve-after)', () => {
    const message = buildResolvedMessage(makeReport(), { ...episode, resolveAfterSeconds: 900 })
    expect(message.text).toBe('✅ api-errors: resolved after 18m of errors')
    const text = sectionTexts(message)[0]
    expect(text).toContain(
      '*Resolved:* clean for *17m*: nothing checked since 2026-11-23 09:48:00Z met the alert thresholds (`resolve-after` is 15m).',
    )
    expect(text).toContain('It was failing for *18m* (2026-11-23 09:30:00Z – 09:48:00Z).')
    expect(visibleTexts(message).join('\n')).not.toContain('<!')
  })

  it('with resolve-after 0, names the first clean window, as before; and tells entries held back by realert', () => {
    const message = buildResolvedMessage(makeReport({ entries: [accessLog({ status: '404' })] }), {
      ...episode,
      resolveAfterSeconds: 0,
      unreported: { total: 7, critical: 2, warning: 5, windows: 2 },
    })
    const text = sectionTexts(message)[0]
    expect(text).toContain('*Resolved:* 2026-11-23 10:00:00Z – 10:05:00Z is below the alert thresholds.')
    expect(text).toContain(
      '7 more entries (2 5xx, 5 4xx) arrived during the quiet period after the last alert.',
    )
    expect(text).toContain(
      'This window still had 1 matching entry (0 5xx, 1 4xx), fewer than the thresholds.',
    )
  })
})

describe('notify-on-error: failure notices and the message that the monitor runs again', () => {
  const since = Date.UTC(2026, 10, 23, 10, 0, 0) / 1000
  const runUrl = 'https://github.com/acme/api/actions/runs/123456789'

  it('a first notice says the monitor failed, and nothing of an episode', () => {
    const message = buildFailureMessage({ monitorName: 'api-errors', reason: 'AccessDenied' })
    expect(message.text).toBe('🛑 api-errors: the monitor failed and is not checking logs')
    expect(visibleTexts(message).join('\n')).not.toContain('Failing since')
  })

  it('a reminder says since when the monitor has been failing and how many runs failed', () => {
    const message = buildFailureMessage({
      monitorName: 'api-errors',
      reason: 'AccessDenied',
      failingSince: since,
      failedRuns: 13,
    })
    expect(message.text).toBe('🛑 api-errors: the monitor is still failing and is not checking logs')
    expect(sectionTexts(message)[0]).toContain(
      '⏱️ Failing since *2026-11-23 10:00:00Z*: *13* failed runs in a row.',
    )
  })

  it('says in one line when nothing remembers the notice, so it repeats on every failed run', () => {
    const message = buildFailureMessage({ monitorName: 'api-errors', reason: 'x', noMemory: 'state-none' })
    expect(sectionTexts(message)[0]).toContain(
      '_No state is kept (state: none), so this notice repeats on every failed run._',
    )
  })

  it('says the monitor runs again: for how long it failed, how many runs, and links the run', () => {
    const message = buildRecoveredMessage({
      monitorName: 'api-errors',
      failingSince: since,
      recoveredAt: since + 70 * 60,
      failedRuns: 14,
      runUrl,
    })
    expect(message.text).toBe('✅ api-errors: the monitor is running again after failing for 1h10m')
    expect(message.attachments[0].blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: '✅ api-errors is running again', emoji: true },
    })
    expect(sectionTexts(message)[0]).toContain('It failed 14 runs in a row, from 2026-11-23 10:00:00Z.')
    expect(visibleTexts(message)).toContain(`<${runUrl}|View this run>`)
  })

  it('shows a hostile monitor name as text in both: no ping, no link, no formatting', () => {
    const monitorName = '<!channel> *urgent* <https://evil.example|click>'
    const messages = [
      buildRecoveredMessage({ monitorName, failingSince: since, recoveredAt: since + 60, failedRuns: 2 }),
      buildFailureMessage({ monitorName, reason: '<!here>', failingSince: since, failedRuns: 2 }),
    ]
    for (const message of messages) {
      const texts = visibleTexts(message).join('\n')
      expect(texts).not.toMatch(/<!channel>|<!here>|<https:\/\/evil/)
      // The header is plain text, where `*` formats nothing; the mrkdwn texts carry look-alikes.
      expect([message.text, ...sectionTexts(message)].join('\n')).not.toContain('*urgent*')
      expect(texts).toContain('&lt;!channel&gt;')
    }
  })
})
