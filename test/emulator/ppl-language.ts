/**
 * OpenSearch PPL as CloudWatch Logs runs it (StartQuery `queryLanguage: 'PPL'`), as the emulator
 * understands it. Same shape as query-language.ts and sql-language.ts: `compilePplQuery(queryString)`
 * → `run(events)` → `{rows, recordsMatched, recordsScanned, bytesScanned}`.
 *
 * Sources: CloudWatch Logs user guide "OpenSearch Piped Processing Language (PPL)"
 * (CWL_AnalyzeLogData_PPL: command table, `SOURCE`), OpenSearch Service developer guide "Supported
 * PPL commands" (supported-ppl), the StartQuery / GetQueryResults API reference, and, where those
 * are silent, the PPL-on-Spark reference the service's dialect comes from (opensearch-spark
 * docs/ppl-lang: stats puts the aggregates before the `by` fields, `head` defaults to 10, `dedup`
 * drops rows with a null key unless `keepempty=true`, `top`'s plan counts into `count_<field>`,
 * comments are `//` and `/* *\/`, keywords are case-insensitive, `@`-prefixed names are plain
 * identifiers).
 *
 * The subset is HONEST: whatever is outside it is a MalformedQueryError that names the command,
 * function or operator, never a silent pass. What it holds:
 *
 * - commands separated by `|`: `fields [+|-] f, …`, `where <condition>`,
 *   `stats count() | count(f) | sum(f) | min(f) | max(f) | avg(f) [as name], … [by f, …]`,
 *   `sort [-|+]f, …`, `head [n]` (10 when n is left out), `dedup [n] f, … [keepempty=true|false]`,
 *   `top [n] f, …`, `rare [n] f, …`
 * - conditions: `= != < <= > >=`, `and`, `or`, `not`, parentheses, `f [not] in (v, …)`,
 *   `like(f, 'pattern')` and `f like 'pattern'` (`%` any run, `_` one character, whole value),
 *   `isnull(f)`, `isnotnull(f)`, `ispresent(f)`; strings in '…' or "…", numbers
 * - fields `@timestamp`, `@message`, `@log`, `@logStream`, `@ingestionTime` and the fields of a
 *   JSON-object `@message` (`request.path`); any name may be backquoted (`` `@timestamp` ``), a
 *   name with characters other than letters, digits, `_`, `@` and `.` must be backquoted
 *
 * Choices where the service's behaviour is not documented (each is marked `CHOICE` below):
 * log groups are StartQuery's parameters, and `source=`/`search`/`SOURCE` in the query string is
 * refused (the server's side, see logs-service.ts); rows carry no `@ptr` and naming `@ptr` is refused;
 * `@timestamp`/`@ingestionTime` come out as Insights formats them (`2026-01-15 12:00:00.000`) and
 * compare only with a `'YYYY-MM-DD HH:MM:SS[.fff]'` string read as UTC (Spark casts the string to a
 * timestamp; any other literal is refused when the query compiles); a number literal compares
 * numerically with a field whose value is a number and is NULL otherwise, a string literal compares
 * as a string, two fields numerically when both are numbers; conditions use SQL's three-valued
 * logic (Spark); a field dropped by `fields` reads as NULL later on; without `fields` or `stats` a row
 * carries `@timestamp`, `@message`, `@logStream`, `@log` and the JSON fields (as SQL's `SELECT *`);
 * aggregate columns are named as written without backquotes (`count()`, `sum(bytes)`) and `avg` is
 * a double (`28.0`); `stats` without `by` over no records is one row (`count()` 0); groups, `top` and
 * `rare` ties come out in first-seen order; `top`/`rare` put `count_<first field>` first and refuse
 * a `by` clause; `rare` also defaults to 10 values; `like` is case-sensitive (Spark's LIKE); NULLs
 * sort first ascending, last descending (Spark); rows keep the input (time) order without `sort`;
 * `recordsMatched` counts the records that pass every `where` before the first `stats`/`top`/`rare`
 * (`head` and `dedup` do not lower it: it describes the records the query matched, as for SQL).
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

export interface CompiledPplQuery {
  /** events are already restricted by the server to the log groups and the time range */
  run(events: Iterable<LogEvent>): QueryOutput
}

