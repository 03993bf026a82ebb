import { describe, expect, it } from 'vitest'
import { decideAlert } from '../../../src/alerting.js'
import { DigestBuilder } from '../../../src/digest.js'
import { buildIncidentCard, buildResolvedReply, buildWindowReply } from '../../../src/incident/card.js'
import { advanceIncident } from '../../../src/incident/incident.js'
import type { SlackMessage } from '../../../src/notify/blocks.js'
import { accessLog, GROUP_BY, makeReport, typicalEntries, WINDOW_START } from '../notify/fixtures.js'
import { blockTexts, sectionTexts, visibleTexts } from '../notify/message-texts.js'
import { HOSTILE_VALUES, MINUTE, makeIncident } from './fixtures.js'

const CONSOLE =
  'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:logs-insights'
const links = { consoleUrl: CONSOLE }

const blocksOf = (message: SlackMessage) => message.attachments[0].blocks
const headerOf = (message: SlackMessage) => blockTexts(blocksOf(message)[0] ?? { type: 'divider' })[0]
const fieldTexts = (message: SlackMessage) =>
  blocksOf(message).flatMap((block) =>
    block.type === 'section' && 'fields' in block ? blockTexts(block) : [],
  )
const contextTexts = (message: SlackMessage) =>
  blocksOf(message).flatMap((block) => (block.type === 'context' ? blockTexts(block) : []))

describe('buildIncidentCard: what the channel sees of the incident', () => {
  it('shows a firing incident in red: monitor, first and last seen, totals, escalation', () => {
    const card = buildIncidentCard(makeIncident(), links)
    expect(headerOf(card)).toBe('🔴 api-errors: firing')
    expect(card.attachments[0].color).toBe('#d00000')
    expect(card.text).toBe(
      '🔴 api-errors: incident firing · 1,234 entries (12 5xx, 1,222 4xx) since 2026-11-23 10:00:00Z',
    )
    const overview = sectionTexts(card)[0]
    expect(overview).toContain('*First seen* 2026-11-23 10:00:00Z')
    expect(overview).toContain('*Last seen* 2026-11-23 10:40:00Z')
    expect(overview).toContain('*Entries* *1,234*: *12* 5xx, *1,222* 4xx in 8 windows')
    expect(overview).toContain('Escalated')
    expect(overview).not.toContain('Lasted')
  })

  it('shows the top statuses and routes so far, most frequent first', () => {
    expect(fieldTexts(buildIncidentCard(makeIncident(), links))).toEqual([
      '*Top statuses*\n`404` 1,000\n`429` 222\n`502` 12',
      '*Top routes*\n`/items/{id}` 1,100\n`/orders` 134',
    ])
  })

  it('links the console over the whole incident and its first and latest run', () => {
    const footer = contextTexts(buildIncidentCard(makeIncident(), links)).join('\n')
    expect(footer).toContain(`<${CONSOLE}|Open the incident in Logs Insights>`)
    expect(footer).toContain('<https://github.com/acme/api/actions/runs/1001|First run>')
    expect(footer).toContain('<https://github.com/acme/api/actions/runs/1008|Latest run>')
    expect(footer).toContain('`20261123-1005-3fa2`')
    // The run that edits the card may be newer than the one the incident recorded last.
    const newer = contextTexts(
      buildIncidentCard(makeIncident(), {
        ...links,
        runUrl: 'https://github.com/acme/api/actions/runs/1009',
      }),
    ).join('\n')
    expect(newer).toContain('<https://github.com/acme/api/actions/runs/1009|Latest run>')
  })

  it('is amber while quiet, and green once resolved, with how long it lasted', () => {
    const quiet = buildIncidentCard(makeIncident({ status: 'quiet' }), links)
    expect(headerOf(quiet)).toBe('🟡 api-errors: quiet')
    expect(quiet.attachments[0].color).toBe('#e8a317')
    expect(sectionTexts(quiet)[0]).toContain('below the alert thresholds')

    const resolved = buildIncidentCard(
      makeIncident({ status: 'resolved', resolvedAt: WINDOW_START + 55 * MINUTE, reopened: 1 }),
      links,
    )
    expect(headerOf(resolved)).toBe('✅ api-errors: resolved')
    expect(resolved.attachments[0].color).toBe('#2eb67d')
    const overview = sectionTexts(resolved)[0]
    expect(overview).toContain('Resolved at 2026-11-23 10:55:00Z')
    expect(overview).toContain('*Lasted* 40m (2026-11-23 10:00:00Z – 10:40:00Z)')
    expect(overview).toContain('*Reopened* 1 time')
  })

  it('puts the mention first in the notification text only when the caller passes it', () => {
    const incident = makeIncident()
    expect(buildIncidentCard(incident, links).text).not.toContain('<!')
    const mentioned = buildIncidentCard(incident, { ...links, mention: '<!here>' })
    expect(mentioned.text.startsWith('<!here> 🔴 api-errors')).toBe(true)
    expect(mentioned.attachments[0].fallback).not.toContain('<!here>')
  })

  it('never lets a route or status ping, link or format', () => {
    const values = HOSTILE_VALUES.map((value, i) => ({ value, count: 100 - i }))
    const card = buildIncidentCard(
      makeIncident({
        topStatuses: values.slice(0, 10),
        topRoutes: values.slice(0, 10),
        monitor: '<!channel> *x*',
      }),
      links,
    )
    for (const text of visibleTexts(card)) {
      expect(text).not.toMatch(/<!channel>|<!here>|<@U|<https:\/\/evil|<script/)
      expect(text).not.toContain('*bold*')
      expect(text).not.toContain('\u202E')
    }
    // Each value is shown, escaped, in a code span of its own: `@here` there is text, not a mention.
    const [statuses] = fieldTexts(card)
    expect(statuses?.split('\n')).toContain('`@here` 98')
    expect(statuses?.split('\n')).toContain('`&lt;!channel&gt;` 100')
    for (const block of blocksOf(card)) {
      if (block.type === 'section' && 'fields' in block) {
        for (const field of block.fields) expect(field.verbatim).toBe(true)
      }
    }
  })
})

