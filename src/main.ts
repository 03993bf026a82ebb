import * as core from '@actions/core'
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs'
import type { FetchFunction } from '@slack/webhook'
import { AggregateBuilder } from './aggregate.js'
import { type AlertDecision, addCounts, type Counts, decideAlert } from './alerting.js'
import { resolveCredentials } from './aws/credentials.js'
import { describeSkew, probeServiceClock, ServiceClock } from './aws/service-clock.js'
import { ReportedEntries } from './dedup.js'
import { DigestBuilder } from './digest.js'
import { errorMessage } from './errors.js'
import { endFailureEpisode, recordFailure, reminderSeconds, type StateContext } from './failure-notices.js'
import { formatDuration, isoSecond } from './format.js'
import { type BatchedResult, MAX_LOG_GROUPS_PER_QUERY, runBatchedQuery } from './insights/batches.js'
import { describeGroups } from './insights/query.js'
import { queryToRun, queryWindow } from './insights/query-rewrite.js'
import { analyseQuery } from './insights/query-shape.js'
import { onAbort } from './insights/throttle.js'
import { type LostCheckpoint, nextCheckpoint, planWindow, type WindowPlan } from './insights/window.js'
import { RowIntake } from './intake.js'
import { type ProxyAgentsFactory, proxyAgents } from './net/proxy.js'
import { alertNote } from './notify/alert-note.js'
import type { SlackMessage } from './notify/blocks.js'
import { logsInsightsConsoleUrl, workflowRunUrl } from './notify/console-link.js'
import { buildSlackMessage } from './notify/digest-message.js'
import { nodeHttpFetch, nodeHttpFetchWith } from './notify/http-transport.js'
import type { WebhookLedger, WebhookStatus } from './notify/missed-deliveries.js'
import { buildResolvedMessage } from './notify/monitor-notices.js'
import { deliver } from './notify/slack.js'
import { addJobSummary } from './notify/summary.js'
import { deliverWithLedger, deliveryError, deliveryNote } from './notify/webhook-ledger.js'
import { ResultsFile, resultsFilePath, stepOutputs } from './outputs.js'
import type { Report } from './report.js'
import { readSettings, type Settings } from './settings.js'
import {
  type Checkpoint,
  describeFailure,
  parseCheckpoint,
  STATE_VERSION,
  serializeCheckpoint,
} from './state/checkpoint.js'
import { loadState, type StateRead } from './state/load.js'
import { mergeCheckpoints } from './state/merge.js'
import { type NoCheckpointNotice, noCheckpointText } from './state/no-checkpoint.js'
import { openStateStore } from './state/open.js'
import type { StateStore } from './state/store.js'
import * as workflowLog from './workflow-log.js'

/** The side effects a run depends on, passed in so that tests drive time and the network. */
export interface RunDeps {
  now: () => number
  sleep: (ms: number) => Promise<void>
  /** The Slack webhook client's transport. */
  fetch: FetchFunction
  env: Record<string, string | undefined>
  /** Aborted when the job is cancelled: running queries are stopped (StopQuery). */
  signal?: AbortSignal
  /** Agents for the AWS clients behind a proxy (src/net/proxy.ts); absent: the SDK's own. */
  proxyAgents?: ProxyAgentsFactory
}

const realDeps = async (): Promise<RunDeps> => {
  const signal = cancellationSignal()
  // HTTPS_PROXY & co.: the toolkit's calls (OIDC token, Actions cache) honour them by themselves.
  const agents = await proxyAgents({ log: workflowLog.info, setSecret: core.setSecret })
  return {
    now: Date.now,
    sleep: (ms) => sleepUntilCancelled(ms, signal),
    fetch: agents ? nodeHttpFetchWith(agents()) : nodeHttpFetch,
    env: process.env,
    signal,
    ...(agents ? { proxyAgents: agents } : {}),
  }
}

