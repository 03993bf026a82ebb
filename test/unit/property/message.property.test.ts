import * as core from '@actions/core'
import fc from 'fast-check'
import { beforeEach, describe, expect, it } from 'vitest'
import type { Entry } from '../../../src/entries.js'
import { type SlackMessage, slackLink } from '../../../src/notify/blocks.js'
import { buildSlackMessage } from '../../../src/notify/digest-message.js'
import { buildFailureMessage, buildRecoveredMessage } from '../../../src/notify/monitor-notices.js'
import { addJobSummary } from '../../../src/notify/summary.js'
import type { Report } from '../../../src/report.js'
import {
  HOSTILE_LINES,
  hostileLine,
  rawAmpersands,
  slackControls,
  unexpectedHtml,
} from '../../fixtures/hostile-lines.js'
import { GROUP_BY, makeReport, WINDOW_START } from '../notify/fixtures.js'
import {
  corpusEntries,
  entry,
  hostileText,
  hostileValue,
  LONE_SURROGATE,
  runs,
  taintedRaw,
  UNSAFE,
} from './arbitraries.js'

/** Every field the corpus has worth grouping by: the widest breakdowns a message can carry. */
const EVERY_FIELD = [
  ...GROUP_BY,
  'path',
  'userAgent',
  'errorMessage',
  'integrationErrorMessage',
  'queryString',
  'ip',
]

/*
 * Slack limits (Block Kit reference): 50 blocks a message, a section's text 3,000 characters, a
 * section's fields 10 × 2,000, a context block 10 elements, a header 150 characters, any text object
 * 3,000. The payload and top-level text caps are the action's own (notify/digest-message.ts and notify/blocks.ts).
 */
const MAX_BLOCKS = 50
const MAX_SECTION_TEXT = 3_000
const MAX_FIELDS = 10
const MAX_FIELD_TEXT = 2_000
const MAX_CONTEXT_ELEMENTS = 10
const MAX_TEXT_OBJECT = 3_000
const MAX_HEADER_TEXT = 150
const MAX_TOP_LEVEL_TEXT = 3_000
const MAX_PAYLOAD_CHARS = 35_000
/** GitHub's step summary limit. */
const MAX_SUMMARY_BYTES = 1024 * 1024

/** Corpus lines nested thousands deep, which once overflowed JSON.stringify in fieldValue. */
const DEEP_LINES = new Set([
  'JSON nested 5,000 deep under status',
  'JSON nested 5,000 deep under error.message',
])
const CORPUS = corpusEntries(HOSTILE_LINES)

const RUN_URL = 'https://github.com/acme/api/actions/runs/123456789'
const CONSOLE_URL =
  "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:logs-insights$3FqueryDetail$3D~(end~'2026-11-23T10*3a05*3a00.000Z~start~'2026-11-23T10*3a00*3a00.000Z~timeType~'ABSOLUTE~editorString~'fields*20*40timestamp*7c*20x)"

