/**
 * Step 9: what the run leaves behind: the job summary, the step outputs, and the step's outcome
 * (failed when Slack did not take the message or a batch of log groups went unchecked).
 */
import type { AlertDecision } from '../alerting.js'
import { isoSecond } from '../format.js'
import { addJobSummary } from '../notify/summary.js'
import { stepOutputs } from '../outputs.js'
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
  const { outcome, delivery } = run
  if (delivery.webhooks) report.webhooks = delivery.webhooks
  addJobSummary(report, runner.summary, `${delivery.note} ${run.stateNote}`)
  await runner.summary.write()
  const outputs = stepOutputs(report, {
    resultsFile: outcome.resultsFile,
    notified: delivery.notified,
    unfetched: outcome.unfetched,
    ...(run.incident ? { incident: run.incident.outputs } : {}),
  })
  for (const [name, value] of Object.entries(outputs)) runner.setOutput(name, value)
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
