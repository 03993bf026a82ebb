import { describe, expect, it } from 'vitest'
import type { Entry } from '../../../src/entries.js'
import { buildSlackMessage } from '../../../src/notify/digest-message.js'
import { accessLog, HOSTILE, makeReport, plainLog, typicalEntries } from './fixtures.js'
import { blockTexts, sectionTexts, visibleTexts } from './message-texts.js'

const RUN_LINK = '<https://github.com/acme/api/actions/runs/123456789|View workflow run>'

describe('buildSlackMessage: what the on-call person reads', () => {
  const message = buildSlackMessage(makeReport({ entries: typicalEntries() }))
  const blocks = message.attachments[0].blocks

  it('leads with the monitor and the headline numbers, in the notification text and the header', () => {
    expect(message.text).toBe(
      '🔴 api-errors: 5 matching entries (3 5xx, 2 4xx) in 2026-11-23 10:00:00Z – 10:05:00Z',
    )
    expect(blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: '🔴 api-errors: 5 entries · 3 5xx · 2 4xx', emoji: true },
    })
  })

  it('shows the window in UTC with both ends, and the log group', () => {
    const overview = sectionTexts(message)[0]
    expect(overview).toContain('*Window* 2026-11-23 10:00:00Z – 10:05:00Z (5m)')
    expect(overview).toContain('*Log group* `/aws/apigateway/prod-access`')
  })

  it('writes the date of the window end when the window crosses midnight', () => {
    const start = Date.UTC(2026, 10, 23, 23, 58, 0) / 1000
    const crossing = buildSlackMessage(makeReport({ window: { start, end: start + 300 } }))
    expect(sectionTexts(crossing)[0]).toContain('2026-11-23 23:58:00Z – 2026-11-24 00:03:00Z')
  })

  it('is red when 5xx were found, amber for 4xx only, grey for nothing', () => {
    expect(message.attachments[0].color).toBe('#d00000')
    const only4xx = typicalEntries().filter((entry) => entry.severity === 'warning')
    expect(buildSlackMessage(makeReport({ entries: only4xx })).attachments[0].color).toBe('#e8a317')
    expect(buildSlackMessage(makeReport()).attachments[0].color).toBe('#9e9e9e')
  })

  it('breaks counts down per group-by field, most frequent first', () => {
    const breakdown = blocks.find((block) => block.type === 'section' && 'fields' in block)
    expect(breakdown && blockTexts(breakdown)).toEqual([
      '*status*\n`502` 2\n`403` 1\n`404` 1\n`500` 1',
      '*httpMethod*\n`GET` 2\n`POST` 2\n`DELETE` 1',
      '*resourcePath*\n`/items/{id}` 2\n`/orders` 2\n`/items` 1',
    ])
  })

  it('shows the top 5 values of a field and counts the rest', () => {
    const entries = Array.from({ length: 8 }, (_, i) =>
      Array.from({ length: 8 - i }, () => accessLog({ status: '500', resourcePath: `/route/${i}` })),
    ).flat()
    const fields = buildSlackMessage(makeReport({ entries, groupBy: ['resourcePath'] }))
      .attachments[0].blocks.flatMap((block) =>
        block.type === 'section' && 'fields' in block ? block.fields : [],
      )
      .map((field) => field.text)
    expect(fields).toEqual([
      '*resourcePath*\n`/route/0` 8\n`/route/1` 7\n`/route/2` 6\n`/route/3` 5\n`/route/4` 4\nand 3 more (6)',
    ])
  })

  it('shows each sample with status, method and path, latency, time and request id', () => {
    expect(sectionTexts(message)).toContain(
      '🔴 *502* · `POST /orders` · 29,012 ms · 2026-11-23 10:04:10.000\nrequest `c0ffee00-0000-4000-8000-000000000001`',
    )
    expect(sectionTexts(message)).toContain('*Samples*: 5 of 5, 5xx first, newest first')
  })

  it('does not repeat the method of an HTTP API route key', () => {
    const entry = accessLog({
      status: '503',
      httpMethod: 'GET',
      routeKey: 'GET /items',
      integrationLatency: '15',
    })
    const texts = sectionTexts(buildSlackMessage(makeReport({ entries: [entry] })))
    expect(texts).toContain('🔴 *503* · `GET /items` · 15 ms · 2026-11-23 10:01:02.123')
  })

  it('shows the raw message, cut short, when a line has no method or path', () => {
    const entry = plainLog(`Task timed out after 30.03 seconds ${'x'.repeat(2_000)}`)
    const sample = sectionTexts(buildSlackMessage(makeReport({ entries: [entry] }))).at(-1) ?? ''
    expect(sample).toMatch(
      /^⚪ · 2026-11-23 10:01:02.123\n```Task timed out after 30.03 seconds x+… \[cut, [\d,]+ more characters\]```$/,
    )
    expect(sample.length).toBeLessThan(600)
  })

  it('ends with the scan statistics and a link to the workflow run', () => {
    const footer = blocks.at(-1)
    expect(footer && blockTexts(footer)).toEqual([
      'Scanned 12.3 MB in 48,213 records · 5 matched · 1 query',
      RUN_LINK,
    ])
  })

  it('says so when the result was cut at max-results', () => {
    const report = makeReport({ entries: typicalEntries(), truncated: true })
    report.statistics.recordsMatched = 250_000
    const truncated = buildSlackMessage(report)
    expect(sectionTexts(truncated)).toContain(
      '⚠️ *Partial result:* 250,000 entries matched; only the first 5 were fetched (`max-results`, or the rows one query returns when its window could not be split). 249,995 were not fetched; the match count includes them. Breakdowns and samples cover the fetched ones.',
    )
    expect(truncated.attachments[0].blocks[0]).toMatchObject({
      text: { text: '🔴 api-errors: 5+ entries · 3 5xx · 2 4xx' },
    })
  })

  it('names three log groups and counts the rest', () => {
    const logGroups = Array.from({ length: 60 }, (_, i) => `/aws/apigateway/api-${i}`)
    const overview = sectionTexts(buildSlackMessage(makeReport({ logGroups })))[0]
    expect(overview).toContain(
      '*Log groups* `/aws/apigateway/api-0`, `/aws/apigateway/api-1`, `/aws/apigateway/api-2` and 57 more',
    )
  })

  it('says plainly when nothing matched', () => {
    const empty = buildSlackMessage(makeReport())
    expect(empty.text).toBe('✅ api-errors: no matching entries in 2026-11-23 10:00:00Z – 10:05:00Z')
    expect(sectionTexts(empty)[0]).toMatch(/^\*No matching entries\* in this window\./)
    expect(empty.attachments[0].blocks.some((block) => block.type === 'divider')).toBe(false)
  })

  it('puts the mention first only when 5xx were found', () => {
    expect(buildSlackMessage(makeReport({ entries: typicalEntries() }), { mention: '<!here>' }).text).toMatch(
      /^<!here> 🔴 api-errors/,
    )
    const only4xx = typicalEntries().filter((entry) => entry.severity === 'warning')
    expect(buildSlackMessage(makeReport({ entries: only4xx }), { mention: '<!here>' }).text).not.toContain(
      '<!here>',
    )
  })
})

