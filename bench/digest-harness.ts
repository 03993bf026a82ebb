/**
 * `npm run bench`, scenario 3: 10,000 result rows → entries, dedup, digest, Slack message, job summary,
 * timed in a process of its own (run by bench/run.ts as `node24 --import tsx bench/digest-harness.ts`)
 * so that its peak RSS is this work's alone.
 *
 * The rows are what GetQueryResults returns for the default query over API Gateway access logs
 * (`@timestamp`, `@message` JSON, `@log`, `@ptr`, newest first); building them is not timed (the SDK
 * hands them over). The timed part is what src/main.ts does with them, cold, once: RowIntake (per row
 * toEntry → ReportedEntries.isNew → DigestBuilder.add, and the results file, timed apart), then build(),
 * buildSlackMessage + JSON.stringify of the payload, addJobSummary + core.summary.stringify().
 * Prints one JSON line.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import type { ResultField } from '@aws-sdk/client-cloudwatch-logs'
import { ReportedEntries } from '../src/dedup.js'
import { DigestBuilder } from '../src/digest.js'
import type { Entry } from '../src/entries.js'
import { keepYoungGenerationSmall } from '../src/heap.js'
import { DEFAULT_QUERY } from '../src/inputs.js'
import { RowIntake } from '../src/intake.js'
import { logsInsightsConsoleUrl } from '../src/notify/console-link.js'
import { buildSlackMessage } from '../src/notify/digest-message.js'
import { addJobSummary } from '../src/notify/summary.js'
import { ResultsFile } from '../src/outputs.js'
import type { Report } from '../src/report.js'
import { accessLogs, random } from '../test/support/access-logs.js'

const ROWS = Number(process.env.BENCH_ROWS ?? 10_000)
const GROUP = '/aws/apigateway/prod-access'
const ACCOUNT = '123456789012'
const ERROR_STATUSES = ['500', '502', '502', '503', '504', '400', '403', '404', '404', '429']

/** Insights' `@timestamp`: `2026-11-23 10:00:00.123` (UTC). */
function insightsTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '')
}

/** `count` error lines of realistic access logs, as result rows, newest first. */
function resultRows(count: number, to: number): ResultField[][] {
  const rand = random(11)
  const events = accessLogs({
    from: to - 3_600_000,
    to,
    format: 'rest',
    meanGapMs: 3_600_000 / count,
    seed: 5,
  })
  const rows: ResultField[][] = []
  for (let i = 0; rows.length < count; i++) {
    const event = events[i % events.length]
    if (!event) break
    const line = JSON.parse(event.message) as Record<string, string>
    if (Number(line.status) < 400)
      line.status = ERROR_STATUSES[Math.floor(rand() * ERROR_STATUSES.length)] ?? '500'
    rows.push([
      { field: '@timestamp', value: insightsTimestamp(event.timestamp) },
      { field: '@message', value: JSON.stringify(line) },
      { field: '@log', value: `${ACCOUNT}:${GROUP}` },
      { field: '@ptr', value: Buffer.from(`${ACCOUNT}:${GROUP}:emulator:${i}`).toString('base64') },
    ])
  }
  return rows.reverse()
}

async function main(): Promise<void> {
  // As dist/index.js does first.
  keepYoungGenerationSmall()
  // Loaded dynamically: @actions/core is ESM-only, and the bench bundles this harness with ncc's
  // transpile-only mode, which emits CommonJS (a dynamic import stays an import).
  const { summary: jobSummary } = await import('@actions/core')
  const now = Date.now()
  const rows = resultRows(ROWS, now - 60_000)
  // The garbage of making the rows is not the pipeline's: collect it (the bench runs this with
  // --expose-gc) so the peak below is the process, the rows and the work on them.
  const gc = (globalThis as { gc?: () => void }).gc
  gc?.()
  const rssBeforeKb = Math.round(process.memoryUsage().rss / 1024)
  const directory = mkdtempSync(join(tmpdir(), 'insights-watch-bench-digest-'))
  const window = { start: Math.floor(now / 1000) - 3660, end: Math.floor(now / 1000) - 60 }
  const settings = {
    groupBy: ['status', 'httpMethod', 'resourcePath', 'routeKey'],
    maxSamples: 10,
    statusField: 'status',
  }

  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  const reported = new ReportedEntries()
  const digest = new DigestBuilder(settings)
  const resultsFile = new ResultsFile(join(directory, 'results.jsonl'))
  // The results file is written as rows arrive, as the action does; its share is timed apart.
  let fileMs = 0
  const timedResultsFile = {
    add(entry: Entry) {
      const start = performance.now()
      resultsFile.add(entry)
      fileMs += performance.now() - start
    },
  }
  const intake = new RowIntake(
    { reported, digest, resultsFile: timedResultsFile },
    { statusField: settings.statusField, fallbackSecond: window.end },
  )
  intake.take(rows)
  const t1 = performance.now()
  const rowsMs = t1 - t0 - fileMs
  resultsFile.close()
  const t2 = performance.now()
  fileMs += t2 - t1
  const found = digest.build()
  const report: Report = {
    monitorName: 'api-errors / watch',
    window,
    logGroups: [GROUP],
    query: DEFAULT_QUERY,
    queryLanguage: 'CWLI',
    queries: [
      {
        queryId: '00000000-0000-4000-8000-000000000000',
        logGroups: [GROUP],
        statistics: { recordsMatched: ROWS, recordsScanned: ROWS * 20, bytesScanned: ROWS * 20 * 420 },
      },
    ],
    statistics: { recordsMatched: ROWS, recordsScanned: ROWS * 20, bytesScanned: ROWS * 20 * 420 },
    digest: found,
    truncated: false,
    rechecked: 0,
    alreadyReported: rows.length - found.total,
    consoleUrl: logsInsightsConsoleUrl({
      region: 'eu-west-1',
      logGroups: [GROUP],
      query: DEFAULT_QUERY,
      window,
    }),
    maxCatchUpSeconds: 3600,
    runUrl: 'https://github.com/acme/api/actions/runs/4242',
  }
  const t3 = performance.now()
  const message = buildSlackMessage(report, { consoleUrl: report.consoleUrl })
  const payload = JSON.stringify(message)
  const t4 = performance.now()
  addJobSummary(report, jobSummary, 'Slack: the alert was delivered to the webhook.')
  const summary = jobSummary.stringify()
  const t5 = performance.now()
  const cpu = process.cpuUsage(cpu0)
  rmSync(directory, { recursive: true, force: true })

  const buildMs = t3 - t2
  const slackMs = t4 - t3
  const summaryMs = t5 - t4
  process.stdout.write(
    `${JSON.stringify({
      rows: rows.length,
      entries: found.total,
      critical: found.critical,
      warning: found.warning,
      totalMs: rowsMs + buildMs + slackMs + summaryMs,
      withResultsFileMs: t5 - t0,
      /** CPU time of the same stretch, results file included: less sensitive to a busy machine. */
      cpuMs: (cpu.user + cpu.system) / 1000,
      stagesMs: {
        rowsToDigest: rowsMs,
        resultsFile: fileMs,
        digestBuild: buildMs,
        slackMessage: slackMs,
        summary: summaryMs,
      },
      payloadChars: payload.length,
      summaryChars: summary.length,
      rssBeforeKb,
      maxRssKb: process.resourceUsage().maxRSS,
      node: process.version,
    })}\n`,
  )
}

main().catch((error: unknown) => {
  process.stderr.write(
    `digest harness: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  )
  process.exitCode = 1
})