/**
 * A wait whose timer stops holding the process once the job is cancelled: the code that waited has
 * stopped waiting (Slack's retry pause, a query's poll), and a 60 s Retry-After must not keep a
 * cancelled job alive. The timer still fires if the process lives on, so no wait ends early.
 */
function sleepUntilCancelled(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      stopWatching()
      resolve()
    }, ms)
    const stopWatching = onAbort(signal, () => timer.unref())
  })
}

/**
 * One run: settings → credentials → checkpoint and window → query → entries, less those reported
 * before → digest and alert decision → Slack → checkpoint saved → summary, outputs.
 * Any failure fails the step with a message that says what to do; nothing fails quietly.
 */
export async function run(given?: RunDeps): Promise<void> {
  let deps: RunDeps | undefined = given
  let settings: Settings | undefined
  const context: StateContext = {}
  try {
    deps ??= await realDeps()
    settings = readSettings({ getInput: core.getInput, setSecret: core.setSecret, env: deps.env })
    await watch(settings, deps, context)
  } catch (error) {
    const message = errorMessage(error)
    workflowLog.setFailed(message)
    // Not when Slack itself refused the message, nor when the job was cancelled on purpose.
    if (settings && deps && !deps.signal?.aborted && !(error instanceof SlackDeliveryError)) {
      await recordFailure(settings, message, deps, context)
    }
  } finally {
    // A `file:` state's lock, held from load to the last save (the failure record included).
    await context.store?.release?.()
  }
}

