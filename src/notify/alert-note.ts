import type { AlertDecision, Episode } from '../alerting.js'
import { count, formatDuration, isoSecond } from '../format.js'
import type { Window } from '../insights/window.js'
import type { Settings } from '../settings.js'
import type { WindowSignature } from '../signatures.js'

/**
 * Why this run posted no alert (or posted one inside the quiet period), for the job summary: the
 * person reviewing a silent run reads here which threshold was not met, when the quiet period ends,
 * or how long the episode has been clearing. Empty when the Slack message says it all.
 */
export function alertNote(
  decision: AlertDecision,
  settings: Pick<Settings, 'realertSeconds' | 'resolveAfterSeconds' | 'signatures'>,
  window: Window,
): string {
  const realert = formatDuration(settings.realertSeconds)
  switch (decision.kind) {
    case 'alert':
      if (decision.newSignatures) return newSignatureNote(decision.newSignatures, settings)
      return decision.escalated
        ? `5xx in an episode that had alerted for 4xx only: alerted at once, inside the quiet period (the last alert was at ${isoSecond(decision.escalated.lastAlertAt)}, realert is ${realert}).`
        : ''
    case 'resolved':
      return ''
    case 'quiet':
      return `Quiet period: the last alert was at ${isoSecond(decision.lastAlertAt)} and realert is ${realert}; these entries are told with the next alert (after ${isoSecond(decision.quietUntil)}) or the resolved notice.`
    case 'clearing': {
      const below = decision.unmet ? `Below the thresholds (${decision.unmet}). ` : ''
      return `${below}Clearing: clean since ${isoSecond(decision.cleanSince)} (${formatDuration(Math.max(0, window.end - decision.cleanSince))} so far); resolved after ${isoSecond(decision.resolveAt)} if it stays clean (resolve-after ${formatDuration(settings.resolveAfterSeconds)}). The episode began at ${isoSecond(decision.failingSince)}; nothing is posted while it clears.`
    }
    case 'below-threshold':
      return `Below the thresholds (${decision.unmet}): no alert.${closedNote(decision.closed, settings, window)}`
    case 'none':
      return `No new matching entries: nothing to send.${closedNote(decision.closed, settings, window)}`
  }
}

/** `notify-resolved: false`: the episode ended here without a message. */
function closedNote(
  closed: Episode | undefined,
  settings: Pick<Settings, 'resolveAfterSeconds'>,
  window: Window,
): string {
  if (!closed) return ''
  return ` The episode of ${isoSecond(closed.failingSince)} – ${isoSecond(closed.failingUntil)} is resolved: clean for ${formatDuration(Math.max(0, window.end - closed.cleanSince))} (resolve-after ${formatDuration(settings.resolveAfterSeconds)}); notify-resolved is false, so nothing is posted.`
}

/** Signatures named in the note; the summary's table lists them all. */
const NAMED_SIGNATURES = 3

/** Why a window below the other rules alerted: a new signature met `new-signature-threshold`. */
function newSignatureNote(
  alerted: { signatures: readonly WindowSignature[]; otherwise: string },
  settings: Pick<Settings, 'signatures'>,
): string {
  const { signatures } = alerted
  const named = signatures
    .slice(0, NAMED_SIGNATURES)
    .map((item) => `"${item.signature}" (${count(item.count)})`)
  const rest = signatures.length - named.length
  const more = rest > 0 ? ` and ${count(rest)} more` : ''
  const threshold = settings.signatures?.threshold ?? 1
  return `Alerted for ${signatures.length === 1 ? 'a new error signature' : 'new error signatures'} with at least ${count(threshold)} entries (new-signature-threshold): ${named.join(', ')}${more}; the other rules would not have posted: ${alerted.otherwise}.`
}
