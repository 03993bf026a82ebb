import { buildDigest } from '../../../src/digest.js'
import { type Entry, toEntry } from '../../../src/entries.js'
import type { Report } from '../../../src/report.js'

/** 2026-11-23 10:00:00Z, the start of the window every test report checks. */
export const WINDOW_START = Date.UTC(2026, 10, 23, 10, 0, 0) / 1000

export const GROUP_BY = ['status', 'httpMethod', 'resourcePath', 'routeKey']

/**
 * An API Gateway access-log entry as Insights returns it: `@timestamp` plus the JSON line in
 * `@message`, whose fields are found the way Insights discovers them.
 */
export function accessLog(fields: Record<string, string>, timestamp = '2026-11-23 10:01:02.123'): Entry {
  return toEntry(
    [
      { field: '@timestamp', value: timestamp },
      { field: '@message', value: JSON.stringify(fields) },
    ],
    'status',
  )
}

/** An entry whose `@message` is not JSON, as a Lambda or application log line would be. */
export function plainLog(message: string, timestamp = '2026-11-23 10:01:02.123'): Entry {
  return toEntry(
    [
      { field: '@timestamp', value: timestamp },
      { field: '@message', value: message },
    ],
    'status',
  )
}

export interface ReportOptions extends Partial<Omit<Report, 'digest'>> {
  entries?: Entry[]
  maxSamples?: number
  groupBy?: string[]
}

/** A report as main.ts would build it, with the digest computed from `entries` by the real buildDigest. */
export function makeReport(options: ReportOptions = {}): Report {
  const { entries = [], maxSamples = 10, groupBy = GROUP_BY, ...overrides } = options
  const digest = buildDigest(entries, { groupBy, maxSamples })
  return {
    monitorName: 'api-errors',
    window: { start: WINDOW_START, end: WINDOW_START + 300 },
    logGroups: ['/aws/apigateway/prod-access'],
    query: 'fields @timestamp, @message, @log | filter status >= 400 | sort @timestamp desc',
    queryLanguage: 'CWLI',
    queries: [
      {
        queryId: '0e7e2a8c-1111-4222-8333-444455556666',
        logGroups: ['/aws/apigateway/prod-access'],
        statistics: { recordsMatched: entries.length, recordsScanned: 48_213, bytesScanned: 12_345_678 },
      },
    ],
    statistics: { recordsMatched: entries.length, recordsScanned: 48_213, bytesScanned: 12_345_678 },
    digest,
    truncated: false,
    rechecked: 0,
    alreadyReported: 0,
    consoleUrl:
      'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:logs-insights',
    maxCatchUpSeconds: 3600,
    runUrl: 'https://github.com/acme/api/actions/runs/123456789',
    ...overrides,
  }
}

/** A realistic mix: three 5xx and two 4xx on a REST API. */
export function typicalEntries(): Entry[] {
  return [
    accessLog(
      {
        requestId: 'c0ffee00-0000-4000-8000-000000000001',
        httpMethod: 'POST',
        resourcePath: '/orders',
        status: '502',
        responseLatency: '29012',
      },
      '2026-11-23 10:04:10.000',
    ),
    accessLog(
      {
        requestId: 'c0ffee00-0000-4000-8000-000000000002',
        httpMethod: 'GET',
        resourcePath: '/items/{id}',
        status: '500',
      },
      '2026-11-23 10:03:00.000',
    ),
    accessLog(
      {
        requestId: 'c0ffee00-0000-4000-8000-000000000003',
        httpMethod: 'POST',
        resourcePath: '/orders',
        status: '502',
      },
      '2026-11-23 10:02:00.000',
    ),
    accessLog(
      {
        requestId: 'c0ffee00-0000-4000-8000-000000000004',
        httpMethod: 'GET',
        resourcePath: '/items',
        status: '404',
      },
      '2026-11-23 10:01:00.000',
    ),
    accessLog(
      {
        requestId: 'c0ffee00-0000-4000-8000-000000000005',
        httpMethod: 'DELETE',
        resourcePath: '/items/{id}',
        status: '403',
      },
      '2026-11-23 10:00:30.000',
    ),
  ]
}

/** Log text written to do harm when shown unescaped. */
export const HOSTILE = {
  channel: '<!channel>',
  user: '<@U0123ABCD>',
  link: '<https://evil.example/login|Reset your password>',
  script: '<script>alert(1)</script>',
  pipes: '| a | b |',
  fence: '```',
  formatting: '*bold* _italic_ ~strike~ `code`',
}
