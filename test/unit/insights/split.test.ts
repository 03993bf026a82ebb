import type { ResultField } from '@aws-sdk/client-cloudwatch-logs'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { timestampSecond } from '../../../src/entries.js'
import { runBatchedQuery } from '../../../src/insights/batches.js'
import {
  canSplit,
  MAX_PARTS_PER_SPLIT,
  type Part,
  partsNeeded,
  SplitSecondMerge,
  splitPart,
  splitWindow,
} from '../../../src/insights/split.js'
import { collector, expectedCounts, type FakeEvent, FakeLogs, insightsTime } from './fake-logs.js'
import { T0, VirtualClock } from './virtual-clock.js'

const S = T0 / 1000

describe('splitWindow', () => {
  it('cuts a window into parts sharing each boundary second, covering it end to end', () => {
    const parts = splitWindow({ start: S, end: S + 299 }, 16)
    expect(parts).toHaveLength(16)
    expect(parts[0]?.start).toBe(S)
    expect(parts.at(-1)?.end).toBe(S + 299)
    for (let i = 1; i < parts.length; i++) expect(parts[i]?.start).toBe(parts[i - 1]?.end)
    for (const part of parts) expect(part.end - part.start).toBeGreaterThanOrEqual(18)
  })

  it('never makes more parts than the window has seconds to share', () => {
    expect(splitWindow({ start: S, end: S + 2 }, 16)).toEqual([
      { start: S, end: S + 1 },
      { start: S + 1, end: S + 2 },
    ])
    expect(canSplit({ start: S, end: S + 2 })).toBe(true)
    expect(canSplit({ start: S, end: S + 1 })).toBe(false)
    expect(canSplit({ start: S, end: S })).toBe(false)
  })

  it('passes shared ends on to the parts of a part', () => {
    const part: Part = { start: S + 10, end: S + 20, sharedStart: true, sharedEnd: false }
    expect(splitPart(part, 2)).toEqual([
      { start: S + 10, end: S + 15, sharedStart: true, sharedEnd: true },
      { start: S + 15, end: S + 20, sharedStart: true, sharedEnd: false },
    ])
  })
})

describe('partsNeeded', () => {
  it('halves as many times as parts of average size need to fit', () => {
    expect(partsNeeded(100_000, 10_000)).toBe(16)
    expect(partsNeeded(20_000, 10_000)).toBe(2)
    expect(partsNeeded(20_001, 10_000)).toBe(4)
    expect(partsNeeded(10_001, 10_000)).toBe(2)
    expect(partsNeeded(5, 0)).toBe(2)
    expect(partsNeeded(10_000_000, 1)).toBe(MAX_PARTS_PER_SPLIT)
  })
})

describe('timestampSecond', () => {
  it('reads how Insights returns @timestamp, and ISO 8601', () => {
    expect(timestampSecond('2026-01-15 12:00:00.000')).toBe(S)
    expect(timestampSecond('2026-01-15 12:00:00.999')).toBe(S)
    expect(timestampSecond('2026-01-15 12:00:01.000')).toBe(S + 1)
    expect(timestampSecond('2026-01-15T12:00:00Z')).toBe(S)
    expect(timestampSecond('2026-01-15 13:00:00.500+01:00')).toBe(S)
    expect(timestampSecond('yesterday')).toBeUndefined()
  })
})

describe('SplitSecondMerge', () => {
  const row = (ms: number, message: string): ResultField[] => [
    { field: '@timestamp', value: insightsTime(ms) },
    { field: '@message', value: message },
  ]
  const before: Part = { start: S, end: S + 5, sharedStart: false, sharedEnd: true }
  const after: Part = { start: S + 5, end: S + 10, sharedStart: true, sharedEnd: false }
  const at = (offsetMs: number) => (S + 5) * 1000 + offsetMs

  it('keeps per identical row the larger count of the two sides, not the sum', () => {
    const merge = new SplitSecondMerge()
    // Instant reading: the part before sees only x.000; the part after sees the whole second.
    const first = merge.filter(before, [row(at(0), 'a'), row(at(0), 'a'), row(S * 1000 + 7, 'elsewhere')])
    const second = merge.filter(after, [
      row(at(0), 'a'),
      row(at(0), 'a'),
      row(at(0), 'a'),
      row(at(1), 'b'),
      row(at(999), 'c'),
      row((S + 9) * 1000, 'later'),
    ])
    expect(first).toHaveLength(3)
    expect(second.map((r) => r[1]?.value)).toEqual(['a', 'b', 'c', 'later'])
  })

  it('gives the same union whichever side arrives first, and when they interleave', () => {
    const left = [row(at(0), 'a'), row(at(500), 'a'), row(at(500), 'a')]
    const right = [row(at(0), 'a'), row(at(0), 'a'), row(at(500), 'a')]
    const sizes = (first: Part, a: ResultField[][], second: Part, b: ResultField[][]) => {
      const merge = new SplitSecondMerge()
      return merge.filter(first, a).length + merge.filter(second, b).length
    }
    // max per key: a@.000 → 2, a@.500 → 2.
    expect(sizes(before, left, after, right)).toBe(4)
    expect(sizes(after, right, before, left)).toBe(4)
    const merge = new SplitSecondMerge()
    let delivered = 0
    for (let i = 0; i < 3; i++) {
      delivered += merge.filter(before, [left[i] as ResultField[]]).length
      delivered += merge.filter(after, [right[i] as ResultField[]]).length
    }
    expect(delivered).toBe(4)
  })

  it('forgets a shared second once both sides are done', () => {
    const merge = new SplitSecondMerge()
    merge.filter(before, [row(at(0), 'a')])
    merge.finish(before)
    expect(merge.heldSeconds).toBe(1)
    merge.filter(after, [row(at(0), 'a')])
    merge.finish(after)
    expect(merge.heldSeconds).toBe(0)
  })

  it('passes rows through untouched (same array) when the part shares no second', () => {
    const merge = new SplitSecondMerge()
    const rows = [row(at(0), 'a')]
    expect(merge.filter({ start: S, end: S + 10, sharedStart: false, sharedEnd: false }, rows)).toBe(rows)
  })
})

