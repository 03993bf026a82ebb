import type {
  ContextBlock,
  DividerBlock,
  HeaderBlock,
  KnownBlock,
  MessageAttachment,
  MrkdwnElement,
  SectionBlock,
} from '@slack/types'
import type { Severity } from '../entries.js'
import { isoSecond } from '../format.js'
import type { Report } from '../report.js'
import { escapeSlack, fitEscaped, httpUrl, truncate } from './escape.js'

/**
 * The Block Kit pieces every Slack message of the action is made of (digest-message.ts,
 * monitor-notices.ts, catch-up-message.ts): the block and message types, the blocks kept within
 * Slack's limits, and the bits of mrkdwn that carry log text or our own links.
 */

/*
 * Slack limits (Block Kit reference, docs.slack.dev/reference/block-kit): 50 blocks a message, a
 * section's text 3,000 characters, a section's fields 10 × 2,000, a context block 10 elements, a
 * header 150 characters of plain text. Top-level `text` is cut by Slack past 40,000 characters; we keep
 * it short because it is the line a phone notification shows.
 */
export const MAX_BLOCKS = 50
export const MAX_SECTION_TEXT = 3_000
export const MAX_FIELDS = 10
export const MAX_FIELD_TEXT = 2_000
const MAX_CONTEXT_ELEMENTS = 10
const MAX_CONTEXT_TEXT = 2_000
export const MAX_HEADER_TEXT = 150
const MAX_TOP_LEVEL_TEXT = 3_000

/** Room for a name in a text: the monitor's, a field's, a column's. */
export const MAX_NAME = 80

/** The colour bar beside a message. */
export const COLORS: Readonly<Record<Severity | 'resolved', string>> = {
  critical: '#d00000',
  warning: '#e8a317',
  none: '#9e9e9e',
  resolved: '#2eb67d',
}

/*
 * The blocks these messages build: Block Kit's own (`@slack/types`), narrowed to the shapes written
 * here, so a reader of a message (a test, a preview) knows which text objects a block holds. Text
 * objects are mrkdwn with `verbatim: true` (mrkdwn()), but a header's, which is plain text.
 */
type TextSection = Omit<SectionBlock, 'text' | 'fields'> & { text: MrkdwnElement }
type FieldsSection = Omit<SectionBlock, 'text' | 'fields'> & { fields: MrkdwnElement[] }
type MrkdwnContext = Omit<ContextBlock, 'elements'> & { elements: MrkdwnElement[] }
/** `T` itself, once the compiler has checked that it is one of Block Kit's blocks. */
type Known<T extends KnownBlock> = T

export type SlackBlock = Known<HeaderBlock | TextSection | FieldsSection | MrkdwnContext | DividerBlock>

/** The blocks sit in an attachment only to get the colour bar. */
interface SlackAttachment extends Required<Pick<MessageAttachment, 'color' | 'fallback'>> {
  /** The colour bar beside the message (for a run's digest: the worst severity found). */
  color: string
  /** Plain-text summary for clients that cannot show blocks. */
  fallback: string
  blocks: SlackBlock[]
}

/** An incoming-webhook payload. */
export interface SlackMessage {
  text: string
  attachments: [SlackAttachment]
}

/** A message: `text` is the line a notification shows, cut to our limit; `attachment` holds the blocks. */
export function slackMessage(text: string, attachment: SlackAttachment): SlackMessage {
  return { text: truncate(text, MAX_TOP_LEVEL_TEXT), attachments: [attachment] }
}

/** A header: plain text (where `*` formats nothing), cut to Slack's 150 characters. */
export function header(text: string): HeaderBlock {
  return { type: 'header', text: { type: 'plain_text', text: truncate(text, MAX_HEADER_TEXT), emoji: true } }
}

/** true: Slack does not auto-link URLs, channel names or mentions in the text (log text holds them). */
export function mrkdwn(text: string): MrkdwnElement {
  return { type: 'mrkdwn', text, verbatim: true }
}

/** A section whose text can never exceed Slack's 3,000 characters, whatever the parts added up to. */
export function section(text: string): TextSection {
  return { type: 'section', text: mrkdwn(truncate(text, MAX_SECTION_TEXT)) }
}

/** Fields side by side in one section; each text is the caller's to fit. */
export function fieldsSection(fields: MrkdwnElement[]): FieldsSection {
  return { type: 'section', fields }
}

export function context(texts: readonly string[]): MrkdwnContext {
  const elements = texts
    .slice(0, MAX_CONTEXT_ELEMENTS)
    .map((text) => mrkdwn(truncate(text, MAX_CONTEXT_TEXT)))
  return { type: 'context', elements }
}

/**
 * `<url|label>` for a URL of ours (run or console link). Slack reads `|` and `>` as the end of the URL,
 * so they are percent-encoded, and `&` is escaped as in any text; anything but http(s) is left out.
 */
export function slackLink(url: string, label: string): string | undefined {
  const parsed = httpUrl(url)
  if (!parsed) return undefined
  const href = parsed.href.replace(/[|<>\s]/g, (char) => encodeURIComponent(char)).replace(/&/g, '&amp;')
  return `<${href}|${escapeSlack(label)}>`
}

/** Log text as an inline code span: one line, escaped, fitted to `max` characters inside the backticks. */
export function code(text: string, max: number): string {
  if (!/\S/.test(text)) return '_(empty)_'
  // Line breaks are folded inside the escaper, so only the part that can fit is ever scanned.
  return `\`${fitEscaped(text, max, escapeOneLine)}\``
}

/** Log text escaped for mrkdwn on one line: runs of white space, line breaks included, become a space. */
export function escapeOneLine(text: string): string {
  return escapeSlack(text.replace(/\s+/g, ' '))
}

/** Log text as a code block; the escaped backticks cannot close it early. */
export function codeBlock(text: string, max: number): string {
  if (!/\S/.test(text)) return '_(empty message)_'
  return `\`\`\`${fitEscaped(text, max, escapeSlack)}\`\`\``
}

/** A monitor's name in mrkdwn: escaped like log text (it is the user's input), at most MAX_NAME. */
export function nameText(name: string): string {
  return fitEscaped(name, MAX_NAME, escapeSlack)
}

/** `2026-11-23 10:00:00Z`. */
export function utcSecond(epochSeconds: number): string {
  return isoSecond(epochSeconds).replace('T', ' ')
}

/** `2026-11-23 10:00:00Z – 10:05:00Z`: both ends in UTC, the date once when both share it. */
export function windowText(report: Pick<Report, 'window'>): string {
  const start = utcSecond(report.window.start)
  const end = utcSecond(report.window.end)
  const sameDay = start.slice(0, 10) === end.slice(0, 10)
  return `${start} – ${sameDay ? end.slice(11) : end}`
}

export function plural(n: number, one: string, many: string): string {
  return n === 1 ? one : many
}