const logGroupName = fc.stringMatching(/^[.\-_/#A-Za-z0-9]{1,60}$/)
/** Field names to group by: the usual ones, any access-log field, and names no entry has. */
const groupBy = fc.oneof(
  fc.constant(GROUP_BY),
  fc.uniqueArray(
    fc.oneof(
      fc.constantFrom(...GROUP_BY, 'path', 'userAgent', 'errorMessage', 'requestId', 'ip', 'queryString'),
      hostileText.filter((name) => name.trim() !== ''),
    ),
    { maxLength: 14 },
  ),
)

interface Scenario {
  report: Report
  mention?: string
  consoleUrl?: string
  notification?: string
}

const scenario: fc.Arbitrary<Scenario> = fc
  .record(
    {
      entries: fc.array(entry, { maxLength: 40 }),
      corpus: fc.subarray(CORPUS, { maxLength: 25 }),
      maxSamples: fc.integer({ min: 0, max: 20 }),
      groupBy,
      monitorName: fc.oneof(fc.constant('api-errors'), hostileValue),
      logGroups: fc.array(logGroupName, { minLength: 1, maxLength: 60 }),
      truncated: fc.boolean(),
      gapSeconds: fc.option(fc.integer({ min: 1, max: 30 * 86_400 }), { nil: undefined }),
      mention: fc.option(fc.constantFrom('<!here>', '<!channel>', '<@U012AB3CD> <!subteam^S012AB3CD>'), {
        nil: undefined,
      }),
      consoleUrl: fc.option(fc.constant(CONSOLE_URL), { nil: undefined }),
      runUrl: fc.option(fc.constant(RUN_URL), { nil: undefined }),
      notification: fc.option(hostileValue, { nil: undefined }),
    },
    { requiredKeys: ['entries', 'corpus', 'maxSamples', 'groupBy', 'monitorName', 'logGroups', 'truncated'] },
  )
  .chain((drawn) =>
    fc
      .shuffledSubarray([...drawn.entries, ...drawn.corpus], {
        minLength: drawn.entries.length + drawn.corpus.length,
      })
      .map((entries) => ({ ...drawn, entries })),
  )
  .map((drawn): Scenario => {
    const report = makeReport({
      entries: drawn.entries,
      maxSamples: drawn.maxSamples,
      groupBy: drawn.groupBy,
      monitorName: drawn.monitorName,
      logGroups: drawn.logGroups,
      truncated: drawn.truncated,
      ...(drawn.gapSeconds !== undefined
        ? {
            gap: { start: WINDOW_START - drawn.gapSeconds, end: WINDOW_START - 1 },
            previousCheckpoint: WINDOW_START - drawn.gapSeconds + 120,
          }
        : {}),
    })
    if (drawn.runUrl === undefined) delete report.runUrl
    const result: Scenario = { report }
    if (drawn.mention !== undefined) result.mention = drawn.mention
    if (drawn.consoleUrl !== undefined) result.consoleUrl = drawn.consoleUrl
    if (drawn.notification !== undefined) result.notification = drawn.notification
    return result
  })

/** Our own links as notify/blocks.ts writes them: `<href|label>`, whatever the label. */
function ourLinks(text: string, urls: readonly (string | undefined)[]): string[] {
  const links: string[] = []
  for (const url of urls) {
    if (url === undefined) continue
    const prefix = slackLink(url, 'x')?.slice(0, -'x>'.length)
    if (prefix === undefined) continue
    const pattern = new RegExp(`${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[^<>]*>`, 'g')
    links.push(...(text.match(pattern) ?? []))
  }
  return links
}

/** Every piece of text in a message, with where it is. */
function textsOf(message: SlackMessage): Array<[string, string]> {
  const texts: Array<[string, string]> = [
    ['text', message.text],
    ['fallback', message.attachments[0].fallback],
  ]
  for (const [index, block] of message.attachments[0].blocks.entries()) {
    if (block.type === 'header' || (block.type === 'section' && 'text' in block)) {
      texts.push([`${block.type} ${index}`, block.text.text])
    } else if (block.type === 'section') {
      for (const field of block.fields) texts.push([`field of ${index}`, field.text])
    } else if (block.type === 'context') {
      for (const element of block.elements) texts.push([`context ${index}`, element.text])
    }
  }
  return texts
}

function expectWithinSlackLimits(message: SlackMessage): void {
  expect(JSON.stringify(message).length).toBeLessThanOrEqual(MAX_PAYLOAD_CHARS)
  expect(message.text.length).toBeGreaterThan(0)
  expect(message.text.length).toBeLessThanOrEqual(MAX_TOP_LEVEL_TEXT)
  expect(message.attachments).toHaveLength(1)
  const { blocks } = message.attachments[0]
  expect((message as { blocks?: unknown[] }).blocks ?? []).toHaveLength(0)
  expect(blocks.length).toBeLessThanOrEqual(MAX_BLOCKS)
  for (const block of blocks) {
    switch (block.type) {
      case 'header':
        expect(block.text.type).toBe('plain_text')
        expect(block.text.text.length).toBeGreaterThan(0)
        expect(block.text.text.length).toBeLessThanOrEqual(MAX_HEADER_TEXT)
        break
      case 'section':
        if ('text' in block) {
          expect(block.text.text.length).toBeGreaterThan(0)
          expect(block.text.text.length).toBeLessThanOrEqual(MAX_SECTION_TEXT)
        } else {
          expect(block.fields.length).toBeGreaterThan(0)
          expect(block.fields.length).toBeLessThanOrEqual(MAX_FIELDS)
          for (const field of block.fields) {
            expect(field.text.length).toBeGreaterThan(0)
            expect(field.text.length).toBeLessThanOrEqual(MAX_FIELD_TEXT)
          }
        }
        break
      case 'context':
        expect(block.elements.length).toBeGreaterThan(0)
        expect(block.elements.length).toBeLessThanOrEqual(MAX_CONTEXT_ELEMENTS)
        for (const element of block.elements) expect(element.text.length).toBeLessThanOrEqual(MAX_TEXT_OBJECT)
        break
      case 'divider':
        break
    }
  }
}

/**
 * No mention, link or formatting from log text: the only `<…>` are our links (and the mention input
 * at the start of the top-level text), every `&` starts an entity, and no sentinel-marked character
 * from the log arrived raw.
 */
function expectInert(message: SlackMessage, urls: readonly (string | undefined)[], mention?: string): void {
  for (const [where, text] of textsOf(message)) {
    const allowed = ourLinks(text, urls)
    if (where === 'text' && mention !== undefined) allowed.push(mention)
    expect(slackControls(text, allowed), where).toEqual([])
    const withoutLinks = allowed.reduce((rest, link) => rest.split(link).join(''), text)
    expect(rawAmpersands(withoutLinks), where).toEqual([])
    // A header is plain text: only `&`, `<` and `>` mean something there.
    expect(taintedRaw(text, where.startsWith('header') ? '<>&' : '<>&*_~`'), where).toBeNull()
    expect(text, where).not.toMatch(UNSAFE)
    expect(text, where).not.toMatch(LONE_SURROGATE)
  }
}

function slackMessageFor({ report, mention, consoleUrl }: Scenario): SlackMessage {
  return buildSlackMessage(report, {
    ...(mention !== undefined ? { mention } : {}),
    ...(consoleUrl !== undefined ? { consoleUrl } : {}),
  })
}

function urlsOf({ report, consoleUrl }: Scenario): Array<string | undefined> {
  return [report.runUrl, consoleUrl, (report as { consoleUrl?: string }).consoleUrl]
}

describe('buildSlackMessage', () => {
  it('stays within Slack limits and shows log text inert, whatever the entries', () => {
    fc.assert(
      fc.property(scenario, (drawn) => {
        const message = slackMessageFor(drawn)
        expectWithinSlackLimits(message)
        expectInert(message, urlsOf(drawn), drawn.mention)
        // The mention goes out whole, first, only when 5xx entries were found.
        if (drawn.mention !== undefined && drawn.report.digest.critical > 0) {
          expect(message.text.startsWith(`${drawn.mention} `)).toBe(true)
        } else {
          expect(slackControls(message.text)).toEqual([])
        }
      }),
      runs(100),
    )
  })

  it('holds with the whole corpus in one window, 20 samples and every field grouped', () => {
    const report = makeReport({
      entries: CORPUS,
      maxSamples: 20,
      groupBy: EVERY_FIELD,
    })
    const message = buildSlackMessage(report, { mention: '<!here>', consoleUrl: CONSOLE_URL })
    expectWithinSlackLimits(message)
    expectInert(message, [report.runUrl, CONSOLE_URL], '<!here>')
    // 300 kB of path is cut, not sent.
    expect(JSON.stringify(message)).not.toContain('<!channel>&amp;*_~`|[x](y)<script><!channel>')
    // The `__proto__` line polluted nothing.
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(
      Object.hasOwn(
        CORPUS.find((e) => e.fields['@message']?.startsWith('{"__proto__"'))?.json ?? {},
        '__proto__',
      ),
    ).toBe(true)
  })

  it('holds for each corpus line on its own, as the only sample', () => {
    for (const [index, only] of CORPUS.entries()) {
      const report = makeReport({ entries: [only], groupBy: [...GROUP_BY, 'path', 'userAgent'] })
      const message = buildSlackMessage(report, { consoleUrl: CONSOLE_URL })
      expectWithinSlackLimits(message)
      expectInert(message, [report.runUrl, CONSOLE_URL])
      expect(message.attachments[0].blocks.length, `corpus entry ${index}`).toBeGreaterThan(0)
    }
  })
})

describe('buildFailureMessage', () => {
  it('stays within Slack limits and shows the error inert, whatever it quotes', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.constant('api-errors'), hostileText),
        hostileValue,
        fc.option(fc.constant(RUN_URL), { nil: undefined }),
        (monitorName, reason, runUrl) => {
          const message = buildFailureMessage({ monitorName, reason, ...(runUrl ? { runUrl } : {}) })
          expectWithinSlackLimits(message)
          expectInert(message, [runUrl])
        },
      ),
      runs(100),
    )
  })

  // A long monitor name is cut before it is escaped, so no entity is split (fitEscaped, as in alerts).
  it('cuts a long monitor name in the header without splitting an entity', () => {
    fc.assert(
      fc.property(hostileValue, (monitorName) => {
        const message = buildFailureMessage({ monitorName, reason: 'AccessDenied' })
        expectWithinSlackLimits(message)
        expectInert(message, [])
      }),
      runs(100),
    )
  })
  it('a reminder, or one that says it repeats, stays within the limits and inert too', () => {
    fc.assert(
      fc.property(
        hostileValue,
        fc.integer({ min: 0, max: 4_000_000_000 }),
        fc.integer({ min: 2, max: 1_000_000 }),
        fc.constantFrom('state-none', 'unreadable', 'unsaved', undefined),
        (monitorName, failingSince, failedRuns, noMemory) => {
          const message = buildFailureMessage({
            monitorName,
            reason: 'AccessDenied',
            failingSince,
            failedRuns,
            ...(noMemory ? { noMemory } : {}),
          })
          expectWithinSlackLimits(message)
          expectInert(message, [])
        },
      ),
      runs(100),
    )
  })
})

