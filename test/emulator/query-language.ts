/**
 * The Logs Insights query language (Logs Insights QL) as the emulator understands it.
 *
 * A pure module: tokenizer → parser (to a small AST) → evaluator. The server restricts events to the
 * log groups and time range, then calls `compileQuery(queryString).run(events)`.
 *
 * The subset is HONEST: whatever is outside it is a MalformedQueryError that names the command,
 * function or operator, never a silent pass: a query the emulator runs should mean the same to the
 * real service (the service is the authority; this is checked against its docs, not against it).
 * What the subset holds:
 *
 * - commands `fields`, `filter`, `sort`, `limit`, `stats`, `display`, separated by `|`; `#` comments
 * - system fields `@timestamp`, `@message`, `@log`, `@logStream`, `@ingestionTime`, `@ptr`, and the
 *   fields of a JSON-object `@message` (dotted names, arrays flattened by index)
 * - filter: `= != < <= > >=`, `and`, `or`, `not`, parentheses, `in [...]`, `not in [...]`,
 *   `like "substring"`, `like /regex/`, `=~`, `not like`, `(?i)` regexes, `ispresent(field)`, and
 *   `toMillis(field)` as an operand (CWL_QuerySyntax-operations-functions: "Converts the timestamp found
 *   in the named field into a number representing the milliseconds since the Unix epoch", with
 *   `filter toMillis(@timestamp) >= …` as its example)
 * - stats: `count(*)`, `count(field)`, `sum`, `min`, `max`, `avg`, grouped `by` fields and `bin(period)`
 *   with periods in ms, s, m, h or d
 *
 * Choices where the service's behaviour is not documented (each is marked `CHOICE` below):
 * keywords, commands and function names are lowercase only; `=`/`<`… compare numerically when both
 * sides look like numbers (so `"0502" = 502`); a comparison with a missing field is false, and `not`
 * of it is true; `sort` without a direction is ascending; missing values sort last in both
 * directions; rows keep the input order when there is no `sort`; stats groups come out in first-seen
 * order; `stats` without `by` over no records gives no rows; `filter`/`stats` after `limit` and a
 * second `stats` are rejected; bare `true`/`false`/`null` are rejected; JSON `null` values are absent
 * fields; `fields` adds columns without hiding the other fields from later commands.
 */

// ─── public interface (the server depends on it) ────────────────────────────────────────────────

export interface LogEvent {
  /** log group name */
  logGroup: string
  /** 12 digits, for @log = `${accountId}:${logGroup}` */
  accountId: string
  logStream: string
  /** event time, epoch ms */
  timestamp: number
  /** epoch ms */
  ingestionTime: number
  message: string
  /** opaque @ptr value, stable per event */
  ptr: string
}

export interface ResultField {
  field: string
  value: string
}

export interface QueryOutput {
  /** every result row (the server pages/caps them) */
  rows: ResultField[][]
  /** records that passed the filters (for stats queries: records aggregated) */
  recordsMatched: number
  /** events considered */
  recordsScanned: number
  /** sum of UTF-8 byte lengths of the scanned messages */
  bytesScanned: number
}

/**
 * The query is outside the emulator's subset or is not a valid query. The message says what is wrong,
 * names the command/function, and gives the character offset; `location` mirrors the service's
 * `queryCompileError.location` (start inclusive, end exclusive).
 */
export class MalformedQueryError extends Error {
  override readonly name = 'MalformedQueryError'
  readonly location: { startCharOffset: number; endCharOffset: number } | undefined

  constructor(message: string, location?: { startCharOffset: number; endCharOffset: number }) {
    super(message)
    this.location = location
  }
}

export interface CompiledQuery {
  /** events are already restricted by the server to the log groups and time range */
  run(events: Iterable<LogEvent>): QueryOutput
  /** the `limit` given by the query, if any */
  readonly limit?: number
}

/** Rows returned when the query has no `limit` (CWL_QuerySyntax-Limit: "defaults to … 10,000"). */
export const DEFAULT_LIMIT = 10_000
/** The largest `limit` the service accepts. */
const MAX_LIMIT = 100_000

export function compileQuery(queryString: string): CompiledQuery {
  const commands = new Parser(queryString, tokenize(queryString)).parseQuery()
  return new Query(commands)
}

/** `YYYY-MM-DD HH:MM:SS.mmm` in UTC: how Insights returns `@timestamp`, `@ingestionTime` and bins. */
export function formatTimestamp(epochMs: number): string {
  return new Date(epochMs).toISOString().replace('T', ' ').replace('Z', '')
}

// ─── values ─────────────────────────────────────────────────────────────────────────────────────

/** A point in time (`@timestamp`, `@ingestionTime`, a bin): compared as epoch ms, shown formatted. */
class Instant {
  constructor(readonly ms: number) {}
}

/** Every field value is a string, except times, which keep their epoch ms for comparisons. */
type Value = string | Instant

/**
 * What a filter compares: a value, or the epoch ms `toMillis()` gives, which behaves as its decimal
 * text would (kept a number so that a filter on it does not print and re-parse it for every record).
 */
type FilterValue = Value | number

function text(value: FilterValue): string {
  if (typeof value === 'number') return String(value)
  return typeof value === 'string' ? value : formatTimestamp(value.ms)
}

/** Decimal numbers as JSON and JS print them ("502", "-1.5", "1e+21"); nothing else is numeric. */
const NUMBER = /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/

function numeric(value: FilterValue): number | undefined {
  // A number is numeric exactly when its decimal text matches NUMBER: "NaN" and "Infinity" do not.
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined
  if (typeof value !== 'string') return value.ms
  return NUMBER.test(value) ? Number(value) : undefined
}

