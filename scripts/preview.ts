/**
 * HTML previews of what the action produced, for people and for the README's screenshots:
 *
 * - the Slack message (an incoming-webhook payload) rendered close to Slack's own look: the app's
 *   avatar and name, the top-level text, then the attachment with its colour bar and the Block Kit
 *   blocks, mrkdwn turned into HTML;
 * - the job summary's HTML inside a page styled like GitHub's job summary.
 *
 * Both pages are self-contained: no scripts, no web fonts, no images from anywhere, and a
 * Content-Security-Policy that forbids loading anything, so opening one never touches the network.
 *
 * Log text in a Slack payload is already escaped for Slack (`&lt;`, `&gt;`, `&amp;`). It stays escaped
 * here: no entity is ever decoded into markup, and the only Slack syntax that becomes an element is
 * `<url|label>` (an `<a>`, for http and https only) and the mentions (`<!here>`, `<@U123>`), which
 * become styled spans.
 */

/** Forbids every load; inline styles are all a preview needs. */
const CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

// ---------------------------------------------------------------------------------------------------
// Slack
// ---------------------------------------------------------------------------------------------------

export interface PreviewText {
  type?: string
  text: string
}

export interface PreviewBlock {
  type: string
  text?: PreviewText
  fields?: PreviewText[]
  elements?: Array<PreviewText | { type: string; alt_text?: string }>
}

export interface PreviewAttachment {
  color?: string
  fallback?: string
  text?: string
  blocks?: PreviewBlock[]
}

/** An incoming-webhook payload, loosely typed so any message the action posts can be previewed. */
export interface SlackPayload {
  text?: string
  blocks?: PreviewBlock[]
  attachments?: PreviewAttachment[]
}

export interface SlackPreviewOptions {
  /** The time shown beside the app name, as Slack shows it (`12:46 AM`); the current time by default. */
  time?: string
  /** The app's name; `insights-watch` by default. */
  appName?: string
}

/** Slack's named attachment colours (api.slack.com, "Secondary message attachments"). */
const NAMED_COLORS: Record<string, string> = { good: '#2eb886', warning: '#daa038', danger: '#a30200' }
/** The bar Slack draws when an attachment has no colour. */
const DEFAULT_BAR = '#dddddd'

/** `#d00000`, `d00000` or a Slack colour name as a CSS colour; anything else (`red;…`) is not used. */
export function attachmentColor(color: string | undefined): string {
  if (color === undefined) return DEFAULT_BAR
  const named = NAMED_COLORS[color]
  if (named) return named
  const hex = /^#?([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(color.trim())
  return hex ? `#${hex[1]?.toLowerCase()}` : DEFAULT_BAR
}

/** A complete HTML page showing `payload` as Slack shows a message from an app. */
export function renderSlackPreviewHtml(payload: SlackPayload, options: SlackPreviewOptions = {}): string {
  const appName = escapeHtml(options.appName ?? 'insights-watch')
  const time = escapeHtml(options.time ?? slackTime(new Date()))
  return page({
    title: `Slack preview: ${appName}`,
    css: SLACK_CSS,
    body: `<div class="pane">
<div class="channel"><span class="hash">#</span> alerts</div>
${renderMessage(payload, { appName, time })}
</div>`,
  })
}

/** A message in a thread preview: its time (`at`, ms) and what Slack shows beside it. */
export interface ThreadMessage extends SlackPayload {
  /** When it was posted (ms); shown as Slack shows a time, unless `options.time` is given. */
  at?: number
  /** Edited since it was posted: Slack shows `(edited)`. */
  edited?: boolean
}

/** A card (a bot-token message kept up to date) and the replies in its thread. */
export interface SlackThreadPreview {
  /** The channel's name, without `#`. */
  channel: string
  card: ThreadMessage & { deleted?: boolean }
  replies: Array<ThreadMessage & { broadcast?: boolean }>
}

/**
 * A complete HTML page showing a card as it is now in its channel, with Slack's "N replies" line under
 * it, and then its thread: the card again at the top and every reply under it, oldest first, as
 * Slack's thread pane shows them (a reply also sent to the channel says so).
 */
