/**
 * Error rates (`rate-thresholds`, `min-requests`): the share of matching entries among every request
 * in the same log groups and window. 20 404s are noise at a million requests and an outage at thirty;
 * a rate with a traffic floor tells them apart, as Datadog's `is_greater(b, 15)` guard and
 * ElastAlert's `percentage_match` with `min_denominator` do.
 *
 * - The denominator is one aggregate query the action writes (`requestCountQuery`), per batch of log
 *   groups, over exactly the main query's window: every record counted, whatever the user's query
 *   filters.
 * - The numerator is the main query's matching entries inside that window, new or reported before
 *   (a rate measures the window, not what is news in it); for an aggregate query, its matching records.
 * - Per route: with `group-by` naming a route field (`resourcePath`, `routeKey`), each route's own
 *   rate is checked too, with the same floor, so one failing endpoint shows under healthy traffic.
 */
import type { ResultField } from '@aws-sdk/client-cloudwatch-logs'
import { addCounts, type Counts, type RateVerdict, type Thresholds } from './alerting.js'
import { type Entry, entrySecond, toEntry } from './entries.js'
import { count } from './format.js'
import type { Window } from './insights/window.js'
import { signatureOf } from './signatures.js'

export interface RateSettings {
  /** Shares between 0 and 1 (`5xx=1%` is 0.01), keyed like the absolute `thresholds`. */
  thresholds: Thresholds
  /** A window (or a route) with fewer requests than this is not judged by rate. */
  minRequests: number
  /** The `group-by` fields that name a route, in order; empty = no per-route rates. */
  routeFields: string[]
}

/** Fields that name a route in API Gateway access logs; `httpMethod` only together with one of them. */
const ROUTE_FIELDS = ['resourcePath', 'routeKey']
const METHOD_FIELD = 'httpMethod'

/** The `group-by` fields a route is named by: the method and path fields it has, or none. */
export function routeFieldsOf(groupBy: readonly string[]): string[] {
  if (!groupBy.some((field) => ROUTE_FIELDS.includes(field))) return []
  return groupBy.filter((field) => field === METHOD_FIELD || ROUTE_FIELDS.includes(field))
}

/** The count column of `requestCountQuery`. */
const REQUESTS_COLUMN = 'requests'

/**
 * Every record of the window, per route when there are route fields, in Logs Insights QL (whatever
 * the user's query language). Records without a route field are counted in a group without it
 * (Insights groups a missing `by` field as absent), so the total still counts them. The window is
 * cut by `@timestamp` exactly as an aggregate query is (query-rewrite.ts): the caller adds the bound.
 */
export function requestCountQuery(routeFields: readonly string[]): string {
  const by = routeFields.length > 0 ? ` by ${routeFields.map(fieldName).join(', ')}` : ''
  return `stats count(*) as ${REQUESTS_COLUMN}${by}`
}

/** A field name as Insights QL takes it: backquoted unless plain (a dotted JSON name is plain). */
export function fieldName(name: string): string {
  return /^@?[A-Za-z_][\w.]*$/.test(name) ? name : `\`${name.replace(/`/g, '``')}\``
}

/** Requests of the window, from the rows of `requestCountQuery`. */
export interface RequestCounts {
  total: number
  /** Requests per route (`POST /v2/checkout`); records without a route field are in `total` only. */
  routes: Map<string, number>
}

/** Adds up the rows of `requestCountQuery` as they arrive. */
export class RequestTally {
  readonly #routes = new Map<string, number>()
  #total = 0

  constructor(private readonly routeFields: readonly string[]) {}

  add(row: readonly ResultField[]): void {
    const entry = toEntry(row, '')
    const requests = Number(entry.fields[REQUESTS_COLUMN])
    if (!Number.isSafeInteger(requests) || requests < 0) return
    this.#total += requests
    const route = this.routeFields.length > 0 ? signatureOf(entry, this.routeFields) : undefined
    if (route !== undefined) this.#routes.set(route, (this.#routes.get(route) ?? 0) + requests)
  }

  /**
   * `recordsMatched`: the service's own count of the records aggregated, which stays whole when rows
   * were left unfetched (the route table is then partial, and says so through `complete`).
   */
  build(recordsMatched: number, complete: boolean): RequestCounts {
    return { total: complete ? this.#total : Math.max(this.#total, recordsMatched), routes: this.#routes }
  }
}

/** Matching entries of the window, by severity, overall and per route. */
export interface MatchCounts {
  all: Counts
  routes: Map<string, Counts>
}

const NO_COUNTS: Counts = { total: 0, critical: 0, warning: 0 }

/**
 * Counts the main query's entries inside the rate window, reported before or not: the overlap's
 * entries were requests of this window too. Entries outside it (the end second StartQuery may
 * include, a late entry) belong to another window's rate.
 */
export class MatchTally {
  readonly #routes = new Map<string, Counts>()
  #all: Counts = NO_COUNTS

  constructor(
    private readonly routeFields: readonly string[],
    private readonly window: Window,
  ) {}

  add(entry: Entry): void {
    const second = entrySecond(entry)
    if (second === undefined || second < this.window.start || second >= this.window.end) return
    const one = oneEntry(entry)
    this.#all = addCounts(this.#all, one)
    if (this.routeFields.length === 0) return
    const route = signatureOf(entry, this.routeFields)
    if (route !== undefined) this.#routes.set(route, addCounts(this.#routes.get(route) ?? NO_COUNTS, one))
  }

