import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createTlsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import type { TLSSocket } from 'node:tls'
import type { SlackPreviewOptions } from '../../scripts/preview.js'
import { ActionsCacheService, type CacheEntryInfo } from './actions-cache-service.js'
import { type Fault, FaultBook, type ServiceName } from './faults.js'
import { GITHUB_PREFIX, type GitHubIssueRecord, GitHubService } from './github-service.js'
import { type CallIdentity, headerValue, type Reply, type WireRequest } from './http-types.js'
import { KeyStore } from './keys.js'
import { AwsError, awsErrorReply, LogsService, type QueryStatus } from './logs-service.js'
import { OIDC_PATH, OidcService } from './oidc-service.js'
import {
  SLACK_API_PATH,
  type SlackApiCall,
  type SlackApiCounts,
  type SlackApiMessage,
  SlackApiService,
  type SlackChannel,
} from './slack-api-service.js'
import { SLACK_PATH, type SlackPost, SlackService } from './slack-service.js'
import { StsService, stsErrorReply } from './sts-service.js'

export interface EmulatorOptions {
  /** Injectable clock, ms; default Date.now. All emulator time (queries, ingestion, tokens) uses it. */
  now?: () => number
  /** Default '123456789012'. */
  accountId?: string
  /** Default 'us-east-1'. */
  region?: string
  /** StartQuery → Complete, in emulator ms: the first 30% Scheduled, then Running with partial rows. Default 300. */
  queryLatencyMs?: number
  /**
   * Reading of StartQuery's inclusive endTime: 'instant' = events with timestamp <= end*1000;
   * 'whole' = timestamp < (end+1)*1000. Default 'whole'.
   */
  endSecond?: 'instant' | 'whole'
  /** Beyond it StartQuery → LimitExceededException. Default 100 (AWS's quota). */
  maxConcurrentQueries?: number
  /** GetQueryResults page size with nextToken. Default 10,000. */
  pageSize?: number
  /** Cap on rows per query (with `nextToken: false`, a service without paging). Default none. */
  maxRowsPerQuery?: number
  /** Whether GetQueryResults pages with nextToken (and StartQuery's limit reaches 100,000). Default true. */
  nextToken?: boolean
  /**
   * Also serve HTTPS with this certificate (PEM), on a port of its own, with the same services and
   * records as the HTTP one (test/fixtures/tls). Default: HTTP only.
   */
  tls?: { cert: string | Buffer; key: string | Buffer }
}

/** One HTTP request as it reached the emulator, whichever service it was for, if any. */
export interface ReceivedRequest {
  method: string
  /** Path and query as sent. */
  url: string
  /** The Host header: the name the client asked for, through a proxy or not. */
  host: string | undefined
  /** The remote port of the connection it came on: a proxy's upstream socket, or the client's own. */
  remotePort: number | undefined
  /** Whether it came over the HTTPS listener. */
  tls: boolean
  /** The call it was recorded as; undefined for a request no service answers (404), such as `GET /`. */
  call?: Call
}

export interface Call {
  service: ServiceName
  /**
   * Logs/STS action, `IdToken` for OIDC, the webhook name for Slack; for the cache the Twirp method
   * (`CreateCacheEntry`, …) or the blob operation (`PutBlob`, `PutBlock`, `PutBlockList`, `GetBlob`, …).
   */
  action: string
  /** Emulator-clock ms of arrival. */
  at: number
  /** The SigV4 key id a Logs request named (whether or not it was accepted). */
  accessKeyId?: string
  /** What the emulator answered; 0 for a dropped connection. */
  status: number
  /**
   * The parsed request: JSON for Logs, Slack and the cache's Twirp calls, form fields for STS (without
   * the token), `{ blob, bytes, blockId? }` for a blob upload.
   */
  body?: unknown
  /**
   * The answer: parsed JSON for Logs, OIDC and the cache's Twirp calls (errors included), the text for
   * STS (XML) and Slack, `{ code, message }` for a blob error, `{ bytes }` for a blob download.
   */
  response?: unknown
}

