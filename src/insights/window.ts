/**
 * The stretch of log time one run checks.
 *
 * StartQuery takes whole epoch seconds and documents both ends as inclusive, but not whether the end
 * second is the instant `end.000` or the whole second up to `end.999`. A window is kept in whole
 * seconds, and the next run always checks the previous end second again, so nothing in it is lost
 * under the instant reading; what the whole-second reading reports twice, the fingerprints drop.
 */
export interface Window {
  /** First second checked, epoch seconds, inclusive. */
  start: number
  /** Last second checked, epoch seconds, inclusive. */
  end: number
}

export interface WindowSettings {
  intervalSeconds: number
  queryDelaySeconds: number
  overlapSeconds: number
  maxCatchUpSeconds: number
}

/** What a run checks, and what it cannot check any more. */
export interface WindowPlan {
  window: Window
  /** Seconds of `window` that the previous run checked already (its overlap); 0 on a first run. */
  rechecked: number
  /**
   * What no run has checked and this one cannot, because it is older than max-catch-up: from the
   * checkpoint's own second (under the instant reading of StartQuery's end, the previous run saw only
   * its first instant) to the second before the window. Reported, never silently skipped.
   */
  gap?: Window
  /**
   * The part of the previous run's overlap that this run cannot check again, because it is older than
   * max-catch-up. The previous run checked it once; only logs that arrived there late can be missing,
   * so it is a note, never a gap.
   */
  shortenedRecheck?: Window
  /** True when there was no checkpoint: the window covers `interval`. */
  firstRun: boolean
  /**
   * After a lost checkpoint: the stretch before the window that no run is known to have checked,
   * from `LostCheckpoint.neededFrom` (open-ended, no `start`, when the store cannot tell); absent
   * when the window reaches back far enough.
   */
  uncovered?: { start?: number; end: number }
}

/**
 * No usable checkpoint, though the store shows that earlier runs saved one (a deleted state file, an
 * unusable cache entry): the run reaches back `max-catch-up` rather than `interval`.
 */
export interface LostCheckpoint {
  lost: true
  /**
   * The earliest second no run is known to have checked, when the store can tell (from when the lost
   * state was saved); the window then starts there if that is within max-catch-up.
   */
  neededFrom?: number
}

/**
 * The window for a run: from the checkpoint (the last second the previous run checked), less
 * `overlap`, to `now − query-delay`. Without a checkpoint, the last `interval` up to `now − query-delay`.
 * A run never reaches further back than `max-catch-up` from now: what no run checked before that is a
 * gap; overlap it cannot check again is a shortened re-check.
 */
export function planWindow(
  nowMs: number,
  checkpoint: number | undefined | LostCheckpoint,
  settings: WindowSettings,
): WindowPlan {
  const nowSecond = Math.floor(nowMs / 1000)
  const end = nowSecond - settings.queryDelaySeconds
  if (checkpoint === undefined) {
    return { window: { start: end - settings.intervalSeconds, end }, rechecked: 0, firstRun: true }
  }
  if (typeof checkpoint === 'object') return planAfterLoss(nowSecond, end, checkpoint, settings)
  const earliest = nowSecond - settings.maxCatchUpSeconds
  // The checkpoint's own second is always checked again: under the instant reading of StartQuery's
  // end, entries later within that second were not covered by the previous run.
  let start = checkpoint - settings.overlapSeconds
  const plan: WindowPlan = { window: { start, end }, rechecked: 0, firstRun: false }
  if (start < earliest) {
    // Only what lies after the last second checked is missing; the overlap before it was checked once
    // and merely loses its second look for late logs. Calling that a gap would be false: with overlap
    // close to max-catch-up, every slightly late run would report one.
    if (checkpoint < earliest) plan.gap = { start: checkpoint, end: earliest - 1 }
    const overlapEnd = Math.min(checkpoint - 1, earliest - 1)
    if (overlapEnd >= start) plan.shortenedRecheck = { start, end: overlapEnd }
    start = earliest
  }
  // Only if the clock went backwards is the checkpoint ahead of `end`; check `end` again rather than nothing.
  start = Math.min(start, end)
  plan.window = { start, end }
  plan.rechecked = Math.max(0, Math.min(checkpoint, end) - start + 1)
  return plan
}

/**
 * After a lost checkpoint: back to `max-catch-up` from now (or to `neededFrom`, when the store can
 * tell and it is later: nothing before it is due), never less than `interval`. What lies before
 * that and after `neededFrom` is named, never silently skipped.
 */
function planAfterLoss(
  nowSecond: number,
  end: number,
  lost: LostCheckpoint,
  settings: WindowSettings,
): WindowPlan {
  const earliest = nowSecond - settings.maxCatchUpSeconds
  const start = Math.min(Math.max(earliest, lost.neededFrom ?? earliest), end - settings.intervalSeconds)
  const plan: WindowPlan = { window: { start, end }, rechecked: 0, firstRun: false }
  if (lost.neededFrom === undefined) plan.uncovered = { end: start - 1 }
  else if (lost.neededFrom < start) plan.uncovered = { start: lost.neededFrom, end: start - 1 }
  return plan
}

/** The checkpoint after a run that checked `window`: never moves backwards. */
export function nextCheckpoint(previous: number | undefined, window: Window): number {
  return previous === undefined ? window.end : Math.max(previous, window.end)
}
