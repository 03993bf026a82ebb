import { createHash } from 'node:crypto'
import type { AlertDecision, Counts } from '../alerting.js'
import type { Breakdown } from '../digest.js'
import { ACCESS_LOG_FIELDS } from '../entries.js'
import type { Report } from '../report.js'

/**
 * An incident: what one Slack card (bot-token mode) and one GitHub issue tell, from the first alerting
 * window until it has resolved, across runs. It is the alerting episode (alerting.ts) as people follow
 * it, with two differences: every window of it is counted (a quiet period holds back no counts here,
 * each window gets its thread reply), and a recurrence shortly after it resolved reopens it instead of
 * opening another (`reopenWithinSeconds`), so a flapping API keeps one card and one issue.
 *
 * Kept in the checkpoint, so this module imports no message code: the state layer reads its shape.
 */

/** How often one value (a status, a route) occurred in the incident's windows. */
export interface ValueCount {
  value: string
  count: number
}

export interface Incident {
  /** Stable and short: `<yyyymmdd-hhmm of opening, UTC>-<4 hex>`, e.g. `20261123-1005-3fa2`. */
  id: string
  /** The monitor's name, as the card and issue show it. */
  monitor: string
  /** The run that opened it, epoch seconds (run time). */
  openedAt: number
  /** Start of its first window with matching entries, epoch seconds (log time). */
  firstSeen: number
  /** End of its latest window with matching entries (log time). */
  lastSeen: number
  /**
   * `firing`: its last window met the thresholds; `quiet`: its last window did not, and it is not yet
   * resolved (`resolve-after`); `resolved`: over, kept for `reopenWithinSeconds` to be reopened.
   */
  status: 'firing' | 'quiet' | 'resolved'
  /** Every entry of its windows, below-threshold windows included. */
  totals: Counts
  /** The status field's most frequent values over its windows, most frequent first, at most TOP_VALUES. */
  topStatuses: ValueCount[]
  /** The route fields' (`resourcePath`, `routeKey`, `path`) most frequent values, as topStatuses. */
  topRoutes: ValueCount[]
  /** Runs (windows) it has been advanced by, the opening one included. */
  windows: number
  /** 5xx came after it had alerted for 4xx only (the escalation's mention went out). */
  escalated: boolean
  /** One of its alerting windows had 5xx: the mention for 5xx went out, and does not go out again. */
  criticalAlerted: boolean
  /** When it resolved, epoch seconds (run time); only while `status` is `resolved`. */
  resolvedAt?: number
  /** Times it was reopened after resolving. */
  reopened: number
  /**
   * Its Slack card in each channel: the channel id as Slack answered it, the message's `ts`, and the
   * channel as `slack-channel` names it (`#alerts`), so a name finds its card again.
   */
  cards: IncidentCard[]
  /** The GitHub issue that records it, once created. */
  issueNumber?: number
  /** The workflow run that opened it, and the latest one that advanced it. */
  firstRunUrl?: string
  lastRunUrl?: string
}

interface IncidentCard {
  channel: string
  ts: string
  requested: string
}

/** What a run does with the incident: post a card, edit it, tell that it resolved, or nothing. */
type IncidentAction = 'open' | 'reopen' | 'update' | 'resolve' | 'none'

export interface IncidentAdvance {
  /** The incident to keep in the checkpoint; undefined when there is none (or it was dropped). */
  incident: Incident | undefined
  action: IncidentAction
  /** The mention goes out: the incident opened or reopened, or it escalated to 5xx. */
  mention: boolean
}

interface IncidentSettings {
  /** A recurrence less than this long after the incident resolved reopens it. */
  reopenWithinSeconds: number
  monitorName: string
  /** The `status-field` input: which `group-by` breakdown holds the statuses. Default `status`. */
  statusField?: string
}

/** Values kept per top list: the checkpoint stays small however many distinct routes the logs hold. */
const TOP_VALUES = 20
/** Characters kept of one value (log text): a 100,000-character route must not bloat every state. */
const MAX_VALUE_CHARS = 200

