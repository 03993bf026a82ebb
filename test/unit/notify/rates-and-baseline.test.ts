import * as core from '@actions/core'
import { beforeEach, describe, expect, it } from 'vitest'
import { buildSlackMessage } from '../../../src/notify/digest-message.js'
import { addJobSummary } from '../../../src/notify/summary.js'
import type { RateBreach, RateCheck } from '../../../src/rates.js'
import { HOSTILE, makeReport, typicalEntries, WINDOW_START } from './fixtures.js'
import { sectionTexts } from './message-texts.js'

/** `rate-thresholds` and `baseline` as a person reads them: in the Slack digest and the job summary. */

const breach = (route: string | undefined, matched: number, requests: number): RateBreach => ({
  ...(route === undefined ? {} : { route }),
  label: '5xx',
  matched,
  requests,
  rate: matched / requests,
  threshold: 0.01,
})

const rates = (breaches: RateBreach[], partial?: string): RateCheck => ({
  requests: 200_000,
  matched: { total: 1_500, critical: 1_500, warning: 0 },
  thresholds: { critical: 0.01 },
  minRequests: 100,
  breaches,
  routesChecked: 2,
  routesBelowFloor: 0,
  ...(partial ? { partial } : {}),
})

const window = { start: WINDOW_START, end: WINDOW_START + 300 }

describe('the error rate in the Slack digest', () => {
  it('names the routes that reached their rate, worst first, their route text escaped', () => {
    const hostileRoute = `POST /v2/${HOSTILE.channel}${HOSTILE.formatting}`
    const report = makeReport({
      entries: typicalEntries(),
      rates: rates([breach(hostileRoute, 600, 20_000), breach('GET /v2/items', 300, 20_000)]),
    })
    const texts = sectionTexts(buildSlackMessage(report))
    const line = texts.find((text) => text.startsWith('📈'))
    expect(line).toBe(
      [
        '📈 *Error rate:* 2 routes reached a rate threshold (200,000 requests in the window)',
        '• `POST /v2/&lt;!channel&gt;∗bold∗ ˍitalicˍ ∼strike∼ ˋcodeˋ`: 5xx 3% (600 of 20,000 requests, threshold 1%)',
        '• `GET /v2/items`: 5xx 1.5% (300 of 20,000 requests, threshold 1%)',
      ].join('\n'),
    )
    expect(JSON.stringify(buildSlackMessage(report))).not.toContain('<!channel>')
  })

  it('says the overall rate first, and that it is a lower bound when counting was partial', () => {
    const report = makeReport({
      entries: typicalEntries(),
      rates: rates([breach(undefined, 3_000, 100_000)], 'rows past max-results were not fetched'),
    })
    expect(sectionTexts(buildSlackMessage(report))).toContain(
      '📈 *Error rate:* 5xx 3% (3,000 of 100,000 requests, threshold 1%) (at least: rows past max-results were not fetched)',
    )
  })

  it('is left out of a message about the monitor with nothing found', () => {
    const report = makeReport({ entries: [], rates: rates([]) })
    expect(sectionTexts(buildSlackMessage(report)).some((text) => text.startsWith('📈'))).toBe(false)
  })
})

describe('the baseline', () => {
  const baseline = {
    offsetSeconds: 7 * 86_400,
    window: { start: window.start - 7 * 86_400, end: window.end - 7 * 86_400 },
    requests: 11_800,
    critical: 10,
    warning: 0,
  }

  it('sets this window against last week: "3× last week", with last week’s count and rate', () => {
    // This window's counts are the digest's (no rates set): the line sets them against last week's.
    const report = makeReport({ entries: typicalEntries(), baseline })
    const { critical, warning } = report.digest
    const line = sectionTexts(buildSlackMessage(report)).find((text) => text.startsWith('📅'))
    const parts = [
      `5xx ${critical}, ${Math.round((critical / 10) * 10) / 10}× last week (10 of 11,800 requests, 0.085%)`,
    ]
    if (warning > 0) parts.push(`4xx ${warning}, none last week (11,800 requests)`)
    expect(line).toBe(`📅 *Against last week:* ${parts.join(' · ')}`)
  })

  it('says "yesterday" for a day, and that it could not be counted, escaped', () => {
    const report = makeReport({
      entries: typicalEntries(),
      baseline: { offsetSeconds: 86_400, window, error: `Throttled ${HOSTILE.channel}` },
    })
    expect(sectionTexts(buildSlackMessage(report))).toContain(
      '📅 *Against yesterday:* not counted: `Throttled &lt;!channel&gt;`',
    )
  })
})

describe('the job summary', () => {
  beforeEach(() => {
    core.summary.emptyBuffer()
  })

  it('shows the rates and the baseline, route text escaped as HTML, and the action’s own queries in the cost', () => {
    const report = makeReport({
      entries: typicalEntries(),
      rates: rates([breach(`POST /v2/${HOSTILE.script}`, 600, 20_000)]),
      baseline: {
        offsetSeconds: 7 * 86_400,
        window,
        requests: 1_000,
        critical: 0,
        warning: 0,
      },
      pricePerGb: 0.005,
      helperQueries: [
        {
          purpose: 'requests',
          queryId: 'count-1',
          logGroups: ['/a'],
          statistics: { recordsMatched: 0, recordsScanned: 200_000, bytesScanned: 2e9 },
        },
      ],
    })
    addJobSummary(report, core.summary)
    const html = core.summary.stringify()
    expect(html).toContain(
      '• <code>POST /v2/&lt;script&gt;alert(1)&lt;/script&gt;</code>: 5xx 3% (600 of 20,000 requests, threshold 1%)',
    )
    expect(html).not.toContain('<script>')
    expect(html).toContain('<b>Against last week:</b> 5xx')
    expect(html).toContain('none last week (1,000 requests)')
    expect(html).toMatch(
      /<td>count-1 \(requests, for rate-thresholds\)<\/td><td>1<\/td><td>200,000<\/td><td>2\.0 GB<\/td><td>\$0\.010<\/td>/,
    )
  })
})
