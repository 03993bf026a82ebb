/**
 * fast-check arbitraries shared by the property tests: hostile text, access-log entries built from it,
 * and checks on escaped output.
 */
import type { ResultField } from '@aws-sdk/client-cloudwatch-logs'
import fc from 'fast-check'
import { type Entry, toEntry } from '../../../src/entries.js'
import { HOSTILE_PAYLOADS, type HostileLine, hostileRows } from '../../fixtures/hostile-lines.js'

/**
 * Marks log text so that escaping can be checked where it ends up: a special character between two
 * sentinels (`¤*¤`) shows as `¤*¤` in the output only if it was left raw, since no template puts a
 * character between two sentinels and no escaping removes one.
 */
const SENTINEL = '¤'

/** Characters that mean something to Slack, markdown, HTML, JSON, a terminal or UTF-16. */
const SPECIAL_CHARACTERS = [
  '<',
  '>',
  '&',
  ';',
  '#',
  '*',
  '_',
  '~',
  '`',
  '|',
  '[',
  ']',
  '(',
  ')',
  '!',
  '@',
  '$',
  '^',
  '\\',
  '"',
  "'",
  ':',
  '=',
  '-',
  '/',
  '.',
  ' ',
  '\n',
  '\r',
  '\t',
  '\u0000',
  '\u001b',
  '\u007f',
  '\u0085',
  '\u00a0',
  '\u200b',
  '\u2028',
  '\u202e',
  '\u2066',
  '\ud800',
  '\udbff',
  '\udc00',
  '\ufeff',
  '\ufffd',
  '…',
  '∗',
  'ˍ',
  'a',
  'Z',
  '0',
  '5',
  SENTINEL,
]

/** Every character an escaper is meant to neutralise, for the sentinel check. */
const TAINT_CHARACTERS = [
  '<',
  '>',
  '&',
  '*',
  '_',
  '~',
  '`',
  '|',
  '[',
  ']',
  '"',
  "'",
  '\\',
  '#',
  '!',
  '$',
  '@',
  '\n',
  '\u0000',
  '\u202e',
  '\ud800',
  '\udc00',
]

const payload = fc.constantFrom(...HOSTILE_PAYLOADS.map((item) => item.value))
const specialRun = fc.string({ unit: fc.constantFrom(...SPECIAL_CHARACTERS), maxLength: 40 })
const tainted = fc.constantFrom(...TAINT_CHARACTERS).map((char) => `${SENTINEL}${char}${SENTINEL}`)
const slackSyntax = fc
  .tuple(
    fc.constantFrom(
      '<!',
      '<@',
      '<#',
      '<http://',
      '<https://',
      '<mailto:',
      '<!subteam^',
      '<',
      '&lt;',
      '&amp;',
    ),
    fc.string({ maxLength: 12 }),
    fc.constantFrom('>', '|x>', '|<!here>>', '', '&gt;'),
  )
  .map((parts) => parts.join(''))

/** One piece of hostile text. */
const fragment = fc.oneof(
  { weight: 3, arbitrary: payload },
  { weight: 3, arbitrary: specialRun },
  { weight: 2, arbitrary: tainted },
  { weight: 2, arbitrary: slackSyntax },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
)

/** Hostile text of a few fragments: short, as most log values are. */
export const hostileText = fc.array(fragment, { maxLength: 6 }).map((parts) => parts.join(''))

/** Hostile text, now and then long enough to be cut (up to about 20,000 characters). */
export const hostileValue = fc.oneof(
  { weight: 8, arbitrary: hostileText },
  {
    weight: 1,
    arbitrary: fc
      .tuple(hostileText, fc.integer({ min: 2, max: 2_000 }))
      .map(([text, times]) => (text === '' ? 'x' : text).repeat(times).slice(0, 20_000)),
  },
)

/** Every string the property tests throw at an escaper: hostile text and fast-check's own. */
export const anyText = fc.oneof(
  { weight: 4, arbitrary: hostileValue },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme-composite', maxLength: 100 }) },
)

