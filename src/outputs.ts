import { once } from 'node:events'
import { createWriteStream } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Entry } from './entries.js'
import { isoSecond } from './insights/window.js'
import type { Report } from './report.js'

/** The step outputs, by their names in action.yml. */
export interface StepOutputs {
  'match-count': string
  'critical-count': string
  'window-start': string
  'window-end': string
  'query-ids': string
  notified: string
  truncated: string
  'results-file': string
}

export function stepOutputs(report: Report, resultsFile: string, notified: boolean): StepOutputs {
  return {
    'match-count': String(report.digest.total),
    'critical-count': String(report.digest.critical),
    'window-start': isoSecond(report.window.start),
    'window-end': isoSecond(report.window.end),
    'query-ids': report.queries.map((query) => query.queryId).join(','),
    notified: String(notified),
    truncated: String(report.truncated),
    'results-file': resultsFile,
  }
}

/** Where the results file goes: under RUNNER_TEMP, which the runner empties after the job. */
export function resultsFilePath(env: Record<string, string | undefined>): string {
  const attempt = env.GITHUB_RUN_ATTEMPT ? `-${env.GITHUB_RUN_ATTEMPT}` : ''
  const name = `insights-watch-${env.GITHUB_RUN_ID ?? process.pid}${attempt}-${env.GITHUB_ACTION ?? 'results'}.jsonl`
  return join(env.RUNNER_TEMP || tmpdir(), name)
}

/**
 * Writes one JSON line per matched entry: the fields the query returned as they came, with the
 * severity and status we read from them. Streamed, so a large result is never one string in memory.
 */
export async function writeResultsFile(path: string, entries: Iterable<Entry>): Promise<void> {
  const file = createWriteStream(path, { encoding: 'utf8' })
  const failed = once(file, 'error').then(([error]) => Promise.reject(error))
  failed.catch(() => {}) // observed through the races below; this only keeps it from going unhandled
  for (const entry of entries) {
    const line = `${JSON.stringify({ severity: entry.severity, status: entry.status ?? null, fields: entry.fields })}\n`
    if (!file.write(line)) await Promise.race([once(file, 'drain'), failed])
  }
  file.end()
  await Promise.race([once(file, 'finish'), failed])
}