export function compilePplQuery(queryString: string): CompiledPplQuery {
  const commands = new Parser(queryString, tokenize(queryString)).parseQuery()
  return new PplQuery(commands)
}

/** `head` without a count keeps 10 rows (PPL head command: "N … Default: 10"). */
const PPL_HEAD_DEFAULT = 10
/** `top`/`rare` without a count give 10 values (top command: "N … Default: 10"). */
const PPL_TOP_DEFAULT = 10

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

const TWO_CHAR_SYMBOLS = ['!=', '<=', '>=', '==', '<>', '||', '&&']
const ONE_CHAR_SYMBOLS = '|,()=<>+-*/%[]!'

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
    } else if (source.startsWith('//', i)) {
      while (i < source.length && source.charAt(i) !== '\n') i++
    } else if (source.startsWith('/*', i)) {
      const close = source.indexOf('*/', i + 2)
      i = close < 0 ? source.length : close + 2
      if (close < 0) push('invalid', 'Unterminated comment (missing */)', start)
    } else if (c === "'" || c === '"') {
      // PPL takes both '…' and "…" (the CloudWatch doc's own example: `where field1="success"`).
      const value = readQuoted(c, true)
      push(
        value === undefined ? 'invalid' : 'string',
        value ?? `Unterminated string (missing closing ${c})`,
        start,
      )
    } else if (c === '`') {
      const name = readQuoted('`', false)
      if (name === undefined) push('invalid', 'Unterminated backquoted name (missing closing `)', start)
      else if (name === '') push('invalid', 'Empty backquoted name', start)
      else push('quoted', name, start)
    } else if (/\d/.test(c)) {
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
    } else if (/[A-Za-z_@]/.test(c)) {
      // Identifiers may start with @ and hold dots (nested and flattened JSON names).
      while (i < source.length && /[A-Za-z0-9_@.]/.test(source.charAt(i))) i++
      push('word', source.slice(start, i), start)
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
  /** undefined for count() */
  field: string | undefined
  /** the output column: the alias, or the call as written without backquotes */
  column: string
}

type Operand = Literal | FieldReference

interface FieldReference {
  kind: 'field'
  name: string
}

type Expr = Condition<FieldReference>

interface SortKey {
  field: string
  descending: boolean
}

type Command =
  | { kind: 'fields'; exclude: boolean; names: string[] }
  | { kind: 'where'; condition: Expr }
  | { kind: 'stats'; aggregates: Aggregate[]; by: string[] }
  | { kind: 'sort'; keys: SortKey[] }
  | { kind: 'head'; count: number }
  | { kind: 'dedup'; count: number; names: string[]; keepEmpty: boolean }
  | { kind: 'top' | 'rare'; count: number; names: string[] }

// ─── parser ─────────────────────────────────────────────────────────────────────────────────────

