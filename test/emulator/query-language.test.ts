import { describe, expect, it } from 'vitest'
import {
  compileQuery,
  DEFAULT_LIMIT,
  formatTimestamp,
  type LogEvent,
  MalformedQueryError,
  type QueryOutput,
  type ResultField,
} from './query-language.js'

const T0 = Date.UTC(2026, 7, 21, 10, 0, 0) // 2026-08-21 10:00:00.000 UTC
const GROUP = '/aws/apigateway/prod-access'
const ACCOUNT = '123456789012'

let sequence = 0
function event(message: string, overrides: Partial<LogEvent> = {}): LogEvent {
  sequence++
  return {
    logGroup: GROUP,
    accountId: ACCOUNT,
    logStream: 'stream-a',
    timestamp: T0 + sequence,
    ingestionTime: T0 + sequence + 500,
    message,
    ptr: `ptr-${sequence}`,
    ...overrides,
  }
}

function json(value: Record<string, unknown>, overrides: Partial<LogEvent> = {}): LogEvent {
  return event(JSON.stringify(value), overrides)
}

function run(query: string, events: LogEvent[]): QueryOutput {
  return compileQuery(query).run(events)
}

/** A row as an object (field order checked separately where it matters). */
function record(row: ResultField[]): Record<string, string> {
  return Object.fromEntries(row.map(({ field, value }) => [field, value]))
}

function records(query: string, events: LogEvent[]): Record<string, string>[] {
  return run(query, events).rows.map(record)
}

/** The values of one field over the rows (undefined where a row lacks it). */
function column(query: string, events: LogEvent[], field: string): (string | undefined)[] {
  return records(query, events).map((row) => row[field])
}

function errorOf(query: string): MalformedQueryError {
  try {
    compileQuery(query)
  } catch (error) {
    expect(error).toBeInstanceOf(MalformedQueryError)
    return error as MalformedQueryError
  }
  throw new Error(`expected a MalformedQueryError for: ${query}`)
}

const access = (requestId: string, status: string, extra: Record<string, unknown> = {}) =>
  json({ requestId, httpMethod: 'GET', resourcePath: '/items', status, ...extra })

describe('the product default query', () => {
  const query = 'fields @timestamp, @message, @log | filter status >= 400 | sort @timestamp desc'

  it('returns the 4xx/5xx API Gateway entries newest first with @ptr, and exact statistics', () => {
    const events = [
      access('r1', '502', {}),
      access('r2', '200'),
      access('r3', '404'),
      access('r4', '399'),
      access('r5', '400'),
      event('not json at all, status 500'),
    ]
    const output = run(query, events)
    expect(output.rows.map((row) => row.map((f) => f.field))).toEqual([
      ['@timestamp', '@message', '@log', '@ptr'],
      ['@timestamp', '@message', '@log', '@ptr'],
      ['@timestamp', '@message', '@log', '@ptr'],
    ])
    const rows = output.rows.map(record)
    expect(rows.map((row) => JSON.parse(row['@message'] as string).requestId)).toEqual(['r5', 'r3', 'r1'])
    const r1 = events[0] as LogEvent
    expect(rows[2]).toEqual({
      '@timestamp': formatTimestamp(r1.timestamp),
      '@message': r1.message,
      '@log': `${ACCOUNT}:${GROUP}`,
      '@ptr': r1.ptr,
    })
    expect(output.recordsMatched).toBe(3)
    expect(output.recordsScanned).toBe(6)
    expect(output.bytesScanned).toBe(events.reduce((sum, e) => sum + Buffer.byteLength(e.message), 0))
    expect(compileQuery(query).limit).toBeUndefined()
  })

  it('compares a numeric status the same way as a string status', () => {
    const events = [json({ requestId: 'n1', status: 503 }), json({ requestId: 'n2', status: 201 })]
    expect(column(query, events, '@message')).toEqual([events[0]?.message])
  })
})

