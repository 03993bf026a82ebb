/**
 * OpenSearch SQL as CloudWatch Logs runs it (StartQuery `queryLanguage: 'SQL'`), as the emulator
 * understands it. Same shape as query-language.ts: `compileSqlQuery(queryString)` →
 * `run(events)` → `{rows, recordsMatched, recordsScanned, bytesScanned}`, plus the log groups the
 * query's FROM clause names (for SQL they are not StartQuery parameters).
 *
 * Sources: CloudWatch Logs user guide "OpenSearch Structured Query Language (SQL)"
 * (CWL_AnalyzeLogData_SQL: command table, "Supported SQL for multi-log-group queries",
 * "Restrictions"), OpenSearch Service developer guide "Supported OpenSearch SQL commands and
 * functions" (supported-directquery-sql: "General SQL restrictions", "Additional information for
 * CloudWatch Logs Insights users"), the StartQuery / GetQueryResults API reference. The dialect
 * underneath is Spark SQL (the function tables are Spark's), so plain SQL semantics apply where
 * the CloudWatch pages are silent: three-valued logic with NULL, LIKE with `%`/`_`, one row for an
 * aggregate without GROUP BY.
 *
 * The subset is HONEST: whatever is outside it is a MalformedQueryError that names the clause,
 * function or operator, never a silent pass. What it holds:
 *
 * - `SELECT` a list of fields, `*`, `COUNT(*)`, `COUNT(field)`, `SUM|MIN|MAX|AVG(field)`, each with
 *   an optional alias (`AS name` or just `name`)
 * - `FROM` one backquoted log group name (`` FROM `LogGroupA` ``) or
 *   `` FROM `logGroups(logGroupIdentifier: ['a', 'b'])` `` (1 to 50 names or ARNs), with an
 *   optional table alias that may qualify fields (`A.status`, ``A.`@message` ``)
 * - `WHERE`: `= != <> < <= > >=`, `AND`, `OR`, `NOT`, parentheses, `[NOT] IN (...)`,
 *   `[NOT] LIKE '...'`, `IS [NOT] NULL`; string literals in '…' or "…", numbers
 * - `GROUP BY` fields (or select aliases of fields), `HAVING` over aggregates, their aliases and the
 *   grouped fields, `ORDER BY` fields, aliases or aggregates with `ASC`/`DESC`, `LIMIT n`, one
 *   trailing `;`
 * - fields `@timestamp`, `@message`, `@log`, `@logStream`, `@ingestionTime` and the fields of a
 *   JSON-object `@message` (dotted names such as `` `request.path` `` need backquotes: the docs
 *   require backquotes for any name with a character that is not a letter or digit)
 *
 * Choices where the service's behaviour is not documented (each is marked `CHOICE` below):
 * field names are case-sensitive (JSON keys are) and a query naming two fields that differ only in
 * case is refused (a documented restriction); rows carry no `@ptr` and `@ptr` cannot be selected;
 * `@timestamp` and `@ingestionTime` come out as Insights formats them (`2026-01-15 12:00:00.000`)
 * and compare only with a `'YYYY-MM-DD HH:MM:SS[.fff]'` string read as UTC; a number compared with
 * a field compares numerically when the field's value is a number and is NULL otherwise, two
 * fields compare numerically when both values are numbers; `MIN`/`MAX`/`SUM`/`AVG` take the
 * values that are numbers (`MIN`/`MAX` of `@timestamp` give a time); aggregate columns without an alias are named as Spark names them
 * (`count(1)` for `COUNT(*)`, `sum(bytes)`); `SELECT *` gives `@timestamp`, `@message`,
 * `@logStream`, `@log` and the JSON fields; NULLs sort first ascending and last descending
 * (Spark's default); rows keep the input (time) order when there is no ORDER BY; groups come
 * out in first-seen order.
 */

import {
  type Accumulator,
  type AggregateFunction,
  accumulate,
  type ComparisonOperator,
  type Condition,
  evaluateCondition,
  groupKey,
  Instant,
  type Literal,
  likePattern,
  NUMBER,
  newAccumulator,
  numericResult,
  parseSqlTimestamp,
  sortByKeys,
  TIME_FIELDS,
  text,
  type Value,
} from './opensearch-values.js'
import {
  discoverJsonFields,
  type LogEvent,
  MalformedQueryError,
  type QueryOutput,
  type ResultField,
} from './query-language.js'

// ─── public interface (the server depends on it) ────────────────────────────────────────────────

export interface CompiledSqlQuery {
  /** events are already restricted by the server to the FROM log groups and the time range */
  run(events: Iterable<LogEvent>): QueryOutput
  /** the LIMIT clause, if any */
  readonly limit?: number
  /** the log group names or ARNs the FROM clause names, in order, without repeats */
  readonly logGroups: readonly string[]
}

/**
 * SQL and PPL results stop at 10,000 rows with no nextToken (StartQuery `limit`: "100,000 limit is
 * only supported for Logs Insights QL and is currently not supported for PPL and SQL").
 */
export const SQL_MAX_ROWS = 10_000
/** "you can specify up to 50 log groups in the logGroupIdentifier parameter" (CWL_AnalyzeLogData_SQL). */
export const MAX_FROM_LOG_GROUPS = 50

export function compileSqlQuery(queryString: string): CompiledSqlQuery {
  const statement = new Parser(queryString, tokenize(queryString)).parseStatement()
  return new SqlQuery(statement)
}

