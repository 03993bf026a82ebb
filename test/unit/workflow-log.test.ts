import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { inertForWorkflowLog } from '../../src/workflow-log.js'
import { parseRunnerLine, runnerLines, workflowCommands } from '../support/workflow-commands.js'

/** Log text that would be a workflow command if printed as it is, one per form the runner reads. */
const COMMANDS_IN_LOG_TEXT: Array<[string, string]> = [
  ['a line starting with ::', '::error::pwned'],
  ['add-mask', '::add-mask::pwned'],
  ['set-output', '::set-output name=x::pwned'],
  ['stop-commands', '::stop-commands::pwned'],
  ['white space before ::', '   \t::warning::pwned'],
  ['no-break space before ::', '\u00A0\u3000::error::pwned'],
  ['NEL before ::', '\u0085::error::pwned'],
  ['a zero-width space before ::', '\u200B::error::pwned'],
  ['a word joiner between the colons', ':\u2060:error::pwned'],
  ['legacy ##[ at the start', '##[error]pwned'],
  ['legacy ##[ mid-line', 'GET /api?q=##[add-mask]pwned HTTP/1.1'],
  ['legacy set-output', 'x ##[set-output name=x;]pwned'],
  ['legacy stop-commands', 'x ##[stop-commands]pwned'],
  ['three #', '###[error]pwned'],
  ['a zero-width space inside ##[', '#\u200B#[error]pwned'],
  ['a soft hyphen and a BOM inside ##[', '#\u00AD#\uFEFF[error]pwned'],
  ['a control character inside ##[', '#\u0001#[error]pwned'],
  ['a variation selector inside ##[', '##\uFE0F[error]pwned'],
  ['after a line feed', 'GET /\n::error::pwned'],
  ['after a carriage return alone', 'GET /\r::error::pwned'],
  ['after CRLF', 'GET /\r\n##[error]pwned'],
]

describe('inertForWorkflowLog', () => {
  it.each(COMMANDS_IN_LOG_TEXT)('%s: a command as printed, none after', (_, text) => {
    expect(workflowCommands(text).length).toBeGreaterThan(0)
    expect(workflowCommands(inertForWorkflowLog(text))).toEqual([])
  })

  it('keeps every line, and what reads the same, readable', () => {
    expect(inertForWorkflowLog('GET /##[error]x\n::add-mask::y\r\nz')).toBe(
      'GET /##\uFF3Berror]x\n:\uFF1Aadd-mask::y\r\nz',
    )
    expect(runnerLines(inertForWorkflowLog('a\rb\nc\r\nd'))).toEqual(['a', 'b', 'c', 'd'])
  })

  it('leaves the action’s own text as it is', () => {
    for (const text of [
      'Checked up to 2026-12-06T10:05:00Z by the previous run (saved 2026-12-06T10:06:03.120Z).',
      'Slack: webhook 1 of 2 answered HTTP 500; retrying in 1 s (attempt 2 of 5).',
      'a :: in the middle, a # and a [bracket], a tab\there',
      'emoji 😀 and accents é',
    ]) {
      expect(inertForWorkflowLog(text)).toBe(text)
    }
  })

  it('replaces what would hide or recolour part of a line (ANSI escapes, zero-width characters)', () => {
    expect(inertForWorkflowLog('\u001b[31mred\u001b[0m a\u200Bb')).toBe('\uFFFD[31mred\uFFFD[0m a\uFFFDb')
  })

  it('no text, however built from command pieces, leaves a line the runner would act on', () => {
    const piece = fc.constantFrom(
      '::',
      ':',
      '##[',
      '#',
      '[',
      ']',
      'error',
      'add-mask',
      'stop-commands',
      ' ',
      '\t',
      '\u00A0',
      '\u0085',
      '\u200B',
      '\u2060',
      '\uFEFF',
      '\u0000',
      '\n',
      '\r',
      '\r\n',
      'x',
    )
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }), (pieces) => {
        const printed = inertForWorkflowLog(pieces.join(''))
        for (const line of runnerLines(printed)) expect(parseRunnerLine(line)).toBeUndefined()
      }),
      { numRuns: 2000 },
    )
  })
})
