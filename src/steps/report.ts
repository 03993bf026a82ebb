/** Step 5: everything the Slack message and the job summary show about the run, in one `Report`. */
import type { ClockReading } from '../aws/service-clock.js'
import { logsInsightsConsoleUrl, workflowRunUrl } from '../notify/console-link.js'
import type { Report } from '../report.js'
import type { Runner } from '../runner.js'
import type { Settings } from '../settings.js'
import type { RunPlan } from './plan.js'
import type { QueryOutcome } from './query.js'

export function buildReport(
  settings: Settings,
  plan: RunPlan,
  outcome: QueryOutcome,
  context: { clock: ClockReading | undefined; env: Record<string, string | undefined> },
  runner: Pick<Runner, 'info'>,
): Report {
  const { window } = plan
  const report: Report = {
    monitorName: settings.monitorName,
    window,
    logGroups: settings.logGroups,
    query: settings.query,
    queryLanguage: settings.queryLanguage,
    queries: outcome.queries,
    statistics: outcome.statistics,
    digest: outcome.found,
    truncated: outcome.truncated,
    rechecked: plan.shape.records ? plan.rechecked : 0,
    alreadyReported: outcome.alreadyReported,
    consoleUrl: logsInsightsConsoleUrl({
      region: settings.region,
      logGroups: settings.logGroups,
      query: settings.query,
      window,
      queryLanguage: settings.queryLanguage,
    }),
    maxCatchUpSeconds: settings.maxCatchUpSeconds,
    pricePerGb: settings.pricePerGb,
  }
  if (plan.gap) report.gap = plan.gap
  // With a batch of log groups unchecked, the failure notice speaks for the run, not a digest.
  if (plan.noCheckpoint && outcome.complete) report.noCheckpoint = plan.noCheckpoint
  if (plan.shortenedRecheck) report.shortenedRecheck = plan.shortenedRecheck
  if (context.clock) report.clock = context.clock
  if (plan.previous) report.previousCheckpoint = plan.previous.checked
  const runUrl = workflowRunUrl(context.env)
  if (runUrl) report.runUrl = runUrl
  runner.info(
    `Found ${report.digest.total} new matching entries (${report.digest.critical} 5xx, ${report.digest.warning} 4xx)` +
      (report.alreadyReported > 0 ? `; ${report.alreadyReported} in the overlap were reported before` : '') +
      (report.truncated
        ? `; truncated: ${outcome.statistics.recordsMatched} matched, ${outcome.rowsFetched} fetched`
        : ''),
  )
  return report
}