describe('system fields and rendering', () => {
  it('formats @timestamp and @ingestionTime as YYYY-MM-DD HH:MM:SS.mmm UTC', () => {
    const e = event('hello', {
      timestamp: Date.UTC(2026, 0, 2, 3, 4, 5, 6),
      ingestionTime: Date.UTC(2026, 0, 2, 3, 4, 7, 89),
    })
    expect(records('fields @timestamp, @ingestionTime', [e])).toEqual([
      { '@timestamp': '2026-01-02 03:04:05.006', '@ingestionTime': '2026-01-02 03:04:07.089', '@ptr': e.ptr },
    ])
  })

  it('gives @log as accountId:logGroup and @logStream', () => {
    const e = event('x', { logGroup: '/other', accountId: '210987654321', logStream: 'abc/def' })
    expect(records('fields @log, @logStream, @message', [e])).toEqual([
      { '@log': '210987654321:/other', '@logStream': 'abc/def', '@message': 'x', '@ptr': e.ptr },
    ])
  })

  it('without fields, display or stats returns @timestamp, @message and @ptr, in input order', () => {
    const a = event('first')
    const b = event('second')
    const output = run('filter @message like "s"', [a, b])
    expect(output.rows).toEqual([
      [
        { field: '@timestamp', value: formatTimestamp(a.timestamp) },
        { field: '@message', value: 'first' },
        { field: '@ptr', value: a.ptr },
      ],
      [
        { field: '@timestamp', value: formatTimestamp(b.timestamp) },
        { field: '@message', value: 'second' },
        { field: '@ptr', value: b.ptr },
      ],
    ])
  })

  it('does not repeat @ptr when the query asks for it', () => {
    const e = event('x')
    expect(run('fields @ptr, @message', [e]).rows[0]).toEqual([
      { field: '@ptr', value: e.ptr },
      { field: '@message', value: 'x' },
    ])
  })

  it('leaves fields the event does not have out of the row', () => {
    const events = [json({ a: '1', b: '2' }), json({ a: '3' })]
    expect(records('fields a, b', events)).toEqual([
      { a: '1', b: '2', '@ptr': events[0]?.ptr },
      { a: '3', '@ptr': events[1]?.ptr },
    ])
  })
})

describe('JSON field discovery', () => {
  const e = json({
    request: { path: '/items', headers: { host: 'api.example.com' } },
    items: [{ id: 7 }, { id: 8 }],
    tags: ['x', 'y'],
    latency: 12.5,
    big: 1e21,
    ok: true,
    failed: false,
    nothing: null,
    '@timestamp': 'from the log line',
  })

  it('flattens nested objects with dots and arrays with indices, rendering values as strings', () => {
    const q =
      'fields request.path, request.headers.host, items.0.id, items.1.id, tags.1, latency, big, ok, failed'
    expect(records(q, [e])).toEqual([
      {
        'request.path': '/items',
        'request.headers.host': 'api.example.com',
        'items.0.id': '7',
        'items.1.id': '8',
        'tags.1': 'y',
        latency: '12.5',
        big: '1e+21',
        ok: 'true',
        failed: 'false',
        '@ptr': e.ptr,
      },
    ])
  })

  it('treats null as absent and prefixes a top-level @ key with another @', () => {
    expect(records('fields nothing, @@timestamp, @timestamp', [e])).toEqual([
      { '@@timestamp': 'from the log line', '@timestamp': formatTimestamp(e.timestamp), '@ptr': e.ptr },
    ])
    expect(run('filter ispresent(nothing)', [e]).rows).toEqual([])
  })

  it('discovers nothing in plain text, JSON arrays or broken JSON', () => {
    const events = [event('status=500'), event('[{"status":"500"}]'), event('{"status":"500"')]
    expect(run('filter status = 500', events).recordsMatched).toBe(0)
  })

  it('accepts JSON with surrounding whitespace', () => {
    expect(run('filter status = 500', [event('  {"status":"500"}\n')]).recordsMatched).toBe(1)
  })

  it('reads backticked field names', () => {
    const hyphen = json({ 'my-field': 'v', 'a b': 'w' })
    expect(records('fields `my-field`, `a b` | filter `my-field` = "v"', [hyphen])).toEqual([
      { 'my-field': 'v', 'a b': 'w', '@ptr': hyphen.ptr },
    ])
  })
})