describe('buildWindowReply: one window in the thread', () => {
  const incident = makeIncident()

  it("tells the window's counts and samples, and which window of the incident it is", () => {
    const reply = buildWindowReply(makeReport({ entries: typicalEntries() }), incident, links)
    expect(reply.text).toBe(
      '🔴 api-errors: 5 matching entries (3 5xx, 2 4xx) in 2026-11-23 10:00:00Z – 10:05:00Z',
    )
    expect(sectionTexts(reply)).toContain('*Samples*: 5 of 5, 5xx first, newest first')
    expect(contextTexts(reply)[0]).toBe('🔴 Window 8 of incident `20261123-1005-3fa2`, firing')
  })

  it('carries the mention only when the caller passes it, 5xx or not', () => {
    const only4xx = makeReport({ entries: typicalEntries().filter((entry) => entry.severity === 'warning') })
    expect(buildWindowReply(only4xx, incident, { ...links, mention: '<!here>' }).text).toMatch(/^<!here> 🟠/)
    expect(buildWindowReply(makeReport({ entries: typicalEntries() }), incident, links).text).not.toContain(
      '<!',
    )
  })

  it('says a clean window is clean, and when the incident resolves if it stays so', () => {
    const quiet = makeIncident({ status: 'quiet' })
    const reply = buildWindowReply(makeReport(), quiet, { ...links, resolveAt: WINDOW_START + 15 * MINUTE })
    expect(sectionTexts(reply)).toEqual([
      expect.stringContaining('*No matching entries* in this window.'),
      '✅ If it stays clean, the incident resolves with the window that ends at 2026-11-23 10:15:00Z (`resolve-after`).',
    ])
    expect(contextTexts(reply)[0]).toBe('🟡 Window 8 of incident `20261123-1005-3fa2`, quiet')
  })

  it('says when a window below the thresholds resolves the incident if it stays so', () => {
    const reply = buildWindowReply(makeReport({ entries: typicalEntries().slice(3) }), incident, {
      ...links,
      resolveAt: WINDOW_START + 15 * MINUTE,
    })
    expect(contextTexts(reply)).toContain(
      'Below the alert thresholds: if it stays so, the incident resolves with the window that ends at 2026-11-23 10:15:00Z.',
    )
  })
})

