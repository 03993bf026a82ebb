/**
 * Step 3: the window this run checks, from the checkpoint (or its absence) on the service's clock,
 * and what the query's shape changes about it. Gaps and lost checkpoints are said here, as warnings.
 */
import { formatDuration, isoSecond } from '../format.js'
import { analyseQuery, type QueryShape } from '../insights/query-shape.js'
import { type LostCheckpoint, planWindow, type WindowPlan } from '../insights/window.js'
import type { Runner } from '../runner.js'
import type { Settings } from '../settings.js'
import { type Checkpoint, describeFailure, type SavedState } from '../state/checkpoint.js'
import type { StateRead } from '../state/load.js'
import { type NoCheckpointNotice, noCheckpointText } from '../state/no-checkpoint.js'

export interface RunPlan extends WindowPlan {
  shape: QueryShape
  /** The state the store held (a checkpoint, or a failure record only), if any. */
  loaded: SavedState | undefined
  /** The previous run's checkpoint; undefined when the monitor never completed a run (or lost it). */
  previous: Checkpoint | undefined
  /** The overlap this run re-checks: 0 for an aggregate query, whose windows never overlap. */
  overlapSeconds: number
  /** "No checkpoint found", for the summary and Slack; not with `state: none`. */
  noCheckpoint: NoCheckpointNotice | undefined
}

export function planRun(
  settings: Settings,
  read: StateRead,
  nowMs: number,
  runner: Pick<Runner, 'info' | 'warning'>,
): RunPlan {
  const loaded = 'error' in read ? undefined : read.state
  // A state with only a failure record: the monitor never completed a run, so there is no checkpoint.
  const previous = loaded && 'checked' in loaded ? loaded : undefined
  // An aggregate query runs over windows that do not overlap: its rows cannot be fingerprinted, so a
  // second look at the same stretch would count it twice (query-rewrite.ts bounds each one exactly).
  // Instead of re-checking `overlap` for late logs, its window ends `overlap` further back, so a log
  // up to query-delay + overlap late is counted, as a record query reports it.
  const shape = analyseQuery(settings.query, settings.queryLanguage)
  const overlapSeconds = shape.records ? settings.overlapSeconds : 0
  const queryDelaySeconds = settings.queryDelaySeconds + (shape.records ? 0 : settings.overlapSeconds)
  const lost = previous ? undefined : lostCheckpoint(read, settings)
  const plan = planWindow(nowMs, previous?.checked ?? lost?.plan, {
    ...settings,
    overlapSeconds,
    queryDelaySeconds,
  })
  const noCheckpoint = previous ? undefined : announceNoCheckpoint(plan, lost, settings, runner)
  warnOfSkippedTime(plan, settings, runner)
  return { ...plan, shape, loaded, previous, overlapSeconds, noCheckpoint }
}

function warnOfSkippedTime(
  plan: WindowPlan,
  settings: Settings,
  runner: Pick<Runner, 'info' | 'warning'>,
): void {
  if (plan.gap) {
    runner.warning(
      `Not checked: ${isoSecond(plan.gap.start)} – ${isoSecond(plan.gap.end)}. The previous run ended more than max-catch-up (${formatDuration(settings.maxCatchUpSeconds)}) ago, so this run starts ${formatDuration(settings.maxCatchUpSeconds)} back. Query that stretch by hand if it matters.`,
      { title: 'insights-watch: part of the timeline was skipped' },
    )
  } else if (plan.shortenedRecheck) {
    // Not a gap: the previous run checked this stretch once; only the second look for late logs is lost.
    runner.info(
      `Re-check shortened: ${isoSecond(plan.shortenedRecheck.start)} – ${isoSecond(plan.shortenedRecheck.end)} of the overlap is older than max-catch-up (${formatDuration(settings.maxCatchUpSeconds)}); the previous run checked it once, but it is not checked again for logs that arrived late.`,
    )
  }
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
  runner: Pick<Runner, 'warning'>,
): NoCheckpointNotice | undefined {
  if (settings.state.kind === 'none') return undefined
  const notice: NoCheckpointNotice = { before: plan.window.start }
  if (lost) {
    notice.lost = { reason: lost.reason, maxCatchUpSeconds: settings.maxCatchUpSeconds }
    if (plan.uncovered) notice.lost.uncovered = plan.uncovered
  }
  runner.warning(noCheckpointText(notice), { title: 'insights-watch: no checkpoint found' })
  return notice
}
