import { describe, expect, it } from 'vitest'
import { compilePplQuery } from './ppl-language.js'
import { type LogEvent, MalformedQueryError, type ResultField } from './query-language.js'

const T0 = Date.UTC(2026, 0, 15, 12, 0, 0) // 2026-01-15 12:00:00.000 UTC
const GROUP = '/aws/apigateway/prod-access'
const ACCOUNT = '123456789012'

let sequence = 0
function event(message: string, overrides: Partial<LogEvent> = {}): LogEvent {
  sequence++
  return {
    logGroup: GROUP,
    accountId: ACCOUNT,
    logStream: 'stream-a',
    timestamp: T0 + sequence * 1000,
    ingestionTime: T0 + sequence * 1000 + 500,
    message,
    ptr: `ptr-${sequence}`,
    ...overrides,
  }
}

function json(value: Record<string, unknown>, overrides: Partial<LogEvent> = {}): LogEvent {
  return event(JSON.stringify(value), overrides)
}

function record(row: ResultField[]): Record<string, string> {
  return Object.fromEntries(row.map(({ field, value }) => [field, value]))
}

function records(query: string, events: LogEvent[]): Record<string, string>[] {
  return compilePplQuery(query).run(events).rows.map(record)
}

function column(query: string, events: LogEvent[], field: string): (string | undefined)[] {
  return records(query, events).map((row) => row[field])
}

function errorOf(query: string): MalformedQueryError {
  try {
    compilePplQuery(query)
  } catch (error) {
    if (error instanceof MalformedQueryError) return error
    throw error
  }
  throw new Error(`expected ${query} to be refused`)
}

function access(status: number, extra: Record<string, unknown> = {}): LogEvent {
  return json({ status, httpMethod: status >= 500 ? 'POST' : 'GET', ...extra })
}

describe('PPL: fields and rows', () => {
  it('projects the named fields in order; without fields a row carries the default columns and JSON fields', () => {
    const events = [access(502, { path: '/a' })]
    expect(compilePplQuery('fields path, status').run(events).rows).toEqual([
      [
        { field: 'path', value: '/a' },
        { field: 'status', value: '502' },
      ],
    ])
    const all = compilePplQuery('where status = 502')
      .run(events)
      .rows[0]?.map((f) => f.field)
    expect(all).toEqual(['@timestamp', '@message', '@logStream', '@log', 'status', 'httpMethod', 'path'])
    // no @ptr in PPL rows (CHOICE), and naming it is refused
    expect(all).not.toContain('@ptr')
    expect(errorOf('fields @ptr, status').message).toMatch(/@ptr is not a field of PPL results/)
  })

  it('fields - drops fields; a dropped field reads as NULL later', () => {
    const events = [access(502, { path: '/a' })]
    const row = records('fields - @message, @log, httpMethod', events)[0]
    expect(Object.keys(row ?? {})).toEqual(['@timestamp', '@logStream', 'status', 'path'])
    expect(records('fields path | where status = 502', events)).toEqual([])
  })

  it('formats @timestamp as Insights does and reads backquoted, @-prefixed and dotted names', () => {
    const events = [json({ request: { path: '/x' } }, { timestamp: T0 + 250 })]
    expect(records('fields `@timestamp`, @logStream, `request.path`, request.path', events)).toEqual([
      { '@timestamp': '2026-01-15 12:00:00.250', '@logStream': 'stream-a', 'request.path': '/x' },
    ])
  })
})