export interface Emulator {
  /** http://127.0.0.1:PORT */
  url: string
  /** https://127.0.0.1:PORT when started with `tls`; the same services as `url`. */
  tlsUrl?: string
  /** The emulator's clock (ms), the one `options.now` gives; Date headers and signing-time checks use it. */
  now(): number
  /** What a runner-like child process needs to reach the emulator instead of AWS / GitHub. */
  env: Record<string, string>
  /** Static keys the emulator accepts for the default-credential-chain path. */
  defaultCredentials: { accessKeyId: string; secretAccessKey: string }
  /** The role the emulator's STS lets an emulator-issued OIDC token assume. */
  roleArn: string
  /** `${url}/services/T000/B000/<name>`; each name records separately. Default name 'default'. */
  slackWebhookUrl(name?: string): string
  /** Posts to one webhook (default name 'default'), in arrival order, rejected ones included. */
  slackPosts(name?: string): SlackPost[]
  /** Every request, in arrival order (a live array). */
  calls: Call[]
  /**
   * Every HTTP request received, in arrival order (a live array), with the connection it came on;
   * unlike `calls`, also those no service answers (the action's clock probe, `GET /`).
   */
  requests: ReceivedRequest[]
  /**
   * A name: a group in the caller's account (the cross-account monitoring account). An ARN
   * (`arn:aws:logs:<region>:<account>:log-group:<name>`): a group in that account, a linked source account.
   */
  createLogGroup(nameOrArn: string): void
  /** Direct seeding: creates the group (a name or an ARN, as createLogGroup) and stream if needed; ingestionTime defaults to now(). */
  putLogEvents(
    logGroup: string,
    events: Array<{ timestamp: number; message: string; ingestionTime?: number; logStream?: string }>,
  ): void
  inject(fault: Fault): void
  /**
   * The next StartQuery succeeds, and the query ends with this status instead of Complete; with
   * `queryContains`, the next one whose query string contains it (the action's own request count
   * or baseline query, say).
   */
  failNextQuery(status: 'Failed' | 'Cancelled' | 'Timeout' | 'Unknown', queryContains?: string): void
  /** Finalized Actions cache entries (what GitHub would list), oldest reservation first. */
  cacheEntries(): CacheEntryInfo[]
  /** Slack's Web API (bot tokens): channels, tokens, messages with their threads and edits, the preview. */
  slackApi: SlackApi
  /** GitHub's REST issues API under `${url}/github`. */
  github: GitHubApi
  stop(): Promise<void>
}

/** Slack's Web API as the emulator serves it (slack-api-service.ts). */
interface SlackApi {
  /** `${url}/api/`: WebClient's `slackApiUrl` (the action reads `INSIGHTS_WATCH_SLACK_API_URL`). */
  url: string
  /** The default bot token: scope `chat:write`. */
  token: string
  /** Another bot token, with these scopes (`['chat:write', 'chat:write.public']`, `[]`). */
  createToken(scopes: readonly string[]): string
  /** The app was uninstalled: `token_revoked` from now on. */
  revokeToken(token: string): void
  /**
   * A channel: public unless `isPrivate`, the bot not in it unless `botIsMember`; answers its ID
   * (`C0…`/`G0…` unless given). `#alerts` (`C0ALERTS01`, bot a member) is there from the start.
   */
  addChannel(channel: {
    name: string
    id?: string
    isPrivate?: boolean
    botIsMember?: boolean
    isArchived?: boolean
  }): string
  /** A channel by ID, `#name` or name. */
  channel(channel: string): SlackChannel | undefined
  /** Messages started in a channel, oldest first, each with its `replies` and its `history` of versions. */
  messages(channel: string): SlackApiMessage[]
  /** A message or reply by channel and ts. */
  message(channel: string, ts: string): SlackApiMessage | undefined
  /** Someone deleted it: chat.update answers `message_not_found`, a reply under it `thread_not_found`. */
  deleteMessage(channel: string, ts: string): void
  /** Every Web API call, in arrival order (a live array), with the channel's ID once it was found. */
  calls: SlackApiCall[]
  /** Calls taken in one channel: chat.postMessage starting a message, replying in a thread, chat.update. */
  counts(channel: string): SlackApiCounts
  /** The card as it is now with its replies under it, as an HTML page (scripts/preview.ts). */
  previewHtml(channel: string, ts: string, options?: SlackPreviewOptions): string
}