describe('buildSlackMessage: hostile log text', () => {
  const hostile: Entry[] = [
    accessLog({
      status: '500',
      httpMethod: HOSTILE.user,
      resourcePath: HOSTILE.channel,
      requestId: HOSTILE.link,
      'error.message': HOSTILE.formatting,
    }),
    plainLog(`ERROR ${HOSTILE.channel} ${HOSTILE.fence} escape ${HOSTILE.fence} <!everyone>`),
    accessLog({ status: '404', httpMethod: 'GET', resourcePath: HOSTILE.formatting }),
  ]
  const message = buildSlackMessage(makeReport({ entries: hostile, monitorName: 'prod <!channel> & co' }))

  it('lets no mention, channel link or forged link through, anywhere in the message', () => {
    for (const text of visibleTexts(message)) {
      // The only Slack control sequence allowed is our own run link.
      expect(text.replace(RUN_LINK, '')).not.toMatch(/[<>]/)
    }
    expect(JSON.stringify(message)).toContain('&lt;!channel&gt;')
  })

  it('lets no log line bold, italicise, strike or leave its code span', () => {
    const samples = sectionTexts(message).filter((text) => text.includes('`'))
    for (const text of samples) {
      // Backticks come in pairs (our code spans) or triples (our code blocks), never from the log.
      const spans = text.replace(/```[^`]*```/g, '').match(/`/g) ?? []
      expect(spans.length % 2).toBe(0)
    }
    const json = JSON.stringify(message)
    expect(json).not.toContain('*bold*')
    expect(json).not.toContain('_italic_')
    expect(json).not.toContain('~strike~')
    expect(json).toContain('∗bold∗ ˍitalicˍ ∼strike∼ ˋcodeˋ')
  })

  it('keeps code blocks closed: each opens and closes once', () => {
    const raw = sectionTexts(message).find((text) => text.includes('```')) ?? ''
    expect(raw.match(/```/g)).toHaveLength(2)
    expect(raw).toContain('ERROR &lt;!channel&gt; ˋˋˋ escape ˋˋˋ &lt;!everyone&gt;')
  })

  it('marks text objects verbatim so Slack does not auto-link URLs or names in log text', () => {
    for (const block of message.attachments[0].blocks) {
      if (block.type === 'section' && 'text' in block) expect(block.text.verbatim).toBe(true)
    }
  })

  it('percent-encodes | and > in the run URL and drops non-http links', () => {
    const odd = buildSlackMessage(makeReport({ runUrl: 'https://github.com/a/b/actions/runs/1?x=|y>z&w' }))
    const footer = odd.attachments[0].blocks.at(-1)
    expect(footer && blockTexts(footer)[1]).toBe(
      '<https://github.com/a/b/actions/runs/1?x=%7Cy%3Ez&amp;w|View workflow run>',
    )
    const script = buildSlackMessage(makeReport({ runUrl: 'javascript:alert(1)' }))
    expect(JSON.stringify(script)).not.toContain('javascript:')
  })
})

describe('buildSlackMessage: Slack limits hold whatever the input', () => {
  // Each piece alone is over every Slack text limit; values differ at the start so the digest sorts fast.
  const huge = 'Ω<*'.repeat(4_000)
  const entries = Array.from({ length: 300 }, (_, i) =>
    accessLog(
      {
        status: i % 2 ? '502' : '404',
        httpMethod: huge,
        resourcePath: `${i}/${huge}`,
        requestId: huge,
        responseLatency: huge,
        'error.message': huge,
      },
      `2026-11-23 10:0${i % 5}:00.000`,
    ),
  )
  const groupBy = Array.from({ length: 30 }, (_, i) => (i === 0 ? 'resourcePath' : `field${i}`))
  const withManyFields = entries.map((entry) => {
    for (const field of groupBy) entry.fields[field] ??= `${Math.random()}${huge}`
    return entry
  })
  const report = makeReport({
    entries: withManyFields,
    maxSamples: 300,
    groupBy,
    monitorName: huge,
    logGroups: Array.from({ length: 500 }, (_, i) => `/aws/apigateway/${'g'.repeat(500)}-${i}`),
    truncated: true,
  })
  const message = buildSlackMessage(report, { mention: '<!here>' })
  const blocks = message.attachments[0].blocks

  it('has at most 50 blocks', () => {
    expect(blocks.length).toBeLessThanOrEqual(50)
  })

  it('keeps every text inside its Slack limit', () => {
    expect(message.text.length).toBeLessThanOrEqual(3_000)
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
  })

  it('keeps the whole payload under 35,000 characters and says samples were left out', () => {
    expect(JSON.stringify(message).length).toBeLessThanOrEqual(35_000)
    const note = blocks.flatMap(blockTexts).find((text) => text.includes('not shown'))
    expect(note).toMatch(/^\d+ more samples not shown to keep the message within Slack's size limits/)
  })

  it('drops samples from the end to meet a tighter payload cap, keeping the most severe', () => {
    const small = buildSlackMessage(makeReport({ entries: typicalEntries() }), { maxPayloadChars: 1_800 })
    expect(JSON.stringify(small).length).toBeLessThanOrEqual(1_800)
    const samples = sectionTexts(small).filter((text) => text.includes('request `'))
    expect(samples.length).toBeGreaterThan(0)
    expect(samples.length).toBeLessThan(5)
    expect(samples[0]).toMatch(/^🔴 \*502\* · `POST \/orders`/)
    expect(small.attachments[0].blocks.flatMap(blockTexts)).toContain(
      `${5 - samples.length} more samples not shown to keep the message within Slack's size limits; the job summary lists them.`,
    )
  })
})
