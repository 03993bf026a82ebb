/**
 * `notify-on-error`: a monitor that cannot run says so in Slack once per failing episode, reminds
 * while it keeps failing, and says when it runs again; the failed runs are counted in the state.
 */

import { errorMessage } from './errors.js'
import { isoSecond } from './format.js'
import type { SlackMessage } from './notify/blocks.js'
import { workflowRunUrl } from './notify/console-link.js'
import {
  buildFailureMessage,
  buildRecoveredMessage,
  type FailureNotice,
  type RecoveredNotice,
} from './notify/monitor-notices.js'
import { deliver, postEach } from './notify/slack.js'
import { createSlackBot } from './notify/slack-bot.js'
import { apiClientDeps, type StepDeps, webhookDeps } from './run-deps.js'
import type { Settings } from './settings.js'
import { describeFailure, type FailureRecord, type SavedState, STATE_VERSION } from './state/checkpoint.js'
import type { StateSession } from './state/session.js'

/**
 * How often Slack is reminded of a monitor that keeps failing, when `realert` is 0: a notice every
 * run (every 5 minutes) floods the channel, and a single one lets a broken monitor be forgotten.
 * It is also `realert`'s default, so out of the box both kinds of episode remind hourly.
 */
const FAILURE_REMINDER_SECONDS = 60 * 60

/**
 * A failed run, counted in the state so that `notify-on-error` tells Slack once per failing episode,
 * then again every reminder period, instead of on every run of the cron. Without a state to count in
 * (`state: none`, or one that cannot be read or saved) it tells Slack every time, and the notice says why.
 * Trouble here is logged, never thrown: the step has already failed with the run's own error.
 */
export async function recordFailure(
  settings: Settings,
  reason: string,
  deps: StepDeps,
  session: StateSession,
): Promise<void> {
  const now = Math.floor(deps.now() / 1000)
  const memory = await failureMemory(settings, deps, session)
  const state = 'state' in memory ? memory.state : undefined
  const failure: FailureRecord = {
    since: state?.failure?.since ?? now,
    runs: (state?.failure?.runs ?? 0) + 1,
  }
  if (state?.failure?.notifiedAt !== undefined) failure.notifiedAt = state.failure.notifiedAt
  // dry-run leaves the state alone, the failure record included.
  const save =
    'state' in memory && !settings.dryRun
      ? (record: FailureRecord) => saveFailure(session, state, record, deps)
      : undefined
  if (!failureNoticeDue(failure, settings, now, deps)) {
    await save?.(failure)
    return
  }
  const notice: FailureNotice = { monitorName: settings.monitorName, reason }
  const runUrl = workflowRunUrl(deps.env)
  if (runUrl) notice.runUrl = runUrl
  if (failure.runs > 1) {
    notice.failingSince = failure.since
    notice.failedRuns = failure.runs
  }
  if ('noMemory' in memory) notice.noMemory = memory.noMemory
  // Saved before posting, so that the notice can say when nothing will remember it.
  const saved = save ? await save({ ...failure, notifiedAt: now }) : false
  if (save && !saved) notice.noMemory = 'unsaved'
  const posted = await postNotice(buildFailureMessage(notice), 'that the monitor failed', settings, deps)
  // Not delivered: the next run must not take Slack for told.
  if (save && saved && !posted) await save(failure)
}

/** Whether this failed run tells Slack: `notify-on-error` is on, and no notice was posted within the reminder period. */
function failureNoticeDue(failure: FailureRecord, settings: Settings, now: number, deps: StepDeps): boolean {
  if (!settings.notifyOnError || !hasSlack(settings)) return false
  const lastNotice = failure.notifiedAt
  if (lastNotice === undefined) return true
  const nextReminder = lastNotice + reminderSeconds(settings)
  if (now >= nextReminder) return true
  deps.runner.info(
    `notify-on-error: failure notice already posted at ${isoSecond(lastNotice)}; next reminder after ${isoSecond(nextReminder)}.`,
  )
  return false
}

type FailureMemory = { state: SavedState | undefined } | { noMemory: NonNullable<FailureNotice['noMemory']> }

/** The newest state for the failure path, the store opened and read here when watch() did not get that far. */
async function failureMemory(
  settings: Settings,
  deps: StepDeps,
  session: StateSession,
): Promise<FailureMemory> {
  if (settings.state.kind === 'none') return { noMemory: 'state-none' }
  const unusable = 'This run cannot tell whether Slack was already told that the monitor is failing.'
  let store: Awaited<ReturnType<StateSession['open']>>
  try {
    store = await session.open()
  } catch (error) {
    deps.runner.warning(
      `Could not open the state (${settings.state.kind}): ${errorMessage(error)}. ${unusable}`,
    )
    return { noMemory: 'unreadable' }
  }
  const read =
    session.read ??
    (await deps.runner.group(`Checkpoint (${store.description})`, () => session.load(unusable)))
  if ('error' in read) return { noMemory: 'unreadable' }
  return { state: read.state }
}

