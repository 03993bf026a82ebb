/**
 * Step 9: what the run leaves behind: the job summary, the step outputs, and the step's outcome
 * (failed when Slack did not take the message or a batch of log groups went unchecked).
 */
import type { AlertDecision } from '../alerting.js'
import { isoSecond } from '../format.js'
import { addJobSummary, type Summary } from '../notify/summary.js'
import { type StepOutputs, stepOutputs } from '../outputs.js'
import type { Report } from '../report.js'
import type { Runner } from '../runner.js'
import type { Settings } from '../settings.js'
import type { IncidentOutcome } from './incident.js'
import { type Delivery, SlackDeliveryError } from './notify.js'
import { incompleteQueryError, type QueryOutcome } from './query.js'

export async function publishRun(
  report: Report,
  run: {
    outcome: QueryOutcome
    delivery: Delivery
    stateNote: string
    incident: IncidentOutcome | undefined
  },
  runner: Pick<Runner, 'summary' | 'setOutput'>,
): Promise<void> {
  addRunSummary(report, run, runner.summary)
  await runner.summary.write()
  for (const [name, value] of Object.entries(runOutputs(report, run))) runner.setOutput(name, value)
}

type PublishedRun = Parameters<typeof publishRun>[1]

/** The run's section of the job summary; `limitBytes` caps it when it shares the summary (rules). */
export function addRunSummary(
  report: Report,
  run: PublishedRun,
  summary: Summary,
  limitBytes?: number,
): void {
  if (run.delivery.webhooks) report.webhooks = run.delivery.webhooks
  addJobSummary(report, summary, `${run.delivery.note} ${run.stateNote}`, limitBytes)
}

export function runOutputs(report: Report, run: PublishedRun): StepOutputs {
  return stepOutputs(report, {
    resultsFile: run.outcome.resultsFile,
    notified: run.delivery.notified,
    unfetched: run.outcome.unfetched,
    ...(run.incident ? { incident: run.incident.outputs } : {}),
  })
}

/** Fails the step (thrown) when the run could not do its whole job; `fail-on-match` fails it on an alert. */
export function settleOutcome(
  report: Report,
  run: {
    outcome: QueryOutcome
    delivery: Delivery
    decision: AlertDecision
    incident: IncidentOutcome | undefined
  },
  settings: Settings,
  runner: Pick<Runner, 'setFailed'>,
): void {
  if (run.delivery.error) throw new SlackDeliveryError(run.delivery.error.message)
  const incomplete = incompleteQueryError(run.outcome, settings)
  if (incomplete) throw incomplete
  if (run.incident?.issueError) throw run.incident.issueError
  if (settings.failOnMatch && run.decision.kind === 'alert') {
    const { digest, window } = report
    runner.setFailed(
      `fail-on-match: ${digest.total} matching entries (${digest.critical} 5xx) in ${isoSecond(window.start)} – ${isoSecond(window.end)}.`,
    )
  }
}