// ─── tokenizer ──────────────────────────────────────────────────────────────────────────────────

type TokenKind = 'word' | 'number' | 'string' | 'quoted' | 'symbol' | 'invalid' | 'end'

interface Token {
  kind: TokenKind
  /** word/number/symbol: as written; string: decoded; quoted: the name; invalid: what is wrong */
  text: string
  raw: string
  start: number
  end: number
}

const TWO_CHAR_SYMBOLS = ['!=', '<>', '<=', '>=', '==', '||']
const ONE_CHAR_SYMBOLS = '(),*=<>;.+-/%'

function fail(message: string, start: number, end: number): never {
  throw new MalformedQueryError(`${message} at offset ${start}`, {
    startCharOffset: start,
    endCharOffset: Math.max(end, start),
  })
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  const push = (kind: TokenKind, tokenText: string, start: number): void => {
    tokens.push({ kind, text: tokenText, raw: source.slice(start, i), start, end: i })
  }
  while (i < source.length) {
    const c = source.charAt(i)
    const start = i
    if (/\s/.test(c)) {
      i++
    } else if (source.startsWith('--', i)) {
      // SQL line comment
      while (i < source.length && source.charAt(i) !== '\n') i++
    } else if (source.startsWith('/*', i)) {
      const close = source.indexOf('*/', i + 2)
      i = close < 0 ? source.length : close + 2
      if (close < 0) push('invalid', 'Unterminated comment (missing */)', start)
    } else if (c === "'" || c === '"') {
      // Spark SQL reads both '…' and "…" as string literals (the CloudWatch doc's own example:
      // `where lg1.field3= "Success"`); a backslash escapes the next character.
      const value = readQuoted(c, true)
      push(
        value === undefined ? 'invalid' : 'string',
        value ?? `Unterminated string (missing closing ${c})`,
        start,
      )
    } else if (c === '`') {
      // Backquoted identifiers; a doubled backquote stands for one.
      const name = readQuoted('`', false)
      if (name === undefined) push('invalid', 'Unterminated backquoted name (missing closing `)', start)
      else if (name === '') push('invalid', 'Empty backquoted name', start)
      else push('quoted', name, start)
    } else if (/\d/.test(c) || (c === '.' && /\d/.test(source.charAt(i + 1)))) {
      while (i < source.length && /[\d.]/.test(source.charAt(i))) i++
      if (/[eE]/.test(source.charAt(i)) && /[-+\d]/.test(source.charAt(i + 1))) {
        i += 2
        while (i < source.length && /\d/.test(source.charAt(i))) i++
      }
      const number = source.slice(start, i)
      push(
        NUMBER.test(number) ? 'number' : 'invalid',
        NUMBER.test(number) ? number : `Bad number ${number}`,
        start,
      )
    } else if (/[A-Za-z_]/.test(c)) {
      while (i < source.length && /[A-Za-z0-9_]/.test(source.charAt(i))) i++
      push('word', source.slice(start, i), start)
    } else if (TWO_CHAR_SYMBOLS.includes(source.slice(i, i + 2))) {
      i += 2
      push('symbol', source.slice(start, i), start)
    } else if (ONE_CHAR_SYMBOLS.includes(c)) {
      i++
      push('symbol', c, start)
    } else {
      i++
      const hint = c === '@' ? ' (names with @ need backquotes: `@timestamp`)' : ''
      push('invalid', `Unexpected character ${JSON.stringify(c)}${hint}`, start)
    }
  }
  tokens.push({ kind: 'end', text: '', raw: '', start: source.length, end: source.length })
  return tokens

  function readQuoted(quote: string, backslashEscapes: boolean): string | undefined {
    let value = ''
    i++
    while (i < source.length) {
      const ch = source.charAt(i)
      if (ch === quote) {
        if (!backslashEscapes && source.charAt(i + 1) === quote) {
          value += quote
          i += 2
          continue
        }
        i++
        return value
      }
      if (backslashEscapes && ch === '\\' && i + 1 < source.length) {
        value += source.charAt(i + 1)
        i += 2
      } else {
        value += ch
        i++
      }
    }
    return undefined
  }
}

// ─── AST ────────────────────────────────────────────────────────────────────────────────────────

interface Aggregate {
  fn: AggregateFunction
  /** undefined for COUNT(*) */
  field: string | undefined
  /** identity for sharing one accumulator between SELECT, HAVING and ORDER BY: `sum(bytes)` */
  key: string
  /** Spark's name for the column when there is no alias (`count(1)` for COUNT(*)) */
  defaultName: string
}

type Operand = Literal | FieldReference | AggregateReference

interface FieldReference {
  kind: 'field'
  name: string
  start: number
  end: number
}

interface AggregateReference {
  kind: 'aggregate'
  aggregate: Aggregate
}

type Expr = Condition<FieldReference | AggregateReference>

type SelectItem =
  | { kind: 'star' }
  | { kind: 'field'; field: string; column: string; aliased: boolean }
  | { kind: 'aggregate'; aggregate: Aggregate; column: string }

interface SortKey {
  operand: Operand
  descending: boolean
}

interface Statement {
  select: SelectItem[]
  logGroups: string[]
  where: Expr | undefined
  groupBy: string[]
  having: Expr | undefined
  orderBy: SortKey[]
  limit: number | undefined
  /** every aggregate the statement uses, by key */
  aggregates: Map<string, Aggregate>
}

