import type { ResultField } from '@aws-sdk/client-cloudwatch-logs'
import { describe, expect, it } from 'vitest'
import { type AlertState, decideAlert } from '../../src/alerting.js'
import { toEntry } from '../../src/entries.js'
import {
  checkRates,
  formatRate,
  MatchTally,
  type RateSettings,
  RequestTally,
  rateVerdict,
  requestCountQuery,
  routeFieldsOf,
} from '../../src/rates.js'

const row = (fields: Record<string, string>): ResultField[] =>
  Object.entries(fields).map(([field, value]) => ({ field, value }))

const ROUTES = ['httpMethod', 'resourcePath', 'routeKey']
const RATES: RateSettings = {
  thresholds: { critical: 0.01, warning: 0.1 },
  minRequests: 100,
  routeFields: ROUTES,
}
const WINDOW = { start: 1_000_000, end: 1_000_300 }

/** An access-log entry as the default query returns it: @timestamp and the JSON @message. */
function accessEntry(second: number, status: number, method: string, path: string) {
  return toEntry(
    row({
      '@timestamp': new Date(second * 1000).toISOString().replace('T', ' ').replace('Z', ''),
      '@message': JSON.stringify({ status, httpMethod: method, resourcePath: path }),
    }),
    'status',
  )
}

/** Requests per route as the count query's rows; `null` route for records without one. */
function requests(byRoute: Array<[method: string | null, path: string | null, count: number]>) {
  const tally = new RequestTally(ROUTES)
  for (const [method, path, count] of byRoute) {
    const fields: Record<string, string> = { requests: String(count) }
    if (method) fields.httpMethod = method
    if (path) fields.resourcePath = path
    tally.add(row(fields))
  }
  return tally.build(0, true)
}

function matches(entries: Array<[status: number, method: string, path: string, times: number]>) {
  const tally = new MatchTally(ROUTES, WINDOW)
  for (const [status, method, path, times] of entries)
    for (let i = 0; i < times; i += 1) tally.add(accessEntry(WINDOW.start + 10, status, method, path))
  return tally.build()
}

describe('routeFieldsOf', () => {
  it('names routes by the method and path fields of group-by, only when a path field is there', () => {
    expect(routeFieldsOf(['status', 'httpMethod', 'resourcePath', 'routeKey'])).toEqual(ROUTES)
    expect(routeFieldsOf(['status', 'httpMethod'])).toEqual([])
    expect(routeFieldsOf(['routeKey'])).toEqual(['routeKey'])
  })
})

describe('requestCountQuery', () => {
  it('counts every record, per route field when there are any; odd names quoted', () => {
    expect(requestCountQuery(ROUTES)).toBe('stats count(*) as requests by httpMethod, resourcePath, routeKey')
    expect(requestCountQuery([])).toBe('stats count(*) as requests')
    expect(requestCountQuery(['request.path', 'my-route'])).toBe(
      'stats count(*) as requests by request.path, `my-route`',
    )
  })
})

describe('checkRates', () => {
  it('1,000,000 requests with 0.5% 5xx stay below 5xx=1%; a route at 3% is named with its numbers', () => {
    const counted = requests([
      ['GET', '/v2/items', 900_000],
      ['POST', '/v2/checkout', 100_000],
    ])
    const calm = checkRates(
      matches([
        [502, 'GET', '/v2/items', 4_500],
        [502, 'POST', '/v2/checkout', 500],
      ]),
      counted,
      RATES,
    )
    expect(calm.requests).toBe(1_000_000)
    expect(calm.breaches).toEqual([])
    expect(calm.routesChecked).toBe(2)

    const burst = checkRates(
      matches([
        [502, 'GET', '/v2/items', 4_500],
        [502, 'POST', '/v2/checkout', 3_000],
      ]),
      counted,
      RATES,
    )
    // Overall 0.75%: below 1%. The route alone is at 3%.
    expect(burst.breaches).toEqual([
      {
        route: 'POST /v2/checkout',
        label: '5xx',
        matched: 3_000,
        requests: 100_000,
        rate: 0.03,
        threshold: 0.01,
      },
    ])
    expect(rateVerdict(burst)).toMatchObject({ fired: true, critical: true })
  })

  it('does not judge a window, or a route, below min-requests', () => {
    const check = checkRates(
      matches([[502, 'GET', '/v2/items', 10]]),
      requests([['GET', '/v2/items', 40]]),
      RATES,
    )
    expect(check.breaches).toEqual([])
    expect(check.routesBelowFloor).toBe(1)
    expect(rateVerdict(check)).toEqual({
      fired: false,
      critical: false,
      criticalSet: true,
      unmet: '40 requests, below min-requests (100): not judged by rate',
    })
  })

  it('says where each share stood when none reached its threshold', () => {
    const check = checkRates(
      matches([
        [502, 'GET', '/v2/items', 4],
        [404, 'GET', '/v2/items', 50],
      ]),
      requests([['GET', '/v2/items', 1_000]]),
      RATES,
    )
    expect(rateVerdict(check).unmet).toBe(
      "5xx 0.4% of 1,000 requests, below 1%, 4xx 5% of 1,000 requests, below 10%, no route's rate reached it (1 checked)",
    )
  })

  it('counts records without a route in the total only, and caps a share at 100%', () => {
    const counted = requests([
      [null, null, 500],
      ['GET', '/v2/items', 100],
    ])
    expect(counted.total).toBe(600)
    expect([...counted.routes]).toEqual([['GET /v2/items', 100]])
    // More matches than requests on a route (a filter on other records): a share of 100% at most.
    const check = checkRates(matches([[502, 'GET', '/v2/items', 150]]), counted, RATES)
    expect(check.breaches.find((breach) => breach.route)?.rate).toBe(1)
  })
})