const ROUTE_FIELDS: readonly string[] = ACCESS_LOG_FIELDS.path

/**
 * The incident after this run's window and alert decision. An incident opens with the first alerting
 * window when none is open, or reopens the one that resolved less than `reopenWithinSeconds` ago. While
 * it is open every run updates it (firing or quiet by the decision), until the decision resolves the
 * episode. A run that could not check every log group (`none` while an episode is open) leaves it as it
 * was: nothing found proves nothing. The mention goes out when it opens or reopens, and once when 5xx
 * come after it alerted for 4xx only.
 */
export function advanceIncident(
  previous: Incident | undefined,
  decision: AlertDecision,
  report: Report,
  nowSeconds: number,
  settings: IncidentSettings,
): IncidentAdvance {
  const statusField = settings.statusField ?? 'status'
  if (previous === undefined || previous.status === 'resolved') {
    return startOrKeep(previous, decision, report, nowSeconds, settings, statusField)
  }
  const status = statusAfter(decision)
  if (status === undefined) return { incident: previous, action: 'none', mention: false }
  const next = moveOn(previous, report, statusField)
  if (status === 'resolved') {
    next.status = 'resolved'
    next.resolvedAt = nowSeconds
    return { incident: next, action: 'resolve', mention: false }
  }
  next.status = status
  const escalates = decision.kind === 'alert' && report.digest.critical > 0 && !previous.criticalAlerted
  if (escalates) {
    next.escalated = true
    next.criticalAlerted = true
  }
  return { incident: next, action: 'update', mention: escalates }
}

/**
 * What an open incident becomes with this decision; undefined when the run says nothing about it (a
 * run that did not check every log group, steps/alert.ts). An episode closed without a message
 * (`notify-resolved: false`, `closed`) resolves it all the same: the card must not stay open for good.
 */
function statusAfter(decision: AlertDecision): Incident['status'] | undefined {
  switch (decision.kind) {
    case 'alert':
    case 'quiet':
      return 'firing'
    case 'clearing':
      return 'quiet'
    case 'below-threshold':
      return decision.closed ? 'resolved' : 'quiet'
    case 'resolved':
      return 'resolved'
    case 'none':
      return decision.closed ? 'resolved' : undefined
  }
}

/**
 * No incident open: an alerting window opens one, or reopens the one that resolved less than
 * `reopenWithinSeconds` ago. Otherwise the resolved one is kept until then, and dropped after.
 */
function startOrKeep(
  previous: Incident | undefined,
  decision: AlertDecision,
  report: Report,
  nowSeconds: number,
  settings: IncidentSettings,
  statusField: string,
): IncidentAdvance {
  const reopenable =
    previous?.resolvedAt !== undefined && nowSeconds - previous.resolvedAt < settings.reopenWithinSeconds
      ? previous
      : undefined
  if (decision.kind !== 'alert') return { incident: reopenable, action: 'none', mention: false }
  if (reopenable) {
    const next = moveOn(reopenable, report, statusField)
    next.status = 'firing'
    delete next.resolvedAt
    next.reopened += 1
    if (report.digest.critical > 0 && !reopenable.criticalAlerted) {
      next.escalated = true
      next.criticalAlerted = true
    }
    return { incident: next, action: 'reopen', mention: true }
  }
  return {
    incident: openIncident(report, nowSeconds, { monitorName: settings.monitorName, statusField }),
    action: 'open',
    mention: true,
  }
}

