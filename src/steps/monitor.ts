/**
 * One monitor's run once AWS is reachable: the window planned, queried, reported and judged
 * (checkWindow), then Slack, the incident, the end of a failure episode and the checkpoint
 * (tellAndSave). A single monitor (main.ts) and each rule of a rules file (steps/rules.ts) go through
 * these same two functions, so a rule behaves exactly as a monitor of its own.
 */
import type { AlertDecision } from '../alerting.js'
import { errorMessage } from '../errors.js'
import { endFailureEpisode, recordFailure } from '../failure-notices.js'
import type { Report } from '../report.js'
import type { StepDeps } from '../run-deps.js'
import type { Settings } from '../settings.js'
import type { StateRead } from '../state/load.js'
import type { StateSession } from '../state/session.js'
import { decideRunAlert } from './alert.js'
import { addBaseline } from './baseline.js'
import { ongoingFailure, saveCheckpointAfterRun } from './checkpoint.js'
import { type IncidentOutcome, tellIncident, withIncident } from './incident.js'
import type { LogsConnection } from './logs-connection.js'
import { type Delivery, notify, SlackDeliveryError } from './notify.js'
import { planRun, type RunPlan } from './plan.js'
import { type QueryOutcome, runQuery } from './query.js'
import { buildReport } from './report.js'

export interface CheckedWindow {
  plan: RunPlan
  outcome: QueryOutcome
  report: Report
  decision: AlertDecision
}

/** What a run did after its window was checked: for the summary, the outputs and the step's outcome. */
export interface ToldAndSaved {
  delivery: Delivery
  stateNote: string
  incident: IncidentOutcome | undefined
}

/** The window planned, queried, reported and judged: every step that needs CloudWatch Logs. */
export async function checkWindow(
  settings: Settings,
  read: StateRead,
  logs: LogsConnection,
  deps: StepDeps,
): Promise<CheckedWindow> {
  const { runner } = deps
  const plan = planRun(settings, read, logs.clock.now(), runner)
  const outcome = await runQuery(settings, plan, logs, deps)
  const report = buildReport(
    settings,
    plan,
    outcome,
    { clock: logs.skewAfterQueries(), env: deps.env },
    runner,
  )
  const decision = decideRunAlert(report, plan, outcome, logs.clock.now(), settings)
  await addBaseline(report, decision, settings, logs, deps)
  return { plan, outcome, report, decision }
}

/** Slack, the incident, a failure episode ended, and the checkpoint saved after them. */
export async function tellAndSave(
  settings: Settings,
  { plan, outcome, report, decision }: CheckedWindow,
  nowMs: () => number,
  deps: StepDeps,
  session: StateSession,
): Promise<ToldAndSaved> {
  const { runner } = deps
  const posted = await runner.group('Slack', () =>
    notify(report, decision, settings, deps, plan.previous?.missedByWebhook),
  )
  const incident = await tellIncident(
    report,
    decision,
    plan.previous?.incident,
    settings,
    deps,
    Math.floor(nowMs() / 1000),
  )
  const delivery = withIncident(posted, incident, settings)
  const failure = plan.loaded?.failure
  if (failure && !ongoingFailure(plan, outcome, delivery) && !delivery.error)
    await runner.group('Running again', () => endFailureEpisode(failure, settings, deps))
  const stateNote = await saveCheckpointAfterRun(
    { plan, outcome, decision, delivery, incident },
    {
      dryRun: settings.dryRun,
      nowMs: nowMs(),
      signatureMemorySeconds: settings.signatures?.memorySeconds,
    },
    session,
  )
  return { delivery, stateNote, incident }
}

/**
 * A failed run recorded in its state and told to Slack (failure-notices.ts), unless Slack itself
 * refused the message (it would be refused again) or the job was cancelled on purpose.
 */
export async function recordRunFailure(
  error: unknown,
  settings: Settings,
  deps: StepDeps,
  session: StateSession,
): Promise<void> {
  if (deps.signal?.aborted || error instanceof SlackDeliveryError) return
  await recordFailure(settings, errorMessage(error), deps, session)
}