export function renderSlackThreadPreviewHtml(
  thread: SlackThreadPreview,
  options: SlackPreviewOptions = {},
): string {
  const appName = escapeHtml(options.appName ?? 'insights-watch')
  const timeOf = (message: ThreadMessage) =>
    escapeHtml(options.time ?? slackTime(message.at === undefined ? new Date() : new Date(message.at)))
  const channel = escapeHtml(thread.channel)
  const count = thread.replies.length
  const replies = `${count} ${count === 1 ? 'reply' : 'replies'}`
  const last = thread.replies[count - 1]
  const summary =
    count === 0
      ? ''
      : `<div class="thread-summary"><span class="reply-count">${replies}</span><span class="last-reply">Last reply ${last ? timeOf(last) : ''}</span></div>`
  const card = thread.card.deleted
    ? '<div class="message"><div class="deleted">This message was deleted.</div></div>'
    : renderMessage(thread.card, {
        appName,
        time: timeOf(thread.card),
        edited: thread.card.edited === true,
        extra: summary,
      })
  const threadCard = thread.card.deleted
    ? '<div class="message"><div class="deleted">This message was deleted.</div></div>'
    : renderMessage(thread.card, { appName, time: timeOf(thread.card), edited: thread.card.edited === true })
  const replyHtml = thread.replies.map((reply) =>
    renderMessage(reply, {
      appName,
      time: timeOf(reply),
      edited: reply.edited === true,
      ...(reply.broadcast ? { note: `Also sent to <span class="hash">#</span>${channel}` } : {}),
    }),
  )
  return page({
    title: `Slack thread preview: ${appName}`,
    css: SLACK_CSS + THREAD_CSS,
    body: `<div class="pane">
<div class="channel"><span class="hash">#</span> ${channel}</div>
${card}
</div>
<div class="pane thread">
<div class="thread-header"><span class="thread-title">Thread</span><span class="thread-channel"><span class="hash">#</span> ${channel}</span></div>
${threadCard}
<div class="thread-divider"><span>${count === 0 ? 'No replies yet' : replies}</span></div>
${replyHtml.join('\n')}
</div>`,
  })
}

/** One message from the app: avatar, name, time, then what the payload shows. */
function renderMessage(
  payload: SlackPayload,
  meta: { appName: string; time: string; edited?: boolean; note?: string; extra?: string },
): string {
  const body: string[] = []
  if (meta.note) body.push(`<div class="note">${meta.note}</div>`)
  // With top-level blocks, Slack shows them instead of the text (the text is the notification).
  if (payload.blocks && payload.blocks.length > 0) body.push(renderBlocks(payload.blocks))
  else if (payload.text) body.push(`<div class="text">${mrkdwnToHtml(payload.text)}</div>`)
  for (const attachment of payload.attachments ?? []) body.push(renderAttachment(attachment))
  if (meta.edited) body.push('<span class="edited">(edited)</span>')
  if (meta.extra) body.push(meta.extra)
  return `<div class="message">
<div class="avatar" aria-hidden="true">${AVATAR_SVG}</div>
<div class="content">
<div class="meta"><span class="name">${meta.appName}</span><span class="badge">APP</span><span class="time">${meta.time}</span></div>
${body.join('\n')}
</div>
</div>`
}

function renderAttachment(attachment: PreviewAttachment): string {
  const inner: string[] = []
  if (attachment.blocks && attachment.blocks.length > 0) inner.push(renderBlocks(attachment.blocks))
  else if (attachment.text) inner.push(`<div class="section">${mrkdwnToHtml(attachment.text)}</div>`)
  else if (attachment.fallback) inner.push(`<div class="section">${mrkdwnToHtml(attachment.fallback)}</div>`)
  return `<div class="attachment"><div class="bar" style="background:${attachmentColor(attachment.color)}"></div><div class="attachment-body">${inner.join('\n')}</div></div>`
}

function renderBlocks(blocks: readonly PreviewBlock[]): string {
  return blocks.map(renderBlock).join('\n')
}