// ─── tokenizer ──────────────────────────────────────────────────────────────────────────────────

type TokenKind = 'word' | 'number' | 'string' | 'regex' | 'quotedField' | 'symbol' | 'invalid' | 'end'

interface Token {
  kind: TokenKind
  /**
   * word/number/symbol: as written; string: decoded; regex: the pattern; quotedField: the name;
   * invalid: what is wrong with it
   */
  text: string
  /** the source text of the token */
  raw: string
  start: number
  end: number
}

/** Characters of an unquoted field name or keyword; any other character needs backticks. */
const WORD_CHAR = /[A-Za-z0-9_@.]/
const TWO_CHAR_SYMBOLS = ['=~', '!=', '<=', '>=', '==']
const ONE_CHAR_SYMBOLS = '|,()[]*=<>+-/%^'

function fail(message: string, start: number, end: number): never {
  throw new MalformedQueryError(`${message} at offset ${start}`, {
    startCharOffset: start,
    endCharOffset: Math.max(end, start),
  })
}

/**
 * Splits the query into tokens. Lexical problems become `invalid` tokens that the parser reports
 * when it reaches them, so `SOURCE logGroups(namePrefix: [...])` is reported as an unsupported
 * command rather than as a stray ':'.
 */
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
    } else if (c === '#') {
      // A comment runs to the end of the line (CWL_QuerySyntax).
      while (i < source.length && source.charAt(i) !== '\n') i++
    } else if (c === '"' || c === "'") {
      const value = readQuoted(c)
      push(
        value === undefined ? 'invalid' : 'string',
        value ?? `Unterminated string (missing closing ${c})`,
        start,
      )
    } else if (c === '`') {
      const name = readQuoted('`')
      if (name === undefined) push('invalid', 'Unterminated backticked field name (missing closing `)', start)
      else if (name === '') push('invalid', 'Empty backticked field name', start)
      else push('quotedField', name, start)
    } else if (c === '/' && startsRegex(tokens)) {
      const pattern = readRegex()
      push(
        pattern === undefined ? 'invalid' : 'regex',
        pattern ?? 'Unterminated regular expression (missing closing /)',
        start,
      )
    } else if (WORD_CHAR.test(c)) {
      while (i < source.length && WORD_CHAR.test(source.charAt(i))) i++
      const word = source.slice(start, i)
      push(/^\d+(?:\.\d+)?$/.test(word) ? 'number' : 'word', word, start)
    } else if (TWO_CHAR_SYMBOLS.includes(source.slice(i, i + 2))) {
      i += 2
      push('symbol', source.slice(start, i), start)
    } else if (ONE_CHAR_SYMBOLS.includes(c)) {
      i++
      push('symbol', c, start)
    } else {
      i++
      push('invalid', `Unexpected character ${JSON.stringify(c)}`, start)
    }
  }
  tokens.push({ kind: 'end', text: '', raw: '', start: source.length, end: source.length })
  return tokens

  /** Reads '…', "…" or `…` starting at i; a backslash escapes the quote or a backslash. */
  function readQuoted(quote: string): string | undefined {
    let value = ''
    i++
    while (i < source.length) {
      const ch = source.charAt(i)
      if (ch === quote) {
        i++
        return value
      }
      if (ch === '\\' && (source.charAt(i + 1) === quote || source.charAt(i + 1) === '\\')) {
        value += source.charAt(i + 1)
        i += 2
      } else {
        value += ch
        i++
      }
    }
    return undefined
  }

  /** Reads /…/ starting at i; `\/` stays in the pattern (JS reads it as a slash). */
  function readRegex(): string | undefined {
    const start = i
    i++
    while (i < source.length) {
      const ch = source.charAt(i)
      if (ch === '/') {
        i++
        return source.slice(start + 1, i - 1)
      }
      i += ch === '\\' ? 2 : 1
    }
    i = source.length
    return undefined
  }
}

/**
 * `/` starts a regular expression only right after `like` or `=~`; anywhere else it is the division
 * operator, which the parser rejects as arithmetic. This keeps `|` inside `/a|b/` out of the pipe.
 */
function startsRegex(tokens: Token[]): boolean {
  const previous = tokens[tokens.length - 1]
  return (
    previous !== undefined &&
    ((previous.kind === 'word' && previous.text === 'like') ||
      (previous.kind === 'symbol' && previous.text === '=~'))
  )
}

// ─── AST ────────────────────────────────────────────────────────────────────────────────────────

type Operand =
  | { kind: 'field'; name: string }
  | { kind: 'literal'; value: string }
  /** `toMillis(field)`: a timestamp field as epoch ms. */
  | { kind: 'toMillis'; name: string }

export type ComparisonOperator = '=' | '!=' | '<' | '<=' | '>' | '>='

/** Whether `op` holds between two values whose order is `order` (negative, 0 or positive). */
export function comparisonHolds(op: ComparisonOperator, order: number): boolean {
  switch (op) {
    case '=':
      return order === 0
    case '!=':
      return order !== 0
    case '<':
      return order < 0
    case '<=':
      return order <= 0
    case '>':
      return order > 0
    case '>=':
      return order >= 0
  }
}

type Pattern = { kind: 'substring'; text: string } | { kind: 'regex'; regex: RegExp }

type Expr =
  | { kind: 'and' | 'or'; left: Expr; right: Expr }
  | { kind: 'not'; operand: Expr }
  | { kind: 'compare'; op: ComparisonOperator; left: Operand; right: Operand }
  | { kind: 'in'; operand: Operand; values: string[] }
  | { kind: 'match'; operand: Operand; pattern: Pattern }
  | { kind: 'ispresent'; field: string }

