import * as core from '@actions/core'
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs'
import { resolveCredentials } from './aws/credentials.js'
import { ReportedEntries } from './dedup.js'
import { buildDigest } from './digest.js'
import { type Entry, toEntry } from './entries.js'
import { runBatchedQuery } from './insights/batches.js'
import { isoSecond, nextCheckpoint, planWindow } from './insights/window.js'
import { formatDryRun, postToSlack } from './notify/slack.js'
import { buildSlackMessage } from './notify/slack-message.js'
import { addJobSummary } from './notify/summary.js'
import { resultsFilePath, stepOutputs, writeResultsFile } from './outputs.js'
import type { Report } from './report.js'
import { formatDuration, readSettings, type Settings } from './settings.js'
import { type Checkpoint, parseCheckpoint, STATE_VERSION, serializeCheckpoint } from './state/checkpoint.js'
import { openStateStore } from './state/open.js'
import type { StateStore } from './state/store.js'

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
 * One run: settings → credentials → checkpoint and window → query → entries, less those reported
 * before → digest → Slack → checkpoint saved → summary, outputs.
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

    const store = await openStateStore(settings, deps.env, deps.now, core.info)
    const previous = await core.group(`Checkpoint (${store.description})`, () => loadCheckpoint(store))
    const plan = planWindow(deps.now(), previous?.checked, settings)
    const { window } = plan
    if (plan.gap) {
      core.warning(
        `Not checked: ${isoSecond(plan.gap.start)} – ${isoSecond(plan.gap.end)}. The previous run ended more than max-catch-up (${formatDuration(settings.maxCatchUpSeconds)}) ago, so this run starts ${formatDuration(settings.maxCatchUpSeconds)} back. Query that stretch by hand if it matters.`,
        { title: 'insights-watch: part of the timeline was skipped' },
      )
    }

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

    const matched = result.rows.map((row) => toEntry(row, settings.statusField))
    const reported = new ReportedEntries(previous?.reported)
    // Only what no earlier run reported counts: in the outputs, the message and the results file.
    const entries: Entry[] = [...reported.keepNew(matched, window.end)]
    const report: Report = {
      monitorName: settings.monitorName,
      window,
      logGroups: settings.logGroups,
      query: settings.query,
      queryLanguage: settings.queryLanguage,
      queries: result.queries,
      statistics: result.statistics,
      digest: buildDigest(entries, settings),
      truncated: result.truncated || rowsMissing(settings, result.statistics.recordsMatched, matched.length),
      rechecked: plan.rechecked,
      alreadyReported: matched.length - entries.length,
      maxCatchUpSeconds: settings.maxCatchUpSeconds,
    }
    if (plan.gap) report.gap = plan.gap
    if (previous) report.previousCheckpoint = previous.checked
    const runUrl = workflowRunUrl(deps.env)
    if (runUrl) report.runUrl = runUrl
    core.info(
      `Found ${report.digest.total} new matching entries (${report.digest.critical} 5xx, ${report.digest.warning} 4xx)` +
        (report.alreadyReported > 0
          ? `; ${report.alreadyReported} in the overlap were reported before`
          : '') +
        (report.truncated ? '; truncated' : ''),
    )

    const resultsFile = resultsFilePath(deps.env)
    await writeResultsFile(resultsFile, entries)

    const delivery = await core.group('Slack', () => notify(report, settings, deps))

    // Saved only once Slack has the entries: after a failed post the next run reports them again.
    let stateNote: string
    if (settings.dryRun) stateNote = 'dry-run: the checkpoint was left where it was.'
    else if (delivery.error)
      stateNote = 'The checkpoint was not moved: the next run checks this window again.'
    else {
      const checked = nextCheckpoint(previous?.checked, window)
      stateNote = await saveCheckpoint(store, {
        version: STATE_VERSION,
        checked,
        reported: reported.since(checked - settings.overlapSeconds),
        savedAt: new Date(deps.now()).toISOString(),
      })
    }

    addJobSummary(report, core.summary, `${delivery.note} ${stateNote}`)
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

/** The previous run's checkpoint; trouble reading it is a warning and a fresh start, never a crash. */
async function loadCheckpoint(store: StateStore): Promise<Checkpoint | undefined> {
  const fresh = 'Starting fresh: this run checks the last interval only.'
  let text: string | undefined
  try {
    text = await store.load()
  } catch (error) {
    core.warning(`Could not read the checkpoint from ${store.description}: ${errorMessage(error)}. ${fresh}`)
    return undefined
  }
  const loaded = parseCheckpoint(text)
  if (loaded.checkpoint) {
    core.info(
      `Checked up to ${isoSecond(loaded.checkpoint.checked)} by the previous run (saved ${loaded.checkpoint.savedAt}).`,
    )
    return loaded.checkpoint
  }
  if (loaded.problem)
    core.warning(`Ignoring the checkpoint in ${store.description}: ${loaded.problem}. ${fresh}`)
  else core.info(`No checkpoint in ${store.description} yet: this run checks the last interval.`)
  return undefined
}

async function saveCheckpoint(store: StateStore, checkpoint: Checkpoint): Promise<string> {
  try {
    await store.save(serializeCheckpoint(checkpoint))
    const note = `Checkpoint saved: checked up to ${isoSecond(checkpoint.checked)}.`
    core.info(note)
    return note
  } catch (error) {
    const note = `Could not save the checkpoint to ${store.description}: ${errorMessage(error)}. The next run will check this stretch again, so some entries may be reported twice.`
    core.warning(note)
    return note
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

interface Delivery {
  notified: boolean
  /** What happened, for the job summary. */
  note: string
  error?: Error
}

/**
 * One message per webhook when anything new matched or a gap was found; the summary and outputs are
 * written even when Slack fails.
 */
async function notify(report: Report, settings: Settings, deps: RunDeps): Promise<Delivery> {
  const webhooks = settings.slackWebhookUrls.length
  const delivery = (notified: boolean, note: string): Delivery => {
    core.info(note)
    return { notified, note }
  }
  // A gap is news even without matches: part of the timeline went unchecked.
  if (report.digest.total === 0 && !report.gap) {
    return delivery(false, 'No new matching entries: nothing to send to Slack.')
  }
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
