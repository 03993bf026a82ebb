/**
 * Realistic API Gateway access logs, in the JSON formats AWS documents for REST APIs and HTTP APIs:
 * mostly 2xx, with bursts of 4xx and 5xx and a few slow integrations. Deterministic for a given seed.
 */

export interface AccessLogEvent {
  /** Event time, epoch ms. */
  timestamp: number
  message: string
}

export interface AccessLogOptions {
  /** First event time, epoch ms. */
  from: number
  /** Last event time (exclusive), epoch ms. */
  to: number
  format: 'rest' | 'http'
  /** Mean gap between requests, ms. */
  meanGapMs?: number
  seed?: number
}

interface Route {
  method: string
  path: string
  weight: number
}

const REST_ROUTES: Route[] = [
  { method: 'GET', path: '/items', weight: 30 },
  { method: 'GET', path: '/items/{id}', weight: 40 },
  { method: 'POST', path: '/orders', weight: 12 },
  { method: 'GET', path: '/orders/{id}', weight: 10 },
  { method: 'DELETE', path: '/items/{id}', weight: 3 },
  { method: 'PUT', path: '/items/{id}', weight: 5 },
]

const HTTP_ROUTES: Route[] = [
  { method: 'GET', path: '/v2/catalog', weight: 35 },
  { method: 'GET', path: '/v2/catalog/{sku}', weight: 35 },
  { method: 'POST', path: '/v2/checkout', weight: 15 },
  { method: 'POST', path: '/v2/login', weight: 15 },
]

/** A small seeded PRNG (mulberry32): the same seed gives the same hour of logs. */
export function random(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

function pick<T extends { weight: number }>(items: readonly T[], rand: () => number): T {
  const total = items.reduce((sum, item) => sum + item.weight, 0)
  let roll = rand() * total
  for (const item of items) {
    roll -= item.weight
    if (roll < 0) return item
  }
  return items[items.length - 1] as T
}

/** API Gateway's `$context.requestTime` format: `23/Nov/2026:10:00:00 +0000`. */
function requestTime(ms: number): string {
  const date = new Date(ms)
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${pad(date.getUTCDate())}/${months[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
}

function hex(rand: () => number, length: number): string {
  let text = ''
  while (text.length < length) text += Math.floor(rand() * 16).toString(16)
  return text
}

function requestId(rand: () => number): string {
  return `${hex(rand, 8)}-${hex(rand, 4)}-${hex(rand, 4)}-${hex(rand, 4)}-${hex(rand, 12)}`
}

interface Burst {
  start: number
  end: number
  statuses: number[]
  path?: string
}

/** Where the hour goes wrong: a 5xx burst from a failing integration, a wave of 4xx, some throttling. */
function bursts(from: number, to: number, rand: () => number, format: 'rest' | 'http'): Burst[] {
  const span = to - from
  const at = (fraction: number, minutes: number): Omit<Burst, 'statuses'> => ({
    start: from + span * fraction,
    end: from + span * fraction + minutes * 60_000,
  })
  const paths = format === 'rest' ? ['/orders', '/items/{id}'] : ['/v2/checkout', '/v2/login']
  return [
    { ...at(0.2 + rand() * 0.05, 3), statuses: [502, 502, 504, 500], path: paths[0] as string },
    { ...at(0.55 + rand() * 0.05, 4), statuses: [403, 404, 404, 400], path: paths[1] as string },
    { ...at(0.93, 3), statuses: [429, 429, 503, 500, 404], path: paths[0] as string },
  ]
}

export function accessLogs(options: AccessLogOptions): AccessLogEvent[] {
  const rand = random(options.seed ?? 7)
  const routes = options.format === 'rest' ? REST_ROUTES : HTTP_ROUTES
  const meanGap = options.meanGapMs ?? 2000
  const hour = bursts(options.from, options.to, rand, options.format)
  const events: AccessLogEvent[] = []
  for (
    let time = options.from;
    time < options.to;
    time += Math.max(1, Math.round(-Math.log(1 - rand()) * meanGap))
  ) {
    const burst = hour.find((b) => time >= b.start && time < b.end)
    let route = pick(routes, rand)
    let status = rand() < 0.01 ? 404 : rand() < 0.003 ? 500 : 200
    if (route.method === 'POST' && status === 200) status = 201
    if (burst && rand() < 0.7) {
      status = burst.statuses[Math.floor(rand() * burst.statuses.length)] as number
      route = routes.find((r) => r.path === burst.path) ?? route
    }
    const slow = rand() < 0.004
    const integrationLatency = slow ? 8000 + Math.floor(rand() * 21000) : 10 + Math.floor(rand() * 120)
    const latency = status === 504 ? 29_000 : integrationLatency + Math.floor(rand() * 15)
    events.push({
      timestamp: Math.floor(time),
      message: JSON.stringify(
        formatLine(options.format, route, status, latency, integrationLatency, time, rand),
      ),
    })
  }
  return events
}

function formatLine(
  format: 'rest' | 'http',
  route: Route,
  status: number,
  latency: number,
  integrationLatency: number,
  time: number,
  rand: () => number,
): Record<string, string> {
  const ip = `203.0.113.${1 + Math.floor(rand() * 254)}`
  const concrete = route.path.replace(/\{[^}]+\}/g, () => String(1000 + Math.floor(rand() * 9000)))
  if (format === 'rest') {
    // The console's JSON example for REST APIs (status and lengths logged as strings).
    return {
      requestId: requestId(rand),
      extendedRequestId: hex(rand, 16),
      ip,
      caller: '-',
      user: '-',
      requestTime: requestTime(time),
      httpMethod: route.method,
      resourcePath: route.path,
      path: `/prod${concrete}`,
      status: String(status),
      protocol: 'HTTP/1.1',
      responseLength: String(status >= 400 ? 36 : 200 + Math.floor(rand() * 4000)),
      responseLatency: String(latency),
      integrationLatency: status === 504 ? '-' : String(integrationLatency),
    }
  }
  // The JSON format AWS documents for HTTP APIs.
  return {
    requestId: requestId(rand),
    ip,
    requestTime: requestTime(time),
    httpMethod: route.method,
    routeKey: `${route.method} ${route.path}`,
    path: concrete,
    status: String(status),
    protocol: 'HTTP/1.1',
    responseLength: String(status >= 400 ? 36 : 200 + Math.floor(rand() * 4000)),
    integrationLatency: String(integrationLatency),
  }
}
