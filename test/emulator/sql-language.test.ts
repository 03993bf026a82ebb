import { describe, expect, it } from 'vitest'
import { parseSqlTimestamp } from './opensearch-values.js'
import { formatTimestamp, type LogEvent, MalformedQueryError, type ResultField } from './query-language.js'
import { compileSqlQuery, MAX_FROM_LOG_GROUPS } from './sql-language.js'

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
  return compileSqlQuery(query).run(events).rows.map(record)
}

function column(query: string, events: LogEvent[], field: string): (string | undefined)[] {
  return records(query, events).map((row) => row[field])
}

function errorOf(query: string): MalformedQueryError {
  try {
    compileSqlQuery(query)
  } catch (error) {
    expect(error).toBeInstanceOf(MalformedQueryError)
    return error as MalformedQueryError
  }
  throw new Error(`expected a MalformedQueryError for: ${query}`)
}

const FROM = `FROM \`${GROUP}\``

/** 502, 404, 200, 503, 200 with methods and byte counts */
function accessLog(): LogEvent[] {
  return [
    json({ status: 502, httpMethod: 'GET', bytes: 10, path: '/a' }),
    json({ status: 404, httpMethod: 'POST', bytes: 20, path: '/b' }),
    json({ status: 200, httpMethod: 'GET', bytes: 30, path: '/a' }),
    json({ status: 503, httpMethod: 'GET', bytes: 40, path: '/c' }),
    json({ status: 200, httpMethod: 'PUT', path: '/d' }),
  ]
}