  build(): MatchCounts {
    return { all: this.#all, routes: this.#routes }
  }
}

function oneEntry(entry: Entry): Counts {
  return {
    total: 1,
    critical: entry.severity === 'critical' ? 1 : 0,
    warning: entry.severity === 'warning' ? 1 : 0,
  }
}

/** One share that reached its threshold, overall or on one route. */
export interface RateBreach {
  /** The route, or undefined for the whole window. */
  route?: string
  /** `5xx`, `4xx`, `other` or `matches`. */
  label: string
  matched: number
  requests: number
  rate: number
  threshold: number
}

/** What the rates said about one window. */
export interface RateCheck {
  /** Requests in the window (all records of the log groups). */
  requests: number
  /** Matching entries in the window, by severity. */
  matched: Counts
  /** The rate thresholds it was judged by. */
  thresholds: Thresholds
  minRequests: number
  /** Shares that reached their threshold: overall first, then routes by rate, highest first. */
  breaches: RateBreach[]
  /** Routes with at least `min-requests` requests, whose own rates were checked. */
  routesChecked: number
  /** Routes below `min-requests`, not judged by rate. */
  routesBelowFloor: number
  /**
   * The requests or matches could not all be counted (a failed batch, rows left unfetched): the
   * rates are at least what they say. Why, for the summary.
   */
  partial?: string
}

/** The share of each kind, and its threshold, for one set of counts. */
function shares(
  matched: Counts,
  thresholds: Thresholds,
): Array<[label: string, count: number, threshold: number]> {
  const checks: Array<[string, number, number | undefined]> = [
    ['5xx', matched.critical, thresholds.critical],
    ['4xx', matched.warning, thresholds.warning],
    ['other', matched.total - matched.critical - matched.warning, thresholds.other],
    ['matches', matched.total, thresholds.total],
  ]
  return checks.filter((check): check is [string, number, number] => check[2] !== undefined)
}

function breachesOf(matched: Counts, requests: number, thresholds: Thresholds, route?: string): RateBreach[] {
  const breaches: RateBreach[] = []
  for (const [label, matchedCount, threshold] of shares(matched, thresholds)) {
    const rate = matchedCount / requests
    if (matchedCount > 0 && rate >= threshold) {
      const breach: RateBreach = { label, matched: matchedCount, requests, rate, threshold }
      if (route !== undefined) breach.route = route
      breaches.push(breach)
    }
  }
  return breaches
}

/**
 * Judges the window's rates: overall, and each route with its own requests, where the requests
 * reach `min-requests`. More matches than requests (a query over log groups that also hold other
 * records, a filter on another field) is a share of 100% at most.
 */
export function checkRates(matched: MatchCounts, requests: RequestCounts, settings: RateSettings): RateCheck {
  const { thresholds, minRequests } = settings
  const check: RateCheck = {
    requests: requests.total,
    matched: matched.all,
    thresholds,
    minRequests,
    breaches: [],
    routesChecked: 0,
    routesBelowFloor: 0,
  }
  if (requests.total >= minRequests && requests.total > 0)
    check.breaches.push(...breachesOf(matched.all, Math.max(requests.total, matched.all.total), thresholds))
  const routeBreaches: RateBreach[] = []
  for (const [route, counts] of matched.routes) {
    const routeRequests = Math.max(requests.routes.get(route) ?? 0, counts.total)
    if (routeRequests < minRequests) {
      check.routesBelowFloor += 1
      continue
    }
    check.routesChecked += 1
    routeBreaches.push(...breachesOf(counts, routeRequests, thresholds, route))
  }
  routeBreaches.sort((a, b) => b.rate - a.rate)
  check.breaches.push(...routeBreaches)
  return check
}

/** `2.5%`, `0.085%`, `31%`: two significant digits below 10%, enough to tell a rate from its threshold. */
export function formatRate(rate: number): string {
  const percent = rate * 100
  if (percent >= 10) return `${Math.round(percent * 10) / 10}%`
  return `${Number(percent.toPrecision(2))}%`
}

/** `5xx 3.1% (310 of 10,000 requests)`, with the route first when there is one. */
export function describeBreach(breach: RateBreach): string {
  const share = `${breach.label} ${formatRate(breach.rate)} (${count(breach.matched)} of ${count(breach.requests)} requests, threshold ${formatRate(breach.threshold)})`
  return breach.route === undefined ? share : `${breach.route}: ${share}`
}

/** Why the rates did not fire, for the summary and the log: the floor, or each share against its threshold. */
export function describeUnmetRates(check: RateCheck): string {
  if (check.requests < check.minRequests) {
    return `${count(check.requests)} requests, below min-requests (${count(check.minRequests)}): not judged by rate`
  }
  const requests = Math.max(check.requests, check.matched.total)
  const overall = shares(check.matched, check.thresholds).map(
    ([label, matched, threshold]) =>
      `${label} ${formatRate(requests > 0 ? matched / requests : 0)} of ${count(requests)} requests, below ${formatRate(threshold)}`,
  )
  if (check.routesChecked > 0)
    overall.push(`no route's rate reached it (${count(check.routesChecked)} checked)`)
  return overall.join(', ')
}

/** What the alert decision needs of the rates (alerting.ts). */
export function rateVerdict(check: RateCheck): RateVerdict {
  return {
    fired: check.breaches.length > 0,
    critical: check.breaches.some((breach) => breach.label === '5xx'),
    criticalSet: check.thresholds.critical !== undefined,
    unmet: describeUnmetRates(check),
  }
}
