import { describe, expect, it } from 'vitest'
import { escapeMarkdownHtml, escapeSlack, fitEscaped, truncate } from '../../../src/notify/escape.js'
import { HOSTILE } from './fixtures.js'

/** What a browser shows for escaped HTML text: the entities decoded. */
function decodeHtml(html: string): string {
  return html
    .replace(/<br>/g, '\n')
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
}

describe('escapeSlack', () => {
  it.each([HOSTILE.channel, HOSTILE.user, HOSTILE.link, '<!here>', '<!subteam^S123>', '<#C0123>'])(
    'turns the Slack control sequence %s into plain text',
    (text) => {
      const escaped = escapeSlack(text)
      expect(escaped).not.toMatch(/[<>]/)
      expect(escaped).toContain('&lt;')
      expect(escaped).toContain('&gt;')
    },
  )

  it('escapes & first, so an entity in the log shows as written', () => {
    expect(escapeSlack('a &lt; b & c')).toBe('a &amp;lt; b &amp; c')
  })

  it('leaves no formatting delimiter a log line could bold, italicise, strike or code with', () => {
    const escaped = escapeSlack(HOSTILE.formatting)
    expect(escaped).not.toMatch(/[*_~`]/)
    // Still readable: each delimiter is replaced by one look-alike character.
    expect(escaped).toBe('∗bold∗ ˍitalicˍ ∼strike∼ ˋcodeˋ')
  })

  it('cannot close a code block it is placed in', () => {
    expect(`\`\`\`${escapeSlack('x ``` <!channel> ```')}\`\`\``.match(/```/g)).toHaveLength(2)
  })

  it('replaces lone surrogates, which no UTF-8 can carry, and keeps pairs whole', () => {
    // Found by the property tests: a lone surrogate went into the Slack JSON as `\ud800`.
    expect(escapeSlack('a\uD800b \uDC00 ends\uDBFF')).toBe('a\uFFFDb \uFFFD ends\uFFFD')
    expect(escapeSlack('\uDE00\uD83D')).toBe('\uFFFD\uFFFD')
    expect(escapeSlack('😀 *x*')).toBe('😀 ∗x∗')
    expect(escapeMarkdownHtml('\uDC00<😀>')).toBe('\uFFFD&lt;😀&gt;')
  })

  it('keeps line breaks and ordinary text, and replaces control and bidi-override characters', () => {
    expect(escapeSlack('GET /items\nline two')).toBe('GET /items\nline two')
    expect(escapeSlack('ok\u0000\u001b[31m\u202Edesrever')).toBe('ok\uFFFD\uFFFD[31m\uFFFDdesrever')
  })
})

describe('truncate', () => {
  it('returns text that fits unchanged', () => {
    expect(truncate('short', 5)).toBe('short')
  })

  it('cuts to the limit, the mark included, and says how much is missing', () => {
    const text = 'x'.repeat(20_000)
    const cut = truncate(text, 100)
    expect(cut).toHaveLength(100)
    const kept = cut.indexOf('…')
    expect(cut.slice(kept)).toBe(`… [cut, ${(20_000 - kept).toLocaleString('en-US')} more characters]`)
  })

  it('never splits a surrogate pair', () => {
    const text = `${'a'.repeat(9)}😀${'b'.repeat(100)}`
    for (let max = 30; max <= 50; max += 1) {
      const cut = truncate(text, max)
      expect(cut.length).toBeLessThanOrEqual(max)
      // A lone surrogate would not survive a UTF-8 round trip.
      expect(Buffer.from(cut, 'utf8').toString('utf8')).toBe(cut)
    }
  })

  it('still ends in a visible mark when the limit is smaller than the full mark', () => {
    expect(truncate('abcdefghijklmnopqrstuvwxyz', 5)).toBe('abcd…')
  })
})

describe('fitEscaped', () => {
  it('fits the escaped text in the limit without leaving half an entity', () => {
    const fitted = fitEscaped('<'.repeat(1_000), 100, escapeSlack)
    expect(fitted.length).toBeLessThanOrEqual(100)
    expect(fitted).toMatch(/^(&lt;)+… \[cut, [\d,]+ more characters\]$/)
  })

  it('ends in a bare … and never half an entity when the limit cannot hold the cut mark', () => {
    // Found by the property tests: a limit just above the mark's length gave `&l… [cut, 118 more
    // characters]`, half an entity and a count of escaped characters, and `[cut]` raw in markdown.
    for (let max = 1; max <= 45; max += 1) {
      for (const [escaper, entity] of [
        [escapeSlack, '&lt;'],
        [escapeMarkdownHtml, '&lt;'],
      ] as const) {
        const fitted = fitEscaped('<'.repeat(1_000), max, escaper)
        expect(fitted.length).toBeLessThanOrEqual(max)
        expect(fitted).toMatch(
          new RegExp(`^(${entity})*(…|… (\\[|&#91;)cut, [\\d,]+ more characters(\\]|&#93;))$`),
        )
        const kept = (fitted.match(/&lt;/g) ?? []).length
        if (fitted.includes('cut'))
          expect(fitted).toContain(`cut, ${(1_000 - kept).toLocaleString('en-US')} more`)
      }
    }
    expect(fitEscaped('<'.repeat(1_000), 30, escapeSlack)).toBe(`${'&lt;'.repeat(7)}…`)
    expect(fitEscaped('<'.repeat(1_000), 35, escapeMarkdownHtml)).toBe(`${'&lt;'.repeat(8)}…`)
  })

  it('never splits a surrogate pair, even with a limit of one', () => {
    // Found by the property tests: the small-limit path cut the source at `max` code units.
    expect(fitEscaped('𐀀𐀀', 1, escapeSlack)).toBe('…')
    expect(fitEscaped('😀😀😀', 4, escapeSlack)).toBe('😀…')
  })

  it('counts what is missing in characters of the log text', () => {
    const fitted = fitEscaped('&'.repeat(50), 40, escapeSlack)
    const kept = (fitted.match(/&amp;/g) ?? []).length
    expect(fitted).toContain(`[cut, ${50 - kept} more characters]`)
  })
})

describe('escapeMarkdownHtml', () => {
  it.each([
    ['an HTML element', HOSTILE.script],
    ['a markdown table row', HOSTILE.pipes],
    ['a code fence', '```\ncode\n```'],
    ['a markdown link', '[click](https://evil.example)'],
    ['an image', '![x](https://evil.example/t.png)'],
    ['an @mention and an issue reference', '@octocat #1'],
    ['math', '$x^2$'],
    ['an attribute break-out', `" onmouseover="alert(1)' x='`],
  ])('makes %s inert but leaves it readable', (_, text) => {
    const escaped = escapeMarkdownHtml(text)
    const withoutEntities = escaped.replace(/&(#\d+|[a-z]+);|<br>/g, '')
    expect(withoutEntities).not.toMatch(/[<>"'|`*_~[\]\\#!$@&]/)
    expect(decodeHtml(escaped)).toBe(text)
  })

  it('turns line breaks into <br>, so a blank line cannot end the HTML block of a table', () => {
    expect(escapeMarkdownHtml('one\n\ntwo\r\nthree\rfour')).toBe('one<br><br>two<br>three<br>four')
  })

  it('keeps line breaks for text inside <pre>', () => {
    expect(escapeMarkdownHtml('fields @timestamp\n| filter status >= 400', { multiline: true })).toBe(
      'fields &#64;timestamp\n&#124; filter status &gt;= 400',
    )
  })
})