describe('fields', () => {
  it('aliases a field with as, and later commands see the alias', () => {
    const events = [access('r1', '502'), access('r2', '200')]
    expect(records('fields status as code, requestId | filter code >= 500', events)).toEqual([
      { code: '502', requestId: 'r1', '@ptr': events[0]?.ptr },
    ])
  })

  it('keeps the other fields usable by later commands', () => {
    const events = [access('r1', '502'), access('r2', '200')]
    expect(records('fields requestId | filter status = 200', events)).toEqual([
      { requestId: 'r2', '@ptr': events[1]?.ptr },
    ])
  })

  it('adds the columns of several fields commands together', () => {
    const e = access('r1', '502')
    expect(run('fields requestId | fields status, requestId', [e]).rows[0]?.map((f) => f.field)).toEqual([
      'requestId',
      'status',
      '@ptr',
    ])
  })

  it('keeps the time rendering through an alias', () => {
    const e = event('x', { timestamp: Date.UTC(2026, 1, 3, 4, 5, 6, 7) })
    expect(records('fields @timestamp as t', [e])).toEqual([{ t: '2026-02-03 04:05:06.007', '@ptr': e.ptr }])
  })

  it('rejects function calls, naming the function', () => {
    expect(errorOf('fields concat(a, b) as c').message).toMatch(/Unsupported function "concat"/)
    expect(errorOf('fields toupper(@message)').message).toMatch(
      /Unsupported function "toupper" in fields \(the emulator implements no functions there\)/,
    )
    expect(errorOf('filter status = 1 and 5 = abs(x)').message).toMatch(
      /Unsupported function "abs" in filter \(the emulator implements ispresent, toMillis there\)/,
    )
  })

  it('rejects arithmetic', () => {
    expect(errorOf('fields a + b').message).toMatch(/arithmetic operator "\+"/)
    expect(errorOf('filter latency * 2 > 5').message).toMatch(/arithmetic operator "\*"/)
  })
})

describe('filter comparisons', () => {
  const events = [
    json({ id: 'a', status: '502', name: 'beta' }),
    json({ id: 'b', status: '404', name: 'alpha' }),
    json({ id: 'c', status: 200, name: 'gamma' }),
    json({ id: 'd', name: 'delta' }),
    json({ id: 'e', status: '9', name: 'Beta' }),
  ]
  const ids = (filter: string) => column(`fields id | filter ${filter}`, events, 'id')

  it.each([
    ['status = 404', ['b']],
    ['status = "404"', ['b']],
    ['status != 404', ['a', 'c', 'e']],
    ['status < 404', ['c', 'e']],
    ['status <= 404', ['b', 'c', 'e']],
    ['status > 404', ['a']],
    ['status >= 404', ['a', 'b']],
    ['status >= 10', ['a', 'b', 'c']], // numeric: "9" < 10 although "9" > "10" as strings
    ['status = 200.0', ['c']],
    ['status > -1', ['a', 'b', 'c', 'e']],
  ])('%s', (filter, expected) => {
    expect(ids(filter)).toEqual(expected)
  })

  it('compares strings as strings, case-sensitively', () => {
    expect(ids('name = "beta"')).toEqual(['a'])
    expect(ids("name = 'beta'")).toEqual(['a'])
    expect(ids('name < "beta"')).toEqual(['b', 'e']) // "Beta" < "beta" in code-unit order
    expect(ids('name >= "delta"')).toEqual(['c', 'd'])
  })

  it('compares field with field', () => {
    const e = [json({ id: 'x', a: '5', b: '10' }), json({ id: 'y', a: '10', b: '5' })]
    expect(column('fields id | filter a < b', e, 'id')).toEqual(['x'])
  })

  it('makes any comparison with a missing field false, so not of it is true', () => {
    expect(ids('status != 999')).toEqual(['a', 'b', 'c', 'e'])
    expect(ids('not status = 999')).toEqual(['a', 'b', 'c', 'd', 'e'])
    expect(ids('nosuchfield < 1 or nosuchfield >= 1')).toEqual([])
  })

  it('compares @timestamp with epoch milliseconds and with its rendered form', () => {
    const early = event('early', { timestamp: T0 - 60_000 })
    const late = event('late', { timestamp: T0 + 60_000 })
    expect(column(`filter @timestamp >= ${T0}`, [early, late], '@message')).toEqual(['late'])
    expect(column('filter @timestamp < "2026-08-21 10:00:00.000"', [early, late], '@message')).toEqual([
      'early',
    ])
  })
})

describe('filter logic', () => {
  const events = [
    json({ id: '1', a: 1, b: 1 }),
    json({ id: '2', a: 1, b: 0 }),
    json({ id: '3', a: 0, b: 1 }),
    json({ id: '4', a: 0, b: 0 }),
  ]
  const ids = (filter: string) => column(`fields id | filter ${filter}`, events, 'id')

  it('and, or, not', () => {
    expect(ids('a = 1 and b = 1')).toEqual(['1'])
    expect(ids('a = 1 or b = 1')).toEqual(['1', '2', '3'])
    expect(ids('not a = 1')).toEqual(['3', '4'])
    expect(ids('not not a = 1')).toEqual(['1', '2'])
  })

  it('binds and tighter than or, and parentheses override it', () => {
    expect(ids('a = 0 and b = 0 or a = 1 and b = 1')).toEqual(['1', '4'])
    expect(ids('a = 1 or b = 1 and a = 0')).toEqual(['1', '2', '3'])
    expect(ids('(a = 1 or b = 1) and a = 0')).toEqual(['3'])
    expect(ids('not (a = 1 or b = 1)')).toEqual(['4'])
  })

  it('applies several filter commands one after another', () => {
    expect(ids('a = 1 | filter b = 0')).toEqual(['2'])
  })

  it('accepts multi-line queries with comments', () => {
    const q = `# errors only
fields id   # the request
| filter a = 1 # first
    and b = 1
`
    expect(column(q, events, 'id')).toEqual(['1'])
  })
})

