/**
 * The error rates and the baseline as lines of text, for the Slack message and the job summary alike;
 * each says how it marks text bold and how it escapes a route (log text).
 */
import type { Counts } from '../alerting.js'
import { baselineName, timesThen } from '../baseline.js'
import { count } from '../format.js'
import { describeUnmetRates, formatRate, type RateBreach, type RateCheck } from '../rates.js'
import type { Report } from '../report.js'

export interface LineStyle {
  bold: (text: string) => string
  /** A route (log text) or an error: escaped, one line, fitted. */
  route: (text: string) => string
}

/** Route breaches named at most; the rest are counted. */
const MAX_ROUTES = 5

/**
 * `📈 Error rate: 5xx 3.1% (310 of 10,000 requests, threshold 1%)`, then one line per route that
 * reached its threshold, worst first; or, when none did, where the rates stood.
 */
export function rateLines(check: RateCheck, style: LineStyle): string[] {
  const title = style.bold('Error rate:')
  const atLeast = check.partial ? ` (at least: ${check.partial})` : ''
  const overall = check.breaches.filter((breach) => breach.route === undefined)
  const routes = check.breaches.filter((breach) => breach.route !== undefined)
  if (check.breaches.length === 0) return [`📈 ${title} ${describeUnmetRates(check)}${atLeast}`]
  const lines = [
    overall.length > 0
      ? `📈 ${title} ${overall.map(shareText).join(', ')}${atLeast}`
      : `📈 ${title} ${count(routes.length)} ${routes.length === 1 ? 'route' : 'routes'} reached a rate threshold (${count(check.requests)} requests in the window)${atLeast}`,
  ]
  for (const breach of routes.slice(0, MAX_ROUTES))
    lines.push(`• ${style.route(breach.route ?? '')}: ${shareText(breach)}`)
  if (routes.length > MAX_ROUTES) lines.push(`• and ${count(routes.length - MAX_ROUTES)} more`)
  return lines
}

/** `5xx 3.1% (310 of 10,000 requests, threshold 1%)`. */
function shareText(breach: RateBreach): string {
  return `${breach.label} ${formatRate(breach.rate)} (${count(breach.matched)} of ${count(breach.requests)} requests, threshold ${formatRate(breach.threshold)})`
}

/**
 * `📅 Against last week: 5xx 30, 3× last week (10 of 11,800 requests, 0.085%) · 4xx …`: this
 * window's counts against the same window a week earlier; undefined without a baseline.
 */
export function baselineLine(
  report: Pick<Report, 'baseline' | 'rates' | 'digest'>,
  style: LineStyle,
): string | undefined {
  const { baseline } = report
  if (!baseline) return undefined
  const name = baselineName(baseline.offsetSeconds)
  const title = style.bold(`Against ${name}:`)
  if ('error' in baseline) return `📅 ${title} not counted: ${style.route(baseline.error)}`
  // The rate's matches are the window's whole count; without rates, the window's new entries.
  const now: Counts = report.rates?.matched ?? report.digest
  const parts: string[] = []
  for (const [label, nowCount, thenCount] of [
    ['5xx', now.critical, baseline.critical],
    ['4xx', now.warning, baseline.warning],
  ] as const) {
    if (nowCount === 0 && thenCount === 0) continue
    const times = timesThen(nowCount, thenCount)
    const then = `${count(thenCount)} of ${count(baseline.requests)} requests, ${formatRate(baseline.requests > 0 ? thenCount / baseline.requests : 0)}`
    parts.push(
      times === undefined
        ? `${label} ${count(nowCount)}, none ${name} (${count(baseline.requests)} requests)`
        : `${label} ${count(nowCount)}, ${times} ${name} (${then})`,
    )
  }
  if (parts.length === 0)
    return `📅 ${title} no 5xx or 4xx then either (${count(baseline.requests)} requests)`
  return `📅 ${title} ${parts.join(' · ')}`
}