/** GitHub's issues API as the emulator serves it (github-service.ts). */
interface GitHubApi {
  /** `${url}/github`: `GITHUB_API_URL`. */
  apiUrl: string
  /** `acme/api`: `GITHUB_REPOSITORY`. */
  repository: string
  /** A token with `issues: write` and `pull-requests: write`. */
  token: string
  /** A token without them: reads work, writes answer 403 "Resource not accessible by integration". */
  readOnlyToken: string
  /** A token with `pull-requests: write` only: a pull request's comments, not an issue's. */
  pullRequestsToken: string
  /** Another repository; `hasIssues: false` answers 410 "Issues are disabled for this repo". */
  addRepository(fullName: string, options?: { hasIssues?: boolean }): void
  /** A pull request someone opened: the next issue number, its comments an issue's. */
  addPullRequest(options?: { title?: string; repository?: string }): number
  /** A comment by a person (`user`, default `octocat`) on an issue or pull request; its id. */
  addComment(issueNumber: number, body: string, options?: { user?: string; repository?: string }): number
  /** A repository's issues (default `repository`), by number, with comments, labels and events. */
  issues(repository?: string): GitHubIssueRecord[]
  issue(issueNumber: number, repository?: string): GitHubIssueRecord | undefined
  /** Someone deleted it: 410 "This issue was deleted" from then on. */
  deleteIssue(issueNumber: number, repository?: string): void
}

const DEFAULT_WEBHOOK = 'default'