function openIncident(
  report: Report,
  nowSeconds: number,
  { monitorName, statusField }: { monitorName: string; statusField: string },
): Incident {
  const { digest, window } = report
  const incident: Incident = {
    id: incidentId(monitorName, nowSeconds),
    monitor: monitorName,
    openedAt: nowSeconds,
    firstSeen: window.start,
    lastSeen: window.end,
    status: 'firing',
    totals: { total: digest.total, critical: digest.critical, warning: digest.warning },
    topStatuses: mergeTop([], statusCounts(digest.breakdowns, statusField)),
    topRoutes: mergeTop([], routeCounts(digest.breakdowns)),
    windows: 1,
    escalated: false,
    criticalAlerted: digest.critical > 0,
    reopened: 0,
    cards: [],
  }
  if (report.runUrl !== undefined) {
    incident.firstRunUrl = report.runUrl
    incident.lastRunUrl = report.runUrl
  }
  return incident
}

/** The incident with this window's entries added: totals, top lists, last seen, windows, latest run. */
function moveOn(incident: Incident, report: Report, statusField: string): Incident {
  const { digest, window } = report
  const next: Incident = {
    ...incident,
    totals: {
      total: incident.totals.total + digest.total,
      critical: incident.totals.critical + digest.critical,
      warning: incident.totals.warning + digest.warning,
    },
    topStatuses: mergeTop(incident.topStatuses, statusCounts(digest.breakdowns, statusField)),
    topRoutes: mergeTop(incident.topRoutes, routeCounts(digest.breakdowns)),
    windows: incident.windows + 1,
    cards: incident.cards.map((card) => ({ ...card })),
  }
  if (digest.total > 0) {
    next.firstSeen = Math.min(incident.firstSeen, window.start)
    next.lastSeen = Math.max(incident.lastSeen, window.end)
  }
  if (report.runUrl !== undefined) {
    next.lastRunUrl = report.runUrl
    next.firstRunUrl ??= report.runUrl
  }
  return next
}

/** `20261123-1005-3fa2`: the opening minute in UTC, and a hash of the monitor and the opening second. */
function incidentId(monitorName: string, openedAt: number): string {
  const minute = new Date(openedAt * 1000).toISOString().slice(0, 16).replace(/[-:]/g, '').replace('T', '-')
  const hex = createHash('sha256').update(`${monitorName}\n${openedAt}`).digest('hex').slice(0, 4)
  return `${minute}-${hex}`
}

function statusCounts(breakdowns: readonly Breakdown[], statusField: string): ValueCount[] {
  return breakdowns.find((breakdown) => breakdown.field === statusField)?.counts ?? []
}

/**
 * Routes from every route field in `group-by`: a REST API logs `resourcePath`, an HTTP API `routeKey`,
 * and one monitor may watch both. The same text under two fields is one route.
 */
function routeCounts(breakdowns: readonly Breakdown[]): ValueCount[] {
  return breakdowns.filter((breakdown) => ROUTE_FIELDS.includes(breakdown.field)).flatMap((b) => b.counts)
}

/**
 * The kept top values with this window's added, at most TOP_VALUES, most frequent first. A value that
 * falls out of the top loses its count (counts are exact for values that stayed in the top all along,
 * and lower bounds otherwise): the price of a state that does not grow with the logs' variety.
 */
function mergeTop(kept: readonly ValueCount[], added: readonly ValueCount[]): ValueCount[] {
  // A Map, not an object: log text such as `__proto__` is a key like any other.
  const counts = new Map<string, number>()
  for (const { value, count } of [...kept, ...added]) {
    const key = cutValue(value)
    counts.set(key, (counts.get(key) ?? 0) + count)
  }
  const sorted = [...counts].map(([value, count]) => ({ value, count }))
  sorted.sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0))
  return sorted.slice(0, TOP_VALUES)
}

/**
 * At most MAX_VALUE_CHARS: the start and the end with `…` between, since routes that share a long
 * start (`/api/v1/…`) differ at the end; never half a surrogate pair.
 */
