import type { ResultField } from '@aws-sdk/client-cloudwatch-logs'
import type { AggregateBuilder } from './aggregate.js'
import type { ReportedEntries } from './dedup.js'
import type { DigestBuilder } from './digest.js'
import { toEntry } from './entries.js'
import type { ResultsFile } from './outputs.js'
import type { MatchTally } from './rates.js'
import type { SignatureTally } from './signatures.js'

export interface IntakeSinks {
  /** What earlier runs reported, to leave out what the overlap finds again. */
  reported: ReportedEntries
  digest: DigestBuilder
  resultsFile: Pick<ResultsFile, 'add'>
  /**
   * For an aggregate query: its rows are groups, not entries, so they go to the table whole, with no
   * fingerprints (its windows do not overlap, so nothing is seen twice).
   */
  aggregate?: AggregateBuilder | undefined
  /** `new-signatures`, on a record query: each new entry's signature counted. */
  signatures?: Pick<SignatureTally, 'add'> | undefined
  /** `rate-thresholds`, on a record query: every entry of the window counted, new or not. */
  matches?: Pick<MatchTally, 'add'> | undefined
}

/**
 * The step between the query and the report: each result row becomes an entry, and an entry no run
 * has reported goes to the digest and the results file at once. Nothing holds an entry afterwards
 * (the digest keeps its few samples), so a 10,000-row page is garbage as soon as it is read.
 */
export class RowIntake {
  /** Rows the query returned, new or not. */
  matched = 0

  constructor(
    private readonly sinks: IntakeSinks,
    private readonly options: {
      statusField: string
      /** Where an entry without a readable @timestamp is remembered: the window's end. */
      fallbackSecond: number
    },
  ) {}

  take(rows: readonly (readonly ResultField[])[]): void {
    const { reported, digest, resultsFile, aggregate, signatures, matches } = this.sinks
    const { statusField, fallbackSecond } = this.options
    for (const row of rows) {
      this.matched += 1
      if (aggregate) {
        aggregate.add(row)
        resultsFile.add(toEntry(row, statusField))
        continue
      }
      const entry = toEntry(row, statusField)
      matches?.add(entry)
      if (!reported.isNew(entry, fallbackSecond)) continue
      digest.add(entry)
      signatures?.add(entry)
      resultsFile.add(entry)
    }
  }
}
