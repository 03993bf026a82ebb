import * as core from '@actions/core'
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs'
import { resolveCredentials } from './aws/credentials.js'
import { buildDigest } from './digest.js'
import { type Entry, toEntry } from './entries.js'
import { runBatchedQuery } from './insights/batches.js'
import { currentWindow, isoSecond } from './insights/window.js'
import { formatDryRun, postToSlack } from './notify/slack.js'
import { buildSlackMessage } from './notify/slack-message.js'
import { addJobSummary } from './notify/summary.js'
import { resultsFilePath, stepOutputs, writeResultsFile } from './outputs.js'
import type { Report } from './report.js'
import { readSettings, type Settings } from './settings.js'

/** The side effects a run depends on, passed in so that tests drive time and the network. */
export interface RunDeps {
  now: () => number
  sleep: (ms: number) => Promise<void>
  fetch: typeof fetch
  env: Record<string, string | undefined>
}

const realDeps = (): RunDeps => ({
  now: Date.now,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  fetch: globalThis.fetch,
  env: process.env,
})

/**
 * One run: settings → credentials → window → query → entries → digest → Slack, summary, outputs.
 * Any failure fails the step with a message that says what to do; nothing fails quietly.
 */
export async function run(deps: RunDeps = realDeps()): Promise<void> {
  try {
    const settings = readSettings({ getInput: core.getInput, setSecret: core.setSecret, env: deps.env })
    const credentials = await core.group('Credentials', () =>
      resolveCredentials(settings, {
        env: deps.env,
        getIDToken: (audience) => core.getIDToken(audience),
        setSecret: core.setSecret,
        log: core.info,
        now: deps.now,
      }),
    )

    const window = currentWindow(deps.now(), settings)
    const logs = new CloudWatchLogsClient({ region: settings.region, credentials })
    const result = await core.group(`Query ${isoSecond(window.start)} – ${isoSecond(window.end)}`, () =>
      runBatchedQuery(
        {
          logGroups: settings.logGroups,
          queryString: settings.query,
          queryLanguage: settings.queryLanguage,
          window,
          maxRows: settings.maxResults,
        },
        {
          client: logs,
          now: deps.now,
          sleep: deps.sleep,
          log: core.info,
          timeoutMs: settings.queryTimeoutMs,
        },
      ),
    )
    logs.destroy()

    const entries: Entry[] = result.rows.map((row) => toEntry(row, settings.statusField))
    const report: Report = {
      monitorName: settings.monitorName,
      window,
      logGroups: settings.logGroups,
      query: settings.query,
      queryLanguage: settings.queryLanguage,
      queries: result.queries,
      statistics: result.statistics,
      digest: buildDigest(entries, settings),
      truncated: result.truncated || rowsMissing(settings, result.statistics.recordsMatched, entries.length),
    }
    const runUrl = workflowRunUrl(deps.env)
    if (runUrl) report.runUrl = runUrl
    core.info(
      `Found ${report.digest.total} matching entries (${report.digest.critical} 5xx, ${report.digest.warning} 4xx)` +
        (report.truncated ? ', truncated' : ''),
    )

    const resultsFile = resultsFilePath(deps.env)
    await writeResultsFile(resultsFile, entries)

    const delivery = await core.group('Slack', () => notify(report, settings, deps))

    addJobSummary(report, core.summary, delivery.note)
    await core.summary.write()
    for (const [name, value] of Object.entries(stepOutputs(report, resultsFile, delivery.notified))) {
      core.setOutput(name, value)
    }

    if (delivery.error) throw delivery.error
    if (settings.failOnMatch && report.digest.total > 0) {
      core.setFailed(
        `fail-on-match: ${report.digest.total} matching entries (${report.digest.critical} 5xx) in ${isoSecond(window.start)} – ${isoSecond(window.end)}.`,
      )
    }
  } catch (error) {
    core.setFailed(error instanceof Error ? error.message : String(error))
  }
}

interface Delivery {
  notified: boolean
  /** What happened, for the job summary. */
  note: string
  error?: Error
}

/** One message per webhook when anything matched; the summary and outputs are written even if Slack fails. */
async function notify(report: Report, settings: Settings, deps: RunDeps): Promise<Delivery> {
  const webhooks = settings.slackWebhookUrls.length
  const delivery = (notified: boolean, note: string): Delivery => {
    core.info(note)
    return { notified, note }
  }
  if (report.digest.total === 0) return delivery(false, 'No matching entries: nothing to send to Slack.')
  if (webhooks === 0) return delivery(false, 'No slack-webhook-url is set: this summary is the only report.')
  const message = buildSlackMessage(report)
  if (settings.dryRun) {
    core.info(formatDryRun(message, webhooks))
    return delivery(false, 'dry-run: the Slack message was printed in the log, not sent.')
  }
  try {
    await postToSlack(message, settings.slackWebhookUrls, {
      fetch: deps.fetch,
      sleep: deps.sleep,
      log: core.info,
    })
    return delivery(
      true,
      `Slack: one message delivered to ${webhooks === 1 ? 'the webhook' : `each of ${webhooks} webhooks`}.`,
    )
  } catch (error) {
    const failure = error instanceof Error ? error : new Error(String(error))
    return { notified: false, note: `Slack: not delivered. ${failure.message}`, error: failure }
  }
}

/**
 * Whether the query matched more records than it returned rows, which means the counts cover only
 * the rows. Aggregating queries return one row per group, so for them the comparison means nothing.
 */
function rowsMissing(settings: Settings, recordsMatched: number, rows: number): boolean {
  return (
    settings.queryLanguage === 'CWLI' && !/(^|\|)\s*stats\s/i.test(settings.query) && recordsMatched > rows
  )
}

function workflowRunUrl(env: Record<string, string | undefined>): string | undefined {
  const { GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_RUN_ID } = env
  if (!GITHUB_SERVER_URL || !GITHUB_REPOSITORY || !GITHUB_RUN_ID) return undefined
  return `${GITHUB_SERVER_URL}/${GITHUB_REPOSITORY}/actions/runs/${GITHUB_RUN_ID}`
}
