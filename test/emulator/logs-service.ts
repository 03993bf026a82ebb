import { randomUUID } from 'node:crypto'
import type { Fault } from './faults.js'
import { type CallIdentity, headerValue, type Reply, type WireRequest } from './http-types.js'
import type { KeyStore } from './keys.js'
import { compilePplQuery } from './ppl-language.js'
import {
  type CompiledQuery,
  compileQuery,
  DEFAULT_LIMIT,
  type LogEvent,
  MalformedQueryError,
  type QueryOutput,
  type ResultField,
} from './query-language.js'
import { parseAuthorization, SigV4Error, verifySignature } from './sigv4.js'
import {
  MAX_SOURCE_ACCOUNTS,
  MAX_SOURCE_GROUPS,
  MAX_SOURCE_PREFIXES,
  type SourceSelection,
  splitSource,
  startsWithSource,
} from './source-command.js'
import { compileSqlQuery, SQL_MAX_ROWS } from './sql-language.js'

export type QueryStatus =
  | 'Scheduled'
  | 'Running'
  | 'Complete'
  | 'Failed'
  | 'Cancelled'
  | 'Timeout'
  | 'Unknown'

export interface LogsOptions {
  now: () => number
  accountId: string
  region: string
  queryLatencyMs: number
  endSecond: 'instant' | 'whole'
  maxConcurrentQueries: number
  pageSize: number
  maxRowsPerQuery: number | undefined
  nextToken: boolean
  keys: KeyStore
}

/** An error in the AWS JSON protocol's shape: `x-amzn-ErrorType` plus `{"__type", "message"}`. */
export class AwsError extends Error {
  queryCompileError?: { location?: { startCharOffset: number; endCharOffset: number }; message: string }

  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message)
  }
}