describe('PPL: where', () => {
  const events = [access(200), access(404), access(502), access(503), json({ other: 1 })]

  it('compares numbers numerically, strings as strings, with and/or/not and parentheses', () => {
    expect(column('where status >= 500', events, 'status')).toEqual(['502', '503'])
    expect(column("where status = 404 or httpMethod = 'POST' and status != 503", events, 'status')).toEqual([
      '404',
      '502',
    ])
    expect(column('where (status = 404 or status = 502) and not status = 502', events, 'status')).toEqual([
      '404',
    ])
    expect(column('where httpMethod="GET"', events, 'status')).toEqual(['200', '404'])
    // a record without the field matches neither a comparison nor its negation (NULL)
    expect(column('where not status = 200', events, 'status')).toEqual(['404', '502', '503'])
    expect(column("WHERE status < 300 OR httpMethod = 'POST'", events, 'status')).toEqual([
      '200',
      '502',
      '503',
    ])
  })

  it('in, not in, like in both forms, isnull/isnotnull/ispresent', () => {
    expect(column('where status in (404, 503)', events, 'status')).toEqual(['404', '503'])
    expect(column('where status not in (200, 404)', events, 'status')).toEqual(['502', '503'])
    expect(column("where like(httpMethod, 'PO%')", events, 'status')).toEqual(['502', '503'])
    expect(column("where httpMethod like 'G_T'", events, 'status')).toEqual(['200', '404'])
    expect(column("where httpMethod not like 'G%'", events, 'status')).toEqual(['502', '503'])
    // LIKE matches the whole value, case-sensitively (Spark)
    expect(column("where like(httpMethod, 'po%')", events, 'status')).toEqual([])
    expect(records('where isnull(status)', events)).toHaveLength(1)
    expect(records('where isnotnull(status)', events)).toHaveLength(4)
    expect(records('where ispresent(other)', events)).toHaveLength(1)
  })

  it('compares @timestamp with a UTC timestamp string, and refuses any other literal', () => {
    const timed = [access(500, {}), access(501, {}), access(502, {})].map((e, i) => ({
      ...e,
      timestamp: T0 + i * 60_000,
    }))
    const query = "where `@timestamp` >= '2026-01-15 12:01:00' and `@timestamp` < '2026-01-15 12:02:00.000'"
    expect(column(query, timed, 'status')).toEqual(['501'])
    expect(errorOf('where `@timestamp` > 1768478400000').message).toMatch(/'YYYY-MM-DD HH:MM:SS' string/)
    expect(errorOf("where `@timestamp` > '2026-01-15T12:00:00Z'").message).toMatch(
      /'YYYY-MM-DD HH:MM:SS' string/,
    )
  })
})

describe('PPL: stats', () => {
  const events = [
    access(502, { bytes: 10 }),
    access(404, { bytes: 3 }),
    access(502, { bytes: 20 }),
    access(503),
    access(200, { bytes: 1 }),
  ]

  it('puts the aggregates before the by fields, named as written or by alias; groups in first-seen order', () => {
    const output = compilePplQuery(
      'where status >= 400 | stats count() as n, sum(bytes), avg(`bytes`) by status',
    ).run(events)
    expect(output.rows[0]?.map((f) => f.field)).toEqual(['n', 'sum(bytes)', 'avg(bytes)', 'status'])
    expect(output.rows.map(record)).toEqual([
      { n: '2', 'sum(bytes)': '30', 'avg(bytes)': '15.0', status: '502' },
      { n: '1', 'sum(bytes)': '3', 'avg(bytes)': '3.0', status: '404' },
      { n: '1', status: '503' }, // sum/avg of nothing is NULL: left out
    ])
    // recordsMatched counts the records the where kept, not the groups
    expect(output).toMatchObject({ recordsMatched: 4, recordsScanned: 5 })
  })

  it('count(field) skips missing values; min/max; one row without by, even over nothing', () => {
    expect(records('stats count(), count(bytes), min(bytes), max(bytes), count(*)', events)).toEqual([
      { 'count()': '5', 'count(bytes)': '4', 'min(bytes)': '1', 'max(bytes)': '20', 'count(*)': '5' },
    ])
    expect(records('where status = 999 | stats count()', events)).toEqual([{ 'count()': '0' }])
    // min/max of @timestamp are times; the column is named without the backquotes
    const first = events[0]?.timestamp ?? 0
    const last = events[events.length - 1]?.timestamp ?? 0
    expect(records('stats min(`@timestamp`), max(@timestamp)', events)).toEqual([
      {
        'min(@timestamp)': new Date(first).toISOString().replace('T', ' ').replace('Z', ''),
        'max(@timestamp)': new Date(last).toISOString().replace('T', ' ').replace('Z', ''),
      },
    ])
  })

  it('where, sort and head work on the aggregated rows', () => {
    expect(records('stats count() as n by status | where n > 1', events)).toEqual([{ n: '2', status: '502' }])
    expect(column('stats count() as n by status | sort -n, status | head 2', events, 'status')).toEqual([
      '502',
      '200',
    ])
  })
})