// ─── parser ─────────────────────────────────────────────────────────────────────────────────────

const AGGREGATES: readonly string[] = ['count', 'sum', 'min', 'max', 'avg']
/** Words that end an expression or a list; never read as a field name or an implicit alias. */
const RESERVED = [
  'select',
  'from',
  'where',
  'group',
  'by',
  'having',
  'order',
  'limit',
  'and',
  'or',
  'not',
  'in',
  'like',
  'is',
  'null',
  'as',
  'asc',
  'desc',
]
/** SQL that CloudWatch runs but the emulator does not: named as such in the error. */
const UNSUPPORTED_CLAUSES: Record<string, string> = {
  join: 'JOIN',
  inner: 'JOIN',
  left: 'JOIN',
  right: 'JOIN',
  full: 'JOIN',
  cross: 'JOIN',
  outer: 'JOIN',
  union: 'UNION',
  intersect: 'INTERSECT',
  except: 'EXCEPT',
  minus: 'EXCEPT',
  with: 'WITH (common table expressions)',
  distinct: 'DISTINCT',
  offset: 'OFFSET',
  between: 'BETWEEN',
  exists: 'EXISTS',
  case: 'CASE',
  over: 'window functions (OVER)',
  lateral: 'LATERAL',
  pivot: 'PIVOT',
  unpivot: 'UNPIVOT',
  sort: 'SORT BY',
  cluster: 'CLUSTER BY',
  distribute: 'DISTRIBUTE BY',
  window: 'WINDOW',
  qualify: 'QUALIFY',
  rlike: 'RLIKE',
  regexp: 'REGEXP',
  ilike: 'ILIKE',
  escape: 'LIKE … ESCAPE',
  true: 'boolean literals',
  false: 'boolean literals',
  interval: 'INTERVAL',
  timestamp: 'typed literals (TIMESTAMP …)',
  date: 'typed literals (DATE …)',
  explain: 'EXPLAIN',
  tablesample: 'TABLESAMPLE',
  nulls: 'NULLS FIRST / NULLS LAST',
  rollup: 'ROLLUP',
  cube: 'CUBE',
  grouping: 'GROUPING SETS',
  all: 'ALL',
  any: 'ANY',
  some: 'SOME',
}
const IMPLEMENTED =
  'SELECT fields, *, COUNT/SUM/MIN/MAX/AVG; FROM one log group or logGroups(...); WHERE; GROUP BY; HAVING; ORDER BY; LIMIT'
const COMPARISON_SYMBOLS: Record<string, ComparisonOperator> = {
  '=': '=',
  '==': '=',
  '!=': '!=',
  '<>': '!=',
  '<': '<',
  '<=': '<=',
  '>': '>',
  '>=': '>=',
}
const ARITHMETIC = ['+', '-', '*', '/', '%', '||']

function describe(token: Token): string {
  return token.kind === 'end' ? 'the end of the query' : JSON.stringify(token.raw)
}

class Parser {
  private position = 0
  private tableAlias: string | undefined
  private readonly aggregates = new Map<string, Aggregate>()
  /** every field name the query mentions, to refuse names that differ only in case */
  private readonly fieldNames = new Map<string, { name: string; start: number; end: number }>()

  constructor(
    private readonly source: string,
    private readonly tokens: Token[],
  ) {}

  parseStatement(): Statement {
    if (this.peek().kind === 'end') fail('The query is empty', 0, this.source.length)
    const first = this.next()
    if (!this.isKeyword(first, 'select')) {
      const hint = this.isKeyword(first, 'with') ? ' (WITH is outside the emulator)' : ''
      this.unexpected(first, `SELECT${hint}`)
    }
    if (this.isKeyword(this.peek(), 'distinct')) this.unsupported(this.next())

    // The select list names fields before FROM declares the table alias: parse FROM first.
    const selectStart = this.position
    this.skipToKeyword('from')
    this.expectKeyword('from', 'FROM')
    const logGroups = this.parseFrom()
    const afterFrom = this.position
    this.position = selectStart
    const select = this.commaList(() => this.parseSelectItem())
    if (!this.isKeyword(this.peek(), 'from')) this.unexpected(this.peek(), '"," or FROM')
    this.position = afterFrom

    const statement: Statement = {
      select,
      logGroups,
      where: undefined,
      groupBy: [],
      having: undefined,
      orderBy: [],
      limit: undefined,
      aggregates: this.aggregates,
    }
    if (this.acceptKeyword('where')) statement.where = this.parseOr('WHERE')
    if (this.acceptKeyword('group')) {
      this.expectKeyword('by', 'BY after GROUP')
      statement.groupBy = this.commaList(() => this.parseGroupKey(select))
    }
    if (this.acceptKeyword('having')) statement.having = this.parseOr('HAVING')
    if (this.acceptKeyword('order')) {
      this.expectKeyword('by', 'BY after ORDER')
      statement.orderBy = this.commaList(() => this.parseSortKey())
    }
    if (this.acceptKeyword('limit')) statement.limit = this.parseLimit()

    const end = this.next()
    if (this.isSymbol(end, ';')) {
      const after = this.next()
      if (after.kind !== 'end') {
        fail(
          'Multiple statements separated by semicolons are not supported (CloudWatch SQL restriction)',
          after.start,
          after.end,
        )
      }
    } else if (end.kind !== 'end') {
      this.unexpected(end, 'WHERE, GROUP BY, HAVING, ORDER BY, LIMIT or the end of the query')
    }
    this.check(statement)
    return statement
  }

