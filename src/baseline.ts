/**
 * The baseline (`baseline`): for an alerting window, the same window a while earlier (a week by
 * default), so the reader sees "3× last week" at a glance instead of guessing whether 30 5xx is a lot
 * for this API at this hour. One aggregate query counts that window's requests by status; its 5xx and
 * 4xx are read from `status-field` as an aggregate query's are (aggregate.ts).
 */
import type { Window } from './insights/window.js'
import { fieldName } from './rates.js'

/** The query over the earlier window; the caller bounds it by `@timestamp` (query-rewrite.ts). */
export function baselineQuery(statusField: string): string {
  return `stats count(*) as requests by ${fieldName(statusField)}`
}

/** The same window `offsetSeconds` earlier. */
export function baselineWindow(window: Window, offsetSeconds: number): Window {
  return { start: window.start - offsetSeconds, end: window.end - offsetSeconds }
}

/** How `now` compares with `then`: `3×`, `0.5×`; undefined when there was nothing then. */
export function timesThen(now: number, then: number): string | undefined {
  if (then === 0) return undefined
  const ratio = now / then
  const rounded = ratio >= 10 ? Math.round(ratio) : Math.round(ratio * 10) / 10
  return `${rounded}×`
}

/** `last week`, `yesterday`, or `6h earlier`: what the reader calls the baseline's window. */
export function baselineName(offsetSeconds: number): string {
  if (offsetSeconds === 7 * 86_400) return 'last week'
  if (offsetSeconds === 86_400) return 'yesterday'
  return offsetSeconds % 86_400 === 0
    ? `${offsetSeconds / 86_400}d earlier`
    : `${Math.round(offsetSeconds / 3600)}h earlier`
}