async function watch(settings: Settings, deps: RunDeps, context: StateContext): Promise<void> {
  const [credentials, { store, read }] = await workflowLog.group('Credentials and checkpoint', async () => {
    const resolveRunCredentials = () =>
      resolveCredentials(settings, {
        env: deps.env,
        getIDToken: (audience) => core.getIDToken(audience),
        setSecret: core.setSecret,
        log: workflowLog.info,
        now: deps.now,
        ...(deps.proxyAgents ? { proxyAgents: deps.proxyAgents } : {}),
      })
    // Both wait on the network (STS, the Actions cache) and neither needs the other, so they overlap,
    // except when the default chain (which may read files by relative path or run credential_process)
    // would meet the Actions-cache store while it has changed the working directory.
    if (!settings.roleToAssume && settings.state.kind === 'actions-cache') {
      const resolved = await resolveRunCredentials()
      return [resolved, await openAndLoadState(settings, deps, context)] as const
    }
    const [resolved, state] = await Promise.allSettled([
      resolveRunCredentials(),
      openAndLoadState(settings, deps, context),
    ])
    // Settled both ways before either error is thrown, so a failed run finds the state in `context`.
    if (resolved.status === 'rejected') throw resolved.reason
    if (state.status === 'rejected') throw state.reason
    return [resolved.value, state.value] as const
  })
  const loaded = 'error' in read ? undefined : read.state
  // A state with only a failure record: the monitor never completed a run, so there is no checkpoint.
  const previous = loaded && 'checked' in loaded ? loaded : undefined
  const logs = new CloudWatchLogsClient({
    region: settings.region,
    credentials,
    // Behind a proxy, agents of its own (logs.destroy() below ends them); the clock probe's
    // connection, kept alive, is the one StartQuery reuses.
    ...(deps.proxyAgents ? { requestHandler: deps.proxyAgents() } : {}),
  })
  // The window is planned on CloudWatch Logs' clock where the runner's disagrees (see service-clock.ts).
  const clock = new ServiceClock(deps.now)
  clock.watch(logs)
  const probeStarted = deps.now()
  await probeServiceClock(logs, deps.signal)
  const { offsetMs } = clock.settle()
  workflowLog.info(
    `Service clock (read in ${deps.now() - probeStarted} ms): ${offsetMs === undefined ? "no Date header seen; planning on the runner's clock" : `CloudWatch Logs − runner = ${offsetMs} ms`}.`,
  )
  const skew = warnOfSkew(clock)
  // An aggregate query runs over windows that do not overlap: its rows cannot be fingerprinted, so a
  // second look at the same stretch would count it twice (query-rewrite.ts bounds each one exactly).
  // Instead of re-checking `overlap` for late logs, its window ends `overlap` further back, so a log
  // up to query-delay + overlap late is counted, as a record query reports it.
  const shape = analyseQuery(settings.query, settings.queryLanguage)
  const overlapSeconds = shape.records ? settings.overlapSeconds : 0
  const queryDelaySeconds = settings.queryDelaySeconds + (shape.records ? 0 : settings.overlapSeconds)
  const lost = previous ? undefined : lostCheckpoint(read, settings)
  const plan = planWindow(clock.now(), previous?.checked ?? lost?.plan, {
    ...settings,
    overlapSeconds,
    queryDelaySeconds,
  })
  const { window } = plan
  const noCheckpoint = previous ? undefined : announceNoCheckpoint(plan, lost, settings)
  if (plan.gap) {
    workflowLog.warning(
      `Not checked: ${isoSecond(plan.gap.start)} – ${isoSecond(plan.gap.end)}. The previous run ended more than max-catch-up (${formatDuration(settings.maxCatchUpSeconds)}) ago, so this run starts ${formatDuration(settings.maxCatchUpSeconds)} back. Query that stretch by hand if it matters.`,
      { title: 'insights-watch: part of the timeline was skipped' },
    )
  } else if (plan.shortenedRecheck) {
    // Not a gap: the previous run checked this stretch once; only the second look for late logs is lost.
    workflowLog.info(
      `Re-check shortened: ${isoSecond(plan.shortenedRecheck.start)} – ${isoSecond(plan.shortenedRecheck.end)} of the overlap is older than max-catch-up (${formatDuration(settings.maxCatchUpSeconds)}); the previous run checked it once, but it is not checked again for logs that arrived late.`,
    )
  }

  // A checkpoint saved by a record query carries fingerprints; an aggregate run has no use for them.
  const reported = new ReportedEntries(shape.records ? previous?.reported : undefined)
  const digest = new DigestBuilder(settings)
  const aggregate = shape.records ? undefined : new AggregateBuilder(shape, settings.statusField)
  const resultsFile = new ResultsFile(resultsFilePath(deps.env))
  const intake = new RowIntake(
    { reported, digest, resultsFile, ...(aggregate ? { aggregate } : {}) },
    { statusField: settings.statusField, fallbackSecond: window.end },
  )
  let result: BatchedResult
  try {
    result = await workflowLog.group(`Query ${isoSecond(window.start)} – ${isoSecond(window.end)}`, () =>
      runBatchedQuery(
        {
          logGroups: settings.logGroups,
          // Read again from the query run, which may carry @timestamp where the user's did not.
          queryString: queryToRun(settings.query, shape, window),
          queryLanguage: settings.queryLanguage,
          window: queryWindow(shape, window),
          maxRows: settings.maxResults,
        },
        {
          client: logs,
          now: deps.now,
          sleep: deps.sleep,
          log: workflowLog.info,
          timeoutMs: settings.queryTimeoutMs,
          onRows: (rows) => intake.take(rows),
          ...(deps.signal ? { signal: deps.signal } : {}),
        },
      ),
    )
  } finally {
    logs.destroy()
    resultsFile.close()
  }

  // Without a Date before planning, the queries' answers may still show the runner's clock was off.
  const lateSkew = skew ? null : warnOfSkew(clock)

  const found = aggregate ? aggregate.build(result.statistics, !result.truncated) : digest.build()
  const report: Report = {
    monitorName: settings.monitorName,
    window,
    logGroups: settings.logGroups,
    query: settings.query,
    queryLanguage: settings.queryLanguage,
    queries: result.queries,
    statistics: result.statistics,
    digest: found,
    truncated: result.truncated,
    rechecked: aggregate ? 0 : plan.rechecked,
    alreadyReported: aggregate ? 0 : intake.matched - found.total,
    consoleUrl: logsInsightsConsoleUrl({
      region: settings.region,
      logGroups: settings.logGroups,
      query: settings.query,
      window,
      queryLanguage: settings.queryLanguage,
    }),
    maxCatchUpSeconds: settings.maxCatchUpSeconds,
  }
  if (plan.gap) report.gap = plan.gap
  // With a batch of log groups unchecked, the failure notice speaks for the run, not a digest.
  if (noCheckpoint && result.failures.length === 0) report.noCheckpoint = noCheckpoint
  if (plan.shortenedRecheck) report.shortenedRecheck = plan.shortenedRecheck
  if (skew || lateSkew) report.clock = clock.reading()
  if (previous) report.previousCheckpoint = previous.checked
  const runUrl = workflowRunUrl(deps.env)
  if (runUrl) report.runUrl = runUrl
  workflowLog.info(
    `Found ${report.digest.total} new matching entries (${report.digest.critical} 5xx, ${report.digest.warning} 4xx)` +
      (report.alreadyReported > 0 ? `; ${report.alreadyReported} in the overlap were reported before` : '') +
      (report.truncated
        ? `; truncated: ${result.statistics.recordsMatched} matched, ${result.rowsFetched} fetched`
        : ''),
  )

  let decision = decideAlert(
    report.digest,
    previous?.alert,
    Math.floor(clock.now() / 1000),
    window,
    settings,
    plan.gap,
  )
  // With a batch of log groups unchecked, "nothing found" proves nothing: no resolved notice, no
  // clean window towards one, and the alert memory stays as it was until a run sees every group again.
  if (result.failures.length > 0 && decision.kind !== 'alert' && decision.kind !== 'quiet') {
    decision = {
      kind: 'none',
      state: previous?.alert ?? { pending: { total: 0, critical: 0, warning: 0, windows: 0 } },
    }
  }
  const delivery = await workflowLog.group('Slack', () =>
    notify(report, decision, settings, deps, previous?.missedByWebhook),
  )
  // With a batch of log groups unchecked, or a webhook failing, the run still fails: the failing episode goes on.
  const stillFailing = result.failures.length > 0 || delivery.error ? loaded?.failure : undefined
  if (loaded?.failure && !stillFailing && !delivery.error) {
    const { failure } = loaded
    await workflowLog.group('Running again', () => endFailureEpisode(failure, settings, deps))
  }

  // Saved once a webhook has the message (one that failed is remembered in missedByWebhook); when none
  // took it, or the job was cancelled while posting, the next run reports the entries again.
  // When a batch of log groups failed, the checkpoint stays where it was (its entries were not seen),
  // and the fingerprints of what was reported keep the next run from repeating it.
  let stateNote: string
  if (settings.dryRun) stateNote = 'dry-run: the checkpoint was left where it was.'
  else if (delivery.keepCheckpoint)
    stateNote = 'The checkpoint was not moved: the next run checks this window again.'
  else {
    const checked =
      result.failures.length > 0
        ? (previous?.checked ?? (aggregate ? window.start : window.start - 1 + overlapSeconds))
        : nextCheckpoint(previous?.checked, window)
    const checkpoint: Checkpoint = {
      version: STATE_VERSION,
      checked,
      // An aggregate's next window starts at `checked` and is never compared with fingerprints.
      reported: aggregate ? {} : reported.since(checked - overlapSeconds),
      savedAt: new Date(clock.now()).toISOString(),
      alert: decision.state,
    }
    if (stillFailing) checkpoint.failure = stillFailing
    if (delivery.missedByWebhook && Object.keys(delivery.missedByWebhook).length > 0)
      checkpoint.missedByWebhook = delivery.missedByWebhook
    const saved = await saveCheckpoint(store, checkpoint, settings)
    if (saved.ok) context.read = { state: saved.checkpoint }
    stateNote = saved.note
  }

  if (delivery.webhooks) report.webhooks = delivery.webhooks
  addJobSummary(report, core.summary, `${delivery.note} ${stateNote}`)
  await core.summary.write()
  // (An aggregate's total already counts records, fetched or not.)
  const unfetched =
    report.truncated && !aggregate ? Math.max(0, result.statistics.recordsMatched - result.rowsFetched) : 0
  const outputs = stepOutputs(report, resultsFile.path, delivery.notified)
  // Past max-results the count stays exact: the rows not fetched are counted from the statistics.
  outputs['match-count'] = String(report.digest.total + unfetched)
  for (const [name, value] of Object.entries(outputs)) core.setOutput(name, value)

  if (delivery.error) throw new SlackDeliveryError(delivery.error.message)
  if (result.failures.length > 0) {
    const failed = result.failures.map(
      (failure) =>
        `batch ${failure.batch + 1} (${describeGroups(failure.logGroups, 3)}): ${failure.error.message}`,
    )
    throw new Error(
      `${failed.length} of ${Math.ceil(settings.logGroups.length / MAX_LOG_GROUPS_PER_QUERY)} query batches failed; the others were reported. ${failed.join(' ')}`,
    )
  }
  if (settings.failOnMatch && decision.kind === 'alert') {
    workflowLog.setFailed(
      `fail-on-match: ${report.digest.total} matching entries (${report.digest.critical} 5xx) in ${isoSecond(window.start)} – ${isoSecond(window.end)}.`,
    )
  }
}