type Aggregation = {
  fn: 'count' | 'sum' | 'min' | 'max' | 'avg'
  /** undefined for count(*) */
  field: string | undefined
  column: string
}

type GroupKey =
  | { kind: 'field'; field: string; column: string }
  | { kind: 'bin'; periodMs: number; column: string }

type Command =
  | { kind: 'fields'; items: { field: string; column: string }[] }
  | { kind: 'display'; fields: string[] }
  | { kind: 'filter'; expr: Expr }
  | { kind: 'sort'; keys: { field: string; descending: boolean }[] }
  | { kind: 'limit'; count: number }
  | { kind: 'stats'; aggregations: Aggregation[]; groupBy: GroupKey[] }

// ─── parser ─────────────────────────────────────────────────────────────────────────────────────

const SUPPORTED_COMMANDS = ['fields', 'filter', 'sort', 'limit', 'stats', 'display']
const SUPPORTED_LIST = SUPPORTED_COMMANDS.join(', ')
/** Real Logs Insights QL commands the emulator does not implement (named as such in the error). */
const KNOWN_UNSUPPORTED_COMMANDS = [
  'parse',
  'dedup',
  'unnest',
  'lookup',
  'join',
  'anomaly',
  'pattern',
  'diff',
  'unmask',
  'filterindex',
  'source',
  'addtotals',
]
const KEYWORDS = ['and', 'or', 'not', 'in', 'like', 'as', 'by', 'asc', 'desc']
const AGGREGATIONS = ['count', 'sum', 'min', 'max', 'avg'] as const
const COMPARISONS: readonly string[] = ['=', '!=', '<', '<=', '>', '>=']
const ARITHMETIC = ['+', '-', '*', '/', '%', '^']
/** The functions the emulator implements, by where they may appear. */
const FUNCTIONS_BY_CONTEXT: Record<string, string> = {
  filter: 'ispresent, toMillis',
  stats: AGGREGATIONS.join(', '),
  'stats … by': 'bin',
}
const BIN_UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }

function describe(token: Token): string {
  return token.kind === 'end' ? 'the end of the query' : JSON.stringify(token.raw)
}

class Parser {
  private position = 0

  constructor(
    private readonly source: string,
    private readonly tokens: Token[],
  ) {}

  parseQuery(): Command[] {
    if (this.peek().kind === 'end') fail('The query is empty', 0, this.source.length)
    const commands: Command[] = []
    for (;;) {
      const command = this.parseCommand(commands)
      commands.push(command)
      const next = this.next()
      if (next.kind === 'end') return commands
      if (!this.isSymbol(next, '|')) this.unexpected(next, `"|" or the end of the ${command.kind} command`)
    }
  }

  private parseCommand(previous: Command[]): Command {
    const token = this.next()
    if (token.kind === 'end' || this.isSymbol(token, '|')) {
      fail(
        `Empty command (expected one of ${SUPPORTED_LIST}) before ${describe(token)}`,
        token.start,
        token.end,
      )
    }
    if (token.kind !== 'word') this.unexpected(token, `a command (${SUPPORTED_LIST})`)
    const afterLimit = previous.some((command) => command.kind === 'limit')
    switch (token.text) {
      case 'fields':
        return { kind: 'fields', items: this.commaList(() => this.parseFieldsItem()) }
      case 'display':
        return { kind: 'display', fields: this.commaList(() => this.parseFieldName('display')) }
      case 'filter':
        // CHOICE: only a limit, sort, fields or display may follow a limit. What the service does with
        // `limit 5 | filter …` is not documented, and recordsMatched would be ambiguous.
        if (afterLimit) fail('The emulator does not support filter after limit', token.start, token.end)
        return { kind: 'filter', expr: this.parseOr() }
      case 'sort':
        return { kind: 'sort', keys: this.commaList(() => this.parseSortKey()) }
      case 'limit':
        return { kind: 'limit', count: this.parseLimitCount() }
      case 'stats':
        if (afterLimit) fail('The emulator does not support stats after limit', token.start, token.end)
        if (previous.some((command) => command.kind === 'stats')) {
          fail('The emulator supports one stats command per query', token.start, token.end)
        }
        return this.parseStats()
      default:
        return this.unsupportedCommand(token)
    }
  }

  private unsupportedCommand(token: Token): never {
    const lower = token.text.toLowerCase()
    let hint = ''
    if (SUPPORTED_COMMANDS.includes(lower)) hint = '; commands are lowercase'
    else if (!KNOWN_UNSUPPORTED_COMMANDS.includes(lower))
      hint = '; it is not a Logs Insights QL command either'
    return fail(
      `Unsupported command ${JSON.stringify(token.text)} (the emulator implements ${SUPPORTED_LIST}${hint})`,
      token.start,
      token.end,
    )
  }

  // fields a, b as c
  private parseFieldsItem(): { field: string; column: string } {
    const field = this.parseFieldName('fields')
    const column = this.parseAlias() ?? field
    return { field, column }
  }

  private parseAlias(): string | undefined {
    if (!this.isWord(this.peek(), 'as')) return undefined
    this.next()
    return this.parseFieldName('as')
  }

  /** A field name: a word or a backticked name. Function calls here are named in the error. */
  private parseFieldName(context: string): string {
    const token = this.next()
    if (token.kind === 'quotedField') return token.text
    if (token.kind === 'word') {
      if (this.isSymbol(this.peek(), '(')) this.unsupportedFunction(token, context)
      if (KEYWORDS.includes(token.text)) this.unexpected(token, `a field name in ${context}`)
      return token.text
    }
    return this.unexpected(token, `a field name in ${context}`)
  }

