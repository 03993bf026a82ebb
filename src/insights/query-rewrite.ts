/**
 * The query string a run sends: the user's query, changed only where the run needs something the
 * query does not give it, and never in what it matches.
 *
 * - An aggregate Logs Insights QL query is bounded by `@timestamp` itself: a first command
 *   `filter toMillis(@timestamp) >= A and toMillis(@timestamp) < B` (after any SOURCE command).
 *   StartQuery's whole-second range is inclusive at both ends and does not say whether the end
 *   second is the instant `end.000` or the whole second (window.ts); a range [a, b] then covers
 *   [a.000, b.000) under both readings, and the filter cuts exactly that, so consecutive windows
 *   [a, b), [b, c) count every record once. `toMillis` is documented for exactly this use
 *   (CWL_QuerySyntax-operations-functions: "Converts the timestamp found in the named field into a
 *   number representing the milliseconds since the Unix epoch", example
 *   `filter toMillis(@timestamp) >= (now() * 1000 - 7200000)`; "CloudWatch Logs Insights doesn't
 *   support filtering logs with human readable timestamps").
 * - A record query whose rows would not carry `@timestamp` gets it: added to its last `display`
 *   (which picks the columns), or else as a first `fields @timestamp` (which adds a column and
 *   filters nothing). Windows, splits and fingerprints are by `@timestamp`.
 */
import type { QueryShape } from './query-shape.js'
import { listItems, splitCommands } from './query-shape.js'
import type { Window } from './window.js'

/** What the run sends for `queryString` over `window`, given its shape. */
export function queryToRun(queryString: string, shape: QueryShape, window: Window): string {
  if (shape.language !== 'CWLI') return queryString
  if (!shape.records) return boundByTimestamp(queryString, window)
  if (!shape.returnsTimestamp) return withTimestamp(queryString)
  return queryString
}

/**
 * The StartQuery range for `window`. An aggregate window is [start.000, end.000). Logs Insights QL
 * cuts it exactly with the filter above, so [start, end] only has to cover it. SQL and PPL have no
 * documented way to compare `@timestamp` with a number, so they are not rewritten: their range is
 * [start, end − 1], every whole second in exactly one window as StartQuery documents both ends
 * inclusive. Should the service read the end second as the instant `end.000`, the records after
 * (end − 1).000 in that second are not counted; the summary says so. Empty when end = start.
 */
export function queryWindow(shape: QueryShape, window: Window): Window {
  if (shape.records || shape.language === 'CWLI') return window
  return { start: window.start, end: window.end - 1 }
}

/** `filter toMillis(@timestamp) >= start·1000 and toMillis(@timestamp) < end·1000` first. */
export function boundByTimestamp(queryString: string, window: Window): string {
  const bound = `filter toMillis(@timestamp) >= ${window.start * 1000} and toMillis(@timestamp) < ${window.end * 1000}`
  return insertFirst(queryString, bound)
}

/** The query with `@timestamp` among the columns it returns. */
export function withTimestamp(queryString: string): string {
  return withField(queryString, '@timestamp')
}

/** The query (Logs Insights QL) with `field` among the columns it returns; what it matches is unchanged. */
export function withField(queryString: string, field: string): string {
  const commands = splitCommands(queryString, 'CWLI')
  const display = commands.filter((command) => command.name === 'display').at(-1)
  if (display) {
    // After the last item (before any trailing comment, which the masked text has blanked).
    const items = listItems(queryString, display, 'display')
    if (items.length === 0) return queryString
    return `${queryString.slice(0, display.end)}, ${field}${queryString.slice(display.end)}`
  }
  return insertFirst(queryString, `fields ${field}`)
}

/** `command | query`, after a leading SOURCE command (which must come first, CWL_QuerySyntax-Source). */
function insertFirst(queryString: string, command: string): string {
  const commands = splitCommands(queryString, 'CWLI')
  const first = commands[0]
  if (!first) return command
  const at = first.name === 'source' ? commands[1] : first
  if (!at) return `${queryString} | ${command}`
  // On its own line: a `#` comment on the line before cannot swallow it.
  return `${queryString.slice(0, at.start)}${command}\n| ${queryString.slice(at.start)}`
}
