/**
 * Step 6b: for an alerting run, the same window a week earlier (`baseline`), counted by one aggregate
 * query per batch of log groups, onto the report. It only adds context: when it fails, the alert goes
 * out all the same and says the baseline could not be counted.
 */

import { AggregateBuilder } from '../aggregate.js'
import type { AlertDecision } from '../alerting.js'
import { baselineName, baselineQuery, baselineWindow } from '../baseline.js'
import { errorMessage } from '../errors.js'
import { isoSecond } from '../format.js'
import { analyseQuery } from '../insights/query-shape.js'
import type { Report } from '../report.js'
import type { StepDeps } from '../run-deps.js'
import type { Settings } from '../settings.js'
import type { LogsConnection } from './logs-connection.js'
import { runOwnQuery } from './query.js'

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
  const queryString = baselineQuery(settings.statusField)
  // Its rows are counts by status: an aggregate's digest adds them up and sorts them by severity.
  const counted = new AggregateBuilder(analyseQuery(queryString, 'CWLI'), settings.statusField)
  await deps.runner.group(`Baseline ${isoSecond(window.start)} – ${isoSecond(window.end)}`, async () => {
    try {
      const result = await runOwnQuery(
        { queryString, window, maxRows: MAX_STATUS_ROWS, label: 'Baseline' },
        (row) => counted.add(row),
        settings,
        logs,
        deps,
      )
      report.helperQueries = [
        ...(report.helperQueries ?? []),
        ...result.queries.map((query) => ({ ...query, purpose: 'baseline' as const })),
      ]
      const failed = result.failures[0]
      if (failed) throw failed.error
      const { total: requests, critical, warning } = counted.build(result.statistics, !result.truncated)
      report.baseline = { offsetSeconds, window, requests, critical, warning }
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