  private unsupportedFunction(token: Token, context: string): never {
    const implemented = FUNCTIONS_BY_CONTEXT[context]
    const hint = implemented === undefined ? 'no functions' : implemented
    return fail(
      `Unsupported function ${JSON.stringify(token.text)} in ${context} (the emulator implements ${hint} there)`,
      token.start,
      token.end,
    )
  }

  // sort a desc, b asc
  private parseSortKey(): { field: string; descending: boolean } {
    const field = this.parseFieldName('sort')
    const direction = this.peek()
    if (this.isWord(direction, 'desc') || this.isWord(direction, 'asc')) {
      this.next()
      return { field, descending: direction.text === 'desc' }
    }
    // CHOICE: without asc/desc the sort is ascending (the sort doc describes asc as the base order
    // and desc as its reverse; it names no default). Write the direction to be sure.
    return { field, descending: false }
  }

  private parseLimitCount(): number {
    const token = this.next()
    if (token.kind === 'number' && /^\d+$/.test(token.text)) {
      const count = Number(token.text)
      if (count >= 1 && count <= MAX_LIMIT) return count
      fail(`limit must be between 1 and ${MAX_LIMIT}, got ${token.text}`, token.start, token.end)
    }
    if (this.isWord(token, 'any'))
      fail('Unsupported "limit any" (the emulator implements limit N)', token.start, token.end)
    return this.unexpected(token, `a whole number of rows (1 to ${MAX_LIMIT}) after limit`)
  }

  // stats count(*) as n, sum(x) by f, bin(5m)
  private parseStats(): Command {
    const aggregations = this.commaList(() => this.parseAggregation())
    const groupBy: GroupKey[] = []
    if (this.isWord(this.peek(), 'by')) {
      this.next()
      groupBy.push(...this.commaList(() => this.parseGroupKey()))
    }
    return { kind: 'stats', aggregations, groupBy }
  }

  private parseAggregation(): Aggregation {
    const token = this.next()
    if (token.kind !== 'word' || !this.isSymbol(this.peek(), '(')) {
      return this.unexpected(token, 'an aggregation such as count(*) in stats')
    }
    const fn = AGGREGATIONS.find((name) => name === token.text)
    if (fn === undefined) this.unsupportedFunction(token, 'stats')
    this.next() // (
    let field: string | undefined
    let argument: string
    const first = this.peek()
    if (this.isSymbol(first, '*')) {
      if (fn !== 'count') fail(`${fn}(*) is not valid; give ${fn} a field`, first.start, first.end)
      this.next()
      argument = '*'
    } else if (this.isSymbol(first, ')')) {
      return fail(
        `${fn}() needs an argument (${fn === 'count' ? '* or ' : ''}a field)`,
        first.start,
        first.end,
      )
    } else {
      field = this.parseFieldName(`${fn}()`)
      argument = first.raw
    }
    this.expectSymbol(')', `")" to close ${fn}(`)
    return { fn, field, column: this.parseAlias() ?? `${fn}(${argument})` }
  }

  private parseGroupKey(): GroupKey {
    const token = this.peek()
    if (token.kind === 'word' && this.isSymbol(this.tokens[this.position + 1], '(') && token.text === 'bin') {
      this.next()
      this.next() // (
      const period = this.next()
      if (period.kind === 'invalid') this.unexpected(period, 'a period such as 5m')
      const match = /^(\d+)([a-z]+)$/.exec(period.text)
      const unit = match?.[2] === undefined ? undefined : BIN_UNITS[match[2]]
      if (period.kind !== 'word' || match === null || unit === undefined || Number(match[1]) === 0) {
        fail(
          `Unsupported bin period ${describe(period)} (the emulator implements a positive whole number of ms, s, m, h or d, e.g. bin(5m))`,
          period.start,
          period.end,
        )
      }
      this.expectSymbol(')', '")" to close bin(')
      const column = `bin(${period.text})`
      return { kind: 'bin', periodMs: Number(match[1]) * unit, column: this.parseAlias() ?? column }
    }
    if (token.kind === 'word' && this.isSymbol(this.tokens[this.position + 1], '(')) {
      this.unsupportedFunction(token, 'stats … by')
    }
    const field = this.parseFieldName('stats … by')
    return { kind: 'field', field, column: this.parseAlias() ?? field }
  }

  // ── filter expressions: or < and < not < comparison ──

  private parseOr(): Expr {
    let left = this.parseAnd()
    while (this.isWord(this.peek(), 'or')) {
      this.next()
      left = { kind: 'or', left, right: this.parseAnd() }
    }
    return left
  }

  private parseAnd(): Expr {
    let left = this.parseNot()
    while (this.isWord(this.peek(), 'and')) {
      this.next()
      left = { kind: 'and', left, right: this.parseNot() }
    }
    return left
  }

  private parseNot(): Expr {
    if (this.isWord(this.peek(), 'not')) {
      this.next()
      return { kind: 'not', operand: this.parseNot() }
    }
    if (this.isSymbol(this.peek(), '(')) {
      this.next()
      const inner = this.parseOr()
      this.expectSymbol(')', '")" to close "("')
      return inner
    }
    return this.parseCondition()
  }