const IMPLEMENTED = 'fields, where, stats, sort, head, dedup, top, rare'
/** PPL commands CloudWatch runs but the emulator does not: named as such in the error. */
const UNSUPPORTED_COMMANDS = [
  'eval',
  'parse',
  'grok',
  'patterns',
  'rename',
  'join',
  'lookup',
  'subquery',
  'eventstats',
  'fillnull',
  'flatten',
  'expand',
  'trendline',
  'appendcol',
  'fieldsummary',
  'describe',
  'explain',
  'correlation',
  'top_approx',
  'rare_approx',
  'project',
  'view',
  'kmeans',
  'ad',
  'ml',
  'filterindex',
]
/** Aggregations PPL has beyond the subset. */
const UNSUPPORTED_AGGREGATES = [
  'distinct_count',
  'dc',
  'distinct_count_approx',
  'stddev_samp',
  'stddev_pop',
  'percentile',
  'percentile_approx',
  'take',
  'var_samp',
  'var_pop',
]
/** Words that end a list or an expression; a field with one of these names needs backquotes. */
const RESERVED = [
  'by',
  'as',
  'and',
  'or',
  'not',
  'in',
  'like',
  'xor',
  'between',
  'from',
  'true',
  'false',
  'null',
]
const COMPARISON_SYMBOLS: Record<string, ComparisonOperator> = {
  '=': '=',
  '!=': '!=',
  '<': '<',
  '<=': '<=',
  '>': '>',
  '>=': '>=',
}
const CONDITION_FUNCTIONS = ['like', 'isnull', 'isnotnull', 'ispresent']

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
    const commands: Command[] = [this.parseCommand()]
    while (this.peek().kind !== 'end') {
      const after = this.peek()
      if (!this.isSymbol(after, '|')) this.unexpected(after, '| or the end of the query')
      this.next()
      commands.push(this.parseCommand())
    }
    return commands
  }

  private parseCommand(): Command {
    const token = this.next()
    if (token.kind === 'invalid') fail(token.text, token.start, token.end)
    if (token.kind !== 'word') this.unexpected(token, `a PPL command (${IMPLEMENTED})`)
    const name = token.text.toLowerCase()
    switch (name) {
      case 'fields':
        return this.parseFields()
      case 'where':
        return { kind: 'where', condition: this.parseExpr() }
      case 'stats':
        return this.parseStats()
      case 'sort':
        return this.parseSort()
      case 'head':
        return this.parseHead()
      case 'dedup':
        return this.parseDedup()
      case 'top':
      case 'rare':
        return this.parseTopRare(name)
      case 'source':
      case 'search':
        // CHOICE: the log groups are StartQuery parameters; what the service does with a
        // `source=` or `SOURCE logGroups(…)` next to them is not documented.
        fail(
          `${token.text} is outside the emulator's PPL subset: name the log groups with StartQuery's logGroupNames or logGroupIdentifiers and start the query with a command (${IMPLEMENTED})`,
          token.start,
          token.end,
        )
    }
    if (UNSUPPORTED_COMMANDS.includes(name)) {
      fail(
        `PPL command ${token.text} is outside the emulator's PPL subset (it runs ${IMPLEMENTED})`,
        token.start,
        token.end,
      )
    }
    fail(`Unknown PPL command ${describe(token)} (the emulator runs ${IMPLEMENTED})`, token.start, token.end)
  }

  private parseFields(): Command {
    let exclude = false
    if (this.isSymbol(this.peek(), '-')) {
      this.next()
      exclude = true
    } else if (this.isSymbol(this.peek(), '+')) {
      this.next()
    }
    return { kind: 'fields', exclude, names: this.parseFieldList() }
  }

  private parseStats(): Command {
    const aggregates: Aggregate[] = []
    do {
      aggregates.push(this.parseAggregate())
    } while (this.acceptSymbol(','))
    const by: string[] = []
    if (this.acceptKeyword('by')) by.push(...this.parseFieldList())
    const columns = new Set<string>()
    for (const column of [...aggregates.map((a) => a.column), ...by]) {
      if (columns.has(column)) {
        const at = this.peek()
        fail(`stats names the column ${column} twice; give one an alias (as name)`, at.start, at.end)
      }
      columns.add(column)
    }
    return { kind: 'stats', aggregates, by }
  }

  private parseAggregate(): Aggregate {
    const token = this.next()
    if (token.kind !== 'word') this.unexpected(token, 'an aggregation such as count()')
    const name = token.text.toLowerCase()
    if (!this.isSymbol(this.peek(), '(')) this.unexpected(this.peek(), `( after ${token.text}`)
    if (UNSUPPORTED_AGGREGATES.includes(name)) {
      fail(
        `Aggregation ${token.text} is outside the emulator's PPL subset (it runs count, sum, min, max, avg)`,
        token.start,
        token.end,
      )
    }
    if (!['count', 'sum', 'min', 'max', 'avg'].includes(name)) {
      fail(
        `Unknown aggregation ${describe(token)} (the emulator runs count, sum, min, max, avg)`,
        token.start,
        token.end,
      )
    }
    const fn = name as AggregateFunction
    this.next() // (
    let field: string | undefined
    let star = false
    if (this.isSymbol(this.peek(), ')')) {
      if (fn !== 'count') this.unexpected(this.peek(), `a field inside ${token.text}()`)
    } else if (fn === 'count' && this.isSymbol(this.peek(), '*')) {
      this.next()
      star = true
    } else {
      field = this.parseField()
    }
    this.expectSymbol(')', `) to close ${token.text}(`)
    let column = `${fn}(${star ? '*' : (field ?? '')})`
    if (this.acceptKeyword('as')) column = this.parseName('a column name after as')
    return { fn, field, column }
  }

  private parseSort(): Command {
    const keys: SortKey[] = []
    do {
      let descending = false
      if (this.isSymbol(this.peek(), '-')) {
        this.next()
        descending = true
      } else if (this.isSymbol(this.peek(), '+')) {
        this.next()
      }
      const field = this.parseField()
      const after = this.peek()
      if (this.isKeyword(after, 'asc') || this.isKeyword(after, 'desc')) {
        fail(
          `sort ${after.raw} is outside the emulator's PPL subset: write sort -${field} for descending`,
          after.start,
          after.end,
        )
      }
      keys.push({ field, descending })
    } while (this.acceptSymbol(','))
    return { kind: 'sort', keys }
  }

  private parseHead(): Command {
    const count = this.peek().kind === 'number' ? this.parseCount('head') : PPL_HEAD_DEFAULT
    const after = this.peek()
    if (this.isKeyword(after, 'from')) {
      fail(`head … from (an offset) is outside the emulator's PPL subset`, after.start, after.end)
    }
    return { kind: 'head', count }
  }

  private parseDedup(): Command {
    const count = this.peek().kind === 'number' ? this.parseCount('dedup') : 1
    if (count < 1) {
      const at = this.tokens[this.position - 1] as Token
      fail('dedup keeps at least 1 record per value (the count must be greater than 0)', at.start, at.end)
    }
    const names = this.parseFieldList(['keepempty', 'consecutive'])
    let keepEmpty = false
    while (this.isKeyword(this.peek(), 'keepempty') || this.isKeyword(this.peek(), 'consecutive')) {
      const option = this.next()
      this.expectSymbol('=', `= after ${option.raw}`)
      const value = this.next()
      if (!this.isKeyword(value, 'true') && !this.isKeyword(value, 'false'))
        this.unexpected(value, 'true or false')
      const on = value.text.toLowerCase() === 'true'
      if (option.text.toLowerCase() === 'consecutive') {
        // "Consecutive deduplication is unsupported" (PPL on Spark, dedup command).
        if (on)
          fail(
            'dedup consecutive=true is outside the emulator (PPL on Spark does not support it)',
            option.start,
            value.end,
          )
      } else {
        keepEmpty = on
      }
    }
    return { kind: 'dedup', count, names, keepEmpty }
  }

  private parseTopRare(kind: 'top' | 'rare'): Command {
    const count = this.peek().kind === 'number' ? this.parseCount(kind) : PPL_TOP_DEFAULT
    const names = this.parseFieldList()
    const after = this.peek()
    if (this.isKeyword(after, 'by')) {
      fail(
        `${kind} … by is outside the emulator's PPL subset (use stats count() by …)`,
        after.start,
        after.end,
      )
    }
    return { kind, count, names }
  }

  private parseCount(command: string): number {
    const token = this.next()
    const value = Number(token.text)
    if (!Number.isInteger(value) || value < 0) this.unexpected(token, `a whole number after ${command}`)
    return value
  }

  private parseFieldList(stopWords: string[] = []): string[] {
    const names: string[] = []
    do {
      const token = this.peek()
      if (stopWords.some((word) => this.isKeyword(token, word))) break
      names.push(this.parseField())
    } while (this.acceptSymbol(','))
    if (names.length === 0) this.unexpected(this.peek(), 'a field name')
    return names
  }

  /** A field reference: a name, checked against what the subset can read. */
  private parseField(): string {
    const token = this.peek()
    const name = this.parseName('a field name')
    if (name === '@ptr') {
      // CHOICE: PPL rows carry no @ptr (as the SQL subset); refusing keeps a caller from relying on it.
      fail('@ptr is not a field of PPL results in the emulator', token.start, token.end)
    }
    const after = this.peek()
    if (this.isSymbol(after, '(')) {
      fail(
        `Function ${token.raw}() is outside the emulator's PPL subset here (fields only)`,
        token.start,
        after.end,
      )
    }
    return name
  }

  private parseName(expected: string): string {
    const token = this.next()
    if (token.kind === 'quoted') return token.text
    if (token.kind === 'invalid') fail(token.text, token.start, token.end)
    if (token.kind === 'word' && !RESERVED.includes(token.text.toLowerCase())) {
      if (token.text.endsWith('.') || token.text.includes('..'))
        fail(`Bad field name ${token.raw}`, token.start, token.end)
      return token.text
    }
    this.unexpected(token, expected)
  }

  // ── conditions ────────────────────────────────────────────────────────────────────────────

  private parseExpr(): Expr {
    let left = this.parseAnd()
    while (true) {
      if (this.acceptKeyword('or')) {
        left = { kind: 'or', left, right: this.parseAnd() }
      } else if (this.isKeyword(this.peek(), 'xor')) {
        const token = this.peek()
        fail("XOR is outside the emulator's PPL subset", token.start, token.end)
      } else {
        return left
      }
    }
  }

  private parseAnd(): Expr {
    let left = this.parseNot()
    while (this.acceptKeyword('and')) left = { kind: 'and', left, right: this.parseNot() }
    return left
  }

  private parseNot(): Expr {
    if (this.acceptKeyword('not')) return { kind: 'not', operand: this.parseNot() }
    return this.parsePrimary()
  }

  private parsePrimary(): Expr {
    const token = this.peek()
    if (this.isSymbol(token, '(')) {
      this.next()
      const inner = this.parseExpr()
      this.expectSymbol(')', ') to close (')
      return inner
    }
    if (token.kind === 'word' && this.isSymbol(this.tokens[this.position + 1], '(')) {
      return this.parseConditionFunction()
    }
    const left = this.parseOperand()
    const op = this.peek()
    if (op.kind === 'symbol' && COMPARISON_SYMBOLS[op.text]) {
      this.next()
      const right = this.parseOperand()
      const compare: Expr = {
        kind: 'compare',
        op: COMPARISON_SYMBOLS[op.text] as ComparisonOperator,
        left,
        right,
      }
      this.checkTimeComparison(left, right, op)
      return compare
    }
    const negated = this.isKeyword(op, 'not')
    const keyword = negated ? this.tokens[this.position + 1] : op
    if (keyword && this.isKeyword(keyword, 'in')) {
      if (negated) this.next()
      this.next()
      this.expectSymbol('(', '( after in')
      const values: Operand[] = []
      do {
        const value = this.parseOperand()
        if (value.kind !== 'literal')
          this.unexpected(this.tokens[this.position - 1] as Token, 'a literal inside in (…)')
        this.checkTimeComparison(left, value, op)
        values.push(value)
      } while (this.acceptSymbol(','))
      this.expectSymbol(')', ') to close in (')
      const expr: Expr = { kind: 'in', operand: left, values }
      return negated ? { kind: 'not', operand: expr } : expr
    }
    if (keyword && this.isKeyword(keyword, 'like')) {
      if (negated) this.next()
      this.next()
      const pattern = this.next()
      if (pattern.kind !== 'string') this.unexpected(pattern, "a '…' pattern after like")
      const expr: Expr = { kind: 'like', operand: left, pattern: likePattern(pattern.text) }
      return negated ? { kind: 'not', operand: expr } : expr
    }
    if (keyword && this.isKeyword(keyword, 'between')) {
      fail(
        "BETWEEN is outside the emulator's PPL subset (write f >= a and f <= b)",
        keyword.start,
        keyword.end,
      )
    }
    if (op.kind === 'symbol' && ['==', '<>', '+', '-', '*', '/', '%', '||', '&&', '!'].includes(op.text)) {
      fail(`Operator ${op.text} is outside the emulator's PPL subset`, op.start, op.end)
    }
    this.unexpected(op, 'a comparison (= != < <= > >=), in (…) or like')
  }

  private parseConditionFunction(): Expr {
    const token = this.next()
    const name = token.text.toLowerCase()
    if (!CONDITION_FUNCTIONS.includes(name)) {
      fail(
        `Function ${token.text}() is outside the emulator's PPL subset (conditions may use like, isnull, isnotnull, ispresent)`,
        token.start,
        token.end,
      )
    }
    this.next() // (
    const operand: Operand = { kind: 'field', name: this.parseField() }
    if (name === 'like') {
      this.expectSymbol(',', ', between the field and the pattern of like(…)')
      const pattern = this.next()
      if (pattern.kind !== 'string') this.unexpected(pattern, "a '…' pattern")
      this.expectSymbol(')', ') to close like(')
      return { kind: 'like', operand, pattern: likePattern(pattern.text) }
    }
    this.expectSymbol(')', `) to close ${token.text}(`)
    const isNull: Expr = { kind: 'isNull', operand }
    return name === 'isnull' ? isNull : { kind: 'not', operand: isNull }
  }

  private parseOperand(): Operand {
    const token = this.peek()
    if (token.kind === 'string') {
      this.next()
      return { kind: 'literal', value: token.text, numeric: false }
    }
    if (token.kind === 'number') {
      this.next()
      return { kind: 'literal', value: token.text, numeric: true }
    }
    if (this.isSymbol(token, '-') && this.tokens[this.position + 1]?.kind === 'number') {
      this.next()
      const number = this.next()
      return { kind: 'literal', value: `-${number.text}`, numeric: true }
    }
    if (this.isKeyword(token, 'true') || this.isKeyword(token, 'false') || this.isKeyword(token, 'null')) {
      fail(`Literal ${token.raw} is outside the emulator's PPL subset`, token.start, token.end)
    }
    return { kind: 'field', name: this.parseField() }
  }

  /** CHOICE: a time field compares only with a 'YYYY-MM-DD HH:MM:SS[.fff]' string (read as UTC). */
  private checkTimeComparison(left: Operand, right: Operand, at: Token): void {
    for (const [field, other] of [
      [left, right],
      [right, left],
    ] as const) {
      if (field.kind !== 'field' || !TIME_FIELDS.includes(field.name) || other.kind !== 'literal') continue
      if (other.numeric || parseSqlTimestamp(other.value) === undefined) {
        fail(
          `${field.name} compares with a 'YYYY-MM-DD HH:MM:SS' string (UTC) in the emulator, not ${other.numeric ? other.value : JSON.stringify(other.value)}`,
          at.start,
          at.end,
        )
      }
    }
  }

  // ── tokens ────────────────────────────────────────────────────────────────────────────────

  private unexpected(token: Token, expected: string): never {
    if (token.kind === 'invalid') fail(token.text, token.start, token.end)
    fail(`Expected ${expected}, found ${describe(token)}`, token.start, token.end)
  }

  private acceptKeyword(keyword: string): boolean {
    if (!this.isKeyword(this.peek(), keyword)) return false
    this.next()
    return true
  }

  private acceptSymbol(symbol: string): boolean {
    if (!this.isSymbol(this.peek(), symbol)) return false
    this.next()
    return true
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

  /** PPL keywords are case-insensitive (the PPL-on-Spark lexer). */
  private isKeyword(token: Token | undefined, keyword: string): boolean {
    return token?.kind === 'word' && token.text.toLowerCase() === keyword
  }

  private isSymbol(token: Token | undefined, symbol: string): boolean {
    return token?.kind === 'symbol' && token.text === symbol
  }
}

