import { describe, expect, it } from 'vitest'
import { sqlLogGroups } from '../../../src/insights/query-check.js'
import { boundByTimestamp, queryToRun, withTimestamp } from '../../../src/insights/query-rewrite.js'
import { analyseQuery, commandNames, maskLiterals } from '../../../src/insights/query-shape.js'
import { compileQuery, type LogEvent } from '../../emulator/query-language.js'

const DEFAULT_QUERY = 'fields @timestamp, @message, @log | filter status >= 400 | sort @timestamp desc'

describe('analyseQuery: Logs Insights QL', () => {
  it('takes the default query for one that returns records with @timestamp, can be split and wants the newest first', () => {
    expect(analyseQuery(DEFAULT_QUERY, 'CWLI')).toEqual({
      language: 'CWLI',
      records: true,
      userLimit: false,
      splittable: true,
      passLimit: true,
      newestFirst: true,
      returnsTimestamp: true,
    })
  })

  it('recognises every command whose rows are not records, and the count(*) column of a stats', () => {
    expect(analyseQuery('filter status >= 400 | stats count(*) by status', 'CWLI')).toMatchObject({
      records: false,
      splittable: false,
      countColumn: 'count(*)',
    })
    expect(analyseQuery('stats count() as n, avg(latency) by status | sort n desc', 'CWLI')).toMatchObject({
      countColumn: 'n',
    })
    for (const command of [
      'dedup requestId',
      'pattern @message',
      'anomaly',
      'diff',
      'unnest items',
      'join x',
    ]) {
      expect(analyseQuery(`fields @timestamp | ${command}`, 'CWLI')).toMatchObject({ records: false })
    }
    // count(field) counts records having it, not every record; a filter or limit after stats cuts rows.
    expect(analyseQuery('stats count(status) by status', 'CWLI').countColumn).toBeUndefined()
    expect(analyseQuery('stats count(*) as n by status | filter n > 5', 'CWLI').countColumn).toBeUndefined()
    expect(analyseQuery('stats count(*) by status | limit 3', 'CWLI').countColumn).toBeUndefined()
    expect(analyseQuery('fields @timestamp, @message | limit 20', 'CWLI')).toMatchObject({
      records: true,
      userLimit: true,
      splittable: false,
    })
  })

  it('knows whether the rows carry @timestamp: default columns, fields, aliases, display', () => {
    const returns = (query: string) => analyseQuery(query, 'CWLI').returnsTimestamp
    expect(returns('filter status >= 400')).toBe(true)
    expect(returns('fields status, httpMethod, resourcePath | filter status >= 400')).toBe(false)
    expect(returns('fields status | fields `@timestamp`')).toBe(true)
    expect(returns('fields @timestamp, status | display status')).toBe(false)
    expect(returns('display status, @timestamp')).toBe(true)
    expect(returns('fields status # , @timestamp')).toBe(false)
    expect(analyseQuery('fields status | filter status >= 400', 'CWLI').splittable).toBe(false)
  })

  it('is not fooled by pipes and command words inside strings, regexes and comments', () => {
    const query = [
      'fields @timestamp, @message # | stats count(*)',
      '| filter @message like /a|stats b/ or `odd|field` = "x | limit 5" or msg =~ /c|limit 1/',
      "| filter path = 'a|dedup'",
      '| sort @timestamp asc',
    ].join('\n')
    expect(commandNames(query)).toEqual(['fields', 'filter', 'filter', 'sort'])
    expect(analyseQuery(query, 'CWLI')).toMatchObject({ records: true, splittable: true, newestFirst: false })
    expect(maskLiterals(query)).toHaveLength(query.length)
  })
})