  private parseCondition(): Expr {
    const first = this.peek()
    if (
      first.kind === 'word' &&
      first.text !== 'toMillis' &&
      this.isSymbol(this.tokens[this.position + 1], '(')
    ) {
      if (first.text !== 'ispresent') this.unsupportedFunction(first, 'filter')
      this.next()
      this.next() // (
      const field = this.parseFieldName('ispresent()')
      this.expectSymbol(')', '")" to close ispresent(')
      return { kind: 'ispresent', field }
    }
    const left = this.parseOperand()
    const operator = this.next()
    if (operator.kind === 'symbol' && COMPARISONS.includes(operator.text)) {
      return { kind: 'compare', op: operator.text as ComparisonOperator, left, right: this.parseOperand() }
    }
    if (this.isSymbol(operator, '=~'))
      return { kind: 'match', operand: left, pattern: this.parsePattern('=~') }
    if (this.isSymbol(operator, '==')) {
      fail('Unsupported operator "==" (comparisons use "=")', operator.start, operator.end)
    }
    if (this.isWord(operator, 'in')) return { kind: 'in', operand: left, values: this.parseList() }
    if (this.isWord(operator, 'like'))
      return { kind: 'match', operand: left, pattern: this.parsePattern('like') }
    if (this.isWord(operator, 'not')) {
      const negated = this.next()
      if (this.isWord(negated, 'in'))
        return { kind: 'not', operand: { kind: 'in', operand: left, values: this.parseList() } }
      if (this.isWord(negated, 'like')) {
        return { kind: 'not', operand: { kind: 'match', operand: left, pattern: this.parsePattern('like') } }
      }
      return this.unexpected(negated, '"in" or "like" after "not"')
    }
    return this.unexpected(operator, `a comparison (= != < <= > >= in like =~) after ${describe(first)}`)
  }

  private parseOperand(): Operand {
    const token = this.peek()
    if (token.kind === 'string' || token.kind === 'number') {
      this.next()
      return { kind: 'literal', value: token.text }
    }
    if (this.isSymbol(token, '-')) {
      const number = this.tokens[this.position + 1]
      if (number?.kind === 'number' && number.start === token.end) {
        this.position += 2
        return { kind: 'literal', value: `-${number.text}` }
      }
    }
    if (token.kind === 'word' && ['true', 'false', 'null'].includes(token.text.toLowerCase())) {
      // CHOICE: the service's handling of bare true/false/null is not documented; refuse rather than
      // read it as a field name and silently match nothing.
      fail(
        `Unsupported literal ${token.text} (write it as a string, e.g. "${token.text}")`,
        token.start,
        token.end,
      )
    }
    if (
      token.kind === 'word' &&
      token.text === 'toMillis' &&
      this.isSymbol(this.tokens[this.position + 1], '(')
    ) {
      this.next()
      this.next() // (
      const name = this.parseFieldName('toMillis()')
      this.expectSymbol(')', '")" to close toMillis(')
      return { kind: 'toMillis', name }
    }
    if (token.kind === 'word' || token.kind === 'quotedField') {
      return { kind: 'field', name: this.parseFieldName('filter') }
    }
    this.next()
    return this.unexpected(token, 'a field, a number or a "string" in filter')
  }

  private parseList(): string[] {
    this.expectSymbol('[', '"[" to start the list after in')
    const values = this.commaList(() => {
      const operand = this.parseOperand()
      if (operand.kind !== 'literal') {
        const token = this.tokens[this.position - 1] as Token
        fail('The values of an in [...] list must be numbers or quoted strings', token.start, token.end)
      }
      return operand.value
    })
    this.expectSymbol(']', '"]" to close the list')
    return values
  }

  private parsePattern(operator: string): Pattern {
    const token = this.next()
    if (token.kind === 'string') return { kind: 'substring', text: token.text }
    if (token.kind !== 'regex') return this.unexpected(token, `a /regex/ or a "string" after ${operator}`)
    // Insights writes case-insensitivity as a (?i) prefix; JS has no inline flag, so it becomes 'i'.
    const insensitive = token.text.startsWith('(?i)')
    const source = insensitive ? token.text.slice(4) : token.text
    try {
      return { kind: 'regex', regex: new RegExp(source, insensitive ? 'i' : '') }
    } catch (error) {
      return fail(
        `Invalid regular expression ${token.raw}: ${(error as Error).message}`,
        token.start,
        token.end,
      )
    }
  }

  // ── helpers ──

  private commaList<T>(item: () => T): T[] {
    const items = [item()]
    while (this.isSymbol(this.peek(), ',')) {
      this.next()
      items.push(item())
    }
    return items
  }

  private expectSymbol(symbol: string, expected: string): void {
    const token = this.next()
    if (!this.isSymbol(token, symbol)) this.unexpected(token, expected)
  }

  private unexpected(token: Token, expected: string): never {
    if (token.kind === 'invalid') fail(token.text, token.start, token.end)
    if (token.kind === 'symbol' && ARITHMETIC.includes(token.text)) {
      fail(
        `Unsupported arithmetic operator ${JSON.stringify(token.text)} (the emulator has no arithmetic)`,
        token.start,
        token.end,
      )
    }
    const lowercase =
      token.kind === 'word' && KEYWORDS.includes(token.text.toLowerCase()) && !KEYWORDS.includes(token.text)
    const hint = lowercase ? ' (keywords are lowercase)' : ''
    return fail(`Expected ${expected} but found ${describe(token)}${hint}`, token.start, token.end)
  }

  private peek(): Token {
    return this.tokens[this.position] as Token
  }

  private next(): Token {
    const token = this.peek()
    if (token.kind !== 'end') this.position++
    return token
  }

  private isSymbol(token: Token | undefined, symbol: string): boolean {
    return token?.kind === 'symbol' && token.text === symbol
  }

