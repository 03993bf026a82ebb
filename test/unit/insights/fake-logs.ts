import {
  GetQueryResultsCommand,
  type ResultField,
  StartQueryCommand,
  type StartQueryCommandInput,
  StopQueryCommand,
} from '@aws-sdk/client-cloudwatch-logs'
import type { InsightsClient } from '../../../src/insights/types.js'
import type { VirtualClock } from './virtual-clock.js'

/** One log event: `message` is what comes back as @message. */
export interface FakeEvent {
  group: string
  ms: number
  message: string
}

export interface FakeLogsOptions {
  /** StartQuery's inclusive endTime: 'instant' = up to end.000; 'whole' = up to end.999. */
  reading: 'instant' | 'whole'
  /** Rows one query returns at most whatever its limit (a service capping without paging). Default 10,000. */
  cap?: number
  /** Page size with nextToken; undefined: one answer with every row, no nextToken. */
  pageSize?: number
  /** Largest StartQuery `limit` accepted (a validation error above it). Default 10,000, or 100,000 with paging. */
  maxLimit?: number
  /** StartQuery → Complete, in clock ms. Default 1000. */
  latencyMs?: number
  /** Rows carry @timestamp. Default true. */
  timestamps?: boolean
  /** Queries over any of these groups end Failed. */
  failGroups?: ReadonlySet<string>
  /** Thrown by the first StartQuery calls, one each, in order. */
  startErrors?: Error[]
  /** Thrown by the first GetQueryResults calls (polls and pages), one each, in order. */
  resultErrors?: Error[]
}

interface FakeQuery {
  id: string
  input: StartQueryCommandInput
  startedAt: number
  rows: ResultField[][]
  matched: number
  failed: boolean
  stopped: boolean
  completeSeen: boolean
}

export type FakeCall =
  | { op: 'StartQuery'; at: number; input: StartQueryCommandInput; queryId?: string }
  | { op: 'GetQueryResults'; at: number; queryId: string; nextToken?: string }
  | { op: 'StopQuery'; at: number; queryId: string }

/** `YYYY-MM-DD HH:MM:SS.mmm` in UTC, as Insights returns @timestamp. */
export function insightsTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '')
}

export function throttle(name: string, message = 'Rate exceeded'): Error {
  return Object.assign(new Error(message), { name })
}

/**
 * A scripted CloudWatch Logs for the batching and splitting logic: every event in a query's groups
 * and window matches (the query string only matters for `stats` and `limit N`), rows are newest
 * first, carry no @ptr (so identical log lines give identical rows), and statistics count the whole
 * result as the service's do.
 */
export class FakeLogs {
  readonly calls: FakeCall[] = []
  readonly #queries = new Map<string, FakeQuery>()
  #nextId = 1
  /** Queries started and not yet seen Complete (or stopped): the most at once. */
  maxActive = 0

  constructor(
    readonly events: FakeEvent[],
    readonly clock: VirtualClock,
    readonly options: FakeLogsOptions,
  ) {}