function renderBlock(block: PreviewBlock): string {
  switch (block.type) {
    case 'header':
      return `<div class="header">${block.text ? plainToHtml(block.text.text) : ''}</div>`
    case 'divider':
      return '<div class="divider"></div>'
    case 'context': {
      const elements = (block.elements ?? []).map((element) =>
        'text' in element ? `<span class="context-element">${textToHtml(element)}</span>` : '',
      )
      return `<div class="context">${elements.join('')}</div>`
    }
    case 'section': {
      const parts: string[] = []
      if (block.text) parts.push(`<div class="section-text">${textToHtml(block.text)}</div>`)
      if (block.fields && block.fields.length > 0) {
        const fields = block.fields.map((field) => `<div class="field">${textToHtml(field)}</div>`)
        parts.push(`<div class="fields">${fields.join('')}</div>`)
      }
      return `<div class="section">${parts.join('')}</div>`
    }
    default:
      return `<div class="unknown">(${escapeHtml(block.type)} block not previewed)</div>`
  }
}

function textToHtml(text: PreviewText): string {
  return text.type === 'plain_text' ? plainToHtml(text.text) : mrkdwnToHtml(text.text)
}

/** A `plain_text` object: no formatting, line breaks kept. */
function plainToHtml(text: string): string {
  return keepSlackEntities(text).replace(/\n/g, '<br>')
}

/**
 * Text whose `&amp;`, `&lt;` and `&gt;` are Slack's escapes, made safe for HTML without decoding them:
 * those three pass through as the same entities (they display as `&`, `<`, `>`), every other `&`, `<`,
 * `>`, quote and control character is escaped. Nothing in the result can be a tag or an attribute.
 */
function keepSlackEntities(text: string): string {
  return text.replace(/&(amp|lt|gt);|[&<>"']/g, (match, entity: string | undefined) =>
    entity ? match : (HTML_ESCAPES[match] ?? match),
  )
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}

/** Text that is not escaped at all (names, times) made safe for HTML. */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char)
}

/**
 * Slack mrkdwn → HTML: ```code blocks```, `inline code`, `<url|label>` links (http and https only),
 * mentions, *bold*, _italic_, ~strike~ and line breaks. Code is shown as it is, unformatted.
 */
export function mrkdwnToHtml(text: string): string {
  const out: string[] = []
  // Code blocks first, then inline code; what is between them is formatted text.
  const pattern = /```([\s\S]*?)```|`([^`\n]+)`/g
  let last = 0
  for (const match of text.matchAll(pattern)) {
    out.push(formatted(text.slice(last, match.index)))
    if (match[1] !== undefined) {
      // Slack drops one line break right after the opening and before the closing fence.
      const inner = match[1].replace(/^\n/, '').replace(/\n$/, '')
      out.push(`<pre class="code-block">${keepSlackEntities(inner)}</pre>`)
    } else {
      out.push(`<code>${keepSlackEntities(match[2] ?? '')}</code>`)
    }
    last = match.index + match[0].length
  }
  out.push(formatted(text.slice(last)))
  return out.join('')
}

/** Text outside code: Slack's `<…>` syntax, emphasis and line breaks. */
function formatted(text: string): string {
  const out: string[] = []
  let last = 0
  for (const match of text.matchAll(/<([^<>\n]*)>/g)) {
    out.push(emphasis(keepSlackEntities(text.slice(last, match.index))))
    out.push(angle(match[1] ?? '', match[0]))
    last = match.index + match[0].length
  }
  out.push(emphasis(keepSlackEntities(text.slice(last))))
  return out.join('').replace(/\n/g, '<br>')
}

/** One `<…>` of Slack syntax: a link, a mention, or (anything else) the text as it is. */
function angle(inner: string, whole: string): string {
  const bar = inner.indexOf('|')
  const target = bar === -1 ? inner : inner.slice(0, bar)
  const label = bar === -1 ? undefined : inner.slice(bar + 1)
  // Quotes are allowed (the console's links hold `'`): the href is escaped like any text, so they stay data.
  if (/^https?:\/\/\S+$/i.test(target)) {
    const href = keepSlackEntities(target)
    const shown = label !== undefined && label !== '' ? emphasis(keepSlackEntities(label)) : href
    return `<a href="${href}" target="_blank" rel="noopener noreferrer">${shown}</a>`
  }
  const special = /^!(here|channel|everyone)$/.exec(target)
  if (special) return `<span class="mention broadcast">@${special[1]}</span>`
  const group = /^!subteam\^([A-Z0-9]+)$/.exec(target)
  if (group) return `<span class="mention">${mentionLabel(label, `@${group[1]}`, '@')}</span>`
  const user = /^@([A-Z0-9]+)$/.exec(target)
  if (user) return `<span class="mention">${mentionLabel(label, `@${user[1]}`, '@')}</span>`
  const channel = /^#([A-Z0-9]+)$/.exec(target)
  if (channel) return `<span class="mention">${mentionLabel(label, `#${channel[1]}`, '#')}</span>`
  if (/^!date\^/.test(target) && label !== undefined) return keepSlackEntities(label)
  // Another scheme (`javascript:`, `mailto:`) or no Slack syntax at all: shown as text, never a link.
  if (label !== undefined && /^[a-z][a-z0-9+.-]*:/i.test(target)) return emphasis(keepSlackEntities(label))
  return keepSlackEntities(whole)
}