// ─── rows ───────────────────────────────────────────────────────────────────────────────────────

/** A row between commands: values by name, and the columns it shows, in order. */
interface Row {
  get(name: string): Value | undefined
  columns(): Array<[string, Value]>
}

const DEFAULT_COLUMNS = ['@timestamp', '@message', '@logStream', '@log']

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

  columns(): Array<[string, Value]> {
    const columns: Array<[string, Value]> = []
    for (const name of DEFAULT_COLUMNS) {
      const value = this.get(name)
      if (value !== undefined) columns.push([name, value])
    }
    this.json ??= discoverJsonFields(this.event.message)
    for (const [name, value] of this.json) columns.push([name, value])
    return columns
  }
}

/** `fields a, b`: only the named fields, in that order. */
class ProjectedRow implements Row {
  constructor(
    private readonly base: Row,
    private readonly names: string[],
  ) {}

  get(name: string): Value | undefined {
    return this.names.includes(name) ? this.base.get(name) : undefined
  }

  columns(): Array<[string, Value]> {
    return this.names.flatMap((name) => {
      const value = this.base.get(name)
      return value === undefined ? [] : [[name, value] as [string, Value]]
    })
  }
}

/** `fields - a, b`: everything else. */
class ExcludedRow implements Row {
  constructor(
    private readonly base: Row,
    private readonly names: string[],
  ) {}