const TARGET_PREFIX = 'Logs_20140328.'
const JSON_CONTENT_TYPE = 'application/x-amz-json-1.1'
/** StartQuery accepts at most 50 log groups (StartQuery API doc; 20 before 2022-11). */
const MAX_GROUPS_PER_QUERY = 50
/** The model's LogGroupName pattern; ARNs only go in logGroupIdentifiers. */
const GROUP_NAME = /^[.\-_/#A-Za-z0-9]{1,512}$/
/** PutLogEvents (API doc): events more than 2 hours ahead or 14 days behind are rejected. */
const TOO_NEW_MS = 2 * 3600_000
const TOO_OLD_MS = 14 * 86_400_000
const MAX_BATCH_SPAN_MS = 24 * 3600_000
/** "Queries time out after 60 minutes of runtime" (StartQuery API doc). */
const QUERY_TIMEOUT_MS = 60 * 60_000
/** The first 30% of a query's latency is spent Scheduled, the rest Running. */
const SCHEDULED_SHARE = 0.3

interface LogGroup {
  name: string
  /** The caller's (the monitoring account) or a linked source account's. */
  accountId: string
  /** Without the `:*` DescribeLogGroups' `arn` carries (its `logGroupArn`). */
  arn: string
  creationTime: number
  streams: Map<string, { name: string; creationTime: number }>
  events: StoredEvent[]
  sorted: boolean
}

/**
 * A stored event. Its @ptr is derived when read rather than kept: tests seed up to a million events,
 * and a base64 string per event would be most of their memory while few queries return @ptr.
 */
class StoredEvent implements LogEvent {
  constructor(
    readonly logGroup: string,
    readonly accountId: string,
    readonly logStream: string,
    readonly timestamp: number,
    readonly ingestionTime: number,
    readonly message: string,
    /** the emulator-wide sequence number, which makes @ptr unique */
    private readonly seq: number,
  ) {}

  /** Opaque like the service's @ptr, unique per event, and the same at every read. */
  get ptr(): string {
    return Buffer.from(`${this.accountId}:${this.logGroup}:${this.logStream}:${this.seq}`).toString('base64')
  }
}

type QueryLanguage = 'CWLI' | 'SQL' | 'PPL'

interface Query {
  id: string
  /** GetQueryResults echoes it; SQL and PPL results come in one answer without nextToken */
  language: QueryLanguage
  startedAt: number
  groups: LogGroup[]
  fromMs: number
  /** Exclusive. */
  toMs: number
  compiled: CompiledQuery
  rowCap: number
  /** What the query turns into at the end of its latency: Complete, or what failNextQuery asked for. */
  endStatus: QueryStatus
  stoppedAt?: number
  /** Frozen at the first Complete answer. */
  final?: QueryOutput
  /** The last run, reusable while the events it saw are still exactly the eligible ones. */
  lastRun?: { eventSeq: number; eventCount: number; output: QueryOutput }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function requireString(input: Record<string, unknown>, member: string): string {
  const value = input[member]
  if (typeof value !== 'string' || value === '') {
    throw new AwsError('InvalidParameterException', `Missing required parameter '${member}'`)
  }
  return value
}

export class LogsService {
  /** By `account:name`: the same name can exist in several accounts. */
  readonly #groups = new Map<string, LogGroup>()
  readonly #queries = new Map<string, Query>()
  readonly #active = new Set<Query>()
  readonly #forcedEndStatuses: Array<{ status: QueryStatus; queryContains?: string }> = []
  #eventSeq = 0

  constructor(private readonly options: LogsOptions) {}

  // ── direct seeding (the test-facing API) ────────────────────────────────────────────────────

  /**
   * A log group in the caller's account (by name), or in another account (by ARN): every other account
   * is a source account linked to the caller's, the cross-account observability monitoring account.
   */
  createLogGroup(nameOrArn: string): LogGroup {
    const { accountId, name } = this.#address(nameOrArn)
    if (!GROUP_NAME.test(name)) {
      throw new AwsError(
        'InvalidParameterException',
        `1 validation error detected: Value '${name}' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+`,
      )
    }
    if (this.#groups.has(`${accountId}:${name}`))
      throw new AwsError('ResourceAlreadyExistsException', 'The specified log group already exists')
    const group: LogGroup = {
      name,
      accountId,
      arn: `arn:aws:logs:${this.options.region}:${accountId}:log-group:${name}`,
      creationTime: this.options.now(),
      streams: new Map(),
      events: [],
      sorted: true,
    }
    this.#groups.set(`${accountId}:${name}`, group)
    return group
  }

  /** A seeding address: a name in the caller's account, or an ARN in this region. */
  #address(nameOrArn: string): { accountId: string; name: string } {
    if (!nameOrArn.startsWith('arn:')) return { accountId: this.options.accountId, name: nameOrArn }
    const arn = /^arn:aws[\w-]*:logs:([^:]+):(\d{12}):log-group:([^:]+)$/.exec(nameOrArn)
    if (!arn || arn[1] !== this.options.region) {
      throw new AwsError('InvalidParameterException', `Invalid log group ARN '${nameOrArn}' for this region`)
    }
    return { accountId: arn[2] as string, name: arn[3] as string }
  }

  seed(
    groupName: string,
    events: Array<{ timestamp: number; message: string; ingestionTime?: number; logStream?: string }>,
  ): void {
    const { accountId, name } = this.#address(groupName)
    const group = this.#groups.get(`${accountId}:${name}`) ?? this.createLogGroup(groupName)
    const now = this.options.now()
    for (const event of events) {
      const stream = event.logStream ?? 'emulator'
      if (!group.streams.has(stream)) group.streams.set(stream, { name: stream, creationTime: now })
      this.#append(group, stream, event.timestamp, event.message, event.ingestionTime ?? now)
    }
  }

  failNextQuery(status: QueryStatus, queryContains?: string): void {
    this.#forcedEndStatuses.push(queryContains === undefined ? { status } : { status, queryContains })
  }

  #append(group: LogGroup, stream: string, timestamp: number, message: string, ingestionTime: number): void {
    const seq = this.#eventSeq++
    const last = group.events[group.events.length - 1]
    if (last && last.timestamp > timestamp) group.sorted = false
    group.events.push(
      new StoredEvent(group.name, group.accountId, stream, timestamp, ingestionTime, message, seq),
    )
  }

  // ── the wire ────────────────────────────────────────────────────────────────────────────────

  static matches(request: WireRequest): boolean {
    return headerValue(request.headers, 'x-amz-target')?.startsWith(TARGET_PREFIX) ?? false
  }

  identify(request: WireRequest): CallIdentity {
    const target = headerValue(request.headers, 'x-amz-target') ?? ''
    const identity: CallIdentity = { action: target.slice(TARGET_PREFIX.length) }
    const keyId = /Credential=([^/,\s]+)\//.exec(headerValue(request.headers, 'authorization') ?? '')?.[1]
    if (keyId) identity.accessKeyId = keyId
    try {
      identity.body = JSON.parse(request.body.toString('utf8') || '{}')
    } catch {
      // SerializationException is answered by handle().
    }
    return identity
  }

  handle(request: WireRequest, identity: CallIdentity): Reply {
    try {
      this.#authenticate(request)
      if (!isRecord(identity.body))
        throw new AwsError('SerializationException', 'Request body is not a JSON object')
      const input = identity.body
      switch (identity.action) {
        case 'CreateLogGroup':
          this.createLogGroup(requireString(input, 'logGroupName'))
          return emptyReply()
        case 'CreateLogStream':
          this.#createLogStream(input)
          return emptyReply()
        case 'PutLogEvents':
          return jsonReply(this.#putLogEvents(input))
        case 'StartQuery':
          return jsonReply(this.#startQuery(input))
        case 'GetQueryResults':
          return jsonReply(this.#getQueryResults(input))
        case 'StopQuery':
          return jsonReply(this.#stopQuery(input))
        case 'ListLogGroupsForQuery':
          return jsonReply(this.#listLogGroupsForQuery(input))
        case 'DescribeLogGroups':
          return jsonReply(this.#describeLogGroups(input))
        default:
          throw new AwsError(
            'UnknownOperationException',
            `Operation ${identity.action} is not supported by the emulator`,
          )
      }
    } catch (error) {
      if (error instanceof AwsError) return awsErrorReply(error)
      throw error
    }
  }

  faultReply(fault: Fault): Reply {
    const type =
      fault.errorType ??
      (fault.status === undefined || fault.status < 500
        ? 'ThrottlingException'
        : 'ServiceUnavailableException')
    const status =
      fault.status ?? (type === 'ServiceUnavailableException' || type === 'InternalFailure' ? 500 : 400)
    const message = fault.body ?? (type === 'ThrottlingException' ? 'Rate exceeded' : `${type} (injected)`)
    return awsErrorReply(new AwsError(type, message, status))
  }

  /**
   * Every Logs call is SigV4-signed with a key the emulator knows: the static default-chain key,
   * or a temporary key its STS issued, which must come with its X-Amz-Security-Token.
   */
  #authenticate(request: WireRequest): void {
    const header = headerValue(request.headers, 'authorization')
    if (!header) throw new AwsError('MissingAuthenticationTokenException', 'Missing Authentication Token')
    try {
      const auth = parseAuthorization(header)
      const key = this.options.keys.lookup(auth.accessKeyId)
      const token = headerValue(request.headers, 'x-amz-security-token')
      if (!key || token !== key.sessionToken) {
        throw new AwsError(
          'UnrecognizedClientException',
          'The security token included in the request is invalid.',
        )
      }
      if (key.expiresAt !== undefined && this.options.now() >= key.expiresAt) {
        throw new AwsError('ExpiredTokenException', 'The security token included in the request is expired')
      }
      verifySignature(request, auth, key.secretAccessKey, {
        region: this.options.region,
        service: 'logs',
        now: this.options.now(),
      })
    } catch (error) {
      if (error instanceof SigV4Error) throw new AwsError(error.errorType, error.message)
      throw error
    }
  }

  #group(name: string): LogGroup {
    // Writes go to the caller's own groups.
    const group = this.#groups.get(`${this.options.accountId}:${name}`)
    if (!group) throw new AwsError('ResourceNotFoundException', 'The specified log group does not exist.')
    return group
  }

  #createLogStream(input: Record<string, unknown>): void {
    const group = this.#group(requireString(input, 'logGroupName'))
    const name = requireString(input, 'logStreamName')
    if (!/^[^:*]{1,512}$/.test(name)) {
      throw new AwsError('InvalidParameterException', `Invalid log stream name '${name}'`)
    }
    if (group.streams.has(name))
      throw new AwsError('ResourceAlreadyExistsException', 'The specified log stream already exists')
    group.streams.set(name, { name, creationTime: this.options.now() })
  }

  #putLogEvents(input: Record<string, unknown>): Record<string, unknown> {
    const group = this.#group(requireString(input, 'logGroupName'))
    const streamName = requireString(input, 'logStreamName')
    if (!group.streams.has(streamName)) {
      throw new AwsError('ResourceNotFoundException', 'The specified log stream does not exist.')
    }
    const raw = input.logEvents
    if (!Array.isArray(raw) || raw.length === 0 || raw.length > 10_000) {
      throw new AwsError('InvalidParameterException', 'logEvents must hold 1 to 10,000 events')
    }
    const events = raw.map((e) => {
      if (!isRecord(e) || typeof e.timestamp !== 'number' || typeof e.message !== 'string') {
        throw new AwsError(
          'InvalidParameterException',
          'Each log event needs a numeric timestamp and a message',
        )
      }
      return { timestamp: e.timestamp, message: e.message }
    })
    // Batch size counts the UTF-8 message bytes plus 26 bytes of overhead per event (API doc).
    const bytes = events.reduce((sum, e) => sum + Buffer.byteLength(e.message) + 26, 0)
    if (bytes > 1_048_576) {
      throw new AwsError('InvalidParameterException', 'Upload too large: the batch exceeds 1,048,576 bytes')
    }
    for (let i = 1; i < events.length; i++) {
      if ((events[i]?.timestamp ?? 0) < (events[i - 1]?.timestamp ?? 0)) {
        throw new AwsError(
          'InvalidParameterException',
          'Log events in a single PutLogEvents request must be in chronological order.',
        )
      }
    }
    const first = events[0]?.timestamp ?? 0
    const lastTs = events[events.length - 1]?.timestamp ?? 0
    if (lastTs - first > MAX_BATCH_SPAN_MS) {
      throw new AwsError(
        'InvalidParameterException',
        'The batch of log events in a single PutLogEvents request cannot span more than 24 hours.',
      )
    }
    const now = this.options.now()
    // Out-of-range events are dropped and reported, the rest accepted (API doc: "rejected while
    // processing remaining valid events"). Chronological order makes them a prefix and a suffix.
    const tooOldEnd = events.findIndex((e) => e.timestamp >= now - TOO_OLD_MS)
    const tooOldEndIndex = tooOldEnd < 0 ? events.length : tooOldEnd
    const tooNewStart = events.findIndex((e) => e.timestamp > now + TOO_NEW_MS)
    const tooNewStartIndex = tooNewStart < 0 ? events.length : tooNewStart
    for (let i = tooOldEndIndex; i < tooNewStartIndex; i++) {
      const e = events[i]
      if (e) this.#append(group, streamName, e.timestamp, e.message, now)
    }
    const rejected: Record<string, number> = {}
    if (tooOldEndIndex > 0) rejected.tooOldLogEventEndIndex = tooOldEndIndex
    if (tooNewStartIndex < events.length) rejected.tooNewLogEventStartIndex = tooNewStartIndex
    return Object.keys(rejected).length > 0 ? { rejectedLogEventsInfo: rejected } : {}
  }

  #statusOf(query: Query, now: number): QueryStatus {
    if (query.stoppedAt !== undefined) return 'Cancelled'
    const elapsed = now - query.startedAt
    if (elapsed >= QUERY_TIMEOUT_MS && this.options.queryLatencyMs > QUERY_TIMEOUT_MS) return 'Timeout'
    if (elapsed >= this.options.queryLatencyMs) return query.endStatus
    return elapsed < this.options.queryLatencyMs * SCHEDULED_SHARE ? 'Scheduled' : 'Running'
  }

  #runningCount(now: number): number {
    for (const query of this.#active) {
      const status = this.#statusOf(query, now)
      if (status !== 'Scheduled' && status !== 'Running') this.#active.delete(query)
    }
    return this.#active.size
  }

  #resolveGroups(input: Record<string, unknown>, source?: SourceSelection): LogGroup[] {
    const given = (['logGroupName', 'logGroupNames', 'logGroupIdentifiers'] as const).filter(
      (member) => input[member] !== undefined,
    )
    // "exactly one of logGroupName, logGroupNames, logGroupIdentifiers, or a SOURCE command in the
    // query string" (StartQuery doc, reference §1.1).
    if (source) {
      if (given.length > 0) {
        throw new AwsError(
          'InvalidParameterException',
          `${given.join(', ')} must not be given with a SOURCE command in the query string: specify exactly one of logGroupName, logGroupNames, logGroupIdentifiers or a SOURCE command`,
        )
      }
      return this.#groupsBySource(source)
    }
    if (given.length !== 1) {
      throw new AwsError(
        'InvalidParameterException',
        'Exactly one of logGroupName, logGroupNames or logGroupIdentifiers must be specified (or, in Logs Insights QL, a SOURCE command at the start of the query string)',
      )
    }
    const member = given[0] as 'logGroupName' | 'logGroupNames' | 'logGroupIdentifiers'
    const value = input[member]
    const list = member === 'logGroupName' ? [value] : value
    if (!Array.isArray(list) || list.length === 0 || !list.every((v) => typeof v === 'string')) {
      throw new AwsError('InvalidParameterException', `${member} must name at least one log group`)
    }
    if (list.length > MAX_GROUPS_PER_QUERY) {
      throw new AwsError(
        'InvalidParameterException',
        `1 validation error detected: Value at '${member}' failed to satisfy constraint: Member must have length less than or equal to ${MAX_GROUPS_PER_QUERY}`,
      )
    }
    return this.#groupsByIdentifier(list as string[], member)
  }

  /**
   * The groups SOURCE selects: names starting with a prefix, in the given accounts, or in the caller's
   * and every linked account when none is given.
   */
  #groupsBySource(source: SourceSelection): LogGroup[] {
    // CHOICE: InvalidParameterException for the documented limits; the doc names no exception type.
    if (source.prefixes.length > MAX_SOURCE_PREFIXES) {
      throw new AwsError(
        'InvalidParameterException',
        `SOURCE namePrefix takes at most ${MAX_SOURCE_PREFIXES} prefixes; got ${source.prefixes.length}`,
      )
    }
    if (source.accounts.length > MAX_SOURCE_ACCOUNTS) {
      throw new AwsError(
        'InvalidParameterException',
        `SOURCE accountIdentifiers takes at most ${MAX_SOURCE_ACCOUNTS} accounts; got ${source.accounts.length}`,
      )
    }
    const accounts = new Set(source.accounts)
    const groups = [...this.#groups.values()].filter(
      (group) =>
        (accounts.size === 0 || accounts.has(group.accountId)) &&
        source.prefixes.some((prefix) => group.name.startsWith(prefix)),
    )
    if (groups.length > MAX_SOURCE_GROUPS) {
      throw new AwsError(
        'InvalidParameterException',
        `The SOURCE command matched ${groups.length} log groups, more than ${MAX_SOURCE_GROUPS}: reduce the number of log groups with longer prefixes or fewer accounts`,
      )
    }
    return groups
  }

  /** Log groups by name, or by ARN where `member` takes ARNs (logGroupIdentifiers, SQL's FROM). */
  #groupsByIdentifier(list: readonly string[], member: string): LogGroup[] {
    const groups = new Map<string, LogGroup>()
    for (const identifier of list) {
      const name = identifier
      if (identifier.startsWith('arn:')) {
        if (member === 'logGroupName' || member === 'logGroupNames') {
          throw new AwsError(
            'InvalidParameterException',
            `1 validation error detected: Value '${identifier}' at '${member}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+`,
          )
        }
        // arn:aws:logs:region:account-id:log-group:name, and "Don't include an * at the end".
        const arn = /^arn:aws[\w-]*:logs:([^:]+):(\d{12}):log-group:([^:]+)$/.exec(identifier)
        if (!arn) {
          throw new AwsError('InvalidParameterException', `Invalid log group identifier '${identifier}'`)
        }
        // A linked source account's group is named by its ARN (cross-account observability).
        const group = arn[1] === this.options.region ? this.#groups.get(`${arn[2]}:${arn[3]}`) : undefined
        if (!group) {
          throw new AwsError(
            'ResourceNotFoundException',
            `Log group '${arn[3]}' does not exist for account ID '${arn[2]}'`,
          )
        }
        groups.set(group.arn, group)
        continue
      }
      const group = this.#groups.get(`${this.options.accountId}:${name}`)
      if (!group) {
        throw new AwsError(
          'ResourceNotFoundException',
          `Log group '${name}' does not exist for account ID '${this.options.accountId}'`,
        )
      }
      groups.set(group.arn, group)
    }
    return [...groups.values()]
  }

  #startQuery(input: Record<string, unknown>): Record<string, unknown> {
    const queryString = input.queryString
    if (typeof queryString !== 'string') {
      throw new AwsError('InvalidParameterException', "Missing required parameter 'queryString'")
    }
    if (queryString.length > 10_000) {
      throw new AwsError('InvalidParameterException', 'queryString must be at most 10,000 characters')
    }
    // Both are epoch *seconds* (long); a fraction is not a long.
    for (const member of ['startTime', 'endTime'] as const) {
      const value = input[member]
      if (value === undefined)
        throw new AwsError('InvalidParameterException', `Missing required parameter '${member}'`)
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
        throw new AwsError(
          'InvalidParameterException',
          `${member} must be whole epoch seconds >= 0, got ${String(value)}`,
        )
      }
    }
    const startTime = input.startTime as number
    const endTime = input.endTime as number
    if (startTime > endTime) {
      throw new AwsError(
        'InvalidParameterException',
        `endTime (${endTime}) must not be before startTime (${startTime})`,
      )
    }
    const language = input.queryLanguage ?? 'CWLI'
    if (language === 'SQL') return this.#startSqlQuery(input, queryString, startTime, endTime)
    if (language === 'PPL') return this.#startPplQuery(input, queryString, startTime, endTime)
    if (language !== 'CWLI') {
      throw new AwsError(
        'MalformedQueryException',
        `queryLanguage ${String(language)} is outside the emulator: it runs Logs Insights QL (CWLI) and subsets of OpenSearch SQL (SQL) and PPL (PPL)`,
      )
    }
    const split = startsWithSource(queryString) ? compile(queryString, splitSource) : undefined
    const groups = this.#resolveGroups(input, split?.source)
    // The query after SOURCE is what the engine runs; compile errors point into the whole string.
    const body = split ? split.rest : queryString
    const offset = split ? split.restOffset : 0
    // The 100,000 maximum came with GetQueryResults paging (2026-05); before, 10,000 was the cap.
    const maxLimit = this.options.nextToken ? 100_000 : 10_000
    const limit = input.limit
    if (
      limit !== undefined &&
      (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > maxLimit)
    ) {
      throw new AwsError(
        'InvalidParameterException',
        `1 validation error detected: Value '${String(limit)}' at 'limit' failed to satisfy constraint: Member must have value between 1 and ${maxLimit}`,
      )
    }
    let compiled = compile(body, compileQuery, offset)
    if (typeof limit === 'number' && compiled.limit === undefined) {
      // The engine stops at the 10,000-row default when the query has no `limit` command; StartQuery's
      // `limit` parameter replaces that default, so the engine gets it as a trailing command.
      compiled = compile(`${body}\n| limit ${limit}`, compileQuery, offset)
    }
    const limits = [limit as number | undefined, compiled.limit].filter((n): n is number => n !== undefined)
    return this.#enqueue({
      queryString,
      language: 'CWLI',
      groups,
      startTime,
      endTime,
      compiled,
      rowCap: limits.length > 0 ? Math.min(...limits) : DEFAULT_LIMIT,
    })
  }

  /**
   * `queryLanguage: 'SQL'`: the log groups come from the query's FROM clause ("The exception is
   * queries using the OpenSearch Service SQL query language, where you specify the log group names
   * inside the querystring instead of here", StartQuery API reference); startTime/endTime still
   * bound the events; rows stop at 10,000 with no nextToken ("100,000 limit is only supported for
   * Logs Insights QL and is currently not supported for PPL and SQL").
   */
  #startSqlQuery(
    input: Record<string, unknown>,
    queryString: string,
    startTime: number,
    endTime: number,
  ): Record<string, unknown> {
    const given = (['logGroupName', 'logGroupNames', 'logGroupIdentifiers'] as const).filter(
      (member) => input[member] !== undefined,
    )
    if (given.length > 0) {
      // CHOICE: refused. The API reference says SQL names its log groups in the query string
      // "instead of here"; what the service does with both is not documented.
      throw new AwsError(
        'InvalidParameterException',
        `${given.join(', ')} must not be given with queryLanguage SQL: name the log groups in the query's FROM clause (FROM \`name\` or FROM \`logGroups(logGroupIdentifier: ['a', 'b'])\`)`,
      )
    }
    const limit = input.limit
    if (
      limit !== undefined &&
      (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > SQL_MAX_ROWS)
    ) {
      // CHOICE: a limit past 10,000 is refused for SQL, as StartQuery refused any past 10,000
      // before paging existed; the doc says only that 100,000 "is currently not supported for PPL and SQL".
      throw new AwsError(
        'InvalidParameterException',
        `1 validation error detected: Value '${String(limit)}' at 'limit' failed to satisfy constraint: Member must have value between 1 and ${SQL_MAX_ROWS} for queryLanguage SQL`,
      )
    }
    const compiled = compile(queryString, compileSqlQuery)
    const groups = this.#groupsByIdentifier(compiled.logGroups, 'FROM')
    const limits = [limit as number | undefined, compiled.limit, SQL_MAX_ROWS].filter(
      (n): n is number => n !== undefined,
    )
    return this.#enqueue({
      queryString,
      language: 'SQL',
      groups,
      startTime,
      endTime,
      compiled,
      rowCap: Math.min(...limits),
    })
  }

  /**
   * `queryLanguage: 'PPL'`: the log groups are StartQuery's parameters, exactly one of
   * logGroupName/logGroupNames/logGroupIdentifiers as for Logs Insights QL (the API reference
   * excepts only SQL: "The exception is queries using the OpenSearch Service SQL query language");
   * startTime/endTime bound the events; rows stop at 10,000 with no nextToken ("100,000 limit is
   * only supported for Logs Insights QL and is currently not supported for PPL and SQL").
   */
  #startPplQuery(
    input: Record<string, unknown>,
    queryString: string,
    startTime: number,
    endTime: number,
  ): Record<string, unknown> {
    const groups = this.#resolveGroups(input)
    const limit = input.limit
    if (
      limit !== undefined &&
      (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > SQL_MAX_ROWS)
    ) {
      // CHOICE: refused past 10,000, as for SQL (see #startSqlQuery).
      throw new AwsError(
        'InvalidParameterException',
        `1 validation error detected: Value '${String(limit)}' at 'limit' failed to satisfy constraint: Member must have value between 1 and ${SQL_MAX_ROWS} for queryLanguage PPL`,
      )
    }
    const compiled = compile(queryString, compilePplQuery)
    return this.#enqueue({
      queryString,
      language: 'PPL',
      groups,
      startTime,
      endTime,
      compiled,
      rowCap: Math.min(typeof limit === 'number' ? limit : SQL_MAX_ROWS, SQL_MAX_ROWS),
    })
  }

  #enqueue(spec: {
    language: QueryLanguage
    groups: LogGroup[]
    startTime: number
    endTime: number
    compiled: CompiledQuery
    rowCap: number
    queryString: string
  }): Record<string, unknown> {
    const now = this.options.now()
    if (this.#runningCount(now) >= this.options.maxConcurrentQueries) {
      throw new AwsError(
        'LimitExceededException',
        `Account maximum query concurrency limit of [${this.options.maxConcurrentQueries}] reached.`,
      )
    }
    const query: Query = {
      id: randomUUID(),
      language: spec.language,
      startedAt: now,
      groups: spec.groups,
      fromMs: spec.startTime * 1000,
      // Both ends are inclusive seconds; whether the end second means its first instant or the whole
      // second is undocumented, so the reading is an option.
      toMs: this.options.endSecond === 'whole' ? (spec.endTime + 1) * 1000 : spec.endTime * 1000 + 1,
      compiled: spec.compiled,
      rowCap: spec.rowCap,
      endStatus: this.#forcedEndStatus(spec.queryString),
    }
    this.#queries.set(query.id, query)
    this.#active.add(query)
    return { queryId: query.id }
  }

  /** The first forced end status meant for this query (any query, or one whose text has a string). */
  #forcedEndStatus(queryString: string): QueryStatus {
    const index = this.#forcedEndStatuses.findIndex(
      (forced) => forced.queryContains === undefined || queryString.includes(forced.queryContains),
    )
    if (index < 0) return 'Complete'
    return this.#forcedEndStatuses.splice(index, 1)[0]?.status ?? 'Complete'
  }

  /** Events inside the query's time range that had been ingested by `ingestedBy`, oldest first. */
  #eventsFor(query: Query, ingestedBy: number): LogEvent[] {
    const slices: LogEvent[][] = []
    for (const group of query.groups) {
      if (!group.sorted) {
        group.events.sort((a, b) => a.timestamp - b.timestamp)
        group.sorted = true
      }
      const from = lowerBound(group.events, query.fromMs)
      const to = lowerBound(group.events, query.toMs)
      const range = group.events.slice(from, to)
      // Usually every event in range has been ingested: then the slice is the answer, without
      // filtering a million events into another array.
      const ingested = range.every((event) => event.ingestionTime <= ingestedBy)
      slices.push(ingested ? range : range.filter((event) => event.ingestionTime <= ingestedBy))
    }
    return slices.length === 1 ? (slices[0] ?? []) : slices.flat().sort((a, b) => a.timestamp - b.timestamp)
  }

  #run(query: Query, ingestedBy: number): QueryOutput {
    const events = this.#eventsFor(query, ingestedBy)
    // No event stored since the last run and as many eligible: the same events (a later cut-off only
    // adds), so the same answer. Polls while Running then cost no engine run.
    const last = query.lastRun
    if (last && last.eventSeq === this.#eventSeq && last.eventCount === events.length) return last.output
    const output = query.compiled.run(events)
    const cap = Math.min(query.rowCap, this.options.maxRowsPerQuery ?? Number.POSITIVE_INFINITY)
    // Statistics keep describing the whole result when rows are capped (GetQueryResults doc:
    // "These values reflect the full raw results of the query").
    const capped = output.rows.length > cap ? { ...output, rows: output.rows.slice(0, cap) } : output
    query.lastRun = { eventSeq: this.#eventSeq, eventCount: events.length, output: capped }
    return capped
  }

  #getQueryResults(input: Record<string, unknown>): Record<string, unknown> {
    const query = this.#query(input)
    const now = this.options.now()
    const status = this.#statusOf(query, now)
    const base = { queryLanguage: query.language, status }
    if (status !== 'Running' && status !== 'Complete') {
      return { ...base, results: [], statistics: statistics(undefined, query, 0) }
    }
    if (status === 'Running') {
      // Partial results: what a query part-way through would have found so far.
      const latency = this.options.queryLatencyMs
      const progress = (now - query.startedAt - latency * SCHEDULED_SHARE) / (latency * (1 - SCHEDULED_SHARE))
      const partial = this.#run(query, now)
      const rows = partial.rows.slice(0, Math.floor(partial.rows.length * progress))
      return {
        ...base,
        results: rows.slice(0, this.options.pageSize).map(wireRow),
        statistics: statistics(partial, query, progress),
      }
    }
    // Complete: what was ingested by the time the query finished, computed once.
    query.final ??= this.#run(query, query.startedAt + this.options.queryLatencyMs)
    const rows = query.final.rows
    // SQL and PPL: every row (at most 10,000) in one answer; nextToken is "only supported for Logs
    // Insights QL and is currently not supported for PPL and SQL" (GetQueryResults API reference).
    if (!this.options.nextToken || query.language !== 'CWLI') {
      return { ...base, results: rows.map(wireRow), statistics: statistics(query.final, query, 1) }
    }
    const offset = input.nextToken === undefined ? 0 : decodeNextToken(input.nextToken, query.id)
    const maxItems = input.maxItems
    if (maxItems !== undefined && (typeof maxItems !== 'number' || maxItems < 0 || maxItems > 10_000)) {
      throw new AwsError('InvalidParameterException', 'maxItems must be between 0 and 10,000')
    }
    const size =
      typeof maxItems === 'number' && maxItems > 0
        ? Math.min(maxItems, this.options.pageSize)
        : this.options.pageSize
    const page = rows.slice(offset, offset + size)
    const result: Record<string, unknown> = {
      ...base,
      results: page.map(wireRow),
      statistics: statistics(query.final, query, 1),
    }
    if (offset + size < rows.length) result.nextToken = encodeNextToken(query.id, offset + size)
    return result
  }

  #stopQuery(input: Record<string, unknown>): Record<string, unknown> {
    const query = this.#query(input)
    const now = this.options.now()
    const status = this.#statusOf(query, now)
    if (status !== 'Scheduled' && status !== 'Running') {
      // StopQuery doc: "If the query has already ended, the operation returns an error indicating
      // that the specified query is not running."
      throw new AwsError('InvalidParameterException', `Query ${query.id} is not running (status ${status})`)
    }
    query.stoppedAt = now
    this.#active.delete(query)
    return { success: true }
  }

  /**
   * The log groups a query analyzed (ListLogGroupsForQuery doc: "names and ARNs"; CHOICE: ARNs, which
   * name the account too), in pages of `maxResults` (50 to 500; CHOICE: 50 when not given).
   */
  #listLogGroupsForQuery(input: Record<string, unknown>): Record<string, unknown> {
    const query = this.#query(input)
    const size = pageSize(input.maxResults, { min: 50, max: 500, member: 'maxResults' })
    const arns = query.groups.map((group) => group.arn)
    return page(arns, input.nextToken, size, `groups:${query.id}`, 'logGroupIdentifiers')
  }

  /**
   * DescribeLogGroups by `logGroupNamePrefix`, across accounts with `includeLinkedAccounts` (and
   * `accountIdentifiers`, at most 20; none: the caller's and every linked account), sorted by name,
   * in pages of `limit` (1 to 50, default 50). The other filters are outside the emulator.
   */
  #describeLogGroups(input: Record<string, unknown>): Record<string, unknown> {
    for (const member of ['logGroupNamePattern', 'logGroupClass', 'logGroupIdentifiers']) {
      if (input[member] !== undefined) {
        throw new AwsError('InvalidParameterException', `DescribeLogGroups ${member} is outside the emulator`)
      }
    }
    const prefix = input.logGroupNamePrefix === undefined ? '' : requireString(input, 'logGroupNamePrefix')
    const accounts = input.accountIdentifiers ?? []
    if (!Array.isArray(accounts) || !accounts.every((a) => typeof a === 'string' && /^\d{12}$/.test(a))) {
      throw new AwsError(
        'InvalidParameterException',
        'accountIdentifiers must be a list of 12-digit account ids',
      )
    }
    if (accounts.length > MAX_SOURCE_ACCOUNTS) {
      throw new AwsError(
        'InvalidParameterException',
        `1 validation error detected: Value at 'accountIdentifiers' failed to satisfy constraint: Member must have length less than or equal to ${MAX_SOURCE_ACCOUNTS}`,
      )
    }
    const linked = input.includeLinkedAccounts === true
    const wanted = new Set<string>(accounts)
    const size = pageSize(input.limit, { min: 1, max: 50, member: 'limit' })
    const groups = [...this.#groups.values()]
      .filter((group) =>
        linked
          ? wanted.size === 0 || wanted.has(group.accountId)
          : group.accountId === this.options.accountId,
      )
      .filter((group) => group.name.startsWith(prefix))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.accountId < b.accountId ? -1 : 1))
      .map((group) => ({
        logGroupName: group.name,
        creationTime: group.creationTime,
        arn: `${group.arn}:*`,
        logGroupArn: group.arn,
        storedBytes: 0,
        metricFilterCount: 0,
        logGroupClass: 'STANDARD',
      }))
    const key = `describe:${prefix}:${linked}:${[...wanted].join(',')}`
    return page(groups, input.nextToken, size, key, 'logGroups')
  }

  #query(input: Record<string, unknown>): Query {
    const id = requireString(input, 'queryId')
    const query = this.#queries.get(id)
    if (!query) throw new AwsError('ResourceNotFoundException', `Query ${id} does not exist`)
    return query
  }
}