function mentionLabel(label: string | undefined, fallback: string, sigil: string): string {
  if (label === undefined || label === '') return escapeHtml(fallback)
  return keepSlackEntities(label.startsWith(sigil) ? label : `${sigil}${label}`)
}

/**
 * *bold*, _italic_, ~strike~ on text already made safe for HTML. As in Slack, a delimiter opens only at
 * the start or after a space or punctuation, and closes only before the end, a space or punctuation.
 * Emphasis never spans a tag, so the elements it makes always nest.
 */
function emphasis(html: string): string {
  const before = String.raw`(^|[\s([{"'.,;:!?\-])`
  const after = String.raw`(?=$|[\s)\]}"'.,;:!?\-&])`
  const wrap = (delimiter: string, tag: string) => (input: string) =>
    input.replace(
      new RegExp(
        `${before}\\${delimiter}(?=[^\\s<>])([^${delimiter}\\n<>]*?[^\\s<>${delimiter}])\\${delimiter}${after}`,
        'g',
      ),
      (_, lead: string, inner: string) => `${lead}<${tag}>${inner}</${tag}>`,
    )
  return [wrap('*', 'b'), wrap('_', 'i'), wrap('~', 's')].reduce((text, apply) => apply(text), html)
}

/** `12:46 AM`, as Slack shows a message's time. */
function slackTime(date: Date): string {
  return date.toLocaleTimeString('en-US', { hour: 'numeric', minute: '2-digit' })
}

/** The app's avatar: a magnifier over a log, drawn inline (Slack shows the app's icon here). */
const AVATAR_SVG = `<svg viewBox="0 0 36 36" width="36" height="36" xmlns="http://www.w3.org/2000/svg">
<rect width="36" height="36" rx="6" fill="#232f3e"/>
<rect x="7" y="9" width="14" height="2.4" rx="1.2" fill="#ff9900"/>
<rect x="7" y="14" width="10" height="2.4" rx="1.2" fill="#8c9bab"/>
<rect x="7" y="19" width="8" height="2.4" rx="1.2" fill="#8c9bab"/>
<circle cx="22" cy="20" r="5.5" fill="none" stroke="#ffffff" stroke-width="2.4"/>
<path d="M26 24.2l3.6 3.6" stroke="#ffffff" stroke-width="2.6" stroke-linecap="round"/>
</svg>`

