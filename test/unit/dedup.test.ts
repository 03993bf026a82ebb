import { describe, expect, it } from 'vitest'
import { ReportedEntries } from '../../src/dedup.js'
import { toEntry } from '../../src/entries.js'

const entry = (timestamp: string, message: string, ptr = 'p') =>
  toEntry(
    [
      { field: '@timestamp', value: timestamp },
      { field: '@message', value: message },
      { field: '@log', value: '123456789012:/api' },
      { field: '@ptr', value: ptr },
    ],
    'status',
  )

describe('ReportedEntries', () => {
  it('drops entries an earlier run reported, even when @ptr differs between queries', () => {
    const first = new ReportedEntries()
    const a = entry('2026-11-23 10:00:01.000', '{"status":"500","requestId":"a"}', 'ptr-1')
    const b = entry('2026-11-23 10:00:02.000', '{"status":"404","requestId":"b"}', 'ptr-2')
    expect([...first.keepNew([a, b], 0)]).toHaveLength(2)

    const next = new ReportedEntries(first.since(0))
    const aAgain = entry('2026-11-23 10:00:01.000', '{"status":"500","requestId":"a"}', 'other-ptr')
    const c = entry('2026-11-23 10:00:03.000', '{"status":"502","requestId":"c"}')
    expect([...next.keepNew([aAgain, c], 0)].map((e) => e.status)).toEqual([502])
  })

  it('counts identical lines once each, and a new identical line as new', () => {
    const line = '{"status":"500"}'
    const first = new ReportedEntries()
    expect([...first.keepNew([entry('2026-11-23 10:00:01.000', line)], 0)]).toHaveLength(1)
    const next = new ReportedEntries(first.since(0))
    const twice = [entry('2026-11-23 10:00:01.000', line), entry('2026-11-23 10:00:01.000', line)]
    expect([...next.keepNew(twice, 0)]).toHaveLength(1)
  })

  it('tells identical lines apart in any row order, and lines without a timestamp too', () => {
    const at = (second: number, id: string) =>
      entry(`2026-11-23 10:00:0${second}.000`, `{"requestId":"${id}"}`)
    const noTime = () =>
      toEntry(
        [
          { field: '@message', value: 'GET /x 500' },
          { field: '@ptr', value: 'p' },
        ],
        'status',
      )
    const first = new ReportedEntries()
    const rows = [at(1, 'a'), at(2, 'b'), at(1, 'a'), noTime(), at(2, 'b'), noTime(), at(1, 'a')]
    expect([...first.keepNew(rows, 0)]).toHaveLength(7)

    const next = new ReportedEntries(first.since(0))
    const again = [at(2, 'b'), at(1, 'a'), noTime(), at(1, 'a'), at(2, 'b'), at(2, 'b'), noTime(), noTime()]
    // Seen before: a ×3, b ×2, the untimed line ×2; new now: a third b and a third untimed line.
    expect([...next.keepNew(again, 0)].map((e) => e.fields['@message'])).toEqual([
      '{"requestId":"b"}',
      'GET /x 500',
    ])
  })

  it('keeps only the fingerprints the next run can see again', () => {
    const reported = new ReportedEntries()
    const t = Date.parse('2026-11-23T10:00:00Z') / 1000
    ;[...reported.keepNew([entry('2026-11-23 10:00:00.500', 'x'), entry('2026-11-23 10:05:00.000', 'y')], 0)]
    expect(Object.keys(reported.since(t + 1))).toEqual([String(t + 300)])
  })

  it('stays small: 10,000 entries in the overlap take about 150 kB of JSON', () => {
    const reported = new ReportedEntries()
    const entries = Array.from({ length: 10_000 }, (_, i) =>
      entry(`2026-11-23 10:0${Math.floor(i / 2000)}:00.000`, `{"status":"500","requestId":"${i}"}`),
    )
    ;[...reported.keepNew(entries, 0)]
    const size = JSON.stringify(reported.since(0)).length
    expect(size).toBeLessThan(200_000)
  })
})
