import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { SettingsError } from '../../../src/errors.js'
import { formatDuration } from '../../../src/format.js'
import { planWindow } from '../../../src/insights/window.js'
import {
  CRON_LATENESS_ALLOWANCE_SECONDS,
  parseDuration,
  parseList,
  readSettings,
  type Settings,
} from '../../../src/settings.js'
import { runs } from './arbitraries.js'

const RUNS = runs(200)

/** Every input of design.md's interface table, and resolve-after (issue 12). */
const INPUTS = [
  'log-group-names',
  'aws-region',
  'role-to-assume',
  'role-session-name',
  'role-duration-seconds',
  'audience',
  'query',
  'query-language',
  'interval',
  'query-delay',
  'overlap',
  'max-catch-up',
  'query-timeout',
  'max-results',
  'state',
  'monitor-name',
  'slack-webhook-url',
  'status-field',
  'group-by',
  'max-samples',
  'thresholds',
  'mention',
  'realert',
  'resolve-after',
  'notify-resolved',
  'notify-on-error',
  'fail-on-match',
  'dry-run',
] as const

/** Inputs checked against each other: a bad combination is reported on max-catch-up. */
const CROSS_CHECKED = new Set(['interval', 'query-delay', 'overlap', 'max-catch-up'])

const MINIMAL: Record<string, string> = {
  'log-group-names': '/aws/apigateway/prod-access',
  'aws-region': 'eu-west-1',
}

function read(inputs: Record<string, string>, secrets: string[] = []): Settings {
  return readSettings({
    getInput: (name) => inputs[name] ?? '',
    setSecret: (value) => secrets.push(value),
    env: {},
  })
}

/** What readSettings threw, or undefined when it accepted the inputs. */
function thrown(inputs: Record<string, string>, secrets: string[] = []): unknown {
  try {
    read(inputs, secrets)
    return undefined
  } catch (error) {
    return error
  }
}

/** Values that look like what each input accepts, and values just beside it. */
const plausible = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '\n',
    '0',
    '5',
    '-1m',
    '1e3',
    '5m',
    '1h30m',
    '90S',
    '0s',
    '61m',
    '1d',
    '900',
    '43200',
    '43201',
    '100000',
    '100001',
    '20',
    '21',
    'true',
    'True',
    'TRUE',
    'false',
    'yes',
    'CWLI',
    'sql',
    'PPL',
    'none',
    'file:',
    'file:/tmp/state.json',
    'actions-cache',
    'eu-west-1',
    'us-gov-west-1',
    'EU-WEST-1',
    'arn:aws:iam::123456789012:role/insights-watch',
    'arn:aws:logs:eu-west-1:123456789012:log-group:/aws/x:*',
    '5xx=1, 4xx=20',
    '5xx=1, 4xx=50, other=1',
    '15m',
    '5xx=0',
    'total=1, total=2',
    '<!here>',
    '<@U012AB3CD> <!channel>',
    '<!here|x>',
    'https://hooks.slack.com/services/T000/B000/XXXX',
    'http://[::1',
  ),
  fc.stringMatching(/^\d{1,20}[smhdSMHD]?$/),
  fc.stringMatching(/^(\d{1,6}[smhd]){1,4}$/),
  fc.stringMatching(/^[a-z0-9=,.@_/:\-* <>!^]{0,30}$/),
)

const anyValue = fc.oneof(
  { weight: 3, arbitrary: plausible },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.string({ minLength: 1, maxLength: 5 }), fc.integer({ min: 9_990, max: 10_010 }))
      .map(([unit, length]) => unit.repeat(Math.ceil(length / unit.length)).slice(0, length)),
  },
)

function expectSettingsError(error: unknown, inputs: readonly string[]): void {
  if (error === undefined) return
  expect(error).toBeInstanceOf(SettingsError)
  const settingsError = error as SettingsError
  expect(inputs).toContain(settingsError.input)
  expect(settingsError.message.startsWith(`Input "${settingsError.input}": `)).toBe(true)
}