/** The failure record saved on top of `state`, the newest this run has: a checkpoint, or none yet. */
async function saveFailure(
  session: StateSession,
  state: SavedState | undefined,
  failure: FailureRecord,
  deps: StepDeps,
): Promise<boolean> {
  const savedAt = new Date(deps.now()).toISOString()
  const next: SavedState = state
    ? { ...state, savedAt, failure }
    : { version: STATE_VERSION, savedAt, failure }
  const { description } = await session.open()
  try {
    await session.save(next)
    deps.runner.info(`Failure recorded in ${description}: ${describeFailure(failure)}.`)
    return true
  } catch (error) {
    deps.runner.warning(`Could not record the failure in ${description}: ${errorMessage(error)}.`)
    return false
  }
}

/**
 * How long after a failure notice the next one reminds Slack: `realert` (1h by default), the period an
 * alerting episode reminds at too, or hourly when `realert` is 0 (every alerting window posts, but a
 * failure notice on every run would flood the channel).
 */
export function reminderSeconds(settings: Settings): number {
  return settings.realertSeconds > 0 ? settings.realertSeconds : FAILURE_REMINDER_SECONDS
}

/**
 * The run worked after failed ones. The failure record is dropped from the checkpoint this run saves;
 * when Slack was told of the episode, one message says the monitor is running again.
 */
export async function endFailureEpisode(
  failure: FailureRecord,
  settings: Settings,
  deps: StepDeps,
): Promise<void> {
  deps.runner.info(`The monitor is running again after failed runs: ${describeFailure(failure)}.`)
  if (failure.notifiedAt === undefined || !settings.notifyOnError || !hasSlack(settings)) return
  const notice: RecoveredNotice = {
    monitorName: settings.monitorName,
    failingSince: failure.since,
    recoveredAt: Math.floor(deps.now() / 1000),
    failedRuns: failure.runs,
  }
  const runUrl = workflowRunUrl(deps.env)
  if (runUrl) notice.runUrl = runUrl
  await postNotice(buildRecoveredMessage(notice), 'that the monitor is running again', settings, deps)
}

/**
 * A notice about the monitor itself (`notify-on-error`): printed on a dry run; a post that fails is a
 * warning, since the step's outcome is decided elsewhere. True when Slack took it on at least one
 * webhook: with one webhook failing for good, "not told" would repeat the notice to the others on
 * every run of the cron instead of once per episode.
 */
async function postNotice(
  message: SlackMessage,
  what: string,
  settings: Settings,
  deps: StepDeps,
): Promise<boolean> {
  const slackDeps = webhookDeps(deps)
  if (settings.dryRun) {
    await deliver(message, settings, slackDeps)
    return false
  }
  const outcomes = await postEach(message, settings.slackWebhookUrls, slackDeps)
  const failed = outcomes.filter((outcome) => outcome.error)
  for (const outcome of failed) {
    // A webhook listed twice failed once: warn once.
    if (settings.slackWebhookUrls.indexOf(outcome.url) !== outcome.index) continue
    deps.runner.warning(`Could not tell Slack ${what}: ${errorMessage(outcome.error)}`)
  }
  const channels = await postToChannels(message, what, settings, deps)
  const total = outcomes.length + channels.total
  const told = outcomes.length - failed.length + channels.told
  if (told === 0) return false
  deps.runner.info(
    `Slack was told ${what} (notify-on-error)${told < total ? `, on ${told} of ${total} ${channels.total > 0 ? 'webhooks and channels' : 'webhooks'}` : ''}.`,
  )
  return true
}

/** Webhooks, or bot-token mode's channels: somewhere to tell of the monitor itself. */
function hasSlack(settings: Settings): boolean {
  return settings.slackWebhookUrls.length > 0 || settings.incidentCard !== undefined
}

/**
 * Bot-token mode: the notice as a message of its own in each `slack-channel` (not in an incident's
 * thread: the monitor failing is not the API's incident).
 */
async function postToChannels(
  message: SlackMessage,
  what: string,
  settings: Settings,
  deps: StepDeps,
): Promise<{ told: number; total: number }> {
  if (!settings.incidentCard) return { told: 0, total: 0 }
  const { channels, token } = settings.incidentCard
  let told = 0
  try {
    const bot = await createSlackBot(token, apiClientDeps(deps))
    for (const channel of channels) {
      try {
        await bot.postMessage(channel, message)
        told += 1
      } catch (error) {
        deps.runner.warning(`Could not tell ${channel} ${what}: ${errorMessage(error)}`)
      }
    }
  } catch (error) {
    deps.runner.warning(`Could not tell the Slack channels ${what}: ${errorMessage(error)}`)
  }
  return { told, total: channels.length }
}
