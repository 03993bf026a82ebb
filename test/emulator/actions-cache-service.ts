import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto'
import type { Fault } from './faults.js'
import { type CallIdentity, headerValue, type Reply, type WireRequest } from './http-types.js'

/**
 * GitHub Actions cache service v2, as `@actions/cache` 6 talks to it when `ACTIONS_CACHE_SERVICE_V2`
 * is set: Twirp JSON RPCs under `ACTIONS_RESULTS_URL`, and the archive itself moved to and from the
 * signed Azure Blob URLs those RPCs hand out.
 *
 * Twirp (`POST /twirp/github.actions.results.api.v1.CacheService/<Method>`, JSON, proto field names):
 * - `CreateCacheEntry {key, version}` → `{ok, signed_upload_url}`; an entry with the same key and
 *   version (finalized or still being uploaded) → 409 `already_exists`, with the message the service
 *   sends ("cache entry with the same key, version, and scope already exists").
 * - `FinalizeCacheEntryUpload {key, version, size_bytes}` → `{ok, entry_id}`; the uploaded blob must
 *   exist and have that size.
 * - `GetCacheEntryDownloadURL {key, restore_keys, version}` → `{ok, signed_download_url, matched_key}`,
 *   or `{ok: false}` on a miss. Only finalized entries of the same version count. Order (GitHub docs,
 *   "Cache key matching"): exact `key`; then entries whose key starts with `key`; then each restore
 *   key in turn as a prefix; among prefix matches the newest entry (reservation time, then order) wins.
 * - Bearer `ACTIONS_RUNTIME_TOKEN` or 401 `unauthenticated`; keys over 512 characters → 400
 *   `invalid_argument`. One scope only (GitHub also searches the default branch's scope).
 *
 * Blob (`/<account>/<container>/<blob>?…&sp=…&sig=…`, the IP-style URL Azure's SDK accepts for a
 * local endpoint): Put Blob (single shot, `x-ms-blob-type: BlockBlob`), Put Block (`comp=block`),
 * Put Block List (`comp=blocklist`), Get Blob (with `Range`/`x-ms-range`), Get Blob Properties (HEAD).
 * The SAS signature is checked and its permission enforced: upload URLs write, download URLs read.
 * An upload URL stops working once its entry is finalized (entries are immutable).
 */

const CACHE_TWIRP_PREFIX = '/twirp/github.actions.results.api.v1.CacheService/'
const BLOB_ACCOUNT = 'actionscache'
const BLOB_CONTAINER = 'caches'
const BLOB_PREFIX = `/${BLOB_ACCOUNT}/`
const MAX_KEY_LENGTH = 512
const TWIRP_METHODS = new Set(['CreateCacheEntry', 'FinalizeCacheEntryUpload', 'GetCacheEntryDownloadURL'])
/** How long the signed URLs claim to be valid (`se`); not enforced, the emulator clock may be simulated. */
const SAS_LIFETIME_MS = 10 * 60_000

export interface CacheEntryInfo {
  key: string
  version: string
  /** Bytes of the archive (the compressed tar `@actions/cache` uploads). */
  size: number
  /** Emulator-clock ms of the CreateCacheEntry that reserved it. */
  createdAt: number
}

interface Entry {
  id: number
  key: string
  version: string
  createdAt: number
  blobName: string
  finalized: boolean
  blob?: Buffer
  blobModifiedAt?: number
  staged: Map<string, Buffer>
}

/** Twirp error codes and their HTTP statuses (twitchtv/twirp PROTOCOL.md, "Error codes"). */
const TWIRP_STATUS: Record<string, number> = {
  canceled: 408,
  invalid_argument: 400,
  malformed: 400,
  deadline_exceeded: 408,
  not_found: 404,
  bad_route: 404,
  already_exists: 409,
  permission_denied: 403,
  unauthenticated: 401,
  resource_exhausted: 429,
  failed_precondition: 412,
  aborted: 409,
  out_of_range: 400,
  unimplemented: 501,
  internal: 500,
  unavailable: 503,
  dataloss: 500,
}

function twirpCodeFor(status: number): string {
  if (status === 503) return 'unavailable'
  if (status >= 500) return 'internal'
  const code = Object.entries(TWIRP_STATUS).find(([, s]) => s === status)?.[0]
  return code ?? 'unknown'
}