describe('readSettings with arbitrary inputs', () => {
  it('accepts a value or refuses it with a SettingsError naming that input', () => {
    fc.assert(
      fc.property(fc.constantFrom(...INPUTS), anyValue, (name, value) => {
        const error = thrown({ ...MINIMAL, [name]: value })
        expectSettingsError(error, CROSS_CHECKED.has(name) ? [name, 'max-catch-up'] : [name])
      }),
      runs(500),
    )
  })

  it('throws nothing but a SettingsError, whatever every input holds', () => {
    fc.assert(
      fc.property(
        fc.record(
          Object.fromEntries(INPUTS.map((name) => [name, anyValue])) as Record<string, typeof anyValue>,
        ),
        (inputs) => {
          expectSettingsError(thrown(inputs), INPUTS)
        },
      ),
      RUNS,
    )
  })
})

/** A duration as a person writes it, and its length in seconds. */
const duration = fc
  .array(
    fc.tuple(fc.integer({ min: 0, max: 1_000_000 }), fc.constantFrom('s', 'm', 'h', 'd', 'S', 'M', 'H', 'D')),
    {
      minLength: 1,
      maxLength: 5,
    },
  )
  .chain((parts) =>
    fc.tuple(fc.constant(parts), fc.constantFrom('', ' ', '\t', '\n'), fc.constantFrom('', ' ', '\n')),
  )
  .map(([parts, before, after]) => {
    const size: Record<string, number> = { s: 1, m: 60, h: 3_600, d: 86_400 }
    return {
      text: `${before}${parts.map(([amount, unit]) => `${amount}${unit}`).join('')}${after}`,
      seconds: parts.reduce((sum, [amount, unit]) => sum + amount * (size[unit.toLowerCase()] as number), 0),
    }
  })

describe('durations', () => {
  it('read as the sum of their parts, and round-trip through formatDuration', () => {
    fc.assert(
      fc.property(duration, ({ text, seconds }) => {
        // An explicit max lifts the inputs' 30-day cap: this property is about the arithmetic.
        const unbounded = { min: 0, max: Number.MAX_SAFE_INTEGER }
        expect(parseDuration('interval', text, unbounded)).toBe(seconds)
        const formatted = formatDuration(seconds)
        expect(formatted).toMatch(/^(?:0s|(?:\d+d)?(?:\d+h)?(?:\d+m)?(?:\d+s)?)$/)
        expect(parseDuration('interval', formatted, unbounded)).toBe(seconds)
        // The canonical form: hours below a day, minutes and seconds below 60.
        for (const [, amount, unit] of formatted.matchAll(/(\d+)([hms])/g)) {
          expect(Number(amount)).toBeLessThan(unit === 'h' ? 24 : 60)
        }
      }),
      RUNS,
    )
  })

  it('read the same through readSettings', () => {
    fc.assert(
      fc.property(duration, ({ text, seconds }) => {
        // Duration inputs stop at 30 days.
        // max-catch-up leaves room for the default overlap and query-delay and the lateness allowance.
        const catchUp = seconds + 180 + CRON_LATENESS_ALLOWANCE_SECONDS
        fc.pre(seconds >= 1 && catchUp <= 30 * 86_400)
        const settings = read({ ...MINIMAL, interval: text, 'max-catch-up': formatDuration(catchUp) })
        expect(settings.intervalSeconds).toBe(seconds)
        expect(settings.maxCatchUpSeconds).toBe(catchUp)
      }),
      RUNS,
    )
  })

  it('refuse bare numbers other than 0, signs, fractions and unknown units, naming the input', () => {
    const notDuration = fc.oneof(
      fc.integer({ min: 1, max: 1_000_000 }).map(String),
      fc.stringMatching(/^[-+]\d{1,4}[smhd]$/),
      fc.stringMatching(/^\d{1,3}\.\d[smhd]$/),
      fc.stringMatching(/^\d{1,4}(ms|w|y|min|sec)$/),
      fc.stringMatching(/^\d{1,4}[smhd] \d{1,4}[smhd]$/),
    )
    fc.assert(
      fc.property(notDuration, (text) => {
        const error = thrown({ ...MINIMAL, overlap: text })
        expect(error).toBeInstanceOf(SettingsError)
        expect((error as SettingsError).input).toBe('overlap')
        expect((error as SettingsError).message).toContain('not a duration')
      }),
      RUNS,
    )
  })

  // Without a cap, a long run of digits read past 2^53 or as Infinity ("Infinityd"): every duration
  // input now stops at 30 days and is refused beyond it with a SettingsError.
  it('accepts only durations that are safe integers and round-trip', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\d{1,400}[smhd]$/), (text) => {
        let seconds: number
        try {
          seconds = parseDuration('interval', text, { min: 0 })
        } catch (error) {
          expect(error).toBeInstanceOf(SettingsError)
          return
        }
        expect(Number.isSafeInteger(seconds)).toBe(true)
        expect(parseDuration('interval', formatDuration(seconds), { min: 0 })).toBe(seconds)
      }),
      RUNS,
    )
  })

  // The same seen from readSettings: a first window before the earliest Date once failed after the
  // credentials step instead of with a SettingsError before any network call.
  it('accepts no interval and max-catch-up whose first window lies outside what a Date can hold', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[1-9]\d{0,15}d$/), (interval) => {
        const days = Number(interval.slice(0, -1))
        let settings: Settings
        try {
          settings = read({ ...MINIMAL, interval, 'max-catch-up': `${days + 1}d` })
        } catch (error) {
          expect(error).toBeInstanceOf(SettingsError)
          return
        }
        const { window } = planWindow(Date.UTC(2026, 10, 23), undefined, settings)
        expect(Number.isNaN(new Date(window.start * 1000).getTime())).toBe(false)
      }),
      RUNS,
    )
  })
})