/** The skew the service's clock shows so far, as a warning; null when the clocks agree. */
function warnOfSkew(clock: ServiceClock): string | null {
  const skew = describeSkew(clock.reading())
  if (skew) workflowLog.warning(skew, { title: "insights-watch: the runner's clock is off" })
  return skew
}

/**
 * The store `state` names and what it holds, kept in `context` for the failure path. A store that
 * could not be read fails the run: taken for "no checkpoint", the run would check only `interval`
 * and save a fresh checkpoint over everything due since the last one. `context.read` then holds the
 * error, so the failure path saves nothing either (a failure record would, in the Actions cache,
 * become the newest entry and hide the real checkpoint from the next run).
 */
async function openAndLoadState(
  settings: Settings,
  deps: RunDeps,
  context: StateContext,
): Promise<{ store: StateStore; read: StateRead }> {
  const store = await openStateStore(settings, deps.env, deps.now, workflowLog.info)
  context.store = store
  workflowLog.info(`Checkpoint: ${store.description}.`)
  const read = await loadState(
    store,
    'This run fails rather than start without it and save a new checkpoint over it; the next run tries again.',
  )
  context.read = read
  if ('error' in read) throw new Error(`${read.error}. Nothing was checked and the state was left as it was.`)
  return { store, read }
}

