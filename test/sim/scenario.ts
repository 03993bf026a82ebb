/**
 * One simulated day for insights-watch, decided up front from a seed: when each of the 288 cron runs
 * actually starts (if at all), and every API Gateway access-log line with the moment it reaches the
 * service. Pure data: nothing here talks to the emulator or runs the action.
 */
import { random } from '../support/access-logs.js'

export const MINUTE = 60_000
export const HOUR = 60 * MINUTE

/** What happened to one scheduled run. */
type Fate =
  /** Started 0–15 minutes after its scheduled time, like most of GitHub's cron runs. */
  | 'late'
  /** Started 30–60 minutes late. */
  | 'stalled'
  /** GitHub never started it. */
  | 'never'
  /** Would have started during the outage, when no run starts at all. */
  | 'outage'

export interface ScheduledRun {
  /** 0…287, in schedule order. */
  index: number
  /** When cron said it was due, epoch ms. */
  nominal: number
  /** When it would start, epoch ms; also set for runs the outage swallowed, for the record. */
  actual: number
  fate: Fate
}

export interface LogLine {
  requestId: string
  /** Event time, epoch ms. */
  timestamp: number
  /** Event time to ingestion, ms: the event is invisible to queries before `timestamp + lag`. */
  lag: number
  status: number
  message: string
  /** True for the one line placed on purpose at the outage's edge (see `probe` below). */
  probe?: true
}

export interface Day {
  runs: ScheduledRun[]
  /** In timestamp order. */
  lines: LogLine[]
  outage: { from: number; to: number }
}

export interface DayOptions {
  /** Epoch ms of the first scheduled run. */
  start: number
  seed: number
  /** A label that keeps request ids apart between days. */
  name: string
}

const RUNS_PER_DAY = 288
const CRON_PERIOD = 5 * MINUTE
const ERROR_STATUSES = [400, 403, 404, 404, 429, 500, 502, 502, 503, 504]
const ROUTES = [
  ['GET', '/items/{id}'],
  ['GET', '/items'],
  ['POST', '/orders'],
  ['GET', '/orders/{id}'],
] as const

export function simulateDay({ start, seed, name }: DayOptions): Day {
  const rand = random(seed)
  // The outage sits mid-morning, well away from both ends of the day: 75 minutes in which no run
  // starts, longer than max-catch-up (1 h) plus a cron period, so the next run must name a gap.
  const outage = { from: start + 9 * HOUR, to: start + 9 * HOUR + 75 * MINUTE }

  const runs: ScheduledRun[] = []
  for (let index = 0; index < RUNS_PER_DAY; index++) {
    const nominal = start + index * CRON_PERIOD
    const roll = rand()
    let fate: Fate
    let actual: number
    if (roll < 0.03) {
      fate = 'never'
      actual = nominal
    } else if (roll < 0.05) {
      fate = 'stalled'
      actual = nominal + Math.round((30 + 30 * rand()) * MINUTE)
    } else {
      // Skewed towards small delays (most runs a few minutes late, fewer near 15), as GitHub's are.
      fate = 'late'
      actual = nominal + Math.round(15 * MINUTE * rand() ** 2)
    }
    if (fate !== 'never' && actual >= outage.from && actual < outage.to) fate = 'outage'
    runs.push({ index, nominal, actual, fate })
  }

  const started = runs.filter((run) => run.fate === 'late' || run.fate === 'stalled')
  const firstStart = Math.min(...started.map((run) => run.actual))
  const lastStart = Math.max(...started.map((run) => run.actual))

  // Traffic begins well before the first run's window and stops 10 minutes before the last run:
  // an entry the last run could not see yet would only be checked by tomorrow's first run, and
  // counting it as missed would blame the action for where the simulation ends.
  const lines: LogLine[] = []
  let sequence = 0
  for (let time = firstStart - 30 * MINUTE; time < lastStart - 10 * MINUTE; ) {
    // 5% land exactly on a whole second: `end.000` is where the instant and whole-second readings of
    // StartQuery's end differ.
    const timestamp = rand() < 0.05 ? Math.floor(time / 1000) * 1000 : Math.floor(time)
    const error = rand() < 0.3
    const status = error
      ? (ERROR_STATUSES[Math.floor(rand() * ERROR_STATUSES.length)] as number)
      : rand() < 0.8
        ? 200
        : 201
    // 0.5% are backdated (a client buffering and flushing late): 5–40 minutes; the rest 0–150 s.
    const lag = rand() < 0.005 ? Math.round((5 + 35 * rand()) * MINUTE) : Math.round(150_000 * rand())
    const [method, path] = ROUTES[Math.floor(rand() * ROUTES.length)] as (typeof ROUTES)[number]
    const requestId = `${name}-${String(sequence++).padStart(5, '0')}`
    lines.push({ requestId, timestamp, lag, status, message: accessLine(requestId, method, path, status) })
    time += 15_000 + 5_000 * rand()
  }

  // Random traffic rarely puts an entry on a window's last second, where the two readings of
  // StartQuery's end differ; so every fourth run gets one there (at .000, .001, .500 or .999 of it),
  // arriving 0–40 s later, before that run queries.
  for (const [n, run] of started.filter((run) => run.actual < lastStart - 10 * MINUTE).entries()) {
    if (n % 4 !== 0) continue
    const end = Math.floor(run.actual / 1000) - 60
    const requestId = `${name}-edge-${String(n).padStart(3, '0')}`
    const status = rand() < 0.5 ? 404 : 503
    lines.push({
      requestId,
      timestamp: end * 1000 + ([0, 1, 500, 999][(n / 4) % 4] as number),
      lag: Math.round(40_000 * rand()),
      status,
      message: accessLine(requestId, 'GET', '/items/{id}', status),
    })
  }

  // The probe: a 502 twenty seconds before the last checkpoint ahead of the outage, arriving 100 s
  // after it happened — inside the lag budget (query-delay + overlap = 180 s), but after the last run
  // before the outage queried. Only that run's overlap, re-checked by the next run, could catch it;
  // the next run comes after the outage. Random lines land here only by chance, so one is placed.
  const beforeOutage = started.filter((run) => run.actual < outage.from).at(-1)
  if (beforeOutage) {
    const checkpoint = Math.floor(beforeOutage.actual / 1000) - 60
    const requestId = `${name}-probe`
    lines.push({
      requestId,
      timestamp: (checkpoint - 20) * 1000 + 500,
      lag: 100_000,
      status: 502,
      message: accessLine(requestId, 'POST', '/orders', 502),
      probe: true,
    })
  }

  lines.sort((a, b) => a.timestamp - b.timestamp)
  return { runs, lines, outage }
}

