/**
 * What a query string says about its rows, read without running it: whether each row is one log
 * record or an aggregate, whether the rows carry `@timestamp`, which column counts the records, and
 * where its commands sit in the text (for query-rewrite.ts). Logs Insights QL, OpenSearch SQL and
 * OpenSearch PPL are each read far enough for that; quoted strings, backquoted names, regexes and
 * comments are masked first, so a keyword or a `|` inside them is never taken for a command.
 */
import type { QueryLanguage } from './types.js'

/** What the query string says about its rows. */
export interface QueryShape {
  language: QueryLanguage
  /**
   * One row per matching log record (no `stats`, `dedup`, GROUP BY, …): then fewer rows than
   * `statistics.recordsMatched` means rows are missing. False: the rows are aggregates, and the run
   * counts records, not rows (see aggregate.ts).
   */
  records: boolean
  /** The query has its own row limit (`limit`, SQL `LIMIT`, PPL `head`): the user asked for that many rows. */
  userLimit: boolean
  /** Rows may be fetched in time slices and merged: a record query without its own limit that returns @timestamp. */
  splittable: boolean
  /**
   * Pass StartQuery's `limit` (up to 100,000). Only for Logs Insights QL: "100,000 limit is only
   * supported for Logs Insights QL and is currently not supported for PPL and SQL" (StartQuery doc).
   */
  passLimit: boolean
  /** `sort @timestamp desc`: when rows run out, the newest parts go first. */
  newestFirst: boolean
  /**
   * The rows, as the query is written, carry `@timestamp` (a record query only). Insights returns
   * only the fields a query names, plus `@ptr`.
   */
  returnsTimestamp: boolean
  /**
   * The aggregate column that counts every matching record (`count(*)`, `count()`, SQL `COUNT(*)`),
   * when one can be identified and nothing after the aggregation drops or cuts its rows.
   */
  countColumn?: string
}

/**
 * Logs Insights QL commands whose rows are not one per matching record: aggregations (`stats`),
 * `dedup` (one row per key), and the newer commands that reshape results (`pattern`, `anomaly`,
 * `diff`, `unnest`, `join`; aws/agent-toolkit-for-aws cloudwatch/log-insights.md lists them).
 */
const CWLI_NON_RECORD = new Set(['stats', 'dedup', 'pattern', 'anomaly', 'diff', 'unnest', 'join'])

/**
 * PPL commands whose rows are not one per record (OpenSearch PPL command reference): `stats`, `top`
 * and `rare` aggregate, `dedup` keeps one row per key, `patterns`, `trendline`, `join`, `lookup` and
 * `expand` reshape rows. `eventstats` adds a column to each record and keeps the records.
 */
const PPL_NON_RECORD = new Set([
  'stats',
  'top',
  'rare',
  'dedup',
  'patterns',
  'trendline',
  'join',
  'lookup',
  'expand',
])