function cutValue(value: string): string {
  if (value.length <= MAX_VALUE_CHARS) return value
  const headLength = Math.floor((MAX_VALUE_CHARS - 1) * 0.75)
  let head = headLength
  if (isHighSurrogate(value.charCodeAt(head - 1))) head -= 1
  let tail = value.length - (MAX_VALUE_CHARS - 1 - headLength)
  if (isLowSurrogate(value.charCodeAt(tail))) tail += 1
  return `${value.slice(0, head)}…${value.slice(tail)}`
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff
}

/** An incident read back from the checkpoint, field by field; undefined when anything is malformed. */
export function parseIncident(value: unknown): Incident | undefined {
  if (!isRecord(value)) return undefined
  const { id, monitor, status, totals, escalated, criticalAlerted } = value
  if (typeof id !== 'string' || id === '' || typeof monitor !== 'string') return undefined
  if (status !== 'firing' && status !== 'quiet' && status !== 'resolved') return undefined
  if (typeof escalated !== 'boolean' || typeof criticalAlerted !== 'boolean') return undefined
  const numbers = ['openedAt', 'firstSeen', 'lastSeen', 'windows', 'reopened'] as const
  if (!numbers.every((key) => isCount(value[key]))) return undefined
  const parsedTotals = parseCounts(totals)
  const topStatuses = parseValueCounts(value.topStatuses)
  const topRoutes = parseValueCounts(value.topRoutes)
  const cards = parseCards(value.cards)
  if (!parsedTotals || !topStatuses || !topRoutes || !cards) return undefined
  const incident: Incident = {
    id,
    monitor,
    openedAt: value.openedAt as number,
    firstSeen: value.firstSeen as number,
    lastSeen: value.lastSeen as number,
    status,
    totals: parsedTotals,
    topStatuses,
    topRoutes,
    windows: value.windows as number,
    escalated,
    criticalAlerted,
    reopened: value.reopened as number,
    cards,
  }
  return withOptionalFields(incident, value)
}

/** resolvedAt (present exactly when resolved), issueNumber and the run links. */
function withOptionalFields(incident: Incident, value: Record<string, unknown>): Incident | undefined {
  const { resolvedAt, issueNumber, firstRunUrl, lastRunUrl } = value
  if ((incident.status === 'resolved') !== (resolvedAt !== undefined)) return undefined
  if (resolvedAt !== undefined) {
    if (!isCount(resolvedAt)) return undefined
    incident.resolvedAt = resolvedAt
  }
  if (issueNumber !== undefined) {
    if (!isCount(issueNumber) || issueNumber < 1) return undefined
    incident.issueNumber = issueNumber
  }
  for (const [key, url] of [
    ['firstRunUrl', firstRunUrl],
    ['lastRunUrl', lastRunUrl],
  ] as const) {
    if (url === undefined) continue
    if (typeof url !== 'string') return undefined
    incident[key] = url
  }
  return incident
}

function parseCounts(value: unknown): Counts | undefined {
  if (!isRecord(value)) return undefined
  const { total, critical, warning } = value
  if (!isCount(total) || !isCount(critical) || !isCount(warning)) return undefined
  return { total, critical, warning }
}

function parseValueCounts(value: unknown): ValueCount[] | undefined {
  if (!Array.isArray(value) || value.length > TOP_VALUES) return undefined
  const parsed: ValueCount[] = []
  for (const item of value) {
    if (!isRecord(item) || typeof item.value !== 'string' || !isCount(item.count)) return undefined
    parsed.push({ value: item.value, count: item.count })
  }
  return parsed
}

function parseCards(value: unknown): Incident['cards'] | undefined {
  if (!Array.isArray(value)) return undefined
  const cards: Incident['cards'] = []
  for (const item of value) {
    if (!isRecord(item) || typeof item.channel !== 'string' || typeof item.ts !== 'string') return undefined
    if (item.channel === '' || item.ts === '') return undefined
    // A card saved without `requested` was asked for by its id.
    const requested =
      typeof item.requested === 'string' && item.requested !== '' ? item.requested : item.channel
    cards.push({ channel: item.channel, ts: item.ts, requested })
  }
  return cards
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}
