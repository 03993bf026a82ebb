/**
 * `notify-on-error`: a monitor that cannot run says so in Slack once per failing episode, reminds
 * while it keeps failing, and says when it runs again; the failed runs are counted in the state.
 */

import { errorMessage } from './errors.js'
import { isoSecond } from './format.js'
import type { RunDeps } from './main.js'
import type { SlackMessage } from './notify/blocks.js'
import { workflowRunUrl } from './notify/console-link.js'
import {
  buildFailureMessage,
  buildRecoveredMessage,
  type FailureNotice,
  type RecoveredNotice,
} from './notify/monitor-notices.js'
import { deliver, postEach } from './notify/slack.js'
import type { Settings } from './settings.js'
import {
  describeFailure,
  type FailureRecord,
  type SavedState,
  STATE_VERSION,
  serializeCheckpoint,
} from './state/checkpoint.js'
import { loadState, type StateRead } from './state/load.js'
import { openStateStore } from './state/open.js'
import type { StateStore } from './state/store.js'
import * as workflowLog from './workflow-log.js'

/**
 * How often Slack is reminded of a monitor that keeps failing, when `realert` is 0: a notice every
 * run (every 5 minutes) floods the channel, and a single one lets a broken monitor be forgotten.
 * It is also `realert`'s default, so out of the box both kinds of episode remind hourly.
 */
const FAILURE_REMINDER_SECONDS = 60 * 60

/**
 * The state as far as watch() got with it, for the failure path in run(): a failed run is recorded on
 * top of the newest state this run loaded or saved, never on an older one.
 */
export interface StateContext {
  store?: StateStore
  /** Undefined until the store was read. */
  read?: StateRead
}

/**
 * A failed run, counted in the state so that `notify-on-error` tells Slack once per failing episode,
 * then again every reminder period, instead of on every run of the cron. Without a state to count in
 * (`state: none`, or one that cannot be read or saved) it tells Slack every time, and the notice says why.
 * Trouble here is logged, never thrown: the step has already failed with the run's own error.
 */
export async function recordFailure(
  settings: Settings,
  reason: string,
  deps: RunDeps,
  context: StateContext,
): Promise<void> {
  const now = Math.floor(deps.now() / 1000)
  const memory = await failureMemory(settings, deps, context)
  const state = 'store' in memory ? memory.state : undefined
  const lastNotice = state?.failure?.notifiedAt
  const failure: FailureRecord = {
    since: state?.failure?.since ?? now,
    runs: (state?.failure?.runs ?? 0) + 1,
  }
  if (lastNotice !== undefined) failure.notifiedAt = lastNotice
  // dry-run leaves the state alone, the failure record included.
  const store = 'store' in memory && !settings.dryRun ? memory.store : undefined

  if (!settings.notifyOnError || settings.slackWebhookUrls.length === 0) {
    if (store) await saveFailure(store, state, failure, deps)
    return
  }
  if (lastNotice !== undefined) {
    const nextReminder = lastNotice + reminderSeconds(settings)
    if (now < nextReminder) {
      workflowLog.info(
        `notify-on-error: failure notice already posted at ${isoSecond(lastNotice)}; next reminder after ${isoSecond(nextReminder)}.`,
      )
      if (store) await saveFailure(store, state, failure, deps)
      return
    }
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
  const saved = store ? await saveFailure(store, state, { ...failure, notifiedAt: now }, deps) : false
  if (store && !saved) notice.noMemory = 'unsaved'
  const posted = await postNotice(buildFailureMessage(notice), 'that the monitor failed', settings, deps)
  // Not delivered: the next run must not take Slack for told.
  if (store && saved && !posted) await saveFailure(store, state, failure, deps)
}

type FailureMemory =
  | { store: StateStore; state: SavedState | undefined }
  | { noMemory: NonNullable<FailureNotice['noMemory']> }

/** The store and its newest state for the failure path, opened and read here when watch() did not get that far. */
async function failureMemory(
  settings: Settings,
  deps: RunDeps,
  context: StateContext,
): Promise<FailureMemory> {
  if (settings.state.kind === 'none') return { noMemory: 'state-none' }
  const unusable = 'This run cannot tell whether Slack was already told that the monitor is failing.'
  let { store } = context
  try {
    store ??= await openStateStore(settings, deps.env, deps.now, workflowLog.info)
  } catch (error) {
    workflowLog.warning(
      `Could not open the state (${settings.state.kind}): ${errorMessage(error)}. ${unusable}`,
    )
    return { noMemory: 'unreadable' }
  }
  const opened = store
  const read =
    context.read ??
    (await workflowLog.group(`Checkpoint (${opened.description})`, () => loadState(opened, unusable)))
  if ('error' in read) return { noMemory: 'unreadable' }
  return { store: opened, state: read.state }
}

/** The failure record saved on top of `state`, the newest this run has: a checkpoint, or none yet. */
async function saveFailure(
  store: StateStore,
  state: SavedState | undefined,
  failure: FailureRecord,
  deps: RunDeps,
): Promise<boolean> {
  const savedAt = new Date(deps.now()).toISOString()
  const next: SavedState = state
    ? { ...state, savedAt, failure }
    : { version: STATE_VERSION, savedAt, failure }
  try {
    await store.save(serializeCheckpoint(next))
    workflowLog.info(`Failure recorded in ${store.description}: ${describeFailure(failure)}.`)
    return true
  } catch (error) {
    workflowLog.warning(`Could not record the failure in ${store.description}: ${errorMessage(error)}.`)
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
  deps: RunDeps,
): Promise<void> {
  workflowLog.info(`The monitor is running again after failed runs: ${describeFailure(failure)}.`)
  if (failure.notifiedAt === undefined || !settings.notifyOnError || settings.slackWebhookUrls.length === 0)
    return
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
  deps: RunDeps,
): Promise<boolean> {
  const slackDeps = {
    fetch: deps.fetch,
    sleep: deps.sleep,
    log: workflowLog.info,
    ...(deps.signal ? { signal: deps.signal } : {}),
  }
  if (settings.dryRun) {
    await deliver(message, settings, slackDeps)
    return false
  }
  const outcomes = await postEach(message, settings.slackWebhookUrls, slackDeps)
  const failed = outcomes.filter((outcome) => outcome.error)
  for (const outcome of failed) {
    // A webhook listed twice failed once: warn once.
    if (settings.slackWebhookUrls.indexOf(outcome.url) !== outcome.index) continue
    workflowLog.warning(`Could not tell Slack ${what}: ${errorMessage(outcome.error)}`)
  }
  if (failed.length === outcomes.length) return false
  workflowLog.info(
    `Slack was told ${what} (notify-on-error)${failed.length > 0 ? `, on ${outcomes.length - failed.length} of ${outcomes.length} webhooks` : ''}.`,
  )
  return true
}