describe('FROM', () => {
  it('names one backquoted log group, or up to 50 in logGroups(logGroupIdentifier: [...])', () => {
    expect(compileSqlQuery(`SELECT * ${FROM}`).logGroups).toEqual([GROUP])
    expect(
      compileSqlQuery("SELECT `@message` FROM `logGroups(logGroupIdentifier: ['a', 'b', 'a'])` AS lg")
        .logGroups,
    ).toEqual(['a', 'b'])
    const arn = `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:x`
    expect(compileSqlQuery(`SELECT * FROM \`logGroups(logGroupIdentifier: ['${arn}'])\``).logGroups).toEqual([
      arn,
    ])
    const many = Array.from({ length: MAX_FROM_LOG_GROUPS + 1 }, (_, i) => `'g${i}'`).join(', ')
    expect(errorOf(`SELECT * FROM \`logGroups(logGroupIdentifier: [${many}])\``).message).toMatch(
      /51 log groups; the limit is 50/,
    )
    expect(errorOf('SELECT * FROM `logGroups(logGroupIdentifier: [])`').message).toMatch(/names no log group/)
  })

  it('refuses the forms CloudWatch does not take and the selectors the emulator does not implement', () => {
    expect(errorOf("SELECT * FROM 'a', 'b'").message).toMatch(/not a quoted string/)
    expect(errorOf('SELECT * FROM `a`, `b`').message).toMatch(/Several log groups after FROM/)
    expect(errorOf("SELECT * FROM `filterIndex('region' = 'us-east-1')`").message).toMatch(
      /Unsupported source selector "filterIndex"/,
    )
    expect(errorOf('SELECT * FROM `a` AS A INNER JOIN `b` AS B ON A.id = B.id').message).toMatch(
      /JOIN is outside the emulator/,
    )
    expect(errorOf('SELECT * FROM (SELECT * FROM `a`)').message).toMatch(/Subqueries/)
    expect(errorOf('SELECT *').message).toMatch(/Expected FROM/)
  })

  it('lets the table alias qualify fields', () => {
    const rows = records(
      `SELECT A.status, A.\`@logStream\` AS s ${FROM} AS A WHERE A.status = 404`,
      accessLog(),
    )
    expect(rows).toEqual([{ status: '404', s: 'stream-a' }])
    expect(errorOf(`SELECT B.status ${FROM} AS A`).message).toMatch(/not the FROM clause's table alias/)
    expect(errorOf(`SELECT request.path ${FROM}`).message).toMatch(/need backquotes: `request.path`/)
  })
})

describe('SELECT', () => {
  it('projects fields and aliases in order, leaving out fields an event does not have; no @ptr', () => {
    const output = compileSqlQuery(`SELECT status, bytes AS size, \`@timestamp\` ${FROM}`).run(accessLog())
    expect(output.rows[0]).toEqual([
      { field: 'status', value: '502' },
      { field: 'size', value: '10' },
      { field: '@timestamp', value: formatTimestamp(T0 + (sequence - 4) * 1000) },
    ])
    expect(output.rows[4]?.map((f) => f.field)).toEqual(['status', '@timestamp'])
    expect(output.rows.flat().some((f) => f.field === '@ptr')).toBe(false)
    expect(errorOf(`SELECT \`@ptr\` ${FROM}`).message).toMatch(/@ptr is not a column/)
  })

  it('reads system fields, dotted JSON fields in backquotes, and keeps time order without ORDER BY', () => {
    const events = [
      json({ request: { path: '/x', id: 7 } }, { logStream: 's1' }),
      json({ request: { path: '/y' } }, { logStream: 's2' }),
    ]
    expect(
      records(`SELECT \`request.path\`, \`@log\`, \`@logStream\`, \`@message\` ${FROM}`, events),
    ).toEqual([
      {
        'request.path': '/x',
        '@log': `${ACCOUNT}:${GROUP}`,
        '@logStream': 's1',
        '@message': events[0]?.message,
      },
      {
        'request.path': '/y',
        '@log': `${ACCOUNT}:${GROUP}`,
        '@logStream': 's2',
        '@message': events[1]?.message,
      },
    ])
  })

  it('* gives @timestamp, @message, @logStream, @log and the JSON fields', () => {
    const [e] = [json({ status: 500, nested: { a: 1 } })]
    const rows = compileSqlQuery(`SELECT * ${FROM}`).run([e as LogEvent]).rows
    expect(rows[0]?.map((f) => f.field)).toEqual([
      '@timestamp',
      '@message',
      '@logStream',
      '@log',
      'status',
      'nested.a',
    ])
  })

  it('refuses functions, arithmetic, constants, DISTINCT and fields differing only in case', () => {
    expect(errorOf(`SELECT upper(httpMethod) ${FROM}`).message).toMatch(/Unsupported function "upper"/)
    expect(errorOf(`SELECT bytes + 1 ${FROM}`).message).toMatch(/no arithmetic/)
    expect(errorOf(`SELECT 1 ${FROM}`).message).toMatch(/constant/)
    expect(errorOf(`SELECT DISTINCT status ${FROM}`).message).toMatch(/DISTINCT is outside/)
    expect(errorOf(`SELECT status, Status ${FROM}`).message).toMatch(/differ only in case/)
    expect(errorOf(`SELECT @message ${FROM}`).message).toMatch(/need backquotes/)
  })
})

describe('WHERE', () => {
  const statuses = (where: string) => column(`SELECT status ${FROM} WHERE ${where}`, accessLog(), 'status')

  it('compares with numbers numerically and with strings as strings', () => {
    expect(statuses('status >= 500')).toEqual(['502', '503'])
    expect(statuses('status = 404')).toEqual(['404'])
    expect(statuses("status = '404'")).toEqual(['404'])
    expect(statuses('status != 200')).toEqual(['502', '404', '503'])
    expect(statuses('status <> 200 AND status < 500')).toEqual(['404'])
    expect(statuses('httpMethod = \'GET\' OR httpMethod = "PUT"')).toEqual(['502', '200', '503', '200'])
    // a number against text that is not a number is NULL, and NOT NULL is still NULL
    expect(column(`SELECT path ${FROM} WHERE path > 1`, accessLog(), 'path')).toEqual([])
    expect(column(`SELECT path ${FROM} WHERE NOT path > 1`, accessLog(), 'path')).toEqual([])
  })

  it('has AND, OR, NOT, parentheses, IN, NOT IN, LIKE, NOT LIKE, IS [NOT] NULL', () => {
    expect(statuses("(status = 200 OR status = 404) AND NOT httpMethod = 'PUT'")).toEqual(['404', '200'])
    expect(statuses('status IN (404, 503)')).toEqual(['404', '503'])
    expect(statuses('status NOT IN (200)')).toEqual(['502', '404', '503'])
    expect(statuses("path LIKE '/a%'")).toEqual(['502', '200'])
    expect(statuses("path LIKE '%c%'")).toEqual(['503'])
    expect(statuses("path LIKE '/_'")).toEqual(['502', '404', '200', '503', '200'])
    expect(statuses("path NOT LIKE '/a'")).toEqual(['404', '503', '200'])
    expect(statuses('bytes IS NULL')).toEqual(['200'])
    expect(statuses('bytes IS NOT NULL AND status > 400')).toEqual(['502', '404', '503'])
    // a missing field makes a comparison NULL: neither it nor its negation matches
    expect(statuses('bytes > 0 OR bytes <= 0')).toEqual(['502', '404', '200', '503'])
    expect(statuses('NOT (bytes > 0)')).toEqual([])
  })

  it("compares @timestamp with a 'YYYY-MM-DD HH:MM:SS[.fff]' UTC string and nothing else", () => {
    const events = [json({ n: 1 }, { timestamp: T0 }), json({ n: 2 }, { timestamp: T0 + 1500 })]
    const n = (where: string) => column(`SELECT n ${FROM} WHERE ${where}`, events, 'n')
    expect(n("`@timestamp` >= '2026-01-15 12:00:01'")).toEqual(['2'])
    expect(n("`@timestamp` < '2026-01-15 12:00:01.500'")).toEqual(['1'])
    expect(n("`@timestamp` >= '2026-01-15 12:00:00' AND `@timestamp` <= '2026-01-15 12:00:01.500'")).toEqual([
      '1',
      '2',
    ])
    expect(errorOf(`SELECT n ${FROM} WHERE \`@timestamp\` >= 1768478400000`).message).toMatch(
      /compares with a 'YYYY-MM-DD HH:MM:SS' \(UTC\) string/,
    )
    expect(errorOf(`SELECT n ${FROM} WHERE \`@timestamp\` >= '2026-01-15T12:00:00Z'`).message).toMatch(/UTC/)
    expect(parseSqlTimestamp('2026-02-30 00:00:00')).toBeUndefined()
    expect(parseSqlTimestamp('2026-01-15 12:00:00.5')).toBe(T0 + 500)
  })

  it('refuses what it does not implement, by name', () => {
    expect(errorOf(`SELECT * ${FROM} WHERE status BETWEEN 400 AND 599`).message).toMatch(/BETWEEN is outside/)
    expect(errorOf(`SELECT * ${FROM} WHERE status IN (SELECT status ${FROM})`).message).toMatch(/Subqueries/)
    expect(errorOf(`SELECT * ${FROM} WHERE COUNT(*) > 1`).message).toMatch(/not allowed in WHERE/)
    expect(errorOf(`SELECT * ${FROM} WHERE status = NULL`).message).toMatch(/use IS NULL/)
    expect(errorOf(`SELECT * ${FROM} WHERE status RLIKE '5..'`).message).toMatch(/RLIKE is outside/)
    expect(errorOf(`SELECT * ${FROM} WHERE status`).message).toMatch(/Expected a comparison/)
  })
})

describe('aggregates', () => {
  it('COUNT(*), COUNT(field), SUM, MIN, MAX, AVG grouped by fields, groups in first-seen order', () => {
    const output = compileSqlQuery(
      `SELECT httpMethod, COUNT(*) AS n, COUNT(bytes), SUM(bytes) AS total, MIN(status), MAX(status), AVG(bytes) ${FROM} GROUP BY httpMethod`,
    ).run(accessLog())
    expect(output.rows.map(record)).toEqual([
      {
        httpMethod: 'GET',
        n: '3',
        'count(bytes)': '3',
        total: '80',
        'min(status)': '200',
        'max(status)': '503',
        'avg(bytes)': String(80 / 3),
      },
      {
        httpMethod: 'POST',
        n: '1',
        'count(bytes)': '1',
        total: '20',
        'min(status)': '404',
        'max(status)': '404',
        'avg(bytes)': '20',
      },
      { httpMethod: 'PUT', n: '1', 'count(bytes)': '0', 'min(status)': '200', 'max(status)': '200' },
    ])
    expect(output.recordsMatched).toBe(5)
    expect(output.recordsScanned).toBe(5)
  })

  it('counts the records WHERE kept; without GROUP BY gives one row, 0 over no records', () => {
    const output = compileSqlQuery(`SELECT COUNT(*) ${FROM} WHERE status >= 500`).run(accessLog())
    expect(output.rows).toEqual([[{ field: 'count(1)', value: '2' }]])
    expect(output.recordsMatched).toBe(2)
    expect(records(`SELECT COUNT(*) AS n, SUM(bytes) AS s ${FROM} WHERE status > 900`, accessLog())).toEqual([
      { n: '0' },
    ])
  })

  it('HAVING filters groups on aliases and aggregates; ORDER BY sorts them; LIMIT cuts them', () => {
    const query = `SELECT status, COUNT(*) AS n ${FROM} GROUP BY status HAVING n > 1 OR COUNT(*) = 1 AND status >= 500 ORDER BY n DESC, status ASC LIMIT 2`
    expect(records(query, accessLog())).toEqual([
      { status: '200', n: '2' },
      { status: '502', n: '1' },
    ])
    expect(records(`SELECT status AS s, COUNT(*) AS n ${FROM} GROUP BY s ORDER BY s`, accessLog())).toEqual([
      { s: '200', n: '2' },
      { s: '404', n: '1' },
      { s: '502', n: '1' },
      { s: '503', n: '1' },
    ])
  })

  it('MIN and MAX of @timestamp are times, formatted as in rows', () => {
    const events = [
      json({ k: 'a' }, { timestamp: T0 + 2000 }),
      json({ k: 'a' }, { timestamp: T0 }),
      json({ k: 'b' }),
    ]
    expect(
      records(
        `SELECT k, MIN(\`@timestamp\`) AS first, MAX(\`@timestamp\`) AS last ${FROM} WHERE k = 'a' GROUP BY k`,
        events,
      ),
    ).toEqual([{ k: 'a', first: '2026-01-15 12:00:00.000', last: '2026-01-15 12:00:02.000' }])
    expect(errorOf(`SELECT SUM(\`@timestamp\`) ${FROM}`).message).toMatch(/MIN and MAX take times/)
  })

  it('groups records without the field under NULL, sorted first ascending', () => {
    const events = [json({ k: 'b' }), json({}), json({ k: 'a' }), json({})]
    expect(records(`SELECT k, COUNT(*) AS n ${FROM} GROUP BY k ORDER BY k`, events)).toEqual([
      { n: '2' },
      { k: 'a', n: '1' },
      { k: 'b', n: '1' },
    ])
  })

  it('refuses ungrouped fields, SELECT * with aggregates, HAVING without grouping', () => {
    expect(errorOf(`SELECT status, path, COUNT(*) ${FROM} GROUP BY status`).message).toMatch(
      /"path" in SELECT is neither in GROUP BY/,
    )
    expect(errorOf(`SELECT *, COUNT(*) ${FROM}`).message).toMatch(/SELECT \* cannot be combined/)
    expect(errorOf(`SELECT status ${FROM} HAVING status > 1`).message).toMatch(/HAVING needs GROUP BY/)
    expect(errorOf(`SELECT COUNT(*) ${FROM} ORDER BY path`).message).toMatch(/ORDER BY names "path"/)
    expect(errorOf(`SELECT SUM(*) ${FROM}`).message).toMatch(/only COUNT takes \*/)
    expect(errorOf(`SELECT COUNT(DISTINCT status) ${FROM}`).message).toMatch(/DISTINCT is outside/)
    expect(errorOf(`SELECT status ${FROM} GROUP BY 1`).message).toMatch(/ordinals/)
  })
})

describe('ORDER BY, LIMIT, statements', () => {
  it('sorts rows by fields or aliases, numbers by value, keeps ties in order, NULLs first ascending', () => {
    expect(column(`SELECT status, bytes ${FROM} ORDER BY bytes DESC`, accessLog(), 'bytes')).toEqual([
      '40',
      '30',
      '20',
      '10',
      undefined,
    ])
    expect(column(`SELECT bytes AS b ${FROM} ORDER BY b`, accessLog(), 'b')).toEqual([
      undefined,
      '10',
      '20',
      '30',
      '40',
    ])
    const times = column(
      `SELECT \`@timestamp\` ${FROM} ORDER BY \`@timestamp\` DESC`,
      accessLog(),
      '@timestamp',
    )
    expect(times).toEqual([...times].sort().reverse())
  })

  it('LIMIT keeps the first rows, statistics still count every match', () => {
    const output = compileSqlQuery(`SELECT status ${FROM} WHERE status >= 400 LIMIT 2`).run(accessLog())
    expect(output.rows.map(record)).toEqual([{ status: '502' }, { status: '404' }])
    expect(output.recordsMatched).toBe(3)
    expect(compileSqlQuery(`SELECT status ${FROM} LIMIT 2`).limit).toBe(2)
    expect(compileSqlQuery(`SELECT status ${FROM}`).limit).toBeUndefined()
  })

  it('keywords in any case, comments, one trailing semicolon; a second statement is refused', () => {
    expect(records(`select status from \`${GROUP}\` where status = 404 -- note\n;`, accessLog())).toEqual([
      { status: '404' },
    ])
    expect(errorOf(`SELECT status ${FROM}; SELECT path ${FROM}`).message).toMatch(/Multiple statements/)
    expect(errorOf('').message).toMatch(/empty/)
    expect(errorOf(`WITH x AS (SELECT 1) SELECT * FROM x`).message).toMatch(/WITH/)
  })

  it('locates errors with the offsets of the offending text', () => {
    const query = `SELECT status ${FROM} WHERE status BETWEEN 1 AND 2`
    const error = errorOf(query)
    expect(query.slice(error.location?.startCharOffset, error.location?.endCharOffset)).toBe('BETWEEN')
  })
})
