import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ReportedEntries } from '../../src/dedup.js'
import { DigestBuilder } from '../../src/digest.js'
import { RowIntake } from '../../src/intake.js'
import { ResultsFile } from '../../src/outputs.js'

const row = (second: number, status: string, id: string) => [
  { field: '@timestamp', value: `2026-11-23 10:00:${String(second).padStart(2, '0')}.000` },
  { field: '@message', value: JSON.stringify({ requestId: id, status, path: `/${'x'.repeat(300)}` }) },
  { field: '@log', value: '123456789012:/api' },
  { field: '@ptr', value: `ptr-${id}` },
]

let directory: string
beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'insights-watch-intake-'))
})
afterEach(() => rmSync(directory, { recursive: true, force: true }))

function lines(path: string): { status: number | null; fields: Record<string, string> }[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line))
}

describe('RowIntake', () => {
  it('sends each new row to the digest and the results file, and leaves out what a run reported', () => {
    const earlier = new ReportedEntries()
    const first = new RowIntake(
      {
        reported: earlier,
        digest: new DigestBuilder({ groupBy: [], maxSamples: 0 }),
        resultsFile: { add: () => {} },
      },
      { statusField: 'status', fallbackSecond: 0 },
    )
    first.take([row(1, '500', 'a'), row(2, '404', 'b')])

    const path = join(directory, 'results.jsonl')
    const resultsFile = new ResultsFile(path)
    const digest = new DigestBuilder({ groupBy: ['status'], maxSamples: 5 })
    const intake = new RowIntake(
      { reported: new ReportedEntries(earlier.since(0)), digest, resultsFile },
      { statusField: 'status', fallbackSecond: 0 },
    )
    intake.take([row(2, '404', 'b'), row(3, '502', 'c')])
    intake.take([row(4, '503', 'd')])
    resultsFile.close()

    expect(intake.matched).toBe(3)
    const found = digest.build()
    expect(found.total).toBe(2)
    expect(found.breakdowns[0]?.counts).toEqual([
      { value: '502', count: 1 },
      { value: '503', count: 1 },
    ])
    expect(lines(path).map((line) => JSON.parse(line.fields['@message'] ?? '{}').requestId)).toEqual([
      'c',
      'd',
    ])
  })
})

describe('ResultsFile', () => {
  it('writes every entry once, in order, however many chunks it takes', () => {
    const path = join(directory, 'results.jsonl')
    const resultsFile = new ResultsFile(path)
    const intake = new RowIntake(
      {
        reported: new ReportedEntries(),
        digest: new DigestBuilder({ groupBy: [], maxSamples: 0 }),
        resultsFile,
      },
      { statusField: 'status', fallbackSecond: 0 },
    )
    // About 400 bytes a line: 3,000 lines are several write chunks.
    const rows = Array.from({ length: 3000 }, (_, i) => row(i % 60, i % 2 ? '500' : '404', String(i)))
    intake.take(rows)
    resultsFile.close()
    const written = lines(path)
    expect(written).toHaveLength(3000)
    expect(written.map((line) => JSON.parse(line.fields['@message'] ?? '{}').requestId)).toEqual(
      rows.map((_, i) => String(i)),
    )
    expect(written[0]).toMatchObject({ severity: 'warning', status: 404 })
    expect(written[1]).toMatchObject({ severity: 'critical', status: 500 })
  })

  it('leaves an empty file when nothing was reported', () => {
    const path = join(directory, 'results.jsonl')
    new ResultsFile(path).close()
    expect(readFileSync(path, 'utf8')).toBe('')
  })
})
