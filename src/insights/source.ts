/**
 * Log groups chosen by name prefix: Logs Insights' `SOURCE logGroups(namePrefix: […],
 * accountIdentifiers: […])` command (CWL_QuerySyntax-Source), at the start of one query that StartQuery
 * gets without any log group parameter ("exactly one of logGroupName, logGroupNames,
 * logGroupIdentifiers, or a SOURCE command in the query string"). Logs Insights QL only.
 */

import { splitCommands } from './query-shape.js'
import type { LogGroupSource } from './types.js'

/** `SOURCE logGroups(namePrefix: ['a', 'b'], accountIdentifiers: ['111122223333'])`. */
export function sourceCommand(source: LogGroupSource): string {
  const list = (items: readonly string[]) => `[${items.map(quote).join(', ')}]`
  const accounts = source.accounts.length > 0 ? `, accountIdentifiers: ${list(source.accounts)}` : ''
  return `SOURCE logGroups(namePrefix: ${list(source.prefixes)}${accounts})`
}

/** The query as it runs over `source`: SOURCE first ("SOURCE must be the first command"), then the query. */
export function withSource(queryString: string, source: LogGroupSource): string {
  // On its own line: the query's first line may end in a `#` comment, which must not swallow the pipe.
  return `${sourceCommand(source)}\n| ${queryString}`
}

/**
 * Single-quoted, `\` and `'` escaped. Settings only let `[.\-_/#A-Za-z0-9]` through, so this never
 * escapes anything today; it is here so no later input can end the string early.
 */
function quote(text: string): string {
  return `'${text.replace(/[\\']/g, (c) => `\\${c}`)}'`
}

/**
 * How the groups a source selects are shown wherever log groups are listed (summary, Slack, errors,
 * cost table): one line per prefix, `/aws/apigateway/* (prefix, accounts 111122223333, 222233334444)`.
 */
export function sourceLabels(source: LogGroupSource): string[] {
  const accounts =
    source.accounts.length > 0
      ? `${source.accounts.length === 1 ? 'account' : 'accounts'} ${source.accounts.join(', ')}`
      : 'every linked account'
  return source.prefixes.map((prefix) => `${prefix}* (prefix, ${accounts})`)
}

/** The log groups one query covers, as shown: its named groups, or its source's labels. */
export function shownGroups(query: { logGroups: readonly string[]; source?: LogGroupSource }): string[] {
  return query.source ? sourceLabels(query.source) : [...query.logGroups]
}

/** True when a Logs Insights QL query starts with its own SOURCE command. */
export function hasSourceCommand(queryString: string): boolean {
  return splitCommands(queryString, 'CWLI')[0]?.name === 'source'
}

/** True when a Logs Insights QL query uses `filterIndex`, which skips log groups without that field index. */
export function usesFilterIndex(queryString: string): boolean {
  return splitCommands(queryString, 'CWLI').some((command) => command.name === 'filterindex')
}

/** True when the log group (a name, or an ARN) is one `source` already selects. */
export function sourceSelects(source: LogGroupSource, group: string): boolean {
  const arn = /^arn:[^:]+:logs:[^:]*:(\d{12}):log-group:(.+)$/.exec(group)
  const name = arn ? (arn[2] as string) : group
  // A name alone is in the caller's account, whose id settings cannot know: it may be one of them.
  const inAccounts = !arn || source.accounts.length === 0 || source.accounts.includes(arn[1] as string)
  return inAccounts && source.prefixes.some((prefix) => name.startsWith(prefix))
}
