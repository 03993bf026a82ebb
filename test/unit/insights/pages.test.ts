import { describe, expect, it } from 'vitest'
import { fetchPages, MIN_PAGE_INTERVAL_MS } from '../../../src/insights/pages.js'
import { completeQuery } from '../../../src/insights/poll.js'
import type { QueryDeps } from '../../../src/insights/types.js'
import { QUERY_ID, query, rejection, row, scripted } from './scripted-client.js'

/** Completes the query, then fetches its pages while `wantMore(rows held)` says so, keeping every row. */
async function completeAndFetch(deps: QueryDeps, wantMore: (rows: number) => boolean = () => true) {
  const completed = await completeQuery(query(), deps)
  let rows = completed.rows
  const fetched = await fetchPages(query(), completed, deps, {
    wantMore: () => wantMore(rows.length),
    onPage: (page) => {
      rows = rows.concat(page)
    },
  })
  return { rows, fetched }
}

describe('fetchPages', () => {
  it('fetches every nextToken page in order, spaced under 5 requests a second', async () => {
    const { deps, ops } = scripted({
      polls: [{ status: 'Running' }, { status: 'Complete', results: [row('a'), row('b')], nextToken: 't1' }],
      pages: {
        t1: { status: 'Complete', results: [row('c')], nextToken: 't2' },
        t2: { status: 'Complete', results: [row('d'), row('e')] },
      },
    })
    const result = await completeAndFetch(deps)

    expect(result.rows.map((fields) => fields[1]?.value)).toEqual(['a', 'b', 'c', 'd', 'e'])
    expect(result.fetched.nextToken).toBeUndefined()
    const requests = ops('GetQueryResults')
    expect(requests.map((call) => call.input)).toEqual([
      { queryId: QUERY_ID },
      { queryId: QUERY_ID },
      { queryId: QUERY_ID, nextToken: 't1' },
      { queryId: QUERY_ID, nextToken: 't2' },
    ])
    for (let index = 2; index < requests.length; index++) {
      const gap = (requests[index]?.at as number) - (requests[index - 1]?.at as number)
      expect(gap).toBeGreaterThanOrEqual(MIN_PAGE_INTERVAL_MS)
    }
  })

  it('hands back the nextToken left when wantMore stops it at exactly the rows wanted', async () => {
    const { deps, ops } = scripted({
      polls: [{ status: 'Complete', results: [row('a'), row('b')], nextToken: 't1' }],
    })
    const result = await completeAndFetch(deps, (rows) => rows < 2)
    expect(result.rows).toHaveLength(2)
    expect(result.fetched.nextToken).toBe('t1')
    expect(ops('GetQueryResults')).toHaveLength(1)
  })

  it('does not loop on an empty page that repeats its nextToken', async () => {
    const { deps, ops, lines } = scripted({
      polls: [{ status: 'Complete', results: [row('a')], nextToken: 't1' }],
      pages: { t1: { status: 'Complete', results: [], nextToken: 't1' } },
    })
    const result = await completeAndFetch(deps)
    expect(result.rows).toHaveLength(1)
    expect(result.fetched.nextToken).toBeUndefined()
    expect(ops('GetQueryResults')).toHaveLength(2)
    expect(lines.some((line) => line.includes('repeated its nextToken'))).toBe(true)
  })

  it('names the page, the query and the log groups when GetQueryResults fails for a page', async () => {
    const { deps, ops } = scripted({
      polls: [{ status: 'Complete', results: [row('a')], nextToken: 't1' }],
    })
    const error = await rejection(completeAndFetch(deps))
    expect(error.kind).toBe('results')
    expect(error.status).toBe('Complete')
    expect(error.queryId).toBe(QUERY_ID)
    expect(error.message).toBe(
      `GetQueryResults failed for page 2 of Insights query ${QUERY_ID} ` +
        '(log groups: /aws/apigateway/prod-access, /aws/apigateway/staging-access): unexpected nextToken t1',
    )
    expect(ops('StopQuery')).toHaveLength(0)
  })
})