describe('MatchTally', () => {
  it('counts the entries inside the window only, reported before or not', () => {
    const tally = new MatchTally([], WINDOW)
    tally.add(accessEntry(WINDOW.start, 502, 'GET', '/a'))
    tally.add(accessEntry(WINDOW.end - 1, 404, 'GET', '/a'))
    // The end second, which StartQuery's inclusive range may return, belongs to the next window.
    tally.add(accessEntry(WINDOW.end, 502, 'GET', '/a'))
    tally.add(accessEntry(WINDOW.start - 1, 502, 'GET', '/a'))
    expect(tally.build().all).toEqual({ total: 2, critical: 1, warning: 1 })
  })
})

describe('formatRate', () => {
  it.each([
    [0.03, '3%'],
    [0.005, '0.5%'],
    [0.0004, '0.04%'],
    [0.31, '31%'],
    [0.125, '12.5%'],
    [1 / 3, '33.3%'],
    [0, '0%'],
  ])('%d → %s', (rate, text) => {
    expect(formatRate(rate)).toBe(text)
  })
})

describe('decideAlert with rates', () => {
  const settings = { thresholds: {}, realertSeconds: 3600, resolveAfterSeconds: 0, notifyResolved: true }
  const window = { start: 0, end: 300 }

  it('alerts on a rate alone, and names the unmet rate when it does not', () => {
    const fired = { fired: true, critical: true, criticalSet: true, unmet: '' }
    expect(
      decideAlert({ total: 30, critical: 30, warning: 0, rates: fired }, undefined, 300, window, settings)
        .kind,
    ).toBe('alert')
    const below = {
      fired: false,
      critical: false,
      criticalSet: true,
      unmet: '5xx 0.5% of 1,000 requests, below 1%',
    }
    expect(
      decideAlert({ total: 5, critical: 5, warning: 0, rates: below }, undefined, 300, window, settings),
    ).toEqual({
      kind: 'below-threshold',
      unmet: '5xx 0.5% of 1,000 requests, below 1%',
      state: { pending: { total: 0, critical: 0, warning: 0, windows: 0 } },
    })
  })

  it('fires on the absolute threshold below min-requests: either can fire', () => {
    const belowFloor = {
      fired: false,
      critical: false,
      criticalSet: true,
      unmet: '40 requests, below min-requests (100): not judged by rate',
    }
    const decision = decideAlert(
      { total: 10, critical: 10, warning: 0, rates: belowFloor },
      undefined,
      300,
      window,
      { ...settings, thresholds: { critical: 5 } },
    )
    expect(decision.kind).toBe('alert')
  })

  it('5xx below their rate threshold do not break the quiet period of a 4xx episode', () => {
    const fourxx = { fired: true, critical: false, criticalSet: true, unmet: '' }
    const first = decideAlert(
      { total: 200, critical: 0, warning: 200, rates: fourxx },
      undefined,
      300,
      window,
      settings,
    )
    const later = decideAlert(
      { total: 201, critical: 1, warning: 200, rates: fourxx },
      first.state as AlertState,
      600,
      { start: 300, end: 600 },
      settings,
    )
    expect(later.kind).toBe('quiet')
    const fivexx = { fired: true, critical: true, criticalSet: true, unmet: '' }
    const escalated = decideAlert(
      { total: 230, critical: 30, warning: 200, rates: fivexx },
      first.state as AlertState,
      600,
      { start: 300, end: 600 },
      settings,
    )
    expect(escalated).toMatchObject({ kind: 'alert', escalated: { lastAlertAt: 300 } })
  })
})