  get(name: string): Value | undefined {
    return this.names.includes(name) ? undefined : this.base.get(name)
  }

  columns(): Array<[string, Value]> {
    return this.base.columns().filter(([name]) => !this.names.includes(name))
  }
}

/** An aggregated row (stats, top, rare): its columns, in output order. */
class TableRow implements Row {
  readonly values: Array<[string, Value]> = []

  get(name: string): Value | undefined {
    return this.values.find(([column]) => column === name)?.[1]
  }

  columns(): Array<[string, Value]> {
    return this.values
  }
}

// ─── evaluator ──────────────────────────────────────────────────────────────────────────────────

const AGGREGATING = ['stats', 'top', 'rare']

class PplQuery implements CompiledPplQuery {
  constructor(private readonly commands: Command[]) {}

  run(events: Iterable<LogEvent>): QueryOutput {
    let rows: Row[] = []
    let bytesScanned = 0
    for (const event of events) {
      bytesScanned += Buffer.byteLength(event.message, 'utf8')
      rows.push(new EventRow(event))
    }
    const recordsScanned = rows.length
    let recordsMatched: number | undefined
    const eventRows = rows
    for (const [index, command] of this.commands.entries()) {
      if (recordsMatched === undefined && AGGREGATING.includes(command.kind))
        recordsMatched = countMatched(eventRows, this.commands.slice(0, index))
      rows = apply(command, rows)
    }
    recordsMatched ??= countMatched(eventRows, this.commands)
    const output: ResultField[][] = rows.map((row) =>
      row.columns().map(([field, value]) => ({ field, value: text(value) })),
    )
    return { rows: output, recordsMatched, recordsScanned, bytesScanned }
  }
}