  /** Semantic checks SQL makes before running: grouping, HAVING without aggregation, name case. */
  private check(statement: Statement): void {
    const aggregated = statement.groupBy.length > 0 || statement.aggregates.size > 0
    if (aggregated) {
      for (const item of statement.select) {
        if (item.kind === 'star') fail('SELECT * cannot be combined with GROUP BY or aggregates', 0, 6)
        if (item.kind === 'field' && !statement.groupBy.includes(item.field)) {
          fail(
            `Field ${JSON.stringify(item.field)} in SELECT is neither in GROUP BY nor inside an aggregate function`,
            0,
            6,
          )
        }
      }
    } else if (statement.having) {
      fail('HAVING needs GROUP BY or an aggregate function', 0, this.source.length)
    }
    // Outside aggregation ORDER BY sorts event rows: fields or select aliases of fields only.
    const aliases = new Set(statement.select.flatMap((item) => (item.kind === 'star' ? [] : [item.column])))
    const groupOperand = (operand: Operand, clause: string): void => {
      if (operand.kind !== 'field' || !aggregated) return
      if (aliases.has(operand.name) || statement.groupBy.includes(operand.name)) return
      fail(
        `${clause} names ${JSON.stringify(operand.name)}, which is neither a GROUP BY field, a select alias nor an aggregate`,
        operand.start,
        operand.end,
      )
    }
    for (const key of statement.orderBy) groupOperand(key.operand, 'ORDER BY')
    const visit = (expr: Expr | undefined): void => {
      if (!expr) return
      switch (expr.kind) {
        case 'and':
        case 'or':
          visit(expr.left)
          visit(expr.right)
          return
        case 'not':
          visit(expr.operand)
          return
        case 'compare':
          groupOperand(expr.left, 'HAVING')
          groupOperand(expr.right, 'HAVING')
          return
        case 'in':
          groupOperand(expr.operand, 'HAVING')
          return
        case 'like':
        case 'isNull':
          groupOperand(expr.operand, 'HAVING')
          return
      }
    }
    visit(statement.having)
  }

  // ── FROM ──

  private parseFrom(): string[] {
    const token = this.next()
    if (this.isSymbol(token, '(')) {
      fail('Subqueries are outside the emulator (FROM takes a log group)', token.start, token.end)
    }
    if (token.kind === 'string') {
      // The doc: "SELECT Column1, Column2 FROM 'LogGroup1', 'LogGroup2' … is NOT supported".
      fail(
        'FROM takes a log group in backquotes (`name`) or `logGroups(logGroupIdentifier: [...])`, not a quoted string',
        token.start,
        token.end,
      )
    }
    let groups: string[]
    if (token.kind === 'quoted') groups = this.parseSource(token)
    else if (token.kind === 'word' && !RESERVED.includes(token.text.toLowerCase())) groups = [token.text]
    else return this.unexpected(token, 'a log group in backquotes after FROM')

    // optional table alias: `AS A` or just `A`
    if (this.acceptKeyword('as')) this.tableAlias = this.parseAliasName()
    else if (this.peek().kind === 'word' && !this.isReservedOrUnsupported(this.peek()))
      this.tableAlias = this.next().text

    const next = this.peek()
    if (this.isSymbol(next, ',')) {
      fail(
        'Several log groups after FROM are not supported: name them in `logGroups(logGroupIdentifier: [...])`',
        next.start,
        next.end,
      )
    }
    if (next.kind === 'word' && UNSUPPORTED_CLAUSES[next.text.toLowerCase()] !== undefined)
      this.unsupported(next)
    return groups
  }

