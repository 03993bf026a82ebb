/**
 * Spark SQL value semantics shared by the emulator's two OpenSearch languages, sql-language.ts and
 * ppl-language.ts: CloudWatch Logs runs both dialects on Spark (the SQL function tables are Spark's;
 * PPL's dialect is opensearch-spark's ppl-lang), so values, NULL, comparison, LIKE and aggregates
 * behave the same in both. Each language keeps its own tokenizer, parser and rows; this module holds
 * what a value means once a row has it.
 *
 * NULL is `undefined` throughout: a field the row lacks, a comparison that cannot be made.
 */

import { type ComparisonOperator, comparisonHolds, formatTimestamp } from './query-language.js'

// ─── values ─────────────────────────────────────────────────────────────────────────────────────

/** A point in time (`@timestamp`, `@ingestionTime`): compared as epoch ms, shown formatted. */
export class Instant {
  constructor(readonly ms: number) {}
}

export type Value = string | Instant

export function text(value: Value): string {
  return typeof value === 'string' ? value : formatTimestamp(value.ms)
}

/** Decimal numbers as JSON and JS print them; nothing else is numeric. */
export const NUMBER = /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/

function asNumber(value: string): number | undefined {
  return NUMBER.test(value) ? Number(value) : undefined
}

export const TIME_FIELDS = ['@timestamp', '@ingestionTime']

const TIMESTAMP_LITERAL = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?$/

/** `'2026-01-15 12:00:00'` or `'2026-01-15 12:00:00.250'`, read as UTC; undefined otherwise. */
export function parseSqlTimestamp(literal: string): number | undefined {
  const match = TIMESTAMP_LITERAL.exec(literal)
  if (!match) return undefined
  const [, y, mo, d, h, mi, s, fraction] = match
  const ms = Date.UTC(
    Number(y),
    Number(mo) - 1,
    Number(d),
    Number(h),
    Number(mi),
    Number(s),
    Number((fraction ?? '').padEnd(3, '0')),
  )
  // Date.UTC rolls 2026-02-30 over into March; a literal that does not round-trip is not a date.
  return formatTimestamp(ms).startsWith(literal.slice(0, 19)) ? ms : undefined
}

/** Group identity for GROUP BY / stats by: times by ms, NULL as its own key. */
export function groupKey(values: (Value | undefined)[]): string {
  return JSON.stringify(values.map((value) => (value instanceof Instant ? { t: value.ms } : (value ?? null))))
}

// ─── conditions ─────────────────────────────────────────────────────────────────────────────────

export interface Literal {
  kind: 'literal'
  value: string
  numeric: boolean
}

/** What a row is asked for: a field, or (SQL's HAVING/ORDER BY) an aggregate. */
export interface Reference {
  kind: 'field' | 'aggregate'
}

export type { ComparisonOperator }

/** A WHERE/HAVING (SQL) or `where` (PPL) condition over literals and references R. */
export type Condition<R extends Reference> =
  | { kind: 'and' | 'or'; left: Condition<R>; right: Condition<R> }
  | { kind: 'not'; operand: Condition<R> }
  | { kind: 'compare'; op: ComparisonOperator; left: Literal | R; right: Literal | R }
  | { kind: 'in'; operand: Literal | R; values: (Literal | R)[] }
  | { kind: 'like'; operand: Literal | R; pattern: RegExp }
  | { kind: 'isNull'; operand: Literal | R }

/** LIKE: `%` any run, `_` one character, a backslash escapes; the whole value must match. */
export function likePattern(pattern: string): RegExp {
  let source = ''
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charAt(i)
    if (c === '\\' && i + 1 < pattern.length) {
      i++
      source += escapeRegExp(pattern.charAt(i))
    } else if (c === '%') source += '[\\s\\S]*'
    else if (c === '_') source += '[\\s\\S]'
    else source += escapeRegExp(c)
  }
  return new RegExp(`^${source}$`)
}

function escapeRegExp(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
}

/**
 * Compares two present values: undefined is SQL's NULL (a value that cannot be compared, such as
 * a number literal against the text "abc"). Times by epoch ms (a string side is read as a UTC
 * timestamp); a number literal against a field numerically; two fields numerically when both are
 * numbers; otherwise as strings (UTF-16 code unit order).
 */
function compare(
  left: Value,
  right: Value,
  leftOperand: Literal | Reference,
  rightOperand: Literal | Reference,
): number | undefined {
  if (left instanceof Instant || right instanceof Instant) {
    const a = left instanceof Instant ? left.ms : parseSqlTimestamp(left)
    const b = right instanceof Instant ? right.ms : parseSqlTimestamp(right)
    if (a === undefined || b === undefined) return undefined
    return Math.sign(a - b)
  }
  const numericLiteral = isLiteral(leftOperand, true) || isLiteral(rightOperand, true)
  const stringLiteral = isLiteral(leftOperand, false) || isLiteral(rightOperand, false)
  const a = asNumber(left)
  const b = asNumber(right)
  if (numericLiteral) {
    // Spark casts the other side to a number; a value that is not one becomes NULL.
    if (a === undefined || b === undefined) return undefined
    return Math.sign(a - b)
  }
  if (!stringLiteral && a !== undefined && b !== undefined) return Math.sign(a - b)
  return left === right ? 0 : left < right ? -1 : 1
}

