import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  escapeMarkdownHtml,
  escapeSlack,
  escapeSlackPlainText,
  fitEscaped,
  truncate,
} from '../../../src/notify/escape.js'
import { HOSTILE_LINES, HOSTILE_PAYLOADS, rawAmpersands } from '../../fixtures/hostile-lines.js'
import { anyText, LONE_SURROGATE, runs, UNSAFE } from './arbitraries.js'

const RUNS = runs(200)

/** Corpus text small enough to be drawn often; the big lines are checked once each below. */
const corpusText = fc.constantFrom(
  ...HOSTILE_PAYLOADS.map((payload) => payload.value),
  ...HOSTILE_LINES.map((line) => line.message).filter((message) => message.length < 50_000),
)
const text = fc.oneof({ weight: 4, arbitrary: anyText }, { weight: 1, arbitrary: corpusText })

/** What escaping keeps of a text: unsafe code units and lone surrogates become `�`. */
function sanitized(source: string): string {
  return source
    .replace(new RegExp(UNSAFE.source, 'g'), '\uFFFD')
    .replace(new RegExp(LONE_SURROGATE.source, 'g'), '\uFFFD')
}

const LOOKALIKES: Record<string, string> = { '∗': '*', ˍ: '_', '∼': '~', ˋ: '`' }
const SLACK_ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>' }

/** Slack text read back as a person sees it, look-alikes taken for what they stand for. */
function readSlack(escaped: string): string {
  return escaped.replace(
    /&(?:amp|lt|gt);|[∗ˍ∼ˋ]/g,
    (match) => SLACK_ENTITIES[match] ?? LOOKALIKES[match] ?? '',
  )
}

/** What `readSlack` should give back: the source, look-alikes it held taken the same way. */
function lookalikesRead(source: string): string {
  return source.replace(/[∗ˍ∼ˋ]/g, (match) => LOOKALIKES[match] ?? '')
}

/** HTML text read back as a browser shows it. */
function readHtml(escaped: string): string {
  return escaped
    .replace(/<br>/g, '\n')
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
}

function expectWellFormed(escaped: string): void {
  expect(escaped).not.toMatch(UNSAFE)
  expect(escaped).not.toMatch(LONE_SURROGATE)
}