  /** The inside of FROM's backquotes: a log group name, or logGroups(logGroupIdentifier: [...]). */
  private parseSource(token: Token): string[] {
    const inner = token.text.trim()
    const call = /^([A-Za-z]+)\s*\(/.exec(inner)
    if (!call) return [inner]
    const name = call[1] ?? ''
    if (name !== 'logGroups') {
      const known = ['filterIndex', 'dataSource'].includes(name)
      fail(
        `${known ? 'Unsupported' : 'Unknown'} source selector ${JSON.stringify(name)} in FROM (the emulator implements logGroups(logGroupIdentifier: [...]))`,
        token.start,
        token.end,
      )
    }
    const body = /^logGroups\s*\(\s*logGroupIdentifier\s*:\s*\[([\s\S]*)\]\s*\)$/.exec(inner)
    if (!body) {
      fail(
        "Expected `logGroups(logGroupIdentifier: ['name', ...])` (the emulator implements the logGroupIdentifier list only)",
        token.start,
        token.end,
      )
    }
    const listTokens = tokenize(body[1] ?? '')
    const groups: string[] = []
    for (let i = 0; i < listTokens.length - 1; i++) {
      const item = listTokens[i] as Token
      if (item.kind !== 'string' || item.text === '') {
        fail(
          `Expected a quoted log group name in logGroupIdentifier, found ${describe(item)}`,
          token.start,
          token.end,
        )
      }
      if (!groups.includes(item.text)) groups.push(item.text)
      const separator = listTokens[i + 1] as Token
      if (separator.kind === 'end') break
      if (!this.isSymbol(separator, ',')) {
        fail(`Expected "," between log group names, found ${describe(separator)}`, token.start, token.end)
      }
      i++
    }
    if (groups.length === 0) fail('logGroupIdentifier names no log group', token.start, token.end)
    if (groups.length > MAX_FROM_LOG_GROUPS) {
      fail(
        `logGroupIdentifier names ${groups.length} log groups; the limit is ${MAX_FROM_LOG_GROUPS}`,
        token.start,
        token.end,
      )
    }
    return groups
  }

  // ── SELECT ──

  private parseSelectItem(): SelectItem {
    if (this.isSymbol(this.peek(), '*')) {
      this.next()
      return { kind: 'star' }
    }
    const operand = this.parseOperand('SELECT')
    if (operand.kind === 'literal') {
      // "Functions and expressions must operate on field names" (CloudWatch SQL restriction).
      fail('SELECT of a constant is outside the emulator (select fields or aggregates)', 0, 6)
    }
    let alias: string | undefined
    if (this.acceptKeyword('as')) alias = this.parseAliasName()
    else if (
      (this.peek().kind === 'word' && !this.isReservedOrUnsupported(this.peek())) ||
      this.peek().kind === 'quoted'
    )
      alias = this.parseAliasName()
    if (operand.kind === 'aggregate') {
      return {
        kind: 'aggregate',
        aggregate: operand.aggregate,
        column: alias ?? operand.aggregate.defaultName,
      }
    }
    return { kind: 'field', field: operand.name, column: alias ?? operand.name, aliased: alias !== undefined }
  }

  private parseAliasName(): string {
    const token = this.next()
    if (token.kind === 'quoted') return token.text
    if (token.kind === 'word' && !this.isReservedOrUnsupported(token)) return token.text
    return this.unexpected(token, 'an alias name')
  }

  private parseGroupKey(select: SelectItem[]): string {
    const token = this.peek()
    if (token.kind === 'number')
      fail('GROUP BY ordinals are outside the emulator (name the field)', token.start, token.end)
    const operand = this.parseOperand('GROUP BY')
    if (operand.kind !== 'field') fail('GROUP BY takes fields', token.start, token.end)
    // Spark groups by a select alias too (`SELECT status AS s … GROUP BY s`).
    const aliased = select.find(
      (item) => item.kind === 'field' && item.aliased && item.column === operand.name,
    )
    return aliased?.kind === 'field' ? aliased.field : operand.name
  }

  private parseSortKey(): SortKey {
    const token = this.peek()
    if (token.kind === 'number')
      fail('ORDER BY ordinals are outside the emulator (name the field)', token.start, token.end)
    const operand = this.parseOperand('ORDER BY')
    if (operand.kind === 'literal')
      fail('ORDER BY takes fields, aliases or aggregates', token.start, token.end)
    let descending = false
    if (this.acceptKeyword('desc')) descending = true
    else this.acceptKeyword('asc')
    if (this.isKeyword(this.peek(), 'nulls')) this.unsupported(this.next())
    return { operand, descending }
  }

  private parseLimit(): number {
    const token = this.next()
    if (token.kind === 'number' && /^\d+$/.test(token.text)) {
      if (this.isSymbol(this.peek(), ','))
        fail('LIMIT offset, count is outside the emulator', token.start, token.end)
      return Number(token.text)
    }
    return this.unexpected(token, 'a whole number of rows after LIMIT')
  }

  // ── expressions ──

  private parseOr(clause: string): Expr {
    let left = this.parseAnd(clause)
    while (this.acceptKeyword('or')) left = { kind: 'or', left, right: this.parseAnd(clause) }
    return left
  }

  private parseAnd(clause: string): Expr {
    let left = this.parseNot(clause)
    while (this.acceptKeyword('and')) left = { kind: 'and', left, right: this.parseNot(clause) }
    return left
  }

  private parseNot(clause: string): Expr {
    if (this.acceptKeyword('not')) return { kind: 'not', operand: this.parseNot(clause) }
    return this.parsePredicate(clause)
  }

  private parsePredicate(clause: string): Expr {
    if (this.isSymbol(this.peek(), '(')) {
      const open = this.next()
      if (this.isKeyword(this.peek(), 'select'))
        fail('Subqueries are outside the emulator', open.start, open.end)
      const inner = this.parseOr(clause)
      this.expectSymbol(')', '")"')
      return inner
    }
    const left = this.parseOperand(clause)
    const token = this.peek()
    if (this.acceptKeyword('is')) {
      const negated = this.acceptKeyword('not')
      this.expectKeyword('null', 'NULL after IS')
      const test: Expr = { kind: 'isNull', operand: left }
      return negated ? { kind: 'not', operand: test } : test
    }
    let negated = false
    if (this.isKeyword(token, 'not')) {
      this.next()
      negated = true
      const after = this.peek()
      if (!this.isKeyword(after, 'in') && !this.isKeyword(after, 'like'))
        this.unexpected(after, 'IN or LIKE after NOT')
    }
    if (this.acceptKeyword('in')) {
      this.expectSymbol('(', '"(" after IN')
      if (this.isKeyword(this.peek(), 'select'))
        fail('Subqueries are outside the emulator', token.start, token.end)
      const values = this.commaList(() => this.parseOperand(clause))
      this.expectSymbol(')', '")" closing the IN list')
      const test: Expr = { kind: 'in', operand: left, values }
      return negated ? { kind: 'not', operand: test } : test
    }
    if (this.acceptKeyword('like')) {
      const pattern = this.next()
      if (pattern.kind !== 'string') this.unexpected(pattern, "a quoted pattern after LIKE ('%text%')")
      if (this.isKeyword(this.peek(), 'escape')) this.unsupported(this.next())
      const test: Expr = { kind: 'like', operand: left, pattern: likePattern(pattern.text) }
      return negated ? { kind: 'not', operand: test } : test
    }
    const op = token.kind === 'symbol' ? COMPARISON_SYMBOLS[token.text] : undefined
    if (op === undefined) {
      return this.unexpected(token, 'a comparison (= != <> < <= > >=), IN, LIKE or IS [NOT] NULL')
    }
    this.next()
    const right = this.parseOperand(clause)
    this.checkTimeComparison(left, right, token)
    return { kind: 'compare', op, left, right }
  }

  /**
   * CHOICE: `@timestamp`/`@ingestionTime` compare with a 'YYYY-MM-DD HH:MM:SS[.fff]' UTC string
   * (how Spark casts a string to a timestamp) or with each other; epoch numbers and other strings
   * are refused, since what the service does with them is not documented.
   */
  private checkTimeComparison(left: Operand, right: Operand, at: Token): void {
    for (const [field, other] of [
      [left, right],
      [right, left],
    ] as const) {
      if (field.kind !== 'field' || !TIME_FIELDS.includes(field.name) || other.kind !== 'literal') continue
      if (other.numeric || parseSqlTimestamp(other.value) === undefined) {
        fail(
          `${field.name} compares with a 'YYYY-MM-DD HH:MM:SS' (UTC) string in the emulator, not ${other.numeric ? other.value : JSON.stringify(other.value)}`,
          at.start,
          at.end,
        )
      }
    }
  }

  /** A field, a literal, or an aggregate call. */
  private parseOperand(clause: string): Operand {
    const token = this.next()
    if (token.kind === 'string')
      return this.afterOperand({ kind: 'literal', value: token.text, numeric: false })
    if (token.kind === 'number')
      return this.afterOperand({ kind: 'literal', value: token.text, numeric: true })
    if (this.isSymbol(token, '-') && this.peek().kind === 'number') {
      const number = this.next()
      return this.afterOperand({ kind: 'literal', value: `-${number.text}`, numeric: true })
    }
    if (token.kind === 'quoted') return this.afterOperand(this.field(token.text, token))
    if (token.kind === 'word') {
      const lower = token.text.toLowerCase()
      if (this.isSymbol(this.peek(), '(')) return this.afterOperand(this.parseCall(token, clause))
      if (lower === 'null')
        fail('NULL as a value is outside the emulator (use IS NULL)', token.start, token.end)
      if (UNSUPPORTED_CLAUSES[lower] !== undefined) this.unsupported(token)
      if (RESERVED.includes(lower)) this.unexpected(token, `a field in ${clause}`)
      // `A.field` / ``A.`@message` ``: qualified by the FROM alias
      if (this.isSymbol(this.peek(), '.')) {
        this.next()
        const member = this.next()
        if (member.kind !== 'word' && member.kind !== 'quoted') this.unexpected(member, 'a field after "."')
        if (this.tableAlias === undefined || token.text !== this.tableAlias) {
          fail(
            `${JSON.stringify(token.text)} is not the FROM clause's table alias${this.tableAlias ? ` (${this.tableAlias})` : ''}; names with "." need backquotes: \`${token.text}.${member.text}\``,
            token.start,
            member.end,
          )
        }
        return this.afterOperand(this.field(member.text, member))
      }
      return this.afterOperand(this.field(token.text, token))
    }
    return this.unexpected(token, `a field, a value or an aggregate in ${clause}`)
  }

  /** Arithmetic after an operand is outside the subset, and named. */
  private afterOperand(operand: Operand): Operand {
    const next = this.peek()
    if (next.kind === 'symbol' && ARITHMETIC.includes(next.text)) {
      fail(
        `Unsupported operator ${JSON.stringify(next.text)} (the emulator has no arithmetic)`,
        next.start,
        next.end,
      )
    }
    return operand
  }

  private field(name: string, token: Token): Operand {
    if (name === '@ptr') {
      fail(
        '@ptr is not a column of SQL results in the emulator (CloudWatch documents @ptr for Logs Insights QL)',
        token.start,
        token.end,
      )
    }
    const lower = name.toLowerCase()
    const seen = this.fieldNames.get(lower)
    if (seen && seen.name !== name) {
      fail(
        `Field names that differ only in case (${JSON.stringify(seen.name)} and ${JSON.stringify(name)}) are not supported (CloudWatch SQL restriction)`,
        token.start,
        token.end,
      )
    }
    this.fieldNames.set(lower, { name, start: token.start, end: token.end })
    return { kind: 'field', name, start: token.start, end: token.end }
  }

  private parseCall(name: Token, clause: string): Operand {
    const fn = name.text.toLowerCase()
    if (!AGGREGATES.includes(fn)) {
      fail(
        `Unsupported function ${JSON.stringify(name.text)} (the emulator implements COUNT, SUM, MIN, MAX, AVG)`,
        name.start,
        name.end,
      )
    }
    if (clause === 'WHERE' || clause === 'GROUP BY') {
      fail(`Aggregate function ${name.text.toUpperCase()} is not allowed in ${clause}`, name.start, name.end)
    }
    this.expectSymbol('(', '"("')
    if (this.isKeyword(this.peek(), 'distinct')) this.unsupported(this.next())
    let field: string | undefined
    const argument = this.peek()
    if (this.isSymbol(argument, '*')) {
      if (fn !== 'count')
        fail(`${name.text.toUpperCase()}(*) is not valid (only COUNT takes *)`, argument.start, argument.end)
      this.next()
    } else {
      const operand = this.parseOperand(`${name.text.toUpperCase()}()`)
      if (operand.kind !== 'field') {
        fail(`${name.text.toUpperCase()}() takes a field in the emulator`, argument.start, argument.end)
      }
      field = operand.name
      if ((fn === 'sum' || fn === 'avg') && TIME_FIELDS.includes(field)) {
        fail(
          `${name.text.toUpperCase()}(${field}) is outside the emulator (MIN and MAX take times)`,
          argument.start,
          argument.end,
        )
      }
    }
    this.expectSymbol(')', `")" closing ${name.text.toUpperCase()}(`)
    if (this.isKeyword(this.peek(), 'over')) this.unsupported(this.next())
    const key = `${fn}(${field ?? '*'})`
    const aggregate = this.aggregates.get(key) ?? {
      fn: fn as AggregateFunction,
      field,
      key,
      defaultName: field === undefined ? 'count(1)' : `${fn}(${field})`,
    }
    this.aggregates.set(key, aggregate)
    return { kind: 'aggregate', aggregate }
  }

  // ── helpers ──

  /** Moves to the next `keyword` outside parentheses (the end of the select list). */
  private skipToKeyword(keyword: string): void {
    let depth = 0
    for (;;) {
      const token = this.peek()
      if (token.kind === 'end') return
      if (depth === 0 && this.isKeyword(token, keyword)) return
      if (this.isSymbol(token, '(')) depth++
      if (this.isSymbol(token, ')')) depth--
      this.next()
    }
  }

  private commaList<T>(item: () => T): T[] {
    const items = [item()]
    while (this.isSymbol(this.peek(), ',')) {
      this.next()
      items.push(item())
    }
    return items
  }

  private unsupported(token: Token): never {
    const what = UNSUPPORTED_CLAUSES[token.text.toLowerCase()] ?? token.text.toUpperCase()
    return fail(`${what} is outside the emulator's SQL subset (${IMPLEMENTED})`, token.start, token.end)
  }

  private unexpected(token: Token, expected: string): never {
    if (token.kind === 'invalid') fail(token.text, token.start, token.end)
    if (token.kind === 'word' && UNSUPPORTED_CLAUSES[token.text.toLowerCase()] !== undefined)
      this.unsupported(token)
    return fail(`Expected ${expected} but found ${describe(token)}`, token.start, token.end)
  }

  private isReservedOrUnsupported(token: Token): boolean {
    const lower = token.text.toLowerCase()
    return RESERVED.includes(lower) || UNSUPPORTED_CLAUSES[lower] !== undefined
  }

  private acceptKeyword(keyword: string): boolean {
    if (!this.isKeyword(this.peek(), keyword)) return false
    this.next()
    return true
  }

  private expectKeyword(keyword: string, expected: string): void {
    const token = this.next()
    if (!this.isKeyword(token, keyword)) this.unexpected(token, expected)
  }

  private expectSymbol(symbol: string, expected: string): void {
    const token = this.next()
    if (!this.isSymbol(token, symbol)) this.unexpected(token, expected)
  }

  private peek(): Token {
    return this.tokens[this.position] as Token
  }

  private next(): Token {
    const token = this.peek()
    if (token.kind !== 'end') this.position++
    return token
  }

  /** SQL keywords are case-insensitive. */
  private isKeyword(token: Token, keyword: string): boolean {
    return token.kind === 'word' && token.text.toLowerCase() === keyword
  }

  private isSymbol(token: Token | undefined, symbol: string): boolean {
    return token?.kind === 'symbol' && token.text === symbol
  }
}

// ─── records ────────────────────────────────────────────────────────────────────────────────────

interface Row {
  get(name: string): Value | undefined
}

class EventRow implements Row {
  private json: ReadonlyMap<string, string> | undefined