/** Azure Storage error codes a fault answers with by default. */
function blobCodeFor(status: number): string {
  switch (status) {
    case 400:
      return 'InvalidInput'
    case 403:
      return 'AuthenticationFailed'
    case 404:
      return 'BlobNotFound'
    case 409:
      return 'BlobAlreadyExists'
    case 412:
      return 'ConditionNotMet'
    case 503:
      return 'ServerBusy'
    default:
      return status >= 500 ? 'InternalError' : 'InvalidInput'
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function twirpReply(
  status: number,
  body: Record<string, unknown>,
  extra: Record<string, string> = {},
): Reply {
  return {
    status,
    headers: { 'content-type': 'application/json', ...extra },
    body: JSON.stringify(body),
    data: body,
  }
}

function twirpError(code: string, msg: string, extra: Record<string, string> = {}): Reply {
  return twirpReply(TWIRP_STATUS[code] ?? 500, { code, msg }, extra)
}

function xmlEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

function blobHeaders(): Record<string, string> {
  return {
    'x-ms-request-id': randomUUID(),
    'x-ms-version': '2025-11-05',
    date: new Date().toUTCString(),
  }
}

function blobError(status: number, code: string, message: string): Reply {
  const body =
    '<?xml version="1.0" encoding="utf-8"?><Error>' +
    `<Code>${xmlEscape(code)}</Code><Message>${xmlEscape(message)}\nRequestId:${randomUUID()}\nTime:${new Date().toISOString()}</Message></Error>`
  return {
    status,
    headers: { ...blobHeaders(), 'content-type': 'application/xml', 'x-ms-error-code': code },
    body,
    data: { code, message },
  }
}

function isTwirpPath(path: string): boolean {
  return path.startsWith(CACHE_TWIRP_PREFIX)
}

export class ActionsCacheService {
  /** The runner's `ACTIONS_RUNTIME_TOKEN`: the bearer every Twirp call must carry. */
  readonly runtimeToken = randomBytes(24).toString('hex')
  readonly #secret = randomBytes(32)
  readonly #entries: Entry[] = []
  #nextId = 1

  constructor(private readonly now: () => number) {}

  static matches(request: WireRequest): boolean {
    const path = request.url.split('?')[0] ?? ''
    return isTwirpPath(path) || path.startsWith(BLOB_PREFIX)
  }

  /** Finalized entries, oldest reservation first. */
  entries(): CacheEntryInfo[] {
    return this.#entries
      .filter((e) => e.finalized)
      .map((e) => ({ key: e.key, version: e.version, size: e.blob?.length ?? 0, createdAt: e.createdAt }))
  }

  identify(request: WireRequest): CallIdentity {
    const url = new URL(request.url, 'http://emulator')
    if (isTwirpPath(url.pathname)) {
      const action = url.pathname.slice(CACHE_TWIRP_PREFIX.length)
      try {
        return { action, body: JSON.parse(request.body.toString('utf8')) as unknown }
      } catch {
        return { action }
      }
    }
    const comp = url.searchParams.get('comp')
    let action: string
    if (request.method === 'PUT') {
      action = comp === 'block' ? 'PutBlock' : comp === 'blocklist' ? 'PutBlockList' : 'PutBlob'
    } else if (request.method === 'GET') action = 'GetBlob'
    else if (request.method === 'HEAD') action = 'GetBlobProperties'
    else action = `${request.method}Blob`
    const body: Record<string, unknown> = { blob: url.pathname, bytes: request.body.length }
    const blockId = url.searchParams.get('blockid')
    if (blockId !== null) body.blockId = blockId
    return request.method === 'PUT' ? { action, body } : { action }
  }

  handle(request: WireRequest, identity: CallIdentity): Reply {
    const url = new URL(request.url, 'http://emulator')
    return isTwirpPath(url.pathname) ? this.#twirp(request, identity) : this.#blob(request, url)
  }

  faultReply(fault: Fault, _request: WireRequest, identity: CallIdentity): Reply {
    const status = fault.status ?? (fault.retryAfterSeconds !== undefined ? 429 : 500)
    const extra: Record<string, string> =
      fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : {}
    if (TWIRP_METHODS.has(identity.action)) {
      // A 200 fault is the service's own refusal: `ok: false` with a message, which the library
      // reads as a failed reservation/finalization rather than as a transport error.
      if (status === 200)
        return twirpReply(200, { ok: false, message: fault.body ?? 'injected failure' }, extra)
      const code = fault.errorType ?? twirpCodeFor(status)
      return twirpReply(status, { code, msg: fault.body ?? `${code} (injected)` }, extra)
    }
    const code = fault.errorType ?? blobCodeFor(status)
    const reply = blobError(status, code, fault.body ?? `${code} (injected)`)
    return { ...reply, headers: { ...reply.headers, ...extra } }
  }

  internalError(message: string, request: WireRequest): Reply {
    const path = request.url.split('?')[0] ?? ''
    return isTwirpPath(path) ? twirpError('internal', message) : blobError(500, 'InternalError', message)
  }

  // --- Twirp -------------------------------------------------------------------------------------

  #twirp(request: WireRequest, identity: CallIdentity): Reply {
    if (request.method !== 'POST') {
      return twirpError('bad_route', `unsupported method ${request.method} (only POST is allowed)`)
    }
    const contentType = (headerValue(request.headers, 'content-type') ?? '').split(';')[0]?.trim()
    if (contentType !== 'application/json') {
      // The real service also speaks protobuf; the emulator only the JSON that @actions/cache sends.
      return twirpError('bad_route', `unexpected Content-Type: ${JSON.stringify(contentType)}`)
    }
    if (headerValue(request.headers, 'authorization') !== `Bearer ${this.runtimeToken}`) {
      return twirpError('unauthenticated', 'the bearer token is not ACTIONS_RUNTIME_TOKEN')
    }
    if (!TWIRP_METHODS.has(identity.action)) {
      return twirpError('bad_route', `no handler for path ${JSON.stringify(request.url)}`)
    }
    const input = identity.body
    if (!isRecord(input)) return twirpError('malformed', 'the request body is not a JSON object')
    // Signed URLs point where the client reached this service: its Host header and scheme.
    const origin = `${request.tls ? 'https' : 'http'}://${headerValue(request.headers, 'host') ?? '127.0.0.1'}`
    switch (identity.action) {
      case 'CreateCacheEntry':
        return this.#createEntry(input, origin)
      case 'FinalizeCacheEntryUpload':
        return this.#finalizeEntry(input)
      default:
        return this.#downloadUrl(input, origin)
    }
  }

  #createEntry(input: Record<string, unknown>, origin: string): Reply {
    const key = typeof input.key === 'string' ? input.key : ''
    const version = typeof input.version === 'string' ? input.version : ''
    const problem = keyProblem(key) ?? (version === '' ? 'version is required' : undefined)
    if (problem) return twirpError('invalid_argument', problem)
    if (this.#entries.some((e) => e.key === key && e.version === version)) {
      return twirpError('already_exists', 'cache entry with the same key, version, and scope already exists')
    }
    const id = this.#nextId++
    const entry: Entry = {
      id,
      key,
      version,
      createdAt: this.now(),
      blobName: `${id}-${randomBytes(8).toString('hex')}`,
      finalized: false,
      staged: new Map(),
    }
    this.#entries.push(entry)
    return twirpReply(200, { ok: true, signed_upload_url: this.#signedUrl(origin, entry, 'cw') })
  }

  #finalizeEntry(input: Record<string, unknown>): Reply {
    const key = typeof input.key === 'string' ? input.key : ''
    const version = typeof input.version === 'string' ? input.version : ''
    // int64 travels as a JSON string in the proto3 JSON mapping; a number is accepted too.
    const rawSize = input.size_bytes ?? input.sizeBytes
    const size = typeof rawSize === 'string' || typeof rawSize === 'number' ? Number(rawSize) : Number.NaN
    const entry = this.#entries.find((e) => e.key === key && e.version === version)
    if (!entry) return twirpError('not_found', `no cache entry reserved for key ${JSON.stringify(key)}`)
    if (entry.finalized) {
      return twirpError('already_exists', 'cache entry with the same key, version, and scope already exists')
    }
    if (!entry.blob) return twirpError('failed_precondition', 'nothing was uploaded for this cache entry')
    if (size !== entry.blob.length) {
      return twirpError(
        'invalid_argument',
        `size_bytes ${String(rawSize)} does not match the uploaded ${entry.blob.length} bytes`,
      )
    }
    entry.finalized = true
    entry.staged.clear()
    return twirpReply(200, { ok: true, entry_id: String(entry.id) })
  }

  #downloadUrl(input: Record<string, unknown>, origin: string): Reply {
    const key = typeof input.key === 'string' ? input.key : ''
    const rawRestoreKeys = input.restore_keys ?? input.restoreKeys ?? []
    const restoreKeys = Array.isArray(rawRestoreKeys)
      ? rawRestoreKeys.filter((k): k is string => typeof k === 'string')
      : []
    const version = typeof input.version === 'string' ? input.version : ''
    for (const k of [key, ...restoreKeys]) {
      const problem = keyProblem(k)
      if (problem) return twirpError('invalid_argument', problem)
    }
    const candidates = this.#entries.filter((e) => e.finalized && e.version === version)
    let match = candidates.find((e) => e.key === key)
    for (const prefix of [key, ...restoreKeys]) {
      if (match) break
      match = newest(candidates.filter((e) => e.key.startsWith(prefix)))
    }
    if (!match) return twirpReply(200, { ok: false, signed_download_url: '', matched_key: '' })
    return twirpReply(200, {
      ok: true,
      signed_download_url: this.#signedUrl(origin, match, 'r'),
      matched_key: match.key,
    })
  }

  // --- Blob --------------------------------------------------------------------------------------

  #signature(path: string, permissions: string, expiry: string): string {
    return createHmac('sha256', this.#secret).update(`${permissions}\n${expiry}\n${path}`).digest('base64')
  }

  /** `origin` is `scheme://host[:port]`. */
  #signedUrl(origin: string, entry: Entry, permissions: 'cw' | 'r'): string {
    const path = `/${BLOB_ACCOUNT}/${BLOB_CONTAINER}/${entry.blobName}`
    const expiry = new Date(this.now() + SAS_LIFETIME_MS).toISOString().replace(/\.\d{3}Z$/, 'Z')
    const query = new URLSearchParams({
      sv: '2025-11-05',
      sr: 'b',
      sp: permissions,
      se: expiry,
      sig: this.#signature(path, permissions, expiry),
    })
    return `${origin}${path}?${query.toString()}`
  }

  #blob(request: WireRequest, url: URL): Reply {
    const path = url.pathname
    const permissions = url.searchParams.get('sp') ?? ''
    const expiry = url.searchParams.get('se') ?? ''
    const want = Buffer.from(this.#signature(path, permissions, expiry))
    const got = Buffer.from(url.searchParams.get('sig') ?? '')
    if (got.length !== want.length || !timingSafeEqual(got, want)) {
      return blobError(
        403,
        'AuthenticationFailed',
        'Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.',
      )
    }
    const entry = this.#entries.find((e) => path === `/${BLOB_ACCOUNT}/${BLOB_CONTAINER}/${e.blobName}`)
    if (!entry) return blobError(404, 'BlobNotFound', 'The specified blob does not exist.')
    const writing = request.method === 'PUT'
    if (writing ? !permissions.includes('w') : !permissions.includes('r')) {
      return blobError(
        403,
        'AuthorizationPermissionMismatch',
        'This request is not authorized to perform this operation using this permission.',
      )
    }
    if (writing && entry.finalized) {
      return blobError(
        403,
        'AuthorizationFailure',
        'This request is not authorized to perform this operation.',
      )
    }
    switch (request.method) {
      case 'PUT':
        return this.#put(request, url, entry)
      case 'GET':
      case 'HEAD':
        return this.#get(request, entry)
      default:
        return blobError(
          405,
          'UnsupportedHttpVerb',
          `The resource doesn't support the ${request.method} verb.`,
        )
    }
  }

  #put(request: WireRequest, url: URL, entry: Entry): Reply {
    const comp = url.searchParams.get('comp')
    if (comp === 'block') {
      const blockId = url.searchParams.get('blockid')
      if (!blockId) return blobError(400, 'MissingRequiredQueryParameter', 'blockid is required.')
      entry.staged.set(blockId, request.body)
      return { status: 201, headers: { ...blobHeaders(), 'x-ms-request-server-encrypted': 'true' }, body: '' }
    }
    let content: Buffer
    if (comp === 'blocklist') {
      const ids = [
        ...request.body.toString('utf8').matchAll(/<(Latest|Uncommitted|Committed)>([^<]*)<\/\1>/g),
      ].map((m) => m[2] ?? '')
      const blocks = ids.map((id) => entry.staged.get(id))
      if (blocks.some((b) => b === undefined)) {
        return blobError(400, 'InvalidBlockList', 'The specified block list is invalid.')
      }
      content = Buffer.concat(blocks as Buffer[])
    } else if (comp === null) {
      const blobType = headerValue(request.headers, 'x-ms-blob-type')
      if (blobType === undefined) {
        return blobError(400, 'MissingRequiredHeader', 'An HTTP header that is mandatory: x-ms-blob-type.')
      }
      if (blobType !== 'BlockBlob') {
        // Cache archives are block blobs; append and page blobs are valid Azure but never used here.
        return blobError(400, 'InvalidHeaderValue', `x-ms-blob-type ${blobType} is not BlockBlob.`)
      }
      content = request.body
    } else {
      return blobError(400, 'InvalidQueryParameterValue', `comp=${comp} is not supported.`)
    }
    entry.blob = content
    entry.blobModifiedAt = this.now()
    entry.staged.clear()
    return {
      status: 201,
      headers: {
        ...blobHeaders(),
        etag: etagOf(entry),
        'last-modified': new Date(entry.blobModifiedAt).toUTCString(),
        'content-md5': createHash('md5').update(content).digest('base64'),
        'x-ms-request-server-encrypted': 'true',
      },
      body: '',
    }
  }

  #get(request: WireRequest, entry: Entry): Reply {
    const blob = entry.blob
    if (!blob) return blobError(404, 'BlobNotFound', 'The specified blob does not exist.')
    const headers: Record<string, string> = {
      ...blobHeaders(),
      'content-type': 'application/octet-stream',
      'accept-ranges': 'bytes',
      etag: etagOf(entry),
      'last-modified': new Date(entry.blobModifiedAt ?? entry.createdAt).toUTCString(),
      'x-ms-blob-type': 'BlockBlob',
    }
    const rangeHeader = headerValue(request.headers, 'x-ms-range') ?? headerValue(request.headers, 'range')
    let status = 200
    let content = blob
    if (rangeHeader !== undefined) {
      const range = /^bytes=(\d+)-(\d*)$/.exec(rangeHeader.trim())
      const start = Number(range?.[1])
      const end = range?.[2] ? Math.min(Number(range[2]), blob.length - 1) : blob.length - 1
      if (!range || start >= blob.length || end < start) {
        const reply = blobError(
          416,
          'InvalidRange',
          'The range specified is invalid for the current size of the resource.',
        )
        return { ...reply, headers: { ...reply.headers, 'content-range': `bytes */${blob.length}` } }
      }
      status = 206
      content = blob.subarray(start, end + 1)
      headers['content-range'] = `bytes ${start}-${end}/${blob.length}`
    }
    headers['content-length'] = String(content.length)
    // HEAD answers with the blob's headers only (Node drops a HEAD body; the length stays).
    return {
      status,
      headers,
      body: '',
      raw: request.method === 'HEAD' ? Buffer.alloc(0) : content,
      data: { bytes: content.length },
    }
  }
}

function keyProblem(key: string): string | undefined {
  if (key === '') return 'key is required'
  if (key.length > MAX_KEY_LENGTH) return `key is longer than ${MAX_KEY_LENGTH} characters`
  return undefined
}

function newest(entries: Entry[]): Entry | undefined {
  let best: Entry | undefined
  for (const e of entries) {
    if (!best || e.createdAt > best.createdAt || (e.createdAt === best.createdAt && e.id > best.id)) best = e
  }
  return best
}

function etagOf(entry: Entry): string {
  return `"0x${createHash('sha1')
    .update(entry.blob ?? Buffer.alloc(0))
    .digest('hex')
    .slice(0, 15)
    .toUpperCase()}"`
}
