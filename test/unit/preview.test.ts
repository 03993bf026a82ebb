import { describe, expect, it } from 'vitest'
import {
  renderSlackPreviewHtml,
  renderSlackThreadPreviewHtml,
  renderSummaryPreviewHtml,
  type SlackPayload,
} from '../../scripts/preview.js'
import { escapeSlack } from '../../src/notify/escape.js'

interface Tag {
  name: string
  attributes: string
}

/** Every start tag in the message's content (what the payload became), in order. */
function contentTags(html: string): Tag[] {
  const start = html.indexOf('<div class="content">')
  expect(start).toBeGreaterThan(-1)
  return [...html.slice(start).matchAll(/<([a-zA-Z][a-zA-Z0-9-]*)([^>]*)>/g)].map((match) => ({
    name: (match[1] ?? '').toLowerCase(),
    attributes: match[2] ?? '',
  }))
}

function hrefs(html: string): string[] {
  return contentTags(html)
    .filter((tag) => tag.name === 'a')
    .map((tag) => /href="([^"]*)"/.exec(tag.attributes)?.[1] ?? '')
}

function payload(text: string, extra: Partial<SlackPayload> = {}): SlackPayload {
  return {
    text: 'headline',
    attachments: [
      {
        color: '#d00000',
        fallback: 'headline',
        blocks: [
          { type: 'header', text: { type: 'plain_text', text: '🔴 shop-api: 1 entry' } },
          { type: 'section', text: { type: 'mrkdwn', text } },
        ],
      },
    ],
    ...extra,
  }
}

/** Only these elements and attributes may come out of a payload's text. */
const ALLOWED_TAGS = new Set(['div', 'span', 'b', 'i', 's', 'code', 'pre', 'br', 'a'])
const ALLOWED_ATTRIBUTES = new Set(['class', 'style', 'href', 'target', 'rel'])

