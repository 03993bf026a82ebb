import * as core from '@actions/core'
import { beforeEach, describe, expect, it } from 'vitest'
import { addJobSummary } from '../../../src/notify/summary.js'
import { accessLog, HOSTILE, makeReport, plainLog, typicalEntries } from './fixtures.js'

function render(report: ReturnType<typeof makeReport>): string {
  addJobSummary(report, core.summary)
  return core.summary.stringify()
}

/** The cells of the row whose header is `label` in the run table. */
function runValue(html: string, label: string): string | undefined {
  const escaped = label.replace(/[()]/g, '\\$&')
  return html.match(new RegExp(`<tr><th>${escaped}</th><td>(.*?)</td></tr>`))?.[1]
}

beforeEach(() => {
  core.summary.emptyBuffer()
})

describe('addJobSummary', () => {
  it('lists each Slack webhook by position: delivered, or failed with Slack’s answer (escaped) and what it missed', () => {
    const report = makeReport({ entries: typicalEntries() })
    const missed = {
      since: 1_795_428_000,
      messages: 3,
      entries: 9,
      critical: 6,
      warning: 3,
      from: 1_795_427_700,
      to: 1_795_428_600,
      runUrls: [],
      problem: 'HTTP 200 <b>no_service</b>',
    }
    report.webhooks = [
      { name: 'webhook 1 of 2', thisRun: 'delivered' },
      { name: 'webhook 2 of 2', thisRun: 'failed', problem: missed.problem, missed },
    ]
    const html = render(report)
    expect(html).toContain(
      '<h3>Slack webhooks</h3>\n<table><tr><th>Webhook</th><th>This run</th><th>Missed, not told yet</th></tr><tr><td>webhook 1 of 2</td><td>delivered</td><td>—</td></tr>',
    )
    expect(html).toContain(
      '<tr><td>webhook 2 of 2</td><td>failed: HTTP 200 &lt;b&gt;no&#95;service&lt;/b&gt;</td><td>3 messages (9 entries: 6 5xx, 3 4xx) since 2026-11-23T10:00:00Z, covering 2026-11-23T09:55:00Z – 2026-11-23T10:10:00Z</td></tr>',
    )
  })

  it('shows no webhook table for one webhook that took the message', () => {
    const report = makeReport({ entries: typicalEntries() })
    report.webhooks = [{ name: 'webhook 1 of 1', thisRun: 'delivered' }]
    expect(render(report)).not.toContain('Slack webhooks')
  })

  it('heads the summary with the monitor and the headline numbers', () => {
    const html = render(makeReport({ entries: typicalEntries() }))
    expect(html).toMatch(
      /^<h2>insights-watch: api-errors<\/h2>\n<p><b>5<\/b> matching entries: <b>3<\/b> 5xx, <b>2<\/b> 4xx\.<\/p>/,
    )
  })

  it('describes the run in a table: window in UTC, log groups, query ids, totals, scan statistics', () => {
    const html = render(makeReport({ entries: typicalEntries() }))
    expect(runValue(html, 'Window start (UTC)')).toBe('2026-11-23T10:00:00Z')
    expect(runValue(html, 'Window end (UTC)')).toBe('2026-11-23T10:05:00Z (5m)')
    expect(runValue(html, 'Log group')).toBe('/aws/apigateway/prod-access')
    expect(runValue(html, 'Query id')).toBe('0e7e2a8c-1111-4222-8333-444455556666')
    expect(runValue(html, 'Matching entries')).toBe('5 (5xx: 3, 4xx: 2)')
    expect(runValue(html, 'Records scanned')).toBe('48,213')
    expect(runValue(html, 'Bytes scanned')).toBe('12.3 MB (12,345,678 bytes)')
    expect(runValue(html, 'Truncated')).toBe('no')
  })

  it('shows the bytes scanned and estimated cost of each query at price-per-gb, then the total', () => {
    const second = {
      queryId: '9a9a9a9a-1111-4222-8333-444455556666',
      logGroups: ['/aws/apigateway/other'],
      statistics: { recordsMatched: 1, recordsScanned: 1_000_000, bytesScanned: 2_000_000_000 },
    }
    const base = makeReport({ entries: typicalEntries() })
    const html = render({ ...base, queries: [...base.queries, second], pricePerGb: 0.005 })
    expect(html).toContain('<h3>Bytes scanned and cost</h3>')
    // 12,345,678 bytes at $0.005 per GB is $0.000062; 2 GB is a cent; the run is their sum.
    expect(html).toContain(
      '<td>0e7e2a8c-1111-4222-8333-444455556666</td><td>1</td><td>48,213</td><td>12.3 MB</td><td>$0.000062</td>',
    )
    expect(html).toContain(
      '<td>9a9a9a9a-1111-4222-8333-444455556666</td><td>1</td><td>1,000,000</td><td>2.0 GB</td><td>$0.010</td>',
    )
    expect(html).toMatch(
      /<th>Total \(2 queries\)<\/th><td>—<\/td><td>1,048,213<\/td><td>2.0 GB<\/td><td>\$0.010 at \$0.005 per GB/,
    )
  })

  it('says nothing of cost without a price (a report built outside a run)', () => {
    expect(render(makeReport({ entries: typicalEntries() }))).not.toContain('Bytes scanned and cost')
  })

  it('breaks counts down per field and lists samples with time, status, method, path and request id', () => {
    const html = render(makeReport({ entries: typicalEntries() }))
    expect(html).toContain(
      '<h3>By status</h3>\n<table><tr><th>status</th><th>Count</th></tr><tr><td>502</td><td>2</td></tr>',
    )
    expect(html).toContain(
      '<tr><td>2026-11-23 10:04:10.000</td><td>502</td><td>POST</td><td>/orders</td><td>c0ffee00-0000-4000-8000-000000000001</td>',
    )
    expect(html).toContain(
      '<a href="https://github.com/acme/api/actions/runs/123456789">View workflow run</a>',
    )
  })

  it('says clearly when nothing matched, and still describes the run', () => {
    const html = render(makeReport())
    expect(html).toContain('<p>No matching entries in this window.</p>')
    expect(runValue(html, 'Window start (UTC)')).toBe('2026-11-23T10:00:00Z')
    expect(html).not.toContain('Samples')
  })

  it('says when the result was cut at max-results', () => {
    const report = makeReport({ entries: typicalEntries(), truncated: true })
    report.statistics.recordsMatched = 250_000
    const html = render(report)
    expect(html).toContain('<b>Partial result:</b> 250,000 entries matched; only the first 5 were fetched')
    expect(runValue(html, 'Truncated')).toBe('yes: more entries matched than were fetched')
  })

  it('names many log groups and query ids, one per line', () => {
    const logGroups = ['/aws/apigateway/a', '/aws/apigateway/b']
    const html = render(makeReport({ logGroups }))
    expect(runValue(html, 'Log groups (2)')).toBe('/aws/apigateway/a<br>/aws/apigateway/b')
  })
})