  constructor(readonly event: LogEvent) {}

  get(field: string): Value | undefined {
    const event = this.event
    switch (field) {
      case '@timestamp':
        return new Instant(event.timestamp)
      case '@ingestionTime':
        return new Instant(event.ingestionTime)
      case '@message':
        return event.message
      case '@log':
        return `${event.accountId}:${event.logGroup}`
      case '@logStream':
        return event.logStream
    }
    this.json ??= discoverJsonFields(event.message)
    return this.json.get(field)
  }

  jsonFields(): ReadonlyMap<string, string> {
    this.json ??= discoverJsonFields(this.event.message)
    return this.json
  }
}

/** An aggregated group: grouped fields by name, aggregates by key, output columns by name. */
class GroupRow implements Row {
  readonly values = new Map<string, Value>()

  get(name: string): Value | undefined {
    return this.values.get(name)
  }
}

/** An event outside aggregation, where select aliases of fields resolve to their field. */
class AliasedRow implements Row {
  constructor(
    readonly event: EventRow,
    private readonly aliases: Map<string, string>,
  ) {}

  get(name: string): Value | undefined {
    return this.event.get(this.aliases.get(name) ?? name)
  }
}

const SELECT_STAR_FIELDS = ['@timestamp', '@message', '@logStream', '@log']

// ─── evaluator ──────────────────────────────────────────────────────────────────────────────────

class SqlQuery implements CompiledSqlQuery {
  declare readonly limit?: number
  readonly logGroups: readonly string[]