describe('the catch-up room', () => {
  // Issue 11: with overlap at or past max-catch-up, runs on time reported gaps that were not there.
  it('accepts exactly the combinations with max-catch-up ≥ overlap + query-delay + interval + allowance', () => {
    const minutes = fc.integer({ min: 0, max: 180 })
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 120 }),
        minutes,
        minutes,
        fc.integer({ min: 1, max: 400 }),
        (interval, delay, overlap, catchUp) => {
          const inputs = {
            ...MINIMAL,
            interval: `${interval}m`,
            'query-delay': `${delay}m`,
            overlap: `${overlap}m`,
            'max-catch-up': `${catchUp}m`,
          }
          const needed = (interval + delay + overlap) * 60 + CRON_LATENESS_ALLOWANCE_SECONDS
          const error = thrown(inputs)
          if (catchUp * 60 >= needed) {
            expect(error).toBeUndefined()
            return
          }
          expect(error).toBeInstanceOf(SettingsError)
          const { input, message } = error as SettingsError
          expect(input).toBe('max-catch-up')
          // Both inputs and the fix are named: the max-catch-up that would do, and the overlap that would.
          expect(message).toContain(`overlap (${formatDuration(overlap * 60)})`)
          expect(message).toContain(`raise max-catch-up to ${formatDuration(needed)} or more`)
          const fittingOverlap = catchUp * 60 - (needed - overlap * 60)
          if (fittingOverlap >= 0) {
            expect(message).toContain(`lower overlap to ${formatDuration(fittingOverlap)} or less`)
            // …and that overlap is accepted.
            expect(thrown({ ...inputs, overlap: formatDuration(fittingOverlap) })).toBeUndefined()
          }
          expect(thrown({ ...inputs, 'max-catch-up': formatDuration(needed) })).toBeUndefined()
        },
      ),
      RUNS,
    )
  })
})

/** An item of a list: anything but the separators, trimmed, not empty. */
const listItem = (separators: RegExp) =>
  fc
    .string({
      unit: fc.constantFrom('a', 'Z', '0', '/', '-', ' ', '\t', '\u00a0', '\u2028', 'é', '*', ',', '\n'),
      maxLength: 12,
    })
    .map((text) => text.split(separators).join('').trim())
    .filter((text) => text !== '')

/** Items joined by separators, with blanks and empty items between them. */
function joined(items: fc.Arbitrary<string[]>, separators: readonly string[]): fc.Arbitrary<string> {
  return items.chain((list) =>
    fc
      .tuple(
        fc.array(fc.constantFrom(...separators), { minLength: list.length + 1, maxLength: list.length + 1 }),
        fc.array(fc.constantFrom('', ' ', '  ', '\t'), { minLength: list.length, maxLength: list.length }),
      )
      .map(
        ([glue, pad]) =>
          glue[0] + list.map((item, index) => `${pad[index]}${item}${pad[index]}${glue[index + 1]}`).join(''),
      ),
  )
}

