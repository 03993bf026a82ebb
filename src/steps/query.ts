/**
 * Step 4: the query over the window, in batches of log groups, each row taken in as it comes: new
 * entries to the digest and the results file, entries an earlier run reported left out.
 */
import { AggregateBuilder } from '../aggregate.js'
import { ReportedEntries } from '../dedup.js'
import { type Digest, DigestBuilder } from '../digest.js'
import { isoSecond } from '../format.js'
import { type BatchedResult, MAX_LOG_GROUPS_PER_QUERY, runBatchedQuery } from '../insights/batches.js'
import { describeGroups } from '../insights/query-errors.js'
import { queryToRun, queryWindow } from '../insights/query-rewrite.js'
import { RowIntake } from '../intake.js'
import { ResultsFile, resultsFilePath } from '../outputs.js'
import type { StepDeps } from '../run-deps.js'
import type { Settings } from '../settings.js'
import { SignatureTally, type WindowSignature } from '../signatures.js'
import type { LogsConnection } from './logs-connection.js'
import type { RunPlan } from './plan.js'

export interface QueryOutcome extends BatchedResult {
  /**
   * Every batch of log groups was checked. When one failed, "nothing found" proves nothing: the
   * checkpoint stays, no episode resolves, and the step fails once the others are reported.
   */
  complete: boolean
  /** What the run found: the new entries' digest, or an aggregate's table. */
  found: Digest
  /** Fingerprints of what this run and earlier ones reported, for the checkpoint. */
  reported: ReportedEntries
  /** Rows the query returned that an earlier run had reported (found again in the overlap). */
  alreadyReported: number
  /** Matching records not fetched (past max-results), counted from the statistics: 0 for an aggregate. */
  unfetched: number
  resultsFile: string
  /**
   * `new-signatures` on a record query: each signature of the new entries, with its count and first
   * and last time; `untracked`, entries whose signature the bounded tally could not keep.
   */
  signatures?: { found: WindowSignature[]; untracked: number }
}

export async function runQuery(
  settings: Settings,
  plan: RunPlan,
  logs: LogsConnection,
  deps: StepDeps,
): Promise<QueryOutcome> {
  const { window, shape, previous } = plan
  // A checkpoint saved by a record query carries fingerprints; an aggregate run has no use for them.
  const reported = new ReportedEntries(shape.records ? previous?.reported : undefined)
  const digest = new DigestBuilder(settings)
  const aggregate = shape.records ? undefined : new AggregateBuilder(shape, settings.statusField)
  const resultsFile = new ResultsFile(resultsFilePath(deps.env))
  // An aggregate's rows are groups, not entries: they have no signature.
  const signatures =
    settings.signatures && shape.records
      ? new SignatureTally(settings.signatures.fields, window.end)
      : undefined
  const intake = new RowIntake(
    {
      reported,
      digest,
      resultsFile,
      ...(aggregate ? { aggregate } : {}),
      ...(signatures ? { signatures } : {}),
    },
    { statusField: settings.statusField, fallbackSecond: window.end },
  )
  let result: BatchedResult
  try {
    result = await deps.runner.group(`Query ${isoSecond(window.start)} – ${isoSecond(window.end)}`, () =>
      runBatchedQuery(
        {
          logGroups: settings.logGroups,
          // Read again from the query run, which may carry @timestamp where the user's did not.
          queryString: queryToRun(settings.query, shape, window),
          queryLanguage: settings.queryLanguage,
          window: queryWindow(shape, window),
          maxRows: settings.maxResults,
        },
        {
          client: logs.client,
          now: deps.now,
          sleep: deps.sleep,
          log: deps.runner.info,
          timeoutMs: settings.queryTimeoutMs,
          onRows: (rows) => intake.take(rows),
          ...(deps.signal ? { signal: deps.signal } : {}),
        },
      ),
    )
  } finally {
    logs.client.destroy()
    resultsFile.close()
  }
  const found = aggregate ? aggregate.build(result.statistics, !result.truncated) : digest.build()
  return {
    ...(signatures ? { signatures: { found: signatures.build(), untracked: signatures.untracked } } : {}),
    ...result,
    complete: result.failures.length === 0,
    found,
    reported,
    alreadyReported: aggregate ? 0 : intake.matched - found.total,
    // (An aggregate's total already counts records, fetched or not.)
    unfetched:
      result.truncated && !aggregate ? Math.max(0, result.statistics.recordsMatched - result.rowsFetched) : 0,
    resultsFile: resultsFile.path,
  }
}

/** Why an incomplete run fails the step, naming each failed batch; undefined when every batch was checked. */
export function incompleteQueryError(outcome: QueryOutcome, settings: Settings): Error | undefined {
  if (outcome.complete) return undefined
  const failed = outcome.failures.map(
    (failure) =>
      `batch ${failure.batch + 1} (${describeGroups(failure.logGroups, 3)}): ${failure.error.message}`,
  )
  return new Error(
    `${failed.length} of ${Math.ceil(settings.logGroups.length / MAX_LOG_GROUPS_PER_QUERY)} query batches failed; the others were reported. ${failed.join(' ')}`,
  )
}