  private isWord(token: Token, word: string): boolean {
    return token.kind === 'word' && token.text === word
  }
}

// ─── records ────────────────────────────────────────────────────────────────────────────────────

interface Row {
  get(field: string): Value | undefined
  set(field: string, value: Value | undefined): void
}

/** One log event; its JSON fields are discovered on first use, `fields … as` writes go on top. */
class EventRow implements Row {
  private json: ReadonlyMap<string, string> | undefined
  private overlay: Map<string, Value | undefined> | undefined

  constructor(readonly event: LogEvent) {}

  get(field: string): Value | undefined {
    if (this.overlay?.has(field)) return this.overlay.get(field)
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
      case '@ptr':
        return event.ptr
    }
    this.json ??= discoverJsonFields(event.message)
    return this.json.get(field)
  }

  set(field: string, value: Value | undefined): void {
    this.overlay ??= new Map()
    this.overlay.set(field, value)
  }
}

/** A stats group. */
class MapRow implements Row {
  readonly values = new Map<string, Value>()

  get(field: string): Value | undefined {
    return this.values.get(field)
  }

  set(field: string, value: Value | undefined): void {
    if (value === undefined) this.values.delete(field)
    else this.values.set(field, value)
  }
}

const NO_FIELDS: ReadonlyMap<string, string> = new Map()

/**
 * Insights discovers the fields of a JSON-object message: nested keys as dotted names
 * (`request.path`), arrays by index (`items.0.id`), a top-level key starting with `@` gets another `@`
 * (so it cannot shadow a system field). Values become strings as JS prints them.
 * CHOICE: `null` values are left out (absent), and there is no cap on the number of fields (the docs
 * mention 100 or 200 per event).
 */
const MAX_DISCOVERED_FIELDS = 200
const MAX_JSON_DEPTH = 100

/**
 * Discovered fields by message. Tests seed up to a million events from a handful of message
 * strings; parsing each string once spares a JSON.parse and a Map per event. The maps are shared,
 * hence ReadonlyMap: no caller may change one. Bounded (oldest entry out first) and only short
 * messages are kept, so a run of distinct or huge messages cannot grow it without end.
 */
const FIELDS_CACHE_ENTRIES = 4_096
const FIELDS_CACHE_MAX_MESSAGE = 4_096
const fieldsByMessage = new Map<string, ReadonlyMap<string, string>>()

export function discoverJsonFields(message: string): ReadonlyMap<string, string> {
  if (message.length > FIELDS_CACHE_MAX_MESSAGE) return parseJsonFields(message)
  let fields = fieldsByMessage.get(message)
  if (fields === undefined) {
    fields = parseJsonFields(message)
    if (fieldsByMessage.size >= FIELDS_CACHE_ENTRIES) {
      const oldest = fieldsByMessage.keys().next()
      if (!oldest.done) fieldsByMessage.delete(oldest.value)
    }
    fieldsByMessage.set(message, fields)
  }
  return fields
}

function parseJsonFields(message: string): ReadonlyMap<string, string> {
  const trimmed = message.trim()
  if (!trimmed.startsWith('{')) return NO_FIELDS
  let parsed: unknown
  try {
    parsed = JSON.parse(trimmed)
  } catch {
    return NO_FIELDS
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return NO_FIELDS
  const fields = new Map<string, string>()
  // Insights extracts at most 200 fields from a JSON event (CWL_AnalyzeLogData-discoverable-fields);
  // the depth cap keeps a hostile, deeply nested line from overflowing the stack here.
  const visit = (value: unknown, name: string, depth: number): void => {
    if (
      value === null ||
      value === undefined ||
      fields.size >= MAX_DISCOVERED_FIELDS ||
      depth > MAX_JSON_DEPTH
    )
      return
    if (Array.isArray(value)) {
      for (const [index, item] of value.entries()) visit(item, `${name}.${index}`, depth + 1)
    } else if (typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) visit(child, `${name}.${key}`, depth + 1)
    } else {
      fields.set(name, String(value))
    }
  }
  for (const [key, value] of Object.entries(parsed)) visit(value, key.startsWith('@') ? `@${key}` : key, 1)
  return fields
}

// ─── evaluator ──────────────────────────────────────────────────────────────────────────────────

class Query implements CompiledQuery {
  // `declare`: no own `limit: undefined` property when the query sets no limit
  declare readonly limit?: number

  /** How many leading commands are `fields` and `filter`, which act on each row by itself. */
  private readonly rowwise: number

  constructor(private readonly commands: Command[]) {
    const limits = commands.flatMap((command) => (command.kind === 'limit' ? [command.count] : []))
    // Nothing after a limit can add rows back, so the smallest limit is the one that bounds the result.
    if (limits.length > 0) this.limit = Math.min(...limits)
    const firstOther = commands.findIndex((command) => command.kind !== 'fields' && command.kind !== 'filter')
    this.rowwise = firstOther < 0 ? commands.length : firstOther
  }

