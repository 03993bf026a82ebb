import { describe, expect, it } from 'vitest'
import { buildDigest } from '../../src/digest.js'
import { toEntry } from '../../src/entries.js'

const entry = (timestamp: string, message: Record<string, unknown>) =>
  toEntry(
    [
      { field: '@timestamp', value: timestamp },
      { field: '@message', value: JSON.stringify(message) },
    ],
    'status',
  )

describe('buildDigest', () => {
  const entries = [
    entry('2026-11-23 10:00:01.000', { status: '404', httpMethod: 'GET', resourcePath: '/items' }),
    entry('2026-11-23 10:00:02.000', { status: '502', httpMethod: 'POST', resourcePath: '/orders' }),
    entry('2026-11-23 10:00:03.000', { status: '404', httpMethod: 'GET', resourcePath: '/items' }),
    entry('2026-11-23 10:00:04.000', { status: '500', httpMethod: 'GET', resourcePath: '/items' }),
    entry('2026-11-23 10:00:05.000', { status: '403', httpMethod: 'DELETE', resourcePath: '/items/{id}' }),
  ]

  it('counts all, 5xx and 4xx and finds the worst severity', () => {
    const digest = buildDigest(entries, { groupBy: [], maxSamples: 0 })
    expect(digest).toMatchObject({ total: 5, critical: 2, warning: 3, worst: 'critical', samples: [] })
  })

  it('breaks counts down by each group-by field present, most frequent first, skipping absent fields', () => {
    const digest = buildDigest(entries, { groupBy: ['status', 'routeKey', 'httpMethod'], maxSamples: 0 })
    expect(digest.breakdowns).toEqual([
      {
        field: 'status',
        counts: [
          { value: '404', count: 2 },
          { value: '403', count: 1 },
          { value: '500', count: 1 },
          { value: '502', count: 1 },
        ],
      },
      {
        field: 'httpMethod',
        counts: [
          { value: 'GET', count: 3 },
          { value: 'DELETE', count: 1 },
          { value: 'POST', count: 1 },
        ],
      },
    ])
  })

  it('samples the most severe entries first, newest first within a severity, up to max-samples', () => {
    const digest = buildDigest(entries, { groupBy: [], maxSamples: 3 })
    expect(digest.samples.map((sample) => sample.status)).toEqual([500, 502, 403])
  })

  it('is empty and without severity when nothing matched', () => {
    expect(buildDigest([], { groupBy: ['status'], maxSamples: 10 })).toEqual({
      total: 0,
      critical: 0,
      warning: 0,
      worst: 'none',
      breakdowns: [],
      samples: [],
    })
  })
})