  constructor(private readonly statement: Statement) {
    this.logGroups = statement.logGroups
    if (statement.limit !== undefined) this.limit = statement.limit
  }

  run(events: Iterable<LogEvent>): QueryOutput {
    const statement = this.statement
    let rows: EventRow[] = []
    let bytesScanned = 0
    for (const event of events) {
      bytesScanned += Buffer.byteLength(event.message, 'utf8')
      rows.push(new EventRow(event))
    }
    const recordsScanned = rows.length
    const where = statement.where
    if (where) rows = rows.filter((row) => evaluate(where, row) === true)
    // statistics count every record the WHERE kept, not the rows a LIMIT or the row cap keeps
    const recordsMatched = rows.length

    const aggregated = statement.groupBy.length > 0 || statement.aggregates.size > 0
    let output: ResultField[][]
    if (aggregated) {
      let groups = aggregate(rows, statement)
      const having = statement.having
      if (having) groups = groups.filter((group) => evaluate(having, group) === true)
      groups = sortRows(groups, statement.orderBy)
      if (statement.limit !== undefined) groups = groups.slice(0, statement.limit)
      output = groups.map((group) =>
        statement.select.flatMap((item) => {
          if (item.kind === 'star') return []
          const value = group.get(item.column)
          return value === undefined ? [] : [{ field: item.column, value: text(value) }]
        }),
      )
    } else {
      const aliases = new Map<string, string>()
      for (const item of statement.select)
        if (item.kind === 'field' && item.aliased) aliases.set(item.column, item.field)
      let sorted = sortRows(
        rows.map((row) => new AliasedRow(row, aliases)),
        statement.orderBy,
      )
      if (statement.limit !== undefined) sorted = sorted.slice(0, statement.limit)
      output = sorted.map((row) => project(row.event, statement.select))
    }
    return { rows: output, recordsMatched, recordsScanned, bytesScanned }
  }
}

function project(event: EventRow, select: SelectItem[]): ResultField[] {
  const fields: ResultField[] = []
  for (const item of select) {
    if (item.kind === 'star') {
      for (const name of SELECT_STAR_FIELDS) {
        const value = event.get(name)
        if (value !== undefined) fields.push({ field: name, value: text(value) })
      }
      for (const [name, value] of event.jsonFields()) fields.push({ field: name, value })
    } else if (item.kind === 'field') {
      const value = event.get(item.field)
      // A field the event does not have is NULL: left out of the row, as Insights leaves it out.
      if (value !== undefined) fields.push({ field: item.column, value: text(value) })
    }
  }
  return fields
}

function operandValue(operand: Operand, row: Row): Value | undefined {
  switch (operand.kind) {
    case 'literal':
      return operand.value
    case 'field':
      return row.get(operand.name)
    case 'aggregate':
      return row.get(operand.aggregate.key)
  }
}

function evaluate(expr: Expr, row: Row): boolean | undefined {
  return evaluateCondition(expr, (reference) => operandValue(reference, row))
}

function sortRows<R extends Row>(rows: R[], keys: SortKey[]): R[] {
  if (keys.length === 0) return rows
  return sortByKeys(rows, keys, (key, row) => operandValue(key.operand, row))
}

function aggregate(rows: EventRow[], statement: Statement): GroupRow[] {
  const aggregates = [...statement.aggregates.values()]
  const groups = new Map<string, { keys: (Value | undefined)[]; accumulators: Accumulator[] }>()
  // An aggregate without GROUP BY is one row even over no records (COUNT(*) = 0): plain SQL.
  if (statement.groupBy.length === 0)
    groups.set('[]', { keys: [], accumulators: aggregates.map(newAccumulator) })
  for (const row of rows) {
    const keys = statement.groupBy.map((field) => row.get(field))
    const id = groupKey(keys)
    const group = groups.get(id) ?? { keys, accumulators: aggregates.map(newAccumulator) }
    groups.set(id, group)
    aggregates.forEach((aggregate, index) => {
      accumulate(group.accumulators[index] as Accumulator, aggregate.field, row)
    })
  }
  return [...groups.values()].map((group) => {
    const row = new GroupRow()
    statement.groupBy.forEach((field, index) => {
      const value = group.keys[index]
      if (value !== undefined) row.values.set(field, value)
    })
    aggregates.forEach((aggregate, index) => {
      const accumulator = group.accumulators[index] as Accumulator
      const time =
        aggregate.fn === 'min'
          ? accumulator.earliest
          : aggregate.fn === 'max'
            ? accumulator.latest
            : undefined
      const result = numericResult(aggregate.fn, accumulator)
      if (time !== undefined) row.values.set(aggregate.key, time)
      else if (result !== undefined) row.values.set(aggregate.key, String(result))
    })
    // output columns (aliases) on top, so HAVING and ORDER BY can name them
    for (const item of statement.select) {
      if (item.kind === 'star') continue
      const source = item.kind === 'field' ? item.field : item.aggregate.key
      const value = row.values.get(source)
      if (value !== undefined && !row.values.has(item.column)) row.values.set(item.column, value)
    }
    return row
  })
}