  run(events: Iterable<LogEvent>): QueryOutput {
    // The leading fields and filter commands run on each event as it is scanned, which gives the same
    // rows as running them one after the other: the events a filter drops are then never kept, where
    // a scan of a million events would otherwise hold a million rows until the first filter.
    const rowwise = this.commands.slice(0, this.rowwise)
    const keep = (row: Row): boolean => {
      for (const command of rowwise) {
        if (command.kind === 'fields') applyFields(command, row)
        else if (command.kind === 'filter' && !evaluate(command.expr, row)) return false
      }
      return true
    }
    // A stats right after them takes each row as it comes, so that the rows need not be held either.
    const next = this.commands[this.rowwise]
    const scanStats = next?.kind === 'stats' ? new StatsGroups(next) : undefined
    let rows: Row[] = []
    let recordsScanned = 0
    let bytesScanned = 0
    let lastMessage: string | undefined
    let lastBytes = 0
    for (const event of events) {
      recordsScanned++
      // Seeded events often share one message string: measure it once.
      if (event.message !== lastMessage) {
        lastMessage = event.message
        lastBytes = Buffer.byteLength(lastMessage, 'utf8')
      }
      bytesScanned += lastBytes
      const row = new EventRow(event)
      if (!keep(row)) continue
      if (scanStats) scanStats.add(row)
      else rows.push(row)
    }

    let recordsMatched: number | undefined
    let aggregated = false
    /** the output columns so far: fields commands add to them, stats replaces them */
    let columns: string[] = []
    let display: string[] | undefined

    for (const [index, command] of this.commands.entries()) {
      /** applied to each row during the scan */
      const done = index < this.rowwise
      switch (command.kind) {
        case 'fields':
          if (!done) for (const row of rows) applyFields(command, row)
          for (const item of command.items) if (!columns.includes(item.column)) columns.push(item.column)
          break
        case 'display':
          // Only the last display counts, and it picks the columns at the end whatever its place.
          display = command.fields
          break
        case 'filter':
          if (!done) rows = rows.filter((row) => evaluate(command.expr, row))
          break
        case 'sort':
          rows = sortRows(rows, command.keys)
          break
        case 'limit':
          // statistics count the whole result, not the rows the limit keeps
          if (!aggregated) recordsMatched ??= rows.length
          rows = rows.slice(0, command.count)
          break
        case 'stats': {
          let groups = scanStats
          if (!groups) {
            groups = new StatsGroups(command)
            for (const row of rows) groups.add(row)
          }
          recordsMatched = groups.records
          rows = groups.rows()
          aggregated = true
          columns = [
            ...command.groupBy.map((key) => key.column),
            ...command.aggregations.map((a) => a.column),
          ]
          break
        }
      }
    }
    recordsMatched ??= rows.length
    if (this.limit === undefined) rows = rows.slice(0, DEFAULT_LIMIT)

    // CHOICE: with neither fields, display nor stats, rows carry @timestamp and @message (what the
    // console's default query shows). Insights returns @ptr with every non-stats row.
    let output = display ?? (columns.length > 0 ? columns : ['@timestamp', '@message'])
    if (!aggregated && !output.includes('@ptr')) output = [...output, '@ptr']
    return {
      rows: rows.map((row) => {
        const fields: ResultField[] = []
        for (const field of output) {
          const value = row.get(field)
          // Insights leaves a field the event does not have out of the row.
          if (value !== undefined) fields.push({ field, value: text(value) })
        }
        return fields
      }),
      recordsMatched,
      recordsScanned,
      bytesScanned,
    }
  }
}

/** `fields` adds columns and aliases; the other fields stay usable by later commands. */
function applyFields(command: Extract<Command, { kind: 'fields' }>, row: Row): void {
  for (const item of command.items) if (item.column !== item.field) row.set(item.column, row.get(item.field))
}

function operandValue(operand: Operand, row: Row): FilterValue | undefined {
  if (operand.kind === 'literal') return operand.value
  const value = row.get(operand.name)
  if (operand.kind === 'field') return value
  // CHOICE: toMillis of a field that is not a timestamp is not documented; it gives no value.
  return value instanceof Instant ? value.ms : undefined
}

/**
 * Compares two values for filter: numerically when both look like numbers (Insights compares the
 * string "502" with 400 as numbers, as AWS's own `filter status>=400` samples rely on), times by
 * epoch ms, otherwise as strings (UTF-16 code unit order).
 */
function compareForFilter(left: FilterValue, right: FilterValue): number {
  const a = numeric(left)
  const b = numeric(right)
  if (a !== undefined && b !== undefined) return a === b ? 0 : a < b ? -1 : 1
  const x = text(left)
  const y = text(right)
  return x === y ? 0 : x < y ? -1 : 1
}

function evaluate(expr: Expr, row: Row): boolean {
  switch (expr.kind) {
    case 'and':
      return evaluate(expr.left, row) && evaluate(expr.right, row)
    case 'or':
      return evaluate(expr.left, row) || evaluate(expr.right, row)
    case 'not':
      return !evaluate(expr.operand, row)
    case 'ispresent':
      return row.get(expr.field) !== undefined
    case 'compare': {
      const left = operandValue(expr.left, row)
      const right = operandValue(expr.right, row)
      // CHOICE: a missing field makes any comparison false, `!=` included.
      if (left === undefined || right === undefined) return false
      return comparisonHolds(expr.op, compareForFilter(left, right))
    }
    case 'in': {
      const value = operandValue(expr.operand, row)
      return value !== undefined && expr.values.some((candidate) => compareForFilter(value, candidate) === 0)
    }
    case 'match': {
      const value = operandValue(expr.operand, row)
      if (value === undefined) return false
      const subject = text(value)
      return expr.pattern.kind === 'substring'
        ? subject.includes(expr.pattern.text)
        : expr.pattern.regex.test(subject)
    }
  }
}

/**
 * The sort order documented for Insights (CWL_QuerySyntax-Sort, "natural sorting"), ascending: all
 * non-number values before all number values; numbers by value; other values in chunks of digits and
 * non-digits, digit chunks by length then value, the rest by Unicode. Times compare by epoch ms.
 */