describe('PPL: sort, head, dedup, top, rare', () => {
  const events = [access(404), access(502), access(200), access(502), access(503), json({ x: 1 })]

  it('sort ascending, -descending, NULLs first ascending and last descending', () => {
    expect(column('sort status', events, 'status')).toEqual([undefined, '200', '404', '502', '502', '503'])
    expect(column('sort - status', events, 'status')).toEqual(['503', '502', '502', '404', '200', undefined])
    expect(errorOf('sort status desc').message).toMatch(/write sort -status for descending/)
  })

  it('head keeps n rows, 10 without a count', () => {
    const many = Array.from({ length: 25 }, (_, i) => access(500 + i))
    expect(records('head 3', many)).toHaveLength(3)
    expect(records('head', many)).toHaveLength(10)
    const output = compilePplQuery('where status >= 510 | head 2').run(many)
    expect(output.rows).toHaveLength(2)
    expect(output.recordsMatched).toBe(15)
  })

  it('dedup keeps the first n per value and drops NULL keys unless keepempty=true', () => {
    expect(column('dedup status', events, 'status')).toEqual(['404', '502', '200', '503'])
    expect(column('dedup 2 status', events, 'status')).toEqual(['404', '502', '200', '502', '503'])
    expect(column('dedup status keepempty=true', events, 'status')).toEqual([
      '404',
      '502',
      '200',
      '503',
      undefined,
    ])
    expect(errorOf('dedup status consecutive=true').message).toMatch(/consecutive=true is outside/)
  })

  it('top and rare count values into count_<field>', () => {
    expect(records('top 2 status', events)).toEqual([
      { count_status: '2', status: '502' },
      { count_status: '1', status: '404' },
    ])
    expect(records('where isnotnull(status) | rare 1 status', events)).toEqual([
      { count_status: '1', status: '404' },
    ])
    expect(compilePplQuery('where status >= 500 | top status').run(events).recordsMatched).toBe(3)
    expect(errorOf('top status by httpMethod').message).toMatch(/top … by is outside/)
  })
})

describe('PPL: refusals name what is outside the subset', () => {
  it.each([
    ['eval x = status + 1', /PPL command eval is outside the emulator's PPL subset/],
    ["parse @message '(?<x>.*)'", /PPL command parse is outside/],
    ['frobnicate', /Unknown PPL command "frobnicate"/],
    [
      'source = `/aws/x` | fields status',
      /source is outside the emulator's PPL subset: name the log groups with StartQuery/,
    ],
    ["SOURCE logGroups(namePrefix: ['a'])", /SOURCE is outside/],
    ['search source=x', /search is outside/],
    ['stats distinct_count(status)', /Aggregation distinct_count is outside/],
    ['stats percentile(status, 90)', /Aggregation percentile is outside/],
    ['stats count() by span(@timestamp, 5m)', /Function span\(\) is outside/],
    ['where lower(httpMethod) = "get"', /Function lower\(\) is outside/],
    ['where status between 400 and 499', /BETWEEN is outside/],
    ['where status == 500', /Operator == is outside/],
    ['where status = 500 xor status = 404', /XOR is outside/],
    ['where status = true', /Literal true is outside/],
    ['head 5 from 10', /offset\) is outside/],
    ['fields status status', /Expected \| or the end of the query/],
    ['', /The query is empty/],
    ["where status = 'x", /Unterminated string/],
  ])('%s', (query, message) => {
    const error = errorOf(query)
    expect(error.message).toMatch(message)
    expect(error.location?.startCharOffset).toEqual(expect.any(Number))
  })

  it('takes comments and keywords in any case', () => {
    const events = [access(502), access(200)]
    expect(
      column('WHERE status > 300 // only errors\n| FIELDS status /* just that */', events, 'status'),
    ).toEqual(['502'])
  })
})
