/**
 * Every rule of a rules file in one step: the credentials and the CloudWatch Logs connection made
 * once, then each rule as a monitor of its own (its checkpoint, alert memory, incident and Slack
 * message; steps/monitor.ts), all side by side, their queries under one concurrency cap and one set
 * of request-rate limits. A rule that fails does not stop the others: they are reported and their
 * checkpoints saved, and the step fails at the end naming it. Then one job summary (an overview
 * table, a section per rule) and the step's outputs, the rules' together.
 */
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs'
import type { AlertDecision } from '../alerting.js'
import { errorMessage } from '../errors.js'
import { addRuleFailure, addRulesOverview, type RuleOverview } from '../notify/summary.js'
import { resultsFilePath } from '../outputs.js'
import { RuleLog } from '../rules/rule-log.js'
import { settingsOfRules } from '../rules/rule-settings.js'
import { readRulesFile } from '../rules/rules-file.js'
import type { StepDeps } from '../run-deps.js'
import type { Settings, SettingsSources } from '../settings.js'
import { StateSession } from '../state/session.js'
import { backtestMonitors } from './backtest.js'
import { credentialsOnly, loadCheckpoint } from './credentials-and-checkpoint.js'
import { connectToLogs, type LogsConnection } from './logs-connection.js'
import {
  type CheckedWindow,
  checkWindow,
  recordRunFailure,
  type ToldAndSaved,
  tellAndSave,
} from './monitor.js'
import { addRunSummary, runOutputs, settleOutcome } from './publish.js'

/**
 * Queries running at once across all rules: the account allows 100 concurrent Insights queries,
 * shared with dashboards, scheduled queries and people (StartQuery API doc); a step of many rules
 * takes a tenth of them.
 */
const RULES_QUERY_CONCURRENCY = 10

/** GitHub's 1 MiB step summary, less room for the overview table and a closing note. */
const RULE_SECTIONS_BYTES = 1024 * 1024 - 128 * 1024

interface RuleRun {
  settings: Settings
  log: RuleLog
  checked?: CheckedWindow
  told?: ToldAndSaved
  /** Why the rule failed the step; absent when it did its whole job. */
  failure?: string
}

/** The rules file read and every rule checked (before any network call), then the rules watched. */
export async function watchRulesFile(file: string, sources: SettingsSources, deps: StepDeps): Promise<void> {
  const rules = settingsOfRules(readRulesFile(file, deps.env), sources)
  if (sources.getInput('monitor-name').trim())
    deps.runner.info(
      'monitor-name is not used with rules: each rule is named, and its checkpoint keyed, by its name.',
    )
  // `backtest` is step-wide: every rule replays its past instead of watching.
  if ((rules[0] as Settings).backtestSeconds !== undefined)
    return backtestMonitors(file, rules, deps, RULES_QUERY_CONCURRENCY)
  await watchRules(file, rules, deps)
}

async function watchRules(file: string, rules: readonly Settings[], deps: StepDeps): Promise<void> {
  const { runner } = deps
  // Region, role, state backend and dry-run are step-wide (a rule cannot set them): the same in each.
  const stepWide = rules[0] as Settings
  runner.info(`${rules.length} rules from ${file}: ${rules.map((rule) => rule.monitorName).join(', ')}.`)
  let runs: RuleRun[]
  try {
    const credentials = await credentialsOnly(stepWide, deps)
    const logs = await connectToLogs(stepWide, credentials, deps, RULES_QUERY_CONCURRENCY)
    runner.info(
      `Running the ${rules.length} rules side by side, up to ${RULES_QUERY_CONCURRENCY} queries at once.`,
    )
    let done = 0
    runs = await Promise.all(
      rules.map(async (settings) => {
        const run = await watchRule(settings, logs, deps)
        done += 1
        await run.log.flush(`Rule ${done}/${rules.length} "${settings.monitorName}": ${outcomeOf(run)}`)
        return run
      }),
    ).finally(() => logs.client.destroy())
  } catch (error) {
    // Nothing ran (no credentials, no connection): recorded once, on the first rule, rather than
    // the same failure posted once per rule to what may be one channel.
    const session = new StateSession(stepWide, deps)
    try {
      await recordRunFailure(error, stepWide, deps, session).catch((recordError: unknown) =>
        runner.info(`Could not record the failure: ${errorMessage(recordError)}`),
      )
    } finally {
      await session.release()
    }
    throw error
  }
  await publishRules(file, runs, deps)
  const failed = runs.filter((run) => run.failure !== undefined)
  if (failed.length > 0) {
    runner.setFailed(
      `${failed.length} of ${runs.length} rules failed (the others were reported and saved): ${failed
        .map((run) => `rule "${run.settings.monitorName}": ${run.failure}`)
        .join('; ')}`,
    )
  }
}