/**
 * No checkpoint, but signs that the monitor ran before: a lost or unusable state, or only a failure
 * record (its runs never completed). Where it can be told, `neededFrom` is the first second those
 * runs could not have checked: the run saving the lost state started at `savedAt`, so it checked at
 * most up to `savedAt − query-delay`, and the run after it would have re-checked `overlap` before that.
 */
function lostCheckpoint(
  read: StateRead,
  settings: Settings,
): { plan: LostCheckpoint; reason: string } | undefined {
  if (settings.state.kind === 'none' || 'error' in read) return undefined
  if (read.lost) {
    const plan: LostCheckpoint = { lost: true }
    if (read.lost.savedAt !== undefined)
      plan.neededFrom = read.lost.savedAt - settings.queryDelaySeconds - settings.overlapSeconds
    return { plan, reason: read.lost.reason }
  }
  const failure = read.state?.failure
  if (failure) {
    // The first failing run would have checked the interval before `since − query-delay`.
    return {
      plan: { lost: true, neededFrom: failure.since - settings.queryDelaySeconds - settings.intervalSeconds },
      reason: `none of its runs completed a check (${describeFailure(failure)})`,
    }
  }
  return undefined
}

/** "No checkpoint found", as a warning here and in the summary and Slack; not with `state: none`. */
function announceNoCheckpoint(
  plan: WindowPlan,
  lost: { reason: string } | undefined,
  settings: Settings,
): NoCheckpointNotice | undefined {
  if (settings.state.kind === 'none') return undefined
  const notice: NoCheckpointNotice = { before: plan.window.start }
  if (lost) {
    notice.lost = { reason: lost.reason, maxCatchUpSeconds: settings.maxCatchUpSeconds }
    if (plan.uncovered) notice.lost.uncovered = plan.uncovered
  }
  workflowLog.warning(noCheckpointText(notice), { title: 'insights-watch: no checkpoint found' })
  return notice
}

