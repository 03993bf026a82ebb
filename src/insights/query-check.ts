/**
 * Query checks made in settings, before any network call: a query the action cannot report exactly
 * is refused with the fix, never run into silent loss.
 */
import { SettingsError } from '../errors.js'
import { analyseQuery, maskLiterals } from './query-shape.js'
import type { QueryLanguage } from './types.js'

/** "you can specify up to 50 log groups in the logGroupIdentifier parameter" (CWL_AnalyzeLogData_SQL). */
const MAX_SQL_LOG_GROUPS = 50

export function checkQuery(query: string, language: QueryLanguage, logGroups: readonly string[]): void {
  if (language === 'SQL') checkSqlLogGroups(query, logGroups)
  const shape = analyseQuery(query, language)
  // Logs Insights QL queries are given @timestamp by query-rewrite.ts; SQL and PPL are not rewritten.
  if (language !== 'CWLI' && shape.records && !shape.returnsTimestamp) {
    throw new SettingsError(
      'query',
      language === 'SQL'
        ? 'this OpenSearch SQL query returns log records without `@timestamp`, which the action needs to join windows and leave out what an earlier run reported: add `@timestamp` to the SELECT list (SELECT `@timestamp`, status, … FROM …), or aggregate (GROUP BY).'
        : 'this OpenSearch PPL query returns log records without `@timestamp`, which the action needs to join windows and leave out what an earlier run reported: add `@timestamp` to its fields command (| fields `@timestamp`, status, …), or aggregate (| stats …).',
    )
  }
}

/**
 * OpenSearch SQL names its log groups in the query: "The exception is queries using the OpenSearch
 * Service SQL query language, where you specify the log group names inside the querystring instead
 * of here" (StartQuery, logGroupNames). The FROM must name exactly log-group-names, so the summary,
 * the console link and the query agree on what was checked.
 */
function checkSqlLogGroups(query: string, logGroups: readonly string[]): void {
  const named = sqlLogGroups(query)
  const expected = `FROM \`${logGroups[0]}\`${logGroups.length > 1 ? ` or FROM \`logGroups(logGroupIdentifier: [${logGroups.map((group) => `'${group}'`).join(', ')}])\`` : ''}`
  if (named.length === 0) {
    throw new SettingsError(
      'query',
      `an OpenSearch SQL query names its log groups in its FROM clause (StartQuery takes none for SQL); write ${expected}.`,
    )
  }
  if (logGroups.length > MAX_SQL_LOG_GROUPS) {
    throw new SettingsError(
      'log-group-names',
      `${logGroups.length} log groups: an OpenSearch SQL query names at most ${MAX_SQL_LOG_GROUPS} in its FROM clause, and the action does not split one SQL query into several; use a monitor per ${MAX_SQL_LOG_GROUPS} groups, or Logs Insights QL.`,
    )
  }
  const given = new Set(logGroups)
  const inQuery = new Set(named)
  const missing = logGroups.filter((group) => !inQuery.has(group))
  const extra = named.filter((group) => !given.has(group))
  if (missing.length > 0 || extra.length > 0) {
    const parts = [
      missing.length > 0
        ? `log-group-names has ${missing.join(', ')} that the query's FROM does not name`
        : '',
      extra.length > 0 ? `the query's FROM names ${extra.join(', ')} that log-group-names does not have` : '',
    ].filter((part) => part !== '')
    throw new SettingsError(
      'query',
      `its FROM clause and log-group-names must name the same log groups: ${parts.join('; ')}. Write ${expected}, or change log-group-names.`,
    )
  }
}

/** The log groups a SQL query's FROM and JOIN clauses name: `` `name` `` or `` `logGroups(logGroupIdentifier: [...])` ``. */
export function sqlLogGroups(query: string): string[] {
  const text = maskLiterals(query, 'SQL', { keepNames: true })
  const groups: string[] = []
  for (const match of text.matchAll(/\b(?:from|join)\s+`([^`]*)`/gi)) {
    const name = match[1] as string
    const list = /^\s*logGroups\s*\(\s*logGroupIdentifier\s*:\s*\[([^\]]*)\]\s*\)\s*$/i.exec(name)
    if (list) {
      for (const item of (list[1] as string).matchAll(/'([^']*)'|"([^"]*)"/g))
        groups.push(item[1] ?? item[2] ?? '')
    } else groups.push(name)
  }
  return [...new Set(groups)]
}