interface Route {
  service: ServiceName
  identify(request: WireRequest): CallIdentity
  handle(request: WireRequest, identity: CallIdentity): Reply
  faultReply(fault: Fault, request: WireRequest, identity: CallIdentity): Reply
  /** The service's shape for an unexpected failure inside the emulator. */
  internalError(message: string, request: WireRequest): Reply
  /** Told of a connection dropped by a fault, for a service that keeps its own record. */
  dropped?(request: WireRequest, identity: CallIdentity): void
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => resolve(Buffer.concat(chunks)))
    request.on('error', reject)
  })
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const now = options.now ?? Date.now
  const accountId = options.accountId ?? '123456789012'
  const region = options.region ?? 'us-east-1'
  const roleArn = `arn:aws:iam::${accountId}:role/insights-watch`
  const keys = new KeyStore()
  const faults = new FaultBook()
  const calls: Call[] = []
  const requests: ReceivedRequest[] = []
  const oidc = new OidcService(now)
  const sts = new StsService({ now, accountId, roleArn, keys, oidc })
  const slack = new SlackService(now)
  const slackApi = new SlackApiService(now)
  const github = new GitHubService(now)
  const cache = new ActionsCacheService(now)
  const logs = new LogsService({
    now,
    accountId,
    region,
    queryLatencyMs: options.queryLatencyMs ?? 300,
    endSecond: options.endSecond ?? 'whole',
    maxConcurrentQueries: options.maxConcurrentQueries ?? 100,
    pageSize: options.pageSize ?? 10_000,
    maxRowsPerQuery: options.maxRowsPerQuery,
    nextToken: options.nextToken ?? true,
    keys,
  })

  const routes: Record<ServiceName, Route> = {
    logs: {
      service: 'logs',
      identify: (r) => logs.identify(r),
      handle: (r, id) => logs.handle(r, id),
      faultReply: (f) => logs.faultReply(f),
      internalError: (message) => awsErrorReply(new AwsError('InternalFailure', message, 500)),
    },
    sts: {
      service: 'sts',
      identify: (r) => sts.identify(r),
      handle: (r) => sts.handle(r),
      faultReply: (f) => sts.faultReply(f),
      internalError: (message) => stsErrorReply(500, 'InternalFailure', message),
    },
    oidc: {
      service: 'oidc',
      identify: () => oidc.identify(),
      handle: (r) => oidc.handle(r),
      faultReply: (f) => oidc.faultReply(f),
      internalError: (message) => ({ status: 500, headers: {}, body: message }),
    },
    slack: {
      service: 'slack',
      identify: (r) => slack.identify(r),
      handle: (r, id) => slack.handle(r, id),
      faultReply: (f, r, id) => slack.faultReply(f, r, id),
      internalError: (message) => ({ status: 500, headers: { 'content-type': 'text/html' }, body: message }),
      dropped: (r, id) => slack.record(r, id, { status: 0, headers: {}, body: '' }),
    },
    'slack-api': {
      service: 'slack-api',
      identify: (r) => slackApi.identify(r),
      handle: (r, id) => slackApi.handle(r, id),
      faultReply: (f, r, id) => slackApi.faultReply(f, r, id),
      internalError: (message) => ({ status: 500, headers: { 'content-type': 'text/plain' }, body: message }),
      dropped: (r, id) => slackApi.dropped(r, id),
    },
    github: {
      service: 'github',
      identify: (r) => github.identify(r),
      handle: (r) => github.handle(r),
      faultReply: (f) => github.faultReply(f),
      internalError: (message) => ({
        status: 500,
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify({ message }),
      }),
    },
    cache: {
      service: 'cache',
      identify: (r) => cache.identify(r),
      handle: (r, id) => cache.handle(r, id),
      faultReply: (f, r, id) => cache.faultReply(f, r, id),
      internalError: (message, r) => cache.internalError(message, r),
    },
  }

  // Logs and STS share the root path, as they do behind a single AWS_ENDPOINT_URL: Logs is JSON-RPC
  // with X-Amz-Target, STS is the form-encoded query protocol.
  function routeOf(request: WireRequest): Route | undefined {
    const path = request.url.split('?')[0] ?? ''
    if (request.method === 'GET' && path === OIDC_PATH) return routes.oidc
    // The cache's Twirp calls and its blob PUT/GET/HEAD live under their own paths.
    if (ActionsCacheService.matches(request)) return routes.cache
    // GitHub's REST API lives under its base path, every method.
    if (GitHubService.matches(request)) return routes.github
    if (request.method !== 'POST') return undefined
    if (SLACK_PATH.test(path)) return routes.slack
    if (SLACK_API_PATH.test(path)) return routes['slack-api']
    if (LogsService.matches(request)) return routes.logs
    if ((headerValue(request.headers, 'content-type') ?? '').includes('application/x-www-form-urlencoded')) {
      return routes.sts
    }
    return undefined
  }

  async function dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = now()
    const secure = (req.socket as Partial<TLSSocket>).encrypted === true
    const received: ReceivedRequest = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      host: req.headers.host,
      remotePort: req.socket.remotePort,
      tls: secure,
    }
    requests.push(received)
    const wire: WireRequest = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers: req.headers,
      body: await readBody(req),
      tls: secure,
    }
    const route = routeOf(wire)
    if (!route) {
      res
        .writeHead(404, { date: new Date(now()).toUTCString(), 'content-type': 'text/plain' })
        .end(`No emulated service at ${wire.method} ${wire.url}`)
      return
    }
    const identity = route.identify(wire)
    const call: Call = { service: route.service, action: identity.action, at, status: 0 }
    if (identity.accessKeyId !== undefined) call.accessKeyId = identity.accessKeyId
    if (identity.body !== undefined) call.body = identity.body
    calls.push(call)
    received.call = call

    const fault = faults.take(route.service, identity.action)
    if (fault?.latencyMs) await sleep(fault.latencyMs)
    if (fault?.dropConnection) {
      route.dropped?.(wire, identity)
      req.socket.destroy()
      return
    }
    let reply: Reply
    try {
      reply =
        fault && FaultBook.answers(fault)
          ? route.faultReply(fault, wire, identity)
          : route.handle(wire, identity)
    } catch (error) {
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error)
      process.stderr.write(
        `insights-watch emulator: ${route.service} ${identity.action} failed: ${message}\n`,
      )
      reply = route.internalError(error instanceof Error ? error.message : String(error), wire)
    }
    call.status = reply.status
    call.response = 'data' in reply ? reply.data : reply.body
    const payload = reply.raw ?? reply.body
    res.writeHead(reply.status, {
      // Every AWS response carries the service's time, errors included; the SDK corrects its signing
      // clock from it, and the action plans its window by it. Node would send the machine's time, which
      // is wrong when the emulator runs on a simulated clock.
      date: new Date(now()).toUTCString(),
      ...reply.headers,
      'content-length': reply.headers['content-length'] ?? String(Buffer.byteLength(payload)),
    })
    res.end(payload)
  }

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    dispatch(req, res).catch((error: unknown) => {
      process.stderr.write(`insights-watch emulator: ${String(error)}\n`)
      if (!res.headersSent) res.writeHead(500).end()
    })
  }
  const servers: Server[] = [createServer(handler)]
  if (options.tls) servers.push(createTlsServer({ cert: options.tls.cert, key: options.tls.key }, handler))
  const ports = await Promise.all(servers.map(listen))
  const url = `http://127.0.0.1:${ports[0]}`
  const tlsUrl = options.tls ? `https://127.0.0.1:${ports[1]}` : undefined

  return {
    url,
    ...(tlsUrl ? { tlsUrl } : {}),
    now,
    env: {
      AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: url,
      AWS_ENDPOINT_URL_STS: url,
      // The runner's URL already carries a query; @actions/core appends `&audience=`.
      ACTIONS_ID_TOKEN_REQUEST_URL: `${url}${OIDC_PATH}?api-version=2.0`,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: oidc.requestToken,
      AWS_REGION: region,
      // @actions/cache: v2 (Twirp + blob) is what hosted runners use; it builds Twirp URLs as
      // `new URL('/twirp/…', ACTIONS_RESULTS_URL)`, and the runner's value ends with `/`.
      ACTIONS_CACHE_SERVICE_V2: 'true',
      ACTIONS_RESULTS_URL: `${url}/`,
      ACTIONS_RUNTIME_TOKEN: cache.runtimeToken,
      // Read and write; set explicitly so a cache-mode exported by a real runner running the tests
      // (for example read-only for an untrusted event) does not leak into the emulated one.
      ACTIONS_CACHE_MODE: 'write',
      // Slack's Web API (bot tokens) and GitHub's REST API (github-issue), as a runner names them.
      INSIGHTS_WATCH_SLACK_API_URL: `${url}/api/`,
      GITHUB_API_URL: `${url}${GITHUB_PREFIX}`,
      GITHUB_REPOSITORY: github.repository,
    },
    defaultCredentials: {
      accessKeyId: keys.staticKey.accessKeyId,
      secretAccessKey: keys.staticKey.secretAccessKey,
    },
    roleArn,
    slackWebhookUrl: (name = DEFAULT_WEBHOOK) => `${url}/services/T000/B000/${encodeURIComponent(name)}`,
    slackPosts: (name = DEFAULT_WEBHOOK) => slack.posts.filter((p) => p.name === encodeURIComponent(name)),
    calls,
    requests,
    createLogGroup: (name) => {
      logs.createLogGroup(name)
    },
    putLogEvents: (logGroup, events) => logs.seed(logGroup, events),
    inject: (fault) => faults.add(fault),
    failNextQuery: (status: QueryStatus, queryContains?: string) => logs.failNextQuery(status, queryContains),
    cacheEntries: () => cache.entries(),
    slackApi: {
      url: `${url}/api/`,
      token: slackApi.token,
      createToken: (scopes) => slackApi.createToken(scopes),
      revokeToken: (token) => slackApi.revokeToken(token),
      addChannel: (channel) => slackApi.addChannel(channel),
      channel: (channel) => slackApi.channel(channel),
      messages: (channel) => slackApi.messages(channel),
      message: (channel, ts) => slackApi.message(channel, ts),
      deleteMessage: (channel, ts) => slackApi.deleteMessage(channel, ts),
      calls: slackApi.calls,
      counts: (channel) => slackApi.counts(channel),
      previewHtml: (channel, ts, previewOptions) => slackApi.previewHtml(channel, ts, previewOptions),
    },
    github: {
      apiUrl: `${url}${GITHUB_PREFIX}`,
      repository: github.repository,
      token: github.token,
      readOnlyToken: github.readOnlyToken,
      pullRequestsToken: github.pullRequestsToken,
      addRepository: (fullName, repositoryOptions) => github.addRepository(fullName, repositoryOptions),
      addPullRequest: (pullOptions) => github.addPullRequest(pullOptions),
      addComment: (issueNumber, body, commentOptions) => github.addComment(issueNumber, body, commentOptions),
      issues: (repository) => github.issues(repository),
      issue: (issueNumber, repository) => github.issue(issueNumber, repository),
      deleteIssue: (issueNumber, repository) => github.deleteIssue(issueNumber, repository),
    },
    stop: async () => {
      await Promise.all(
        servers.map(
          (server) =>
            new Promise<void>((resolve, reject) => {
              if (!server.listening) return resolve()
              server.close((error) => (error ? reject(error) : resolve()))
              // Keep-alive sockets of the SDK's agent would hold close() open.
              server.closeAllConnections()
            }),
        ),
      )
    },
  }
}

/** Listens on a random port of 127.0.0.1 and answers with it. */
function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port))
  })
}
