/**
 * One run, as design.md's flow: settings → credentials and checkpoint → the service's clock → window →
 * query → report → alert decision → Slack → checkpoint saved → summary and outputs. Each step is a
 * function in src/steps/; this module only says their order and what each hands the next.
 * Any failure fails the step with a message that says what to do; nothing fails quietly. With
 * `backtest`, backtest() replaces watch(): credentials → the Logs connection → the replay → summary.
 */
import type { AlertDecision } from './alerting.js'
import { errorMessage } from './errors.js'
import { endFailureEpisode, recordFailure } from './failure-notices.js'
import type { Report } from './report.js'
import { type RunDeps, realDeps, type StepDeps, withRunner } from './run-deps.js'
import { actionsRunner } from './runner.js'
import { readSettings, type Settings } from './settings.js'
import type { StateRead } from './state/load.js'
import { StateSession } from './state/session.js'
import { decideRunAlert } from './steps/alert.js'
import { publishBacktests, refuseUnreplayable, runBacktest } from './steps/backtest.js'
import { addBaseline } from './steps/baseline.js'
import { ongoingFailure, saveCheckpointAfterRun } from './steps/checkpoint.js'
import { credentialsAndCheckpoint, credentialsOnly } from './steps/credentials-and-checkpoint.js'
import { tellIncident, withIncident } from './steps/incident.js'
import { connectToLogs, type LogsConnection } from './steps/logs-connection.js'
import { notify, SlackDeliveryError } from './steps/notify.js'
import { planRun, type RunPlan } from './steps/plan.js'
import { publishRun, settleOutcome } from './steps/publish.js'
import { type QueryOutcome, runQuery } from './steps/query.js'
import { buildReport } from './steps/report.js'

export async function run(given?: RunDeps): Promise<void> {
  let deps: StepDeps | undefined
  let settings: Settings | undefined
  let session: StateSession | undefined
  try {
    deps = given ? withRunner(given) : await realDeps()
    const { runner } = deps
    settings = readSettings({ getInput: runner.getInput, setSecret: runner.setSecret, env: deps.env })
    // A backtest never opens the state: no session, so no failure record is saved either.
    if (settings.backtestSeconds !== undefined) return await backtest(settings, deps)
    session = new StateSession(settings, deps)
    await watch(settings, deps, session)
  } catch (error) {
    const message = errorMessage(error)
    // Before the deps were made (a bad proxy variable, say), the real runner says it.
    const runner = deps?.runner ?? given?.runner ?? actionsRunner
    runner.setFailed(message)
    // Not when Slack itself refused the message, nor when the job was cancelled on purpose.
    if (settings && deps && session && !deps.signal?.aborted && !(error instanceof SlackDeliveryError)) {
      await recordFailure(settings, message, deps, session)
    }
  } finally {
    // A `file:` state's lock, held from load to the last save (the failure record included).
    await session?.release()
  }
}

/** `backtest`: the past period replayed in memory instead of watching; only the job summary is written. */
async function backtest(settings: Settings, deps: StepDeps): Promise<void> {
  refuseUnreplayable(settings)
  const credentials = await credentialsOnly(settings, deps)
  const logs = await connectToLogs(settings, credentials, deps)
  const result = await runBacktest(settings, logs, deps, logs.clock.now()).finally(() =>
    logs.client.destroy(),
  )
  await publishBacktests([{ name: settings.monitorName, result }], deps.runner)
}

/** The window planned, queried, reported and judged: every step that needs CloudWatch Logs. */
async function checkWindow(
  settings: Settings,
  read: StateRead,
  logs: LogsConnection,
  deps: StepDeps,
): Promise<{ plan: RunPlan; outcome: QueryOutcome; report: Report; decision: AlertDecision }> {
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

async function watch(settings: Settings, deps: StepDeps, session: StateSession): Promise<void> {
  const { runner } = deps
  const { credentials, read } = await credentialsAndCheckpoint(settings, deps, session)
  const logs = await connectToLogs(settings, credentials, deps)
  const { plan, outcome, report, decision } = await checkWindow(settings, read, logs, deps).finally(() =>
    logs.client.destroy(),
  )
  const posted = await runner.group('Slack', () =>
    notify(report, decision, settings, deps, plan.previous?.missedByWebhook),
  )
  const nowSeconds = Math.floor(logs.clock.now() / 1000)
  const incident = await tellIncident(report, decision, plan.previous?.incident, settings, deps, nowSeconds)
  const delivery = withIncident(posted, incident, settings)
  const failure = plan.loaded?.failure
  if (failure && !ongoingFailure(plan, outcome, delivery) && !delivery.error)
    await runner.group('Running again', () => endFailureEpisode(failure, settings, deps))
  const stateNote = await saveCheckpointAfterRun(
    { plan, outcome, decision, delivery, incident },
    {
      dryRun: settings.dryRun,
      nowMs: logs.clock.now(),
      signatureMemorySeconds: settings.signatures?.memorySeconds,
    },
    session,
  )
  await publishRun(report, { outcome, delivery, stateNote, incident }, runner)
  settleOutcome(report, { outcome, delivery, decision, incident }, settings, runner)
}