/** Records that pass every `where` (and keep their fields through `fields`); head/dedup/sort aside. */
function countMatched(rows: Row[], commands: Command[]): number {
  let kept = rows
  for (const command of commands) {
    if (command.kind === 'where' || command.kind === 'fields') kept = apply(command, kept)
  }
  return kept.length
}

function apply(command: Command, rows: Row[]): Row[] {
  switch (command.kind) {
    case 'fields':
      return rows.map((row) =>
        command.exclude ? new ExcludedRow(row, command.names) : new ProjectedRow(row, command.names),
      )
    case 'where':
      return rows.filter((row) => evaluate(command.condition, row) === true)
    case 'sort':
      return sortByKeys(rows, command.keys, (key, row) => row.get(key.field))
    case 'head':
      return rows.slice(0, command.count)
    case 'dedup':
      return dedup(rows, command)
    case 'stats':
      return stats(rows, command.aggregates, command.by)
    case 'top':
    case 'rare':
      return topRare(rows, command)
  }
}

function dedup(rows: Row[], command: { count: number; names: string[]; keepEmpty: boolean }): Row[] {
  const seen = new Map<string, number>()
  return rows.filter((row) => {
    const values = command.names.map((name) => row.get(name))
    // "keepempty: If true, keep the document if any field in the field list has a null value or a
    // field missing" (dedup command); by default such documents are dropped.
    if (values.some((value) => value === undefined)) return command.keepEmpty
    const key = groupKey(values)
    const count = seen.get(key) ?? 0
    seen.set(key, count + 1)
    return count < command.count
  })
}

