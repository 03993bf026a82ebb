import { describe, expect, it } from 'vitest'
import { AggregateBuilder } from '../../src/aggregate.js'
import { analyseQuery } from '../../src/insights/query-shape.js'
import { buildSlackMessage } from '../../src/notify/digest-message.js'

const stats = { recordsMatched: 40, recordsScanned: 1000, bytesScanned: 5000 }
const row = (values: Record<string, string>) =>
  Object.entries(values).map(([field, value]) => ({ field, value }))

describe('AggregateBuilder', () => {
  it('counts records from the count column and takes severity from the status column, weighted by it', () => {
    const builder = new AggregateBuilder(analyseQuery('stats count(*) by status', 'CWLI'), 'status')
    builder.add(row({ status: '502', 'count(*)': '7' }))
    builder.add(row({ status: '404', 'count(*)': '30' }))
    builder.add(row({ status: '200', 'count(*)': '3' }))
    const digest = builder.build(stats, true)
    expect(digest).toMatchObject({ total: 40, critical: 7, warning: 30, worst: 'critical', samples: [] })
    expect(digest.table).toMatchObject({
      columns: ['status', 'count(*)'],
      rows: [
        ['502', '7'],
        ['404', '30'],
        ['200', '3'],
      ],
      rowCount: 3,
      countedBy: 'count-column',
      countColumn: 'count(*)',
    })
  })

  it('falls back to recordsMatched without a count column, or when rows were left unfetched', () => {
    const noCount = new AggregateBuilder(analyseQuery('stats avg(latency) by status', 'CWLI'), 'status')
    noCount.add(row({ status: '502', 'avg(latency)': '12.5' }))
    expect(noCount.build(stats, true)).toMatchObject({
      total: 40,
      critical: 0,
      warning: 0,
      worst: 'critical',
    })
    expect(noCount.build(stats, true).table.countedBy).toBe('records-matched')

    const cut = new AggregateBuilder(analyseQuery('stats count(*) by status', 'CWLI'), 'status')
    cut.add(row({ status: '502', 'count(*)': '7' }))
    expect(cut.build(stats, false)).toMatchObject({ total: 40, critical: 0 })
  })

  it('counts nothing for no rows', () => {
    const empty = new AggregateBuilder(analyseQuery('stats count(*) by status', 'CWLI'), 'status')
    expect(empty.build({ ...stats, recordsMatched: 0 }, true)).toMatchObject({ total: 0, worst: 'none' })
  })
})

describe('the aggregate table in the Slack message', () => {
  it('shows the rows escaped in a code block, within Slack limits, counting those left out', () => {
    const builder = new AggregateBuilder(analyseQuery('stats count(*) by path', 'CWLI'), 'status')
    for (let i = 0; i < 300; i++)
      builder.add(row({ path: `/a\`\`\`<!here>&${'x'.repeat(i % 90)}`, 'count(*)': '1' }))
    const digest = builder.build({ ...stats, recordsMatched: 300 }, true)
    const message = buildSlackMessage({
      monitorName: 'api',
      window: { start: 1_800_000_000, end: 1_800_000_300 },
      logGroups: ['/g'],
      query: 'stats count(*) by path',
      queryLanguage: 'CWLI',
      queries: [],
      statistics: { ...stats, recordsMatched: 300 },
      digest,
      truncated: false,
      rechecked: 0,
      alreadyReported: 0,
      maxCatchUpSeconds: 3600,
      consoleUrl: 'https://example.com',
    })
    const texts = message.attachments[0].blocks.flatMap((block) =>
      'text' in block && block.type === 'section' ? [block.text.text] : [],
    )
    const table = texts.find((text) => text.startsWith('*Aggregate*')) as string
    expect(table).toMatch(
      /^\*Aggregate\* \(300 rows; records counted from the `count\(∗\)` column\)\n```path/,
    )
    expect(table.length).toBeLessThanOrEqual(3000)
    expect(table).not.toContain('<!here>')
    expect(table).toContain('&lt;!here&gt;')
    // Only the block's own fences: a value's backticks cannot close it.
    expect(table.match(/```/g)).toHaveLength(2)
    expect(table).toMatch(/_\d+ more rows in the job summary_$/)
  })
})
