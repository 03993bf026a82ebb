import { closeSync, openSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Entry } from './entries.js'
import { isoSecond } from './format.js'
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
  'incident-id': string
  'incident-state': string
  'slack-ts': string
  'issue-number': string
  'results-file': string
}

/** What the run did to the incident (bot-token mode), for the outputs. */
export interface IncidentOutputs {
  id?: string
  state: 'opened' | 'updated' | 'resolved' | 'none'
  /** The card's ts in the first channel. */
  slackTs?: string
  issueNumber?: number
}

export function stepOutputs(
  report: Report,
  run: { resultsFile: string; notified: boolean; unfetched: number; incident?: IncidentOutputs },
): StepOutputs {
  const incident = run.incident ?? { state: 'none' }
  return {
    // Past max-results the count stays exact: the rows not fetched are counted from the statistics.
    'match-count': String(report.digest.total + run.unfetched),
    'critical-count': String(report.digest.critical),
    'window-start': isoSecond(report.window.start),
    'window-end': isoSecond(report.window.end),
    'query-ids': report.queries.map((query) => query.queryId).join(','),
    notified: String(run.notified),
    truncated: String(report.truncated),
    'incident-id': incident.id ?? '',
    'incident-state': incident.state,
    'slack-ts': incident.slackTs ?? '',
    'issue-number': incident.issueNumber === undefined ? '' : String(incident.issueNumber),
    'results-file': run.resultsFile,
  }
}

/** Where the results file goes: under RUNNER_TEMP, which the runner empties after the job. */
export function resultsFilePath(env: Record<string, string | undefined>, rule?: string): string {
  const attempt = env.GITHUB_RUN_ATTEMPT ? `-${env.GITHUB_RUN_ATTEMPT}` : ''
  // The rules of one step each write their own (steps/rules.ts joins them).
  const ruleKey = rule ? `-${rule}` : ''
  const name = `insights-watch-${env.GITHUB_RUN_ID ?? process.pid}${attempt}-${env.GITHUB_ACTION ?? 'results'}${ruleKey}.jsonl`
  return join(env.RUNNER_TEMP || tmpdir(), name)
}

/** How much text the results file gathers before it writes: about a hundred entries. */
const WRITE_CHUNK_CHARS = 64 * 1024

/**
 * The results file: one JSON line per entry reported, with the fields the query returned as they came
 * and the severity and status read from them. Each entry is written as it arrives, in chunks, so a
 * large result is never one string in memory and no entry outlives its row; synchronous, so it can
 * be fed from a row callback.
 */
export class ResultsFile {
  private readonly fd: number
  private pending = ''

  constructor(readonly path: string) {
    this.fd = openSync(path, 'w')
  }

  add(entry: Entry): void {
    this.pending += `${JSON.stringify({ severity: entry.severity, status: entry.status ?? null, fields: entry.fields })}\n`
    if (this.pending.length >= WRITE_CHUNK_CHARS) this.flush()
  }

  close(): void {
    this.flush()
    closeSync(this.fd)
  }

  private flush(): void {
    if (this.pending === '') return
    writeSync(this.fd, this.pending)
    this.pending = ''
  }
}
