/**
 * The stretch of log time one run checks.
 *
 * StartQuery takes whole epoch seconds and documents both ends as inclusive, so a window is kept in
 * whole seconds and both `start` and `end` are passed to the service as they are.
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
}

/**
 * The window for a run with no checkpoint: `[now − query-delay − interval, now − query-delay]`.
 * The end stays `query-delay` behind the clock because logs reach Insights seconds to minutes late.
 */
export function currentWindow(nowMs: number, settings: WindowSettings): Window {
  const end = Math.floor(nowMs / 1000) - settings.queryDelaySeconds
  return { start: end - settings.intervalSeconds, end }
}

/** ISO 8601 (UTC) of an epoch second, as the outputs and messages show it. */
export function isoSecond(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().replace('.000Z', 'Z')
}