describe('buildRecoveredMessage', () => {
  it('stays within Slack limits and shows the monitor name inert, whatever it is', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.constant('api-errors'), hostileText, hostileValue),
        fc.integer({ min: 0, max: 4_000_000_000 }),
        fc.integer({ min: 0, max: 10_000_000 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.option(fc.constant(RUN_URL), { nil: undefined }),
        (monitorName, failingSince, failedFor, failedRuns, runUrl) => {
          const message = buildRecoveredMessage({
            monitorName,
            failingSince,
            recoveredAt: failingSince + failedFor,
            failedRuns,
            ...(runUrl ? { runUrl } : {}),
          })
          expectWithinSlackLimits(message)
          expectInert(message, [runUrl])
        },
      ),
      runs(100),
    )
  })
})

/** The job summary as `core.summary` would write it. */
function summaryFor(report: Report, notification?: string): string {
  core.summary.emptyBuffer()
  addJobSummary(report, core.summary, notification)
  return core.summary.stringify()
}

/**
 * Under GitHub's limit; only the summary's own tags; no `|`, no raw character from the log; tables
 * whole (one line, the same number of cells in every row).
 */
function expectSafeSummary(html: string): void {
  expect(Buffer.byteLength(html, 'utf8')).toBeLessThan(MAX_SUMMARY_BYTES)
  expect(html).not.toMatch(/<script/i)
  expect(unexpectedHtml(html)).toEqual([])
  const text = html.replace(/<a href="[^"]*">/g, '<a>')
  expect(text).not.toMatch(/\|/)
  expect(text).not.toMatch(/&(?!(?:#\d+|amp|lt|gt|quot);)/)
  expect(taintedRaw(html, '<>&"\'|`*_~[]\\#!$@\n\r')).toBeNull()
  expect(html).not.toMatch(UNSAFE)
  expect(html).not.toMatch(LONE_SURROGATE)
  for (const [table] of html.matchAll(/<table>[\s\S]*?<\/table>/g)) {
    // A line break in a table could end the HTML block (at a blank line) and spill the rest as markdown.
    expect(table).not.toMatch(/[\r\n]/)
    const rows = [...table.matchAll(/<tr>(.*?)<\/tr>/g)].map(
      ([, row]) => (row?.match(/<t[hd]>/g) ?? []).length,
    )
    expect(rows.length).toBeGreaterThan(0)
    expect(new Set(rows).size).toBe(1)
  }
}

beforeEach(() => {
  core.summary.emptyBuffer()
})

describe('addJobSummary', () => {
  it('stays under 1 MiB and shows log text inert, whatever the entries', () => {
    fc.assert(
      fc.property(scenario, ({ report, notification }) => {
        expectSafeSummary(summaryFor(report, notification))
      }),
      runs(100),
    )
  })

  it('holds with the whole corpus in one window and every field grouped', () => {
    const report = makeReport({
      entries: CORPUS,
      maxSamples: 100,
      groupBy: EVERY_FIELD,
    })
    const html = summaryFor(report, hostileLine('payload: html script').message)
    expectSafeSummary(html)
    expect(html).not.toContain('<!channel>&amp;*_~`|[x](y)<script><!channel>')
  })

  it('stays under 1 MiB with 100 samples and 25 breakdowns of long, multi-byte values', () => {
    const wide = fc
      .tuple(
        fc.constantFrom('😀', '<', '|', 'é', '\u0000', '你', '&'),
        fc.integer({ min: 2_000, max: 6_000 }),
        fc.nat(1_000_000),
      )
      .map(([unit, length, id]) => `${id}${unit.repeat(length)}`)
    const fields = Array.from({ length: 25 }, (_, index) => `f${index}`)
    const manyEntries = fc.array(fc.array(wide, { minLength: 25, maxLength: 25 }), {
      minLength: 100,
      maxLength: 120,
    })
    fc.assert(
      fc.property(manyEntries, (rows) => {
        const entries: Entry[] = rows.map((values, index) => ({
          fields: {
            '@timestamp': `2026-11-23 10:00:${String(index % 60).padStart(2, '0')}.000`,
            '@message': values.join(' '),
            ...Object.fromEntries(fields.map((field, at) => [field, values[at] as string])),
            status: '502',
            path: values[0] as string,
            requestId: values[1] as string,
          },
          status: 502,
          severity: 'critical',
        }))
        const report = makeReport({ entries, maxSamples: 100, groupBy: fields })
        expectSafeSummary(summaryFor(report, rows[0]?.[0]))
      }),
      runs(3),
    )
  })
})

// JSON nested thousands deep: fieldValue's JSON.stringify would overflow the stack; the entry is kept
// and shown, its nested value replaced by a note.
describe('deeply nested JSON', () => {
  it('is handled by toEntry, the digest, the message and the summary', () => {
    for (const label of DEEP_LINES) {
      const [nested] = corpusEntries([hostileLine(label)]) as [Entry]
      const report = makeReport({ entries: [nested], groupBy: [...GROUP_BY, 'error'] })
      expectWithinSlackLimits(buildSlackMessage(report))
      expectSafeSummary(summaryFor(report))
    }
  })
})