/* Slack's look, after its web client: Lato, #1d1c1d text, the code and link colours, 4px bar. */
const SLACK_CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
html, body { margin: 0; background: #ffffff; }
body {
  font-family: "Slack-Lato", "Slack-Fractions", Lato, "appleLogo", -apple-system, BlinkMacSystemFont,
    "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif, "Apple Color Emoji", "Segoe UI Emoji",
    "Noto Color Emoji";
  font-size: 15px;
  line-height: 1.46668;
  color: #1d1c1d;
  -webkit-font-smoothing: antialiased;
}
.pane { width: 760px; background: #ffffff; padding-bottom: 12px; }
.channel {
  height: 49px; padding: 0 20px; display: flex; align-items: center; font-weight: 900; font-size: 18px;
  border-bottom: 1px solid rgba(29, 28, 29, 0.13);
}
.channel .hash { color: #616061; font-weight: 400; margin-right: 4px; }
.message { display: flex; padding: 8px 20px 8px 20px; margin-top: 8px; }
.avatar { flex: none; width: 36px; height: 36px; margin-right: 8px; margin-top: 4px; }
.avatar svg { display: block; border-radius: 6px; }
.content { flex: 1; min-width: 0; }
.meta { display: flex; align-items: baseline; line-height: 1.38463; }
.name { font-weight: 900; font-size: 15px; }
.badge {
  margin-left: 4px; padding: 1px 3px; border-radius: 2px; font-size: 10px; font-weight: 700;
  line-height: 1.25; color: rgba(29, 28, 29, 0.7); background: rgba(29, 28, 29, 0.13);
  position: relative; top: -1px;
}
.time { margin-left: 6px; font-size: 12px; color: #616061; }
.text { margin-top: 2px; word-wrap: break-word; }
.attachment { display: flex; margin-top: 6px; max-width: 680px; }
.bar { flex: none; width: 4px; border-radius: 8px; }
.attachment-body { flex: 1; min-width: 0; padding: 2px 0 2px 12px; }
.header { font-size: 18px; font-weight: 900; line-height: 1.33334; margin: 4px 0 8px; }
.section { margin: 4px 0 8px; word-wrap: break-word; }
.fields { display: grid; grid-template-columns: 1fr 1fr; column-gap: 16px; row-gap: 12px; }
.section-text + .fields { margin-top: 8px; }
.context {
  display: flex; flex-wrap: wrap; align-items: center; column-gap: 8px; margin: 4px 0 4px;
  font-size: 12px; line-height: 1.5; color: #616061;
}
.context code { font-size: 11px; }
.divider { height: 1px; background: rgba(29, 28, 29, 0.13); margin: 12px 0 12px; }
b { font-weight: 900; }
a { color: #1264a3; text-decoration: none; }
a:hover { text-decoration: underline; }
code {
  font-family: Monaco, Menlo, Consolas, "Courier New", monospace;
  font-size: 12px; line-height: 1.5; color: #e01e5a; background: rgba(29, 28, 29, 0.04);
  border: 1px solid rgba(29, 28, 29, 0.13); border-radius: 3px; padding: 2px 3px 1px;
  font-variant-ligatures: none; white-space: normal; word-break: break-word;
}
.code-block {
  font-family: Monaco, Menlo, Consolas, "Courier New", monospace;
  font-size: 12px; line-height: 1.50001; color: #1d1c1d; background: rgba(29, 28, 29, 0.04);
  border: 1px solid rgba(29, 28, 29, 0.13); border-radius: 4px; padding: 8px; margin: 4px 0;
  white-space: pre-wrap; word-break: break-word; font-variant-ligatures: none;
}
.mention { color: #1264a3; background: rgba(29, 155, 209, 0.1); border-radius: 3px; padding: 0 2px; }
.mention.broadcast { color: #1d1c1d; background: rgba(242, 199, 68, 0.4); }
.unknown { color: #616061; font-style: italic; font-size: 13px; }
`

/* The thread preview's own pieces: (edited), the replies line, the thread pane. */
const THREAD_CSS = `
.edited { font-size: 13px; color: #616061; }
.note { font-size: 13px; color: #616061; margin-top: 2px; }
.deleted { color: #616061; font-style: italic; padding: 4px 0 4px 44px; }
.thread-summary {
  display: flex; align-items: baseline; column-gap: 8px; margin-top: 6px; font-size: 13px;
}
.reply-count { color: #1264a3; font-weight: 700; }
.last-reply { color: #616061; }
.thread { margin-top: 16px; border-top: 1px solid rgba(29, 28, 29, 0.13); }
.thread-header {
  height: 49px; padding: 0 20px; display: flex; align-items: baseline; column-gap: 8px; padding-top: 14px;
  border-bottom: 1px solid rgba(29, 28, 29, 0.13);
}
.thread-title { font-weight: 900; font-size: 18px; }
.thread-channel { font-size: 13px; color: #616061; }
.thread-divider {
  display: flex; align-items: center; column-gap: 8px; padding: 0 20px; margin: 8px 0;
  font-size: 13px; color: #616061;
}
.thread-divider::after { content: ""; flex: 1; height: 1px; background: rgba(29, 28, 29, 0.13); }
`

// ---------------------------------------------------------------------------------------------------
// GitHub job summary
// ---------------------------------------------------------------------------------------------------

export interface SummaryPreviewOptions {
  /** The job's name in the summary's title (`watch summary`); `watch` by default, as in the demo. */
  jobName?: string
}

/**
 * A complete HTML page showing `summaryHtml` (what `@actions/core`'s summary wrote) as GitHub shows a
 * job summary on the run page. The HTML is the action's own, already escaped where it holds log text;
 * the page's Content-Security-Policy keeps any script in it from running and anything from loading.
 */
export function renderSummaryPreviewHtml(summaryHtml: string, options: SummaryPreviewOptions = {}): string {
  const job = escapeHtml(options.jobName ?? 'watch')
  return page({
    title: `Job summary preview: ${job}`,
    css: GITHUB_CSS,
    body: `<div class="run">
<section class="card">
<header class="card-header"><span class="card-title">${job} summary</span><span class="kebab" aria-hidden="true">···</span></header>
<article class="markdown-body">
${summaryHtml}
</article>
</section>
</div>`,
  })
}

/* The essentials of GitHub's markdown-body (primer/css, light theme) and the run page's summary card. */
const GITHUB_CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
html, body { margin: 0; background: #f6f8fa; }
body {
  font-family: -apple-system, BlinkMacSystemFont, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif,
    "Apple Color Emoji", "Segoe UI Emoji", "Noto Color Emoji";
  font-size: 14px; line-height: 1.5; color: #1f2328;
}
.run { max-width: 1012px; padding: 16px; }
.card { background: #ffffff; border: 1px solid #d1d9e0; border-radius: 6px; overflow: hidden; }
.card-header {
  display: flex; justify-content: space-between; align-items: center; padding: 16px 16px 0 24px;
}
.card-title { font-size: 14px; font-weight: 600; }
.kebab { color: #59636e; font-weight: 700; letter-spacing: 1px; }
.markdown-body { padding: 8px 24px 24px; font-size: 14px; line-height: 1.5; word-wrap: break-word; }
.markdown-body > :first-child { margin-top: 0 !important; }
.markdown-body > :last-child { margin-bottom: 0 !important; }
.markdown-body h1, .markdown-body h2, .markdown-body h3 {
  margin-top: 24px; margin-bottom: 16px; font-weight: 600; line-height: 1.25;
}
.markdown-body h2 { font-size: 1.5em; padding-bottom: 0.3em; border-bottom: 1px solid #d1d9e0b3; }
.markdown-body h3 { font-size: 1.25em; }
.markdown-body p, .markdown-body table, .markdown-body pre, .markdown-body ul, .markdown-body ol {
  margin-top: 0; margin-bottom: 16px;
}
.markdown-body b, .markdown-body strong { font-weight: 600; }
.markdown-body a { color: #0969da; text-decoration: underline; text-underline-offset: 0.2rem; }
.markdown-body table {
  display: block; width: max-content; max-width: 100%; overflow: auto; border-spacing: 0;
  border-collapse: collapse; font-variant: tabular-nums;
}
.markdown-body tr { background-color: #ffffff; border-top: 1px solid #d1d9e0b3; }
.markdown-body tr:nth-child(2n) { background-color: #f6f8fa; }
.markdown-body th, .markdown-body td { padding: 6px 13px; border: 1px solid #d1d9e0; }
.markdown-body th { font-weight: 600; text-align: left; }
.markdown-body td { white-space: normal; }
.markdown-body code, .markdown-body pre {
  font-family: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace;
}
.markdown-body code {
  padding: 0.2em 0.4em; margin: 0; font-size: 85%; white-space: break-spaces;
  background-color: #818b981f; border-radius: 6px;
}
.markdown-body pre {
  padding: 16px; overflow: auto; font-size: 85%; line-height: 1.45; color: #1f2328;
  background-color: #f6f8fa; border-radius: 6px; word-wrap: normal;
}
.markdown-body pre code {
  display: inline; padding: 0; margin: 0; font-size: 100%; white-space: pre; background: transparent;
  border: 0; word-break: normal;
}
`

// ---------------------------------------------------------------------------------------------------

function page({ title, css, body }: { title: string; css: string; body: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<style>${css}</style>
</head>
<body>
${body}
</body>
</html>
`
}