describe('analyseQuery: OpenSearch SQL and PPL', () => {
  it('recognises SQL aggregates: GROUP BY, aggregate functions, DISTINCT, joins', () => {
    const sql = (query: string) => analyseQuery(query, 'SQL')
    expect(sql('SELECT status, COUNT(*) AS n FROM `/g` WHERE status >= 400 GROUP BY status')).toMatchObject({
      records: false,
      countColumn: 'n',
      passLimit: false,
    })
    expect(sql('SELECT COUNT(*) FROM `/g`').records).toBe(false)
    expect(sql('SELECT DISTINCT status FROM `/g`').records).toBe(false)
    expect(sql('SELECT a.x FROM `/g` a JOIN `/h` b ON a.id = b.id').records).toBe(false)
    // A keyword in a string, a backquoted name or a comment is not one.
    expect(
      sql("SELECT `@timestamp`, status FROM `/g` WHERE msg = 'GROUP BY count(x)' -- DISTINCT\n /* SUM( */"),
    ).toMatchObject({ records: true, returnsTimestamp: true, splittable: true, userLimit: false })
  })

  it('knows whether SQL rows carry @timestamp and whether the query limits itself', () => {
    const sql = (query: string) => analyseQuery(query, 'SQL')
    expect(sql('SELECT * FROM `/g` WHERE status >= 400')).toMatchObject({
      returnsTimestamp: true,
      splittable: true,
    })
    expect(sql('SELECT status, resourcePath FROM `/g`')).toMatchObject({
      returnsTimestamp: false,
      splittable: false,
    })
    expect(sql('SELECT * FROM `/g` LIMIT 10')).toMatchObject({ userLimit: true, splittable: false })
    expect(sql('SELECT * FROM `/g` ORDER BY `@timestamp` DESC').newestFirst).toBe(true)
  })

  it('reads the log groups a SQL FROM names', () => {
    expect(sqlLogGroups("SELECT * FROM `/a/b` WHERE x = 'FROM `/no`'")).toEqual(['/a/b'])
    expect(
      sqlLogGroups("SELECT COUNT(*) FROM `logGroups(logGroupIdentifier: ['/a', '/b'])` GROUP BY s"),
    ).toEqual(['/a', '/b'])
    expect(sqlLogGroups('SELECT COUNT(*) AS n FROM `/a`').length).toBe(1)
    expect(analyseQuery('SELECT COUNT(*) FROM `/a`', 'SQL').countColumn).toBe('count(1)')
  })

  it('recognises PPL aggregates and fields', () => {
    const ppl = (query: string) => analyseQuery(query, 'PPL')
    expect(ppl('source = `/g` | where status >= 400 | stats count() by status')).toMatchObject({
      records: false,
      countColumn: 'count()',
    })
    for (const command of ['top status', 'rare status', 'dedup requestId']) {
      expect(ppl(`source = \`/g\` | ${command}`).records).toBe(false)
    }
    expect(ppl('source = `/g` | where status >= 400')).toMatchObject({
      records: true,
      returnsTimestamp: true,
    })
    expect(ppl('source = `/g` | fields status, resourcePath').returnsTimestamp).toBe(false)
    expect(ppl('source = `/g` | fields `@timestamp`, status').returnsTimestamp).toBe(true)
    expect(ppl('source = `/g` | fields - `@timestamp`').returnsTimestamp).toBe(false)
    expect(ppl("source = `/g` | where msg = 'a | stats count()'").records).toBe(true)
    expect(ppl('source = `/g` | head 5').userLimit).toBe(true)
  })
})

const T = Date.UTC(2026, 7, 21, 10, 0, 0)
let sequence = 0
function event(timestamp: number, status = '502'): LogEvent {
  sequence += 1
  return {
    logGroup: '/g',
    accountId: '123456789012',
    logStream: 's',
    timestamp,
    ingestionTime: timestamp,
    message: JSON.stringify({ status, httpMethod: 'GET', resourcePath: `/p${sequence}` }),
    ptr: `p${sequence}`,
  }
}

describe('query rewriting', () => {
  const window = { start: T / 1000, end: T / 1000 + 300 }

  it('bounds an aggregate by @timestamp itself, half-open, after a SOURCE command', () => {
    const bound = `filter toMillis(@timestamp) >= ${T} and toMillis(@timestamp) < ${T + 300_000}`
    expect(boundByTimestamp('filter status >= 400 | stats count(*) by status', window)).toBe(
      `${bound}\n| filter status >= 400 | stats count(*) by status`,
    )
    expect(boundByTimestamp('SOURCE logGroups(namePrefix: ["/a"]) | stats count(*)', window)).toBe(
      `SOURCE logGroups(namePrefix: ["/a"]) | ${bound}\n| stats count(*)`,
    )
    // A comment line first stays a comment, and cannot swallow the bound.
    expect(boundByTimestamp('# errors\nstats count(*)', window)).toBe(`# errors\n${bound}\n| stats count(*)`)
  })

  it('counts exactly [start, end) in the emulator: the records at end.000 belong to the next window', () => {
    const events = [T - 1, T, T + 150_000, T + 299_999, T + 300_000].map((at) => event(at))
    const query = 'filter status >= 400 | stats count(*) by status'
    const rows = compileQuery(boundByTimestamp(query, window)).run(events).rows
    expect(rows).toEqual([
      [
        { field: 'status', value: '502' },
        { field: 'count(*)', value: '3' },
      ],
    ])
  })

  it('adds @timestamp to a record query without changing what it matches', () => {
    expect(withTimestamp('fields status, resourcePath | filter status >= 400')).toBe(
      'fields @timestamp\n| fields status, resourcePath | filter status >= 400',
    )
    expect(withTimestamp('fields @timestamp, status | display status # only status')).toBe(
      'fields @timestamp, status | display status, @timestamp # only status',
    )
    const events = [event(T, '502'), event(T + 1, '200'), event(T + 2, '404')]
    for (const query of [
      'fields status, resourcePath | filter status >= 400',
      'filter status >= 400 | display status',
    ]) {
      const before = compileQuery(query).run(events)
      const after = compileQuery(queryToRun(query, analyseQuery(query, 'CWLI'), window)).run(events)
      expect(after.recordsMatched).toBe(before.recordsMatched)
      expect(after.rows.map((row) => row.filter((field) => field.field !== '@timestamp'))).toEqual(
        before.rows,
      )
      expect(after.rows.every((row) => row.some((field) => field.field === '@timestamp'))).toBe(true)
    }
  })

  it('leaves the default query, and SQL and PPL, as written', () => {
    expect(queryToRun(DEFAULT_QUERY, analyseQuery(DEFAULT_QUERY, 'CWLI'), window)).toBe(DEFAULT_QUERY)
    const sql = 'SELECT status, COUNT(*) FROM `/g` GROUP BY status'
    expect(queryToRun(sql, analyseQuery(sql, 'SQL'), window)).toBe(sql)
  })
})
