/**
 * Splitting a query's window when one query cannot return every row, and merging the parts back
 * without losing or repeating a record.
 *
 * StartQuery's `startTime`/`endTime` are whole seconds, both inclusive; whether the end second is the
 * instant `end.000` or the whole second is not documented (see window.ts). A window [S, E] is split at
 * M into [S, M] and [M, E], and the second M is shared:
 *
 * - under the "instant" reading [S, M] covers [S.000, M.000] and [M, E] covers [M.000, E.000]: together
 *   exactly what [S, E] covers; the events at M.000 come back from both parts;
 * - under the "whole" reading [S, M] covers S.000 … M.999 and [M, E] covers M.000 … E.999: together
 *   exactly what [S, E] covers; every event of second M comes back from both parts.
 *
 * Either way, every second but M comes from exactly one part, and of second M one part returns all
 * the records and the other returns a subset of them. So for the rows whose `@timestamp` falls in M,
 * the merge keeps, for each distinct row, the larger of the two parts' counts — the multiset union —
 * never the sum. Identical rows can be distinct records (the same log line twice in one millisecond),
 * which is why it counts rather than keeps a set. Each part's rows are a subset of the records it
 * covers, so the merge never delivers more copies of a row than there are records, even when a part
 * was capped; when no part was capped it delivers exactly the records of [S, E].
 */
import type { ResultField } from '@aws-sdk/client-cloudwatch-logs'
import { timestampSecond } from '../entries.js'
import type { Window } from './window.js'

// The query's shape is read in query-shape.ts; re-exported for the modules that split by it.
export { analyseQuery, type QueryShape } from './query-shape.js'

/** Never more parts from one split than this, however large matched/capacity is. */
export const MAX_PARTS_PER_SPLIT = 128

/**
 * How many parts a window whose query matched `matched` records but could return only `capacity`
 * rows is cut into: 2^d, the fewest levels d of halving after which parts of average size fit. Each
 * level that is queried scans the whole window again (billed per GB scanned), so the levels that
 * would overflow on average are not queried; a part that still overflows (the records are not spread
 * evenly) is split again by the same rule.
 */
export function partsNeeded(matched: number, capacity: number): number {
  if (capacity <= 0 || !Number.isFinite(matched / capacity)) return 2
  let parts = 2
  while (parts * capacity < matched && parts < MAX_PARTS_PER_SPLIT) parts *= 2
  return parts
}

/**
 * Cuts [start, end] into `parts` windows [t0, t1], [t1, t2], … [t(k-1), tk], t0 = start, tk = end,
 * each boundary second shared by the two windows either side of it (see the header). Needs
 * end − start ≥ 1 per part, so a window of width w = end − start yields at most w parts; a window of
 * one or two seconds (w ≤ 1) cannot be split: under the instant reading no query can cover the inside
 * of second S without also covering all of [S.000, (S+1).000].
 */
export function splitWindow(window: Window, parts: number): Window[] {
  const width = window.end - window.start
  const count = Math.max(1, Math.min(Math.floor(parts), width))
  const bounds = Array.from({ length: count + 1 }, (_, i) => window.start + Math.floor((i * width) / count))
  return Array.from({ length: count }, (_, i) => ({
    start: bounds[i] as number,
    end: bounds[i + 1] as number,
  }))
}

/** A window can be split when it is at least three seconds (two boundaries apart) wide. */
export function canSplit(window: Window): boolean {
  return window.end - window.start >= 2
}

/**
 * The epoch second of a row's `@timestamp` ("2026-01-15 12:00:00.000", UTC: how GetQueryResults
 * returns it; ISO 8601 also read), or undefined when the row has none.
 */
export function rowSecond(row: readonly ResultField[]): number | undefined {
  const value = row.find((field) => field.field === '@timestamp')?.value
  return value === undefined ? undefined : timestampSecond(value.trim())
}