function naturalCompare(left: Value, right: Value): number {
  if (left instanceof Instant && right instanceof Instant) return left.ms - right.ms
  const a = text(left)
  const b = text(right)
  const aNumber = NUMBER.test(a)
  const bNumber = NUMBER.test(b)
  if (aNumber && bNumber) return Number(a) - Number(b)
  if (aNumber !== bNumber) return aNumber ? 1 : -1
  const aChunks = a.match(/\d+|\D+/g) ?? []
  const bChunks = b.match(/\d+|\D+/g) ?? []
  for (let i = 0; i < Math.min(aChunks.length, bChunks.length); i++) {
    const x = aChunks[i] as string
    const y = bChunks[i] as string
    if (x === y) continue
    if (/^\d/.test(x) && /^\d/.test(y) && x.length !== y.length) return x.length - y.length
    return x < y ? -1 : 1
  }
  return aChunks.length - bChunks.length
}

function sortRows(rows: Row[], keys: { field: string; descending: boolean }[]): Row[] {
  // Array.prototype.sort is stable: rows with equal keys keep their order.
  return [...rows].sort((r1, r2) => {
    for (const key of keys) {
      const a = r1.get(key.field)
      const b = r2.get(key.field)
      if (a === undefined && b === undefined) continue
      // CHOICE: rows without the field go last, whichever the direction.
      if (a === undefined) return 1
      if (b === undefined) return -1
      const order = naturalCompare(a, b)
      if (order !== 0) return key.descending ? -order : order
    }
    return 0
  })
}

interface Accumulator {
  count: number
  sum: number
  numbers: number
  min: number
  max: number
}

function newAccumulator(): Accumulator {
  return { count: 0, sum: 0, numbers: 0, min: Number.POSITIVE_INFINITY, max: Number.NEGATIVE_INFINITY }
}

interface StatsGroup {
  keys: (Value | undefined)[]
  accumulators: Accumulator[]
}

/**
 * One level of the group tree: a `by` value (a string, a time's epoch ms, undefined when absent)
 * leads to the next level; the last level holds the group. Finding a record's group this way
 * allocates nothing, where a JSON key per record cost more than the counting over a million records.
 */
interface GroupLevel {
  next: Map<string | number | undefined, GroupLevel>
  group?: StatsGroup
}

type StatsCommand = Extract<Command, { kind: 'stats' }>

/** A stats command's groups: records go in one at a time, one row per group comes out. */
class StatsGroups {
  /** the records added */
  records = 0
  private readonly root: GroupLevel = { next: new Map() }
  /** in first-seen order */
  private readonly groups: StatsGroup[] = []
  /** the current record's `by` values (reused: one array per group, not per record) */
  private readonly keys: (Value | undefined)[] = []

  constructor(private readonly stats: StatsCommand) {}

  add(row: Row): void {
    const { groupBy, aggregations } = this.stats
    this.records++
    let level = this.root
    // Index loops: this runs once per record.
    for (let index = 0; index < groupBy.length; index++) {
      const value = groupValue(groupBy[index] as GroupKey, row)
      this.keys[index] = value
      const id = value instanceof Instant ? value.ms : value
      let next = level.next.get(id)
      if (next === undefined) {
        next = { next: new Map() }
        level.next.set(id, next)
      }
      level = next
    }
    if (level.group === undefined) {
      level.group = { keys: [...this.keys], accumulators: aggregations.map(newAccumulator) }
      this.groups.push(level.group)
    }
    for (let index = 0; index < aggregations.length; index++) {
      accumulate(level.group.accumulators[index] as Accumulator, aggregations[index] as Aggregation, row)
    }
  }

  rows(): Row[] {
    const { groupBy, aggregations } = this.stats
    // CHOICE: groups come out in first-seen order; a stats without `by` over nothing gives no rows
    // (a group exists only once a record is in it).
    return this.groups.map((group) => {
      const row = new MapRow()
      for (const [index, key] of groupBy.entries()) row.set(key.column, group.keys[index])
      aggregations.forEach((aggregation, index) => {
        const accumulator = group.accumulators[index] as Accumulator
        const result = aggregationResult(aggregation.fn, accumulator)
        if (result !== undefined) row.set(aggregation.column, String(result))
      })
      return row
    })
  }
}

function groupValue(key: GroupKey, row: Row): Value | undefined {
  if (key.kind === 'field') return row.get(key.field)
  // bin() rounds @timestamp down to a multiple of the period (UTC, from the epoch).
  const timestamp = row.get('@timestamp')
  const ms = timestamp === undefined ? undefined : numeric(timestamp)
  return ms === undefined ? undefined : new Instant(Math.floor(ms / key.periodMs) * key.periodMs)
}

function accumulate(accumulator: Accumulator, aggregation: Aggregation, row: Row): void {
  if (aggregation.field === undefined) {
    accumulator.count++
    return
  }
  const value = row.get(aggregation.field)
  if (value === undefined) return
  accumulator.count++
  // sum/min/max/avg take the values that are numbers and skip the others.
  const number = numeric(value)
  if (number === undefined) return
  accumulator.numbers++
  accumulator.sum += number
  accumulator.min = Math.min(accumulator.min, number)
  accumulator.max = Math.max(accumulator.max, number)
}

function aggregationResult(fn: Aggregation['fn'], accumulator: Accumulator): number | undefined {
  if (fn === 'count') return accumulator.count
  // no numeric value: the column is left out of the row, as Insights leaves out missing values
  if (accumulator.numbers === 0) return undefined
  switch (fn) {
    case 'sum':
      return accumulator.sum
    case 'min':
      return accumulator.min
    case 'max':
      return accumulator.max
    case 'avg':
      return accumulator.sum / accumulator.numbers
  }
}
