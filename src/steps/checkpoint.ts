/**
 * Step 8: the checkpoint, saved once Slack has the message (see docs/architecture.md for why after),
 * with the alert memory, the fingerprints of what was reported, and what each webhook missed.
 */
import type { AlertDecision } from '../alerting.js'
import { ReportedEntries } from '../dedup.js'
import { nextCheckpoint } from '../insights/window.js'
import { rememberSignatures, type SeenSignatures } from '../signatures.js'
import { type Checkpoint, type FailureRecord, STATE_VERSION } from '../state/checkpoint.js'
import type { StateSession } from '../state/session.js'
import type { IncidentOutcome } from './incident.js'
import type { Delivery } from './notify.js'
import type { RunPlan } from './plan.js'
import type { QueryOutcome } from './query.js'

/** The run's failing episode, still going on: a batch of log groups unchecked, or a webhook failing. */
export function ongoingFailure(
  plan: Pick<RunPlan, 'loaded'>,
  outcome: Pick<QueryOutcome, 'complete'>,
  delivery: Pick<Delivery, 'error'>,
): FailureRecord | undefined {
  return !outcome.complete || delivery.error ? plan.loaded?.failure : undefined
}

/**
 * Saved once a webhook has the message (one that failed is remembered in missedByWebhook); when none
 * took it, or the job was cancelled while posting, the next run reports the entries again. Answers
 * what happened, for the job summary.
 */
export async function saveCheckpointAfterRun(
  run: {
    plan: RunPlan
    outcome: QueryOutcome
    decision: AlertDecision
    delivery: Delivery
    incident: IncidentOutcome | undefined
  },
  options: {
    dryRun: boolean
    nowMs: number
    /** `signature-memory` while new-signatures is on. */
    signatureMemorySeconds?: number | undefined
  },
  session: StateSession,
): Promise<string> {
  if (options.dryRun) return 'dry-run: the checkpoint was left where it was.'
  if (run.delivery.keepCheckpoint)
    return 'The checkpoint was not moved: the next run checks this window again.'
  const saved = await session.saveCheckpoint(checkpointAfterRun(run, options))
  return saved.note
}

/** The checkpoint a run leaves (pure): also what the backtest carries from one replayed run to the next. */
export function checkpointAfterRun(
  { plan, outcome, decision, delivery, incident }: Parameters<typeof saveCheckpointAfterRun>[0],
  { nowMs, signatureMemorySeconds }: Parameters<typeof saveCheckpointAfterRun>[1],
): Checkpoint {
  const { window, previous, overlapSeconds, shape } = plan
  // When a batch of log groups failed, the checkpoint stays where it was (its entries were not seen),
  // and the fingerprints of what was reported keep the next run from repeating it.
  const checked = outcome.complete
    ? nextCheckpoint(previous?.checked, window)
    : (previous?.checked ?? (shape.records ? window.start - 1 + overlapSeconds : window.start))
  const checkpoint: Checkpoint = {
    version: STATE_VERSION,
    checked,
    // An aggregate's next window starts at `checked` and is never compared with fingerprints.
    reported: shape.records ? reportedAfterRun(plan, outcome, decision).since(checked - overlapSeconds) : {},
    savedAt: new Date(nowMs).toISOString(),
    alert: decision.state,
  }
  const failure = ongoingFailure(plan, outcome, delivery)
  if (failure) checkpoint.failure = failure
  if (delivery.missedByWebhook && Object.keys(delivery.missedByWebhook).length > 0)
    checkpoint.missedByWebhook = delivery.missedByWebhook
  // Kept only while bot-token mode or github-issue is on (tellIncident answers undefined otherwise).
  if (incident?.incident) checkpoint.incident = incident.incident
  const signatures = seenAfterRun(plan, outcome, signatureMemorySeconds)
  if (signatures) checkpoint.signatures = signatures
  return checkpoint
}

/**
 * The fingerprints the next run leaves out. An incomplete run whose decision was withheld (nothing
 * posted, nothing held for the next alert: steps/alert.ts) told no one of what it found, so its new
 * entries stay unreported: the next run checks the window again and judges them with the rest.
 */
function reportedAfterRun(plan: RunPlan, outcome: QueryOutcome, decision: AlertDecision): ReportedEntries {
  const told = outcome.complete || decision.kind === 'alert' || decision.kind === 'quiet'
  return told ? outcome.reported : new ReportedEntries(plan.previous?.reported)
}

/**
 * The seen set after the run: every signature of this window at its last-seen time, also when a batch
 * of log groups failed (what the run saw must not be forgotten, or it would be called new again). An
 * aggregate run has none and keeps the set as it was; with new-signatures off it is dropped.
 */
function seenAfterRun(
  plan: RunPlan,
  outcome: QueryOutcome,
  memorySeconds: number | undefined,
): SeenSignatures | undefined {
  if (memorySeconds === undefined) return undefined
  const previous = plan.previous?.signatures
  if (!outcome.signatures) return previous
  return rememberSignatures(previous, outcome.signatures.found, plan.window.end, memorySeconds)
}
