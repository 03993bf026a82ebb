/**
 * The digest of an aggregate query (`stats count(*) by status`, SQL GROUP BY, PPL `stats`): its rows
 * are groups, not log records, so they are kept as a table and the run counts records, not rows.
 *
 * - Matching records: the sum of the count column (`count(*)`) when the query has one and every row
 *   was fetched; otherwise the service's `statistics.recordsMatched`, which counts the records the
 *   query matched whatever its rows are.
 * - Severity: from the status column where there is one, each row weighing its count (a row with
 *   status 502 and count 7 is 7 critical matches).
 */
import type { ResultField } from '@aws-sdk/client-cloudwatch-logs'
import type { AggregateTable, Digest } from './digest.js'
import { type Severity, severityOf, worse } from './entries.js'
import type { QueryShape } from './insights/query-shape.js'
import type { QueryStatistics } from './insights/types.js'

/** Rows kept for the message and the summary; the results file has them all. */
const MAX_TABLE_ROWS = 1_000

export class AggregateBuilder {
  readonly #columns: string[] = []
  readonly #columnIndex = new Map<string, number>()
  readonly #rows: (string | undefined)[][] = []
  #rowsSeen = 0
  #countSum = 0
  /** Every row so far had a whole, non-negative number in the count column. */
  #countable: boolean
  #critical = 0
  #warning = 0
  #worst: Severity = 'none'

  constructor(
    private readonly shape: QueryShape,
    private readonly statusField: string,
  ) {
    this.#countable = shape.countColumn !== undefined
  }

  add(row: readonly ResultField[]): void {
    this.#rowsSeen += 1
    const values: (string | undefined)[] = []
    let count: number | undefined
    let status: number | undefined
    for (const { field, value } of row) {
      if (field === undefined || value === undefined || field === '@ptr') continue
      values[this.#column(field)] = value
      if (field === this.shape.countColumn && /^\d+$/.test(value.trim())) count = Number(value.trim())
      if (field === this.statusField && /^\d{3}$/.test(value.trim())) status = Number(value.trim())
    }
    if (this.#rows.length < MAX_TABLE_ROWS) this.#rows.push(values)
    if (count === undefined) this.#countable = false
    else this.#countSum += count
    if (status !== undefined) this.#addStatus(status, count ?? 1)
  }

  /** The index of a field's column, adding the column the first time the field is seen. */
  #column(field: string): number {
    let index = this.#columnIndex.get(field)
    if (index === undefined) {
      index = this.#columns.length
      this.#columns.push(field)
      this.#columnIndex.set(field, index)
    }
    return index
  }

  /** A row's status, weighing `weight` records (its count, or 1 without one). */
  #addStatus(status: number, weight: number): void {
    const severity = severityOf(status)
    this.#worst = worse(this.#worst, severity)
    if (severity === 'critical') this.#critical += weight
    if (severity === 'warning') this.#warning += weight
  }

  /**
   * The digest: `statistics` are the whole-window totals; `complete` is false when rows were left
   * unfetched, and then the count column cannot be trusted to add up.
   */
  build(statistics: QueryStatistics, complete: boolean): Digest & { table: AggregateTable } {
    const byColumn = this.#countable && complete && this.#rowsSeen > 0
    const total = byColumn ? this.#countSum : statistics.recordsMatched
    const table: AggregateTable = {
      columns: [...this.#columns],
      rows: this.#rows.map((row) => [...row]),
      rowCount: this.#rowsSeen,
      countedBy: byColumn ? 'count-column' : 'records-matched',
    }
    if (byColumn && this.shape.countColumn !== undefined) table.countColumn = this.shape.countColumn
    // Severity counts are weighted by the count column; without one they are rows, which would not
    // be records, so only the worst severity is kept.
    const weighted = byColumn
    return {
      total,
      critical: weighted ? this.#critical : 0,
      warning: weighted ? this.#warning : 0,
      worst: total === 0 ? 'none' : this.#worst,
      breakdowns: [],
      samples: [],
      table,
    }
  }

  /** Rows taken so far. */
  get rows(): number {
    return this.#rowsSeen
  }
}
