/** Step 6: whether this run alerts, stays quiet, or resolves an episode; and the alert memory after it. */
import { type AlertDecision, alertOnNewSignatures, decideAlert } from '../alerting.js'
import { rateVerdict } from '../rates.js'
import type { Report } from '../report.js'
import type { Settings } from '../settings.js'
import { alertingSignatures } from '../signatures.js'
import type { RunPlan } from './plan.js'
import type { QueryOutcome } from './query.js'

export function decideRunAlert(
  report: Report,
  plan: RunPlan,
  outcome: Pick<QueryOutcome, 'complete'>,
  nowMs: number,
  settings: Settings,
): AlertDecision {
  const previous = plan.previous?.alert
  const counts = report.rates ? { ...report.digest, rates: rateVerdict(report.rates) } : report.digest
  const thresholds = decideAlert(counts, previous, Math.floor(nowMs / 1000), plan.window, settings, plan.gap)
  // Without new-signatures (or on an aggregate query) report.signatures is absent: nothing changes.
  const decision = settings.signatures
    ? alertOnNewSignatures(
        thresholds,
        alertingSignatures(report.signatures, settings.signatures.threshold),
        previous,
        settings.realertSeconds,
      )
    : thresholds
  // With a batch of log groups unchecked, "nothing found" proves nothing: no resolved notice, no
  // clean window towards one, and the alert memory stays as it was until a run sees every group again.
  if (outcome.complete || decision.kind === 'alert' || decision.kind === 'quiet') return decision
  return { kind: 'none', state: previous ?? { pending: { total: 0, critical: 0, warning: 0, windows: 0 } } }
}
