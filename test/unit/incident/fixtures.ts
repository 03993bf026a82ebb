import type { Entry } from '../../../src/entries.js'
import type { Incident } from '../../../src/incident/incident.js'
import { accessLog, WINDOW_START } from '../notify/fixtures.js'

export const MINUTE = 60

/** `n` API Gateway entries with this status on this route. */
export function entries(n: number, status: string, route = '/orders'): Entry[] {
  return Array.from({ length: n }, () => accessLog({ status, httpMethod: 'POST', resourcePath: route }))
}

/** An incident as a run would have left it: 40m of 4xx and 5xx on two routes, firing. */
export function makeIncident(overrides: Partial<Incident> = {}): Incident {
  return {
    id: '20261123-1005-3fa2',
    monitor: 'api-errors',
    openedAt: WINDOW_START + 5 * MINUTE + 30,
    firstSeen: WINDOW_START,
    lastSeen: WINDOW_START + 40 * MINUTE,
    status: 'firing',
    totals: { total: 1_234, critical: 12, warning: 1_222 },
    topStatuses: [
      { value: '404', count: 1_000 },
      { value: '429', count: 222 },
      { value: '502', count: 12 },
    ],
    topRoutes: [
      { value: '/items/{id}', count: 1_100 },
      { value: '/orders', count: 134 },
    ],
    windows: 8,
    escalated: true,
    criticalAlerted: true,
    reopened: 0,
    cards: [{ channel: 'C0123ABCD', ts: '1795478730.000100', requested: 'C0123ABCD' }],
    firstRunUrl: 'https://github.com/acme/api/actions/runs/1001',
    lastRunUrl: 'https://github.com/acme/api/actions/runs/1008',
    ...overrides,
  }
}

/** Log text written to do harm in Slack or on GitHub when shown as it is. */
export const HOSTILE_VALUES = [
  '<!channel>',
  '<!here>',
  '@here',
  '<@U0123ABCD>',
  '*bold* _italic_ ~strike~',
  '`code` ```fence```',
  '<https://evil.example/login|Reset your password>',
  '[click](https://evil.example)',
  '<script>alert(1)</script>',
  '| a | b |',
  '#1 @octocat',
  '\u202Egnp.exe',
]

/** Numeric and named references decoded, as GitHub renders them. */
export function decodeReferences(text: string): string {
  const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"' }
  return text
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCodePoint(Number(code)))
    .replace(/&(amp|lt|gt|quot);/g, (_, name: string) => named[name] ?? '')
}