/** One rule, start to end, never thrown: a failure is recorded (failure notice) and returned. */
async function watchRule(settings: Settings, logs: LogsConnection, deps: StepDeps): Promise<RuleRun> {
  const log = new RuleLog(deps.runner, settings.monitorName)
  const ruleDeps: StepDeps = { ...deps, runner: log }
  const session = new StateSession(settings, ruleDeps)
  const run: RuleRun = { settings, log }
  try {
    const read = await loadCheckpoint(session, ruleDeps)
    run.checked = await checkWindow(settings, read, logs, ruleDeps)
    run.told = await tellAndSave(settings, run.checked, () => logs.clock.now(), ruleDeps, session)
    const { report, outcome, decision } = run.checked
    settleOutcome(report, { outcome, decision, ...run.told }, settings, log)
    // fail-on-match fails the step without throwing.
    if (log.failures.length > 0) run.failure = log.failures.join(' ')
  } catch (error) {
    run.failure = errorMessage(error)
    log.info(`Failed: ${run.failure}`)
    await recordRunFailure(error, settings, ruleDeps, session).catch((recordError: unknown) =>
      log.info(`Could not record the failure: ${errorMessage(recordError)}`),
    )
  } finally {
    await session.release()
  }
  return run
}

const DECISION_WORDS: Record<AlertDecision['kind'], string> = {
  alert: 'alerted',
  quiet: 'matches inside the quiet period (realert)',
  clearing: 'clearing',
  'below-threshold': 'below the thresholds',
  resolved: 'resolved',
  none: 'nothing found',
}

function outcomeOf(run: RuleRun): string {
  if (run.failure !== undefined) return `failed: ${run.failure}`
  const decision = run.checked ? DECISION_WORDS[run.checked.decision.kind] : 'not checked'
  return run.told?.delivery.notified ? `${decision}, Slack told` : decision
}

/** The overview table, each rule's section (in the file's order), and the outputs. */
async function publishRules(file: string, runs: readonly RuleRun[], deps: StepDeps): Promise<void> {
  const { summary } = deps.runner
  const overview: RuleOverview[] = runs.map((run) => {
    const report = run.checked?.report
    return {
      name: run.settings.monitorName,
      outcome: outcomeOf(run),
      ...(report
        ? { window: report.window, matches: report.digest.total, critical: report.digest.critical }
        : {}),
    }
  })
  addRulesOverview(file, overview, summary)
  const share = Math.floor(RULE_SECTIONS_BYTES / runs.length)
  for (const run of runs) {
    if (run.checked && run.told)
      addRunSummary(run.checked.report, { outcome: run.checked.outcome, ...run.told }, summary, share)
    if (run.failure !== undefined)
      addRuleFailure(run.settings.monitorName, run.failure, !(run.checked && run.told), summary)
  }
  await summary.write()
  for (const [name, value] of Object.entries(stepOutputsOfRules(runs, deps.env)))
    deps.runner.setOutput(name, value)
}

/** The step's outputs for all rules: counts added up, the widest window, every query, one results file. */
function stepOutputsOfRules(
  runs: readonly RuleRun[],
  env: Record<string, string | undefined>,
): Record<string, string> {
  const each = runs.flatMap((run) =>
    run.checked && run.told
      ? [runOutputs(run.checked.report, { outcome: run.checked.outcome, ...run.told })]
      : [],
  )
  const sum = (name: 'match-count' | 'critical-count') =>
    String(each.reduce((total, outputs) => total + Number(outputs[name]), 0))
  const starts = each.map((outputs) => outputs['window-start']).sort()
  const ends = each.map((outputs) => outputs['window-end']).sort()
  return {
    'match-count': sum('match-count'),
    'critical-count': sum('critical-count'),
    'window-start': starts[0] ?? '',
    'window-end': ends[ends.length - 1] ?? '',
    'query-ids': each
      .map((outputs) => outputs['query-ids'])
      .filter((ids) => ids !== '')
      .join(','),
    notified: String(each.some((outputs) => outputs.notified === 'true')),
    truncated: String(each.some((outputs) => outputs.truncated === 'true')),
    'incident-id': '',
    'incident-state': 'none',
    'slack-ts': '',
    'issue-number': '',
    'results-file': joinResultsFiles(runs, env),
    'alerting-rules': JSON.stringify(
      runs.filter((run) => run.checked?.decision.kind === 'alert').map((run) => run.settings.monitorName),
    ),
    'failed-rules': JSON.stringify(
      runs.filter((run) => run.failure !== undefined).map((run) => run.settings.monitorName),
    ),
  }
}

/** One JSON-lines file of every rule's new entries, each line with its `rule`. */
function joinResultsFiles(runs: readonly RuleRun[], env: Record<string, string | undefined>): string {
  const path = resultsFilePath(env)
  const fd = openSync(path, 'w')
  try {
    for (const run of runs) {
      if (!run.checked) continue
      const rule = JSON.stringify(run.settings.monitorName)
      for (const line of readFileSync(run.checked.outcome.resultsFile, 'utf8').split('\n')) {
        if (line.startsWith('{')) writeSync(fd, `{"rule":${rule},${line.slice(1)}\n`)
      }
    }
  } finally {
    closeSync(fd)
  }
  return path
}