describe('buildResolvedReply', () => {
  it('says it resolved, after how long, and what it added up to', () => {
    const incident = makeIncident({ status: 'resolved', resolvedAt: WINDOW_START + 55 * MINUTE })
    const reply = buildResolvedReply(incident, 900)
    expect(reply.text).toBe('✅ api-errors: incident resolved after 40m')
    expect(reply.attachments[0].color).toBe('#2eb67d')
    const [text] = sectionTexts(reply)
    expect(text).toContain('no window met the alert thresholds for 15m (`resolve-after`)')
    expect(text).toContain(
      'It lasted *40m*: first seen 2026-11-23 10:00:00Z, last seen 2026-11-23 10:40:00Z.',
    )
    expect(text).toContain('*1,234 entries (12 5xx, 1,222 4xx)* in 8 windows.')
    expect(sectionTexts(buildResolvedReply(incident, 0))[0]).toContain(
      'the latest window was below the alert thresholds',
    )
  })
})

describe("Slack's limits, with 100,000 hostile entries", () => {
  /** 100,000 entries over 500 long hostile routes and 300 statuses, built as the query step builds them. */
  function hugeReport() {
    const builder = new DigestBuilder({ groupBy: GROUP_BY, maxSamples: 20 })
    const routes = Array.from(
      { length: 500 },
      (_, i) => `${HOSTILE_VALUES[i % HOSTILE_VALUES.length]}/${'<!channel>*'.repeat(300)}/${i}`,
    )
    const statuses = [
      ...Array.from({ length: 200 }, (_, i) => String(400 + i)),
      ...Array.from(
        { length: 100 },
        (_, i) => `${HOSTILE_VALUES[i % HOSTILE_VALUES.length]}${'_'.repeat(2_000)}${i}`,
      ),
    ]
    for (let i = 0; i < 100_000; i += 1) {
      builder.add(
        accessLog({
          status: statuses[i % statuses.length] as string,
          httpMethod: 'GET',
          resourcePath: routes[(i * 7) % routes.length] as string,
          requestId: `${'<!here>'.repeat(50)}${i}`,
        }),
      )
    }
    return { ...makeReport(), digest: builder.build() }
  }

  function expectWithinLimits(message: SlackMessage) {
    const blocks = blocksOf(message)
    expect(blocks.length).toBeLessThanOrEqual(50)
    for (const block of blocks) {
      if (block.type === 'header') expect(block.text.text.length).toBeLessThanOrEqual(150)
      if (block.type === 'section' && 'text' in block)
        expect(block.text.text.length).toBeLessThanOrEqual(3_000)
      if (block.type === 'section' && 'fields' in block) {
        expect(block.fields.length).toBeLessThanOrEqual(10)
        for (const field of block.fields) expect(field.text.length).toBeLessThanOrEqual(2_000)
      }
      if (block.type === 'context') {
        expect(block.elements.length).toBeLessThanOrEqual(10)
        for (const element of block.elements) expect(element.text.length).toBeLessThanOrEqual(2_000)
      }
    }
    expect(message.text.length).toBeLessThanOrEqual(3_000)
    expect(JSON.stringify(message).length).toBeLessThanOrEqual(40_000)
    // The caller's own mention aside, nothing in the message can ping.
    const texts = visibleTexts(message).map((text) => text.replace(/^<!here> /, ''))
    for (const text of texts) expect(text).not.toMatch(/<!channel>|<!here>|<@U|<script/)
  }

  it('keeps the card and a window reply within them', () => {
    const report = hugeReport()
    expect(report.digest.total).toBe(100_000)
    const at = report.window.end + MINUTE
    const decision = decideAlert(report.digest, undefined, at, report.window, {
      thresholds: { critical: 1, warning: 50 },
      realertSeconds: 3600,
      resolveAfterSeconds: 900,
      notifyResolved: true,
    })
    const { incident } = advanceIncident(undefined, decision, report, at, {
      reopenWithinSeconds: 3600,
      monitorName: `${'<!channel> '.repeat(30)}api`,
    })
    if (!incident) throw new Error('no incident opened')
    expect(incident.topRoutes).toHaveLength(20)
    expectWithinLimits(buildIncidentCard(incident, { ...links, mention: '<!here>' }))
    expectWithinLimits(buildWindowReply(report, incident, links))
    expectWithinLimits(buildResolvedReply(incident, 900))
  })
})
