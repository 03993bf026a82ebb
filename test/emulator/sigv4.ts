import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import { headerValue, type WireRequest } from './http-types.js'

/**
 * AWS Signature Version 4, recomputed from the wire request the way the service does
 * (docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html), independently of the
 * SDK's signer so that the real client's signatures are checked, not merely echoed.
 */

export interface SigV4Authorization {
  accessKeyId: string
  /** YYYYMMDD from the credential scope. */
  date: string
  region: string
  service: string
  signedHeaders: string[]
  signature: string
}

export class SigV4Error extends Error {
  constructor(
    readonly errorType: string,
    message: string,
  ) {
    super(message)
  }
}

const ALGORITHM = 'AWS4-HMAC-SHA256'

/** Parses `AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/logs/aws4_request, SignedHeaders=a;b, Signature=hex`. */
export function parseAuthorization(header: string): SigV4Authorization {
  const trimmed = header.trim()
  if (!trimmed.startsWith(`${ALGORITHM} `)) {
    throw new SigV4Error('IncompleteSignatureException', `Unsupported Authorization Type`)
  }
  const parts = new Map<string, string>()
  for (const part of trimmed.slice(ALGORITHM.length + 1).split(',')) {
    const eq = part.indexOf('=')
    if (eq > 0) parts.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim())
  }
  const credential = parts.get('Credential')
  const signedHeaders = parts.get('SignedHeaders')
  const signature = parts.get('Signature')
  if (!credential || !signedHeaders || !signature) {
    throw new SigV4Error(
      'IncompleteSignatureException',
      "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters.",
    )
  }
  const [accessKeyId, date, region, service, terminator, ...rest] = credential.split('/')
  if (!accessKeyId || !date || !region || !service || terminator !== 'aws4_request' || rest.length > 0) {
    throw new SigV4Error(
      'IncompleteSignatureException',
      `Credential should be scoped to a valid region, the correct service and end with 'aws4_request'. Got '${credential}'.`,
    )
  }
  return { accessKeyId, date, region, service, signedHeaders: signedHeaders.split(';'), signature }
}

/** encodeURIComponent plus the RFC 3986 reserved characters it leaves alone. */
function escapeUri(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  )
}

/** Non-S3 services normalise the path and encode it a second time (the SDK's `uriEscapePath`). */
function canonicalPath(path: string): string {
  const segments: string[] = []
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue
    if (segment === '..') segments.pop()
    else segments.push(segment)
  }
  const normalized = `${path.startsWith('/') ? '/' : ''}${segments.join('/')}${segments.length > 0 && path.endsWith('/') ? '/' : ''}`
  return escapeUri(normalized).replace(/%2F/g, '/')
}

function canonicalQuery(query: string): string {
  if (query === '') return ''
  const pairs: string[] = []
  for (const part of query.split('&')) {
    if (part === '') continue
    const eq = part.indexOf('=')
    const key = decodeURIComponent(eq < 0 ? part : part.slice(0, eq))
    const value = eq < 0 ? '' : decodeURIComponent(part.slice(eq + 1))
    if (key.toLowerCase() === 'x-amz-signature') continue
    pairs.push(`${escapeUri(key)}=${escapeUri(value)}`)
  }
  return pairs.sort().join('&')
}

function canonicalHeaderValue(headers: IncomingHttpHeaders, name: string): string {
  return (headerValue(headers, name) ?? '')
    .replace(/[\r\n]/g, ' ')
    .replace(/[ \t]+/g, ' ')
    .replace(/^ | $/g, '')
}

function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex')
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest()
}

/** The signature the request should carry if it was signed with `secretAccessKey`. */
function expectedSignature(
  request: WireRequest,
  auth: SigV4Authorization,
  secretAccessKey: string,
  amzDate: string,
): string {
  const q = request.url.indexOf('?')
  const path = q < 0 ? request.url : request.url.slice(0, q)
  const query = q < 0 ? '' : request.url.slice(q + 1)
  const signed = [...auth.signedHeaders].sort()
  const payloadHash = headerValue(request.headers, 'x-amz-content-sha256') ?? sha256Hex(request.body)
  const canonicalRequest = [
    request.method,
    canonicalPath(path),
    canonicalQuery(query),
    ...signed.map((name) => `${name}:${canonicalHeaderValue(request.headers, name)}`),
    '',
    signed.join(';'),
    payloadHash,
  ].join('\n')
  const scope = `${auth.date}/${auth.region}/${auth.service}/aws4_request`
  const stringToSign = [ALGORITHM, amzDate, scope, sha256Hex(canonicalRequest)].join('\n')
  const kDate = hmac(`AWS4${secretAccessKey}`, auth.date)
  const kRegion = hmac(kDate, auth.region)
  const kService = hmac(kRegion, auth.service)
  const kSigning = hmac(kService, 'aws4_request')
  return hmac(kSigning, stringToSign).toString('hex')
}