  get client(): InsightsClient {
    return this.clock.client({ send: (command: unknown) => this.#send(command) } as InsightsClient)
  }

  ops<Op extends FakeCall['op']>(op: Op): Array<Extract<FakeCall, { op: Op }>> {
    return this.calls.filter((call): call is Extract<FakeCall, { op: Op }> => call.op === op)
  }

  /** What a query over [start, end] of these groups covers under the reading. */
  covered(groups: readonly string[], start: number, end: number): FakeEvent[] {
    const to = this.options.reading === 'whole' ? (end + 1) * 1000 : end * 1000 + 1
    const set = new Set(groups)
    return this.events.filter((event) => set.has(event.group) && event.ms >= start * 1000 && event.ms < to)
  }

  get #active(): number {
    return [...this.#queries.values()].filter((q) => !q.completeSeen && !q.stopped && !q.failed).length
  }

  async #send(command: unknown): Promise<unknown> {
    const at = this.clock.now()
    if (command instanceof StartQueryCommand) {
      const input = command.input
      const call: FakeCall = { op: 'StartQuery', at, input }
      this.calls.push(call)
      const error = this.options.startErrors?.shift()
      if (error) throw error
      const maxLimit = this.options.maxLimit ?? (this.options.pageSize ? 100_000 : 10_000)
      if (input.limit !== undefined && input.limit > maxLimit) {
        throw Object.assign(
          new Error(
            `1 validation error detected: Value '${input.limit}' at 'limit' failed to satisfy constraint: Member must have value less than or equal to ${maxLimit}`,
          ),
          { name: 'InvalidParameterException' },
        )
      }
      const groups = input.logGroupNames ?? input.logGroupIdentifiers ?? []
      const events = this.covered(groups, input.startTime ?? 0, input.endTime ?? 0).sort(
        (a, b) => b.ms - a.ms,
      )
      const userLimit = /\|\s*limit\s+(\d+)/.exec(input.queryString ?? '')?.[1]
      const limits = [input.limit, userLimit === undefined ? undefined : Number(userLimit)].filter(
        (n): n is number => n !== undefined,
      )
      const rowCap = Math.min(limits.length > 0 ? Math.min(...limits) : 10_000, this.options.cap ?? 10_000)
      let rows: ResultField[][]
      if (/\|\s*stats\b/.test(input.queryString ?? '')) {
        rows = events.length > 0 ? [[{ field: 'count()', value: String(events.length) }]] : []
      } else {
        rows = events.slice(0, rowCap).map((event) => {
          const row: ResultField[] = [{ field: '@message', value: event.message }]
          if (this.options.timestamps !== false)
            row.unshift({ field: '@timestamp', value: insightsTime(event.ms) })
          return row
        })
      }
      const id = `q-${this.#nextId++}`
      call.queryId = id
      this.#queries.set(id, {
        id,
        input,
        startedAt: at,
        rows,
        matched: events.length,
        failed: groups.some((group) => this.options.failGroups?.has(group)),
        stopped: false,
        completeSeen: false,
      })
      this.maxActive = Math.max(this.maxActive, this.#active)
      return { queryId: id, $metadata: {} }
    }
    if (command instanceof StopQueryCommand) {
      const queryId = command.input.queryId ?? ''
      this.calls.push({ op: 'StopQuery', at, queryId })
      const query = this.#queries.get(queryId)
      if (query) query.stopped = true
      return { success: true, $metadata: {} }
    }
    if (command instanceof GetQueryResultsCommand) {
      const queryId = command.input.queryId ?? ''
      const nextToken = command.input.nextToken
      this.calls.push(
        nextToken === undefined
          ? { op: 'GetQueryResults', at, queryId }
          : { op: 'GetQueryResults', at, queryId, nextToken },
      )
      const error = this.options.resultErrors?.shift()
      if (error) throw error
      const query = this.#queries.get(queryId)
      if (!query) throw new Error(`unknown query ${queryId}`)
      if (query.stopped) return { status: 'Cancelled', $metadata: {} }
      if (at - query.startedAt < (this.options.latencyMs ?? 1000)) return { status: 'Running', $metadata: {} }
      if (query.failed) return { status: 'Failed', $metadata: {} }
      query.completeSeen = true
      const statistics = { recordsMatched: query.matched, recordsScanned: query.matched, bytesScanned: 100 }
      const size = this.options.pageSize ?? query.rows.length
      const offset = nextToken === undefined ? 0 : Number(nextToken)
      const answer: Record<string, unknown> = {
        status: 'Complete',
        statistics,
        results: query.rows.slice(offset, offset + size),
        $metadata: {},
      }
      if (this.options.pageSize && offset + size < query.rows.length) answer.nextToken = String(offset + size)
      return answer
    }
    throw new Error('unexpected command')
  }
}

/** A consumer that counts rows by @timestamp + @message (identical rows are counted, not merged). */
export function collector() {
  const counts = new Map<string, number>()
  let rows = 0
  return {
    onRows: (page: ResultField[][]) => {
      for (const row of page) {
        rows += 1
        const key = rowKey(row)
        counts.set(key, (counts.get(key) ?? 0) + 1)
      }
    },
    counts,
    get rows() {
      return rows
    },
  }
}

function rowKey(row: readonly ResultField[]): string {
  const get = (name: string) => row.find((field) => field.field === name)?.value ?? ''
  return `${get('@timestamp')}|${get('@message')}`
}

/** The multiset of what a correct run delivers: one count per event. */
export function expectedCounts(events: readonly FakeEvent[]): Map<string, number> {
  const counts = new Map<string, number>()
  for (const event of events) {
    const key = `${insightsTime(event.ms)}|${event.message}`
    counts.set(key, (counts.get(key) ?? 0) + 1)
  }
  return counts
}
