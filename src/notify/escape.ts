import { count } from '../format.js'

/**
 * Escaping of log text for the two places a person reads it: Slack mrkdwn and the job summary.
 *
 * Log lines are written by whoever calls the API, so they are hostile input: a request path of
 * `<!channel>` must not ping a channel, and `</table><script>` must not break the summary.
 */

/** Slack's control characters (api.slack.com/reference/surfaces/formatting, "Escaping text"). */
const SLACK_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' }

/**
 * Slack's formatting delimiters, swapped for characters that look alike but mean nothing to mrkdwn.
 *
 * Why not a zero-width space next to the delimiter: Slack has no escape for `*_~` and its rules for
 * when a delimiter counts are undocumented; a zero-width space is the well-known trick to make Slack
 * format *inside* a word, so inserting one could help a hostile line format rather than stop it. A
 * look-alike is inert under any rule, and a backtick look-alike can neither open nor close a code span.
 * The cost: a path copied from Slack holds `ˍ` where the log has `_`; the job summary and the results
 * file keep the exact text.
 */
const SLACK_LOOKALIKES: Record<string, string> = {
  '*': '\u2217', // ∗ ASTERISK OPERATOR
  _: '\u02CD', // ˍ MODIFIER LETTER LOW MACRON
  '~': '\u223C', // ∼ TILDE OPERATOR
  '`': '\u02CB', // ˋ MODIFIER LETTER GRAVE ACCENT
}

/**
 * C0 controls (but tab and line breaks), DEL, and the bidirectional overrides and isolates, which let a
 * line display in another order than it reads ("Trojan Source", CVE-2021-42574).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE_CHARACTERS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\u202A-\u202E\u2066-\u2069]/g
/**
 * Half of a surrogate pair on its own: not a character, so no UTF-8 can carry it. JSON.stringify writes
 * it as `\ud800`, which RFC 8259 (8.2) says a receiver may take any way it likes, rejection included:
 * one such line must not cost the whole Slack message, nor show differently in the summary.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g
const REPLACEMENT = '\uFFFD'

/** Control, bidi-override and lone-surrogate code units replaced by `�`. */
function replaceUnsafe(text: string): string {
  return text.replace(UNSAFE_CHARACTERS, REPLACEMENT).replace(LONE_SURROGATE, REPLACEMENT)
}

/**
 * Log text made inert for Slack mrkdwn: `&`, `<`, `>` become entities (so `<!channel>`, `<@U123>` and
 * `<https://x|label>` arrive as text), `*`, `_`, `~` and the backtick become look-alikes (so a line can
 * neither format itself nor leave a code span), and control characters and lone surrogates become `�`.
 * Line breaks stay.
 */
export function escapeSlack(text: string): string {
  return replaceUnsafe(text).replace(
    /[&<>*_~`]/g,
    (char) => SLACK_ENTITIES[char] ?? SLACK_LOOKALIKES[char] ?? char,
  )
}

/**
 * Text for a Slack `plain_text` object (the header block): only `&`, `<`, `>` are control characters
 * there, since plain text renders no formatting.
 */
export function escapeSlackPlainText(text: string): string {
  return replaceUnsafe(text).replace(/[&<>]/g, (char) => SLACK_ENTITIES[char] ?? char)
}

/**
 * Numeric character references for everything that means something to HTML or GitHub-flavoured
 * markdown. Numeric references work in both (an HTML block and a markdown paragraph decode them
 * alike), where a backslash escape would show up literally inside HTML.
 */
const HTML_MARKDOWN_ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '|': '&#124;', // table cell separator
  '`': '&#96;', // code spans and fences
  '*': '&#42;',
  _: '&#95;',
  '~': '&#126;', // strikethrough, ~~~ fences
  '[': '&#91;', // links and images
  ']': '&#93;',
  '\\': '&#92;',
  '#': '&#35;', // headings, issue references
  '!': '&#33;',
  $: '&#36;', // GitHub renders $math$
  '@': '&#64;', // @mentions
}

export interface MarkdownHtmlOptions {
  /** Keep line breaks as they are, for text inside `<pre>`; otherwise they become `<br>`. */
  multiline?: boolean
}

/**
 * Log text made inert for the job summary, which GitHub renders as markdown with HTML in it and which
 * `@actions/core` writes without escaping anything.
 *
 * Line breaks become `<br>` unless `multiline`: an HTML block in markdown ends at a blank line, so a
 * log line with `\n\n` in it would otherwise drop out of the table into markdown.
 */
export function escapeMarkdownHtml(text: string, options: MarkdownHtmlOptions = {}): string {
  const escaped = replaceUnsafe(text).replace(
    /[&<>"'|`*_~[\]\\#!$@]/g,
    (char) => HTML_MARKDOWN_ENTITIES[char] ?? char,
  )
  return options.multiline ? escaped.replace(/\r\n?/g, '\n') : escaped.replace(/\r\n|\r|\n/g, '<br>')
}

/** `… [cut, 12,345 more characters]`: says how much is missing, so nobody mistakes a part for the whole. */
function cutMark(removed: number): string {
  return `… [cut, ${count(removed)} more characters]`
}

/** The largest cut position at or below `index` that does not split a surrogate pair. */
function safeCutIndex(text: string, index: number): number {
  if (index <= 0) return 0
  if (index >= text.length) return text.length
  const before = text.charCodeAt(index - 1)
  return before >= 0xd800 && before <= 0xdbff ? index - 1 : index
}

/**
 * `text` cut to at most `max` UTF-16 code units, the cut mark included, never splitting a surrogate
 * pair. When `max` cannot even hold the mark, a bare `…` ends the text.
 */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text
  if (max <= 0) return ''
  // The mark for the most that could be removed is at least as long as the real one.
  const reserve = cutMark(text.length).length
  if (reserve >= max) return `${text.slice(0, safeCutIndex(text, max - 1))}…`
  const keep = safeCutIndex(text, max - reserve)
  return text.slice(0, keep) + cutMark(text.length - keep)
}

/**
 * `escaper(text)` in at most `max` code units: when it does not fit, the source text is cut (so an
 * entity or a look-alike is never split) and the escaped cut mark appended, counting what is missing in
 * characters of the source. When `max` cannot even hold the mark, a bare `…` ends the text.
 */
export function fitEscaped(text: string, max: number, escaper: (text: string) => string): string {
  // Escaping lengthens text (or, folding whitespace, barely shortens it): text longer than `max` is
  // not worth escaping whole just to find out that it does not fit.
  if (text.length <= max) {
    const whole = escaper(text)
    if (whole.length <= max) return whole
  }
  if (max <= 0) return ''
  // The mark for the most that could be removed is at least as long as the real one.
  const fullMark = escaper(cutMark(text.length)).length < max
  const budget = max - (fullMark ? escaper(cutMark(text.length)).length : 1)
  const candidate = text.slice(0, safeCutIndex(text, budget))
  let used = 0
  let keep = 0
  // Character by character: an escaper never makes a piece of text longer than its characters
  // escaped one by one (it may make it shorter, folding `\r\n` or runs of spaces).
  for (const char of candidate) {
    used += escaper(char).length
    if (used > budget) break
    keep += char.length
  }
  return escaper(text.slice(0, keep)) + (fullMark ? escaper(cutMark(text.length - keep)) : '…')
}

/** `text` as an http(s) URL, or undefined: the only links the action writes are to its own pages. */
export function httpUrl(text: string): URL | undefined {
  let parsed: URL
  try {
    parsed = new URL(text)
  } catch {
    return undefined
  }
  return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed : undefined
}