/**
 * Saves the checkpoint; first, where the store has no lock (the Actions cache), merged with one that
 * another run saved meanwhile (two runs at once without a `concurrency` group), so that neither
 * run's fingerprints are lost and the checkpoint never goes back.
 */
async function saveCheckpoint(
  store: StateStore,
  checkpoint: Checkpoint,
  settings: Settings,
): Promise<{ ok: boolean; note: string; checkpoint: Checkpoint }> {
  let toSave = checkpoint
  let merged = ''
  if (store.newerSave) {
    try {
      const newer = await store.newerSave()
      const other = newer ? parseCheckpoint(newer.text).checkpoint : undefined
      if (newer && other && 'checked' in other) {
        toSave = mergeCheckpoints(checkpoint, other, settings.overlapSeconds)
        merged = ` Another run saved a checkpoint (${newer.origin}, checked up to ${isoSecond(other.checked)}) while this one ran: merged with it (reported entries of both, checked up to the later second). Two runs at once report the same entries; give the workflow a \`concurrency\` group.`
        workflowLog.warning(merged.trim(), { title: 'insights-watch: two runs at once' })
      }
    } catch (error) {
      workflowLog.warning(
        `Could not look for a checkpoint saved by another run meanwhile: ${errorMessage(error)}. Saving this run's checkpoint as it is.`,
      )
    }
  }
  try {
    await store.save(serializeCheckpoint(toSave))
    const note = `Checkpoint saved: checked up to ${isoSecond(toSave.checked)}.${merged}`
    workflowLog.info(note)
    return { ok: true, note, checkpoint: toSave }
  } catch (error) {
    const note = `Could not save the checkpoint to ${store.description}: ${errorMessage(error)}. The next run will check this stretch again, so some entries may be reported twice.`
    workflowLog.warning(note)
    return { ok: false, note, checkpoint }
  }
}

/** Slack did not take the message: telling Slack about it would fail the same way. */
class SlackDeliveryError extends Error {
  override name = 'SlackDeliveryError'
}

interface Delivery {
  notified: boolean
  /** What happened, for the job summary. */
  note: string
  error?: Error
  /** No webhook took the run's message, or the job was cancelled: the checkpoint must not move. */
  keepCheckpoint?: boolean
  /** What each failing webhook missed, for the checkpoint. */
  missedByWebhook?: WebhookLedger
  /** Each webhook's outcome, for the job summary. */
  webhooks?: WebhookStatus[]
}

/**
 * One message per webhook for an alert, a resolved episode or a gap in the timeline; nothing for
 * windows below the thresholds or inside the quiet period, which the summary explains instead. A
 * webhook that missed earlier messages gets a catch-up (webhook-ledger.ts), even in a quiet run.
 */