/** AWS refuses a SigV4 request signed more than 5 minutes before or after its own clock. */
const MAX_SIGNING_SKEW_MS = 5 * 60_000

/** `20260115T120000Z` → epoch ms. */
function amzDateMs(amzDate: string): number {
  const [, y, mo, d, h, mi, s] = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate) ?? []
  return Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s))
}

/**
 * Checks everything of the signature except which key it names (the caller looks the secret up).
 * With `expected.now` (the service's clock, ms), the signing time too, as AWS does: more than 5 minutes
 * off is `InvalidSignatureException` with AWS's wording, e.g. "Signature expired: 20140325T143453Z is
 * now earlier than 20140325T143751Z (20140325T144251Z - 5 min.)" (aws/aws-sdk-js#254 and others quote
 * it), and the SDK corrects its clock from the answer's Date header and retries.
 */
export function verifySignature(
  request: WireRequest,
  auth: SigV4Authorization,
  secretAccessKey: string,
  expected: { region: string; service: string; now?: number },
): void {
  if (auth.service !== expected.service) {
    throw new SigV4Error(
      'InvalidSignatureException',
      `Credential should be scoped to correct service: '${expected.service}'. `,
    )
  }
  if (auth.region !== expected.region) {
    throw new SigV4Error('InvalidSignatureException', `Credential should be scoped to a valid region. `)
  }
  if (!auth.signedHeaders.includes('host')) {
    throw new SigV4Error(
      'InvalidSignatureException',
      "'Host' must be a 'SignedHeader' in the AWS Authorization.",
    )
  }
  const amzDate = headerValue(request.headers, 'x-amz-date')
  if (!amzDate || !/^\d{8}T\d{6}Z$/.test(amzDate)) {
    throw new SigV4Error(
      'IncompleteSignatureException',
      "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
    )
  }
  if (amzDate.slice(0, 8) !== auth.date) {
    throw new SigV4Error(
      'InvalidSignatureException',
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${auth.date}' != '${amzDate.slice(0, 8)}', from '${amzDate}'.`,
    )
  }
  if (expected.now !== undefined) checkSigningTime(amzDate, expected.now)
  const contentSha = headerValue(request.headers, 'x-amz-content-sha256')
  if (
    contentSha !== undefined &&
    contentSha !== 'UNSIGNED-PAYLOAD' &&
    contentSha !== sha256Hex(request.body)
  ) {
    throw new SigV4Error(
      'InvalidSignatureException',
      'The provided x-amz-content-sha256 header does not match what was computed.',
    )
  }
  const want = Buffer.from(expectedSignature(request, auth, secretAccessKey, amzDate), 'hex')
  const got = Buffer.from(auth.signature, 'hex')
  if (got.length !== want.length || !timingSafeEqual(got, want)) {
    throw new SigV4Error(
      'InvalidSignatureException',
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    )
  }
}

function checkSigningTime(amzDate: string, nowMs: number): void {
  const signedAt = amzDateMs(amzDate)
  const format = (ms: number) => new Date(ms).toISOString().replace(/[-:]|\.\d{3}/g, '')
  const now = format(nowMs)
  if (signedAt < nowMs - MAX_SIGNING_SKEW_MS) {
    throw new SigV4Error(
      'InvalidSignatureException',
      `Signature expired: ${amzDate} is now earlier than ${format(nowMs - MAX_SIGNING_SKEW_MS)} (${now} - 5 min.)`,
    )
  }
  if (signedAt > nowMs + MAX_SIGNING_SKEW_MS) {
    throw new SigV4Error(
      'InvalidSignatureException',
      `Signature not yet current: ${amzDate} is still later than ${format(nowMs + MAX_SIGNING_SKEW_MS)} (${now} + 5 min.)`,
    )
  }
}