/** An API Gateway REST access-log line in the JSON format AWS documents (status as a string). */
function accessLine(requestId: string, method: string, path: string, status: number): string {
  return JSON.stringify({
    requestId,
    httpMethod: method,
    resourcePath: path,
    status: String(status),
    responseLatency: String(status === 504 ? 29_000 : 40),
  })
}

/** A stretch of time, epoch ms, `from` inclusive, `to` exclusive. */
export interface Stretch {
  from: number
  to: number
}

/** A day for the quiet defaults (issue 12): background 4xx all day, two short 5xx incidents. */
export interface QuietDay {
  runs: ScheduledRun[]
  /** In timestamp order. */
  lines: LogLine[]
  /** When each incident's 5xx were logged (none inside its `pause`). */
  incidents: Array<Stretch & { pause?: Stretch }>
  /** Scheduled runs that never ran because of the dropped stretch (on top of the 3% never started). */
  dropped: Stretch
}

/**
 * The day the quiet defaults are measured on: 288 five-minute cron runs, most 0–12 minutes late, 3%
 * never started, 2% stalled 20–40 minutes, and a half hour (13:00–13:30) in which no scheduled run
 * starts; no stall reaches max-catch-up (1 h), so no run names a gap. The traffic: 2xx every 20–40 s, a
 * background 4xx (404 mostly; 401, 403, 400: scanners, expired tokens, typos) every 1–5 minutes, and
 * two incidents of a 5xx every 30–60 s: 12 minutes at 04:10, 15 minutes at 15:40. Logs reach the
 * service 0–90 s late, within query-delay + overlap, so every entry is seen.
 */
export function simulateQuietDay({ start, seed, name }: DayOptions): QuietDay {
  const rand = random(seed)
  const dropped = { from: start + 13 * HOUR, to: start + 13 * HOUR + 30 * MINUTE }
  const runs: ScheduledRun[] = []
  for (let index = 0; index < RUNS_PER_DAY; index++) {
    const nominal = start + index * CRON_PERIOD
    const roll = rand()
    let fate: Fate = 'late'
    let actual = nominal + Math.round(12 * MINUTE * rand() ** 2)
    if (roll < 0.03) {
      fate = 'never'
      actual = nominal
    } else if (roll < 0.05) {
      fate = 'stalled'
      actual = nominal + Math.round((20 + 20 * rand()) * MINUTE)
    }
    if (nominal >= dropped.from && nominal < dropped.to) fate = 'never'
    runs.push({ index, nominal, actual, fate })
  }
  const started = runs.filter((run) => run.fate !== 'never')
  const firstStart = Math.min(...started.map((run) => run.actual))
  const lastStart = Math.max(...started.map((run) => run.actual))
  const incidents: QuietDay['incidents'] = [
    { from: start + 4 * HOUR + 10 * MINUTE, to: start + 4 * HOUR + 22 * MINUTE },
    // A flapping one: 5xx, twelve clean minutes, 5xx again. One episode under resolve-after 15m.
    {
      from: start + 15 * HOUR + 40 * MINUTE,
      to: start + 16 * HOUR + 5 * MINUTE,
      pause: { from: start + 15 * HOUR + 47 * MINUTE, to: start + 15 * HOUR + 59 * MINUTE },
    },
  ]

  const lines: LogLine[] = []
  let sequence = 0
  const log = (timestamp: number, status: number) => {
    const [method, path] = ROUTES[Math.floor(rand() * ROUTES.length)] as (typeof ROUTES)[number]
    const requestId = `${name}-${String(sequence++).padStart(5, '0')}`
    const lag = Math.round(90_000 * rand())
    lines.push({ requestId, timestamp, lag, status, message: accessLine(requestId, method, path, status) })
  }
  // As in simulateDay: traffic from before the first window to 10 minutes before the last run.
  const from = firstStart - 30 * MINUTE
  const to = lastStart - 10 * MINUTE
  for (let time = from; time < to; time += 20_000 + 20_000 * rand()) log(Math.floor(time), 200)
  const BACKGROUND = [404, 404, 404, 404, 404, 401, 403, 400]
  for (let time = from; time < to; time += (1 + 4 * rand()) * MINUTE) {
    log(Math.floor(time), BACKGROUND[Math.floor(rand() * BACKGROUND.length)] as number)
  }
  const INCIDENT = [500, 502, 502, 503, 504]
  for (const incident of incidents) {
    for (let time = incident.from; time < incident.to; time += 30_000 + 30_000 * rand()) {
      if (incident.pause && time >= incident.pause.from && time < incident.pause.to) continue
      log(Math.floor(time), INCIDENT[Math.floor(rand() * INCIDENT.length)] as number)
    }
  }
  lines.sort((a, b) => a.timestamp - b.timestamp)
  return { runs, lines, incidents, dropped }
}
