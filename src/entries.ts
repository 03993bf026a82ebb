import { hash } from 'node:crypto'
import type { ResultField } from '@aws-sdk/client-cloudwatch-logs'

/** 5xx is critical, 4xx a warning; anything else the query matched has no severity of its own. */
export type Severity = 'critical' | 'warning' | 'none'

/** One matched log entry: a result row of the query, with what we could learn from it. */
export interface Entry {
  /** Every field the query returned, by name. Insights returns every value as a string. */
  fields: Record<string, string>
  /** `@message` parsed as JSON when it is a JSON object (JSON.parse only: log text is never evaluated). */
  json?: Record<string, unknown>
  /** The HTTP status read from the status field, when it holds a number. */
  status?: number
  severity: Severity
}

/** Turns a GetQueryResults row (a list of field/value pairs) into an Entry. */
export function toEntry(row: readonly ResultField[], statusField: string): Entry {
  const fields: Record<string, string> = {}
  for (const { field, value } of row) {
    if (field !== undefined && value !== undefined) fields[field] = value
  }
  const entry: Entry = { fields, severity: 'none' }
  const json = parseJsonObject(fields['@message'])
  if (json) entry.json = json
  const status = parseStatus(fieldValue(entry, statusField))
  if (status !== undefined) {
    entry.status = status
    entry.severity = severityOf(status)
  }
  return entry
}

/**
 * The value of a field as text: a field the query returned wins, then the same (dotted) name inside
 * `@message`'s JSON, the way Insights discovers JSON fields (`request.path` → `{"request":{"path":…}}`).
 */
export function fieldValue(entry: Entry, name: string): string | undefined {
  if (Object.hasOwn(entry.fields, name)) return entry.fields[name]
  const { json } = entry
  if (!json) return undefined
  const found = (Object.hasOwn(json, name) ? json[name] : undefined) ?? lookupDotted(json, dottedPath(name))
  if (found === undefined || found === null) return undefined
  return typeof found === 'object' ? nestedText(found) : String(found)
}

/** `request.path` → `['request', 'path']`, split once per name: the digest asks for every entry. */
const dottedPaths = new Map<string, readonly string[]>()

function dottedPath(name: string): readonly string[] {
  let path = dottedPaths.get(name)
  if (path === undefined) {
    path = name.split('.')
    dottedPaths.set(name, path)
  }
  return path
}

/** A nested value as JSON text; a hostile line nested thousands deep would overflow JSON.stringify. */
function nestedText(value: object): string {
  try {
    return JSON.stringify(value)
  } catch {
    return '[nested JSON too deep to show]'
  }
}

/**
 * An id for an entry that stays the same when another query returns it again: a hash of every field
 * the query returned except `@ptr` (log group, `@timestamp` and `@message` with the default query).
 * `@ptr` is left out because AWS does not document it as stable across queries.
 *
 * The hashed text is `name NUL value NUL` for each field in name order. A NUL or SOH inside a name
 * or value gets a SOH before it, so no two different sets of fields give the same text
 * (`{a: "x\0b\0y"}` is not `{a: "x", b: "y"}`), while text without them is hashed exactly as
 * before, so fingerprints in checkpoints saved by earlier versions still match. One one-shot hash of
 * one string: an incremental hash updated per field costs about twice as much per row.
 */
export function fingerprint(entry: Entry): string {
  let text = ''
  for (const name of Object.keys(entry.fields).sort()) {
    if (name === '@ptr') continue
    text += `${escapeSeparators(name)}\u0000${escapeSeparators(entry.fields[name] as string)}\u0000`
  }
  // 72 bits: a chance of about 1 in 10^13 that two of 10,000 entries in an overlap collide.
  return hash('sha256', text, 'base64url').slice(0, 12)
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL and SOH are the separators
const SEPARATORS = /[\u0000\u0001]/g

/** `text` with a SOH before each NUL and SOH, so field text cannot forge the separators. */
function escapeSeparators(text: string): string {
  // One scan of the text in the usual case that it has neither (a global regex's test moves lastIndex).
  SEPARATORS.lastIndex = 0
  return SEPARATORS.test(text) ? text.replace(SEPARATORS, '\u0001$&') : text
}

/** How GetQueryResults returns `@timestamp` (`2026-11-23 10:00:00.123`, UTC), or ISO 8601 with a zone. */
const TIMESTAMP = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/

/** The last second parsed: rows arrive sorted by time, so neighbours share their second. */
let lastSecond = { text: '', second: Number.NaN }

/** The epoch second of a `@timestamp` in the form GetQueryResults returns, else undefined. */
export function timestampSecond(text: string): number | undefined {
  const match = TIMESTAMP.exec(text)
  if (!match) return undefined
  const secondText = `${match[1]}T${match[2]}${match[4] ?? 'Z'}`
  if (secondText !== lastSecond.text) lastSecond = { text: secondText, second: Date.parse(secondText) / 1000 }
  return Number.isNaN(lastSecond.second) ? undefined : lastSecond.second
}

/** The epoch second of the entry's `@timestamp`, when it has one Date.parse can read. */
export function entrySecond(entry: Entry): number | undefined {
  const text = entry.fields['@timestamp']
  if (text === undefined) return undefined
  const second = timestampSecond(text)
  if (second !== undefined) return second
  const ms = insightsTimeMs(text)
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000)
}

/**
 * A time as Insights writes it (`2026-01-15 12:00:00.123`, UTC), or anything else Date.parse reads:
 * ISO 8601 with a zone, or without one (taken as UTC). Epoch ms; NaN when unreadable.
 */
export function insightsTimeMs(text: string): number {
  return Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text.replace(' ', 'T')}Z`)
}

/** API Gateway access-log field names (REST and HTTP APIs, the AWS console's JSON formats), by role. */
export const ACCESS_LOG_FIELDS = {
  method: ['httpMethod', 'method'],
  path: ['resourcePath', 'routeKey', 'path'],
  latency: ['responseLatency', 'integrationLatency', 'latency', 'integration.latency'],
  requestId: ['requestId', 'extendedRequestId'],
} as const

/** The first of `names` the entry has a value for; API Gateway logs a missing value as `-`. */
export function firstValue(entry: Entry, names: readonly string[]): string | undefined {
  for (const name of names) {
    const value = fieldValue(entry, name)
    if (value !== undefined && value !== '' && value !== '-') return value
  }
  return undefined
}

export function severityOf(status: number): Severity {
  if (status >= 500 && status <= 599) return 'critical'
  if (status >= 400 && status <= 499) return 'warning'
  return 'none'
}

const severityRank: Record<Severity, number> = { none: 0, warning: 1, critical: 2 }

/** The worse of two severities. */
export function worse(a: Severity, b: Severity): Severity {
  return severityRank[a] >= severityRank[b] ? a : b
}

function lookupDotted(value: unknown, path: readonly string[]): unknown {
  let current = value
  for (const key of path) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, key)) return undefined
    current = (current as Record<string, unknown>)[key]
  }
  return current
}

function parseJsonObject(text: string | undefined): Record<string, unknown> | undefined {
  // Cheap check first: most non-JSON lines never reach JSON.parse.
  if (text === undefined || !text.trimStart().startsWith('{')) return undefined
  try {
    const parsed: unknown = JSON.parse(text)
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}

function parseStatus(text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  const trimmed = text.trim()
  // API Gateway logs the status as a quoted string ("502"); anything else is not a status.
  if (!/^\d{3}$/.test(trimmed)) return undefined
  return Number(trimmed)
}