/** SQL aggregate functions (OpenSearch SQL, CWL_AnalyzeLogData_SQL's aggregate function list). */
const SQL_AGGREGATES =
  /\b(count|sum|avg|min|max|stddev\w*|var_\w+|variance|percentile\w*|approx_\w+|collect_\w+|count_if|bool_and|bool_or|every|any_value|first|last|mode|median|max_by|min_by)\s*\(/i

export function analyseQuery(queryString: string, language: QueryLanguage): QueryShape {
  if (language === 'SQL') return analyseSql(queryString)
  if (language === 'PPL') return analysePiped(queryString, PPL)
  return analysePiped(queryString, CWLI)
}

/** A `|`-separated command: its first word and where its text is in the query string. */
export interface Command {
  /** Lower case. */
  name: string
  /** Offset of the command's first word. */
  start: number
  /** Offset just after the command's last non-blank, non-comment character. */
  end: number
  /** The command's text with literals masked (same length as the source span). */
  masked: string
}

/** The `|`-separated commands of a Logs Insights QL or PPL query, with literals masked. */
export function splitCommands(queryString: string, language: QueryLanguage = 'CWLI'): Command[] {
  const masked = maskLiterals(queryString, language)
  const commands: Command[] = []
  let from = 0
  for (let at = 0; at <= masked.length; at++) {
    if (at < masked.length && masked[at] !== '|') continue
    const text = masked.slice(from, at)
    const lead = text.length - text.trimStart().length
    const body = text.trim()
    if (body !== '') {
      const name = /^([A-Za-z_]+)/.exec(body)?.[1]?.toLowerCase() ?? ''
      commands.push({ name, start: from + lead, end: from + lead + body.length, masked: body })
    }
    from = at + 1
  }
  return commands
}

/** The first word of each `|`-separated command, lower case, with strings and comments removed. */
export function commandNames(queryString: string): string[] {
  return splitCommands(queryString)
    .map((command) => command.name)
    .filter((name) => name !== '')
}

/** How a piped language (Logs Insights QL, PPL) says what its rows are. */
interface PipedLanguage {
  language: 'CWLI' | 'PPL'
  /** Commands whose rows are not log records (aggregates, patterns, joins). */
  nonRecord: ReadonlySet<string>
  /** The command that caps the rows (`limit`, `head`). */
  limitCommand: string
  passLimit: boolean
  /** A `sort` command that puts the newest first. */
  newestFirst: RegExp
  returnsTimestamp: (queryString: string, commands: readonly Command[], records: boolean) => boolean
  countColumn: (queryString: string, commands: readonly Command[], records: boolean) => string | undefined
}

/** Logs Insights QL: `limit` caps, `sort @timestamp desc` is newest first; only aggregates have a count column. */
const CWLI: PipedLanguage = {
  language: 'CWLI',
  nonRecord: CWLI_NON_RECORD,
  limitCommand: 'limit',
  passLimit: true,
  newestFirst: /^sort\s+(@timestamp|`@timestamp`)\s+desc\b/i,
  returnsTimestamp: (queryString, commands, records) =>
    records && cwliReturnsTimestamp(queryString, commands),
  countColumn: (queryString, commands, records) =>
    records ? undefined : cwliCountColumn(queryString, commands),
}

/** OpenSearch PPL: `head` caps, StartQuery's limit is not passed, `sort - @timestamp` is newest first. */
const PPL: PipedLanguage = {
  language: 'PPL',
  nonRecord: PPL_NON_RECORD,
  limitCommand: 'head',
  passLimit: false,
  newestFirst: /^sort\s+-\s*`?@timestamp`?/i,
  returnsTimestamp: pplReturnsTimestamp,
  countColumn: (queryString, commands) => pplCountColumn(queryString, commands),
}

/** The shape of a piped query, read from its commands. */
function analysePiped(queryString: string, piped: PipedLanguage): QueryShape {
  const commands = splitCommands(queryString, piped.language)
  const names = commands.map((command) => command.name)
  const records = !names.some((name) => piped.nonRecord.has(name))
  const userLimit = names.includes(piped.limitCommand)
  const returnsTimestamp = piped.returnsTimestamp(queryString, commands, records)
  const shape: QueryShape = {
    language: piped.language,
    records,
    userLimit,
    splittable: records && !userLimit && returnsTimestamp,
    passLimit: piped.passLimit,
    newestFirst: commands.some(
      (command) =>
        command.name === 'sort' && piped.newestFirst.test(queryString.slice(command.start, command.end)),
    ),
    returnsTimestamp,
  }
  const countColumn = piped.countColumn(queryString, commands, records)
  if (countColumn !== undefined) shape.countColumn = countColumn
  return shape
}

/**
 * Whether the rows carry `@timestamp`: the last `display` names it, or (no display) a `fields`
 * names it, or the query has neither and gets the default columns (`@timestamp`, `@message`).
 */
function cwliReturnsTimestamp(queryString: string, commands: readonly Command[]): boolean {
  const display = commands.filter((command) => command.name === 'display').at(-1)
  if (display) return listItems(queryString, display, 'display').some((item) => item === '@timestamp')
  const fields = commands.filter((command) => command.name === 'fields')
  if (fields.length === 0) return true
  return fields.some((command) =>
    listItems(queryString, command, 'fields').some((item) => outputName(item) === '@timestamp'),
  )
}

/** The comma-separated items after a command's first word, from the source text, trimmed. */
export function listItems(queryString: string, command: Command, keyword: string): string[] {
  const offset = command.start + keyword.length
  const items: string[] = []
  let depth = 0
  let from = offset
  const masked = command.masked
  for (let i = keyword.length; i <= masked.length; i++) {
    const char = masked[i]
    if (char === '(' || char === '[') depth += 1
    else if (char === ')' || char === ']') depth -= 1
    if (i === masked.length || (char === ',' && depth === 0)) {
      const source = queryString.slice(from, command.start + i)
      const text = stripComment(source).trim()
      if (text !== '') items.push(text)
      from = command.start + i + 1
    }
  }
  return items
}

/** `x as y` → `y`; `` `@timestamp` `` → `@timestamp`. */
function outputName(item: string): string {
  const alias = /\s+as\s+(\S+)$/i.exec(item)?.[1]
  return unquote(alias ?? item)
}

function unquote(name: string): string {
  return name.length >= 2 && name.startsWith('`') && name.endsWith('`') ? name.slice(1, -1) : name
}

function stripComment(text: string): string {
  const hash = text.indexOf('#')
  return hash === -1 ? text : text.slice(0, hash)
}

/**
 * The `count(*)`/`count()` column of the query's one `stats`, when only `sort` follows it (a
 * `filter`, `limit` or second `stats` after it means its rows no longer add up to the records).
 */
function cwliCountColumn(queryString: string, commands: readonly Command[]): string | undefined {
  const stats = commands.filter((command) => command.name === 'stats')
  if (
    stats.length !== 1 ||
    commands.some((command) => CWLI_NON_RECORD.has(command.name) && command.name !== 'stats')
  )
    return undefined
  const index = commands.indexOf(stats[0] as Command)
  if (!commands.slice(index + 1).every((command) => command.name === 'sort')) return undefined
  const stat = stats[0] as Command
  const byAt = /\sby\s/i.exec(stat.masked)?.index
  const aggregations = listItems(
    queryString,
    {
      ...stat,
      masked: byAt === undefined ? stat.masked : stat.masked.slice(0, byAt),
      end: stat.start + (byAt ?? stat.masked.length),
    },
    'stats',
  )
  for (const aggregation of aggregations) {
    const match = /^count\s*\(\s*(\*?)\s*\)(?:\s+as\s+(\S+))?$/i.exec(aggregation)
    if (match) return match[2] !== undefined ? unquote(match[2]) : `count(${match[1]})`
  }
  return undefined
}

function analyseSql(queryString: string): QueryShape {
  const masked = maskLiterals(queryString, 'SQL')
  const selects = masked.match(/\bselect\b/gi)?.length ?? 0
  const records =
    selects === 1 &&
    !/\bgroup\s+by\b/i.test(masked) &&
    !/\bdistinct\b/i.test(masked) &&
    !/\b(join|union|intersect|except)\b/i.test(masked) &&
    !SQL_AGGREGATES.test(masked)
  const userLimit = /\blimit\b/i.test(masked)
  const list = sqlSelectList(queryString, masked)
  const returnsTimestamp =
    records && (list ?? []).some((item) => item === '*' || outputName(item) === '@timestamp')
  const shape: QueryShape = {
    language: 'SQL',
    records,
    userLimit,
    splittable: records && !userLimit && returnsTimestamp,
    passLimit: false,
    newestFirst: /\border\s+by\s+`?@timestamp`?\s+desc\b/i.test(
      maskLiterals(queryString, 'SQL', { keepNames: true }),
    ),
    returnsTimestamp,
  }
  if (!records && selects === 1 && !/\bhaving\b|\blimit\b/i.test(masked) && list !== undefined) {
    for (const item of list) {
      const match = /^count\s*\(\s*\*\s*\)(?:\s+(?:as\s+)?(\S+))?$/i.exec(item)
      if (match) {
        // Unaliased, Spark SQL (the dialect underneath, OpenSearch supported-directquery-sql) names it count(1).
        shape.countColumn = match[1] !== undefined ? unquote(match[1]) : 'count(1)'
        break
      }
    }
  }
  return shape
}

/** The items between SELECT and the top-level FROM, or undefined when there is no such list. */
function sqlSelectList(queryString: string, masked: string): string[] | undefined {
  const select = /\bselect\b/i.exec(masked)
  if (!select) return undefined
  const start = select.index + select[0].length
  const from = /\bfrom\b/i.exec(masked.slice(start))
  const end = from ? start + from.index : masked.length
  const command: Command = {
    name: 'select',
    start: select.index,
    end,
    masked: masked.slice(select.index, end),
  }
  return listItems(queryString, command, 'select').map((item) => item.replace(/^distinct\s+/i, ''))
}

/**
 * Whether the rows of a record query carry `@timestamp`: each `fields` command in turn keeps or
 * removes it.
 */
function pplReturnsTimestamp(queryString: string, commands: readonly Command[], records: boolean): boolean {
  let returnsTimestamp = records
  const fields = commands.filter((command) => command.name === 'fields')
  for (const command of fields) {
    const items = listItems(queryString, command, 'fields')
    const first = items[0] ?? ''
    // `fields - a, b` removes fields; `fields a, b` (or `fields + a, b`) keeps only those.
    if (first.startsWith('-')) {
      if ([first.slice(1).trim(), ...items.slice(1)].some((item) => unquote(item) === '@timestamp'))
        returnsTimestamp = false
    } else {
      returnsTimestamp = [first.replace(/^\+/, '').trim(), ...items.slice(1)].some(
        (item) => unquote(item) === '@timestamp',
      )
    }
  }
  return returnsTimestamp
}

/**
 * The `count()` column of the query's one `stats`, when it is the only command that does not return
 * records and only `sort` follows it.
 */
function pplCountColumn(queryString: string, commands: readonly Command[]): string | undefined {
  const stats = commands.filter((command) => command.name === 'stats')
  const statsAt = stats.length === 1 ? commands.indexOf(stats[0] as Command) : -1
  if (
    statsAt === -1 ||
    commands.filter((command) => PPL_NON_RECORD.has(command.name)).length !== 1 ||
    !commands.slice(statsAt + 1).every((command) => command.name === 'sort')
  ) {
    return undefined
  }
  const stat = stats[0] as Command
  const byAt = /\sby\s/i.exec(stat.masked)?.index
  const items = listItems(
    queryString,
    { ...stat, masked: byAt === undefined ? stat.masked : stat.masked.slice(0, byAt) },
    'stats',
  )
  for (const item of items) {
    const match = /^count\s*\(\s*\)(?:\s+as\s+(\S+))?$/i.exec(item)
    if (match) return match[1] !== undefined ? unquote(match[1]) : 'count()'
  }
  return undefined
}

/** What a masked literal's characters become: neither blank nor a word character, so it still counts as text. */
const MASK = '\u0000'

/**
 * The query with every character of quoted strings, backquoted names (unless `keepNames`), regex
 * literals (after `like`/`=~`, Logs Insights QL) replaced by MASK, and comments (`#` in Logs
 * Insights QL and PPL; `--` and `/* … *\/` in SQL) by spaces, newlines kept: the same length as the
 * query, so offsets in it are offsets in the query.
 */
export function maskLiterals(
  queryString: string,
  language: QueryLanguage = 'CWLI',
  options: { keepNames?: boolean } = {},
): string {
  const out: string[] = []
  let i = 0
  let previousWord = ''
  const blank = (from: number, to: number, by = ' ') => {
    for (let k = from; k < to; k++) out.push(queryString[k] === '\n' ? '\n' : by)
  }
  while (i < queryString.length) {
    const char = queryString[i] as string
    const literal = literalAt(queryString, i, language, previousWord)
    if (literal) {
      if (literal.kind === 'name' && options.keepNames) out.push(queryString.slice(i, literal.end))
      else blank(i, literal.end, literal.kind === 'comment' ? ' ' : MASK)
      i = literal.end
      if (literal.kind !== 'comment') previousWord = ''
      continue
    }
    if (/\s/.test(char)) {
      out.push(char)
      i += 1
      continue
    }
    const word = /^(=~|[A-Za-z_@.]+|.)/.exec(queryString.slice(i, i + 64))?.[0] ?? char
    previousWord = word.toLowerCase()
    out.push(word)
    i += word.length
  }
  return out.join('')
}

/**
 * The literal that starts at `i`, if one does — a quoted string, a backquoted name, a regex (after
 * `like`/`=~`, Logs Insights QL) or a comment — and the offset just after it.
 */
function literalAt(
  queryString: string,
  i: number,
  language: QueryLanguage,
  previousWord: string,
): { kind: 'string' | 'name' | 'regex' | 'comment'; end: number } | undefined {
  const char = queryString[i] as string
  if (char === '"' || char === "'") return { kind: 'string', end: skipQuoted(queryString, i, char) }
  if (char === '`') return { kind: 'name', end: skipQuoted(queryString, i, char) }
  if (language === 'CWLI' && char === '/' && (previousWord === 'like' || previousWord === '=~')) {
    return { kind: 'regex', end: skipQuoted(queryString, i, '/') }
  }
  const lineComment =
    (language !== 'SQL' && char === '#') || (language === 'SQL' && queryString.startsWith('--', i))
  if (lineComment) {
    let end = i
    while (end < queryString.length && queryString[end] !== '\n') end += 1
    return { kind: 'comment', end }
  }
  if (language === 'SQL' && queryString.startsWith('/*', i)) {
    const close = queryString.indexOf('*/', i + 2)
    return { kind: 'comment', end: close === -1 ? queryString.length : close + 2 }
  }
  return undefined
}

function skipQuoted(text: string, start: number, quote: string): number {
  let i = start + 1
  while (i < text.length) {
    if (text[i] === '\\') i += 2
    else if (text[i] === quote) return i + 1
    else i += 1
  }
  return text.length
}
