/** Step 5: everything the Slack message and the job summary show about the run, in one `Report`. */
import type { ClockReading } from '../aws/service-clock.js'
import { count } from '../format.js'
import { monitorConsoleUrl, workflowRunUrl } from '../notify/console-link.js'
import {
  checkRates,
  describeBreach,
  describeUnmetRates,
  type RateCheck,
  type RateSettings,
} from '../rates.js'
import type { Report } from '../report.js'
import type { Runner } from '../runner.js'
import { logGroupSource, type Settings, shownLogGroups } from '../settings.js'
import { findNewSignatures, type SignatureFindings } from '../signatures.js'
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
    logGroups: shownLogGroups(settings),
    query: settings.query,
    queryLanguage: settings.queryLanguage,
    queries: outcome.queries,
    statistics: outcome.statistics,
    digest: outcome.found,
    truncated: outcome.truncated,
    rechecked: plan.shape.records ? plan.rechecked : 0,
    alreadyReported: outcome.alreadyReported,
    consoleUrl: monitorConsoleUrl(settings, window),
    maxCatchUpSeconds: settings.maxCatchUpSeconds,
    pricePerGb: settings.pricePerGb,
  }
  const source = logGroupSource(settings)
  if (source) report.source = source
  if (plan.gap) report.gap = plan.gap
  // With a batch of log groups unchecked, the failure notice speaks for the run, not a digest.
  if (plan.noCheckpoint && outcome.complete) report.noCheckpoint = plan.noCheckpoint
  if (plan.shortenedRecheck) report.shortenedRecheck = plan.shortenedRecheck
  if (context.clock) report.clock = context.clock
  if (plan.previous) report.previousCheckpoint = plan.previous.checked
  if (settings.signatures && outcome.signatures) {
    const { found, untracked } = outcome.signatures
    report.signatures = findNewSignatures(
      found,
      plan.previous?.signatures,
      settings.signatures.memorySeconds,
      untracked,
    )
    runner.info(signaturesLine(report.signatures))
  } else if (settings.signatures) {
    runner.info('new-signatures: skipped, an aggregate query has no entries to take signatures of.')
  }
  if (settings.rates && outcome.requests) {
    report.rates = ratesOf(settings.rates, outcome, outcome.requests)
    runner.info(ratesLine(report.rates))
    report.helperQueries = outcome.requests.queries.map((query) => ({ ...query, purpose: 'requests' }))
  }
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

/** The window's rates: a record query's matches in the window, or an aggregate's matching records. */
function ratesOf(
  rates: RateSettings,
  outcome: QueryOutcome,
  requests: NonNullable<QueryOutcome['requests']>,
): RateCheck {
  const { found } = outcome
  const matched = requests.matched ?? {
    all: { total: found.total, critical: found.critical, warning: found.warning },
    routes: new Map(),
  }
  const check = checkRates(matched, requests.counts, rates)
  const partial: string[] = []
  if (requests.failures.length > 0) partial.push('a request count query failed')
  if (outcome.failures.length > 0) partial.push('a batch of the query failed')
  if (outcome.truncated) partial.push('rows past max-results were not fetched')
  if (partial.length > 0) check.partial = partial.join('; ')
  return check
}

function ratesLine(check: RateCheck): string {
  const said =
    check.breaches.length > 0
      ? `reached: ${check.breaches.slice(0, 5).map(describeBreach).join('; ')}`
      : describeUnmetRates(check)
  return `rate-thresholds: ${count(check.requests)} requests in the window; ${said}.`
}

function signaturesLine(findings: SignatureFindings): string {
  if (findings.baseline)
    return `new-signatures: no signatures remembered yet; the ${count(findings.seen)} found in this window are the baseline, none is called new.`
  const names = findings.new.slice(0, 5).map((item) => `${item.signature} (${count(item.count)})`)
  return `new-signatures: ${count(findings.seen)} signatures in this window, ${count(findings.new.length)} new${names.length > 0 ? `: ${names.join(', ')}` : ''}.`
}