/** Compiles with `compiler`, turning its MalformedQueryError into the service's exception. */
function compile<Q = CompiledQuery>(
  queryString: string,
  compiler: (queryString: string) => Q = compileQuery as (queryString: string) => Q,
  /** Where `queryString` starts in the string StartQuery got. */
  offset = 0,
): Q {
  try {
    return compiler(queryString)
  } catch (error) {
    if (!(error instanceof MalformedQueryError)) throw error
    const malformed = new AwsError('MalformedQueryException', error.message)
    const location = error.location && {
      startCharOffset: error.location.startCharOffset + offset,
      endCharOffset: error.location.endCharOffset + offset,
    }
    malformed.queryCompileError = location ? { location, message: error.message } : { message: error.message }
    throw malformed
  }
}

function lowerBound(events: readonly StoredEvent[], timestamp: number): number {
  let lo = 0
  let hi = events.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if ((events[mid]?.timestamp ?? 0) < timestamp) lo = mid + 1
    else hi = mid
  }
  return lo
}

function wireRow(row: ResultField[]): Array<{ field: string; value: string }> {
  return row.map(({ field, value }) => ({ field, value }))
}

function statistics(output: QueryOutput | undefined, query: Query, share: number): Record<string, number> {
  const part = (n: number | undefined) => Math.floor((n ?? 0) * share)
  return {
    recordsMatched: part(output?.recordsMatched),
    recordsScanned: part(output?.recordsScanned),
    bytesScanned: part(output?.bytesScanned),
    estimatedRecordsSkipped: 0,
    estimatedBytesSkipped: 0,
    logGroupsScanned: query.groups.length,
  }
}