describe('addJobSummary: hostile log text', () => {
  const entries = [
    accessLog({
      status: '500',
      httpMethod: HOSTILE.pipes,
      resourcePath: HOSTILE.script,
      requestId: HOSTILE.channel,
    }),
    plainLog(
      `${HOSTILE.fence}\n\n# heading\n\n${HOSTILE.formatting} [x](javascript:alert(1)) <img src=x onerror=alert(1)>`,
    ),
  ]
  const query = 'fields @message\n| filter @message like "</code></pre><script>alert(1)</script>"'
  const html = (() => {
    core.summary.emptyBuffer()
    return render(
      makeReport({ entries, query, monitorName: '<b>pwned</b>', groupBy: ['httpMethod', 'resourcePath'] }),
    )
  })()

  it('lets no tag from the logs, the query or the monitor name into the HTML', () => {
    expect(html).not.toMatch(/<script|<\/script|<img|<b>pwned/i)
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
  })

  it('keeps the query inside its code block', () => {
    expect(html.match(/<pre>/g)).toHaveLength(1)
    expect(html.match(/<\/pre>/g)).toHaveLength(1)
    expect(html).toContain(
      '<pre><code>fields &#64;message\n&#124; filter &#64;message like &quot;&lt;/code&gt;&lt;/pre&gt;&lt;script&gt;',
    )
  })

  it('lets no pipe, backtick, blank line or markdown syntax out of a table cell', () => {
    const tables = html.match(/<table>.*?<\/table>/gs) ?? []
    expect(tables.length).toBeGreaterThan(0)
    for (const table of tables) {
      expect(table).not.toMatch(/[|`*_~]|\n|\[x\]/)
    }
    expect(html).not.toContain('\n\n# heading')
  })

  it('does not let a Slack mention or an HTML attribute out either', () => {
    expect(html).not.toContain('<!channel>')
    expect(html).toContain('&lt;&#33;channel&gt;')
  })
})

describe('addJobSummary: size', () => {
  it('cuts long messages to about 300 characters and says how much is missing', () => {
    const html = render(makeReport({ entries: [plainLog(`Exception ${'x'.repeat(50_000)}`)] }))
    const cell = html.match(/<td>(Exception x+… &#91;cut, [\d,]+ more characters&#93;)<\/td>/)?.[1] ?? ''
    const shown = cell.replace('&#91;', '[').replace('&#93;', ']')
    expect(shown.length).toBeLessThanOrEqual(300)
    expect(shown).toMatch(/\[cut, 49,\d{3} more characters\]$/)
  })

  it('stays under GitHub’s 1 MiB limit with huge input, and says what it left out', () => {
    // Values differ at the start so the digest sorts them fast.
    const huge = '<|>'.repeat(5_000)
    const entries = Array.from({ length: 200 }, (_, i) =>
      accessLog({
        status: '500',
        httpMethod: huge,
        resourcePath: `${i}${huge}`,
        requestId: huge,
        note: huge,
      }),
    )
    for (const entry of entries)
      for (let i = 0; i < 40; i += 2) entry.fields[`f${i}`] = `${Math.random()}${huge}`
    const report = makeReport({
      entries,
      maxSamples: 200,
      groupBy: Array.from({ length: 40 }, (_, i) => (i % 2 ? 'resourcePath' : `f${i}`)),
      logGroups: Array.from({ length: 1_000 }, (_, i) => `/aws/${'g'.repeat(500)}/${i}`),
      query: huge.slice(0, 10_000),
    })
    // Another part of the step already wrote most of the summary.
    core.summary.addRaw('x'.repeat(700_000), true)
    const html = render(report)
    expect(Buffer.byteLength(html)).toBeLessThan(1024 * 1024)
    expect(html).toMatch(/<p>Not shown, to keep the summary under GitHub's 1 MiB limit: .*samples/)
    expect(html).toContain('and 900 more')
    expect(html).toContain('View workflow run')
  })
})
