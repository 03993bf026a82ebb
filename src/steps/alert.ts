/** Step 6: whether this run alerts, stays quiet, or resolves an episode; and the alert memory after it. */
import { type AlertDecision, decideAlert } from '../alerting.js'
import type { Report } from '../report.js'
import type { Settings } from '../settings.js'
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
  const decision = decideAlert(
    report.digest,
    previous,
    Math.floor(nowMs / 1000),
    plan.window,
    settings,
    plan.gap,
  )
  // With a batch of log groups unchecked, "nothing found" proves nothing: no resolved notice, no
  // clean window towards one, and the alert memory stays as it was until a run sees every group again.
  if (outcome.complete || decision.kind === 'alert' || decision.kind === 'quiet') return decision
  return { kind: 'none', state: previous ?? { pending: { total: 0, critical: 0, warning: 0, windows: 0 } } }
}
