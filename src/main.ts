/**
 * One run, as design.md's flow: settings → credentials and checkpoint → the service's clock → window →
 * query → report → alert decision → Slack → checkpoint saved → summary and outputs. Each step is a
 * function in src/steps/; this module only says their order and what each hands the next.
 * Any failure fails the step with a message that says what to do; nothing fails quietly. With
 * `backtest`, backtest() replaces watch(): credentials → the Logs connection → the replay → summary.
 */
import { errorMessage } from './errors.js'
import { type RunDeps, realDeps, type StepDeps, withRunner } from './run-deps.js'
import { actionsRunner } from './runner.js'
import { readSettings, type Settings } from './settings.js'
import { StateSession } from './state/session.js'
import { credentialsAndCheckpoint } from './steps/credentials-and-checkpoint.js'
import { connectToLogs } from './steps/logs-connection.js'
import { checkWindow, recordRunFailure, tellAndSave } from './steps/monitor.js'
import { publishRun, settleOutcome } from './steps/publish.js'

export async function run(given?: RunDeps): Promise<void> {
  let deps: StepDeps | undefined
  let settings: Settings | undefined
  let session: StateSession | undefined
  try {
    deps = given ? withRunner(given) : await realDeps()
    const { runner } = deps
    const sources = { getInput: runner.getInput, setSecret: runner.setSecret, env: deps.env }
    const rulesFile = runner.getInput('rules').trim()
    if (rulesFile) {
      // Loaded only with rules: the YAML parser and the schema validator would slow every cold start.
      const { watchRulesFile } = await import('./steps/rules.js')
      await watchRulesFile(rulesFile, sources, deps)
      return
    }
    settings = readSettings(sources)
    // A backtest never opens the state: no session, so no failure record is saved either.
    if (settings.backtestSeconds !== undefined) {
      // Loaded only for a backtest, like the rules: a scheduled run's cold start does not pay for it.
      const { backtestMonitors } = await import('./steps/backtest.js')
      return await backtestMonitors(settings.monitorName, [settings], deps)
    }
    session = new StateSession(settings, deps)
    await watch(settings, deps, session)
  } catch (error) {
    const message = errorMessage(error)
    // Before the deps were made (a bad proxy variable, say), the real runner says it.
    const runner = deps?.runner ?? given?.runner ?? actionsRunner
    runner.setFailed(message)
    if (settings && deps && session) await recordRunFailure(error, settings, deps, session)
  } finally {
    // A `file:` state's lock, held from load to the last save (the failure record included).
    await session?.release()
  }
}

async function watch(settings: Settings, deps: StepDeps, session: StateSession): Promise<void> {
  const { runner } = deps
  const { credentials, read } = await credentialsAndCheckpoint(settings, deps, session)
  const logs = await connectToLogs(settings, credentials, deps)
  const checked = await checkWindow(settings, read, logs, deps).finally(() => logs.client.destroy())
  const told = await tellAndSave(settings, checked, () => logs.clock.now(), deps, session)
  const { report, outcome, decision } = checked
  await publishRun(report, { outcome, ...told }, runner)
  settleOutcome(report, { outcome, decision, ...told }, settings, runner)
}