/** Runs the whole split against the fake service: what is delivered, and the result. */
async function runFake(
  events: FakeEvent[],
  options: { reading: 'instant' | 'whole'; cap: number },
  end: number,
  maxRows = 1_000_000,
  queryString = 'fields @timestamp, @message',
  concurrency = 4,
) {
  const clock = new VirtualClock()
  // maxLimit: the service takes any limit, so max-results can cut it (as a current service does).
  const logs = new FakeLogs(events, clock, { ...options, latencyMs: 200, maxLimit: 100_000 })
  const sink = collector()
  const result = await runBatchedQuery(
    {
      logGroups: ['/g'],
      queryString,
      queryLanguage: 'CWLI',
      window: { start: S, end },
      maxRows,
    },
    {
      client: logs.client,
      now: clock.now,
      sleep: clock.sleep,
      log: () => {},
      timeoutMs: 300_000,
      concurrency,
      onRows: sink.onRows,
    },
  )
  return { logs, sink, result, truth: expectedCounts(logs.covered(['/g'], S, end)) }
}

describe('splitting against a capped service, under both readings of the end second', () => {
  const readings = ['instant', 'whole'] as const

  it.each(readings)(
    '%s: identical lines on split seconds at .000, .001, .500 and .999 come back exactly once each',
    async (reading) => {
      const end = S + 99
      // Parts of [S, S+99] at 4 parts: boundaries S+24, S+49, S+74.
      const boundaries = splitWindow({ start: S, end }, 4)
        .slice(1)
        .map((w) => w.start)
      const events: FakeEvent[] = []
      for (let i = 0; i < 400; i++)
        events.push({ group: '/g', ms: S * 1000 + i * 247, message: `spread ${i}` })
      for (const second of boundaries) {
        for (const offset of [0, 1, 500, 999]) {
          // Three identical lines in the same millisecond: three records, three rows.
          for (let copy = 0; copy < 3; copy++) {
            events.push({ group: '/g', ms: second * 1000 + offset, message: 'same line' })
          }
        }
      }
      const { logs, sink, result, truth } = await runFake(events, { reading, cap: 130 }, end)

      const starts = logs.ops('StartQuery').map((call) => [call.input.startTime, call.input.endTime])
      expect(starts[0]).toEqual([S, end])
      for (const second of boundaries) {
        expect(starts.some(([, e]) => e === second)).toBe(true)
        expect(starts.some(([s]) => s === second)).toBe(true)
      }
      expect(sink.counts).toEqual(truth)
      expect(result.truncated).toBe(false)
      expect(result.statistics.recordsMatched).toBe(logs.covered(['/g'], S, end).length)
    },
  )

  it.each(readings)(
    '%s: with max-results exactly the number of records, a part is not cut short by rows already delivered',
    async (reading) => {
      // [S, S+40] splits into [S, S+20] and [S+20, S+40]; newest first, one at a time. The part before
      // S+20 runs last, when max-results has 2 rows left: its S+20 row is the other part's again.
      const events: FakeEvent[] = [
        { group: '/g', ms: (S + 5) * 1000, message: 'a' },
        { group: '/g', ms: (S + 5) * 1000 + 1, message: 'b' },
        { group: '/g', ms: (S + 20) * 1000, message: 'on the split second' },
        { group: '/g', ms: (S + 30) * 1000, message: 'c' },
        { group: '/g', ms: (S + 30) * 1000 + 1, message: 'd' },
      ]
      const { logs, sink, result, truth } = await runFake(
        events,
        { reading, cap: 3 },
        S + 40,
        5,
        'fields @timestamp, @message | sort @timestamp desc',
        1,
      )
      expect(logs.ops('StartQuery').map((call) => [call.input.startTime, call.input.endTime])).toEqual([
        [S, S + 40],
        [S + 20, S + 40],
        [S, S + 20],
      ])
      expect(sink.counts).toEqual(truth)
      expect(result.truncated).toBe(false)
    },
  )

  it('does not call a run truncated when max-results ran out exactly as the last record arrived', async () => {
    // Found by the property below: parts left unrun once max-results is reached hold only rows
    // delivered already, so they must not make the run "truncated".
    const events: FakeEvent[] = [
      ...Array.from({ length: 2 }, () => ({ group: '/g', ms: (S + 5) * 1000, message: 'x' })),
      ...Array.from({ length: 2 }, () => ({ group: '/g', ms: S * 1000, message: 'x' })),
    ]
    const { sink, result, truth } = await runFake(
      events,
      { reading: 'instant', cap: 3 },
      S + 40,
      4,
      undefined,
      1,
    )
    expect(sink.counts).toEqual(truth)
    expect(result.rowsFetched).toBe(4)
    expect(result.truncated).toBe(false)
  })

  it('splits a capped part even when max-results has fewer rows left than it returned', async () => {
    // Found by the property below: [S, S+5] returns its 3 rows at S+5 — all the neighbour's already —
    // and not the one at S, though only one more row was wanted.
    const events: FakeEvent[] = [
      { group: '/g', ms: S * 1000, message: 'x' },
      ...Array.from({ length: 3 }, () => ({ group: '/g', ms: (S + 5) * 1000, message: 'x' })),
    ]
    const { sink, result, truth } = await runFake(
      events,
      { reading: 'instant', cap: 3 },
      S + 40,
      4,
      'fields @timestamp, @message | sort @timestamp desc',
      1,
    )
    expect(sink.counts).toEqual(truth)
    expect(result.truncated).toBe(false)
  })

  it('property: exactly the covered records when nothing is capped, never a copy too many, up to maxRows', async () => {
    const offsets = fc.constantFrom(0, 1, 499, 500, 501, 998, 999)
    const event = fc.record({
      second: fc.integer({ min: 0, max: 40 }),
      offset: fc.oneof(offsets, fc.integer({ min: 0, max: 999 })),
      message: fc.constantFrom('x', 'y', 'z'),
      copies: fc.integer({ min: 1, max: 3 }),
    })
    await fc.assert(
      fc.asyncProperty(
        fc.array(event, { maxLength: 120 }),
        fc.constantFrom(...readings),
        fc.integer({ min: 3, max: 60 }),
        // max-results: more than enough, just enough (where a cut is easiest to get wrong), or fewer.
        fc.oneof(
          fc.constant('all' as const),
          fc.constant('exact' as const),
          fc.integer({ min: 1, max: 300 }),
        ),
        // Parts run oldest first, or newest first when the query sorts so.
        fc.constantFrom('fields @timestamp, @message', 'fields @timestamp, @message | sort @timestamp desc'),
        fc.integer({ min: 1, max: 4 }),
        async (spec, reading, cap, rowsSpec, queryString, concurrency) => {
          const events = spec.flatMap(({ second, offset, message, copies }) =>
            Array.from({ length: copies }, () => ({
              group: '/g',
              ms: (S + second) * 1000 + offset,
              message,
            })),
          )
          const lastMs = reading === 'whole' ? (S + 41) * 1000 : (S + 40) * 1000 + 1
          const covered = events.filter((e) => e.ms < lastMs).length
          const maxRows =
            rowsSpec === 'all' ? 1_000_000 : rowsSpec === 'exact' ? Math.max(1, covered) : rowsSpec
          const { sink, result, truth } = await runFake(
            events,
            { reading, cap },
            S + 40,
            maxRows,
            queryString,
            concurrency,
          )
          const total = [...truth.values()].reduce((sum, n) => sum + n, 0)
          for (const [key, count] of sink.counts) expect(count).toBeLessThanOrEqual(truth.get(key) ?? 0)
          expect(sink.rows).toBeLessThanOrEqual(maxRows)
          expect(result.rowsFetched).toBe(sink.rows)
          expect(result.statistics.recordsMatched).toBe(total)
          if (!result.truncated) expect(sink.counts).toEqual(truth)
          if (sink.rows < total) expect(result.truncated).toBe(true)
          // Nothing is capped when no two adjacent seconds hold more than one query returns: then
          // every record comes back, up to maxRows.
          const perSecond = new Map<number, number>()
          for (const e of events) {
            const s = Math.floor(e.ms / 1000)
            perSecond.set(s, (perSecond.get(s) ?? 0) + 1)
          }
          const densest = Math.max(
            0,
            ...[...perSecond.keys()].map((s) => (perSecond.get(s) ?? 0) + (perSecond.get(s + 1) ?? 0)),
          )
          if (densest <= cap) {
            expect(sink.rows).toBe(Math.min(total, maxRows))
            expect(result.truncated).toBe(total > maxRows)
          }
        },
      ),
      { numRuns: 200 },
    )
  })
})