async function notify(
  report: Report,
  decision: AlertDecision,
  settings: Settings,
  deps: RunDeps,
  missedByWebhook: WebhookLedger | undefined,
): Promise<Delivery> {
  const { consoleUrl } = report
  const silent = (note: string): Delivery => {
    workflowLog.info(note)
    return { notified: false, note }
  }
  let message: SlackMessage | undefined
  let what = ''
  let told: Counts = report.digest
  /** Why no alert (or one inside the quiet period): the summary says it, also when a notice is sent instead. */
  const quietNote = alertNote(decision, settings, report.window)
  switch (decision.kind) {
    case 'alert':
      what = 'alert'
      message = buildSlackMessage(report, {
        consoleUrl,
        ...(settings.mention ? { mention: settings.mention } : {}),
        ...(decision.sinceLastAlert ? { sinceLastAlert: decision.sinceLastAlert } : {}),
      })
      if (decision.sinceLastAlert) told = addCounts(told, decision.sinceLastAlert)
      break
    case 'resolved':
      what = 'resolved notice'
      message = buildResolvedMessage(
        report,
        { ...decision, resolveAfterSeconds: settings.resolveAfterSeconds },
        { consoleUrl },
      )
      told = addCounts(told, decision.unreported)
      break
    default: {
      // A gap is news on its own: part of the timeline went unchecked; so is a missing checkpoint.
      if (report.gap || report.noCheckpoint) {
        what = report.gap ? 'gap notice' : 'no-checkpoint notice'
        message = buildSlackMessage(report, { consoleUrl })
      }
    }
  }
  const why = quietNote ? `${quietNote} ` : ''
  const webhooks = settings.slackWebhookUrls.length
  if (webhooks === 0) {
    return silent(
      message ? `${why}No slack-webhook-url is set: the ${what} is in this summary only.` : quietNote,
    )
  }
  const pending = missedByWebhook !== undefined && Object.keys(missedByWebhook).length > 0
  if (!message && (!pending || settings.dryRun)) return silent(quietNote)
  if (message && settings.dryRun) {
    await deliver(message, settings, { fetch: deps.fetch, sleep: deps.sleep, log: workflowLog.info })
    return silent(`${why}dry-run: the ${what} was printed in the log, not sent.`)
  }
  const run = workflowRunUrl(deps.env)
  const sent = await deliverWithLedger(
    message ? { message, what, told, window: report.window } : undefined,
    missedByWebhook,
    { ...settings, reminderSeconds: reminderSeconds(settings) },
    {
      now: Math.floor(deps.now() / 1000),
      ...(run ? { runUrl: run } : {}),
      consoleUrl: (window) =>
        logsInsightsConsoleUrl({
          region: settings.region,
          logGroups: settings.logGroups,
          query: settings.query,
          window,
          queryLanguage: settings.queryLanguage,
        }),
      warn: workflowLog.warning,
    },
    {
      fetch: deps.fetch,
      sleep: deps.sleep,
      log: workflowLog.info,
      ...(deps.signal ? { signal: deps.signal } : {}),
    },
  )
  const delivery: Delivery = {
    notified: sent.delivered > 0,
    note: `${why}${deliveryNote(message ? what : undefined, sent)}`,
    missedByWebhook: sent.ledger,
    webhooks: sent.webhooks,
  }
  if (sent.keepCheckpoint) delivery.keepCheckpoint = true
  if (sent.failures.length > 0) delivery.error = new Error(deliveryError(message ? what : undefined, sent))
  workflowLog.info(delivery.note)
  return delivery
}

/**
 * Aborted on SIGINT or SIGTERM, which the runner sends when the job is cancelled or times out, so that
 * running queries are stopped rather than left to use the account's concurrent-query quota.
 */
function cancellationSignal(): AbortSignal {
  const controller = new AbortController()
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      workflowLog.info(`Received ${signal}: stopping the running queries.`)
      controller.abort(new Error(`The run was cancelled (${signal}); running queries were stopped.`))
    })
  }
  return controller.signal
}
