/**
 * Step 6b: for an alerting run, the same window a week earlier (`baseline`), counted by one aggregate
 * query per batch of log groups, onto the report. It only adds context: when it fails, the alert goes
 * out all the same and says the baseline could not be counted.
 */
import type { AlertDecision } from '../alerting.js'
import { BaselineTally, baselineName, baselineQuery, baselineWindow } from '../baseline.js'
import { errorMessage } from '../errors.js'
import { isoSecond } from '../format.js'
import { runBatchedQuery } from '../insights/batches.js'
import { boundByTimestamp } from '../insights/query-rewrite.js'
import type { Report } from '../report.js'
import type { StepDeps } from '../run-deps.js'
import type { Settings } from '../settings.js'
import type { LogsConnection } from './logs-connection.js'

/** Rows of the baseline query: one per status value. */
const MAX_STATUS_ROWS = 10_000

export async function addBaseline(
  report: Report,
  decision: AlertDecision,
  settings: Settings,
  logs: LogsConnection,
  deps: StepDeps,
): Promise<void> {
  const offsetSeconds = settings.baselineSeconds
  if (decision.kind !== 'alert' || offsetSeconds === undefined) return
  const window = baselineWindow(report.window, offsetSeconds)
  const tally = new BaselineTally(settings.statusField)
  await deps.runner.group(`Baseline ${isoSecond(window.start)} – ${isoSecond(window.end)}`, async () => {
    try {
      const result = await runBatchedQuery(
        {
          logGroups: settings.logGroups,
          queryString: boundByTimestamp(baselineQuery(settings.statusField), window),
          queryLanguage: 'CWLI',
          window,
          maxRows: MAX_STATUS_ROWS,
        },
        {
          client: logs.client,
          now: deps.now,
          sleep: deps.sleep,
          log: deps.runner.info,
          timeoutMs: settings.queryTimeoutMs,
          onRows: (rows) => {
            for (const row of rows) tally.add(row)
          },
          ...(deps.signal ? { signal: deps.signal } : {}),
        },
      )
      report.helperQueries = [
        ...(report.helperQueries ?? []),
        ...result.queries.map((query) => ({ ...query, purpose: 'baseline' as const })),
      ]
      const failed = result.failures[0]
      if (failed) throw failed.error
      report.baseline = { offsetSeconds, window, ...tally.build() }
      deps.runner.info(
        `Baseline: ${report.baseline.critical} 5xx, ${report.baseline.warning} 4xx of ${report.baseline.requests} requests.`,
      )
    } catch (error) {
      if (deps.signal?.aborted) throw error
      report.baseline = { offsetSeconds, window, error: errorMessage(error) }
      deps.runner.warning(
        `The baseline (the same window ${baselineName(offsetSeconds)}) could not be counted: ${errorMessage(error)}. The alert goes out without it.`,
        { title: 'insights-watch: baseline not counted' },
      )
    }
  })
}