/** Slack mrkdwn that can neither mention, link, format nor leave a code span. */
function expectInertSlack(escaped: string): void {
  expect(escaped).not.toMatch(/[<>]/)
  expect(rawAmpersands(escaped)).toEqual([])
  expect(escaped).not.toMatch(/[*_~`]/)
  expectWellFormed(escaped)
}

function expectInertPlainText(escaped: string): void {
  expect(escaped).not.toMatch(/[<>]/)
  expect(rawAmpersands(escaped)).toEqual([])
  expectWellFormed(escaped)
}

/** Markdown with HTML in which nothing is markup but the `<br>` line breaks escaping writes. */
function expectInertMarkdown(escaped: string, multiline = false): void {
  const text = multiline ? escaped : escaped.replace(/<br>/g, '')
  expect(text).not.toMatch(/&(?!(?:#\d+|amp|lt|gt|quot);)/)
  expect(text.replace(/&(?:#\d+|amp|lt|gt|quot);/g, '')).not.toMatch(/[<>"'|`*_~[\]\\#!$@&]/)
  expect(text).not.toMatch(multiline ? /\r/ : /[\r\n]/)
  expectWellFormed(escaped)
}

describe('escapeSlack', () => {
  it('leaves no mention, link, entity, formatting or unsafe character, and loses nothing', () => {
    fc.assert(
      fc.property(text, (source) => {
        const escaped = escapeSlack(source)
        expectInertSlack(escaped)
        expect(readSlack(escaped)).toBe(lookalikesRead(sanitized(source)))
      }),
      RUNS,
    )
  })

  it('holds for every corpus line, the 1 MB one included', () => {
    for (const line of HOSTILE_LINES) expectInertSlack(escapeSlack(line.message))
  })
})

describe('escapeSlackPlainText', () => {
  it('leaves no control sequence or unsafe character, and loses nothing', () => {
    fc.assert(
      fc.property(text, (source) => {
        const escaped = escapeSlackPlainText(source)
        expectInertPlainText(escaped)
        expect(escaped.replace(/&(?:amp|lt|gt);/g, (match) => SLACK_ENTITIES[match] ?? '')).toBe(
          sanitized(source),
        )
      }),
      RUNS,
    )
  })
})

describe('escapeMarkdownHtml', () => {
  it('leaves nothing raw that markdown or HTML would read, and loses nothing', () => {
    fc.assert(
      fc.property(text, (source) => {
        const escaped = escapeMarkdownHtml(source)
        expectInertMarkdown(escaped)
        expect(readHtml(escaped)).toBe(sanitized(source).replace(/\r\n|\r/g, '\n'))
      }),
      RUNS,
    )
  })

  it('keeps line breaks, and only them, for <pre>', () => {
    fc.assert(
      fc.property(text, (source) => {
        const escaped = escapeMarkdownHtml(source, { multiline: true })
        expectInertMarkdown(escaped, true)
        expect(readHtml(escaped)).toBe(sanitized(source).replace(/\r\n|\r/g, '\n'))
      }),
      RUNS,
    )
  })

  it('holds for every corpus line, the 1 MB one included', () => {
    for (const line of HOSTILE_LINES) expectInertMarkdown(escapeMarkdownHtml(line.message))
  })
})

const HIGH = /[\uD800-\uDBFF]/
const LOW = /[\uDC00-\uDFFF]/

/** True when cutting `source` at `index` would separate the halves of a surrogate pair. */
function splitsPair(source: string, index: number): boolean {
  return index > 0 && HIGH.test(source.charAt(index - 1)) && LOW.test(source.charAt(index))
}

function cutMark(removed: number): string {
  return `… [cut, ${removed.toLocaleString('en-US')} more characters]`
}

/** Text with a limit around its length or well below it. */
const textAndLimit = text.chain((source) =>
  fc.tuple(
    fc.constant(source),
    fc.oneof(fc.integer({ min: -2, max: 60 }), fc.integer({ min: 0, max: source.length + 10 })),
  ),
)

describe('truncate', () => {
  it('fits the limit with a prefix of the text and a mark of what is missing, never splitting a pair', () => {
    fc.assert(
      fc.property(textAndLimit, ([source, max]) => {
        const cut = truncate(source, max)
        if (source.length <= max) {
          expect(cut).toBe(source)
          return
        }
        if (max <= 0) {
          expect(cut).toBe('')
          return
        }
        expect(cut.length).toBeLessThanOrEqual(max)
        const marked = /… \[cut, ([\d,]+) more characters\]$/.exec(cut)
        let kept: number
        if (marked) {
          kept = source.length - Number((marked[1] as string).replace(/,/g, ''))
          expect(cut).toBe(source.slice(0, kept) + cutMark(source.length - kept))
          // As much as fits is kept, less room for the longest mark and one code unit to keep a pair whole.
          expect(kept).toBeGreaterThanOrEqual(max - cutMark(source.length).length - 1)
        } else {
          kept = cut.length - 1
          expect(cut).toBe(`${source.slice(0, kept)}…`)
          expect(kept).toBeGreaterThanOrEqual(max - 2)
        }
        expect(splitsPair(source, kept)).toBe(false)
      }),
      RUNS,
    )
  })
})

const ESCAPERS: Array<[string, (text: string) => string, (escaped: string) => void]> = [
  ['escapeSlack', escapeSlack, expectInertSlack],
  ['escapeSlackPlainText', escapeSlackPlainText, expectInertPlainText],
  ['escapeMarkdownHtml', (source) => escapeMarkdownHtml(source), (escaped) => expectInertMarkdown(escaped)],
  [
    'escapeMarkdownHtml multiline',
    (source) => escapeMarkdownHtml(source, { multiline: true }),
    (escaped) => expectInertMarkdown(escaped, true),
  ],
  // As notify/blocks.ts uses it for one-line code spans: whitespace folded, which shortens text.
  ['escapeSlack on one line', (source) => escapeSlack(source.replace(/\s+/g, ' ')), expectInertSlack],
]

describe.each(ESCAPERS)('fitEscaped with %s', (_, escaper, expectInert) => {
  it('fits the limit, stays inert when cut, and cuts the source, counting what is missing in it', () => {
    fc.assert(
      fc.property(textAndLimit, ([source, max]) => {
        const fitted = fitEscaped(source, max, escaper)
        expect(fitted.length).toBeLessThanOrEqual(Math.max(0, max))
        expectInert(fitted)
        const whole = escaper(source)
        if (source.length <= max && whole.length <= max) {
          expect(fitted).toBe(whole)
          return
        }
        if (max <= 0) return
        const mark = /… (?:\[|&#91;)cut, ([\d,]+) more characters(?:\]|&#93;)$/.exec(fitted)
        if (mark) {
          const kept = source.length - Number((mark[1] as string).replace(/,/g, ''))
          expect(splitsPair(source, kept)).toBe(false)
          expect(fitted).toBe(escaper(source.slice(0, kept)) + escaper(cutMark(source.length - kept)))
        } else {
          // Not even the mark fits: a bare `…` ends an escaped prefix.
          expect(fitted.endsWith('…')).toBe(true)
          expect(whole.startsWith(fitted.slice(0, -1))).toBe(true)
        }
      }),
      RUNS,
    )
  })
})