describe('filter in, like, =~, ispresent', () => {
  const events = [
    json({ id: '1', status: '500', msg: 'Timeout calling backend' }),
    json({ id: '2', status: 404, msg: 'not found: /a|b' }),
    json({ id: '3', status: '200', msg: 'ok' }),
    json({ id: '4', msg: 'TIMEOUT again' }),
  ]
  const ids = (filter: string) => column(`fields id | filter ${filter}`, events, 'id')

  it('in matches numbers and strings, numerically where both are numbers', () => {
    expect(ids('status in [404, "500"]')).toEqual(['1', '2'])
    expect(ids('status in ["200"]')).toEqual(['3'])
  })

  it('not in and field not in exclude the values; a missing field is not in any list', () => {
    expect(ids('not status in [404, 500]')).toEqual(['3', '4'])
    expect(ids('status not in [404, 500]')).toEqual(['3', '4'])
    expect(ids('status in [1, 2]')).toEqual([])
  })

  it('rejects bare words in a list', () => {
    expect(errorOf('filter status in [a, b]').message).toMatch(/numbers or quoted strings/)
  })

  it('like "substring" is a case-sensitive substring match', () => {
    expect(ids('msg like "Timeout"')).toEqual(['1'])
    expect(ids('msg like "a|b"')).toEqual(['2'])
  })

  it('like /regex/ and =~ /regex/ search with a regular expression', () => {
    expect(ids('msg like /^T\\w+ /')).toEqual(['1', '4'])
    expect(ids('msg =~ /found|ok/')).toEqual(['2', '3'])
    expect(ids('msg like /\\/a\\|b$/')).toEqual(['2'])
  })

  it('=~ "substring" is a substring match', () => {
    expect(ids('msg =~ "again"')).toEqual(['4'])
  })

  it('(?i) makes a regex case-insensitive; without it the match is case-sensitive', () => {
    expect(ids('msg like /(?i)timeout/')).toEqual(['1', '4'])
    expect(ids('msg like /timeout/')).toEqual([])
  })

  it('not like and not ... like exclude matches', () => {
    expect(ids('msg not like /(?i)timeout/')).toEqual(['2', '3'])
    expect(ids('not msg like "o"')).toEqual(['4'])
  })

  it('a missing field never matches like', () => {
    expect(ids('nosuch like /.*/')).toEqual([])
  })

  it('ispresent(field) and not ispresent(field)', () => {
    expect(ids('ispresent(status)')).toEqual(['1', '2', '3'])
    expect(ids('not ispresent(status)')).toEqual(['4'])
    expect(ids('ispresent(status) and status >= 400')).toEqual(['1', '2'])
  })

  it('toMillis(@timestamp) compares epoch milliseconds, half-open bounds included', () => {
    const at = [T0 + 999, T0 + 1000, T0 + 1999, T0 + 2000].map((timestamp) =>
      json({ status: 500 }, { timestamp }),
    )
    const kept = records(
      `filter toMillis(@timestamp) >= ${T0 + 1000} and toMillis(@timestamp) < ${T0 + 2000} | fields @timestamp`,
      at,
    )
    expect(kept.map((row) => row['@timestamp'])).toEqual([
      formatTimestamp(T0 + 1000),
      formatTimestamp(T0 + 1999),
    ])
    // Not a timestamp: no value, so the comparison is false.
    expect(run('filter toMillis(status) >= 0', at).rows).toEqual([])
  })

  it('rejects an invalid regular expression', () => {
    expect(errorOf('filter msg like /a(/').message).toMatch(/Invalid regular expression \/a\(\//)
  })

  it.each(['strcontains(@message, "x")', 'isempty(status)', 'isblank(status)', 'tolower(msg) = "ok"'])(
    'rejects the function in %s, naming it',
    (condition) => {
      const name = condition.slice(0, condition.indexOf('('))
      const error = errorOf(`filter ${condition}`)
      expect(error.message).toContain(`Unsupported function "${name}" in filter`)
      expect(error.message).toContain('ispresent')
    },
  )
})

describe('sort', () => {
  it('sorts ascending, descending, and ascending when no direction is given', () => {
    const events = [json({ n: '10' }), json({ n: '9' }), json({ n: '100' })]
    expect(column('fields n | sort n asc', events, 'n')).toEqual(['9', '10', '100'])
    expect(column('fields n | sort n desc', events, 'n')).toEqual(['100', '10', '9'])
    expect(column('fields n | sort n', events, 'n')).toEqual(['9', '10', '100'])
  })

  it('follows the documented natural order: non-numbers first, then numbers; digit runs by length', () => {
    const values = [
      '0',
      'a12345hfh',
      '@_',
      '5A',
      '111A',
      '2345_',
      '1',
      'A',
      '#',
      '!:',
      '*%04',
      '0#',
      '@',
      'A9876fghj',
    ]
    const events = values.map((v) => json({ v }))
    expect(column('fields v | sort v asc', events, 'v')).toEqual([
      '!:',
      '#',
      '*%04',
      '0#',
      '5A',
      '111A',
      '2345_',
      '@',
      '@_',
      'A',
      'A9876fghj',
      'a12345hfh',
      '0',
      '1',
    ])
  })

  it('sorts @timestamp by time, and keeps input order for ties', () => {
    const a = event('a', { timestamp: T0 + 2000 })
    const b = event('b', { timestamp: T0 })
    const c = event('c', { timestamp: T0 + 2000 })
    expect(column('sort @timestamp desc', [a, b, c], '@message')).toEqual(['a', 'c', 'b'])
    expect(column('sort @timestamp asc', [a, b, c], '@message')).toEqual(['b', 'a', 'c'])
  })

  it('sorts by several keys', () => {
    const events = [
      json({ g: 'x', n: 2 }),
      json({ g: 'y', n: 1 }),
      json({ g: 'x', n: 3 }),
      json({ g: 'y', n: 5 }),
    ]
    const rows = records('fields g, n | sort g asc, n desc', events).map((r) => `${r.g}${r.n}`)
    expect(rows).toEqual(['x3', 'x2', 'y5', 'y1'])
  })

  it('puts rows without the field last in both directions', () => {
    const events = [json({ id: 'none' }), json({ id: 'one', n: 1 }), json({ id: 'two', n: 2 })]
    expect(column('fields id | sort n asc', events, 'id')).toEqual(['one', 'two', 'none'])
    expect(column('fields id | sort n desc', events, 'id')).toEqual(['two', 'one', 'none'])
  })

  it('rejects functions and uppercase keywords', () => {
    expect(errorOf('sort tolower(a)').message).toMatch(/Unsupported function "tolower" in sort/)
    expect(errorOf('sort @timestamp DESC').message).toMatch(/found "DESC" \(keywords are lowercase\)/)
  })
})

describe('limit', () => {
  const events = Array.from({ length: 5 }, (_, i) => json({ i }))

  it('keeps the first N rows, exposes N, and still counts every match', () => {
    const query = compileQuery('fields i | sort i desc | limit 2')
    expect(query.limit).toBe(2)
    const output = query.run(events)
    expect(output.rows.map(record).map((r) => r.i)).toEqual(['4', '3'])
    expect(output.recordsMatched).toBe(5)
    expect(output.recordsScanned).toBe(5)
  })

  it('has no limit property when the query sets none', () => {
    const query = compileQuery('fields i')
    expect(query.limit).toBeUndefined()
    expect('limit' in query).toBe(false)
  })

  it('exposes the smallest of several limits', () => {
    expect(compileQuery('limit 50 | sort i | limit 3').limit).toBe(3)
  })

  it(`caps the rows at ${DEFAULT_LIMIT} without a limit, but not the statistics`, () => {
    const many = Array.from({ length: DEFAULT_LIMIT + 5 }, (_, i) => event(`m${i}`))
    const output = run('fields @message', many)
    expect(output.rows).toHaveLength(DEFAULT_LIMIT)
    expect(output.recordsMatched).toBe(DEFAULT_LIMIT + 5)
    expect(run('fields @message | limit 10003', many).rows).toHaveLength(10_003)
  })

  it.each(['limit 0', 'limit 100001', 'limit 1.5', 'limit -1', 'limit', 'limit x'])('rejects %s', (query) => {
    expect(() => compileQuery(query)).toThrow(MalformedQueryError)
  })

  it('accepts the maximum limit 100000', () => {
    expect(compileQuery('limit 100000').limit).toBe(100_000)
  })

  it('names limit any as unsupported', () => {
    expect(errorOf('limit any 10').message).toMatch(/Unsupported "limit any"/)
  })

  it('rejects filter or stats after limit', () => {
    expect(errorOf('limit 5 | filter a = 1').message).toMatch(/filter after limit/)
    expect(errorOf('limit 5 | stats count(*)').message).toMatch(/stats after limit/)
  })
})

describe('stats', () => {
  const events = [
    access('r1', '502', { latency: 100 }),
    access('r2', '502', { latency: 300 }),
    access('r3', '404', { latency: 50, httpMethod: 'POST' }),
    access('r4', '200', { latency: 'n/a' }),
    json({ requestId: 'r5', latency: 7 }),
  ]

  it('counts by a field, with count(*) as the default column name and no @ptr', () => {
    const output = run('filter status >= 400 | stats count(*) by status', events)
    expect(output.rows).toEqual([
      [
        { field: 'status', value: '502' },
        { field: 'count(*)', value: '2' },
      ],
      [
        { field: 'status', value: '404' },
        { field: 'count(*)', value: '1' },
      ],
    ])
    expect(output.recordsMatched).toBe(3)
    expect(output.recordsScanned).toBe(5)
  })

  it('count(field) counts records having the field; aliases name columns', () => {
    expect(records('stats count(*) as n, count(status) as withStatus', events)).toEqual([
      { n: '5', withStatus: '4' },
    ])
    expect(records('stats count(status)', events)).toEqual([{ 'count(status)': '4' }])
  })

  it('sum, min, max and avg use the numeric values only', () => {
    expect(records('stats sum(latency), min(latency), max(latency), avg(latency) as mean', events)).toEqual([
      { 'sum(latency)': '457', 'min(latency)': '7', 'max(latency)': '300', mean: '114.25' },
    ])
  })

  it('leaves out sum/min/max/avg for a group with no numeric value', () => {
    expect(records('filter requestId = "r4" | stats count(*), sum(latency)', events)).toEqual([
      { 'count(*)': '1' },
    ])
  })

  it('groups by several fields; a missing group value is left out of its row', () => {
    expect(records('stats count(*) by status, httpMethod', events)).toEqual([
      { status: '502', httpMethod: 'GET', 'count(*)': '2' },
      { status: '404', httpMethod: 'POST', 'count(*)': '1' },
      { status: '200', httpMethod: 'GET', 'count(*)': '1' },
      { 'count(*)': '1' },
    ])
  })

  it('counts REST and HTTP API lines by route: an absent by field is left out of its group, not "null"', () => {
    // REST access logs carry resourcePath, HTTP API ones routeKey; the action counts requests per
    // route with `by httpMethod, resourcePath, routeKey` over either. A JSON null is absent too, and
    // the string "null" is a value of its own.
    const rest = json({ httpMethod: 'GET', resourcePath: '/items', status: 502 })
    const httpApi = json({ httpMethod: 'POST', routeKey: 'POST /orders', status: 503 })
    const nullRoute = json({ httpMethod: 'GET', routeKey: null })
    const nullText = json({ httpMethod: 'GET', routeKey: 'null' })
    const output = run('stats count(*) as requests by httpMethod, resourcePath, routeKey', [
      rest,
      httpApi,
      rest,
      nullRoute,
      httpApi,
      nullText,
      rest,
    ])
    expect(output.rows).toEqual([
      [
        { field: 'httpMethod', value: 'GET' },
        { field: 'resourcePath', value: '/items' },
        { field: 'requests', value: '3' },
      ],
      [
        { field: 'httpMethod', value: 'POST' },
        { field: 'routeKey', value: 'POST /orders' },
        { field: 'requests', value: '2' },
      ],
      [
        { field: 'httpMethod', value: 'GET' },
        { field: 'requests', value: '1' },
      ],
      [
        { field: 'httpMethod', value: 'GET' },
        { field: 'routeKey', value: 'null' },
        { field: 'requests', value: '1' },
      ],
    ])
    expect(output.recordsMatched).toBe(7)
  })

  it('bin(5m) rounds @timestamp down and names the column bin(5m)', () => {
    const at = (ms: number) => event('x', { timestamp: ms })
    const binned = [at(T0 + 1), at(T0 + 299_999), at(T0 + 300_000), at(T0 - 1)]
    const output = run('stats count(*) by bin(5m)', binned)
    expect(output.rows).toEqual([
      [
        { field: 'bin(5m)', value: '2026-08-21 10:00:00.000' },
        { field: 'count(*)', value: '2' },
      ],
      [
        { field: 'bin(5m)', value: '2026-08-21 10:05:00.000' },
        { field: 'count(*)', value: '1' },
      ],
      [
        { field: 'bin(5m)', value: '2026-08-21 09:55:00.000' },
        { field: 'count(*)', value: '1' },
      ],
    ])
  })

  it.each([
    ['30s', '2026-08-21 10:17:30.000'],
    ['1h', '2026-08-21 10:00:00.000'],
    ['1d', '2026-08-21 00:00:00.000'],
    ['250ms', '2026-08-21 10:17:42.250'],
  ])('bin(%s)', (period, expected) => {
    const e = event('x', { timestamp: T0 + 17 * 60_000 + 42_345 })
    expect(records(`stats count(*) by bin(${period})`, [e])).toEqual([
      { [`bin(${period})`]: expected, 'count(*)': '1' },
    ])
  })

  it('aliases a group key and combines bin with a field', () => {
    const e = [access('r1', '502'), access('r2', '502')]
    expect(records('stats count(*) as n by bin(1h) as hour, status', e)).toEqual([
      { hour: '2026-08-21 10:00:00.000', status: '502', n: '2' },
    ])
  })

  it('lets filter, sort and display work on the groups afterwards', () => {
    const q =
      'stats count(*) as n by status | filter n >= 1 and ispresent(status) | sort n desc, status asc | display status'
    expect(run(q, events).rows).toEqual([
      [{ field: 'status', value: '502' }],
      [{ field: 'status', value: '200' }],
      [{ field: 'status', value: '404' }],
    ])
    expect(run(q, events).recordsMatched).toBe(5)
  })

  it('gives no rows when no record is aggregated', () => {
    const output = run('filter status = 999 | stats count(*)', events)
    expect(output.rows).toEqual([])
    expect(output.recordsMatched).toBe(0)
  })

  it.each([
    'count_distinct(status)',
    'pct(latency, 95)',
    'stddev(latency)',
    'earliest(@timestamp)',
    'sortsFirst(a)',
  ])('rejects the aggregation %s, naming it', (aggregation) => {
    const name = aggregation.slice(0, aggregation.indexOf('('))
    const error = errorOf(`stats ${aggregation}`)
    expect(error.message).toContain(`Unsupported function "${name}" in stats`)
    expect(error.message).toContain('count, sum, min, max, avg')
  })

  it('rejects other functions in by', () => {
    expect(errorOf('stats count(*) by datefloor(@timestamp, 1h)').message).toMatch(
      /Unsupported function "datefloor"/,
    )
  })

  it.each([
    ['stats count(*) by bin(1mo)', /Unsupported bin period "1mo"/],
    ['stats count(*) by bin(5)', /Unsupported bin period "5"/],
    ['stats count(*) by bin(0m)', /Unsupported bin period "0m"/],
    ['stats sum(*)', /sum\(\*\) is not valid/],
    ['stats count()', /count\(\) needs an argument/],
    ['stats status', /Expected an aggregation such as count\(\*\)/],
    ['stats count(*) | stats count(*)', /one stats command/],
    ['stats count(*) by', /Expected a field name/],
  ])('rejects %s', (query, message) => {
    expect(errorOf(query).message).toMatch(message)
  })
})

describe('display', () => {
  const e = access('r1', '502')

  it('picks the output fields, in its order, with @ptr', () => {
    expect(run('fields @timestamp, @message | display status, requestId', [e]).rows).toEqual([
      [
        { field: 'status', value: '502' },
        { field: 'requestId', value: 'r1' },
        { field: '@ptr', value: e.ptr },
      ],
    ])
  })

  it('only the last display counts, and later filters still see every field', () => {
    const other = access('r2', '200')
    expect(
      records('display status | filter httpMethod = "GET" and status > 300 | display requestId', [e, other]),
    ).toEqual([{ requestId: 'r1', '@ptr': e.ptr }])
  })
})

describe('tokens: strings, comments, pipes', () => {
  it('does not treat # or | inside strings and regexes as comments or pipes', () => {
    const events = [json({ id: '1', msg: 'a #1 | b' }), json({ id: '2', msg: 'other' })]
    expect(column('fields id | filter msg like "#1 | b"', events, 'id')).toEqual(['1'])
    expect(column('fields id | filter msg like /#1 \\| b/', events, 'id')).toEqual(['1'])
  })

  it('decodes escaped quotes in strings', () => {
    const e = [json({ q: 'say "hi"' }), json({ q: "it's" })]
    expect(column('fields q | filter q = "say \\"hi\\""', e, 'q')).toEqual(['say "hi"'])
    expect(column("fields q | filter q = 'it\\'s'", e, 'q')).toEqual(["it's"])
  })

  it('counts bytesScanned in UTF-8 and accepts any iterable', () => {
    function* events() {
      yield event('é') // 2 bytes
      yield event('€') // 3 bytes
      yield event('😀') // 4 bytes
    }
    const output = compileQuery('filter @message = "x"').run(events())
    expect(output).toEqual({ rows: [], recordsMatched: 0, recordsScanned: 3, bytesScanned: 9 })
  })

  it('can run the same compiled query twice', () => {
    const query = compileQuery('filter status >= 400 | stats count(*)')
    const e = [access('r1', '500')]
    expect(query.run(e).rows).toEqual(query.run(e).rows)
  })
})

describe('parse errors carry a message and the character offset', () => {
  it.each([
    ['fields @message | filter msg = "abc', /Unterminated string \(missing closing "\) at offset 31/, 31],
    ['filter msg like /abc', /Unterminated regular expression .* at offset 16/, 16],
    ['fields `abc', /Unterminated backticked field name .* at offset 7/, 7],
    [
      'filter status >=',
      /Expected a field, a number or a "string" in filter but found the end of the query at offset 16/,
      16,
    ],
    [
      'filter status >= 400 400',
      /Expected "\|" or the end of the filter command but found "400" at offset 21/,
      21,
    ],
    ['filter status', /Expected a comparison .* after "status" but found the end of the query/, 13],
    ['filter (status = 1', /Expected "\)" to close "\("/, 18],
    ['filter status = 1 AND a = 2', /found "AND" \(keywords are lowercase\) at offset 18/, 18],
    ['filter status == 500', /Unsupported operator "==" \(comparisons use "="\) at offset 14/, 14],
    ['filter status = true', /Unsupported literal true/, 16],
    ['fields a $ b', /Unexpected character "\$" at offset 9/, 9],
    ['fields a || filter b = 1', /Empty command .* at offset 10/, 10],
    ['fields a |', /Empty command .* before the end of the query at offset 10/, 10],
    ['fields', /Expected a field name in fields but found the end of the query/, 6],
    ['fields as', /Expected a field name in fields but found "as"/, 7],
    ['filter a in 1', /Expected "\[" to start the list/, 12],
    ['filter a like 5', /Expected a \/regex\/ or a "string" after like/, 14],
    ['"error"', /Expected a command .* but found "\\"error\\""/, 0],
    ['fields ``', /Empty backticked field name/, 7],
  ])('%s', (query, message, offset) => {
    const error = errorOf(query)
    expect(error.message).toMatch(message)
    expect(error.location?.startCharOffset).toBe(offset)
  })

  it.each(['', '   \n  ', '# only a comment'])('rejects an empty query %j', (query) => {
    expect(errorOf(query).message).toMatch(/The query is empty/)
  })
})

describe('unsupported commands are named, never ignored', () => {
  it.each([
    ['parse', 'parse @message "* [*] *" as a, b, c'],
    ['dedup', 'fields @message | dedup requestId'],
    ['unnest', 'unnest items into item'],
    ['lookup', 'lookup users userId OUTPUT name'],
    ['join', 'join x on a = b'],
    ['anomaly', 'stats count(*) by bin(5m) | anomaly'],
    ['pattern', 'pattern @message'],
    ['diff', 'fields @message | diff'],
    ['unmask', 'unmask(@message)'],
    ['filterIndex', 'filterIndex requestId = "r1"'],
    ['SOURCE', "SOURCE logGroups(namePrefix: ['/aws']) | fields @message"],
    ['addtotals', 'stats count(*) by status | addtotals'],
  ])('%s', (command, query) => {
    const error = errorOf(query)
    expect(error.message).toContain(`Unsupported command "${command}"`)
    expect(error.message).toContain('the emulator implements fields, filter, sort, limit, stats, display')
    expect(error.message).not.toContain('not a Logs Insights QL command')
    expect(query.slice(error.location?.startCharOffset, error.location?.endCharOffset)).toBe(command)
  })

  it('names unknown words too, and says they are not Insights commands', () => {
    expect(errorOf('fields a | select b').message).toMatch(
      /Unsupported command "select" .*not a Logs Insights QL command either\) at offset 11/,
    )
  })

  it('asks for lowercase when a supported command is written in capitals', () => {
    expect(errorOf('FIELDS @message').message).toMatch(
      /Unsupported command "FIELDS" .*commands are lowercase/,
    )
  })
})