function isLiteral(operand: Literal | Reference, numeric: boolean): boolean {
  return operand.kind === 'literal' && operand.numeric === numeric
}

/**
 * SQL's three-valued logic: true, false, or undefined for NULL (WHERE/HAVING/`where` keep only
 * true). `lookup` reads a reference in the row at hand.
 */
export function evaluateCondition<R extends Reference>(
  expr: Condition<R>,
  lookup: (reference: R) => Value | undefined,
): boolean | undefined {
  const operandValue = (operand: Literal | R): Value | undefined =>
    operand.kind === 'literal' ? operand.value : lookup(operand)
  switch (expr.kind) {
    case 'and': {
      const left = evaluateCondition(expr.left, lookup)
      if (left === false) return false
      const right = evaluateCondition(expr.right, lookup)
      if (right === false) return false
      return left === true && right === true ? true : undefined
    }
    case 'or': {
      const left = evaluateCondition(expr.left, lookup)
      if (left === true) return true
      const right = evaluateCondition(expr.right, lookup)
      if (right === true) return true
      return left === false && right === false ? false : undefined
    }
    case 'not': {
      const value = evaluateCondition(expr.operand, lookup)
      return value === undefined ? undefined : !value
    }
    case 'isNull':
      return operandValue(expr.operand) === undefined
    case 'compare': {
      const left = operandValue(expr.left)
      const right = operandValue(expr.right)
      if (left === undefined || right === undefined) return undefined
      const order = compare(left, right, expr.left, expr.right)
      return order === undefined ? undefined : comparisonHolds(expr.op, order)
    }
    case 'in': {
      const value = operandValue(expr.operand)
      if (value === undefined) return undefined
      let unknown = false
      for (const candidate of expr.values) {
        const other = operandValue(candidate)
        const order = other === undefined ? undefined : compare(value, other, expr.operand, candidate)
        if (order === 0) return true
        if (order === undefined) unknown = true
      }
      return unknown ? undefined : false
    }
    case 'like': {
      const value = operandValue(expr.operand)
      return value === undefined ? undefined : expr.pattern.test(text(value))
    }
  }
}

// ─── sorting ────────────────────────────────────────────────────────────────────────────────────

/** Sort values: times by ms, numbers by value when both are numbers, else strings. */
function sortCompare(a: Value, b: Value): number {
  if (a instanceof Instant && b instanceof Instant) return a.ms - b.ms
  const x = text(a)
  const y = text(b)
  const nx = asNumber(x)
  const ny = asNumber(y)
  if (nx !== undefined && ny !== undefined) return nx - ny
  return x === y ? 0 : x < y ? -1 : 1
}

/**
 * Orders rows by keys, each read with `keyValue`; Array.prototype.sort is stable, so rows with
 * equal keys keep their order.
 */
export function sortByKeys<R, K extends { descending: boolean }>(
  rows: R[],
  keys: K[],
  keyValue: (key: K, row: R) => Value | undefined,
): R[] {
  return [...rows].sort((r1, r2) => {
    for (const key of keys) {
      const a = keyValue(key, r1)
      const b = keyValue(key, r2)
      if (a === undefined && b === undefined) continue
      // CHOICE (Spark's default): NULLS FIRST ascending, NULLS LAST descending.
      if (a === undefined) return key.descending ? 1 : -1
      if (b === undefined) return key.descending ? -1 : 1
      const order = sortCompare(a, b)
      if (order !== 0) return key.descending ? -order : order
    }
    return 0
  })
}

// ─── aggregates ─────────────────────────────────────────────────────────────────────────────────

export type AggregateFunction = 'count' | 'sum' | 'min' | 'max' | 'avg'

export interface Accumulator {
  count: number
  sum: number
  numbers: number
  min: number
  max: number
  /** MIN/MAX of `@timestamp`/`@ingestionTime` stay times */
  earliest?: Instant
  latest?: Instant
}

export function newAccumulator(): Accumulator {
  return { count: 0, sum: 0, numbers: 0, min: Number.POSITIVE_INFINITY, max: Number.NEGATIVE_INFINITY }
}

/**
 * Adds one row to an aggregate over `field` (undefined for COUNT(*) / count()). NULL values are not
 * counted and are ignored by SUM/AVG/MIN/MAX; those take only the values that are numbers or times.
 */
export function accumulate(
  accumulator: Accumulator,
  field: string | undefined,
  row: { get(name: string): Value | undefined },
): void {
  if (field === undefined) {
    accumulator.count++
    return
  }
  const value = row.get(field)
  if (value === undefined) return
  accumulator.count++
  if (value instanceof Instant) {
    if (accumulator.earliest === undefined || value.ms < accumulator.earliest.ms) accumulator.earliest = value
    if (accumulator.latest === undefined || value.ms > accumulator.latest.ms) accumulator.latest = value
    return
  }
  const number = asNumber(value)
  if (number === undefined) return
  accumulator.numbers++
  accumulator.sum += number
  accumulator.min = Math.min(accumulator.min, number)
  accumulator.max = Math.max(accumulator.max, number)
}

/** The aggregate as a number; SUM/MIN/MAX/AVG of no numbers is NULL (undefined). */
export function numericResult(fn: AggregateFunction, accumulator: Accumulator): number | undefined {
  if (fn === 'count') return accumulator.count
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