function expectOnlySafeMarkup(html: string): void {
  for (const tag of contentTags(html)) {
    expect(ALLOWED_TAGS, `<${tag.name}${tag.attributes}>`).toContain(tag.name)
    // The renderer always double-quotes values, so anything else is a name (and would fail here).
    for (const [, name] of tag.attributes.matchAll(/\s([^\s=]+)(?:="[^"]*")?/g)) {
      expect(ALLOWED_ATTRIBUTES, `${name} in <${tag.name}${tag.attributes}>`).toContain(name)
    }
  }
}

const HOSTILE = [
  '<script>alert(1)</script>',
  '<!channel> <!here> <@U012AB3CD>',
  '<https://evil.example/phish|Open the console>',
  '<img src=x onerror=alert(1)>',
  '"><svg onload=alert(1)>',
  '*bold* _it_ ```fence``` `tick`',
]

describe('renderSlackPreviewHtml', () => {
  it('shows escaped log text as text: no live script, no extra link, no mention', () => {
    const text = [
      `🔴 *502* · \`${escapeSlack(HOSTILE[0] ?? '')}\` · 12 ms`,
      ...HOSTILE.map((line) => `error \`${escapeSlack(line)}\``),
      ...HOSTILE.map((line) => escapeSlack(line)),
      `\`\`\`${escapeSlack(HOSTILE.join('\n'))}\`\`\``,
      '<https://github.com/acme/api/actions/runs/4242|View workflow run>',
    ].join('\n')
    const html = renderSlackPreviewHtml(payload(text), { time: '9:41 AM' })

    expect(html).not.toMatch(/<script/i)
    expect(html).not.toMatch(/<img/i)
    expect(contentTags(html).map((tag) => tag.name)).not.toContain('svg')
    expect(hrefs(html)).toEqual(['https://github.com/acme/api/actions/runs/4242'])
    expect(html).not.toContain('class="mention')
    expectOnlySafeMarkup(html)
    // The text is still there for a person to read, as the entities Slack would show as characters.
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
    expect(html).toContain('&lt;!channel&gt;')
    expect(html).toContain('&lt;https://evil.example/phish|Open the console&gt;')
  })

  it('escapes text that was never Slack-escaped rather than trusting it', () => {
    const html = renderSlackPreviewHtml(
      payload('<script>alert(1)</script> <img src=x onerror=alert(1)> a & b "quoted" &quot; &#60;'),
    )
    expect(html).not.toMatch(/<script/i)
    expect(html).not.toMatch(/<img/i)
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
    expect(html).toContain('a &amp; b &quot;quoted&quot;')
    // Slack decodes only &amp; &lt; &gt;; other entities show as written.
    expect(html).toContain('&amp;quot; &amp;#60;')
    expectOnlySafeMarkup(html)
  })

  it('makes anchors of http(s) links only', () => {
    const text = [
      '<https://console.aws.amazon.com/cloudwatch/home?region=eu-west-1&amp;x=1#logsV2:logs-insights|Open in Logs Insights>',
      '<http://intranet.example/runbook|Runbook>',
      '<https://example.com/bare>',
      '<javascript:alert(1)|click>',
      '<JAVASCRIPT:alert(1)>',
      '<data:text/html,<b>x</b>|data>',
      '<mailto:oncall@example.com|mail>',
      '<ftp://files.example/x|ftp>',
      '<https://x.example/"onclick="alert(1)|quoted>',
      '<//evil.example/x|protocol-relative>',
      "<https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:logs-insights$3FqueryDetail$3D~(end~'2026-11-24T00*3a57*3a14.000Z~lang~'CWLI)|Open in Logs Insights>",
    ].join('\n')
    const html = renderSlackPreviewHtml(payload(text))
    expect(hrefs(html)).toEqual([
      'https://console.aws.amazon.com/cloudwatch/home?region=eu-west-1&amp;x=1#logsV2:logs-insights',
      'http://intranet.example/runbook',
      'https://example.com/bare',
      // The quotes stay inside the attribute, escaped.
      'https://x.example/&quot;onclick=&quot;alert(1)',
      'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:logs-insights$3FqueryDetail$3D~(end~&#39;2026-11-24T00*3a57*3a14.000Z~lang~&#39;CWLI)',
    ])
    expect(html).toContain('>Open in Logs Insights</a>')
    expect(html).toContain('rel="noopener noreferrer"')
    expect(html).not.toMatch(/href="(javascript|data|mailto|ftp)/i)
    expectOnlySafeMarkup(html)
  })

  it('draws the colour bar in the attachment colour', () => {
    const bar = (color: string | undefined) => {
      const message = payload('x')
      const attachment = message.attachments?.[0]
      if (attachment) {
        if (color === undefined) delete attachment.color
        else attachment.color = color
      }
      const match = /<div class="bar" style="background:([^"]*)">/.exec(renderSlackPreviewHtml(message))
      return match?.[1]
    }
    expect(bar('#d00000')).toBe('#d00000')
    expect(bar('#E8A317')).toBe('#e8a317')
    expect(bar('9e9e9e')).toBe('#9e9e9e')
    expect(bar('danger')).toBe('#a30200')
    expect(bar(undefined)).toBe('#dddddd')
    expect(bar('red;background-image:url(https://evil.example/x)')).toBe('#dddddd')
    expect(bar('#d00000" onmouseover="alert(1)')).toBe('#dddddd')
  })

  it('renders the blocks with Slack formatting', () => {
    const message: SlackPayload = {
      text: '<!here> 🔴 shop-api: 3 matching entries',
      attachments: [
        {
          color: '#d00000',
          fallback: 'x',
          blocks: [
            { type: 'header', text: { type: 'plain_text', text: '🔴 shop-api &amp; co: 3 entries' } },
            { type: 'section', text: { type: 'mrkdwn', text: '*3* matching\n*Window* 10:00 – 11:00' } },
            {
              type: 'section',
              fields: [
                { type: 'mrkdwn', text: '*status*\n`502` 2' },
                { type: 'mrkdwn', text: '*path*\n`/a` 3\n_1 more field in the job summary_' },
              ],
            },
            { type: 'divider' },
            { type: 'section', text: { type: 'mrkdwn', text: 'raw\n```{"a":"&lt;b&gt;"}```' } },
            { type: 'context', elements: [{ type: 'mrkdwn', text: 'Scanned 1 kB · 3 matched' }] },
          ],
        },
      ],
    }
    const html = renderSlackPreviewHtml(message, { time: '9:41 AM' })
    expect(html).toContain('<span class="name">insights-watch</span><span class="badge">APP</span>')
    expect(html).toContain('<span class="time">9:41 AM</span>')
    expect(html).toContain('<span class="mention broadcast">@here</span> 🔴 shop-api')
    expect(html).toContain('<div class="header">🔴 shop-api &amp; co: 3 entries</div>')
    expect(html).toContain('<b>3</b> matching<br><b>Window</b> 10:00 – 11:00')
    expect(html).toContain('<div class="fields"><div class="field"><b>status</b><br><code>502</code> 2</div>')
    expect(html).toContain('<i>1 more field in the job summary</i>')
    expect(html).toContain('<div class="divider"></div>')
    expect(html).toContain('<pre class="code-block">{&quot;a&quot;:&quot;&lt;b&gt;&quot;}</pre>')
    expect(html).toContain(
      '<div class="context"><span class="context-element">Scanned 1 kB · 3 matched</span>',
    )
    expect(hrefs(html)).toEqual([])
  })
})

