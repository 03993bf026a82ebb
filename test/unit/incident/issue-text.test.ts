import { describe, expect, it } from 'vitest'
import {
  issueBody,
  issueLabels,
  issueTitle,
  resolutionComment,
  windowComment,
} from '../../../src/incident/issue-text.js'
import { accessLog, makeReport, typicalEntries, WINDOW_START } from '../notify/fixtures.js'
import { decodeReferences, HOSTILE_VALUES, MINUTE, makeIncident } from './fixtures.js'

const CONSOLE =
  "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:logs-insights$3FqueryDetail$3D~(end~'2026-11-23T10*3a40*3a00.000Z)"

/**
 * Markdown as GitHub renders it: no HTML but our own tags, and outside `<code>` (where GitHub finds no
 * mentions or references) nothing of the logs, once the references are decoded as GitHub decodes them.
 */
function expectInert(markdown: string) {
  expect(markdown).not.toContain('\u202E')
  const ours = markdown.replace(/<a href="[^"]*">/g, '<a>')
  for (const tag of ours.match(/<\/?[a-z!][^>]*>/gi) ?? []) {
    expect(tag).toMatch(/^<\/?(code|a|i|br)>$|^<!-- insights-watch incident /)
  }
  const outsideCode = decodeReferences(ours.replace(/<code>[^<]*<\/code>/g, ''))
  expect(outsideCode).not.toMatch(/@here|@octocat|<!channel>|<@U|<script|\*bold\*|\[click\]|(^|\s)#1\b/)
}

/** The cells of a markdown table row: split on the `|` that are not references. */
const cells = (row: string) => row.split('|').slice(1, -1)

describe('issueTitle and issueLabels', () => {
  it('names the monitor, the worst severity, since when, and the incident', () => {
    expect(issueTitle(makeIncident(), 'api-errors')).toBe(
      'api-errors: 5xx errors since 2026-11-23 10:00:00Z (incident 20261123-1005-3fa2)',
    )
    const only4xx = makeIncident({ totals: { total: 5, critical: 0, warning: 5 } })
    expect(issueTitle(only4xx, 'api-errors')).toContain('api-errors: 4xx errors since')
  })

  it('keeps a title on one line, within GitHub’s 256 characters', () => {
    const title = issueTitle(makeIncident(), `api\nerrors\u202E ${'x'.repeat(500)}`)
    expect(title).not.toMatch(/[\n\u202E]/)
    expect(title.startsWith('api errors')).toBe(true)
    expect(title.length).toBeLessThanOrEqual(256)
  })

  it('labels the action, the monitor and the severity, each within 50 characters and without commas', () => {
    expect(issueLabels('api-errors', makeIncident())).toEqual([
      'insights-watch',
      'monitor: api-errors',
      'severity: 5xx',
    ])
    expect(issueLabels('api', makeIncident({ totals: { total: 3, critical: 0, warning: 3 } }))[2]).toBe(
      'severity: 4xx',
    )
    const labels = issueLabels(`payments, checkout\nand ${'refunds '.repeat(20)}`, makeIncident())
    for (const label of labels) {
      expect(label.length).toBeLessThanOrEqual(50)
      expect(label).not.toMatch(/[,\n]/)
    }
    expect(labels[1]?.startsWith('monitor: payments checkout and refunds')).toBe(true)
  })
})

describe('issueBody: the card, as the issue', () => {
  it('shows status, monitor, first and last seen, totals, top statuses and routes, and links', () => {
    const body = issueBody(makeIncident(), { consoleUrl: CONSOLE })
    expect(body).toContain('## 🔴 Firing')
    expect(body).toContain('- **Monitor**: <code>api-errors</code>')
    expect(body).toContain('- **First seen**: 2026-11-23 10:00:00Z')
    expect(body).toContain('- **Last seen**: 2026-11-23 10:40:00Z')
    expect(body).toContain('- **Entries**: **1,234**: 12 5xx, 1,222 4xx in 8 windows')
    expect(body).toContain('- **Escalated**')
    expect(body).toContain('| <code>404</code> | 1,000 |')
    expect(body).toContain('| <code>/items/{id}</code> | 1,100 |')
    expect(body).toContain('<a href="https://github.com/acme/api/actions/runs/1001">First run</a>')
    expect(body).toContain('<a href="https://github.com/acme/api/actions/runs/1008">Latest run</a>')
    // The console link as it is: its `(`, `)`, `~`, `'` kept, the `'` as a reference inside the attribute.
    expect(decodeReferences(body)).toContain(`<a href="${CONSOLE}">Open the incident in Logs Insights</a>`)
    expect(body).not.toContain('Lasted')
  })

  it('says how long a resolved incident lasted and how often it came back', () => {
    const resolved = makeIncident({ status: 'resolved', resolvedAt: WINDOW_START + 55 * MINUTE, reopened: 2 })
    const body = issueBody(resolved, { consoleUrl: CONSOLE })
    expect(body).toContain('## ✅ Resolved')
    expect(body).toContain('- **Status**: ✅ Resolved at 2026-11-23 10:55:00Z')
    expect(body).toContain('- **Lasted**: 40m (2026-11-23 10:00:00Z – 10:40:00Z)')
    expect(body).toContain('- **Reopened**: 2 times')
  })

  it('shows hostile statuses and routes as text: no ping, link, format, reference or HTML', () => {
    const values = HOSTILE_VALUES.map((value, i) => ({ value, count: 100 - i }))
    const body = issueBody(makeIncident({ topStatuses: values, topRoutes: values, monitor: '@octocat #1' }), {
      consoleUrl: CONSOLE,
      runUrl: 'javascript:alert(1)',
    })
    expectInert(body)
    expect(body).not.toContain('javascript:')
    // Every table row still has its two cells, and reads back as the log wrote it.
    const rows = body.split('\n').filter((line) => line.startsWith('| <code>'))
    expect(rows).toHaveLength(2 * HOSTILE_VALUES.length)
    for (const row of rows) expect(cells(row)).toHaveLength(2)
    const decoded = decodeReferences(body)
    for (const value of HOSTILE_VALUES.slice(0, -1)) expect(decoded).toContain(`<code>${value}</code>`)
  })

  it('stays within GitHub’s 65,536 characters with 20 long hostile values in each list', () => {
    const values = Array.from({ length: 20 }, (_, i) => ({
      value: `${'<@here>|`*#'.repeat(30)}${i}`,
      count: 1,
    }))
    const body = issueBody(makeIncident({ topStatuses: values, topRoutes: values }), { consoleUrl: CONSOLE })
    expect(body.length).toBeLessThanOrEqual(65_536)
    expectInert(body)
  })
})

describe('windowComment and resolutionComment', () => {
  it("tells a window's counts, breakdowns and samples", () => {
    const comment = windowComment(makeReport({ entries: typicalEntries() }), makeIncident())
    expect(comment).toContain('### 🔴 Firing · window 8: 2026-11-23 10:00:00Z – 10:05:00Z')
    expect(comment).toContain('**5** matching entries: 3 5xx, 2 4xx.')
    expect(comment).toContain('| <code>502</code> | 2 |')
    expect(comment).toContain(
      '| <code>2026-11-23 10:04:10.000</code> | <code>502</code> | <code>POST</code> | <code>/orders</code> | <code>c0ffee00-0000-4000-8000-000000000001</code> |',
    )
    expect(comment).toContain('<a href="https://github.com/acme/api/actions/runs/123456789">Workflow run</a>')
  })

  it('says a clean window is clean', () => {
    expect(windowComment(makeReport(), makeIncident({ status: 'quiet' }))).toContain(
      'No matching entries in this window.',
    )
  })

  it('escapes what the logs wrote', () => {
    const entries = HOSTILE_VALUES.map((value) =>
      accessLog({ status: '500', httpMethod: value, resourcePath: value, requestId: value }),
    )
    const comment = windowComment(makeReport({ entries, maxSamples: 20 }), makeIncident())
    expectInert(comment)
    for (const row of comment.split('\n').filter((line) => line.startsWith('| <code>2026'))) {
      expect(cells(row)).toHaveLength(5)
    }
  })

  it('closes the record: when it resolved, how long it lasted, what it added up to', () => {
    const comment = resolutionComment(
      makeIncident({ status: 'resolved', resolvedAt: WINDOW_START + 55 * MINUTE, reopened: 1 }),
    )
    expect(comment).toContain('### ✅ Resolved at 2026-11-23 10:55:00Z')
    expect(comment).toContain('It lasted **40m (2026-11-23 10:00:00Z – 10:40:00Z)**.')
    expect(comment).toContain('1,234 entries in 8 windows: 12 5xx, 1,222 4xx.')
    expect(comment).toContain('It was reopened 1 time.')
  })
})