function topRare(rows: Row[], command: { kind: 'top' | 'rare'; count: number; names: string[] }): Row[] {
  const groups = new Map<string, { values: (Value | undefined)[]; count: number }>()
  for (const row of rows) {
    const values = command.names.map((name) => row.get(name))
    const key = groupKey(values)
    const group = groups.get(key) ?? { values, count: 0 }
    group.count++
    groups.set(key, group)
  }
  // Array.prototype.sort is stable: ties keep first-seen order (CHOICE).
  const sorted = [...groups.values()].sort((a, b) =>
    command.kind === 'top' ? b.count - a.count : a.count - b.count,
  )
  return sorted.slice(0, command.count).map((group) => {
    const row = new TableRow()
    row.values.push([`count_${command.names[0]}`, String(group.count)])
    command.names.forEach((name, index) => {
      const value = group.values[index]
      if (value !== undefined) row.values.push([name, value])
    })
    return row
  })
}

function stats(rows: Row[], aggregates: Aggregate[], by: string[]): Row[] {
  const groups = new Map<string, { keys: (Value | undefined)[]; accumulators: Accumulator[] }>()
  const fresh = () => aggregates.map(newAccumulator)
  // No `by`: "the stats command returns only one row, which is the aggregation over the entire
  // result set" (PPL stats command), even over no records.
  if (by.length === 0) groups.set('[]', { keys: [], accumulators: fresh() })
  for (const row of rows) {
    const keys = by.map((field) => row.get(field))
    const id = groupKey(keys)
    const group = groups.get(id) ?? { keys, accumulators: fresh() }
    groups.set(id, group)
    // NULL and MISSING values are not counted and are ignored by sum/avg/min/max (stats command).
    aggregates.forEach((aggregate, index) => {
      accumulate(group.accumulators[index] as Accumulator, aggregate.field, row)
    })
  }
  return [...groups.values()].map((group) => {
    const row = new TableRow()
    // Aggregates first, then the `by` fields: the column order of every stats example.
    aggregates.forEach((aggregate, index) => {
      const result = aggregationResult(aggregate.fn, group.accumulators[index] as Accumulator)
      if (result !== undefined) row.values.push([aggregate.column, result])
    })
    by.forEach((field, index) => {
      const value = group.keys[index]
      if (value !== undefined) row.values.push([field, value])
    })
    return row
  })
}

function aggregationResult(fn: AggregateFunction, accumulator: Accumulator): Value | undefined {
  if (fn === 'min' && accumulator.earliest) return accumulator.earliest
  if (fn === 'max' && accumulator.latest) return accumulator.latest
  const result = numericResult(fn, accumulator)
  // SUM/MIN/MAX/AVG of no numbers is NULL: the column is left out of the row.
  if (result === undefined) return undefined
  // avg is a double: 28 prints as 28.0 (stats command example: `avg(age)` … `28.0`).
  if (fn === 'avg') return Number.isInteger(result) ? result.toFixed(1) : String(result)
  return String(result)
}

function evaluate(expr: Expr, row: Row): boolean | undefined {
  return evaluateCondition(expr, (field) => row.get(field.name))
}
