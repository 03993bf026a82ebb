import { describe, expect, it } from 'vitest'
import { commentMarker, commentText, GITHUB_COMMENT_LIMIT } from '../../../src/github/pr-comment.js'

/** How an over-long backtest is cut to fit one comment. */

const KEY = '.github/insights-watch.yml'
const NOTE = '\n\n---\n**This comment was cut**'

function cut(body: string): string {
  const { text, cut: wasCut } = commentText(KEY, body)
  expect(wasCut).toBe(true)
  expect(text.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT)
  expect(text.startsWith(`${commentMarker(KEY)}\n`)).toBe(true)
  expect(text).toContain(NOTE)
  expect(text.endsWith("the workflow run's job summary.\n")).toBe(true)
  return text.slice(commentMarker(KEY).length + 1, text.indexOf(NOTE))
}

describe('commentText', () => {
  it('leaves a body that fits as it is, after the marker', () => {
    expect(commentText(KEY, 'short')).toEqual({ text: `${commentMarker(KEY)}\nshort`, cut: false })
  })

  it('cuts at a line end, and closes a code fence the cut left open', () => {
    const body = `intro\n\`\`\`text\n${'log line with <b>tags</b> & stuff\n'.repeat(5000)}\`\`\`\nafter`
    const kept = cut(body)
    expect(kept.endsWith('\n```')).toBe(true)
    expect(kept.split('\n').at(-2)).toBe('log line with <b>tags</b> & stuff')
  })

  it('closes <details> and <table> the cut left open, innermost first', () => {
    const rows = '<tr><td>5xx</td><td>12</td></tr>\n'.repeat(4000)
    const body = `<details><summary>Windows</summary>\n<table>\n${rows}</table>\n</details>`
    const kept = cut(body)
    expect(kept.endsWith('<tr><td>5xx</td><td>12</td></tr>\n</table>\n</details>')).toBe(true)
  })

  it('in one enormous line, does not cut inside a tag, an entity or a character', () => {
    // Seven lengths of tag and of entity: the cut lands inside some of them.
    for (let n = 1; n <= 7; n++) {
      const span = `<i title="${'x'.repeat(n)}">`
      expect(cut(span.repeat(70_000 / span.length))).toMatch(/^(<i title="x+">)+$/)
      const entity = `&${'a'.repeat(n)};`
      expect(cut(entity.repeat(70_000 / entity.length))).toMatch(/^(&a+;)+$/)
    }
    const emoji = cut('😀'.repeat(40_000))
    expect(emoji).toBe('😀'.repeat(emoji.length / 2))
  })
})