/** The fields of API Gateway access logs the message and summary read, and a few they do not. */
const LOG_FIELDS = [
  'status',
  'httpMethod',
  'resourcePath',
  'routeKey',
  'path',
  'responseLatency',
  'integrationLatency',
  'requestId',
  'extendedRequestId',
  'errorMessage',
  'integrationErrorMessage',
  'userAgent',
  'queryString',
  'ip',
]

const status = fc.oneof(
  fc.constantFrom('500', '502', '503', '504', '400', '403', '404', '429', '200', '-', ''),
  hostileText,
)

/** An access-log line: a JSON object of string fields (or a JSON-number status), some of them hostile. */
const accessLogMessage = fc
  .record(
    {
      fields: fc.dictionary(fc.constantFrom(...LOG_FIELDS), hostileValue, { maxKeys: LOG_FIELDS.length }),
      status,
      numericStatus: fc.boolean(),
      nestedError: fc.option(hostileValue, { nil: undefined }),
      extra: fc.dictionary(hostileText, hostileText, { maxKeys: 3 }),
    },
    { requiredKeys: ['fields', 'status', 'numericStatus', 'extra'] },
  )
  .map(({ fields, status: value, numericStatus, nestedError, extra }) => {
    const line: Record<string, unknown> = { ...extra, ...fields }
    line.status = numericStatus && /^\d+$/.test(value) ? Number(value) : value
    if (nestedError !== undefined) line.error = { message: nestedError }
    return JSON.stringify(line)
  })

const message = fc.oneof(
  { weight: 4, arbitrary: accessLogMessage },
  { weight: 1, arbitrary: hostileValue },
  // Almost JSON: the parser must give up and the line still be shown as text.
  { weight: 1, arbitrary: accessLogMessage.map((line) => line.slice(0, -1)) },
)

const timestamp = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 299_999 }).map((ms) => insightsTime(ms)) },
  { weight: 1, arbitrary: hostileText },
)

function insightsTime(offsetMs: number): string {
  const base = Date.UTC(2026, 10, 23, 10, 0, 0)
  return new Date(base + offsetMs).toISOString().replace('T', ' ').replace('Z', '')
}

/** A GetQueryResults row for the default query. */
const resultRow: fc.Arbitrary<ResultField[]> = fc
  .tuple(timestamp, message, fc.nat(1_000_000))
  .map(([time, text, id]) => [
    { field: '@timestamp', value: time },
    { field: '@message', value: text },
    { field: '@log', value: '123456789012:/aws/apigateway/prod-access' },
    { field: '@ptr', value: `ptr-${id}` },
  ])

/** An entry as main.ts makes it from a result row. */
export const entry: fc.Arbitrary<Entry> = resultRow.map((row) => toEntry(row, 'status'))

/** Entries from corpus lines, as main.ts makes them from the rows Insights returns for them. */
export function corpusEntries(lines: readonly HostileLine[]): Entry[] {
  return hostileRows(lines).map((row) => toEntry(row, 'status'))
}

// ─── checks ─────────────────────────────────────────────────────────────────────────────────────

/** Characters escaping must never let through: C0 controls but tab and line breaks, DEL, bidi controls. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
export const UNSAFE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\u202A-\u202E\u2066-\u2069]/

/** Half a surrogate pair on its own. */
export const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** A raw character from `chars` between two sentinels: log text that was not escaped. */
export function taintedRaw(text: string, chars: string): RegExpMatchArray | null {
  const escaped = chars.replace(/[\\\]^-]/g, '\\$&')
  return text.match(new RegExp(`${SENTINEL}[${escaped}]${SENTINEL}`))
}

/**
 * `numRuns` runs, but never more than a few seconds for one property: a failure found late, or one on
 * large values, stops shrinking there and is reported as it stands (its seed and path replay it).
 */
export function runs(numRuns: number): fc.Parameters<unknown> {
  return { numRuns, plugins: [fc.interruptAfterTimeLimit(8_000)] }
}