describe('renderSlackThreadPreviewHtml', () => {
  const at = Date.UTC(2026, 0, 15, 12, 0, 0)
  /** The page without the app's avatars (one per message): what is left came from the payloads. */
  const withoutAvatars = (html: string) =>
    html.replace(/<div class="avatar" aria-hidden="true">[\s\S]*?<\/svg><\/div>/g, '')

  it('shows the card as it is now, its replies line, then its thread in order', () => {
    const html = renderSlackThreadPreviewHtml(
      {
        channel: 'alerts',
        card: { ...payload('*5* errors'), at, edited: true },
        replies: [
          { text: 'window 12:05: *2* more', at: at + 300_000 },
          { text: 'resolved', at: at + 600_000, broadcast: true },
        ],
      },
      { time: '9:41 AM' },
    )
    expect(html).toContain('<span class="hash">#</span> alerts')
    expect(html).toContain('<b>5</b> errors')
    expect(html).toContain('<span class="edited">(edited)</span>')
    expect(html).toContain(
      '<span class="reply-count">2 replies</span><span class="last-reply">Last reply 9:41 AM</span>',
    )
    expect(html).toContain('<div class="thread-divider"><span>2 replies</span></div>')
    expect(html).toContain('Also sent to <span class="hash">#</span>alerts')
    expect(html.indexOf('window 12:05')).toBeLessThan(html.indexOf('resolved'))
    expect(html.indexOf('thread-divider"><span>')).toBeLessThan(html.indexOf('window 12:05'))
    expectOnlySafeMarkup(withoutAvatars(html))
  })

  it('keeps hostile text in a reply as text, and the channel name too', () => {
    const html = renderSlackThreadPreviewHtml({
      channel: '<script>x</script>',
      card: payload('card'),
      replies: HOSTILE.map((line) => ({ text: line })),
    })
    expect(html).not.toMatch(/<script/i)
    expect(html).not.toMatch(/<img/i)
    expect(hrefs(html)).toEqual(['https://evil.example/phish'])
    expectOnlySafeMarkup(withoutAvatars(html))
  })

  it('says a deleted card was deleted, and a card without replies has none yet', () => {
    const html = renderSlackThreadPreviewHtml({
      channel: 'alerts',
      card: { ...payload('gone'), deleted: true },
      replies: [],
    })
    expect(html).toContain('This message was deleted.')
    expect(html).not.toContain('gone')
    expect(html).toContain('No replies yet')
    expect(html).not.toContain('class="reply-count"')
  })
})

describe('previews load nothing', () => {
  const pages = {
    slack: renderSlackPreviewHtml(payload('<https://example.com|x>')),
    thread: renderSlackThreadPreviewHtml({
      channel: 'alerts',
      card: payload('<https://example.com|x>'),
      replies: [{ text: 'reply' }],
    }),
    summary: renderSummaryPreviewHtml(
      '<h2>insights-watch: shop-api</h2>\n<table><tr><th>status</th><th>Count</th></tr><tr><td>502</td><td>2</td></tr></table>\n<pre><code>fields &#64;timestamp</code></pre>\n<a href="https://github.com/acme/api/actions/runs/1">View workflow run</a>',
    ),
  }

  for (const [name, html] of Object.entries(pages)) {
    it(`${name}: a Content-Security-Policy that forbids every load, and no reference to load`, () => {
      expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none';`)
      expect(html).not.toMatch(/<(script|link|iframe|object|embed|img)\b/i)
      expect(html).not.toMatch(/\bsrc=|url\(|@import|@font-face/i)
    })
  }

  it('summary: the action’s HTML inside a GitHub-styled markdown body', () => {
    expect(pages.summary).toContain('<span class="card-title">watch summary</span>')
    expect(pages.summary).toMatch(/<article class="markdown-body">\s*<h2>insights-watch: shop-api<\/h2>/)
    expect(pages.summary).toContain('.markdown-body tr:nth-child(2n)')
  })
})
