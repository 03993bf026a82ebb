import type { Counts } from '../alerting.js'
import { count, formatDuration } from '../format.js'
import type { Report } from '../report.js'
import * as kit from './blocks.js'
import { countsText, footerBlock, gapText, type SlackMessageOptions } from './digest-message.js'
import { escapeSlackPlainText, fitEscaped } from './escape.js'

/**
 * What the monitor says of itself rather than of one window's entries: an alerting episode is over
 * (`resolve-after`), and with `notify-on-error` that the monitor failed, still fails, or runs again.
 */

export interface ResolvedNotice {
  /** Start of the episode's first alerting window. */
  failingSince: number
  /** End of its last alerting window. */
  failingUntil: number
  /** Since when the timeline checked has been below the thresholds (failingUntil, or a gap's end). */
  cleanSince: number
  /** `resolve-after`: how long it had to stay clean; 0 = resolved on the first clean window. */
  resolveAfterSeconds: number
  /** Entries held back by `realert` since the last alert. */
  unreported: Counts & { windows: number }
}

/**
 * The one message when an episode is over: how long it was failing and, with `resolve-after`, for how
 * long it has been clean.
 */
export function buildResolvedMessage(
  report: Report,
  resolved: ResolvedNotice,
  options: SlackMessageOptions = {},
): kit.SlackMessage {
  const failing = formatDuration(Math.max(0, resolved.failingUntil - resolved.failingSince))
  const headline = `${kit.nameText(report.monitorName)}: resolved after ${failing} of errors`
  const clean = formatDuration(Math.max(0, report.window.end - resolved.cleanSince))
  const { unreported } = resolved
  const lines = [
    resolved.resolveAfterSeconds > 0
      ? `*Resolved:* clean for *${clean}*: nothing checked since ${kit.utcSecond(resolved.cleanSince)} met the alert thresholds (\`resolve-after\` is ${formatDuration(resolved.resolveAfterSeconds)}).`
      : `*Resolved:* ${kit.windowText(report)} is below the alert thresholds.`,
    `It was failing for *${failing}* (${kit.windowText({ window: { start: resolved.failingSince, end: resolved.failingUntil } })}).`,
  ]
  if (unreported.total > 0) {
    lines.push(
      `${count(unreported.total)} more ${kit.plural(unreported.total, 'entry', 'entries')} (${count(unreported.critical)} 5xx, ${count(unreported.warning)} 4xx) arrived during the quiet period after the last alert.`,
    )
  }
  if (report.digest.total > 0) {
    lines.push(`This window still had ${countsText(report)}, fewer than the thresholds.`)
  }
  const blocks: kit.SlackBlock[] = [
    kit.header(`✅ ${escapeSlackPlainText(headline)}`),
    kit.section(lines.join('\n')),
  ]
  if (report.gap) blocks.push(kit.section(gapText(report, report.gap)))
  blocks.push(footerBlock(report, options))
  return kit.slackMessage(`✅ ${headline}`, { color: kit.COLORS.resolved, fallback: headline, blocks })
}

export interface FailureNotice {
  monitorName: string
  /** The error that stopped the run (it may quote AWS or Slack, so it is escaped like log text). */
  reason: string
  runUrl?: string
  /** On a reminder: the first failed run of the episode, epoch seconds. */
  failingSince?: number
  /** With `failingSince`: failed runs in the episode, this one included. */
  failedRuns?: number
  /** Why the run remembers no earlier notice, so this one repeats on every failed run. */
  noMemory?: 'state-none' | 'unreadable' | 'unsaved'
}

const NO_MEMORY: Record<NonNullable<FailureNotice['noMemory']>, string> = {
  'state-none': 'No state is kept (state: none)',
  unreadable: 'The state could not be read',
  unsaved: 'The state could not be saved',
}

/** `notify-on-error`: the monitor itself failed, so it is not watching; never silent. */
export function buildFailureMessage(failure: FailureNotice): kit.SlackMessage {
  const { failingSince, failedRuns } = failure
  const reminder = failingSince !== undefined
  const headline = `${kit.nameText(failure.monitorName)}: the monitor ${reminder ? 'is still failing' : 'failed'} and is not checking logs`
  const lines = [`*${headline}.* Until this is fixed, errors in the logs go unreported.`]
  if (reminder) {
    const runs =
      failedRuns !== undefined
        ? `: *${count(failedRuns)}* failed ${kit.plural(failedRuns, 'run', 'runs')} in a row`
        : ''
    lines.push(`⏱️ Failing since *${kit.utcSecond(failingSince)}*${runs}.`)
  }
  if (failure.noMemory)
    lines.push(`_${NO_MEMORY[failure.noMemory]}, so this notice repeats on every failed run._`)
  const blocks: kit.SlackBlock[] = [
    kit.header(
      `🛑 ${fitEscaped(failure.monitorName, kit.MAX_HEADER_TEXT - 20, escapeSlackPlainText)} is broken`,
    ),
    kit.section(lines.join('\n')),
    kit.section(kit.codeBlock(failure.reason, kit.MAX_SECTION_TEXT - 100)),
  ]
  const run = failure.runUrl !== undefined ? kit.slackLink(failure.runUrl, 'View the failed run') : undefined
  if (run) blocks.push(kit.context([run]))
  return kit.slackMessage(`🛑 ${headline}`, { color: kit.COLORS.critical, fallback: headline, blocks })
}

export interface RecoveredNotice {
  monitorName: string
  /** The first failed run of the episode, epoch seconds. */
  failingSince: number
  /** The run that worked again, epoch seconds. */
  recoveredAt: number
  /** Failed runs in the episode. */
  failedRuns: number
  runUrl?: string
}

/** `notify-on-error`: the monitor that was reported broken runs again; one short message. */
export function buildRecoveredMessage(recovered: RecoveredNotice): kit.SlackMessage {
  const failing = formatDuration(Math.max(0, recovered.recoveredAt - recovered.failingSince))
  const headline = `${kit.nameText(recovered.monitorName)}: the monitor is running again after failing for ${failing}`
  const blocks: kit.SlackBlock[] = [
    kit.header(
      `✅ ${fitEscaped(recovered.monitorName, kit.MAX_HEADER_TEXT - 30, escapeSlackPlainText)} is running again`,
    ),
    kit.section(
      `*${headline}.* It failed ${count(recovered.failedRuns)} ${kit.plural(recovered.failedRuns, 'run', 'runs')} in a row, from ${kit.utcSecond(recovered.failingSince)}.`,
    ),
  ]
  const run = recovered.runUrl !== undefined ? kit.slackLink(recovered.runUrl, 'View this run') : undefined
  if (run) blocks.push(kit.context([run]))
  return kit.slackMessage(`✅ ${headline}`, { color: kit.COLORS.resolved, fallback: headline, blocks })
}
