import type { IncomingHttpHeaders } from 'node:http'

/** A request as the services see it: the raw wire pieces, body fully read. */
export interface WireRequest {
  method: string
  /** Path and query exactly as sent (SigV4 signs the encoded form). */
  url: string
  headers: IncomingHttpHeaders
  body: Buffer
  /** Whether it came over HTTPS (the emulator's `tls` listener): URLs the emulator hands out use the same scheme. */
  tls?: boolean
}

export interface Reply {
  status: number
  headers: Record<string, string>
  body: string
  /** A binary answer (blob downloads), sent instead of `body`. A `content-length` header, when set, wins. */
  raw?: Buffer
  /** The answer as data, for `calls` (the parsed JSON for JSON answers; else the body text). */
  data?: unknown
}

/** What a service learned about a call before handling it: enough to match faults and record it. */
export interface CallIdentity {
  action: string
  accessKeyId?: string
  body?: unknown
}

export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()]
  return Array.isArray(value) ? value.join(',') : value
}