describe('lists', () => {
  it('split on newlines and commas, trimmed, empty items dropped', () => {
    const items = fc.array(listItem(/[,\n]/), { maxLength: 8 })
    fc.assert(
      fc.property(items, (list) =>
        fc.assert(
          fc.property(joined(fc.constant(list), [',', '\n', ', ', ' ,\n', '\n\n', ',,', '\r\n']), (text) => {
            expect(parseList(text)).toEqual(list)
          }),
          runs(3),
        ),
      ),
      runs(100),
    )
  })

  it('read group-by as those items, in order', () => {
    fc.assert(
      fc.property(
        joined(fc.array(listItem(/[,\n]/), { minLength: 1, maxLength: 6 }), [',', '\n', ', ']),
        (text) => {
          expect(read({ ...MINIMAL, 'group-by': text }).groupBy).toEqual(parseList(text))
        },
      ),
      RUNS,
    )
  })

  it('read log groups without duplicates, in first-seen order, ARNs without a trailing :*', () => {
    const name = fc.stringMatching(/^[.\-_/#A-Za-z0-9]{1,40}$/)
    const group = fc.oneof(
      name.map((text) => ({ text, expected: text })),
      fc.tuple(name, fc.boolean()).map(([text, star]) => ({
        text: `arn:aws:logs:eu-west-1:123456789012:log-group:${text}${star ? ':*' : ''}`,
        expected: `arn:aws:logs:eu-west-1:123456789012:log-group:${text}`,
      })),
    )
    fc.assert(
      fc.property(
        fc.array(group, { minLength: 1, maxLength: 8 }),
        fc.constantFrom(',', '\n', ' ,\n'),
        (groups, glue) => {
          const withRepeats = [...groups, ...groups.slice(0, 2)]
          const settings = read({ ...MINIMAL, 'log-group-names': withRepeats.map((g) => g.text).join(glue) })
          expect(settings.logGroups).toEqual([...new Set(groups.map((g) => g.expected))])
        },
      ),
      RUNS,
    )
  })

  it('read webhook URLs one per line, commas inside a URL kept', () => {
    fc.assert(
      fc.property(fc.array(webhookUrl(true), { minLength: 1, maxLength: 4 }), (urls) => {
        const settings = read({ ...MINIMAL, 'slack-webhook-url': `\n ${urls.join(' \n\n')} \n` })
        expect(settings.slackWebhookUrls).toEqual(urls)
      }),
      RUNS,
    )
  })
})

const secretToken = fc.stringMatching(/^[A-Za-z0-9]{24}$/)

/** An incoming-webhook URL whose last part (the secret) is a fresh random token. */
function webhookUrl(withComma = false): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.stringMatching(/^T[A-Z0-9]{8,10}$/),
      fc.stringMatching(/^B[A-Z0-9]{8,10}$/),
      secretToken,
      fc.boolean(),
    )
    .map(
      ([team, bot, token, comma]) =>
        `https://hooks.slack.com/services/${team}/${bot}/${token}${withComma && comma ? '?a=1,2' : ''}`,
    )
}

/** A line that holds a webhook secret but is not a URL (a scheme forgotten or mistyped). */
const brokenWebhook = fc
  .tuple(
    fc.constantFrom(
      'hooks.slack.com/services/T0/B0/',
      'htps://hooks.slack.com/services/T0/B0/',
      'https//x/',
      '',
    ),
    secretToken,
  )
  .map(([prefix, token]) => `${prefix}${token}`)

describe('webhook URLs are secrets', () => {
  it('never appear in an error message, whatever else is wrong', () => {
    fc.assert(
      fc.property(
        fc.array(webhookUrl(), { minLength: 1, maxLength: 3 }),
        fc.option(brokenWebhook, { nil: undefined }),
        fc.dictionary(fc.constantFrom(...INPUTS.filter((name) => name !== 'slack-webhook-url')), anyValue, {
          maxKeys: 4,
        }),
        (urls, broken, others) => {
          const lines = broken === undefined ? urls : [...urls.slice(0, 1), broken, ...urls.slice(1)]
          const secrets: string[] = []
          const error = thrown({ ...MINIMAL, ...others, 'slack-webhook-url': lines.join('\n') }, secrets)
          expectSettingsError(error, INPUTS)
          if (error instanceof Error) {
            for (const line of lines) {
              const token = line.slice(-24)
              expect(error.message).not.toContain(token)
              expect(String(error.stack)).not.toContain(token)
            }
          }
          // Masked before any other input can fail, when every line is a URL.
          if (broken === undefined) {
            for (const url of urls) {
              expect(secrets).toContain(url)
              expect(secrets).toContain(new URL(url).pathname)
            }
          }
        },
      ),
      RUNS,
    )
  })
})