/** A window being fetched, and which of its end seconds it shares with a neighbouring part. */
export interface Part extends Window {
  /** `start` is a split second shared with the part before. */
  sharedStart: boolean
  /** `end` is a split second shared with the part after. */
  sharedEnd: boolean
}

/** The parts of a part, inheriting its shared ends. */
export function splitPart(part: Part, parts: number): Part[] {
  const windows = splitWindow(part, parts)
  return windows.map((window, index) => ({
    ...window,
    sharedStart: index === 0 ? part.sharedStart : true,
    sharedEnd: index === windows.length - 1 ? part.sharedEnd : true,
  }))
}

/** Which side of a split second a part is on. */
const BEFORE = 0
const AFTER = 1

interface SharedSecond {
  /** Per side, how many copies of each distinct row that side has returned. */
  counts: [Map<string, number>, Map<string, number>]
  /** Sides that have returned all their rows; at 2 the counts are dropped. */
  finished: number
}

/**
 * The multiset union at split seconds, for one batch of log groups (rows of different log groups
 * are different records even when they look the same). Parts may finish in any order and
 * concurrently: a part's row in a shared second is delivered only while its side has returned more
 * copies of that row than the other side has — so each row is delivered max(before, after) times.
 * Only rows in shared seconds are remembered, and only until both sides are done.
 */
export class SplitSecondMerge {
  readonly #shared = new Map<number, SharedSecond>()

  /** The rows of `part` to deliver: all of them, less the copies the neighbouring part delivered. */
  filter(part: Part, rows: ResultField[][]): ResultField[][] {
    if (!part.sharedStart && !part.sharedEnd) return rows
    let kept: ResultField[][] | undefined
    for (let index = 0; index < rows.length; index++) {
      const row = rows[index] as ResultField[]
      const deliver = this.#admit(part, row)
      if (!deliver && kept === undefined) kept = rows.slice(0, index)
      else if (deliver && kept !== undefined) kept.push(row)
    }
    return kept ?? rows
  }

  /** The part has returned all its rows: its side of its shared seconds is complete. */
  finish(part: Part): void {
    if (part.sharedStart) this.#finishSide(part.start)
    if (part.sharedEnd) this.#finishSide(part.end)
  }

  /** Seconds whose counts are still held (for tests: memory is released as parts finish). */
  get heldSeconds(): number {
    return this.#shared.size
  }

  #admit(part: Part, row: ResultField[]): boolean {
    const second = rowSecond(row)
    let side: number
    // A row with no readable @timestamp cannot be placed; splitting is only chosen when the query
    // returns @timestamp, so this does not happen. Such rows are merged as if in the shared second:
    // an extra copy of a line is worse in an alert than a missing duplicate.
    if (second === undefined) side = part.sharedStart ? AFTER : BEFORE
    else if (part.sharedStart && second === part.start) side = AFTER
    else if (part.sharedEnd && second === part.end) side = BEFORE
    else return true
    const at = second ?? (side === AFTER ? part.start : part.end)
    let shared = this.#shared.get(at)
    if (!shared) {
      shared = { counts: [new Map(), new Map()], finished: 0 }
      this.#shared.set(at, shared)
    }
    const key = rowKey(row)
    const mine = (shared.counts[side]?.get(key) ?? 0) + 1
    shared.counts[side]?.set(key, mine)
    return mine > (shared.counts[1 - side]?.get(key) ?? 0)
  }

  #finishSide(second: number): void {
    const shared = this.#shared.get(second)
    if (!shared) {
      this.#shared.set(second, { counts: [new Map(), new Map()], finished: 1 })
      return
    }
    shared.finished += 1
    if (shared.finished >= 2) this.#shared.delete(second)
  }
}

/** Rows from the same query list the same fields in the same order; field and value make the key. */
function rowKey(row: readonly ResultField[]): string {
  return JSON.stringify(row.map((field) => [field.field ?? '', field.value ?? '']))
}