/** A page size given as `member`, checked against its range; 50 when not given. */
function pageSize(value: unknown, range: { min: number; max: number; member: string }): number {
  if (value === undefined) return 50
  if (typeof value !== 'number' || !Number.isInteger(value) || value < range.min || value > range.max) {
    throw new AwsError(
      'InvalidParameterException',
      `1 validation error detected: Value '${String(value)}' at '${range.member}' failed to satisfy constraint: Member must have value between ${range.min} and ${range.max}`,
    )
  }
  return value
}

/** One page of `items` under `member`, from the offset `token` holds (tokens are bound to `key`). */
function page(
  items: readonly unknown[],
  token: unknown,
  size: number,
  key: string,
  member: string,
): Record<string, unknown> {
  const offset = token === undefined ? 0 : decodeNextToken(token, key)
  const result: Record<string, unknown> = { [member]: items.slice(offset, offset + size) }
  if (offset + size < items.length) result.nextToken = encodeNextToken(key, offset + size)
  return result
}

function encodeNextToken(queryId: string, offset: number): string {
  return Buffer.from(JSON.stringify({ q: queryId, o: offset })).toString('base64url')
}

function decodeNextToken(token: unknown, queryId: string): number {
  try {
    const parsed = JSON.parse(Buffer.from(String(token), 'base64url').toString('utf8')) as {
      q?: unknown
      o?: unknown
    }
    if (parsed.q === queryId && typeof parsed.o === 'number' && parsed.o >= 0) return parsed.o
  } catch {
    // falls through to the error below
  }
  throw new AwsError('InvalidParameterException', 'The specified nextToken is invalid')
}

function jsonReply(data: unknown): Reply {
  return {
    status: 200,
    headers: { 'content-type': JSON_CONTENT_TYPE, 'x-amzn-requestid': randomUUID() },
    body: JSON.stringify(data),
    data,
  }
}

/** CreateLogGroup and CreateLogStream answer 200 with an empty body. */
function emptyReply(): Reply {
  return {
    status: 200,
    headers: { 'content-type': JSON_CONTENT_TYPE, 'x-amzn-requestid': randomUUID() },
    body: '',
  }
}

/**
 * The SDK's JSON-RPC deserializer takes the code from `__type` first, then `code`, then the
 * `x-amzn-ErrorType` header, and the message from `message` (or `Message`); both are sent.
 */
export function awsErrorReply(error: AwsError): Reply {
  const data: Record<string, unknown> = { __type: error.type, message: error.message }
  // MalformedQueryException's (documented as reserved) compile error, where the parser located it.
  if (error.queryCompileError) data.queryCompileError = error.queryCompileError
  return {
    status: error.status,
    headers: {
      'content-type': JSON_CONTENT_TYPE,
      'x-amzn-errortype': error.type,
      'x-amzn-requestid': randomUUID(),
    },
    body: JSON.stringify(data),
    data,
  }
}
