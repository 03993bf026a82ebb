/**
 * What `rate-thresholds` and `baseline` cost. The rates' request count is one more aggregate query
 * per batch of log groups, run beside the main query, and must add no Slack post; it and the baseline
 * (on alerting runs) each scan a whole window of every request, so their bytes are set against the
 * main query's. 120 log groups, so 3 batches, over the steady stream of steady-runs.ts (3% 5xx:
 * every run alerts); the second of two runs five minutes apart is measured.
 */
import { MAX_LOG_GROUPS_PER_QUERY } from '../src/insights/batches.js'
import type { Call } from '../test/emulator/index.js'
import { secondOfTwoRuns } from './steady-runs.js'

const LOG_GROUPS = Array.from({ length: 120 }, (_, i) => `/aws/apigateway/api-${i + 1}-access`)
const BATCHES = Math.ceil(LOG_GROUPS.length / MAX_LOG_GROUPS_PER_QUERY)

export interface RateQueries {
  logGroups: number
  batches: number
  /** StartQuery calls and Slack posts of the run with `rate-thresholds`, and of the same run without. */
  withRates: { startQueries: number; posts: number }
  without: { startQueries: number; posts: number }
}

/** The same alerting run with `rate-thresholds: 5xx=1%` and without; `baseline: none` in both. */
export async function rateQueries(): Promise<RateQueries> {
  // The absolute threshold alerts either way: what differs is the request count alone.
  const inputs = { thresholds: '5xx=1', baseline: 'none' }
  const counted = async (extra: Record<string, string>) => {
    const { calls, posts } = await secondOfTwoRuns({ logGroups: LOG_GROUPS, inputs: { ...inputs, ...extra } })
    return { startQueries: calls.filter((call) => call.action === 'StartQuery').length, posts }
  }
  return {
    logGroups: LOG_GROUPS.length,
    batches: BATCHES,
    withRates: await counted({ 'rate-thresholds': '5xx=1%' }),
    without: await counted({}),
  }
}

/** Bytes scanned by each kind of query of one alerting run with `rate-thresholds` and `baseline: 7d`. */
export async function rateAndBaselineBytes(): Promise<Record<QueryKind, number>> {
  const { calls } = await secondOfTwoRuns({
    logGroups: LOG_GROUPS,
    inputs: { 'rate-thresholds': '5xx=1%', baseline: '7d' },
    weekEarlier: true,
  })
  return bytesByKind(calls)
}

type QueryKind = 'main' | 'requests' | 'baseline'

/** The action's own queries, by the query string it started them with (src/rates.ts, src/baseline.ts). */
function kindOf(queryString: string): QueryKind {
  if (/\| stats count\(\*\) as requests by status$/.test(queryString)) return 'baseline'
  if (/\| stats count\(\*\) as requests\b/.test(queryString)) return 'requests'
  return 'main'
}

/**
 * Bytes scanned, summed by kind over the queries started (every batch, any split part): each query's
 * statistics from its Complete GetQueryResults answer, as the summary's cost table adds them up.
 */
function bytesByKind(calls: readonly Call[]): Record<QueryKind, number> {
  const kinds = new Map<string, QueryKind>()
  const bytes = new Map<string, number>()
  for (const call of calls) {
    if (call.action === 'StartQuery' && call.status === 200) {
      const { queryId } = call.response as { queryId: string }
      kinds.set(queryId, kindOf((call.body as { queryString: string }).queryString))
    }
    const answer = call.response as { status?: string; statistics?: { bytesScanned: number } } | undefined
    if (call.action === 'GetQueryResults' && answer?.status === 'Complete' && answer.statistics) {
      bytes.set((call.body as { queryId: string }).queryId, answer.statistics.bytesScanned)
    }
  }
  const totals: Record<QueryKind, number> = { main: 0, requests: 0, baseline: 0 }
  for (const [queryId, kind] of kinds) totals[kind] += bytes.get(queryId) ?? 0
  return totals
}
